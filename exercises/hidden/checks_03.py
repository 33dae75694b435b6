"""Hidden checks for exercise 03 (an example for instructors; keep your real ones private)."""

from gdcourse.grading import Check
from gdcourse.grading.exercises.trees import B, C, X, Y
from gdcourse.grading.judges.ex03 import judge_derivative, judge_shrinks, judge_val

EXERCISE = "03"
PTS = [-1.5, -0.25, 0.0, 0.75, 2.0]


def _deriv():
    f = B("/", B("-", B("**", X, C(3)), B("*", C(2), X)), B("+", B("*", X, X), C(1)))
    g = B("**", B("-", C(1), B("*", X, Y)), C(4))
    return {"items": [{"task": "d", "tree": t, "x": "x", "_points": PTS,
                       "_env": {"x": 0.5, "y": 0.3}} for t in (f, g)]}


def _val():
    return {"items": [{"task": "val", "tree": B("/", B("-", X, Y), B("**", Y, C(2))),
                       "_env": {"x": 3.0, "y": -2.0}, "env": {"x": 3.0, "y": -2.0}}]}


def _shrink():
    raw = B("-", B("*", B("+", C(0), C(1)), B("**", X, C(1))), B("/", C(0), X))
    return {"items": [{"task": "simplify", "tree": raw}]}


CHECKS = [
    Check("val of a quotient of a difference", "val", 1, _val, judge_val, "exprs"),
    Check("d of a rational function and a power of a product", "d", 2, _deriv,
          judge_derivative, "exprs"),
    Check("simplify of another raw expression", "simplify", 1, _shrink, judge_shrinks,
          "exprs"),
]
