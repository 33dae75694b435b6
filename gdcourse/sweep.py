"""Many learning rates at once: gradient descent batched over a sweep of lrs.

Which lr is best, and where does descent blow up? Running ``train`` once per lr answers it
slowly; for a model linear in its params, preds = X theta, all L runs fit in one batched
computation with params stacked into a matrix Theta of shape (L, P):

    R       = Theta X^T - y                    # (L, P) @ (P, N) -> (L, N) residuals
    loss    = mean(R^2, over N)                # (L,), one loss per lr
    G       = (2/N) R X                        # (L, N) @ (N, P) -> (L, P) gradients
    Theta  <- Theta - lr[:, None] * G          # every run steps with its own lr

Each run follows exactly the steps of ``train(params, f, x, y, lr=lr)`` (same dtype, same
divergence rule); they only share the arithmetic. For the MSE the loss is quadratic, so
2 / lambda_max of its Hessian (2/N) X^T X marks where runs start to diverge.

    sweep = lr_sweep(X, y, torch.logspace(-7, -3, 200), steps=1_000, seed=666)
    sweep.best_lr, sweep.max_stable_lr
    sweep.plot()
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ._validate import check_lr_values, check_same_length, check_steps, check_tensor, check_unit
from .curvature import mse_hessian, stable_lr_limit
from .errors import ShapeError
from .recipe import init_params

__all__ = ["lr_sweep", "LRSweep"]


@dataclass
class LRSweep:
    """The result of :func:`lr_sweep`.

    Attributes:
        lrs: the learning rates, shape (L,), float64 on the CPU.
        final_loss: the MSE of each run's final params, computed in float64, shape (L,)
            (nan/inf/huge when diverged).
        diverged: which runs diverged (``train`` would have raised DivergenceError), (L,).
        params: each run's final params, shape (L, P), in the dtype/device of the descent.
        max_stable_lr: 2 (1 + momentum) / lambda_max, the largest lr that converges.
        optimal_loss: the least-squares minimum of the loss, for reference.
        steps, momentum: the settings; elapsed: wall-clock seconds.
    """

    lrs: torch.Tensor
    final_loss: torch.Tensor
    diverged: torch.Tensor
    params: torch.Tensor
    max_stable_lr: float
    optimal_loss: float
    steps: int
    momentum: float
    elapsed: float

    @property
    def best_lr(self) -> float:
        """The lr whose run ended with the lowest loss (nan when every run diverged)."""
        ok = ~self.diverged & torch.isfinite(self.final_loss)
        if not bool(ok.any()):
            return math.nan
        losses = torch.where(ok, self.final_loss, torch.inf)
        return float(self.lrs[int(torch.argmin(losses))])

    def plot(self, ax: Any = None) -> Any:
        """Final loss against lr on log axes; see :func:`gdcourse.plot.plot_lr_sweep`."""
        # Imported here: the figures room is loaded with the first figure (matplotlib).
        from .plot import plot_lr_sweep

        return plot_lr_sweep(self, ax=ax)

    def __repr__(self) -> str:
        return (f"LRSweep({len(self.lrs)} lrs from {float(self.lrs.min()):.3g} to "
                f"{float(self.lrs.max()):.3g}, steps={self.steps:,}, "
                f"diverged={int(self.diverged.sum())}, best_lr={self.best_lr:.3g}, "
                f"max_stable_lr={self.max_stable_lr:.3g}, elapsed={self.elapsed:.3g}s)")


@contextlib.contextmanager
def _one_thread_if_small(device: torch.device, work: int):
    """Run small CPU products on one thread.

    A (1000, 3) @ (3, 20) product is too small to split across threads; on a busy 2-core
    machine MKL's threads wait on each other and it takes ~50x longer than on one thread.
    """
    if device.type != "cpu" or work > 1 << 22:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def lr_sweep(X: torch.Tensor, y: torch.Tensor, lrs: Sequence[float] | np.ndarray | torch.Tensor,
             *, steps: int,
             params0: torch.Tensor | None = None, seed: int | None = None,
             momentum: float = 0.0, explode_factor: float = 1e8) -> LRSweep:
    """Full-batch gradient descent on (1/N) |X theta - y|^2 for every lr in ``lrs`` at once.

    Run i is the same descent as ``train(params0.clone(), f, x, y, lr=lrs[i], steps=steps)``
    with preds = X theta (or ``torch.optim.SGD(momentum=momentum)``), in the dtype of X and
    y on their device; all runs step together as one (L, P) matrix (see the module
    docstring). A run counts as diverged where ``train`` would raise DivergenceError: its
    loss became non-finite or exceeded ``explode_factor`` times its first loss.

    Args:
        X: the design matrix, shape (N, P) (``design_matrix_quadratic(t)`` for the lecture).
        y: targets, shape (N,).
        lrs: L learning rates, a sequence or a 1-D tensor.
        steps: steps per run.
        params0: the shared initial params (P,), or one row per lr (L, P).
        seed: when ``params0`` is None, draw it with ``init_params(P, seed=seed)``.
        momentum: heavy-ball momentum in [0, 1), torch.optim.SGD's form.
        explode_factor: the divergence threshold, as in ``train``.

    Returns:
        An :class:`LRSweep`.

    Raises:
        InvalidArgumentError: an empty lr list, a non-positive lr or step count, bad
            momentum, non-finite data.
        ShapeError: X, y and params0 do not fit together.

    >>> from gdcourse import design_matrix_quadratic, make_signal
    >>> t, y = make_signal(seed=666)
    >>> sweep = lr_sweep(design_matrix_quadratic(t), y, [1e-6, 1e-5, 1e-4], steps=100, seed=666)
    >>> sweep.diverged.tolist(), f"{sweep.max_stable_lr:.1e}"
    ([False, False, True], '3.5e-05')
    """
    began = time.perf_counter()
    steps = check_steps(steps)
    lr_values = check_lr_values(lrs)
    check_tensor(X, name="X")
    check_tensor(y, name="y")
    if X.dim() != 2 or y.dim() != 1:
        raise ShapeError(f"expected X of shape (N, P) and y of shape (N,), got "
                         f"{tuple(X.shape)} and {tuple(y.shape)}; for the quadratic use "
                         "X = design_matrix_quadratic(t)")
    n = check_same_length(X=X, y=y)
    momentum = check_unit(momentum, name="momentum")
    L, P = lr_values.numel(), X.shape[1]
    dtype = torch.promote_types(X.dtype, y.dtype)
    if not dtype.is_floating_point:
        dtype = torch.get_default_dtype()
    if params0 is None:
        params0 = init_params(P, seed=seed, dtype=dtype)
    check_tensor(params0, name="params0")
    if params0.shape not in ((P,), (L, P)):
        raise ShapeError(f"params0 must have shape ({P},) or ({L}, {P}) (one row per lr), "
                         f"got {tuple(params0.shape)}")

    device = X.device
    X, y = X.detach().to(dtype), y.detach().to(device, dtype)
    XT = X.mT.contiguous()  # (P, N)
    theta = params0.detach().to(device, dtype).expand(L, P).clone()  # (L, P)
    lr = lr_values.to(device, dtype).unsqueeze(1)  # (L, 1)
    buf = torch.zeros_like(theta) if momentum else None
    peak = torch.full((L,), -torch.inf, dtype=dtype, device=device)  # worst loss so far
    with torch.no_grad(), _one_thread_if_small(device, L * n * P):
        for k in range(steps):
            R = theta @ XT - y  # (L, P) @ (P, N) -> (L, N)
            loss = (R * R).mean(1)  # (L,)
            if k == 0:
                first = loss
            torch.maximum(peak, loss, out=peak)  # nan propagates, as it should
            G = R @ X  # (L, N) @ (N, P) -> (L, P); the gradient is (2/N) G
            if buf is None:
                theta.addcmul_(lr, G, value=-2.0 / n)
            else:
                buf.mul_(momentum).add_(G, alpha=2.0 / n)
                theta.addcmul_(lr, buf, value=-1.0)
        # train also checks the params of the last update: a loss that first explodes there
        # is a divergence too.
        R = theta @ XT - y  # (L, P) @ (P, N) -> (L, N)
        torch.maximum(peak, (R * R).mean(1), out=peak)
    # The final loss in float64: in float32 the rounding of the loss itself (~1e-6 near the
    # optimum) would otherwise hide the comparison between lrs, or with train.
    X64, y64 = X.cpu().to(torch.float64), y.cpu().to(torch.float64)  # cpu first: MPS lacks f64
    R = theta.cpu().to(torch.float64) @ X64.mT - y64  # (L, P) @ (P, N) -> (L, N)
    final = (R * R).mean(1)
    limit = explode_factor * first.clamp(min=1e-300)
    diverged = (~(peak <= limit)).cpu() | ~torch.isfinite(final)

    best = torch.linalg.lstsq(X64, y64.unsqueeze(1)).solution.squeeze(1)
    return LRSweep(
        lrs=lr_values, final_loss=final, diverged=diverged,
        params=theta, max_stable_lr=stable_lr_limit(mse_hessian(X64), momentum),
        optimal_loss=float(((X64 @ best - y64) ** 2).mean()), steps=steps,
        momentum=float(momentum), elapsed=time.perf_counter() - began,
    )
