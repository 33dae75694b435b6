"""Exercise 01: MSE, grid search, and gradients by hand (public checks).

Tasks: ``mse(preds, targets)``, ``grid_search(x, y, ws) -> (best_w, losses)`` for the
model y = w x, ``grad_by_hand(w, x, y)`` = dL/dw and ``grad_line_by_hand(params, x, y)`` =
[dL/da, dL/db] for y = a x + b. Oracles: ``F.mse_loss`` and ``torch.func.grad``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data.tables import BELT_CM, BELT_IN  # the one copy of the belt table
from .compare import close, close_each
from .registry import Check, Exercise, Verdict, call

__all__ = ["EXERCISE", "BELT_IN", "BELT_CM", "oracle_losses", "oracle_grad",
           "oracle_line_grad"]

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


def _belts():
    return torch.tensor(BELT_IN, dtype=torch.float64), torch.tensor(BELT_CM, dtype=torch.float64)


def _mse_inputs():
    gen = torch.Generator().manual_seed(10)
    x_in, y_cm = _belts()
    return {"calls": [call("mse", torch.randn(7, generator=gen, dtype=torch.float64),
                           torch.randn(7, generator=gen, dtype=torch.float64)),
                      call("mse", 1.5 * x_in, y_cm),
                      call("mse", y_cm, y_cm)]}


def judge_mse(out, inputs) -> Verdict:
    return close_each(out, inputs["calls"], F.mse_loss, what="mse", rtol=1e-7)


def _grid_inputs(seed: int | None = None):
    x, y = _belts()
    return call("grid_search", x, y, torch.linspace(0.0, 5.0, 50, dtype=torch.float64))


def judge_grid_losses(out, inputs) -> Verdict:
    if not isinstance(out, list) or len(out) != 2:
        return Verdict(False, "grid_search should return a pair (best_w, losses)")
    return close(out[1], oracle_losses(*inputs["args"]), what="losses", rtol=1e-6)


def judge_grid_best(out, inputs) -> Verdict:
    if not isinstance(out, list) or len(out) != 2:
        return Verdict(False, "grid_search should return a pair (best_w, losses)")
    x, y, ws = inputs["args"]
    return close(out[0], ws[oracle_losses(x, y, ws).argmin()], what="best_w", rtol=1e-7)


def _grad_inputs():
    x, y = _belts()
    return {"calls": [call("grad_by_hand", w, x, y) for w in (1.5, 2.54, 3.0)]}


def judge_grad(out, inputs) -> Verdict:
    return close_each(out, inputs["calls"], oracle_grad, what=lambda w, x, y: f"dL/dw at w={w}",
                      rtol=1e-6)


def _line_inputs():
    gen = torch.Generator().manual_seed(12)
    x = torch.randn(30, generator=gen, dtype=torch.float64)
    y = 0.8 * x - 1.2 + 0.1 * torch.randn(30, generator=gen, dtype=torch.float64)
    return {"calls": [call("grad_line_by_hand", torch.tensor(p, dtype=torch.float64), x, y)
                      for p in ([0.0, 0.0], [2.0, -3.0], [0.8, -1.2])]}


def judge_line(out, inputs) -> Verdict:
    return close_each(out, inputs["calls"], oracle_line_grad,
                      what=lambda params, x, y: f"[dL/da, dL/db] at {params.tolist()}",
                      rtol=1e-6, atol=1e-9)


EXERCISE = Exercise(
    id="01",
    title="MSE, grid search and a gradient by hand",
    tasks=["mse", "grid_search", "grad_by_hand", "grad_line_by_hand"],
    checks=[
        Check("mse matches torch's mean squared error", "mse", 1, _mse_inputs, judge_mse,
              probe="calls"),
        Check("grid_search returns the loss of every multiplier", "grid_search", 1,
              _grid_inputs, judge_grid_losses),
        Check("grid_search picks the multiplier with the smallest loss", "grid_search", 1,
              _grid_inputs, judge_grid_best),
        Check("grad_by_hand matches torch.func.grad", "grad_by_hand", 2, _grad_inputs,
              judge_grad, probe="calls"),
        Check("grad_line_by_hand matches torch.func.grad", "grad_line_by_hand", 2,
              _line_inputs, judge_line, probe="calls"),
    ],
)
