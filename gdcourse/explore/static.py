"""The explorer's static view, for a page with no kernel behind it (the book, nbconvert).

The live view at a small grid of fixed learning rates, on two panels: the loss of each run
against the step, and the fit each run ended with (lecture 02) or each run's path on the
valley's contours (lecture 06). A path that leaves the panel (a run past the stability
limit) is drawn up to the edge, with an arrowhead where it left, and its legend entry says
at which step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .runs import Problem, run
from .view import (
    _data_ylim,
    _few_log_ticks,
    _figure,
    _fine_t,
    _parabola,
    _times,
    _valley_box,
    _valley_contours,
    exit_arrow,
    path_in_view,
    place_exit,
    png_bytes,
)

__all__ = ["static_png"]

#: inches of figure height for the two panels (their titles and tick labels included),
#: and for each line of the legend under them
PANELS_HEIGHT, LEGEND_LINE = 3.1, 0.21


def static_png(problem: Problem, *, lrs: list[float], steps: int, momentum: float = 0.0,
               dpi: int = 100) -> tuple[bytes, list[str]]:
    """A small grid of learning rates, for a page with no kernel: one loss curve and one
    fit (or path) per lr, on two panels. Returns the PNG and each run's legend label.

    Drawn as the book draws figures: 7.5 in wide at 100 dpi (shown at full size in its
    column), no text under 9 pt; the legend sits right under the panels, where it hides
    nothing (constrained layout gives it exactly the height of its lines).
    """
    entries = len(lrs) + (problem.name == "parabola")  # + the signal's dots
    fig = _figure(7.5, PANELS_HEIGHT + LEGEND_LINE * entries, dpi)
    fig.set_layout_engine("constrained", h_pad=0.03, w_pad=0.05)
    loss_ax, pic_ax = fig.subplots(1, 2)
    if problem.name == "parabola":
        pic_ax.scatter(_times(problem), problem.y.numpy(), s=14, color="k", label="signal")
        pic_ax.set(ylim=_data_ylim(problem), xlabel="time $t$", ylabel="signal $y$")
    else:
        _valley_contours(pic_ax, problem)
    labels = [_one_run(problem, lr, steps, momentum, loss_ax, pic_ax) for lr in lrs]
    loss_ax.set(xscale="log", yscale="log", xlabel="step", ylabel="loss")
    _few_log_ticks(loss_ax.xaxis, loss_ax.yaxis)
    loss_ax.set_title(f"loss, {steps:,} steps", fontsize=10)
    pic_ax.set_title("where each run ended" if problem.name == "parabola"
                     else "the path of each run", fontsize=10)
    fig.legend(loc="outside lower center", ncols=1, fontsize=9, frameon=False)
    return png_bytes(fig), labels


def _one_run(problem: Problem, lr: float, steps: int, momentum: float, loss_ax: Any,
             pic_ax: Any) -> str:
    """Draw one lr's run on both panels; its legend label."""
    out = run(problem, lr=lr, steps=steps, momentum=momentum)
    notes = [f"diverged at step {out.diverged_at:,}"] if out.diverged_at else []
    (line,) = loss_ax.plot(out.steps + 1, np.clip(out.losses, 1e-300, 1e300))
    if problem.name == "parabola":
        fine = _fine_t(problem)
        pic_ax.plot(fine, _parabola(out.params[-1], fine), color=line.get_color(), lw=1.2)
    else:
        shown, left = path_in_view(out.params, _valley_box(problem))
        pic_ax.plot(shown[:, 0], shown[:, 1], ".-", color=line.get_color(), lw=1, ms=3)
        place_exit(exit_arrow(pic_ax, line.get_color()), shown, left)
        if left is not None:
            notes.insert(0, f"left the view at step {int(out.steps[left]):,}")
    label = f"lr {lr:.2g} ({lr / out.limit:.2g} x limit)" + "".join(
        f"{', ' if i else ': '}{note}" for i, note in enumerate(notes))
    line.set_label(label)
    return label
