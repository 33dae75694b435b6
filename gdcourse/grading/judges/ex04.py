"""Exercise 04: Scalar ops exp, log, tanh, sigmoid with their local gradients (public checks).

The scaffold gives a minimal reverse-mode ``Scalar`` (value, grad, parents with local
gradients, backward). Students write ``exp``, ``log``, ``tanh`` and ``sigmoid``, each
returning a Scalar that records d(out)/d(in). The probe calls them on parent-chosen numbers,
runs ``backward`` and sends back (value, grad) pairs; the grader compares with torch's
functions and autograd in float64.
"""

from __future__ import annotations

import torch

from .compare import PASS, close
from .registry import Check, Exercise, Verdict, lookup

__all__ = ["EXERCISE", "OPS", "unary_probe", "composite_probe", "oracle_composite"]

OPS = {"exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


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


def oracle_composite(x: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(torch.tanh(x) * torch.exp(0.5 * x)) + torch.log(x * x + 1)


def _judge(fn):
    def judge(out, inputs) -> Verdict:
        values = torch.tensor(inputs["values"], dtype=torch.float64, requires_grad=True)
        expected = fn(values)
        (grads,) = torch.autograd.grad(expected.sum(), values)
        name = inputs.get("fn", "f")
        if not isinstance(out, list) or len(out) != len(values):
            return Verdict(False, f"expected {len(values)} (value, grad) pairs")
        got = torch.tensor(out, dtype=torch.float64)
        for column, want, what in ((0, expected, "value"), (1, grads, "grad")):
            for i, v in enumerate(inputs["values"]):
                verdict = close(got[i, column], want[i].detach(),
                                what=f"{name}({v:g}).{what}" if what == "value" else
                                f"x.grad of {name} at x={v:g}", rtol=1e-9, atol=1e-12)
                if not verdict.passed:
                    return verdict
        return PASS
    return judge


def _unary(fn, values):
    return lambda: {"fn": fn, "values": values}


MIXED = [-3.0, -0.5, 0.0, 0.7, 2.5]
POSITIVE = [0.1, 0.5, 1.0, 2.0, 10.0]
EXERCISE = Exercise(
    id="04",
    title="Scalar ops with their local gradients",
    tasks=["exp", "log", "tanh", "sigmoid"],
    probes={"unary": unary_probe, "composite": composite_probe},
    checks=[
        *(Check(f"{fn}: value and gradient match torch", fn, 1,
                _unary(fn, POSITIVE if fn == "log" else MIXED), _judge(OPS[fn]), "unary")
          for fn in OPS),
        Check("sigmoid stays finite and exact at x = -800 and 800", "sigmoid", 1,
              _unary("sigmoid", [-800.0, -40.0, 40.0, 800.0]), _judge(torch.sigmoid),
              "unary"),
        Check("gradients flow through a composition of all four", "sigmoid", 2,
              lambda: {"values": [-1.2, 0.3, 1.9]}, _judge(oracle_composite), "composite"),
    ],
)
