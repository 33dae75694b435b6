"""Exercise 03's judges: every returned tree is evaluated here in float64 and compared with
torch autograd on the original expression; the simplifier's yardstick is
``exprs.reference_simplify``, the rules the exercise asks for."""

from __future__ import annotations

import torch

from ..exercises.ex03 import FOLD, SIMPLE, d_inputs, raw_inputs, simplify_inputs, val_inputs
from ..exercises.trees import walk
from ..registry import Check, Verdict
from .compare import PASS, close, each
from .exprs import evaluate, from_postfix, reference_simplify, show, size

__all__ = ["CHECKS", "judge_val", "judge_derivative", "judge_identities", "judge_shrinks"]


def _symbols(tree) -> set[str]:
    found: set[str] = set()
    walk(tree, lambda node, args: found.add(node[1]) if node[0] == "sym" else None)
    return found


def judge_val(out, inputs) -> Verdict:
    for got, item in each(out, inputs["items"]):
        expected = evaluate(item["tree"], item["env"])
        verdict = close(got, expected, what=f"val of {show(item['tree'])}", rtol=1e-9)
        if not verdict.passed:
            return verdict
    return PASS


def judge_derivative(out, inputs) -> Verdict:
    """Values of the returned derivative vs torch autograd, point by point."""
    for got, item in each(out, inputs["items"]):
        var, points = item["x"], torch.as_tensor(item["_points"], dtype=torch.float64)
        for p in points.tolist():
            env = {**item["_env"], var: torch.tensor(p, dtype=torch.float64,
                                                    requires_grad=True)}
            (expected,) = torch.autograd.grad(evaluate(item["tree"], env), env[var])
            value = evaluate(from_postfix(got), {**env, var: torch.tensor(p,
                                                                           dtype=torch.float64)})
            verdict = close(value, expected, what=f"d/d{var} of {show(item['tree'])} at "
                            f"{var}={p:g}", rtol=1e-7, atol=1e-9)
            if not verdict.passed:
                return verdict
    return PASS


def judge_identities(out, inputs) -> Verdict:
    """The exact tree the rules give (``reference_simplify``), computed here."""
    for got, item in each(out, inputs["items"]):
        tree, want = from_postfix(got), reference_simplify(item["tree"])
        if tree != want:
            return Verdict(False, f"simplify({show(item['tree'])}): expected {show(want)}, "
                                  f"got {show(tree)}")
    return PASS


def judge_shrinks(out, inputs) -> Verdict:
    points = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)
    for got, item in each(out, inputs["items"]):
        tree = from_postfix(got)
        env = {s: points for s in _symbols(item["tree"]) | _symbols(tree)}
        verdict = close(evaluate(tree, env) + 0 * points, evaluate(item["tree"], env)
                        + 0 * points, what=f"simplified {show(item['tree'])}", rtol=1e-9,
                        atol=1e-9)
        if not verdict.passed:
            return verdict
        target = size(reference_simplify(item["tree"]))
        if size(tree) > target:
            return Verdict(False, f"simplify({show(item['tree'])}) has {size(tree)} nodes; "
                                  f"the rules of the exercise get it down to {target}")
    return PASS


CHECKS = [
    Check("val handles subtraction", "val", 1, val_inputs("-"), judge_val, "exprs"),
    Check("val handles division", "val", 1, val_inputs("/"), judge_val, "exprs"),
    Check("val handles powers", "val", 1, val_inputs("**"), judge_val, "exprs"),
    Check("d of a difference", "d", 1, d_inputs("difference"), judge_derivative, "exprs"),
    Check("d of a quotient (quotient rule)", "d", 2, d_inputs("quotient"), judge_derivative,
          "exprs"),
    Check("d of x**n, also at x <= 0 (power rule)", "d", 2, d_inputs("constant power"),
          judge_derivative, "exprs"),
    Check("d of a power with the variable in the exponent", "d", 1,
          d_inputs("variable power"), judge_derivative, "exprs"),
    Check("simplify removes + 0, * 1, * 0, - 0, / 1, ** 1, ** 0", "simplify", 2,
          simplify_inputs(SIMPLE), judge_identities, "exprs"),
    Check("simplify folds constants", "simplify", 1, simplify_inputs(FOLD), judge_identities,
          "exprs"),
    Check("simplify keeps the value and shrinks a raw derivative", "simplify", 2, raw_inputs,
          judge_shrinks, "exprs"),
]
