"""The explorer as a notebook shows it: sliders, a readout and the figure, or a static grid.

Displayed in a notebook, an :class:`Explorer` sends one output that carries two views:

- the live widget (``application/vnd.jupyter.widget-view+json``), which JupyterLab,
  Notebook 7 (ipywidgets 8) and Colab (ipywidgets 7.7.1) draw: sliders for lr (log scale),
  steps (1 to 10^6, log scale) and, where asked, momentum; a readout; the figure as an
  ``Image`` widget whose PNG is replaced at each redraw;
- a static fallback (``text/html`` with an ``<img>``, ``image/png``, ``text/plain``) for a
  page with no kernel behind it (the book, nbconvert): one line that says so, and the same
  view at a small grid of fixed learning rates. (On Colab, which runs every cell in a
  kernel, the output is the widget alone, as ipywidgets sends it.)

Only widgets that exist in both ipywidgets 7.7 and 8 are used (FloatLogSlider, FloatSlider,
HTML, Image, HBox, VBox, Layout), and only their common traits.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import math
import sys
from typing import Any

from .runs import Outcome, Problem, run
from .static import static_png
from .view import View

__all__ = ["Explorer", "NO_KERNEL"]

#: the one line a page without a kernel shows above the static grid
NO_KERNEL = ("No Python kernel is running behind this page, so the sliders cannot move: "
             "here is the same view at a few fixed learning rates. Open the notebook in "
             "Jupyter, Colab or Kaggle to explore.")
_NO_WIDGETS = ("The live explorer needs ipywidgets (pip install ipywidgets): here is the same "
               "view at a few fixed learning rates.")


class Explorer:
    """An lr explorer for one problem; see :func:`gdcourse.explore_fit`.

    Attributes:
        problem, view: the loss and its figure. outcome: the last run drawn.
        lr, steps, momentum: the current settings (momentum None: no momentum slider).
        redraws: how many times the figure was redrawn.
    """

    def __init__(self, problem: Problem, *, lr: float, steps: int, momentum: float | None,
                 lr_range: tuple[float, float], static_lrs: list[float]):
        self.problem = problem
        self.lr, self.steps, self.momentum = lr, steps, momentum
        self.lr_range = lr_range
        self.static_lrs = static_lrs
        self.view = View(problem, lr_range=lr_range)
        self.redraws = 0
        self._widget: Any = None
        self._image: Any = None
        self._readout: Any = None
        self.outcome: Outcome = self.update()

    # -- the arithmetic and the figure -------------------------------------------------
    def update(self, *, lr: float | None = None, steps: int | None = None,
               momentum: float | None = None) -> Outcome:
        """Run with the changed settings, redraw the figure and the readout; the outcome.

        One :func:`~gdcourse.explore.runs.run` (one fast_forward), ``set_data`` on the
        figure's artists, one PNG render.
        """
        self.lr = self.lr if lr is None else float(lr)
        self.steps = self.steps if steps is None else int(steps)
        if momentum is not None:
            self.momentum = float(momentum)
        outcome = run(self.problem, lr=self.lr, steps=self.steps,
                      momentum=self.momentum or 0.0)
        self.view.update(outcome)
        self.outcome = outcome
        self.redraws += 1
        if self._widget is not None:
            self._image.value = self.view.png()
            self._readout.value = _readout_html(outcome.readout())
        return outcome

    def png(self) -> bytes:
        """The current figure as PNG bytes."""
        return self.view.png()

    # -- the widget ----------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The ipywidgets box (made on first use; needs ipywidgets 7.7 or 8)."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self) -> Any:
        import ipywidgets as w  # type: ignore[import-untyped]

        wide = {"description_width": "initial"}
        lo, hi = (math.log10(v) for v in self.lr_range)
        lr = w.FloatLogSlider(value=self.lr, base=10, min=lo, max=hi, step=0.01,
                              description="learning rate", readout_format=".2e",
                              continuous_update=False, style=wide,
                              layout=w.Layout(width="40%"))
        steps = w.FloatLogSlider(value=self.steps, base=10, min=0, max=6, step=0.05,
                                 description="steps", readout_format=",.0f",
                                 continuous_update=False, style=wide,
                                 layout=w.Layout(width="28%"))
        controls = [lr, steps]
        lr.observe(lambda change: self._on(lr=change["new"]), names="value")
        steps.observe(lambda change: self._on(steps=round(change["new"])), names="value")
        if self.momentum is not None:
            mu = w.FloatSlider(value=self.momentum, min=0.0, max=0.99, step=0.01,
                               description="momentum", readout_format=".2f",
                               continuous_update=False, style=wide,
                               layout=w.Layout(width="28%"))
            mu.observe(lambda change: self._on(momentum=change["new"]), names="value")
            controls.append(mu)
        self._readout = w.HTML(value=_readout_html(self.outcome.readout()))
        self._image = w.Image(value=self.view.png(), format="png",
                              layout=w.Layout(width="100%", max_width="750px"))
        self.controls = controls
        return w.VBox([w.HBox(controls), self._readout, self._image])

    def _on(self, **change: Any) -> None:
        try:
            self.update(**change)
        except Exception as err:  # a widget callback's error would vanish into a log
            self._readout.value = _readout_html(f"error: {type(err).__name__}: {err}")

    # -- what a notebook shows -------------------------------------------------------------
    def static_html(self, line: str = NO_KERNEL) -> tuple[str, bytes]:
        """The fallback for a page without a kernel: (HTML with one line and an image, PNG)."""
        png, labels = static_png(self.problem, lrs=self.static_lrs, steps=self.steps,
                                 momentum=self.momentum or 0.0)
        alt = (f"Loss curves and {'fits' if self.problem.name == 'parabola' else 'paths'} "
               f"after {self.steps:,} steps at fixed learning rates: " + "; ".join(labels))
        data = base64.b64encode(png).decode("ascii")
        return (f'<p class="gdcourse-explore-static">{html.escape(line)}</p>'
                f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'), png

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        if importlib.util.find_spec("ipywidgets") is None:
            page, png = self.static_html(_NO_WIDGETS)
            return {"text/html": page, "image/png": png, "text/plain": _NO_WIDGETS}
        view = {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
        if "google.colab" in sys.modules:
            # Colab always runs the cell in a kernel and keeps no widget state for a page
            # without one; send exactly what ipywidgets itself sends there, so that Colab's
            # choice among the bundle's types cannot fall on the static view.
            return {"application/vnd.jupyter.widget-view+json": view,
                    "text/plain": repr(self)}
        page, png = self.static_html()
        return {
            "application/vnd.jupyter.widget-view+json": view,
            "text/html": page,
            "image/png": png,
            "text/plain": NO_KERNEL,
        }

    def __repr__(self) -> str:
        return (f"Explorer({self.problem.name}, lr={self.lr:.3g}, steps={self.steps:,}, "
                f"momentum={self.momentum}, limit={self.outcome.limit:.3g})")


def _readout_html(text: str) -> str:
    # role=status: a screen reader announces the new readout after each redraw.
    return (f'<div class="gdcourse-readout" role="status" aria-live="polite" '
            f'style="font-family: monospace; padding: 2px 0">{html.escape(text)}</div>')
