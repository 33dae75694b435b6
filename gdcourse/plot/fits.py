"""The lecture's signal, predictions, fits and loss curves (lecture 02)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ..history import History
from ..quadratic import QuadraticFit, quadratic
from ._common import Values, _axes, to_np

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.axes import Axes

__all__ = ["show_preds", "plot_history", "show_fit"]


def show_preds(t: Values, y: Values, preds: Values, ax: Axes | None = None, *,
               title: str | None = None) -> Axes:
    """Measurements as blue dots and predictions as red ones, against time.

    Args:
        t: times, shape (N,).
        y: measurements, shape (N,).
        preds: predictions, shape (N,) (tensors on any device, with or without grad).
    """
    ax = _axes(ax)
    ax.scatter(to_np(t), to_np(y), label="signal")
    ax.scatter(to_np(t), to_np(preds), color="red", label="predictions")
    ax.set_xlabel("time")
    ax.set_ylabel("signal")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plot_history(history: History, ax: Axes | None = None, *, log: bool = True,
                 label: str | None = None) -> Axes:
    """Training (and validation) loss against step; log-log axes by default."""
    ax = _axes(ax)
    steps = [s + 1 for s in history.steps]  # +1 so step 0 survives a log axis
    ax.plot(steps, history.losses, label=label or "training loss")
    if history.val_losses:
        # val_steps count updates taken, like steps; shift both alike for the log axis
        ax.plot([s + 1 for s in history.val_steps], history.val_losses, label="validation loss")
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def show_fit(fit: QuadraticFit, ax: Axes | None = None) -> Axes:
    """A :class:`~gdcourse.quadratic.QuadraticFit`: data, fitted and optimal parabolas."""
    ax = _axes(ax)
    t = fit.t.detach().to(torch.float64)
    fine = torch.linspace(float(t.min()), float(t.max()), 200, dtype=torch.float64)
    ax.scatter(to_np(t), to_np(fit.y), label="signal")
    ax.plot(to_np(fine), to_np(quadratic(fine, fit.params.cpu())), color="red",
            label=f"descent (loss {fit.loss:.3f})")
    ax.plot(to_np(fine), to_np(quadratic(fine, fit.optimal_params.cpu())), "k--",
            label=f"least squares (loss {fit.optimal_loss:.3f})")
    ax.set_xlabel("time")
    ax.set_ylabel("signal")
    ax.legend()
    return ax
