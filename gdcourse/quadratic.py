"""The lecture's problem: fit a parabola to a noisy signal sampled at 20 time steps.

    t      = 0, 1, ..., n-1
    signal = noise * randn(n) + 0.75 * (t - 9.5)^2 + 1
    model  = a t^2 + b t + c

In the raw basis the features t^2, t, 1 differ by a factor of ~400 in scale, so the loss
is a long narrow valley (Hessian condition number ~2e5) and plain gradient descent with a
stable lr crawls along it. Standardizing time, u = (t - mean) / std, makes the valley
round (condition number ~8) and the same descent converges in a few dozen steps; the
answer is then mapped back to (a, b, c) in the original basis.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ._types import Device, Params
from ._validate import check_lr, check_same_device, check_same_length, check_steps, check_tensor
from .curvature import mse_hessian
from .devices import seeded_generator
from .errors import InvalidArgumentError, ShapeError
from .fast import fast_forward
from .history import History
from .loop import train
from .optim import build, stability_factor
from .recipe import init_params, mse

__all__ = ["make_signal", "quadratic", "design_matrix_quadratic", "least_squares",
           "fit_quadratic", "QuadraticFit"]


def make_signal(n: int = 20, *, noise: float = 3.0, seed: int | None = None, device: Device = None,
                dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """The lecture's noisy parabola: ``time = 0..n-1`` and
    ``signal = noise * randn(n) + 0.75 * (time - 9.5)^2 + 1``.

    The noise is drawn on the CPU (a private generator when ``seed`` is given, torch's
    global one otherwise) and then moved, so a seed means the same data on every device.

    Returns:
        ``(time, signal)``, each of shape (n,).

    >>> t, y = make_signal(seed=0); t.shape, y.shape
    (torch.Size([20]), torch.Size([20]))
    """
    check_steps(n, name="n")
    if not (isinstance(noise, (int, float)) and noise >= 0):
        raise InvalidArgumentError(f"noise must be a non-negative number, got {noise!r}")
    gen = seeded_generator(seed)
    t = torch.arange(n, dtype=dtype)
    signal = torch.randn(n, generator=gen, dtype=dtype) * noise + 0.75 * (t - 9.5) ** 2 + 1
    return t.to(device), signal.to(device)


def quadratic(t: torch.Tensor, params: Params) -> torch.Tensor:
    """The lecture's model, f(t; a, b, c) = a t^2 + b t + c, evaluated as (a t + b) t + c.

    Args:
        t: times, shape (N,).
        params: (a, b, c), a tensor of shape (3,) or a sequence of three.

    Returns:
        predictions of shape (N,).
    """
    a, b, c = params.unbind(0) if isinstance(params, torch.Tensor) else params
    return (a * t + b) * t + c  # Horner form: two fewer autograd nodes than a*t**2 + b*t + c


def design_matrix_quadratic(t: torch.Tensor) -> torch.Tensor:
    """The features of the quadratic, X = [t^2, t, 1], shape (N, 3)."""
    return torch.stack([t * t, t, torch.ones_like(t)], dim=-1)


def _check_data(t, y) -> None:
    check_tensor(t, name="t")
    check_tensor(y, name="y")
    if t.dim() != 1 or y.dim() != 1:
        raise ShapeError(f"t and y must be 1-D, got shapes {tuple(t.shape)} and {tuple(y.shape)}")
    n = check_same_length(t=t, y=y)
    check_same_device(t=t, y=y)
    if n < 3 or torch.unique(t).numel() < 3:
        raise InvalidArgumentError(
            f"a quadratic has 3 parameters, so it needs at least 3 distinct times; got {n} "
            f"samples with {torch.unique(t).numel()} distinct times"
        )


def least_squares(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The exact optimum (a, b, c) of the MSE, solved in float64.

        theta* = argmin |X theta - y|^2,   X = [t^2, t, 1]

    computed with a QR-based solver (never the normal equations, which square the already
    large condition number of X).

    Returns:
        a float64 tensor (a, b, c) on the CPU (the solve is tiny, and some accelerators,
        such as Apple's MPS, have no float64 at all).
    """
    _check_data(t, y)
    X = design_matrix_quadratic(_cpu64(t))  # (N, 3)
    # gelsy/gels: QR (with column pivoting on the CPU) in one LAPACK call; also ~1000x faster
    # than a separate qr + matmul + triangular solve on a busy 2-core machine, where MKL's
    # threaded small products wait for a descheduled thread.
    return torch.linalg.lstsq(X, _cpu64(y).unsqueeze(-1)).solution.squeeze(-1)


