"""Predictions at several moments of training, drawn over the data in one panel
(lecture 02).

A row of small panels, one per moment, shrinks below readable size at a book's column
width; one panel with a line per moment keeps its text large and shows at a glance how
far the fit moved between moments (often: hardly at all).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InvalidArgumentError, ShapeError
from ._common import Values, _as_floats, _axes

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.axes import Axes

__all__ = ["plot_snapshots"]


def plot_snapshots(t: Values, y: Values, snapshots: Mapping[str, Values],
                   ax: Axes | None = None, *, optimum: Values | None = None,
                   optimum_label: str = "least squares", cmap: str = "viridis") -> Axes:
    """The measurements as dots and the model's predictions at several moments as lines.

    Line k joins the predictions ``snapshots[label_k]`` at the times ``t`` (sorted), in
    the k-th colour of ``cmap``: early moments dark, late ones light, so the order reads
    without a legend. The legend, below the panel, names each line.

    Args:
        t: times (the horizontal axis), shape (N,).
        y: measurements, shape (N,).
        snapshots: label -> predictions of shape (N,), in training order (e.g.
            ``{"step 0": preds_0, "step 2,500": preds_1}``); tensors on any device, with
            or without grad.
        ax: the Axes to draw on (a new figure when None).
        optimum: predictions of the best parameters, shape (N,), drawn as a black dashed
            line (none when None).
        optimum_label: the legend's name for ``optimum``.
        cmap: a matplotlib colormap name for the moments.

    Returns:
        The Axes: ``ax.lines`` holds one line per snapshot in order, then the optimum.

    Raises:
        InvalidArgumentError: when ``snapshots`` is empty.
        ShapeError: when a snapshot (or the optimum) has a different length than ``t``.
    """
    import matplotlib.pyplot as plt

    if not snapshots:
        raise InvalidArgumentError("snapshots is empty; pass at least one label -> preds")
    t_np, y_np = _as_floats(t), _as_floats(y)
    if t_np.shape != y_np.shape:
        raise ShapeError(f"t has {t_np.size} values but y has {y_np.size}")
    order = np.argsort(t_np)
    colours = plt.get_cmap(cmap)(np.linspace(0.0, 0.85, len(snapshots)))  # 0.85: not pale

    ax = _axes(ax)
    ax.scatter(t_np, y_np, color="tab:blue", zorder=3, label="signal")
    curves = list(snapshots.items()) + ([] if optimum is None else [(optimum_label, optimum)])
    for k, (label, preds) in enumerate(curves):
        p = _as_floats(preds)
        if p.shape != t_np.shape:
            raise ShapeError(f"snapshot {label!r} has {p.size} predictions for "
                             f"{t_np.size} times")
        style = {"color": "black", "ls": "--"} if k == len(snapshots) else {
            "color": colours[k]}
        ax.plot(t_np[order], p[order], lw=1.8, label=label, **style)
    ax.set_xlabel("time")
    ax.set_ylabel("signal")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3)  # off the data
    return ax
