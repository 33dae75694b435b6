"""The autograder: public checks students run in a notebook, and an instructor's grader.

Students::

    from gdcourse.grading import check
    check("02")               # prints each public check with points and hints

Instructors (or ``gdcourse grade``)::

    from gdcourse.grading import grade
    results = grade(["alice.ipynb", "bob.py"], hidden="exercises/hidden", jobs=2)

Every check is a probe (runs the student's code on inputs the grader chose, returns plain
data) and a judge (compares that data with an oracle, in the grader). The folders say who
runs what::

    check, registry, runtime, cells, policy, wire, results, safetext    the student side
    exercises/   one module per exercise: tasks, rules, input makers, probes (a child's)
    judges/      one module per exercise: oracles, judges, checks (never in a child)
    sandbox/     how a submission is boxed in: process, child, zygote, confine, ...
    outputs/     report, export, roster, gradescope
    runner, cli, scaffold                                                the instructor's

Importing this package (or ``check``) starts nothing and imports no sandbox module; the
grader is imported on first use of ``grade``.
"""

from typing import Any

from .check import check
from .registry import Check, Exercise, Verdict, call, exercise_ids, get_exercise, load_hidden
from .results import CheckResult, SubmissionResult

__all__ = ["check", "grade", "Check", "CheckResult", "Exercise", "SubmissionResult",
           "Verdict", "call", "exercise_ids", "get_exercise", "load_hidden"]


def __getattr__(name: str) -> Any:
    if name == "grade":          # the instructor's side, with its sandbox, on first use
        from .runner import grade

        return grade
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
