"""Files for the instructor: the class CSV and JSON, Gradescope results, text reports.

    write_csv(results, "class.csv", roster=read_roster("roster.csv"))  # UTF-8 with a BOM
    write_json(results, "class.json")        # one object for the class (ours, not Gradescope's)
    write_json_dir(results, "gradescope/")   # one Gradescope results.json per submission
    write_reports(results, "reports/")       # one text report per submission

Every file is written whole or not at all: into a fresh temporary file beside it, then
renamed over the target, so a link or file planted at the target is replaced, never
followed, and a full disk leaves no half-written file. A row or file that cannot be written
for one submission is skipped and named in the list each writer returns; everyone else's
is written. Every string from a submission passes through ``safetext``: ``cell_safe`` in the
CSV (a file name starting with ``=`` stays text), ``clean`` everywhere else.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import io
import json
import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from ..results import SubmissionResult
from ..safetext import cell_safe, clean
from .report import explain, student_output, text_report
from .roster import Student, student_of

__all__ = ["absent", "atomic_write", "gradescope", "write_csv", "write_json",
           "write_json_dir", "write_reports", "file_names"]

HIDDEN_VISIBILITY = "after_published"   # Gradescope: shown once the instructor publishes
_NAME_BYTES = 180                       # file names stay well under the usual 255 bytes


def atomic_write(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same directory
    and a rename: a link at ``path`` is replaced, not followed; on any error nothing is
    left behind and the error propagates (OSError for a full disk, a directory in the way).
    """
    path = Path(path)
    if path.is_dir():   # rename would say EISDIR; say it in words
        raise IsADirectoryError(errno.EISDIR, "a directory is in the way", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".gdcourse-", suffix=".tmp", dir=path.parent)
    try:
        data = memoryview(text.encode("utf-8", "replace"))
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)            # a full disk shows here at the latest, before the rename
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _failure(what: str, err: BaseException) -> str:
    return clean(f"{what}: {type(err).__name__}: {err}", 500)


def _pts(x: float) -> str:
    return f"{x:g}"


def _student(r: SubmissionResult, roster: dict[str, Student] | None) -> Student:
    # The path as given, not the display name: a newline shown as ' / ' is not a folder.
    return student_of(r.path or r.submission, roster)


# --- the class CSV ----------------------------------------------------------------------------

def _label(hidden: bool, name: str) -> str:
    return ("hidden: " if hidden else "") + name


def _exercise_cell(exercise: str) -> str:
    """``02`` -> ``ex02``: a spreadsheet reads a bare ``02`` as the number 2, and a formula
    such as ``="02"`` is code a gradebook should not run; ``ex02`` stays as written."""
    return "ex" + exercise if exercise.isdigit() else exercise


def _not_graded(r: SubmissionResult) -> str:
    """The status of a result without checks: ``not graded: <why>``, from its notes."""
    return next((n for n in r.notes if n.startswith("not graded: ")), "not graded: unknown")


def write_csv(results: list[SubmissionResult], path: str | Path, *,
              roster: dict[str, Student] | None = None, exercise: str | None = None,
              max_score: float | None = None) -> list[str]:
    """One row per submission, then one per roster student who handed in nothing.

    Columns: submission, exercise (``ex02``, text in any spreadsheet), score, max_score,
    percent, student (id and name from ``roster``, else the file's stem), name, status
    (``graded``, ``not graded: <why>`` or ``no submission``), flags, the points of each
    check, notes. A row that could not be graded keeps the exercise's real ``max_score``
    with score and percent empty; a roster student without a submission scores 0. The file
    is UTF-8 with a byte-order mark, so a spreadsheet opened by double click reads every
    name as written.

    Args:
        exercise, max_score: the class's exercise and its full points (hidden checks
            included), for the rows that have no checks of their own; default: what the
            graded rows say.

    Returns:
        The submissions whose row could not be written.

    Raises:
        OSError: the file itself cannot be written.
    """
    names: list[str] = []
    for r in results:
        for c in r.checks:
            label = _label(c.hidden, c.name)
            if label not in names:
                names.append(label)
    graded = [r for r in results if r.checks]
    if max_score is None and graded:
        max_score = max(r.max_score for r in graded)
    if exercise is None and graded:
        exercise = graded[0].exercise
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["submission", "exercise", "score", "max_score", "percent", "student",
                     "name", "status", "flags", *(cell_safe(n) for n in names), "notes"])
    skipped = []
    for r in results:
        try:
            who = _student(r, roster)
            points = {_label(c.hidden, c.name): c.points for c in r.checks}
            if r.checks:
                ex, status = r.exercise, "graded"
                score, best, percent = _pts(r.score), _pts(r.max_score), f"{r.percent:.1f}"
            else:    # nothing was judged: no score to import, but the points it is out of
                ex, status = exercise or r.exercise, _not_graded(r)
                score, percent = "", ""
                best = _pts(max_score) if max_score is not None else ""
            row = [cell_safe(r.submission), cell_safe(_exercise_cell(ex)), score, best,
                   percent, cell_safe(who.id), cell_safe(who.name), cell_safe(status, 500),
                   cell_safe("; ".join(r.flags), 2000),
                   *(_pts(points[n]) if n in points else "" for n in names),
                   cell_safe("; ".join(r.notes), 2000)]
            line = io.StringIO()
            csv.writer(line).writerow(row)
            buf.write(line.getvalue())
        except Exception as err:  # one odd result must not cost the class its CSV
            skipped.append(_failure(f"CSV row of {clean(r.submission, 200)}", err))
    for who in absent(results, roster):
        writer.writerow(["", cell_safe(_exercise_cell(exercise or "")), "0",
                         _pts(max_score) if max_score is not None else "", "0.0",
                         cell_safe(who.id), cell_safe(who.name), "no submission", "",
                         *("" for _ in names), "no submission"])
    # The byte-order mark: Excel reads a CSV without one in the machine's code page.
    atomic_write(path, "\ufeff" + buf.getvalue())
    return skipped


