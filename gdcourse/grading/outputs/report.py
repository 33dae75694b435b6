"""Reports: the text a student or instructor reads about one submission.

    [pass]  linear computes X @ theta + theta_0                      1/1
    [FAIL]  fit_linear takes exactly the gradient-descent steps      0/2
            params[2]: expected 0.4132, got 0.512 after 3 steps of lr=0.05 ...
    [todo]  fit_linear reaches the least-squares fit                 0/2  not attempted yet

Every string that came from a submission (its file name, notes, hints, what it printed) goes
through ``safetext.clean`` here, so a newline cannot start a forged line, an escape sequence
cannot repaint the terminal, and a lone surrogate cannot crash the writer. The files the
grader writes (CSV, JSON, report files) live in ``export.py``.
"""

from __future__ import annotations

import sys
from typing import TextIO

from ..results import CheckResult, SubmissionResult
from ..safetext import clean

__all__ = ["explain", "format_checks", "text_report", "summary_line", "progress_line",
           "progress_width", "student_output", "say"]

_TAGS = {"passed": "pass", "failed": "FAIL", "not attempted": "todo", "missing": "FAIL",
         "error": "FAIL", "timeout": "FAIL", "crashed": "FAIL", "not run": "FAIL"}
_WIDTH = 62
_NOTES_SHOWN = 10       # notes a student sees at most (the instructor's report has them all)


def _pts(x: float) -> str:
    return f"{x:g}"


def explain(c: CheckResult, *, for_student: bool) -> str:
    """The one-line reason under a check (empty when it passed)."""
    if c.status == "passed":
        return ""
    # A hidden check gives the student no reason at all, whatever its status: even "not
    # attempted yet (fit_linear raises ...)" says which task a hidden check calls.
    if c.hidden and for_student and not c.reveal:
        return "hidden check: details are shown to the instructor only"
    if c.status == "not attempted":
        return "not attempted yet" + (f" ({clean(c.hint)})" if c.hint else "")
    prefix = {"missing": "missing: ", "error": "raised ", "timeout": "stopped: ",
              "crashed": "crashed: ", "not run": "not run: "}.get(c.status, "")
    return prefix + clean(c.hint) if c.hint else c.status


def format_checks(checks: list[CheckResult], *, for_student: bool = True) -> str:
    """One line per check with its points, and an indented reason under each failure."""
    lines = []
    for c in checks:
        label = ("[hidden] " if c.hidden else "") + clean(c.name, 120)
        score = f"{_pts(c.points)}/{_pts(c.max_points)}"
        lines.append(f"  [{_TAGS.get(c.status, 'FAIL')}]  {label:<{_WIDTH}} {score:>7}")
        reason = explain(c, for_student=for_student)
        if reason:
            lines.append(f"          {reason}")
    return "\n".join(lines)


def summary_line(r: SubmissionResult, *, name_width: int | None = None) -> str:
    """``alice.ipynb  02  5/6  (83.3%)  2.1 s``, with the first note when there is one.

    The name is padded to 32 characters; with ``name_width``, padded to exactly that many,
    and a longer one loses its middle (``submissions/...zoe.ipynb``), so the columns after
    it line up whatever the paths."""
    name = clean(r.submission, 200)
    name = (name.ljust(32) if name_width is None
            else _middle(name, name_width).ljust(name_width))
    note = ""
    if r.notes:
        first = clean(r.notes[0], 1000)
        first = first if len(first) <= 70 else first[:67] + "..."
        more = f" (+{len(r.notes) - 1} more)" if len(r.notes) > 1 else ""
        note = f"  [{first}]{more}"
    flags = f"  flagged: {len(r.flags)}" if r.flags else ""
    return (f"{name} {clean(r.exercise, 8):>3}  {_pts(r.score):>5}/"
            f"{_pts(r.max_score):<5} ({r.percent:5.1f}%) {r.elapsed:5.1f} s{note}{flags}")


def _middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters: the start and, longer, the end (the file
    name) kept, ``...`` between."""
    if len(text) <= width:
        return text
    keep = max(width - 3, 2)
    head = keep // 3
    return text[:head] + "..." + text[len(text) - (keep - head):]


REST = 34   # what summary_line prints after the name, without a note: " 02      5/6 ..."


def progress_line(r: SubmissionResult, n: int, total: int, *, name_width: int,
                  columns: int | None = None) -> str:
    """``[ 3/30] alice.ipynb   02  5/6  (83.3%)  2.1 s``: the n-th result of ``total``
    for a terminal, the name column ``name_width`` wide (see :func:`summary_line`); a
    note that would wrap on a terminal ``columns`` wide is cut (the report has it whole)."""
    line = f"[{n:>{len(str(total))}}/{total}] " + summary_line(r, name_width=name_width)
    if columns is not None and len(line) >= columns:
        line = line[:max(columns - 4, 0)] + "..."
    return line


def progress_width(names: list[str], total: int, columns: int) -> int:
    """The name column for :func:`progress_line`: as wide as the longest name, at most
    what leaves the rest of the line on a terminal ``columns`` wide (at least 16)."""
    longest = max((len(clean(n, 200)) for n in names), default=1)
    counter = 2 * len(str(total)) + 4      # "[n/N] "
    # 4 more: room for the "..." of a cut note, so that a cut never eats the seconds
    return max(1, min(longest, max(16, columns - 5 - counter - REST)))


def text_report(r: SubmissionResult) -> str:
    """The instructor's per-student report: every check, every note and flag, the output
    tail."""
    parts = [f"{clean(r.submission, 500)}: exercise {clean(r.exercise, 8)}, score "
             f"{_pts(r.score)}/{_pts(r.max_score)} ({r.percent:.1f}%)"]
    if r.checks:
        parts.append(format_checks(r.checks, for_student=False))
    if r.flags:
        parts.append("For the instructor (never scored):\n"
                     + "\n".join(f"  ! {clean(f)}" for f in r.flags))
    if r.notes:
        parts.append("Notes:\n" + "\n".join(f"  - {clean(n, 1000)}" for n in r.notes))
    lines = clean(r.output[-20_000:], 20_000, keep_newlines=True).strip().splitlines()
    if lines:
        tail = "\n".join("  | " + clean(line, 200) for line in lines[-15:])
        parts.append("What the submission printed (never used for scoring; last lines):\n"
                     + tail)
    return "\n".join(parts) + "\n"


def student_output(r: SubmissionResult, preamble: list[str] | None = None) -> str:
    """What a student may read about the whole submission: the grader's notes, each cut
    short. Never the flags (for the instructor) nor what the code printed."""
    lines = [clean(p, 500) for p in preamble or []]
    lines += [clean(n) for n in r.notes[:_NOTES_SHOWN]]
    if len(r.notes) > _NOTES_SHOWN:
        lines.append(f"(+{len(r.notes) - _NOTES_SHOWN} more notes for the instructor)")
    return "\n".join(lines)


def say(text: str, file: TextIO | None = None) -> None:
    """Print ``text`` so that no character can make printing fail (a terminal in another
    encoding, a stray surrogate): what cannot be encoded is shown escaped."""
    out = file or sys.stdout
    encoding = getattr(out, "encoding", None) or "utf-8"
    try:
        out.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace") + "\n")
        out.flush()
    except (OSError, ValueError):   # a closed or broken pipe costs the output, not the grades
        pass

