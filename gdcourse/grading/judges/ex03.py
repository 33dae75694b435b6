"""Exercise 03: derivative rules and ``val`` for -, /, **, and a simplifier (public checks).

Expressions cross the process boundary as plain trees::

    ["const", 2.0]   ["sym", "x"]   ["log", a]   [op, a, b]  with op in + - * / **

The probe rebuilds a tree with the student's classes (``Const``, ``Sym``, ``Log``,
``BinOp``), calls their ``val``/``d``/``simplify`` and turns the answer back into a tree.
The grader evaluates every returned tree itself, in float64 at many points, and compares
with torch autograd on the original expression, so a derivative is judged by its values,
whatever form it takes.
"""

from __future__ import annotations

import torch

from .compare import PASS, close, each
from .exprs import (
    MAX_NODES,
    B,
    C,
    X,
    Y,
    evaluate,
    from_postfix,
    reference_simplify,
    show,
    size,
    walk,
)
from .registry import Check, Exercise, Verdict, lookup

__all__ = ["EXERCISE", "expr_probe", "exprs_probe", "judge_val", "judge_derivative",
           "judge_identities", "judge_shrinks", "B", "C", "X", "Y"]


def _build(tree, ns):
    Const, Sym, Log, BinOp = (lookup(ns, n) for n in ("Const", "Sym", "Log", "BinOp"))

    def step(node, args):
        head = node[0]
        if head == "const":
            return Const(node[1])
        if head == "sym":
            return Sym(node[1])
        return Log(*args) if head == "log" else BinOp(head, *args)
    return walk(tree, step)


def _to_postfix(e, ns) -> list[list[str | float]]:
    """A student's expression (or a number) as postfix tokens, e.g. x*2 -> [["sym", "x"],
    ["const", 2.0], ["*"]]: flat, so any depth crosses the wire; iterative and capped."""
    Const, Sym, Log, BinOp = (lookup(ns, n) for n in ("Const", "Sym", "Log", "BinOp"))
    out: list[list[str | float]] = []
    stack = [(e, False)]
    while stack:
        node, done = stack.pop()
        if len(out) > MAX_NODES:
            raise ValueError(f"the expression has more than {MAX_NODES} nodes")
        if done:
            out.append(["log"] if isinstance(node, Log) else [str(node.op)])
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            out.append(["const", float(node)])
        elif isinstance(node, Const):
            out.append(["const", float(node.value)])
        elif isinstance(node, Sym):
            out.append(["sym", str(node.name)])
        elif isinstance(node, Log):
            stack.extend([(node, True), (node.a, False)])
        elif isinstance(node, BinOp):
            stack.extend([(node, True), (node.b, False), (node.a, False)])
        else:
            raise TypeError(f"expected an expression, got {type(node).__name__}")
    return out


def expr_probe(ns: dict, *, task: str, tree, x: str = "x", env: dict | None = None):
    """Build ``tree`` with the student's classes, apply ``val``/``d``/``simplify``."""
    e = _build(tree, ns)
    if task == "val":
        return float(lookup(ns, "val")(e, dict(env or {})))
    if task == "d":
        return _to_postfix(lookup(ns, "d")(e, x), ns)
    return _to_postfix(lookup(ns, "simplify")(e), ns)


def exprs_probe(ns: dict, *, items: list[dict]) -> list:
    """Several :func:`expr_probe` requests; their answers in order."""
    return [expr_probe(ns, **item) for item in items]


def _items(task: str, trees, **extra) -> dict:
    return {"items": [{"task": task, "tree": t, **extra} for t in trees]}


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
    for (got, item), want in zip(each(out, inputs["items"]), inputs["_expected"]):
        tree = from_postfix(got)
        if tree != want:
            return Verdict(False, f"simplify({show(item['tree'])}): expected {show(want)}, "
                                  f"got {show(tree)}")
    return PASS


def judge_shrinks(out, inputs) -> Verdict:
    points = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)
    for got, item in each(out, inputs["items"]):
        tree = from_postfix(got)
        verdict = close(evaluate(tree, {"x": points}) + 0 * points,
                        evaluate(item["tree"], {"x": points}) + 0 * points,
                        what=f"simplified {show(item['tree'])} at x", rtol=1e-9, atol=1e-9)
        if not verdict.passed:
            return verdict
        target = size(reference_simplify(item["tree"]))
        if size(tree) > target:
            return Verdict(False, f"simplify({show(item['tree'])}) has {size(tree)} nodes; "
                                  f"the rules of the exercise get it down to {target}")
    return PASS