def absent(results: list[SubmissionResult],
           roster: dict[str, Student] | None) -> list[Student]:
    """The roster's students with no submission among ``results``, by id."""
    if not roster:
        return []
    handed_in = {_student(r, roster) for r in results}
    return sorted(set(roster.values()) - handed_in, key=lambda s: (s.id, s.name))


# --- JSON: Gradescope's per submission, ours for the class --------------------------------------

def gradescope(r: SubmissionResult, *, preamble: list[str] | None = None) -> dict[str, Any]:
    """Gradescope's results.json for one submission (its autograder specification): the
    score, one test per check, and an ``output`` the student may read. A hidden check shows
    its name and points only once the instructor publishes grades; stdout (the grader's
    own log) stays with the instructor. No ``execution_time``: how long a run took is
    the submission's own doing (it may sleep during a hidden check), so a channel for
    hidden inputs; the instructor's report has it."""
    tests = [{"name": ("[hidden] " if c.hidden else "") + clean(c.name, 200),
              "score": c.points, "max_score": c.max_points,
              "status": "passed" if c.passed else "failed",
              "output": explain(c, for_student=True) or "passed",
              "visibility": HIDDEN_VISIBILITY if c.hidden else "visible"}
             for c in r.checks]
    return {"score": r.score, "output": student_output(r, preamble),
            "stdout_visibility": "hidden",
            "tests": tests}


def _entry(r: SubmissionResult, roster: dict[str, Student] | None) -> dict[str, Any]:
    who = _student(r, roster)
    return {"submission": clean(r.submission, 500), "student": who.id, "name": who.name,
            "exercise": clean(r.exercise, 8), "max_score": r.max_score,
            "percent": round(r.percent, 1), "flags": [clean(f) for f in r.flags],
            "notes": [clean(n, 1000) for n in r.notes], **gradescope(r)}


def write_json(results: list[SubmissionResult], path: str | Path, *,
               roster: dict[str, Student] | None = None) -> list[str]:
    """The class as one JSON object, ``{"submissions": [{"submission", "student", "name",
    "exercise", "score", "max_score", "percent", "flags", "notes", "tests", ...}, ...]}``;
    for a single submission, that submission's entry alone (a superset of Gradescope's
    results.json). Returns the submissions that could not be included.

    Raises:
        OSError: the file itself cannot be written.
    """
    entries, skipped = [], []
    for r in results:
        try:
            entry = _entry(r, roster)
            json.dumps(entry, allow_nan=False)    # fails here, for this one, not below
            entries.append(entry)
        except Exception as err:
            skipped.append(_failure(f"JSON entry of {clean(r.submission, 200)}", err))
    data: dict[str, Any] = (entries[0] if len(results) == 1 and entries
                            else {"submissions": entries})
    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return skipped


# --- one file per submission --------------------------------------------------------------------

def file_names(results: list[SubmissionResult], suffix: str) -> list[str]:
    """A distinct, harmless file name per submission: ``dir/alice.ipynb`` ->
    ``alice.ipynb`` + suffix, or ``dir__alice.ipynb`` + suffix when two folders hold an
    ``alice.ipynb``; a name that is long, not plain text or taken gets a short hash of the
    original instead of its odd characters."""
    def base(r: SubmissionResult) -> str:
        return r.submission.replace("\\", "/").rsplit("/", 1)[-1]

    counts = Counter(base(r) for r in results)
    taken: set[str] = set()
    out = []
    for r in results:
        stem = base(r) if counts[base(r)] == 1 else r.submission
        stem = stem.replace("/", "__").replace("\\", "__")
        raw = r.submission.encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(raw).hexdigest()[:10]
        plain = (stem == clean(stem, 1000) and stem.isprintable() and not stem.startswith(".")
                 and len((stem + suffix).encode()) <= _NAME_BYTES)
        if not plain:
            safe = re.sub(r"[^A-Za-z0-9._-]+", "_", clean(stem, 1000)).lstrip("._")[:80]
            stem = f"{safe}-{digest}" if safe else digest
        name, n = stem + suffix, 1
        while name in taken:
            n += 1
            name = f"{stem}-{digest}-{n}{suffix}"
        taken.add(name)
        out.append(name)
    return out


def _write_each(results: list[SubmissionResult], folder: str | Path, suffix: str,
                render) -> list[str]:
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return [_failure(f"{clean(str(folder), 300)}", err)]
    failed = []
    for r, name in zip(results, file_names(results, suffix)):
        try:
            atomic_write(folder / name, render(r))
        except Exception as err:   # this one is reported; the others are still written
            failed.append(_failure(f"{clean(str(folder / name), 300)} "
                                   f"({clean(r.submission, 200)})", err))
    return failed


def write_reports(results: list[SubmissionResult], folder: str | Path) -> list[str]:
    """One text report per submission into ``folder``; returns what could not be written."""
    return _write_each(results, folder, ".txt", text_report)


def write_json_dir(results: list[SubmissionResult], folder: str | Path) -> list[str]:
    """One Gradescope results.json per submission into ``folder`` (named after the
    submission, ``alice.ipynb.json``); returns what could not be written."""
    def render(r: SubmissionResult) -> str:
        return json.dumps(gradescope(r), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    return _write_each(results, folder, ".json", render)
