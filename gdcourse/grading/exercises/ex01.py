"""Exercise 01: MSE, grid search, and gradients by hand (declaration, input makers).

Tasks: ``mse(preds, targets)``, ``grid_search(x, y, ws) -> (best_w, losses)`` for the
model y = w x, ``grad_by_hand(w, x, y)`` = dL/dw and ``grad_line_by_hand(params, x, y)`` =
[dL/da, dL/db] for y = a x + b. The two gradient tasks are "by hand": no autograd, no
``.backward()``, no ``torch.func`` (those are what the answer is compared with).
"""

from __future__ import annotations

import torch

from ...data.tables import BELT_CM, BELT_IN  # the one copy of the belt table
from ..registry import Rule, call

__all__ = ["TITLE", "TASKS", "RULES", "belts", "mse_inputs", "grid_inputs", "grad_inputs",
           "line_inputs"]

TITLE = "MSE, grid search and a gradient by hand"
TASKS = ("mse", "grid_search", "grad_by_hand", "grad_line_by_hand")
BY_HAND = ("grad_by_hand", "grad_line_by_hand")
RULES = (Rule("exercise 01 asks for this gradient by hand (no autograd)",
              apis=("torch.autograd", "torch.func", "functorch", "torch.Tensor.backward"),
              attributes=("backward", "autograd", "grad", "vjp", "jvp", "jacrev", "jacfwd",
                          "hessian", "jacobian", "vmap", "grad_fn", "register_hook",
                          # the library's loops, which take their gradients by autograd
                          "apply_step", "train", "lr_sweep", "fast_forward", "FastForward"),
              tasks=BY_HAND),)


def _gen(seed: int, base: int) -> torch.Generator:
    return torch.Generator().manual_seed(base + 7919 * seed)


def belts(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The belt table (inches, cm) in float64; another seed jitters both columns."""
    x = torch.tensor(BELT_IN, dtype=torch.float64)
    y = torch.tensor(BELT_CM, dtype=torch.float64)
    if seed:
        gen = _gen(seed, 0)
        x = x + torch.randn(len(x), generator=gen, dtype=torch.float64)
        y = y + 2 * torch.randn(len(y), generator=gen, dtype=torch.float64)
    return x, y


def mse_inputs(seed: int) -> dict:
    gen = _gen(seed, 10)
    x_in, y_cm = belts(seed)
    scale = 1.5 if not seed else 1.0 + torch.rand((), generator=gen).item()
    return {"calls": [call("mse", torch.randn(7, generator=gen, dtype=torch.float64),
                           torch.randn(7, generator=gen, dtype=torch.float64)),
                      call("mse", scale * x_in, y_cm),
                      call("mse", y_cm, y_cm)]}


def grid_inputs(seed: int) -> dict:
    x, y = belts(seed)
    top = 5.0 if not seed else 4.0 + 2.0 * torch.rand((), generator=_gen(seed, 11)).item()
    return call("grid_search", x, y, torch.linspace(0.0, top, 50, dtype=torch.float64))


def grad_inputs(seed: int) -> dict:
    x, y = belts(seed)
    ws = (1.5, 2.54, 3.0) if not seed else tuple(
        round(v, 4) for v in (1.0 + 2.5 * torch.rand(3, generator=_gen(seed, 13))).tolist())
    return {"calls": [call("grad_by_hand", w, x, y) for w in ws]}


def line_inputs(seed: int) -> dict:
    gen = _gen(seed, 12)
    x = torch.randn(30, generator=gen, dtype=torch.float64)
    y = 0.8 * x - 1.2 + 0.1 * torch.randn(30, generator=gen, dtype=torch.float64)
    points = ([0.0, 0.0], [2.0, -3.0], [0.8, -1.2]) if not seed else (
        [0.0, 0.0], *(2 * torch.randn(2, 2, generator=gen, dtype=torch.float64)).tolist())
    return {"calls": [call("grad_line_by_hand", torch.tensor(p, dtype=torch.float64), x, y)
                      for p in points]}
