"""Exercise 03: derivative rules and ``val`` for -, /, **, and a simplifier (declaration).

Expressions cross the process boundary as plain trees (``trees.py``). The probe rebuilds a
tree with the student's classes (``Const``, ``Sym``, ``Log``, ``BinOp``), calls their
``val``/``d``/``simplify`` and turns the answer back into postfix tokens; the grader judges
every returned tree by its values (``judges/ex03.py``), whatever form it takes.
"""

from __future__ import annotations

import random

from ..registry import Rule, lookup
from .trees import MAX_NODES, B, C, X, Y, walk

__all__ = ["TITLE", "TASKS", "RULES", "SHARED", "PROBES", "expr_probe", "exprs_probe",
           "val_inputs", "d_inputs", "simplify_inputs", "raw_inputs"]

TITLE = "derivative rules, val and a simplifier"
TASKS = ("val", "d", "simplify")
SHARED = ("Const", "Sym", "Log", "BinOp")
RULES = (Rule("exercise 03 asks for it from scratch",
              apis=("gdcourse.scratch.symbolic", "gdcourse.scratch._symbolic_expr",
                    "gdcourse.scratch._symbolic_simplify", "sympy"),
              attributes=("symbolic", "_symbolic_expr", "_symbolic_simplify")),)


def _build(tree, ns):
    Const, Sym, Log, BinOp = (lookup(ns, n) for n in SHARED)

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
    Const, Sym, Log, BinOp = (lookup(ns, n) for n in SHARED)
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


PROBES = {"exprs": exprs_probe}

# --- inputs: the public draw (seed 0) and, at grading time, renamed symbols and new numbers

PTS = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.5, 3.0]
POS = [0.25, 0.5, 1.0, 1.7, 3.0]
_x2 = B("*", X, X)
DERIV = {
    "difference": [(B("-", _x2, B("*", C(3), X)), "x", PTS), (B("-", X, Y), "y", PTS)],
    "quotient": [(B("/", X, B("+", _x2, C(1))), "x", PTS), (B("/", C(1), X), "x", POS),
                 (B("/", X, Y), "y", POS)],
    "constant power": [(B("**", X, C(3)), "x", PTS),
                       (B("**", B("+", _x2, C(1)), C(-2)), "x", PTS)],
    "variable power": [(B("**", C(2), X), "x", PTS), (B("**", X, X), "x", POS)],
}
VAL = {"-": [B("-", X, Y), B("-", C(3), B("*", X, Y)), B("-", B("-", X, Y), B("-", Y, X))],
       "/": [B("/", X, Y), B("/", C(1), B("+", X, Y)), B("/", B("/", X, Y), C(4))],
       "**": [B("**", X, C(3)), B("**", X, Y), B("**", C(2), X)]}
SIMPLE = [B("+", B("*", X, C(1)), C(0)), B("+", B("*", C(0), X), Y), B("**", X, C(1)),
          B("-", X, C(0)), B("/", X, C(1)), B("**", X, C(0)), B("*", C(1), B("+", X, C(0)))]
FOLD = [B("+", B("*", C(2), C(3)), C(4)), B("*", B("**", C(2), C(3)), X),
        B("*", X, B("+", C(1), C(1)))]
# d(3 x^2 + 2 x + 1)/dx as the product and power rules first write it.
RAW_DERIVATIVE = B("+", B("+", B("+", B("*", C(0), B("**", X, C(2))),
                                  B("*", C(3), B("*", B("*", C(2), B("**", X, C(1))), C(1)))),
                           B("+", B("*", C(0), X), B("*", C(2), C(1)))), C(0))
_NAMES = ("x", "y", "u", "v", "w", "t", "z", "a", "b")


def _renamer(seed: int):
    """Symbol names for this draw: x and y for the public one, two others otherwise."""
    names = {"x": "x", "y": "y"}
    if seed:
        names = dict(zip(("x", "y"), random.Random(seed).sample(_NAMES, 2)))

    def rename(tree):
        return walk(tree, lambda node, args: ["sym", names[node[1]]] if node[0] == "sym"
                    else [node[0], *args] if args else node)
    return rename, names


def _numbers(seed: int, base: list[float], low: float, high: float) -> list[float]:
    if not seed:
        return base
    rng = random.Random(seed * 31 + len(base))
    return sorted(round(rng.uniform(low, high), 3) for _ in base)


def val_inputs(op: str):
    def make(seed: int) -> dict:
        rename, names = _renamer(seed)
        rng = random.Random(seed)
        env = ({"x": 1.5, "y": -0.75} if op != "**" else {"x": 1.5, "y": 2.5}) if not seed \
            else {"x": round(rng.uniform(0.5, 2.0), 3), "y": round(rng.uniform(
                0.5 if op in ("**", "/") else -2.0, 2.5), 3)}
        return {"items": [{"task": "val", "tree": rename(t),
                           "env": {names[k]: v for k, v in env.items()}} for t in VAL[op]]}
    return make


def d_inputs(kind: str):
    def make(seed: int) -> dict:
        rename, names = _renamer(seed)
        rng = random.Random(seed)
        env = {"x": 1.3, "y": 1.7} if not seed else {
            "x": round(rng.uniform(0.5, 2.0), 3), "y": round(rng.uniform(0.5, 2.0), 3)}
        return {"items": [{"task": "d", "tree": rename(t), "x": names[var],
                           "_points": _numbers(seed, pts, min(pts), max(pts)),
                           "_env": {names[k]: v for k, v in env.items()}}
                          for t, var, pts in DERIV[kind]]}
    return make


def simplify_inputs(trees: list):
    def make(seed: int) -> dict:
        rename, _ = _renamer(seed)
        return {"items": [{"task": "simplify", "tree": rename(t)} for t in trees]}
    return make


def raw_inputs(seed: int) -> dict:
    rename, _ = _renamer(seed)
    tree = RAW_DERIVATIVE
    if seed:      # another polynomial a x^2 + b x + c, written the same raw way
        rng = random.Random(seed)
        a, b = rng.randint(2, 9), rng.randint(2, 9)
        tree = B("+", B("+", B("+", B("*", C(0), B("**", X, C(2))),
                               B("*", C(a), B("*", B("*", C(2), B("**", X, C(1))), C(1)))),
                        B("+", B("*", C(0), X), B("*", C(b), C(1)))), C(0))
    return {"items": [{"task": "simplify", "tree": rename(tree)}]}
