"""Move a slider, watch a million steps: learning-rate explorers for lectures 02 and 06.

    import gdcourse as gd
    t, y = gd.make_signal(seed=0)
    gd.explore_fit(t, y)                     # lecture 02: the parabola on raw time
    gd.explore_valley((1.0, 20.0), (-9.0, 2.0), momentum=0.0)   # lecture 06: a 2-D path

Sliders set lr (log scale, the stability limit 2 (1 + mu) / lambda_max marked), the number
of steps (1 to 10^6, log scale) and momentum; each change redraws the loss curve and the
fit or the path at once, because each redraw is a single exact :func:`gdcourse.fast_forward`
(see ``runs``), never a loop over the steps. A readout gives the loss, its ratio to the
optimum, and whether the run diverged. Without a kernel behind the page (the book,
nbconvert) the same output shows a static grid of learning rates and says so in one line.

Rooms: ``runs`` (the arithmetic, no matplotlib), ``view`` (the figure, reused at every
redraw), ``static`` (the fixed grid of lrs for a page without a kernel), ``explorer``
(widgets and what a notebook displays).
"""

from __future__ import annotations

import torch

from .._validate import check_lr, check_steps, check_unit
from ..errors import InvalidArgumentError
from ..recipe import init_params
from .explorer import NO_KERNEL, Explorer
from .runs import Outcome, Problem, parabola_problem, run, valley_problem

__all__ = ["explore_fit", "explore_valley", "Explorer", "Outcome", "Problem", "NO_KERNEL",
           "parabola_problem", "valley_problem", "run"]


def _lr_range(limit: float, lr_range: tuple[float, float] | None, lr: float):
    lo, hi = lr_range if lr_range is not None else (limit * 1e-3, limit * 4)
    check_lr(lo, name="lr_range[0]")
    check_lr(hi, name="lr_range[1]")
    if not lo <= lr <= hi:
        raise InvalidArgumentError(f"lr={lr:g} lies outside lr_range=({lo:g}, {hi:g}); "
                                   "widen lr_range or pick an lr inside it")
    return float(lo), float(hi)


def _start(problem: Problem, *, lr, steps, momentum, lr_range) -> Explorer:
    steps = check_steps(steps)
    if steps > 1_000_000:
        raise InvalidArgumentError(f"steps must be at most 1,000,000 (the slider's end), "
                                   f"got {steps:,}")
    if momentum is not None:
        momentum = check_unit(momentum, name="momentum")
    limit = problem.limit(momentum or 0.0)
    lr = check_lr(lr)
    lo, hi = _lr_range(limit, lr_range, lr)
    return Explorer(problem, lr=lr, steps=steps, momentum=momentum, lr_range=(lo, hi),
                    static_lrs=_static_grid(lr, limit, lo, hi))


def _static_grid(lr: float, limit: float, lo: float, hi: float) -> list[float]:
    """Four lrs for a page without a kernel: the start, 10% past the limit, a tenth of the
    start, and 10% under the limit (or half of it), none within 10% of another."""
    chosen: list[float] = []
    for value in (lr, 1.1 * limit, lr / 10, 0.9 * limit, 0.5 * limit):
        if lo <= value <= hi and all(abs(value / v - 1) > 0.1 for v in chosen):
            chosen.append(value)
    return sorted(chosen[:4])


def explore_fit(t: torch.Tensor, y: torch.Tensor, params0: torch.Tensor | None = None, *,
                seed: int = 666, lr: float = 1e-5, steps: int = 1_000_000,
                momentum: float | None = None,
                lr_range: tuple[float, float] | None = None) -> Explorer:
    """Lecture 02's fit of a t^2 + b t + c on raw time, with sliders.

    Plain descent (or heavy ball) on L(theta) = (1/N) |X theta - y|^2, X = [t^2, t, 1]:

        theta_{k+1} = theta_k - lr grad L(theta_k),    stable iff lr < 2 / lambda_max.

    Args:
        t, y: the signal, shape (N,), on any device (the explorer works on a float64 CPU
            copy: the matrices are 3x3).
        params0: the start (a, b, c); default ``init_params(3, seed=seed)``.
        seed: seeds the default start (the lecture's is 666).
        lr, steps: the sliders' first values; steps at most 1,000,000.
        momentum: None for no momentum slider; else the momentum slider's first value.
        lr_range: the lr slider's ends; default (limit / 1000, 4 x limit).

    Returns:
        An :class:`Explorer`; display it (the last line of a cell) to get the sliders.

    >>> import gdcourse as gd
    >>> ex = gd.explore_fit(*gd.make_signal(seed=0), steps=1_000)
    >>> ex.update(lr=1e-4).diverged_at is not None, ex.update(lr=1e-5).diverged_at
    (True, None)
    """
    if params0 is None:
        params0 = init_params(3, seed=seed, dtype=torch.float64)
    problem = parabola_problem(t, y, params0)
    return _start(problem, lr=lr, steps=steps, momentum=momentum, lr_range=lr_range)


def explore_valley(curvature: tuple[float, float] = (1.0, 20.0),
                   start: tuple[float, float] = (-9.0, 2.0), *, lr: float | None = None,
                   steps: int = 30, momentum: float | None = 0.0,
                   lr_range: tuple[float, float] | None = None) -> Explorer:
    """Lecture 06's valley L(theta) = 1/2 (c_1 theta_1^2 + c_2 theta_2^2), its 2-D path.

    Heavy-ball momentum in torch.optim.SGD's form, v_{k+1} = mu v_k + g_k,
    theta_{k+1} = theta_k - lr v_{k+1}; stable iff lr < 2 (1 + mu) / max(c).

    Args:
        curvature: (c_1, c_2), both positive; the lecture's valley is (1, 20).
        start: theta_0.
        lr: the lr slider's first value; default 2 / (c_max + c_min), the best plain lr.
        steps: the steps slider's first value (at most 1,000,000).
        momentum: the momentum slider's first value; None hides the slider.
        lr_range: the lr slider's ends; default (limit / 1000, 4 x limit).
    """
    problem = valley_problem(curvature, start)
    if lr is None:
        lr = 2.0 / (max(curvature) + min(curvature))
    return _start(problem, lr=lr, steps=steps, momentum=momentum, lr_range=lr_range)
