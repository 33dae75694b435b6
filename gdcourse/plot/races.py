"""Optimizer races: how many steps each took to converge, as one readable chart (lecture 06).

    plot_race({"plain descent": None, "momentum 0.995": 3034, ...}, budget=5000)

A grid of one loss curve per optimizer shrinks to unreadable panels at page width; what a
race is about is one number per runner, so this draws that number as a bar.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from .._validate import check_steps
from ..errors import InvalidArgumentError
from ._common import _axes

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_race"]


def plot_race(settled: Mapping[str, int | None], *, budget: int, ax: Axes | None = None,
              xlabel: str = "steps until within 1% of the optimum for good (log scale)",
              ) -> Axes:
    """One horizontal bar per optimizer: the step from which it stayed converged.

    Args:
        settled: ``{label: steps}`` in the order to draw them (top to bottom); None for a
            run that never converged within the budget (drawn hatched, to the budget, and
            marked "never").
        budget: the steps every run was given; the axis ends there.
        ax: the Axes to draw on (a new 7.5 x 0.4-per-bar figure when None).
        xlabel: the horizontal axis label.

    Returns:
        The Axes: one bar patch per entry of ``settled``, each written with its count.

    Raises:
        InvalidArgumentError: ``settled`` is empty, or a count is not a positive int.
    """
    check_steps(budget, name="budget")
    if not settled:
        raise InvalidArgumentError("settled is empty; pass {label: steps or None}")
    for label, n in settled.items():
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise InvalidArgumentError(
                f"settled[{label!r}] must be a step count >= 0 or None, got {n!r}")
    labels = list(settled)
    own = ax is None
    ax = _axes(ax, figsize=(7.5, 0.8 + 0.4 * len(labels)))
    rows = range(len(labels))[::-1]  # the first entry on top
    for row, label in zip(rows, labels):
        n = settled[label]
        if n is None:
            ax.barh(row, budget, color="0.85", hatch="//", edgecolor="0.5")
            ax.text(budget, row, " never", va="center", ha="left", fontsize=9)
        else:
            ax.barh(row, max(n, 1), color="C0")
            ax.text(max(n, 1), row, f" {n:,}", va="center", ha="left", fontsize=9)
    ax.set_yticks(list(rows), [_wrap(label) for label in labels], fontsize=9)
    ax.set_xscale("log")
    ax.set_xlim(1, budget * 3)  # room for the counts written after the bars
    ax.axvline(budget, color="0.3", linestyle="--", linewidth=1)
    ax.set_xlabel(xlabel)
    if own:
        # long labels squeeze the bars, not widen the figure past the book's column
        cast("Figure", ax.figure).tight_layout()  # our own figure, not a subfigure
    return ax


def _wrap(label: str, width: int = 40) -> str:
    """A label longer than ``width`` on as few lines of about equal length as fit ``width``
    (with some slack for word breaks), so that long labels do not push the figure past the
    column's width."""
    if len(label) <= width:
        return label
    lines = math.ceil(len(label) / width)
    return textwrap.fill(label, width=math.ceil(len(label) / lines) + 8)
