"""Hidden checks for exercise 02 (an example for instructors; keep your real ones private).

A hidden check reuses a probe of the exercise ("call": call the student's function) with
inputs students never saw, and a judge that runs in the grader. The helpers of
gdcourse.grading.judges.ex02 give the oracles.
"""

from gdcourse.grading import Check, call
from gdcourse.grading.judges.ex02 import (
    judge_converges,
    judge_descent,
    judge_linear,
    make_regression,
)

EXERCISE = "02"


def _five_features():
    X, y = make_regression(150, 5, seed=101, noise=0.5)
    return call("fit_linear", X, y, lr=0.05, steps=500, seed=3)


def _one_step():
    X, y = make_regression(25, 2, seed=102)
    return call("fit_linear", X, y, lr=0.3, steps=1, seed=5)


def _float64_inputs():
    X, _ = make_regression(9, 4, seed=103)
    import torch

    return call("linear", X.double(), torch.linspace(-1, 1, 5, dtype=torch.float64))


CHECKS = [
    Check("linear keeps float64 inputs exact", "linear", 1, _float64_inputs, judge_linear),
    Check("fit_linear with one step", "fit_linear", 1, _one_step, judge_descent),
    Check("fit_linear converges with 5 features", "fit_linear", 2, _five_features,
          judge_converges),
]
