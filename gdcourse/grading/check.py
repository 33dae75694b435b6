"""``check(...)``: the public checks of an exercise, run right in the notebook or script.

    from gdcourse.grading import check
    check("02")                 # every task, found by name in your notebook
    check("02", fit_linear)     # only the checks of fit_linear (this object is used)

It prints one line per check with its points and, for each failure, what was expected and
what came; a function that still raises NotImplementedError is "not attempted yet". The
checks ship inside gdcourse (no files, no network) and take the grader's path: same
probes, same plain-data answers, same judges, and the same reading of your code
(``policy.scan``) on the cells of this notebook or file. At grading time the inputs are
drawn afresh (``check`` keeps fixed ones, so its hints repeat) and hidden checks run too.
Nothing here starts a process or touches the sandbox.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ..errors import InvalidArgumentError
from . import wire
from .policy import ANY, rules_of, scan
from .registry import child_inputs, get_exercise, make_inputs
from .results import SubmissionResult, judge
from .runtime import run_probe

__all__ = ["check"]


def check(exercise: str | int, *tasks, quiet: bool = False,
          namespace: dict | None = None) -> SubmissionResult | None:
    """Run the public checks of ``exercise`` on your code and print the result.

    Args:
        exercise: the exercise id, e.g. "02".
        *tasks: optional functions/classes (or their names) to check alone; objects given
            here are used instead of what the notebook defines under that name.
        quiet: return the result without printing.
        namespace: where to find your functions (default: the caller's globals).

    Returns:
        A result with ``.score``, ``.max_score`` and ``.checks`` (None while the grader
        itself runs the notebook: the grader runs its own checks).

    Raises:
        InvalidArgumentError: an unknown exercise id, or a task that is not in it.

    >>> check("02", quiet=True, namespace={}).score
    0.0
    """
    if os.environ.get("GDCOURSE_GRADER_CHILD"):
        return None
    ex = get_exercise(exercise)
    caller = sys._getframe(1).f_globals if namespace is None else namespace
    ns = dict(caller)
    wanted = set()
    for task in tasks:
        name = task if isinstance(task, str) else getattr(task, "__name__", repr(task))
        if name not in ex.tasks:
            raise InvalidArgumentError(
                f"{name!r} is not a task of exercise {ex.id}; its tasks are "
                f"{', '.join(ex.tasks)}")
        if not isinstance(task, str):
            ns[name] = task
        wanted.add(name)
    checks = [c for c in ex.checks if not wanted or c.task in wanted]
    # The grader's reading of the code, told before hand-in: what it refuses scores 0.
    verdicts = scan(your_cells(ns, ex.tasks, list(wanted)), rules_of(ex))
    refused: dict[str, list[str]] = verdicts["tasks"]
    if verdicts["any"]:
        refused = {**refused, ANY: verdicts["any"]}
    records, inputs = {}, []
    for i, c in enumerate(checks):
        full = make_inputs(c)
        inputs.append(wire.from_plain(wire.to_plain(full)))
        if ANY in refused or c.task in refused:
            records[i] = {"status": "forbidden", "message": refused.get(c.task, refused.get(
                ANY, [""]))[0]}
            continue
        records[i] = run_probe(ex.probes[c.probe], ns,
                               wire.from_plain(wire.to_plain(child_inputs(full))),
                               limit=c.time_limit, interactive=True)
    notes = [f"{'every task' if task == ANY else task} will score 0 when graded: {why}"
             for task, whys in refused.items() for why in whys]
    from dataclasses import replace

    checked = judge(replace(ex, checks=checks), records, inputs)
    result = SubmissionResult("your code", ex.id, checked, notes)
    if not quiet:
        _print(ex, result, partial=bool(wanted))
        for note in notes:
            print("  ! " + note)
    return result


def your_cells(ns: dict, tasks: list[str], given: list[str]) -> list[str]:
    """The source the grader will read: the script's file; else the notebook's cells as run
    (IPython's ``In``, a redefined function counted once, at its last definition); else
    every cell that defined one of the objects in ``ns`` (from ``linecache``)."""
    path = ns.get("__file__")
    if isinstance(path, str) and path.endswith((".py", ".ipynb")) and os.path.isfile(path):
        from .cells import read_cells

        try:
            return read_cells(path)[0]
        except InvalidArgumentError:
            pass
    history = ns.get("In")
    if isinstance(history, list) and history and all(isinstance(c, str) for c in history):
        return _latest(history)
    return _defining_cells([ns.get(n) for n in dict.fromkeys([*tasks, *given, *ns])])


def _latest(history: list[str]) -> list[str]:
    """Cells as run, without the definitions a later cell replaced."""
    import ast

    parsed: list[tuple[str, list[ast.stmt] | None]] = []
    for source in history:
        try:
            parsed.append((source, ast.parse(source).body))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            parsed.append((source, None))
    last: dict[str, int] = {}
    for i, (_, body) in enumerate(parsed):
        for stmt in body or []:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                last[stmt.name] = i
    cells = []
    for i, (source, body) in enumerate(parsed):
        if body is None:
            cells.append(source)
            continue
        kept = [ast.get_source_segment(source, stmt) or "" for stmt in body
                if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                or last.get(stmt.name) == i]
        cells.append("\n".join(kept) + "\n")
    return [c for c in cells if c.strip()]


def _defining_cells(objects: list[Any]) -> list[str]:
    import linecache

    files: dict[str, None] = {}
    for obj in objects:
        for fn in [obj, *(vars(obj).values() if isinstance(obj, type) else ())]:
            code = getattr(fn, "__code__", None)
            name = getattr(code, "co_filename", "")
            if isinstance(name, str) and name.startswith("<"):
                files[name] = None
    return ["".join(linecache.getlines(f)) for f in files if linecache.getlines(f)]


def _print(ex, result: SubmissionResult, *, partial: bool) -> None:
    from .outputs.report import format_checks

    scope = "public checks" + (" of " + ", ".join(sorted({c.task for c in result.checks}))
                               if partial else "")
    print(f"Exercise {ex.id}: {ex.title} ({scope})")
    print(format_checks(result.checks))
    todo = sum(c.status == "not attempted" for c in result.checks)
    done = "all passed" if result.score == result.max_score else (
        f"{todo} not attempted yet" if todo else "see the hints above")
    print(f"Public score: {result.score:g}/{result.max_score:g} ({done}).")
    print("At grading time your notebook runs top to bottom in a fresh process, on inputs "
          "drawn afresh,\nand hidden checks run too, so passing these is necessary but not a "
          "guarantee.")
