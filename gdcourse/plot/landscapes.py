"""A non-convex loss with a saddle and two minima, and optimizers' paths drawn on it (lecture 06).

    paths = {"plain descent": descent_path(double_well, theta, SGD([theta], lr=0.05), ...)}
    plot_landscape(double_well, grid, paths, points=double_well_points())

Every loss the lecture's models have met so far is a bowl: one minimum, reached from
anywhere. Networks' losses are not. ``double_well`` is the smallest landscape with the two
things a bowl lacks, a saddle (a point where the gradient vanishes but the loss falls away
in one direction) and two minima of different depth, so where descent ends depends on where
it starts and on how it steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..errors import InvalidArgumentError, ShapeError
from ..grid import grid_search
from ._common import _axes, to_np

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["double_well", "double_well_points", "plot_landscape", "compare_landscape_paths"]

Path = torch.Tensor | Sequence[torch.Tensor]


def double_well(theta: torch.Tensor, *, tilt: float = 0.3, stiffness: float = 2.0
                ) -> torch.Tensor:
    """A loss with two minima and a saddle between them:

        L(theta) = (theta_1^2 - 1)^2 + tilt * theta_1 + stiffness * theta_2^2

    Along theta_1 it is a double well (two valleys near theta_1 = -1 and +1, a ridge near
    0); the tilt makes the left valley deeper than the right one; along theta_2 it is a
    plain parabola. The ridge point on theta_2 = 0 is a saddle: the loss rises along
    theta_2 and falls along theta_1.

    Args:
        theta: shape (..., 2); the last axis holds (theta_1, theta_2).
        tilt: how much deeper the left minimum is (|tilt| < 1.5 keeps both minima).
        stiffness: the curvature along theta_2 is 2 * stiffness.

    Returns:
        The loss, shape (...).

    >>> double_well(torch.tensor([0.0, 0.0])), double_well(torch.tensor([1.0, 1.0]))
    (tensor(1.), tensor(2.3000))
    """
    if theta.shape[-1:] != (2,):
        raise ShapeError(f"double_well takes theta of shape (..., 2), got {tuple(theta.shape)}")
    t1, t2 = theta[..., 0], theta[..., 1]
    return (t1 * t1 - 1) ** 2 + tilt * t1 + stiffness * t2 * t2


def double_well_points(*, tilt: float = 0.3) -> dict[str, torch.Tensor]:
    """The three points where :func:`double_well`'s gradient vanishes, by name.

    On theta_2 = 0 the gradient is 4 theta_1^3 - 4 theta_1 + tilt; its three real roots are
    the two minima (where the curvature 12 theta_1^2 - 4 is positive) and the saddle.

    Returns:
        ``{"deep minimum": (2,), "saddle": (2,), "shallow minimum": (2,)}``, float64.

    Raises:
        InvalidArgumentError: a tilt so large that one of the minima is gone.

    >>> {k: round(float(v[0]), 4) for k, v in double_well_points().items()}
    {'deep minimum': -1.0356, 'saddle': 0.0754, 'shallow minimum': 0.9601}
    """
    roots = np.roots([4.0, 0.0, -4.0, tilt])
    real = np.sort(roots[np.abs(roots.imag) < 1e-9].real)
    if len(real) != 3:
        raise InvalidArgumentError(
            f"with tilt={tilt} the double well has only one minimum; keep |tilt| below "
            f"{8 / 27 ** 0.5:.3f}")
    left, saddle, right = (torch.tensor([x, 0.0], dtype=torch.float64) for x in real)
    deep, shallow = ((left, right) if double_well(left, tilt=tilt) <= double_well(right, tilt=tilt)
                     else (right, left))
    return {"deep minimum": deep, "saddle": saddle, "shallow minimum": shallow}


def _as_path(label: str, path: Path) -> np.ndarray:
    path = torch.stack(list(path)) if not isinstance(path, torch.Tensor) else path
    if path.dim() != 2 or path.shape[1] != 2:
        raise ShapeError(f"path {label!r} must have shape (T, 2), got {tuple(path.shape)}")
    return to_np(path.detach()).astype(np.float64)


def plot_landscape(loss_fn: Callable[[torch.Tensor], torch.Tensor], grid: Sequence[torch.Tensor],
                   paths: Mapping[str, Path], ax: Axes | None = None, *,
                   points: Mapping[str, torch.Tensor] | None = None, levels: int = 25,
                   vmax: float | None = None,
                   labels: tuple[str, str] = ("$\\theta_1$", "$\\theta_2$"),
                   legend: bool = True) -> Axes:
    """Contour lines of a loss over two parameters, named points on it, and descent paths.

    Unlike :func:`gdcourse.plot.plot_paths`, nothing assumes one minimum: the levels are
    evenly spaced (the loss may be negative), and the points to mark (minima, saddles) are
    given by name and labelled on the map rather than found on the grid.

    Args:
        loss_fn: the loss as a function of a (2,) parameter tensor -> scalar tensor.
        grid: two 1-D tensors, the values of params[0] (horizontal) and params[1] (vertical).
        paths: ``{label: path}``, each of shape (T, 2), drawn from its start (a circle) to
            its end (a square), in the order given (the same colours in every panel).
        ax: the Axes to draw on (a new figure when None).
        points: ``{name: (2,) tensor}`` to mark: a name with "saddle" in it gets an x, the
            others a star; each is written next to its marker.
        levels: how many contour levels, evenly spaced from the grid's lowest loss.
        vmax: the highest level (default: the grid's highest loss); a lower one spends
            the levels where the paths are.
        labels: the axis labels.
        legend: draw a legend of the paths (off when several panels share one).

    Returns:
        The Axes, with one line labelled by each key of ``paths``.

    Raises:
        InvalidArgumentError: the grid does not have two axes, or ``paths`` is empty.
        ShapeError: a path is not of shape (T, 2).
    """
    if len(grid) != 2:
        raise InvalidArgumentError(
            f"plot_landscape draws two parameters, got a grid with {len(grid)} axes")
    if not paths:
        raise InvalidArgumentError("paths is empty; pass {label: path} with at least one path")
    arrays = {label: _as_path(label, path) for label, path in paths.items()}
    result = grid_search(loss_fn, grid)
    z = to_np(result.losses).T  # contour wants rows = vertical axis
    ax = _axes(ax)
    top = z.max() if vmax is None else vmax
    ax.contour(to_np(result.axes[0]), to_np(result.axes[1]), z,
               levels=np.linspace(z.min(), top, levels), colors="0.75", linewidths=0.7)
    for name, where in (points or {}).items():
        x, y = (float(v) for v in where[:2])
        saddle = "saddle" in name
        ax.plot(x, y, "X" if saddle else "*", color="black", markersize=11, zorder=5)
        # the saddle's name above it, the minima's below: neighbours' names never collide
        ax.annotate(name, (x, y), xytext=(0, 9 if saddle else -10), textcoords="offset points",
                    ha="center", va="bottom" if saddle else "top", fontsize=9, zorder=5,
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "alpha": 0.7,
                          "edgecolor": "none"})
    for i, (label, p) in enumerate(arrays.items()):
        # a dash pattern as well as a colour, so that paths lying on top of one another
        # (and colours a reader cannot tell apart) still show
        style = ("-", "--", "-.", ":")[i % 4]
        (line,) = ax.plot(p[:, 0], p[:, 1], marker=".", linestyle=style, markersize=3,
                          linewidth=1.4, label=label)
        ax.plot(p[0, 0], p[0, 1], "o", color=line.get_color(), markersize=6)
        ax.plot(p[-1, 0], p[-1, 1], "s", color=line.get_color(), markersize=6)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    if legend:
        ax.legend(loc="best", fontsize=9)
    return ax


def compare_landscape_paths(loss_fn: Callable[[torch.Tensor], torch.Tensor],
                            grid: Sequence[torch.Tensor],
                            panels: Mapping[str, Mapping[str, Path]], *,
                            points: Mapping[str, torch.Tensor] | None = None,
                            vmax: float | None = None, width: float = 7.5,
                            height: float = 4.2) -> Figure:
    """One :func:`plot_landscape` panel per entry of ``panels`` (at most 3, side by side),
    with one legend for all of them below the panels.

    Args:
        loss_fn, grid, points, vmax: as for :func:`plot_landscape`.
        panels: ``{title: {label: path}}``; use the same labels in every panel so that each
            optimizer keeps its colour.
        width, height: the figure's size in inches (the book's column is 7.5 wide).

    Returns:
        The Figure; its Axes are ``fig.axes``.
    """
    import matplotlib.pyplot as plt

    if not 1 <= len(panels) <= 3:
        raise InvalidArgumentError(
            f"compare_landscape_paths draws 1 to 3 panels in a row, got {len(panels)}")
    fig, axes = plt.subplots(1, len(panels), figsize=(width, height), sharey=True,
                             squeeze=False)
    for ax, (title, paths) in zip(axes[0], panels.items()):
        plot_landscape(loss_fn, grid, paths, ax=ax, points=points, vmax=vmax, legend=False)
        ax.set_title(title, fontsize=10)
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(3, len(names)), fontsize=9,
               frameon=False)
    fig.tight_layout(rect=(0, 0.06 * ((len(names) + 2) // 3), 1, 1))
    return fig
