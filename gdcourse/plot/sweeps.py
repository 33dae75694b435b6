"""Final loss against learning rate, from a vectorized sweep (lecture 06)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ..sweep import LRSweep
from ._common import _axes, to_np

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.axes import Axes

__all__ = ["plot_lr_sweep"]


def plot_lr_sweep(sweep: LRSweep, ax: Axes | None = None) -> Axes:
    """Final loss against learning rate on log axes, from :func:`gdcourse.lr_sweep`.

    Converged runs are a line; diverged runs are red crosses along the top edge; a dotted
    vertical line marks the stability limit 2 (1 + momentum) / lambda_max and a dashed
    horizontal one the least-squares optimum.
    """
    ax = _axes(ax)
    lrs, losses, diverged = sweep.lrs, sweep.final_loss, sweep.diverged
    ok = ~diverged & torch.isfinite(losses)
    ax.plot(to_np(lrs[ok]), to_np(losses[ok]), ".-", markersize=3,
            label=f"final loss after {sweep.steps:,} steps")
    top = float(losses[ok].max()) if bool(ok.any()) else 1.0
    if bool(diverged.any()):
        ax.scatter(to_np(lrs[diverged]), [top * 2] * int(diverged.sum()), marker="x",
                   color="red", label="diverged")
    ax.axvline(sweep.max_stable_lr, color="black", linestyle=":",
               label=f"2/lambda_max = {sweep.max_stable_lr:.2g}" if not sweep.momentum else
               f"2(1+mu)/lambda_max = {sweep.max_stable_lr:.2g}")
    ax.axhline(sweep.optimal_loss, color="gray", linestyle="--",
               label=f"least squares ({sweep.optimal_loss:.3g})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("final loss")
    ax.legend()
    return ax
