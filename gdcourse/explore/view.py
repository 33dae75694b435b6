"""The explorer's figure: drawn once, then only its data change.

Three panels: a strip with the learning-rate axis (log scale), the unstable region past
2 (1 + mu) / lambda_max shaded and the current lr marked; the loss against the step; and
either the fitted parabola (lecture 02) or the path on the valley's contours (lecture 06),
cut where it leaves the panel, with an arrowhead there (:func:`path_in_view`).
A redraw moves data into the existing artists (``set_data``) and renders the PNG once; the
figure is never made again, which keeps a redraw far below 100 ms.

The figure is a bare ``matplotlib.figure.Figure`` on an Agg canvas, not a pyplot figure, so
the inline backend never shows it twice and pyplot's list of open figures never grows.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from .runs import EXPLODE, Outcome, Problem

__all__ = ["View", "path_in_view", "exit_arrow", "place_exit", "png_bytes"]

# PNG compression level 1: a third of the encoding time of the default, files ~30% larger.
_PNG = {"compress_level": 1}
# A diverged run's loss is drawn up to this many times its start (then clipped).
DIVERGED_TOP = EXPLODE * 1e3


def _figure(width: float, height: float, dpi: int) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Any) -> bytes:
    """The figure as PNG bytes: one Agg render, encoded by Pillow straight from its buffer
    (``print_png`` would render the figure a second time)."""
    fig.canvas.draw()
    return _encode(fig.canvas)


def _encode(canvas: Any) -> bytes:
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw",
                             "RGBA", 0, 1)
    buf = io.BytesIO()
    image.save(buf, format="png", **_PNG)
    return buf.getvalue()


def _few_log_ticks(*axes: Any) -> None:
    """Major ticks only, at most ~5 per log axis: each tick is a text to lay out and draw,
    and minor ticks were most of the time a redraw took."""
    from matplotlib.ticker import LogLocator, NullLocator

    for axis in axes:
        axis.set_major_locator(LogLocator(numticks=5))
        axis.set_minor_locator(NullLocator())


def _times(problem: Problem) -> np.ndarray:
    if problem.t is None:
        raise ValueError(f"the {problem.name} problem has no times to draw a parabola over")
    return problem.t.numpy()


def _fine_t(problem: Problem) -> np.ndarray:
    t = _times(problem)
    return np.linspace(t.min(), t.max(), 200)


def _parabola(params: np.ndarray, t: np.ndarray) -> np.ndarray:
    a, b, c = params
    return (a * t + b) * t + c


def _data_ylim(problem: Problem) -> tuple[float, float]:
    y = problem.y.numpy()
    pad = 0.35 * (y.max() - y.min())
    return float(y.min() - pad), float(y.max() + pad)


def _valley_box(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    reach = np.abs(problem.params0.numpy()) * 1.2 + 0.5
    return np.array([-reach[0], reach[0]]), np.array([-reach[1], reach[1]])


def path_in_view(path: np.ndarray, box: tuple) -> tuple[np.ndarray, int | None]:
    """The part of a 2-D path theta_0, theta_1, ... that the path panel shows.

    A path past the stability limit grows by |1 - lr c_2| > 1 per step across the valley;
    drawn whole, its segments span the panel many times over as a wall of vertical lines.
    It is cut at the first point outside ``box`` = ((x0, x1), (y0, y1)): the points before
    it, then the point where the segment towards it crosses the edge.

    Returns:
        (points, k): the points to draw, (M, 2); k the index of the first point outside
        the box (an index into ``path``), or None when the whole path stays inside.
    """
    (x0, x1), (y0, y1) = box
    with np.errstate(invalid="ignore"):
        inside = ((path[:, 0] >= x0) & (path[:, 0] <= x1)
                  & (path[:, 1] >= y0) & (path[:, 1] <= y1))
    if inside.all():
        return path, None
    k = int(np.argmin(inside))  # the first False
    if k == 0 or not np.isfinite(path[k]).all():
        return path[:k], k
    a, d = path[k - 1], path[k] - path[k - 1]
    # The largest fraction s of the step a -> a + d that stays in the box.
    s = 1.0
    for i, (lo, hi) in enumerate(box):
        if path[k, i] > hi:
            s = min(s, (hi - a[i]) / d[i])
        elif path[k, i] < lo:
            s = min(s, (lo - a[i]) / d[i])
    edge = np.clip(a + s * d, (x0, y0), (x1, y1))  # exactly on the edge, not 1 ulp past
    return np.vstack([path[:k], edge]), k


def exit_arrow(ax: Any, color: str) -> Any:
    """An arrowhead at the edge where a path leaves the panel, drawn along its last step
    (place it with :func:`place_exit`)."""
    return ax.annotate("", xy=(0, 0), xytext=(0, 0), annotation_clip=False,
                       arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.2,
                                   "mutation_scale": 14, "shrinkA": 0, "shrinkB": 0})


def place_exit(arrow: Any, shown: np.ndarray, left: int | None) -> None:
    """Point the arrow along the last drawn step when the path left the view; else hide it."""
    arrow.set_visible(left is not None and len(shown) >= 2)
    if arrow.get_visible():
        arrow.xy = tuple(shown[-1])
        arrow.set_position(tuple(shown[-2]))


def _valley_contours(ax: Any, problem: Problem) -> None:
    (x0, x1), (y0, y1) = _valley_box(problem)
    g1, g2 = np.meshgrid(np.linspace(x0, x1, 121), np.linspace(y0, y1, 61))
    c = np.diag(problem.X.numpy()) ** 2
    ax.contour(g1, g2, 0.5 * (c[0] * g1 ** 2 + c[1] * g2 ** 2), levels=10, colors="0.75",
               linewidths=0.8)
    ax.plot([0], [0], "k+", ms=10)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel=r"$\theta_1$ (gentle direction)",
           ylabel=r"$\theta_2$ (steep direction)")


class View:
    """The live figure of one problem; :meth:`update` moves an :class:`Outcome` into it."""

    def __init__(self, problem: Problem, *, lr_range: tuple[float, float],
                 width: float = 7.5, height: float = 4.8, dpi: int = 100):
        self.problem = problem
        fig = self.fig = _figure(width, height, dpi)
        # hspace is a fraction of the mean row height (4 of the 8 parts): 0.3 leaves room
        # for the strip's tick labels and the panels' titles, no more.
        grid = fig.add_gridspec(2, 2, height_ratios=(1, 7), hspace=0.3, wspace=0.32,
                                left=0.1, right=0.98, top=0.92, bottom=0.1)
        strip, self.loss_ax, self.pic_ax = (fig.add_subplot(grid[0, :]),
                                            fig.add_subplot(grid[1, 0]),
                                            fig.add_subplot(grid[1, 1]))
        self.strip = strip
        lo, hi = lr_range
        strip.set(xscale="log", xlim=(lo, hi), ylim=(0, 1), yticks=[])
        _few_log_ticks(strip.xaxis)
        # short: the limit's text (up to ~40 characters with momentum) shares the line
        strip.set_title("learning rate (log scale); shaded: unstable", loc="left",
                        fontsize=10)
        from matplotlib.patches import Rectangle

        self._unstable = Rectangle((hi, 0), hi, 1, color="tab:red", alpha=0.25, lw=0)
        strip.add_patch(self._unstable)
        self._limit_line = strip.axvline(hi, color="tab:red", lw=1.5)
        # Above the strip's right end: inside it, the lr marker would run over the text.
        self._limit_text = strip.set_title("", loc="right", fontsize=10, color="tab:red")
        (self._lr_mark,) = strip.plot([lo], [0.5], "kv", ms=9)

        ax = self.loss_ax
        (self._loss_line,) = ax.plot([1, 2], [1, 1], color="tab:blue", lw=1.5, label="loss")
        (self._blowup,) = ax.plot([], [], "x", color="tab:red", ms=10, mew=2, label="diverged")
        if problem.optimal_loss > 1e-12:
            ax.axhline(problem.optimal_loss, color="k", ls="--", lw=1, label="optimum")
        ax.set(xscale="log", yscale="log", xlabel="step", ylabel="loss")
        _few_log_ticks(ax.xaxis, ax.yaxis)
        # the corner the loss curves leave free: the parabola's plateau sits low, the valley's
        # runs down to float64 rounding, leaving the lower left empty
        ax.legend(fontsize=9, loc="upper right" if problem.name == "parabola" else "lower left")

        ax = self.pic_ax
        if problem.name == "parabola":
            t, fine = _times(problem), _fine_t(problem)
            ax.scatter(t, problem.y.numpy(), s=14, label="signal")
            ax.plot(fine, _parabola(problem.optimal_params.numpy(), fine), "k--", lw=1,
                    label="least squares")
            (self._fit_line,) = ax.plot(fine, fine * 0, color="tab:red", lw=1.5,
                                        label="descent")
            ax.set(ylim=_data_ylim(problem), xlabel="time $t$", ylabel="signal $y$")
            ax.legend(fontsize=9, loc="upper center")
        else:
            _valley_contours(ax, problem)
            (self._fit_line,) = ax.plot([], [], ".-", color="tab:red", lw=1, ms=3)
            (self._end,) = ax.plot([], [], "o", color="tab:red", ms=6)
            self._exit = exit_arrow(ax, "tab:red")
            ax.plot(*problem.params0.numpy(), "ko", ms=5)
        self._pic_title = ax.set_title("", fontsize=10)
        self._loss_title = self.loss_ax.set_title("", fontsize=10)
        # What a redraw changes. Animated artists are left out of a full draw, so the rest
        # (axes, ticks, data points, contours, legends: most of the text) is rendered once,
        # kept as a bitmap, and each redraw pastes it back and draws only these.
        self._dynamic = [self._unstable, self._limit_line, self._limit_text, self._lr_mark,
                         self._loss_line, self._blowup, self._fit_line, self._pic_title,
                         self._loss_title]
        if problem.name != "parabola":
            self._dynamic += [self._end, self._exit]
        for artist in self._dynamic:
            artist.set_animated(True)
        self._background: Any = None
        self._limits: tuple | None = None

    def update(self, outcome: Outcome) -> None:
        """Move a run into the figure's artists (nothing is created or removed)."""
        lr, limit = outcome.lr, outcome.limit
        hi = self.strip.get_xlim()[1]
        self._unstable.set_x(limit)
        self._unstable.set_width(max(hi * 10 - limit, 0.0))
        self._limit_line.set_xdata([limit, limit])
        mu = f"(1+{outcome.momentum:g})" if outcome.momentum else ""
        self._limit_text.set_text(f"red line: limit 2{mu}/\u03bbmax = {limit:.3g}")
        self._lr_mark.set_xdata([lr])

        # Log axes take no 0 or inf; below 1e-16 x the start is float64 rounding anyway.
        floor = max(float(outcome.losses[0]) * 1e-16, 1e-300)
        with np.errstate(all="ignore"):
            shown = np.clip(np.nan_to_num(outcome.losses, nan=1e300), floor, 1e300)
        diverged = outcome.diverged_at is not None
        if diverged:  # the last loss is past EXPLODE x the start; keep it on the axes
            shown = np.minimum(shown, float(shown[0]) * DIVERGED_TOP)
            self._blowup.set_data([outcome.steps[-1] + 1], [shown[-1]])
            self._loss_title.set_text(f"diverged at step {outcome.diverged_at:,}")
        else:
            self._blowup.set_data([], [])
            self._loss_title.set_text(f"loss {outcome.final_loss:.4g} after "
                                      f"{outcome.n_steps:,} steps")
        self._loss_line.set_data(outcome.steps + 1, shown)
        limits = _loss_limits(outcome.n_steps, shown, self.problem.optimal_loss, floor,
                              diverged)
        if limits != self._limits:  # new axes: the kept bitmap is stale
            self._limits = limits
            self.loss_ax.set_xlim(*limits[0])
            self.loss_ax.set_ylim(*limits[1])
            self._background = None

        last = outcome.params[-1]
        away = ""
        if self.problem.name == "parabola":
            self._fit_line.set_ydata(_parabola(last, _fine_t(self.problem)))
            away = ": fit off the chart" if diverged else ""
        else:
            shown, left = path_in_view(outcome.params, _valley_box(self.problem))
            self._fit_line.set_data(shown[:, 0], shown[:, 1])
            place_exit(self._exit, shown, left)
            if left is None:
                self._end.set_data([last[0]], [last[1]])
            else:  # the end lies off the panel: the arrow says where the path went
                self._end.set_data([], [])
                away = f": left the view at step {int(outcome.steps[left]):,}"
        self._pic_title.set_text(f"step {int(outcome.steps[-1]):,}, lr {lr:.3g}"
                                 + (f", momentum {outcome.momentum:g}" if outcome.momentum
                                    else "") + away)

    def png(self) -> bytes:
        """The figure as PNG bytes: the kept bitmap plus the animated artists."""
        canvas = self.fig.canvas
        if self._background is None:
            canvas.draw()  # everything but the animated artists
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self._dynamic:
            self.fig.draw_artist(artist)
        return _encode(canvas)


def _loss_limits(n_steps: int, losses: np.ndarray, optimal: float, floor: float,
                 diverged: bool) -> tuple:
    """The loss axes' limits, whole decades that most redraws keep: x from the step count;
    y from the optimum (or the rounding floor when it is 0) up to the start, or up to
    DIVERGED_TOP x the start for a run that diverged. A change means a full redraw."""
    low = optimal if optimal > 0 else floor
    high = float(losses[0]) * DIVERGED_TOP if diverged else float(losses.max())
    return ((0.8, (n_steps + 1) * 1.25),
            (10.0 ** np.floor(np.log10(low * 0.9)), 10.0 ** np.ceil(np.log10(high * 1.1))))
