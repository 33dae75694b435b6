"""Exercise 05: logistic regression with sigmoid and binary cross-entropy (declaration).

Tasks: ``sigmoid(z)``, ``bce(probs, y)``, ``predict_proba(X, params)`` = sigmoid(X @ w + b)
with ``params = [w_1, ..., w_D, b]``, and ``fit_logistic(X, y, *, lr, steps, seed)``. Two
Gaussian blobs are drawn from a seed.
"""

from __future__ import annotations

import torch

from ..registry import call

__all__ = ["TITLE", "TASKS", "make_blobs", "sigmoid_inputs", "bce_inputs", "proba_inputs",
           "descent_inputs", "fit_inputs"]

TITLE = "logistic regression on two blobs"
TASKS = ("sigmoid", "bce", "predict_proba", "fit_logistic")


def make_blobs(n: int, *, seed: int, sep: float = 1.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Two 2-D Gaussian blobs (unit variance) centred at -sep and +sep; labels 0/1."""
    gen = torch.Generator().manual_seed(seed)
    y = (torch.arange(n) % 2).to(torch.float32)
    X = torch.randn(n, 2, generator=gen) + (2 * y[:, None] - 1) * sep
    return X, y


def _shift(seed: int, base: int) -> int:
    return (base + 7919 * seed) % 2**31


def sigmoid_inputs(seed: int) -> dict:
    z = torch.linspace(-30, 30, 25, dtype=torch.float64)
    if seed:
        z = z + torch.rand(25, generator=torch.Generator().manual_seed(seed),
                           dtype=torch.float64)
    return call("sigmoid", torch.cat([z, torch.tensor([-1000.0, 1000.0],
                                                      dtype=torch.float64)]))


def bce_inputs(seed: int) -> dict:
    gen = torch.Generator().manual_seed(_shift(seed, 51))
    probs = torch.rand(40, generator=gen, dtype=torch.float64) * 0.98 + 0.01
    y = (torch.rand(40, generator=gen) > 0.5).double()
    return {"calls": [call("bce", probs, y), call("bce", torch.tensor([0.9, 0.2]),
                                                  torch.tensor([1.0, 0.0]))]}


def proba_inputs(seed: int) -> dict:
    gen = torch.Generator().manual_seed(_shift(seed, 52))
    params = (torch.tensor([1.0, -2.0, 0.5, 0.25], dtype=torch.float64) if not seed
              else torch.randn(4, generator=gen, dtype=torch.float64))
    return call("predict_proba", torch.randn(8, 3, generator=gen, dtype=torch.float64), params)


def descent_inputs(seed: int) -> dict:
    X, y = make_blobs(60, seed=_shift(seed, 53))
    return call("fit_logistic", X, y, lr=1.0, steps=5, seed=_shift(seed, 3) % 10_000)


def fit_inputs(seed: int) -> dict:
    X, y = make_blobs(200, seed=_shift(seed, 22))
    if seed:
        # A fresh draw may separate the blobs (then no finite optimum exists): the point
        # deepest in each blob changes sides, so none does.
        depth = X.sum(1)                                  # (N, 2) -> (N,)
        y = y.clone()
        y[torch.argmax(torch.where(y == 1, depth, -torch.inf))] = 0.0
        y[torch.argmin(torch.where(y == 0, depth, torch.inf))] = 1.0
    return call("fit_logistic", X, y, lr=1.0, steps=300, seed=_shift(seed, 0) % 10_000)