PTS = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.5, 3.0]
POS = [0.25, 0.5, 1.0, 1.7, 3.0]
x2 = B("*", X, X)
DERIV = {
    "difference": [(B("-", x2, B("*", C(3), X)), "x", PTS), (B("-", X, Y), "y", PTS)],
    "quotient": [(B("/", X, B("+", x2, C(1))), "x", PTS), (B("/", C(1), X), "x", POS),
                 (B("/", X, Y), "y", POS)],
    "constant power": [(B("**", X, C(3)), "x", PTS),
                       (B("**", B("+", x2, C(1)), C(-2)), "x", PTS)],
    "variable power": [(B("**", C(2), X), "x", PTS), (B("**", X, X), "x", POS)],
}
SIMPLE = [(B("+", B("*", X, C(1)), C(0)), X), (B("+", B("*", C(0), X), Y), Y),
          (B("**", X, C(1)), X), (B("-", X, C(0)), X), (B("/", X, C(1)), X),
          (B("**", X, C(0)), C(1)), (B("*", C(1), B("+", X, C(0))), X)]
FOLD = [(B("+", B("*", C(2), C(3)), C(4)), C(10)),
        (B("*", B("**", C(2), C(3)), X), B("*", C(8), X)),
        (B("*", X, B("+", C(1), C(1))), B("*", X, C(2)))]
# d(3 x^2 + 2 x + 1)/dx as the product and power rules first write it.
RAW_DERIVATIVE = B("+", B("+", B("+", B("*", C(0), B("**", X, C(2))),
                                  B("*", C(3), B("*", B("*", C(2), B("**", X, C(1))), C(1)))),
                           B("+", B("*", C(0), X), B("*", C(2), C(1)))), C(0))


def _d_inputs(kind):
    def make():
        return {"items": [{"task": "d", "tree": t, "x": var, "_points": pts,
                           "_env": {"x": 1.3, "y": 1.7}} for t, var, pts in DERIV[kind]]}
    return make


def _val_inputs(op):
    trees = {"-": [B("-", X, Y), B("-", C(3), B("*", X, Y)), B("-", B("-", X, Y), B("-", Y, X))],
             "/": [B("/", X, Y), B("/", C(1), B("+", X, Y)), B("/", B("/", X, Y), C(4))],
             "**": [B("**", X, C(3)), B("**", X, Y), B("**", C(2), X)]}[op]
    return lambda: {"items": [{"task": "val", "tree": t, "env": {"x": 1.5, "y": -0.75}
                               if op != "**" else {"x": 1.5, "y": 2.5}} for t in trees]}


def _simplify_inputs(pairs):
    return lambda: {**_items("simplify", [p for p, _ in pairs]),
                    "_expected": [q for _, q in pairs]}


EXERCISE = Exercise(
    id="03",
    title="derivative rules, val and a simplifier",
    tasks=["val", "d", "simplify"],
    probes={"exprs": exprs_probe},
    checks=[
        Check("val handles subtraction", "val", 1, _val_inputs("-"), judge_val, "exprs"),
        Check("val handles division", "val", 1, _val_inputs("/"), judge_val, "exprs"),
        Check("val handles powers", "val", 1, _val_inputs("**"), judge_val, "exprs"),
        Check("d of a difference", "d", 1, _d_inputs("difference"), judge_derivative,
              "exprs"),
        Check("d of a quotient (quotient rule)", "d", 2, _d_inputs("quotient"),
              judge_derivative, "exprs"),
        Check("d of x**n, also at x <= 0 (power rule)", "d", 2, _d_inputs("constant power"),
              judge_derivative, "exprs"),
        Check("d of a power with the variable in the exponent", "d", 1,
              _d_inputs("variable power"), judge_derivative, "exprs"),
        Check("simplify removes + 0, * 1, * 0, - 0, / 1, ** 1, ** 0", "simplify", 2,
              _simplify_inputs(SIMPLE), judge_identities, "exprs"),
        Check("simplify folds constants", "simplify", 1, _simplify_inputs(FOLD),
              judge_identities, "exprs"),
        Check("simplify keeps the value and shrinks a raw derivative", "simplify", 2,
              lambda: _items("simplify", [RAW_DERIVATIVE]), judge_shrinks, "exprs"),
    ],
)
