"""Plots for the lectures. Every function draws on ``ax`` (a new figure when None) and
returns the Axes (or Figure/Animation), so notebooks can compose and tests can inspect.

matplotlib.pyplot is imported inside the functions: ``import gdcourse`` stays light and
never picks a GUI backend on a headless machine.
"""

from __future__ import annotations

from .devices import to_np

__all__ = ["show_preds", "plot_history", "show_fit"]


def _axes(ax, **subplot_kw):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(**subplot_kw)[1]


def show_preds(t, y, preds, ax=None, *, title: str | None = None):
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


def plot_history(history, ax=None, *, log: bool = True, label: str | None = None):
    """Training (and validation) loss against step; log-log axes by default."""
    ax = _axes(ax)
    steps = [s + 1 for s in history.steps]  # +1 so step 0 survives a log axis
    ax.plot(steps, history.losses, label=label or "training loss")
    if history.val_losses:
        ax.plot(history.val_steps, history.val_losses, label="validation loss")
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def show_fit(fit, ax=None):
    """A :class:`~gdcourse.quadratic.QuadraticFit`: data, fitted and optimal parabolas."""
    import torch

    from .quadratic import quadratic

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


# --- Networks and trajectories (lectures 04-05) ------------------------------------------


# --- Slopes, loss surfaces and animations (lectures 01, 06) --------------------------------
