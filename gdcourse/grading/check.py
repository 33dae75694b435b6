"""``check(...)``: the public checks of an exercise, run right in the notebook or script.

    from gdcourse.grading import check
    check("02")                 # every task, found by name in your notebook
    check("02", fit_linear)     # only the checks of fit_linear (this object is used)

It prints one line per check with its points and, for each failure, what was expected and
what came; a function that still raises NotImplementedError is "not attempted yet". The
checks ship inside gdcourse (no files, no network) and take exactly the grader's path:
same inputs, same plain-data answers, same judges. Only the hidden checks differ.
"""

from __future__ import annotations

import os
import sys

from ..errors import InvalidArgumentError
from . import wire
from .policy import ANY, scan_namespace
from .registry import child_inputs, get_exercise
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
    ns = dict(sys._getframe(1).f_globals if namespace is None else namespace)
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
    from .registry import Exercise

    ex = Exercise(ex.id, ex.title, ex.tasks, checks, ex.probes)
    # The grader's policy, told before submitting: what a task may not use scores 0.
    refused, flags = scan_namespace(ns, ex.id)
    records, inputs = {}, []
    for i, c in enumerate(checks):
        full = c.inputs()
        inputs.append(wire.from_plain(wire.to_plain(full)))
        if c.task in refused:
            records[i] = {"status": "forbidden", "message": refused[c.task][0]}
            continue
        records[i] = run_probe(ex.probes[c.probe], ns,
                               wire.from_plain(wire.to_plain(child_inputs(full))),
                               limit=c.time_limit, interactive=True)
    notes = [f"{'every task' if task == ANY else task} will score 0: {why}"
             for task, whys in refused.items() for why in whys]
    checked = judge(ex, records, inputs)
    for done in checked if ANY in refused else []:
        if done.passed:           # as the grader will: what passed scores 0 all the same
            done.status, done.points, done.hint = "failed", 0.0, refused[ANY][0]
    result = SubmissionResult("your code", ex.id, checked, notes, flags=flags)
    if not quiet:
        _print(ex, result, partial=bool(wanted))
        for note in notes:
            print("  ! " + note)
        for flag in flags:
            print(f"  ? the grader will show your instructor: {flag}")
    return result


def _print(ex, result: SubmissionResult, *, partial: bool) -> None:
    from .report import format_checks

    scope = "public checks" + (" of " + ", ".join(sorted({c.task for c in result.checks}))
                               if partial else "")
    print(f"Exercise {ex.id}: {ex.title} ({scope})")
    print(format_checks(result.checks))
    todo = sum(c.status == "not attempted" for c in result.checks)
    done = "all passed" if result.score == result.max_score else (
        f"{todo} not attempted yet" if todo else "see the hints above")
    print(f"Public score: {result.score:g}/{result.max_score:g} ({done}).")
    print("At grading time your notebook runs top to bottom in a fresh process and hidden "
          "checks\nwith other inputs run too, so passing these is necessary but not a "
          "guarantee.")
