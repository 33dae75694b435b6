"""Exact fast-forward: a million steps of gradient descent on a least-squares loss at once.

For a model linear in its parameters, preds = X theta (the lecture's quadratic has
X = [t^2, t, 1]), the MSE L(theta) = (1/N) |X theta - y|^2 has the gradient

    g(theta) = H theta - c,     H = (2/N) X^T X   (the Hessian),   c = (2/N) X^T y,

so one step of full-batch gradient descent is an affine map,

    theta_{k+1} = theta_k - lr g(theta_k) = A theta_k + b,     A = I - lr H,   b = lr c.

Appending a constant 1 makes it linear, z_k = [theta_k; 1] and z_{k+1} = M z_k with
M = [[A, b], [0, 1]], hence z_K = M^K z_0. M^K needs only log2(K) matrix squarings
(M^2, M^4, M^8, ...), so K = 1,000,000 steps cost about 20 products of 4x4 matrices.
Heavy-ball momentum in torch.optim.SGD's form (v_0 = 0),

    v_{k+1} = mu v_k + g(theta_k),      theta_{k+1} = theta_k - lr v_{k+1},

is linear in the stacked state z = [theta; v; 1] in the same way.

Everything runs in float64 on the CPU (the matrices are tiny). The arithmetic differs
from step-by-step descent only by rounding: the two agree to about 1e-12 relative after
100,000 steps of the lecture's problem.

    X = design_matrix_quadratic(t)
    run = fast_forward(X, y, params0, lr=1e-5, steps=1_000_000, at=range(0, 1_000_001, 200_000))
    run.losses          # the loss at steps 0, 200,000, ..., 1,000,000
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from ._validate import check_lr, check_same_length, check_steps, check_tensor, check_unit
from .curvature import mse_hessian, stable_lr_limit
from .errors import DivergenceError, InvalidArgumentError, ShapeError
from .history import History

__all__ = ["fast_forward", "FastForward"]


@dataclass
class FastForward:
    """The result of :func:`fast_forward`.

    Attributes:
        steps: the recorded steps, ascending (those of ``at`` up to ``n_steps``).
        params: params after each recorded step, shape (len(steps), P), float64.
        losses: the MSE of those params, shape (len(steps),), float64.
        final_params: params after the last step taken, shape (P,).
        final_loss: their MSE.
        n_steps: how many steps were taken (fewer than asked when ``target_loss`` stopped it).
        stop_reason: "steps" or "target_loss", as in :class:`~gdcourse.history.History`.
        lr, momentum: the hyper-parameters.
        elapsed: wall-clock seconds.
    """

    steps: list[int]
    params: torch.Tensor
    losses: torch.Tensor
    final_params: torch.Tensor
    final_loss: float
    n_steps: int
    stop_reason: str
    lr: float
    momentum: float
    elapsed: float

    def to_history(self) -> History:
        """The recorded losses as a :class:`~gdcourse.history.History` (for ``.plot()``)."""
        return History(steps=list(self.steps), losses=self.losses.tolist(),
                       n_steps=self.n_steps, stop_reason=self.stop_reason,
                       elapsed=self.elapsed, final_loss=self.final_loss)

    def __repr__(self) -> str:
        return (f"FastForward(n_steps={self.n_steps:,}, final_loss={self.final_loss:.6g}, "
                f"stop_reason={self.stop_reason!r}, lr={self.lr:g}, momentum={self.momentum:g}, "
                f"elapsed={self.elapsed * 1e3:.3g} ms)")


class _Powers:
    """M^(2^j), squared on demand: M^(2^(j+1)) = M^(2^j) @ M^(2^j)."""

    def __init__(self, M: np.ndarray):
        self.cache = [M]

    def __getitem__(self, j: int) -> np.ndarray:
        while len(self.cache) <= j:
            self.cache.append(self.cache[-1] @ self.cache[-1])
        return self.cache[j]

    def advance(self, z: np.ndarray, d: int) -> np.ndarray:
        """z after d more steps: M^d z, one matrix-vector product per set bit of d."""
        j = 0
        while d:
            if d & 1:
                z = self[j] @ z
            d >>= 1
            j += 1
        return z


def _first(pred, powers: _Powers, z0: np.ndarray, hi: int) -> int:
    """The first k in [0, hi] with pred(state k), given that pred(state hi) holds.

    Binary lifting: walk from 0 in strides 2^J, ..., 2, 1, taking a stride whenever its end
    still fails pred. Exact when pred stays true once it has become true, which holds for
    plain descent (its loss is a sum of exponentials in k, hence convex, so it crosses a
    level at most once each way); with momentum it finds a crossing, up to oscillation.
    """
    if pred(z0):
        return 0
    lo, z = 0, z0
    for j in reversed(range(max(hi, 1).bit_length())):
        if lo + (1 << j) < hi:
            z_next = powers[j] @ z
            if not pred(z_next):
                lo, z = lo + (1 << j), z_next
    return lo + 1


def _check_inputs(X, y, params0, momentum, at, steps, target_loss, explode_factor):
    check_tensor(X, name="X")
    check_tensor(y, name="y")
    check_tensor(params0, name="params0")
    if X.dim() != 2 or y.dim() != 1 or params0.dim() != 1:
        raise ShapeError(
            f"expected X of shape (N, P), y of shape (N,) and params0 of shape (P,), got "
            f"{tuple(X.shape)}, {tuple(y.shape)} and {tuple(params0.shape)}; for the quadratic "
            "use X = design_matrix_quadratic(t)"
        )
    check_same_length(X=X, y=y)
    if X.shape[1] != params0.shape[0]:
        raise ShapeError(f"X has {X.shape[1]} columns (features) but params0 has "
                         f"{params0.shape[0]} values; they must match")
    check_unit(momentum, name="momentum")
    if target_loss is not None and not (isinstance(target_loss, (int, float))
                                        and math.isfinite(target_loss)):
        raise InvalidArgumentError(f"target_loss must be a finite number, got {target_loss!r}")
    if not (isinstance(explode_factor, (int, float)) and explode_factor > 1):
        raise InvalidArgumentError(f"explode_factor must be a number above 1, "
                                   f"got {explode_factor!r}")
    marks = [0, steps] if at is None else list(at)
    for s in marks:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s <= steps:
            raise InvalidArgumentError(
                f"at must hold whole step numbers between 0 and steps={steps:,}, got {s!r}"
            )
    return sorted({int(s) for s in marks})


def fast_forward(X: torch.Tensor, y: torch.Tensor, params0: torch.Tensor, *, lr: float,
                 steps: int, momentum: float = 0.0, at: Iterable[int] | None = None,
                 target_loss: float | None = None,
                 explode_factor: float = 1e8) -> FastForward:
    """Run ``steps`` steps of full-batch gradient descent on (1/N) |X theta - y|^2, exactly.

    The same steps as :func:`gdcourse.train` with ``lr`` (or with
    ``torch.optim.SGD(lr=lr, momentum=momentum)``) on a model linear in its params, in
    float64, computed by repeated squaring of the one-step matrix (see the module docstring).

    The stop rules follow ``train``: with ``target_loss`` the run stops at the first params
    theta_k (after k steps) whose loss is <= target_loss; a loss that turns
    non-finite or exceeds ``explode_factor`` times the first one raises DivergenceError at the
    step ``train`` would report. Both are found by bisection on the step number (binary
    lifting over the squared matrices), without visiting every step.

    Args:
        X: the design matrix, shape (N, P) (``design_matrix_quadratic(t)`` for the lecture).
        y: targets, shape (N,).
        params0: initial params, shape (P,); not modified.
        lr: the learning rate.
        steps: how many steps.
        momentum: heavy-ball momentum mu in [0, 1) (0: plain gradient descent).
        at: steps (0..steps) whose params and loss to record; default (0, steps).
        target_loss: stop early once the loss is at or below this.
        explode_factor: a loss above this times the first loss counts as diverged.

    Returns:
        A :class:`FastForward`; tensors are float64 on the device of X (CPU for MPS).

    Raises:
        ShapeError: X, y and params0 do not fit together.
        InvalidArgumentError: a bad lr, step count, momentum, ``at``, or non-finite data.
        DivergenceError: the loss exploded; ``.step``, ``.lr`` and ``.suggested_lr`` are set.

    >>> from gdcourse import design_matrix_quadratic, make_signal
    >>> t, y = make_signal(seed=666)
    >>> p0 = torch.tensor([-2.1188, 0.0635, -1.4555])
    >>> run = fast_forward(design_matrix_quadratic(t), y, p0, lr=1e-5, steps=1_000_000)
    >>> run.n_steps, round(run.final_loss / run.losses[0].item(), 6) < 1e-3
    (1000000, True)
    """
    began = time.perf_counter()
    lr = check_lr(lr)
    steps = check_steps(steps)
    marks = _check_inputs(X, y, params0, momentum, at, steps, target_loss, explode_factor)
    mu = float(momentum)
    Xn = X.detach().cpu().to(torch.float64).numpy()  # (N, P)
    yn = y.detach().cpu().to(torch.float64).numpy()  # (N,)
    n, P = Xn.shape
    H = mse_hessian(X).numpy()  # (P, P)
    c = 2.0 / n * Xn.T @ yn  # (P,)
    M = _one_step_matrix(H, c, lr, mu)
    z0 = np.concatenate([params0.detach().cpu().to(torch.float64).numpy(),
                         np.zeros(P if mu else 0), [1.0]])  # [theta; v; 1]

    def loss(z: np.ndarray) -> float:
        r = Xn @ z[:P] - yn  # (N,)
        return float(r @ r) / n

    loss0 = loss(z0)
    limit = explode_factor * max(loss0, 1e-300)

    def bad(z: np.ndarray) -> bool:
        value = loss(z)
        return not value <= limit  # also true for nan

    powers = _Powers(M)
    with np.errstate(over="ignore", invalid="ignore"):
        # train checks the loss of theta_0 .. theta_{steps-1}, each before its update.
        z_last = powers.advance(z0, steps - 1)
        stop, reason = steps, "steps"
        if target_loss is not None and loss(z_last) <= target_loss:
            # train hands back the first params that meet the target: theta_k, after k steps.
            stop = _first(lambda z: loss(z) <= target_loss, powers, z0, steps - 1)
            reason = "target_loss"
        if bad(z_last):
            i = _first(bad, powers, z0, steps - 1)
            if i < stop:
                _raise_divergence(loss(powers.advance(z0, i)), i, lr, mu, H)
        elif reason == "steps" and bad(M @ z_last):  # only the final params blew up
            _raise_divergence(loss(M @ z_last), steps - 1, lr, mu, H)

        marks = [s for s in marks if s <= stop]
        recorded, z, k = [], z0, 0
        for s in marks:
            z, k = powers.advance(z, s - k), s
            recorded.append(z[:P])  # loss() reads only the first P entries
        z_final = powers.advance(z, stop - k)

    home = X.device if X.device.type != "mps" else torch.device("cpu")  # MPS has no float64
    thetas = torch.as_tensor(np.array(recorded).reshape(len(marks), P), device=home)
    return FastForward(
        steps=marks, params=thetas,
        losses=torch.tensor([loss(z) for z in recorded], dtype=torch.float64, device=home),
        final_params=torch.as_tensor(z_final[:P].copy(), device=home),
        final_loss=loss(z_final), n_steps=stop, stop_reason=reason, lr=lr, momentum=mu,
        elapsed=time.perf_counter() - began,
    )


def _one_step_matrix(H: np.ndarray, c: np.ndarray, lr: float, mu: float) -> np.ndarray:
    """M with z_{k+1} = M z_k, for z = [theta; 1] (mu = 0) or [theta; v; 1]."""
    P = H.shape[0]
    eye = np.eye(P)
    if not mu:
        M = np.eye(P + 1)
        M[:P, :P] = eye - lr * H  # theta' = (I - lr H) theta + lr c
        M[:P, P] = lr * c
        return M
    M = np.eye(2 * P + 1)
    M[P:2 * P, :P] = H  # v' = H theta + mu v - c
    M[P:2 * P, P:2 * P] = mu * eye
    M[P:2 * P, 2 * P] = -c
    M[:P, :P] = eye - lr * H  # theta' = theta - lr v' = (I - lr H) theta - lr mu v + lr c
    M[:P, P:2 * P] = -lr * mu * eye
    M[:P, 2 * P] = lr * c
    return M


def _raise_divergence(value: float, i: int, lr: float, mu: float, H: np.ndarray):
    """The DivergenceError ``train`` raises, in the same words."""
    raise DivergenceError.for_loss(
        value, step=i + 1, lr=lr, suggested_lr=stable_lr_limit(H, mu),
        setting=f"lr={lr:g}" if not mu else f"lr={lr:g}, momentum={mu:g}",
        restored="params0 was left as it was",
        method="plain gradient descent" if not mu else f"gradient descent with momentum {mu:g}",
    )
