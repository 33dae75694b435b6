"""Exercise 05: logistic regression with sigmoid and binary cross-entropy (public checks).

Tasks: ``sigmoid(z)``, ``bce(probs, y)``, ``predict_proba(X, params)`` = sigmoid(X @ w + b)
with ``params = [w_1, ..., w_D, b]``, and ``fit_logistic(X, y, *, lr, steps, seed)``.
Oracles: ``torch.sigmoid``, ``F.binary_cross_entropy``, the same descent steps taken
here, and the exact optimum by Newton's method in float64. Two Gaussian blobs are drawn
here with a fixed seed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .compare import PASS, as_tensor, close, close_each, descend_from_seed, descent_judge, describe
from .registry import Check, Exercise, Verdict, call

__all__ = ["EXERCISE", "make_blobs", "oracle_descent", "oracle_optimum"]


def make_blobs(n: int, *, seed: int, sep: float = 1.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Two 2-D Gaussian blobs (unit variance) centred at -sep and +sep; labels 0/1."""
    gen = torch.Generator().manual_seed(seed)
    y = (torch.arange(n) % 2).to(torch.float32)
    X = torch.randn(n, 2, generator=gen) + (2 * y[:, None] - 1) * sep
    return X, y


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


judge_descent = descent_judge(oracle_descent)


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


def _sigmoid_inputs():
    z = torch.cat([torch.linspace(-30, 30, 25, dtype=torch.float64),
                   torch.tensor([-1000.0, 1000.0], dtype=torch.float64)])
    return call("sigmoid", z)


def _bce_inputs():
    gen = torch.Generator().manual_seed(51)
    probs = torch.rand(40, generator=gen, dtype=torch.float64) * 0.98 + 0.01
    y = (torch.rand(40, generator=gen) > 0.5).double()
    return {"calls": [call("bce", probs, y), call("bce", torch.tensor([0.9, 0.2]),
                                                  torch.tensor([1.0, 0.0]))]}


def _proba_inputs():
    gen = torch.Generator().manual_seed(52)
    return call("predict_proba", torch.randn(8, 3, generator=gen, dtype=torch.float64),
                torch.tensor([1.0, -2.0, 0.5, 0.25], dtype=torch.float64))


def _descent_inputs():
    X, y = make_blobs(60, seed=53)
    return call("fit_logistic", X, y, lr=1.0, steps=5, seed=3)


def _fit_inputs():
    X, y = make_blobs(200, seed=22)
    return call("fit_logistic", X, y, lr=1.0, steps=300, seed=0)


EXERCISE = Exercise(
    id="05",
    title="logistic regression on two blobs",
    tasks=["sigmoid", "bce", "predict_proba", "fit_logistic"],
    checks=[
        Check("sigmoid matches torch.sigmoid, also at -1000 and 1000", "sigmoid", 1,
              _sigmoid_inputs, judge_sigmoid),
        Check("bce matches torch's binary cross-entropy", "bce", 1, _bce_inputs, judge_bce,
              probe="calls"),
        Check("predict_proba computes sigmoid(X @ w + b)", "predict_proba", 1, _proba_inputs,
              judge_proba),
        Check("fit_logistic takes exactly the gradient-descent steps", "fit_logistic", 2,
              _descent_inputs, judge_descent),
        Check("fit_logistic separates the blobs (accuracy and loss targets)", "fit_logistic",
              2, _fit_inputs, judge_fit),
    ],
)
