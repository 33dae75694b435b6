"""Reports: the text a student or instructor reads, a class CSV, Gradescope's results.json.

    [pass]  linear computes X @ theta + theta_0                      1/1
    [FAIL]  fit_linear takes exactly the gradient-descent steps      0/2
            params[2]: expected 0.4132, got 0.512 after 3 steps of lr=0.05 ...
    [todo]  fit_linear reaches the least-squares fit                 0/2  not attempted yet
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from .results import CheckResult, SubmissionResult

__all__ = ["format_checks", "text_report", "write_csv", "gradescope", "write_json",
           "summary_line"]

_TAGS = {"passed": "pass", "failed": "FAIL", "not attempted": "todo", "missing": "FAIL",
         "error": "FAIL", "timeout": "FAIL", "crashed": "FAIL", "not run": "FAIL"}
_WIDTH = 62


def _pts(x: float) -> str:
    return f"{x:g}"


# Control characters other than newline and tab: a submission's output, notes and exception
# messages reach the instructor's terminal, where escape sequences could move the cursor and
# overwrite "[FAIL]" with a fake "[pass]".
_CONTROL = {c: "?" for c in [*range(0, 9), *range(11, 32), 127, *range(128, 160)]}


def _printable(text: str) -> str:
    return text.translate(_CONTROL)


def explain(c: CheckResult, *, for_student: bool) -> str:
    """The one-line reason under a check (empty when it passed)."""
    if c.status == "passed":
        return ""
    if c.status == "not attempted":   # says nothing a hidden check's name does not
        return "not attempted yet" + (f" ({c.hint})" if c.hint else "")
    if c.hidden and for_student and not c.reveal:
        return "hidden check: details are shown to the instructor only"
    prefix = {"missing": "missing: ", "error": "raised ", "timeout": "stopped: ",
              "crashed": "crashed: ", "not run": "not run: "}.get(c.status, "")
    return prefix + c.hint if c.hint else c.status


def format_checks(checks: list[CheckResult], *, for_student: bool = True) -> str:
    """One line per check with its points, and an indented reason under each failure."""
    lines = []
    for c in checks:
        label = ("[hidden] " if c.hidden else "") + c.name
        score = f"{_pts(c.points)}/{_pts(c.max_points)}"
        lines.append(f"  [{_TAGS.get(c.status, 'FAIL')}]  {label:<{_WIDTH}} {score:>7}")
        reason = explain(c, for_student=for_student)
        if reason:
            lines.append(f"          {reason}")
    return "\n".join(lines)


def summary_line(r: SubmissionResult) -> str:
    """``alice.ipynb  02  5/6  (83.3%)  2.1 s``, with the first note when there is one."""
    note = ""
    if r.notes:
        first = r.notes[0] if len(r.notes[0]) <= 70 else r.notes[0][:67] + "..."
        more = f" (+{len(r.notes) - 1} more)" if len(r.notes) > 1 else ""
        note = f"  [{first}]{more}"
    return _printable(f"{r.submission:<32} {r.exercise:>3}  {_pts(r.score):>5}/"
                      f"{_pts(r.max_score):<5} ({r.percent:5.1f}%) {r.elapsed:5.1f} s{note}")


def text_report(r: SubmissionResult) -> str:
    """The instructor's per-student report: every check, every note, the output tail."""
    parts = [f"{r.submission}: exercise {r.exercise}, score {_pts(r.score)}/"
             f"{_pts(r.max_score)} ({r.percent:.1f}%)"]
    if r.checks:
        parts.append(format_checks(r.checks, for_student=False))
    if r.notes:
        parts.append("Notes:\n" + "\n".join(f"  - {n}" for n in r.notes))
    if r.output.strip():
        tail = "\n".join("  | " + line for line in r.output.strip().splitlines()[-15:])
        parts.append("What the submission printed (never used for scoring; last lines):\n"
                     + tail)
    return _printable("\n".join(parts) + "\n")


def _atomic_write(path: str | Path, text: str) -> None:
    """Write through a temporary file and rename, so a half-written report never exists
    and a file or link planted at ``path`` is replaced, not followed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def write_csv(results: list[SubmissionResult], path: str | Path) -> None:
    """One row per submission: score, max, percent, points per check, notes."""
    names = []
    for r in results:
        for c in r.checks:
            label = ("hidden: " if c.hidden else "") + c.name
            if label not in names:
                names.append(label)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["submission", "exercise", "score", "max_score", "percent", *names,
                     "notes"])
    for r in results:
        by_name = {("hidden: " if c.hidden else "") + c.name: c.points for c in r.checks}
        writer.writerow([r.submission, r.exercise, _pts(r.score), _pts(r.max_score),
                         f"{r.percent:.1f}", *(_pts(by_name[n]) if n in by_name else ""
                                               for n in names), "; ".join(r.notes)])
    _atomic_write(path, buf.getvalue())


def gradescope(r: SubmissionResult) -> dict:
    """Gradescope's autograder results.json for one submission."""
    tests = []
    for c in r.checks:
        tests.append({"name": c.name, "score": c.points, "max_score": c.max_points,
                      "status": "passed" if c.passed else "failed",
                      "output": explain(c, for_student=True) or "passed",
                      "visibility": "after_published" if c.hidden else "visible"})
    output = "\n".join(r.notes)
    return {"score": r.score, "max_score": r.max_score, "execution_time": round(r.elapsed, 2),
            "output": output, "visibility": "visible", "tests": tests}


def write_json(results: list[SubmissionResult], path: str | Path) -> None:
    """Gradescope's results.json for one submission; for several, ``{"submissions":
    [{"submission": name, ...results.json fields...}, ...]}``."""
    if len(results) == 1:
        data = gradescope(results[0])
    else:
        data = {"submissions": [{"submission": r.submission, "exercise": r.exercise,
                                 **gradescope(r)} for r in results]}
    _atomic_write(path, json.dumps(data, indent=2) + "\n")
