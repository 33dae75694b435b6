"""Decision boundaries, parameter trajectories, and why a classifier trains on its loss
rather than its accuracy (lectures 04-05)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..errors import ShapeError
from ._common import Values, _as_floats, _axes, to_np

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_decision_boundary", "plot_loss_and_accuracy", "plot_trajectory"]


def plot_decision_boundary(predict_fn: Callable[[torch.Tensor], Any], X: Values, y: Values,
                           ax: Axes | None = None, *, resolution: int = 50,
                           margin: float = 1.0, cmap: str = "coolwarm",
                           title: str | None = None) -> Axes:
    """A classifier's probabilities over the plane (filled contours), its 0.5 line, the data.

    Args:
        predict_fn: maps grid points, a float64 tensor of shape (M, 2), to M probabilities
            of class 1 (a tensor, array, or list of floats or Scalars). For a scratch model
            pass ``model.predict``; for a torch model, ``lambda G: model(G).sigmoid()``.
        X: samples, shape (N, 2). y: labels 0/1, shape (N,).
        resolution: grid points per axis (the model runs resolution^2 times).
        margin: how far the grid reaches beyond the data, in data units.

    Returns:
        The Axes.
    """
    X_np, y_np = to_np(X).astype(np.float64), to_np(y).reshape(-1)
    if X_np.ndim != 2 or X_np.shape[1] != 2 or len(X_np) != len(y_np):
        raise ShapeError(f"X must have shape (N, 2) and y shape (N,), got {X_np.shape} and "
                         f"{y_np.shape}")
    lo, hi = X_np.min(axis=0) - margin, X_np.max(axis=0) + margin
    g1 = np.linspace(lo[0], hi[0], resolution)
    g2 = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(g1, g2)  # (R, R) each
    grid = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], axis=1))  # (R*R, 2)
    zz = _as_floats(predict_fn(grid)).reshape(xx.shape)
    ax = _axes(ax, figsize=(6, 6))
    filled = ax.contourf(xx, yy, zz, levels=np.linspace(0, 1, 11), cmap=cmap, alpha=0.45)
    ax.contour(xx, yy, zz, levels=[0.5], colors="black", linewidths=1.5)
    ax.scatter(X_np[:, 0], X_np[:, 1], c=y_np, cmap=cmap, edgecolors="black", linewidths=0.5,
               s=20, zorder=3)
    ax.figure.colorbar(filled, ax=ax, label="p(class 1)", fraction=0.046, pad=0.04)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def plot_trajectory(model: Any, snapshots: Iterable[Mapping[str, Any]], x: Values, y: Values,
                    ax: Axes | None = None, *, n_points: int = 100, color: str = "black",
                    title: str | None = None) -> Axes:
    """A 1-D fit over training: one line per parameter snapshot, fading in with time.

    Snapshot k of K is drawn with alpha growing from faint to 1, so the line's path from
    the initial guess to the final fit reads as a trail.

    Args:
        model: a scratch :class:`~gdcourse.scratch.nn.Model` (each snapshot is loaded into
            it in turn; its own parameters are restored afterwards), or a function
            ``(snapshot, t) -> predictions`` for a float64 tensor t of shape (n_points,).
        snapshots: parameter dicts, e.g. ``model.copy_parameters()`` taken during training.
        x, y: the data, shape (N,) each.

    Returns:
        The Axes.
    """
    snapshots = list(snapshots)
    x_np, y_np = to_np(x).reshape(-1), to_np(y).reshape(-1)
    t = torch.linspace(float(x_np.min()), float(x_np.max()), n_points, dtype=torch.float64)
    if hasattr(model, "load_parameters"):
        saved = model.copy_parameters()
        try:
            curves = []
            for snapshot in snapshots:
                model.load_parameters(snapshot)
                curves.append(_as_floats(model.predict(t)))
        finally:
            model.load_parameters(saved)
    else:
        curves = [_as_floats(model(snapshot, t)) for snapshot in snapshots]
    ax = _axes(ax)
    ax.scatter(x_np, y_np, s=12, label="data")
    t_np = t.numpy()
    for k, curve in enumerate(curves):
        alpha = 0.08 + 0.92 * (k + 1) / len(curves)
        label = "start" if k == 0 else "end" if k == len(curves) - 1 else None
        ax.plot(t_np, curve, color=color, alpha=alpha, lw=1.5 if label == "end" else 1,
                label=label)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plot_loss_and_accuracy(weights: Values, loss: Values, accuracy: Values,
                           loss_slope: Values, *, name: str = "w",
                           at: float | None = None) -> Figure:
    """Accuracy and loss as functions of one weight, each next to its slope (2 x 2 panels).

    Accuracy changes only when a sample crosses the decision boundary, so it is a step
    function of the weight: its slope, measured between neighbouring grid points as
    (acc[k+1] - acc[k]) / (w[k+1] - w[k]), is 0 except at the jumps (where no finite slope
    exists). The loss changes smoothly, and its slope (from autograd, passed in) says which
    way is downhill everywhere.

    Args:
        weights: the grid of values of the one weight, shape (G,), increasing.
        loss: the loss at each grid point, (G,).
        accuracy: the accuracy (a fraction in [0, 1]) at each grid point, (G,).
        loss_slope: d loss / d weight at each grid point, (G,).
        name: the weight's name for the axis labels (mathtext allowed, e.g. "$a_1$").
        at: mark this weight (say, the trained value) with a dotted line in every panel.

    Returns:
        The Figure.
    """
    import matplotlib.pyplot as plt

    w, lo, acc, slope = (_as_floats(v) for v in (weights, loss, accuracy, loss_slope))
    if not len(w) == len(lo) == len(acc) == len(slope) or len(w) < 2:
        raise ShapeError("weights, loss, accuracy and loss_slope need one value per grid "
                         f"point (at least 2), got {len(w)}, {len(lo)}, {len(acc)}, "
                         f"{len(slope)}")
    acc_slope = np.diff(acc) / np.diff(w)  # (G-1,) difference quotients
    mid = (w[1:] + w[:-1]) / 2
    fig, axes = plt.subplots(2, 2, figsize=(7.5, 5.2), sharex=True)
    (ax_acc, ax_acc_slope), (ax_loss, ax_loss_slope) = axes
    ax_acc.plot(w, 100 * acc, color="tab:orange", drawstyle="steps-mid")
    ax_acc.set(ylabel="accuracy (%)", title="accuracy: flat steps")
    ax_acc_slope.plot(mid, 100 * acc_slope, color="tab:orange", lw=1)
    ax_acc_slope.set(ylabel=f"d accuracy / d{name} (%)", title="its slope: 0 between jumps")
    ax_loss.plot(w, lo, color="tab:blue")
    ax_loss.set(ylabel="loss (BCE)", xlabel=name, title="loss: smooth")
    ax_loss_slope.plot(w, slope, color="tab:blue")
    ax_loss_slope.axhline(0, color="gray", lw=0.8)
    ax_loss_slope.set(ylabel=f"d loss / d{name}", xlabel=name,
                      title="its slope: says which way is down")
    if at is not None:
        for ax in axes.flat:
            ax.axvline(at, color="black", ls=":", lw=1)
    fig.tight_layout()
    return fig
