"""Which of a student's files to grade, and the sentence that says which and why.

    path, said = choose_submission("/autograder/submission", "02")
    # said: "Graded 02_linear_regression_done.py, chosen from 2 files (it has work in the
    #        tasks; every task in 02_linear_regression.ipynb is still the scaffold's, ...)"

A Gradescope upload is a folder of whatever the student dragged in: the notebook, a copy of
it, the untouched scaffold, a stray ``.py``. Exactly one file is graded. A file whose tasks
are all still as the scaffold left them (``untouched``: read with ``ast``, never run) never
wins over one with work in it; after that, names and declarations decide. Used by
``gradescope.main`` for every upload.
"""

from __future__ import annotations

import ast
import os
import re
import stat
from pathlib import Path

from ..cells import read_cells
from ..registry import get_exercise, normalize_id
from ..safetext import clean

__all__ = ["choose_submission", "untouched"]

_SKIPPED_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}


def _declares(path: Path, ex_id: str) -> bool:
    try:
        declared = read_cells(path)[1]
        return declared is not None and normalize_id(declared) == ex_id
    except Exception:   # unreadable or odd: just not a reason to prefer it
        return False


def _stub(body: list[ast.stmt]) -> bool:
    """A body as the scaffold leaves it: a docstring, then nothing, ``pass``, ``...`` or
    ``raise NotImplementedError(...)``."""
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    for node in body:
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if not (isinstance(exc, ast.Name) and exc.id == "NotImplementedError"):
                return False
        elif not (isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(
                node.value, ast.Constant) and node.value.value is Ellipsis)):
            return False
    return True


def untouched(path: str | Path, tasks: set[str]) -> bool:
    """Whether ``path`` holds no work on ``tasks``: every task it defines (a function, or a
    class with all its methods) is still a stub, or it defines none. Read, never run; a cell
    that does not parse is someone's edit (the scaffold parses), so it counts as work."""
    try:
        cells = read_cells(path)[0]
    except Exception:   # the grader will say why it cannot read it; not a reason to skip it
        return False
    for source in cells:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return False
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in tasks:
                if not _stub(node.body):
                    return False
            elif isinstance(node, ast.ClassDef) and node.name in tasks:
                if any(not _stub(m.body) for m in node.body
                       if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)):
                    return False
    return True


def choose_submission(folder: str | Path, ex_id: str) -> tuple[Path | None, str]:
    """The file to grade among what the student uploaded, and a sentence saying which
    and why. Preferred, in order: a file with work in the exercise's tasks over one whose
    tasks are all still the scaffold's (``untouched``), a name starting with the exercise
    id (``02_...``), a file that declares the exercise (``check("02")``), a notebook over a
    script, a file nearer the top, then by name. Links and hidden files are never chosen."""
    folder = Path(folder)
    found: list[Path] = []
    others: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = clean(path.relative_to(folder).as_posix(), 200)
            is_file = stat.S_ISREG(os.lstat(path).st_mode)
            if name.startswith(".") or not is_file or path.suffix not in (".ipynb", ".py"):
                others.append(rel)
            else:
                found.append(path)
    if not found:
        seen = f" (found: {', '.join(others[:10])})" if others else ""
        return None, (f"No .ipynb or .py file in your upload{seen}. Upload your notebook "
                      f"for exercise {ex_id}, e.g. {ex_id}_....ipynb.")
    prefix = re.compile(rf"(ex(ercise)?[ _-]?)?0*{int(ex_id) if ex_id.isdigit() else ex_id}"
                        r"(?!\d)", re.IGNORECASE)
    tasks = set(get_exercise(ex_id).tasks)
    stubs = {p for p in found if len(found) > 1 and untouched(p, tasks)}

    def rank(path: Path) -> tuple[bool, bool, bool, bool, int, str]:
        return (path in stubs, not prefix.match(path.name), not _declares(path, ex_id),
                path.suffix != ".ipynb", len(path.relative_to(folder).parts),
                path.name.lower())

    ranked = sorted(found, key=rank)
    chosen = ranked[0]
    name = clean(chosen.relative_to(folder).as_posix(), 200)
    if len(ranked) == 1:
        return chosen, f"Graded {name}."
    left = [clean(p.relative_to(folder).as_posix(), 200) for p in ranked if p in stubs]
    work = (f"it has work in the tasks; every task in {', '.join(left[:3])} is still the "
            "scaffold's") if left and chosen not in stubs else ""
    why = [w for w, ok in ((work, work),
                           (f"its name starts with {ex_id}", prefix.match(chosen.name)),
                           (f"it declares exercise {ex_id}", _declares(chosen, ex_id)),
                           ("it is a notebook", chosen.suffix == ".ipynb")) if ok]
    skipped = ", ".join(clean(p.relative_to(folder).as_posix(), 200) for p in ranked[1:10])
    skipped += f" and {len(ranked) - 10} more" if len(ranked) > 10 else ""
    return chosen, (f"Graded {name}, chosen from {len(ranked)} files"
                    f"{' (' + ', '.join(why) + ')' if why else ''}; not graded: {skipped}.")

