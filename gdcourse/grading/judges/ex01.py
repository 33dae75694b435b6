"""Exercise 01's judges: oracles ``F.mse_loss`` and ``torch.func.grad``, and its checks."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..exercises.ex01 import grad_inputs, grid_inputs, line_inputs, mse_inputs
from ..registry import Check, Verdict
from .compare import close, close_each

__all__ = ["CHECKS", "oracle_losses", "oracle_grad", "oracle_line_grad"]


def _mse(preds, targets):
    return ((preds - targets) ** 2).mean()


def oracle_losses(x, y, ws) -> torch.Tensor:
    """MSE of y ~ w x for every w of the grid: (W, 1) * (1, N) -> (W, N) -> (W,)."""
    x, y, ws = (t.to(torch.float64) for t in (x, y, ws))
    return ((ws[:, None] * x[None, :] - y[None, :]) ** 2).mean(dim=1)


def oracle_grad(w, x, y) -> torch.Tensor:
    """dL/dw of L(w) = mean((w x - y)^2), by torch.func.grad in float64."""
    x, y = x.to(torch.float64), y.to(torch.float64)
    return torch.func.grad(lambda w_: _mse(w_ * x, y))(torch.tensor(float(w),
                                                                      dtype=torch.float64))


def oracle_line_grad(params, x, y) -> torch.Tensor:
    """[dL/da, dL/db] of L = mean((a x + b - y)^2), by torch.func.grad in float64."""
    x, y = x.to(torch.float64), y.to(torch.float64)
    return torch.func.grad(lambda p: _mse(p[0] * x + p[1], y))(params.to(torch.float64))


def judge_mse(out, inputs) -> Verdict:
    return close_each(out, inputs["calls"], F.mse_loss, what="mse", rtol=1e-7)


def _pair(out) -> Verdict | None:
    if not isinstance(out, list) or len(out) != 2:
        return Verdict(False, "grid_search should return a pair (best_w, losses)")
    return None


def judge_grid_losses(out, inputs) -> Verdict:
    return _pair(out) or close(out[1], oracle_losses(*inputs["args"]), what="losses",
                               rtol=1e-6)


def judge_grid_best(out, inputs) -> Verdict:
    x, y, ws = inputs["args"]
    return _pair(out) or close(out[0], ws[oracle_losses(x, y, ws).argmin()], what="best_w",
                               rtol=1e-7)


def judge_grad(out, inputs) -> Verdict:
    return close_each(out, inputs["calls"], oracle_grad, what=lambda w, x, y: f"dL/dw at w={w}",
                      rtol=1e-6)


def judge_line(out, inputs) -> Verdict:
    return close_each(out, inputs["calls"], oracle_line_grad,
                      what=lambda params, x, y: f"[dL/da, dL/db] at {params.tolist()}",
                      rtol=1e-6, atol=1e-9)


CHECKS = [
    Check("mse matches torch's mean squared error", "mse", 1, mse_inputs, judge_mse,
          probe="calls"),
    Check("grid_search returns the loss of every multiplier", "grid_search", 1, grid_inputs,
          judge_grid_losses),
    Check("grid_search picks the multiplier with the smallest loss", "grid_search", 1,
          grid_inputs, judge_grid_best),
    Check("grad_by_hand matches torch.func.grad", "grad_by_hand", 2, grad_inputs, judge_grad,
          probe="calls"),
    Check("grad_line_by_hand matches torch.func.grad", "grad_line_by_hand", 2, line_inputs,
          judge_line, probe="calls"),
]
