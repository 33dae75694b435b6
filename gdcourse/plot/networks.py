"""Decision boundaries and parameter trajectories of small networks (lectures 04-05)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..errors import ShapeError
from ._common import Values, _as_floats, _axes, to_np

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.axes import Axes

__all__ = ["plot_decision_boundary", "plot_trajectory"]


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