def _cpu64(x: torch.Tensor) -> torch.Tensor:
    """float64 bookkeeping happens on the CPU: exact, and possible on every device."""
    return x.detach().to(device="cpu", dtype=torch.float64)


def _standardizer(t: torch.Tensor) -> tuple[float, float]:
    t64 = _cpu64(t)
    return float(t64.mean()), float(t64.std(correction=0))


def _to_standard(p: torch.Tensor, m: float, s: float) -> torch.Tensor:
    """(a, b, c) for t  ->  (a', b', c') for u = (t - m) / s, the same parabola."""
    a, b, c = p.unbind(0)
    return torch.stack([a * s * s, (2 * a * m + b) * s, a * m * m + b * m + c])


def _from_standard(p: torch.Tensor, m: float, s: float) -> torch.Tensor:
    """(a', b', c') for u = (t - m) / s  ->  (a, b, c) for t."""
    a, b, c = p.unbind(0)
    s2 = s * s
    return torch.stack([a / s2, b / s - 2 * a * m / s2, a * m * m / s2 - b * m / s + c])


@dataclass
class QuadraticFit:
    """The result of :func:`fit_quadratic`.

    Attributes:
        params: (a, b, c) in the original time basis, float64 on the CPU.
        loss: the MSE of ``params`` on the data (float64).
        optimal_params, optimal_loss: the least-squares optimum and its MSE.
        history: the descent's :class:`History` (losses in the basis descent ran in; the
            MSE does not depend on the basis).
        lr: the learning rate used.
        standardize: whether descent ran on standardized time.
    """

    t: torch.Tensor
    y: torch.Tensor
    params: torch.Tensor
    loss: float
    optimal_params: torch.Tensor
    optimal_loss: float
    history: History
    lr: float
    standardize: bool

    @property
    def ratio(self) -> float:
        """loss / optimal_loss: 1.0 is perfect, 1.01 is within 1%."""
        return self.loss / self.optimal_loss if self.optimal_loss > 0 else float("inf")

    def predict(self, t: torch.Tensor) -> torch.Tensor:
        """The fitted parabola at ``t``, in float64 on the CPU."""
        return quadratic(_cpu64(t), self.params)

    def plot(self, ax: Any = None) -> Any:
        """The data, the fitted parabola and the least-squares one; returns the Axes."""
        # Imported here: the figures room is loaded with the first figure (matplotlib),
        # and plot.fits imports this module.
        from .plot import show_fit

        return show_fit(self, ax=ax)

    def __repr__(self) -> str:
        a, b, c = self.params.tolist()
        return (f"QuadraticFit(a={a:.4f}, b={b:.4f}, c={c:.4f}, loss={self.loss:.4f}, "
                f"optimal_loss={self.optimal_loss:.4f}, ratio={self.ratio:.5f}, "
                f"steps={self.history.n_steps}, lr={self.lr:.3g})")


