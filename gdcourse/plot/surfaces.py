"""Slopes, loss surfaces with descent paths, and fit animations (lectures 01, 06)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch

from .._types import LossFn, Model
from ..errors import InvalidArgumentError, ShapeError
from ..grid import grid_search
from ..recipe import mse
from ._common import Values, _axes, to_np

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.animation import FuncAnimation
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_slopes", "plot_loss_surface", "animate_fit"]


def plot_slopes(loss_fn: Callable[[torch.Tensor], torch.Tensor], values: torch.Tensor,
                at: float | Values, ax: Axes | None = None, *,
                width: float | None = None) -> Axes:
    """A loss against one parameter, with its slope (the tangent) drawn at chosen points.

        slope(a) = dL/dtheta at theta = a        # torch.func.grad(loss_fn)(a)
        tangent:   L(a) + slope(a) * (theta - a)

    An arrow at each point shows the way downhill, -slope(a): the way gradient descent
    moves the parameter.

    Args:
        loss_fn: the loss as a function of one parameter (a 0-d tensor) -> scalar tensor.
        values: parameter values for the curve, shape (n,).
        at: the points where to draw tangents (numbers or a 1-D tensor).
        ax: the Axes to draw on (a new figure when None).
        width: half-width of each tangent segment (default: a tenth of the range).

    Returns:
        The Axes: ``ax.lines[0]`` is the curve, then one tangent line per point, each
        labelled with its slope.
    """
    curve = grid_search(loss_fn, values)
    x = curve.axes[0]
    at = torch.as_tensor(at, dtype=x.dtype).to(x.device).reshape(-1)
    slope_fn = torch.func.grad(loss_fn)
    width = float(x.max() - x.min()) / 10 if width is None else float(width)
    ax = _axes(ax)
    ax.plot(to_np(x), to_np(curve.losses), label="loss")
    for a in at:
        loss, slope = float(loss_fn(a)), float(slope_fn(a))
        a = float(a)
        xs = [a - width, a + width]
        ax.plot(xs, [loss - slope * width, loss + slope * width], "--",
                label=f"slope {slope:.6g} at {a:.3g}")
        ax.plot([a], [loss], "o", color="black")
        # Downhill along the tangent, pointing where descent moves the parameter.
        step = -0.8 * width if slope > 0 else 0.8 * width
        ax.annotate("", xy=(a + step, loss + slope * step), xytext=(a, loss),
                    arrowprops={"arrowstyle": "->", "color": "black"})
    ax.set_xlabel("parameter")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def plot_loss_surface(loss_fn: Callable[[torch.Tensor], torch.Tensor],
                      grid: Sequence[torch.Tensor],
                      path: torch.Tensor | Sequence[torch.Tensor] | None = None,
                      ax: Axes | None = None, *, levels: int = 30, log: bool = True,
                      labels: tuple[str, str] = ("params[0]", "params[1]")) -> Axes:
    """Contours of a loss over two parameters, with a descent path drawn over them.

    Args:
        loss_fn: the loss as a function of a (2,) parameter tensor -> scalar tensor.
        grid: two 1-D tensors, the values of params[0] (horizontal) and params[1] (vertical).
        path: the parameters along the descent, shape (T, 2) (a tensor, or a list of (2,)
            tensors such as ``History.snapshots``); drawn as a line from start to end.
        ax: the Axes to draw on (a new figure when None).
        levels: how many contour levels.
        log: space the levels geometrically, so the flat valley floor gets contours too.
        labels: the axis labels.

    Returns:
        The Axes, with the filled contours in ``ax.collections`` and the path as the
        line labelled "descent path" (the grid's best point is marked "grid minimum").
    """
    if len(grid) != 2:
        raise InvalidArgumentError(
            f"plot_loss_surface draws two parameters, got a grid with {len(grid)} axes"
        )
    result = grid_search(loss_fn, grid)
    z = to_np(result.losses).T  # contour wants rows = vertical axis
    if log and z.min() > 0:
        lv = np.geomspace(z.min(), z.max(), levels)
    else:
        lv = np.linspace(z.min(), z.max(), levels)
    ax = _axes(ax)
    filled = ax.contourf(to_np(result.axes[0]), to_np(result.axes[1]), z, levels=lv,
                         cmap="viridis", norm="log" if log and z.min() > 0 else None)
    ax.figure.colorbar(filled, ax=ax, label="loss", ticks=lv[::max(1, levels // 6)],
                       format="%.3g")
    best = to_np(result.best_params)
    ax.plot(best[0], best[1], "*", color="white", markersize=12, label="grid minimum")
    if path is not None:
        path = torch.stack(list(path)) if not isinstance(path, torch.Tensor) else path
        if path.dim() != 2 or path.shape[1] != 2:
            raise ShapeError(f"path must have shape (T, 2), got {tuple(path.shape)}")
        p = to_np(path)
        ax.plot(p[:, 0], p[:, 1], ".-", color="red", label="descent path")
        ax.plot(p[0, 0], p[0, 1], "o", color="orange", label="start")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.legend(loc="upper right")
    return ax


def animate_fit(f: Model, x: torch.Tensor, y: torch.Tensor, params_seq: Iterable[Any], *,
                steps: Iterable[int] | None = None, x_axis: torch.Tensor | None = None,
                loss_fn: LossFn | None = None, max_frames: int = 40, interval: int = 100,
                ax: Axes | None = None) -> FuncAnimation:
    """An animation of the model's predictions over training.

    Frame k draws ``f(x, params_seq[k])`` as a line over the data (sorted by ``x_axis``),
    titled with its step and loss. Show it in a notebook with
    ``HTML(anim.to_jshtml())``; save it with ``anim.save("fit.gif", writer="pillow")``.

    Args:
        f: the model, ``f(x, params)``.
        x: the model's inputs, shape (N,) or (N, D) (e.g. a design matrix).
        y: targets, shape (N,).
        params_seq: parameters over training, e.g. ``History.snapshots``.
        steps: the step of each entry of ``params_seq`` (default 0, 1, 2, ...).
        x_axis: the horizontal coordinate of each row, shape (N,) (default: ``x`` when
            1-D, else the last column of ``x``).
        loss_fn: ``loss_fn(preds, y)`` for the titles (default: :func:`gdcourse.mse`).
        max_frames: keep at most this many frames, evenly spread, always with the last.
        interval: milliseconds between frames.
        ax: the Axes to draw on; when None a new figure is made and closed (so a notebook
            shows only the animation, not a stray still image).

    Returns:
        A ``matplotlib.animation.FuncAnimation``.
    """
    # matplotlib on the first figure, not at import (see the package docstring)
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    params_seq = list(params_seq)
    if not params_seq:
        raise InvalidArgumentError("params_seq is empty; record snapshots with "
                                   "train(..., snapshot_every=k)")
    steps = list(range(len(params_seq))) if steps is None else list(steps)
    if len(steps) != len(params_seq):
        raise ShapeError(f"got {len(steps)} steps for {len(params_seq)} params in params_seq")
    loss_fn = mse if loss_fn is None else loss_fn
    if x_axis is None:
        x_axis = x if x.dim() == 1 else x[:, -1]
    keep = np.unique(np.linspace(0, len(params_seq) - 1, min(max_frames, len(params_seq)))
                     .round().astype(int))
    order = torch.argsort(x_axis)
    xs = to_np(x_axis[order])
    own = ax is None
    ax = _axes(ax)
    ax.scatter(to_np(x_axis), to_np(y), s=12, alpha=0.6, label="data")
    (line,) = ax.plot([], [], color="red", label="model")
    ax.set_xlim(xs.min(), xs.max())
    ax.legend(loc="upper left")

    with torch.no_grad():
        frames = []
        for k in keep:
            params = params_seq[k].to(x.device)
            preds = f(x, params)
            frames.append((steps[k], float(loss_fn(preds, y)), to_np(preds[order])))
    lows = [fr[2].min() for fr in frames] + [float(y.min())]
    highs = [fr[2].max() for fr in frames] + [float(y.max())]
    pad = 0.05 * (max(highs) - min(lows) or 1.0)
    ax.set_ylim(min(lows) - pad, max(highs) + pad)

    def draw(i):
        step, loss, preds = frames[i]
        line.set_data(xs, preds)
        ax.set_title(f"step {step}   loss {loss:.4g}")
        return (line,)

    fig = cast("Figure", ax.figure)  # the Axes of a figure, not of a subfigure
    anim = FuncAnimation(fig, draw, frames=len(frames), interval=interval, blit=False)
    if own:
        plt.close(fig)
    return anim
