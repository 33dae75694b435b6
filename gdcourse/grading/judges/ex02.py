"""Exercise 02's judges: the formula in float64, the same descent steps taken here, least
squares; and its checks. A run whose loss grows (params -= lr * grad written with the
wrong sign) is named as an uphill step rather than left to a bare "expected, got"."""

from __future__ import annotations

import torch

from ..exercises.ex02 import (
    converge_inputs,
    descent_inputs,
    linear_inputs,
    linear_many_inputs,
    make_regression,
)
from ..registry import Check, Verdict
from .compare import as_tensor, close, close_each, descend_from_seed, descent_judge

__all__ = ["CHECKS", "make_regression", "oracle_linear", "oracle_descent",
           "oracle_least_squares", "judge_linear", "judge_linear_many", "judge_descent",
           "judge_converges"]

UPHILL = ("the loss grew: the update climbs the gradient; step against it, "
          "params -= lr * grad (not +=)")


def oracle_linear(X: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """preds = X @ theta + theta_0 in float64: (N, D) @ (D,) + () -> (N,)."""
    params = params.to(torch.float64)
    return X.to(torch.float64) @ params[:-1] + params[-1]


def _mse(X, y, p):
    return ((X @ p[:-1] + p[-1] - y) ** 2).mean()


def oracle_descent(X, y, *, lr: float, steps: int, seed: int) -> torch.Tensor:
    """The seven steps on the MSE from ``init_params(D + 1, seed=seed)``, in the inputs' dtype."""
    return descend_from_seed(_mse, X, y, lr=lr, steps=steps, seed=seed)


def oracle_least_squares(X, y) -> torch.Tensor:
    """The exact minimizer of the MSE, [theta, theta_0], by least squares in float64."""
    A = torch.cat([X.to(torch.float64), torch.ones(len(X), 1, dtype=torch.float64)], dim=1)
    return torch.linalg.lstsq(A, y.to(torch.float64).unsqueeze(-1)).solution.squeeze(-1)


def uphill(out, X, y, *, seed: int) -> bool:
    """Whether ``out`` has a larger loss than the starting params (or is not finite): the
    mark of steps taken up the gradient."""
    from ...recipe import init_params

    got = as_tensor(out)
    if got is None or got.shape != (X.shape[1] + 1,):
        return False
    X64, y64 = X.to(torch.float64), y.to(torch.float64)
    start = init_params(X.shape[1] + 1, seed=seed, dtype=torch.float64).detach()
    loss = _mse(X64, y64, got)
    return bool(not torch.isfinite(loss) or loss > _mse(X64, y64, start))


def judge_linear(out, inputs) -> Verdict:
    X, params = inputs["args"]
    return close(out, oracle_linear(X, params), what="preds", rtol=1e-5, atol=1e-6)


def judge_linear_many(out, inputs) -> Verdict:
    def what(X, params) -> str:
        d = X.shape[1]
        return f"with {d} feature{'s' * (d != 1)}, preds"

    return close_each(out, inputs["calls"], oracle_linear, what=what, rtol=1e-5, atol=1e-6)


_descent = descent_judge(oracle_descent)


def judge_descent(out, inputs) -> Verdict:
    verdict = _descent(out, inputs)
    X, y = inputs["args"]
    if not verdict.passed and uphill(out, X, y, seed=inputs["kwargs"]["seed"]):
        return Verdict(False, f"{verdict.hint}; {UPHILL}")
    return verdict


def judge_converges(out, inputs) -> Verdict:
    X, y = inputs["args"]
    verdict = close(out, oracle_least_squares(X, y), what="params", rtol=1e-3, atol=1e-3)
    if verdict.passed:
        return verdict
    k = inputs["kwargs"]
    if uphill(out, X, y, seed=k["seed"]):
        return Verdict(False, f"{verdict.hint} after {k['steps']} steps of lr={k['lr']}; "
                       f"{UPHILL}")
    return Verdict(False, f"{verdict.hint} after {k['steps']} steps of lr={k['lr']} (expected: "
                   "the least-squares fit); check the update params -= lr * grad and that "
                   "the gradient is cleared after each step")


CHECKS = [
    Check("linear computes X @ theta + theta_0", "linear", 1, linear_inputs, judge_linear),
    Check("linear works for 1 and for 7 features", "linear", 1, linear_many_inputs,
          judge_linear_many, probe="calls"),
    Check("fit_linear takes exactly the gradient-descent steps", "fit_linear", 2,
          descent_inputs, judge_descent),
    Check("fit_linear reaches the least-squares fit", "fit_linear", 2, converge_inputs,
          judge_converges),
]