def fit_quadratic(t: torch.Tensor, y: torch.Tensor, *, lr: float | None = None,
                  steps: int | None = None, optimizer: str = "sgd", standardize: bool = True,
                  rtol: float = 1e-3, device: Device = None, progress: bool = False,
                  seed: int | None = None, init: torch.Tensor | None = None,
                  engine: str = "autograd") -> QuadraticFit:
    """Fit a t^2 + b t + c to (t, y) by gradient descent with the seven-step recipe.

    With ``standardize=True`` descent runs on u = (t - mean(t)) / std(t) and the answer is
    mapped back. ``lr=None`` takes the step that is optimal for plain gradient descent on
    this quadratic loss,

        lr = 2 / (lambda_max + lambda_min)   of the exact 3x3 Hessian (2/N) X^T X,

    which contracts the error by (kappa - 1) / (kappa + 1) per step. Descent stops once the
    loss is within ``rtol`` of the least-squares optimum, or after ``steps`` (default 10,000).
    ``standardize=False, lr=1e-5`` is the lecture's raw recipe.

    ``engine="fast"`` computes the same plain-SGD steps in closed form
    (:func:`gdcourse.fast.fast_forward`, float64, repeated squaring): the raw recipe's
    ~1.8 million steps to within 1% take about a millisecond instead of minutes.

    Args:
        t, y: times and measurements, shape (N,).
        lr: learning rate (None: from the curvature, see above).
        steps: step budget.
        optimizer: "sgd" (the recipe's own step) or a name from ``gdcourse.optim``.
        standardize: descend on standardized time.
        rtol: stop when loss <= (1 + rtol) * optimal loss.
        device: move the data there first (default: where it is).
        progress: show a progress bar.
        seed: seeds the initial params (the lecture's init is ``seed=666``).
        init: initial (a, b, c) in the original basis, instead of a random draw.
        engine: "autograd" (the recipe's loop, :func:`gdcourse.train`, in the dtype of y)
            or "fast" (exact fast-forward in float64; plain SGD only).

    >>> fit = fit_quadratic(*make_signal(seed=1))
    >>> fit.ratio < 1.01
    True
    """
    _check_data(t, y)
    if engine not in ("autograd", "fast"):
        raise InvalidArgumentError(f'engine must be "autograd" or "fast", got {engine!r}')
    if engine == "fast" and optimizer != "sgd":
        raise InvalidArgumentError(
            f'engine="fast" runs plain gradient descent (optimizer="sgd"), got '
            f'optimizer={optimizer!r}; use engine="autograd" for other optimizers'
        )
    if device is not None:
        t, y = t.to(device), y.to(device)
    steps = 10_000 if steps is None else check_steps(steps)
    if not (isinstance(rtol, (int, float)) and rtol >= 0):
        raise InvalidArgumentError(f"rtol must be a non-negative number, got {rtol!r}")
    optimal = least_squares(t, y)
    t64, y64 = _cpu64(t), _cpu64(y)
    optimal_loss = float(mse(quadratic(t64, optimal), y64))
    dtype = y.dtype if y.is_floating_point() else torch.float32

    m, s = _standardizer(t) if standardize else (0.0, 1.0)
    u = ((t64 - m) / s).to(device=t.device, dtype=dtype)
    start = (init_params(3, seed=seed, dtype=torch.float64) if init is None
             else check_tensor(init, name="init").detach().to(torch.float64).cpu())
    params = _to_standard(start.detach(), m, s).to(device=t.device, dtype=dtype).requires_grad_()

    if lr is None:
        eig = torch.linalg.eigvalsh(mse_hessian(design_matrix_quadratic(u)))
        lr = 2.0 / float(eig[0] + eig[-1])
        if optimizer != "sgd":
            # Nesterov tolerates less than plain descent: stay inside its own limit.
            lr = min(lr, 0.9 * stability_factor(optimizer) * 2.0 / float(eig[-1]))
    lr = check_lr(lr)
    if engine == "fast":
        return _fit_fast(t, y, start=start, m=m, s=s, lr=lr, steps=steps, rtol=rtol,
                         optimal=optimal, optimal_loss=optimal_loss, standardize=standardize)
    opt = None
    if optimizer != "sgd":
        opt = build(optimizer, [params], lr=lr)
    target = (1 + rtol) * optimal_loss
    began = _time.perf_counter()
    history = train(params, quadratic, u, y.to(dtype), lr=None if opt else lr, steps=steps,
                    optimizer=opt, target_loss=target, progress=progress)
    history.elapsed = _time.perf_counter() - began
    fitted = _from_standard(_cpu64(params), m, s)
    loss = float(mse(quadratic(t64, fitted), y64))
    return QuadraticFit(t=t, y=y, params=fitted, loss=loss, optimal_params=optimal,
                        optimal_loss=optimal_loss, history=history, lr=lr,
                        standardize=standardize)


def _fit_fast(t, y, *, start, m, s, lr, steps, rtol, optimal, optimal_loss,
              standardize) -> QuadraticFit:
    """fit_quadratic's engine="fast": the same descent by exact fast-forward, in float64."""
    t64, y64 = _cpu64(t), _cpu64(y)
    X = design_matrix_quadratic((t64 - m) / s)  # (N, 3), the basis descent runs in
    # ~100 log-spaced records: enough for a log-log loss curve, cheap to compute.
    at = {0, steps, *np.unique(np.geomspace(1, steps, 100).astype(int)).tolist()}
    run = fast_forward(X, y64, _to_standard(start.detach(), m, s), lr=lr, steps=steps, at=at,
                       target_loss=(1 + rtol) * optimal_loss)
    fitted = _from_standard(_cpu64(run.final_params), m, s)
    loss = float(mse(quadratic(t64, fitted), y64))
    return QuadraticFit(t=t, y=y, params=fitted, loss=loss, optimal_params=optimal,
                        optimal_loss=optimal_loss, history=run.to_history(), lr=lr,
                        standardize=standardize)
