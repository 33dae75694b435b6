"""Exercise 05's judges: ``torch.sigmoid``, ``F.binary_cross_entropy``, the same descent
steps taken here, and the exact optimum by Newton's method in float64; and its checks."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..exercises.ex05 import (
    bce_inputs,
    descent_inputs,
    fit_inputs,
    make_blobs,
    proba_inputs,
    sigmoid_inputs,
)
from ..registry import Check, Verdict
from .compare import PASS, as_tensor, close, close_each, descend_from_seed, descent_judge, describe

__all__ = ["CHECKS", "make_blobs", "oracle_descent", "oracle_optimum", "judge_descent",
           "judge_fit"]


def _proba(X, params):
    return torch.sigmoid(X @ params[:-1] + params[-1])


def oracle_descent(X, y, *, lr: float, steps: int, seed: int) -> torch.Tensor:
    """Gradient descent on the BCE from ``init_params(D + 1, seed=seed)``."""
    return descend_from_seed(lambda X, y, p: F.binary_cross_entropy(_proba(X, p), y), X, y,
                             lr=lr, steps=steps, seed=seed)


def oracle_optimum(X, y) -> tuple[torch.Tensor, float]:
    """The minimizer of the mean BCE and its loss, by Newton's method in float64."""
    A = torch.cat([X.double(), torch.ones(len(X), 1, dtype=torch.float64)], dim=1)
    t, w = y.double(), torch.zeros(A.shape[1], dtype=torch.float64)
    for _ in range(30):
        p = torch.sigmoid(A @ w)
        hessian = (A.T * (p * (1 - p))) @ A / len(t)  # (D+1, N) * (N,) @ (N, D+1)
        w = w - torch.linalg.solve(hessian, A.T @ (p - t) / len(t))
    return w, F.binary_cross_entropy(torch.sigmoid(A @ w), t).item()


def judge_sigmoid(out, inputs) -> Verdict:
    (z,) = inputs["args"]
    return close(out, torch.sigmoid(z), what="sigmoid(z)", rtol=1e-7, atol=1e-12)


def judge_bce(out, inputs) -> Verdict:
    return close_each(out, inputs["calls"], F.binary_cross_entropy, what="bce", rtol=1e-7)


def judge_proba(out, inputs) -> Verdict:
    X, params = inputs["args"]
    return close(out, _proba(X, params), what="probs", rtol=1e-7, atol=1e-12)


# Where a point saturates in float32, clamping inside bce (as the exercise asks) and
# torch's own clamp part ways by ~1e-4 after 5 steps; a wrong step is off by 1e-2.
judge_descent = descent_judge(oracle_descent, rtol=1e-3, atol=5e-4)


def judge_fit(out, inputs) -> Verdict:
    """Accuracy >= 95% and mean BCE within 0.005 of the optimum, computed here."""
    X, y = inputs["args"]
    params = as_tensor(out)
    if params is None or params.shape != (X.shape[1] + 1,):
        return Verdict(False, f"params: expected a tensor of shape ({X.shape[1] + 1},), got "
                              f"{describe(out)}")
    if not bool(torch.isfinite(params).all()):
        return Verdict(False, f"params contain nan or inf: {params.tolist()}; did the loss "
                              "take log(0)? clamp the probabilities inside bce")
    probs = _proba(X.double(), params)
    accuracy = ((probs > 0.5).double() == y.double()).double().mean().item()
    loss = F.binary_cross_entropy(probs.clamp(1e-12, 1 - 1e-12), y.double()).item()
    _, best = oracle_optimum(X, y)
    if not (accuracy >= 0.95 and loss <= best + 0.005):
        return Verdict(False, f"accuracy {accuracy:.1%} (target >= 95%) and loss {loss:.4f} "
                              f"(target <= {best + 0.005:.4f}, the optimum is {best:.4f})")
    return PASS


CHECKS = [
    Check("sigmoid matches torch.sigmoid, also at -1000 and 1000", "sigmoid", 1,
          sigmoid_inputs, judge_sigmoid),
    Check("bce matches torch's binary cross-entropy", "bce", 1, bce_inputs, judge_bce,
          probe="calls"),
    Check("predict_proba computes sigmoid(X @ w + b)", "predict_proba", 1, proba_inputs,
          judge_proba),
    Check("fit_logistic takes exactly the gradient-descent steps", "fit_logistic", 2,
          descent_inputs, judge_descent),
    Check("fit_logistic separates the blobs (accuracy and loss targets)", "fit_logistic", 2,
          fit_inputs, judge_fit),
]
