"""Hidden checks for exercise 05 (an example for instructors; keep your real ones private)."""

from gdcourse.grading import Check, call
from gdcourse.grading.judges.ex05 import judge_descent, judge_fit, make_blobs

EXERCISE = "05"


def _closer_blobs():
    X, y = make_blobs(300, seed=501, sep=1.2)
    return call("fit_logistic", X, y, lr=1.0, steps=400, seed=4)


def _one_step():
    X, y = make_blobs(30, seed=502)
    return call("fit_logistic", X, y, lr=0.3, steps=1, seed=9)


CHECKS = [
    Check("fit_logistic with a single step", "fit_logistic", 1, _one_step, judge_descent),
    Check("fit_logistic on closer blobs", "fit_logistic", 2, _closer_blobs, judge_fit),
]
