"""What ``gdcourse grade`` does around the grading of a class: the gradebook's full points
when nothing could be graded, and the similarity report of the files as they were before
any submission ran.

    before = snapshot(paths)                       # before runner.grade starts a child
    results = grade(paths, exercise="02")
    problems = similarity(results, before, out="sim/", scaffold=None, exercise="02")

A submission running without namespaces can write its classmates' files; hashing every file
first (``snapshot``) lets the similarity report read only files unchanged since, and list
the others as problems. The report only reads the files (code cells as text), never runs
them.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path
from typing import Any

from .outputs.report import say
from .outputs.similarity import similarity_report
from .registry import get_exercise, load_hidden, normalize_id
from .runner import PACKAGE_ROOT
from .safetext import clean

__all__ = ["full_points", "scaffold_of", "similarity", "snapshot"]


def full_points(exercise: str | None, hidden: str | None) -> float | None:
    """The exercise's points, hidden checks included, for a gradebook in which nothing
    could be graded (otherwise the graded rows say it); None when unknown."""
    if exercise is None:
        return None
    try:
        ex = get_exercise(exercise)
        return (ex.with_checks(load_hidden(hidden, exercise)) if hidden else ex).max_points
    except Exception:    # the CSV still gets written, with max_score empty
        return None


def scaffold_of(exercise: str | None) -> list[Path]:
    """The files handed out for ``exercise``: exercises/NN_*.py and .ipynb of the checkout
    gdcourse runs from, else of the working directory."""
    if exercise is None:
        return []
    ex = normalize_id(exercise)
    for folder in (PACKAGE_ROOT.parent / "exercises", Path("exercises")):
        found = sorted(p for p in folder.glob(f"{ex}_*") if p.suffix in (".py", ".ipynb"))
        if found:
            return found
    return []


def similarity(results: list[Any], before: dict[str, str | None], *, out: str,
               scaffold: list[str] | None, exercise: str | None) -> list[str]:
    """The similarity report of the files just graded, into the folder ``out``; what it
    could not do, as problems. ``before`` is ``snapshot`` of the paths before grading;
    ``scaffold`` the files handed out (default: ``scaffold_of(exercise)``). It only reads
    the files (code cells as text), never runs them."""
    given = [Path(p) for p in scaffold] if scaffold else scaffold_of(exercise)
    if given:
        say(f"similarity: scaffold discounted: {', '.join(map(str, given))}", sys.stderr)
    else:
        say("similarity: no scaffold found for this exercise (exercises/NN_*.py); code the "
            "students were given counts as their own: pass --scaffold PATH", sys.stderr)
    # Only the files as they were before any child ran: one changed on disk since (a
    # submission running without namespaces can write its classmates' files) is left out.
    now = snapshot([r.path or r.submission for r in results])
    paths = [p for p, digest in now.items() if digest is not None and before.get(p) == digest]
    problems = [f"similarity: {clean(p, 300)} changed on disk while grading; left out of "
                "the report" for p, digest in now.items() if before.get(p) != digest]
    pairs = similarity_report(paths, out, scaffold=given)
    for p in pairs[:3]:
        say(f"similarity: {p.similarity:6.1%}  {p.submission_a}  {p.submission_b}",
            sys.stderr)
    say(f"similarity: {len(pairs)} pair(s) in {Path(out) / 'pairs.csv'}, "
        f"side by side in {Path(out) / 'report.html'}", sys.stderr)
    return problems


def snapshot(paths: list[str]) -> dict[str, str | None]:
    """Each path's SHA-256, or None for what is not a regular file (a link, a folder,
    nothing): what the similarity report may read, as it was."""
    found: dict[str, str | None] = {}
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            found[path] = None
            continue
        with os.fdopen(fd, "rb") as f:
            regular = stat.S_ISREG(os.fstat(f.fileno()).st_mode)
            found[path] = hashlib.sha256(f.read()).hexdigest() if regular else None
    return found

