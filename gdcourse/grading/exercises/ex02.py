"""Exercise 02: linear regression theta . x + theta_0 with the seven steps (declaration).

Tasks: ``linear(X, params)`` and ``fit_linear(X, y, *, lr, steps, seed)``, where
``params = [theta_1, ..., theta_D, theta_0]`` has shape (D + 1,). ``fit_linear`` takes
gradient-descent steps: a solver (least squares, a linear solve, an inverse) is not one.
"""

from __future__ import annotations

import torch

from ..registry import Rule, call

__all__ = ["TITLE", "TASKS", "RULES", "make_regression", "linear_inputs",
           "linear_many_inputs", "descent_inputs", "converge_inputs"]

TITLE = "linear regression with the seven steps"
TASKS = ("linear", "fit_linear")
SOLVERS = ("lstsq", "solve", "solve_ex", "pinv", "pinverse", "inv", "inv_ex", "inverse",
           "cholesky_solve", "triangular_solve", "solve_triangular", "lu_solve", "lu_factor",
           "cholesky", "qr", "svd", "eigh", "tensorsolve", "tensorinv", "normal_equations",
           "cholesky_inverse", "cholesky_ex", "ldl_solve", "geqrf", "ormqr", "gels",
           # the library's own closed forms: least squares, and gradient descent fast-forwarded
           "least_squares", "fit_quadratic", "fast_forward", "FastForward")
RULES = (Rule("exercise 02 asks for gradient descent, not a solver",
              apis=("scipy", "sklearn", "statsmodels"),
              attributes=SOLVERS, tasks=("fit_linear",)),)


def make_regression(n: int, d: int, *, seed: int, noise: float = 0.3,
                    dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """X (n, d) with standardized columns and y = X @ w + b + noise, from ``seed``."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    X = (X - X.mean(0)) / X.std(0)
    w = torch.randn(d, generator=gen, dtype=torch.float64) * 2
    b = torch.randn((), generator=gen, dtype=torch.float64) * 3
    y = X @ w + b + noise * torch.randn(n, generator=gen, dtype=torch.float64)
    return X.to(dtype), y.to(dtype)


def _shift(seed: int, base: int) -> int:
    return (base + 7919 * seed) % 2**31


def linear_inputs(seed: int) -> dict:
    gen = torch.Generator().manual_seed(_shift(seed, 2))
    X = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    params = (torch.tensor([0.5, -1.0, 2.0, 0.25], dtype=torch.float64) if not seed
              else torch.randn(4, generator=gen, dtype=torch.float64))
    return call("linear", X, params)


def linear_many_inputs(seed: int) -> dict:
    gen = torch.Generator().manual_seed(_shift(seed, 3))
    return {"calls": [call("linear", torch.randn(5, d, generator=gen),
                           torch.randn(d + 1, generator=gen)) for d in (1, 7)]}


def descent_inputs(seed: int) -> dict:
    X, y = make_regression(40, 3, seed=_shift(seed, 11))
    return call("fit_linear", X, y, lr=0.05, steps=3, seed=_shift(seed, 7) % 10_000)


def converge_inputs(seed: int) -> dict:
    X, y = make_regression(200, 3, seed=_shift(seed, 12))
    return call("fit_linear", X, y, lr=0.1, steps=300, seed=_shift(seed, 0) % 10_000)
