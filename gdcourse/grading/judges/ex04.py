"""Exercise 04's judges: torch's functions and autograd in float64, and its checks."""

from __future__ import annotations

import torch

from ..exercises.ex04 import MIXED, OPS, POSITIVE, composite_inputs, unary_inputs
from ..registry import Check, Verdict
from .compare import PASS, close

__all__ = ["CHECKS", "TORCH_OPS", "oracle_composite", "value_and_grad_judge"]

TORCH_OPS = {"exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


def oracle_composite(x: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(torch.tanh(x) * torch.exp(0.5 * x)) + torch.log(x * x + 1)


def value_and_grad_judge(fn):
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


CHECKS = [
    *(Check(f"{fn}: value and gradient match torch", fn, 1,
            unary_inputs(fn, POSITIVE if fn == "log" else MIXED),
            value_and_grad_judge(TORCH_OPS[fn]), "unary") for fn in OPS),
    Check("sigmoid stays finite and exact at x = -800 and 800", "sigmoid", 1,
          unary_inputs("sigmoid", [-800.0, -40.0, 40.0, 800.0]),
          value_and_grad_judge(torch.sigmoid), "unary"),
    Check("gradients flow through a composition of all four", "sigmoid", 2, composite_inputs,
          value_and_grad_judge(oracle_composite), "composite"),
]
