"""Exercise 02: linear regression theta . x + theta_0 with the seven steps (public checks).

Tasks: ``linear(X, params)`` and ``fit_linear(X, y, *, lr, steps, seed)``, where
``params = [theta_1, ..., theta_D, theta_0]`` has shape (D + 1,). Oracles: the formula in
float64, the same gradient-descent steps taken here, and least squares.
"""

from __future__ import annotations

import torch

from .compare import close, close_each, descend_from_seed, descent_judge
from .registry import Check, Exercise, Verdict, call

__all__ = ["EXERCISE", "make_regression", "oracle_linear", "oracle_descent",
           "oracle_least_squares"]


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


def oracle_linear(X: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """preds = X @ theta + theta_0 in float64: (N, D) @ (D,) + () -> (N,)."""
    params = params.to(torch.float64)
    return X.to(torch.float64) @ params[:-1] + params[-1]


def oracle_descent(X, y, *, lr: float, steps: int, seed: int) -> torch.Tensor:
    """The seven steps on the MSE from ``init_params(D + 1, seed=seed)``, in the inputs' dtype."""
    return descend_from_seed(lambda X, y, p: ((X @ p[:-1] + p[-1] - y) ** 2).mean(), X, y,
                             lr=lr, steps=steps, seed=seed)


def oracle_least_squares(X, y) -> torch.Tensor:
    """The exact minimizer of the MSE, [theta, theta_0], by least squares in float64."""
    A = torch.cat([X.to(torch.float64), torch.ones(len(X), 1, dtype=torch.float64)], dim=1)
    return torch.linalg.lstsq(A, y.to(torch.float64).unsqueeze(-1)).solution.squeeze(-1)


def judge_linear(out, inputs) -> Verdict:
    X, params = inputs["args"]
    return close(out, oracle_linear(X, params), what="preds", rtol=1e-5, atol=1e-6)


def judge_linear_many(out, inputs) -> Verdict:
    def what(X, params) -> str:
        d = X.shape[1]
        return f"with {d} feature{'s' * (d != 1)}, preds"

    return close_each(out, inputs["calls"], oracle_linear, what=what, rtol=1e-5, atol=1e-6)


judge_descent = descent_judge(oracle_descent)


def judge_converges(out, inputs) -> Verdict:
    X, y = inputs["args"]
    best = oracle_least_squares(X, y)
    verdict = close(out, best, what="params", rtol=1e-3, atol=1e-3)
    if verdict.passed:
        return verdict
    k = inputs["kwargs"]
    return Verdict(False, f"{verdict.hint} after {k['steps']} steps of lr={k['lr']} (expected: "
                   "the least-squares fit); check the update params -= lr * grad and that "
                   "the gradient is cleared after each step")


def _linear_inputs():
    gen = torch.Generator().manual_seed(2)
    X = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    return call("linear", X, torch.tensor([0.5, -1.0, 2.0, 0.25], dtype=torch.float64))


def _linear_many_inputs():
    gen = torch.Generator().manual_seed(3)
    return {"calls": [call("linear", torch.randn(5, d, generator=gen),
                           torch.randn(d + 1, generator=gen)) for d in (1, 7)]}


def _descent_inputs():
    X, y = make_regression(40, 3, seed=11)
    return call("fit_linear", X, y, lr=0.05, steps=3, seed=7)


def _converge_inputs():
    X, y = make_regression(200, 3, seed=12)
    return call("fit_linear", X, y, lr=0.1, steps=300, seed=0)


EXERCISE = Exercise(
    id="02",
    title="linear regression with the seven steps",
    tasks=["linear", "fit_linear"],
    checks=[
        Check("linear computes X @ theta + theta_0", "linear", 1, _linear_inputs,
              judge_linear),
        Check("linear works for 1 and for 7 features", "linear", 1, _linear_many_inputs,
              judge_linear_many, probe="calls"),
        Check("fit_linear takes exactly the gradient-descent steps", "fit_linear", 2,
              _descent_inputs, judge_descent),
        Check("fit_linear reaches the least-squares fit", "fit_linear", 2, _converge_inputs,
              judge_converges),
    ],
)
