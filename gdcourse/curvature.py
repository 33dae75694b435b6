"""How curved is the loss? The largest Hessian eigenvalue and the lr it allows.

Plain gradient descent on a quadratic loss L(theta) = 1/2 theta^T H theta - b^T theta + c
multiplies the error along each eigenvector of H by (1 - lr * lambda_i) per step, so it
converges exactly when |1 - lr * lambda_i| < 1 for every i, that is when

    lr < 2 / lambda_max.

Near a minimum every smooth loss looks quadratic, so 2 / lambda_max at the current params is
the local stability limit. For any model, ``lambda_max`` comes from power iteration on
Hessian-vector products (two backward passes each), never forming the Hessian. For a model
linear in its params (preds = X theta) the MSE is exactly quadratic, its Hessian is the
constant (2/N) X^T X, and :func:`mse_hessian` and :func:`stable_lr_limit` give both exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from ._types import LossFn, Model, Params
from ._validate import as_param_list, check_tensor, check_unit
from .errors import InvalidArgumentError
from .recipe import mse

__all__ = ["max_hessian_eigenvalue", "max_stable_lr", "momentum_factor", "mse_hessian",
           "stable_lr_limit"]


def max_hessian_eigenvalue(
    f: Model, params: Params, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn | None = None,
    *, iters: int = 500, rtol: float = 1e-10, seed: int = 0,
) -> float:
    """The largest-magnitude eigenvalue of the Hessian of ``loss_fn(f(x, params), y)``.

    Power iteration, computed in float64:

        v_0 random unit vector
        w_k = H v_k                      # Hessian-vector product by double backward
        lambda_k = v_k . w_k             # Rayleigh quotient
        v_{k+1} = w_k / |w_k|

    stopping when lambda_k changes by less than ``rtol`` relative.

    Args:
        f: the model, called as ``f(x, params)``.
        params: a tensor or a list of tensors (not modified).
        x, y: the data the loss is measured on.
        loss_fn: ``loss_fn(preds, y)``; defaults to :func:`gdcourse.mse`.
        iters: the most power-iteration steps.
        rtol: relative change of lambda that counts as converged.
        seed: seeds the random start vector (on the CPU, so every device agrees).

    >>> import torch
    >>> t = torch.tensor([0., 1., 2.]); p = torch.zeros(2)
    >>> round(max_hessian_eigenvalue(lambda x, p: p[0] * x + p[1], p, t, t), 4)
    4.7749
    """
    found = _hessian_vector_product(f, params, x, y, loss_fn, seed)
    return 0.0 if found is None else _power_iteration(*found, iters=iters, rtol=rtol)


_Vectors = list[torch.Tensor]


def _hessian_vector_product(f: Model, params: Params, x: torch.Tensor, y: torch.Tensor,
                            loss_fn: LossFn | None, seed: int,
                            ) -> tuple[Callable[[_Vectors], _Vectors], _Vectors] | None:
    """(v -> H v, a random start v) at params in float64; None when H = 0."""
    loss_fn = mse if loss_fn is None else loss_fn
    leaves = [p.detach().to(torch.float64).requires_grad_() for p in as_param_list(params)]
    x = check_tensor(x, name="x")
    y = check_tensor(y, name="y")
    x64 = x.to(torch.float64) if x.is_floating_point() else x
    y64 = y.to(torch.float64) if y.is_floating_point() else y
    single = isinstance(params, torch.Tensor)
    loss = loss_fn(f(x64, leaves[0] if single else leaves), y64)
    grads = torch.autograd.grad(loss, leaves, create_graph=True)
    if not any(g.requires_grad for g in grads):
        return None  # the loss is linear in params: no curvature at all

    def hvp(v: _Vectors) -> _Vectors:
        hv = torch.autograd.grad(grads, leaves, grad_outputs=v, retain_graph=True,
                                 allow_unused=True)
        return [torch.zeros_like(vi) if h is None else h for h, vi in zip(hv, v)]

    gen = torch.Generator().manual_seed(seed)
    v = [torch.randn(p.shape, generator=gen, dtype=torch.float64).to(p.device) for p in leaves]
    return hvp, v


def _power_iteration(hvp: Callable[[_Vectors], _Vectors], v: _Vectors, *, iters: int,
                     rtol: float, shift: float = 0.0) -> float:
    """The largest-magnitude eigenvalue of H - shift I, plus shift."""
    lam = 0.0
    for _ in range(iters):
        norm = torch.sqrt(_dot(v, v))
        v = [vi / norm for vi in v]
        hv = [h - shift * vi for h, vi in zip(hvp(v), v)]
        if float(torch.sqrt(_dot(hv, hv))) == 0.0:
            return shift
        new_lam = float(_dot(v, hv))
        converged = abs(new_lam - lam) <= rtol * abs(new_lam)
        lam, v = new_lam, hv
        if converged:
            break
    return lam + shift


def _dot(a: _Vectors, b: _Vectors) -> torch.Tensor:
    """sum_i a_i . b_i over the params tensors, as a 0-d tensor."""
    total = (a[0] * b[0]).sum()
    for ai, bi in zip(a[1:], b[1:]):
        total = total + (ai * bi).sum()
    return total


def max_stable_lr(f: Model, params: Params, x: torch.Tensor, y: torch.Tensor,
                  loss_fn: LossFn | None = None, *, iters: int = 500, rtol: float = 1e-10,
                  seed: int = 0) -> float:
    """The largest learning rate plain gradient descent tolerates at ``params``: 2 / lambda_max.

    Exact for losses quadratic in params (MSE of a model linear in its parameters, such as
    the lecture's quadratic); a local estimate otherwise. lambda_max is the largest
    *positive* eigenvalue: where the largest-magnitude one is negative (near a saddle), a
    second power iteration on H - lambda I finds it. ``iters``, ``rtol`` and ``seed`` are
    those of :func:`max_hessian_eigenvalue`.

    >>> import torch
    >>> t = torch.tensor([0., 1., 2.]); p = torch.zeros(2)
    >>> round(max_stable_lr(lambda x, p: p[0] * x + p[1], p, t, t), 4)
    0.4189

    Raises:
        InvalidArgumentError: when the Hessian has no positive curvature (any lr "works").
    """
    found = _hessian_vector_product(f, params, x, y, loss_fn, seed)
    lam = 0.0 if found is None else _power_iteration(*found, iters=iters, rtol=rtol)
    if found is not None and lam < 0:
        # The largest-magnitude eigenvalue is negative (a saddle or a maximum). Descent is
        # limited by the largest *positive* one: the top eigenvalue of H - lam I, which is
        # positive semi-definite, plus lam.
        lam = _power_iteration(*found, iters=iters, rtol=rtol, shift=lam)
    if lam <= 0:
        raise InvalidArgumentError(
            f"the loss has no positive curvature at these params (lambda_max = {lam:.3g}), "
            "so no learning rate limit follows from it"
        )
    return 2.0 / lam


def mse_hessian(X: torch.Tensor) -> torch.Tensor:
    """The exact Hessian of the MSE of a linear model preds = X theta: (2/N) X^T X.

    Args:
        X: the design matrix, shape (N, P), on any device.

    Returns:
        The (P, P) Hessian in float64 on the CPU (exact, and possible on every device).
    """
    X = X.detach().to(device="cpu", dtype=torch.float64)  # (N, P)
    n, p = X.shape
    if p <= 16:
        # sum_n x_n x_n^T elementwise: for a small P, BLAS does not pay off, and on a busy
        # 2-core machine its threaded small products wait for a descheduled thread.
        return 2.0 / n * (X[:, :, None] * X[:, None, :]).sum(0)  # (N, P, P) -> (P, P)
    return 2.0 / n * X.mT @ X  # (P, N) @ (N, P) -> (P, P)


def stable_lr_limit(H: torch.Tensor | np.ndarray, momentum: float = 0.0) -> float:
    """The largest stable lr for descent on a quadratic with Hessian H: 2 (1 + mu) / lambda_max.

    Plain descent (mu = 0) is stable when |1 - lr lambda| < 1 for every eigenvalue lambda;
    heavy-ball momentum widens that by :func:`momentum_factor`.

    >>> stable_lr_limit(torch.diag(torch.tensor([1.0, 4.0])))
    0.5
    """
    H = torch.as_tensor(H, dtype=torch.float64).cpu()
    lam = float(torch.linalg.eigvalsh(H)[-1])
    return 2.0 * momentum_factor(momentum) / lam if lam > 0 else math.inf


def momentum_factor(momentum: float = 0.0, *, dampening: float = 0.0,
                    nesterov: bool = False) -> float:
    """How far SGD with momentum may go past plain descent's limit: lr < factor * 2 / lambda.

    On a quadratic, heavy ball (v <- mu v + (1 - dampening) g, theta <- theta - lr v) is
    stable for lr lambda < 2 (1 + mu) / (1 - dampening); Nesterov for
    lr lambda < 2 (1 + mu) / (1 + 2 mu), which never reaches plain descent's limit.

    >>> momentum_factor(0.9), round(momentum_factor(0.9, nesterov=True), 4)
    (1.9, 0.6786)
    """
    mu = check_unit(momentum, name="momentum")
    dampening = check_unit(dampening, name="dampening", closed=True)
    if nesterov:
        return (1 + mu) / (1 + 2 * mu)
    if not mu:
        return 1.0
    if dampening == 1:
        return math.inf  # only the first gradient ever enters the buffer
    return (1 + mu) / (1 - dampening)
