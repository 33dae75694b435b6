"""The autograder: public checks students run in a notebook, and an instructor's grader.

Students::

    from gdcourse.grading import check
    check("02")               # prints each public check with points and hints

Instructors (or ``gdcourse grade``)::

    from gdcourse.grading import grade
    results = grade(["alice.ipynb", "bob.py"], hidden="exercises/hidden", jobs=2)

Every check is a probe (runs the student's code on inputs the grader chose, returns plain
data) and a judge (compares that data with an oracle, in the grader). See ``registry.py``.
"""

from .feedback import check
from .registry import Check, Exercise, Verdict, call, exercise_ids, get_exercise, load_hidden
from .results import CheckResult, SubmissionResult
from .runner import grade

__all__ = ["check", "grade", "Check", "CheckResult", "Exercise", "SubmissionResult",
           "Verdict", "call", "exercise_ids", "get_exercise", "load_hidden"]
