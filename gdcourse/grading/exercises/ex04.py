"""Exercise 04: Scalar ops exp, log, tanh, sigmoid with their local gradients (declaration).

The scaffold gives a minimal reverse-mode ``Scalar`` (value, grad, parents with local
gradients, backward). Students write ``exp``, ``log``, ``tanh`` and ``sigmoid``, each
returning a Scalar that records d(out)/d(in). The probes call them on grader-chosen numbers,
run ``backward`` and send back (value, grad) pairs; ``judges/ex04.py`` compares them with
torch's functions and autograd in float64.
"""

from __future__ import annotations

import random

from ..registry import Rule, lookup

__all__ = ["TITLE", "TASKS", "RULES", "SHARED", "PROBES", "OPS", "unary_probe",
           "composite_probe", "unary_inputs", "composite_inputs", "MIXED", "POSITIVE"]

TITLE = "Scalar ops with their local gradients"
TASKS = ("exp", "log", "tanh", "sigmoid")
OPS = TASKS
SHARED = ("Scalar",)
RULES = (Rule("exercise 04 asks for it from scratch", apis=("gdcourse.scratch",),
              attributes=("scratch",)),)


def _value_and_grad(out, x) -> list[float]:
    value = getattr(out, "value", None)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"expected a Scalar with a float .value, got {type(out).__name__}")
    return [float(value), float(x.grad)]


def unary_probe(ns: dict, *, fn: str, values: list[float]) -> list[list[float]]:
    """For each v: x = Scalar(v); out = fn(x); out.backward() -> [out.value, x.grad]."""
    Scalar, f = lookup(ns, "Scalar"), lookup(ns, fn)
    pairs = []
    for v in values:
        x = Scalar(v)
        out = f(x)
        out.backward()
        pairs.append(_value_and_grad(out, x))
    return pairs


def composite_probe(ns: dict, *, values: list[float]) -> list[list[float]]:
    """f(x) = sigmoid(tanh(x) * exp(0.5 x)) + log(x * x + 1), built from the student's ops."""
    Scalar = lookup(ns, "Scalar")
    exp, log, tanh, sigmoid = (lookup(ns, n) for n in ("exp", "log", "tanh", "sigmoid"))
    pairs = []
    for v in values:
        x = Scalar(v)
        out = sigmoid(tanh(x) * exp(x * 0.5)) + log(x * x + 1.0)
        out.backward()
        pairs.append(_value_and_grad(out, x))
    return pairs


PROBES = {"unary": unary_probe, "composite": composite_probe}
MIXED = [-3.0, -0.5, 0.0, 0.7, 2.5]
POSITIVE = [0.1, 0.5, 1.0, 2.0, 10.0]


def _draw(seed: int, base: list[float], low: float, high: float) -> list[float]:
    if not seed:
        return base
    rng = random.Random(seed * 131 + len(base) + int(low))
    return [round(rng.uniform(low, high), 4) for _ in base]


def unary_inputs(fn: str, values: list[float]):
    def make(seed: int) -> dict:
        low, high = (0.05, 10.0) if min(values) > 0 else (min(values), max(values))
        drawn = values if abs(max(values)) >= 40 else _draw(seed, values, low, high)
        return {"fn": fn, "values": drawn}
    return make


def composite_inputs(seed: int) -> dict:
    return {"values": _draw(seed, [-1.2, 0.3, 1.9], -2.0, 2.0)}
