"""The lr explorers (gdcourse/explore): the same runs as the loop, a figure that is updated
rather than remade, the readout, the widgets (ipywidgets 8 API, no kernel needed) and the
static fallback a page without a kernel shows."""

from __future__ import annotations

import importlib.util
import io
import sys
import types

import numpy as np
import pytest
import torch

import gdcourse as gd
from gdcourse.explore import NO_KERNEL, parabola_problem, run, valley_problem
from gdcourse.explore.runs import record_marks
from gdcourse.explore.view import path_in_view


@pytest.fixture(scope="module")
def signal():
    return gd.make_signal(seed=0)


@pytest.fixture(scope="module")
def explorer(signal):
    return gd.explore_fit(*signal, steps=1_000_000)


def test_run_takes_the_steps_of_the_loop(signal):
    t, y = signal
    p0 = gd.init_params(3, seed=666, dtype=torch.float64)
    problem = parabola_problem(t, y, p0)
    for lr, mu in ((1e-5, 0.0), (3e-5, 0.0), (1e-5, 0.9)):
        out = run(problem, lr=lr, steps=300, momentum=mu)
        sweep = gd.lr_sweep(gd.design_matrix_quadratic(t.double()), y.double(), [lr],
                            steps=300, params0=p0, momentum=mu)
        assert out.steps[-1] == 300 and out.diverged_at is None
        np.testing.assert_allclose(out.params[-1], sweep.params[0].numpy(), rtol=1e-9)
        np.testing.assert_allclose(out.final_loss, float(sweep.final_loss[0]), rtol=1e-9)


def test_divergence_is_found_where_train_raises_it(signal):
    t, y = signal
    p0 = gd.init_params(3, seed=666, dtype=torch.float64)
    out = run(parabola_problem(t, y, p0), lr=1e-4, steps=1_000_000)
    with pytest.raises(gd.DivergenceError) as err:
        gd.train(p0.detach().clone().requires_grad_(), gd.quadratic, t.double(), y.double(),
                 lr=1e-4, steps=1_000, progress=False)
    assert out.diverged_at == err.value.step
    # The curve goes up to the exploded loss, past 1e8 times the start.
    assert out.losses[-1] > 1e8 * out.losses[0]
    assert out.steps[-1] == out.diverged_at - 1


def test_limit_and_readout(explorer):
    limit = explorer.outcome.limit
    assert limit == pytest.approx(gd.max_stable_lr(
        gd.quadratic, gd.init_params(3, seed=666), *gd.make_signal(seed=0)), rel=1e-6)
    below = explorer.update(lr=0.9 * limit)
    assert below.diverged_at is None and "diverged" not in below.readout()
    assert "x the optimum" in below.readout() and "stable" in below.readout()
    above = explorer.update(lr=1.1 * limit)
    assert above.diverged_at is not None and above.readout().startswith("diverged at step")
    # Momentum moves the limit to 2 (1 + mu) / lambda_max: 1.1 x plain limit is now stable.
    with_mu = explorer.update(momentum=0.5)
    assert with_mu.limit == pytest.approx(1.5 * limit)
    assert with_mu.diverged_at is None
    explorer.momentum = None  # back to plain descent, as the fixture made it
    assert explorer.update(lr=1.1 * limit).diverged_at is not None


def test_a_million_steps_match_the_lecture(explorer):
    out = explorer.update(lr=1e-5, steps=1_000_000)
    assert out.n_steps == 1_000_000 and out.steps[-1] == 1_000_000
    assert out.final_loss == pytest.approx(9.310, abs=5e-3)   # lecture 02 prints 9.310
    assert out.optimal_loss == pytest.approx(5.921, abs=5e-4)
    assert "1,000,000 steps" in out.readout()


def test_redraw_updates_the_same_figure(explorer):
    fig = explorer.view.fig
    artists = sum(len(ax.get_children()) for ax in fig.axes)
    pictures = []
    for lr in (1e-5, 1e-4, 1e-5):
        explorer.update(lr=lr)
        pictures.append(explorer.png())
    first, second, again = pictures
    assert explorer.view.fig is fig
    assert sum(len(ax.get_children()) for ax in fig.axes) == artists  # nothing new drawn in
    assert first != second
    assert first == again  # the kept background plus the same data: the same picture


def test_marks_cover_first_steps_and_the_end():
    marks = record_marks(1_000_000)
    assert marks[:101] == list(range(101)) and marks[-1] == 1_000_000
    assert len(marks) < 250
    assert record_marks(7) == list(range(8))


def test_valley_is_half_the_curvature_weighted_square():
    problem = valley_problem((1.0, 20.0), (-9.0, 2.0))
    theta = torch.tensor([0.3, -1.2], dtype=torch.float64)
    loss = float(((problem.X @ theta - problem.y) ** 2).mean())
    assert loss == pytest.approx(0.5 * (0.3 ** 2 + 20 * 1.2 ** 2))
    assert problem.limit() == pytest.approx(2 / 20)
    ex = gd.explore_valley(momentum=0.0, steps=30)
    assert ex.lr == pytest.approx(2 / 21)
    path = ex.outcome.params
    assert path.shape == (31, 2) and tuple(path[0]) == (-9.0, 2.0)
    # The lecture's plain-descent loss after 30 steps.
    assert ex.outcome.final_loss == pytest.approx(1.99e-1, rel=0.01)
    assert ex.update(lr=0.11).diverged_at is None  # 0.11 < 2 / 20 is false: grows, 30 steps
    assert "until it diverges" in ex.outcome.readout()
    assert ex.update(steps=1_000_000).diverged_at is not None


def test_widgets_move_the_explorer(signal):
    pytest.importorskip("ipywidgets")
    ex = gd.explore_fit(*signal, momentum=0.0)
    box = ex.widget
    lr, steps, mu = ex.controls
    assert [c.description for c in ex.controls] == ["learning rate", "steps", "momentum"]
    image = ex._image.value
    lr.value = 1e-4
    assert "diverged" in ex._readout.value and ex._image.value != image
    lr.value = 1e-5
    assert "diverged" not in ex._readout.value
    steps.value = 1_000
    assert ex.outcome.n_steps == 1_000
    mu.value = 0.9
    assert ex.outcome.momentum == 0.9
    assert box.children[1] is ex._readout


def test_bundle_has_the_widget_and_a_static_fallback(explorer):
    pytest.importorskip("ipywidgets")
    bundle = explorer._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == explorer.widget.model_id
    assert NO_KERNEL in bundle["text/html"] and 'alt="Loss curves' in bundle["text/html"]
    assert bundle["image/png"].startswith(b"\x89PNG")
    assert bundle["text/plain"] == NO_KERNEL
    assert "diverged at step" in bundle["text/html"]  # the grid crosses the limit


def test_on_colab_only_the_widget(explorer, monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    bundle = explorer._repr_mimebundle_()
    assert set(bundle) == {"application/vnd.jupyter.widget-view+json", "text/plain"}


def test_without_ipywidgets_only_the_static_view(explorer, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ipywidgets" else real(name, *a))
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    assert "pip install ipywidgets" in bundle["text/plain"]


def test_inputs_on_any_device_and_with_grad(signal):
    t, y = signal
    p0 = gd.init_params(3, seed=666).requires_grad_()
    ex = gd.explore_fit(t.requires_grad_(False), y, p0, steps=10)
    assert ex.problem.params0.dtype == torch.float64 and not ex.problem.params0.requires_grad


@pytest.mark.cuda
def test_cuda_inputs():
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    t, y = gd.make_signal(seed=0, device="cuda")
    ex = gd.explore_fit(t, y, steps=1_000)
    assert ex.outcome.diverged_at is None


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 2_000_000}, "at most 1,000,000"),
    ({"steps": 0}, "positive integer"),
    ({"lr": 1.0}, "outside lr_range"),
    ({"lr": -1e-5}, "positive"),
    ({"momentum": 1.0}, r"\[0, 1\)"),
    ({"lr_range": (0.0, 1e-4)}, "lr_range"),
])
def test_bad_settings_say_what_to_do(signal, kwargs, match):
    with pytest.raises(gd.InvalidArgumentError, match=match):
        gd.explore_fit(*signal, **kwargs)


def test_bad_shapes(signal):
    t, y = signal
    with pytest.raises(gd.ShapeError, match="one length"):
        gd.explore_fit(t, y[:5])
    with pytest.raises(gd.ShapeError, match="shape"):
        gd.explore_fit(t, y, torch.zeros(2))
    with pytest.raises(gd.ShapeError, match="two positive"):
        gd.explore_valley((1.0, -2.0))


def test_a_path_is_cut_where_it_leaves_the_view():
    box = ((-1.0, 1.0), (-2.0, 2.0))
    inside = np.array([[0.0, 0.0], [0.5, 1.0], [-0.5, -1.5]])
    shown, left = path_in_view(inside, box)
    assert left is None and shown is inside
    away = np.array([[0.0, 0.0], [0.5, 1.0], [0.5, 5.0], [0.5, -9.0]])
    shown, left = path_in_view(away, box)
    assert left == 2  # the first point outside
    # the points before it, then where the step towards it crosses the edge y = 2
    np.testing.assert_allclose(shown, [[0.0, 0.0], [0.5, 1.0], [0.5, 2.0]])
    corner = np.array([[0.0, 0.0], [3.0, 3.0]])  # crosses x = 1 before y = 2
    np.testing.assert_allclose(path_in_view(corner, box)[0][-1], [1.0, 1.0])


def test_a_diverging_path_stays_on_the_panel():
    """Past the limit the live path stops at the panel's edge, with an arrow saying where it
    left, instead of a wall of lines across the panel (the reviewer's problem)."""
    ex = gd.explore_valley(momentum=0.0, steps=30)
    view = ex.view
    assert not view._exit.get_visible()
    ex.update(lr=1.1 * ex.outcome.limit)  # |1 - 0.11 x 20| = 1.2: grows across the valley
    (x0, x1), (y0, y1) = view.pic_ax.get_xlim(), view.pic_ax.get_ylim()
    xs, ys = view._fit_line.get_data()
    assert len(xs) == 4  # theta_0..theta_2, then the crossing of the bottom edge
    assert (x0 <= xs.min() and xs.max() <= x1 and y0 <= ys.min() <= ys.max() <= y1)
    assert ys[-1] == pytest.approx(y0)
    assert view._exit.get_visible() and view._exit.xy == (xs[-1], ys[-1])
    assert view._pic_title.get_text().endswith("left the view at step 3")
    assert ex.png().startswith(b"\x89PNG")
    ex.update(lr=0.05)
    assert not view._exit.get_visible() and len(view._fit_line.get_xdata()) == 31


def test_static_view_legend_right_under_the_panels():
    """No wide empty band between the panels and the legend: the longest run of blank
    full-width pixel rows is a small margin (it was 23 px for lecture 02, 44 px for 06)."""
    from PIL import Image

    ex = gd.explore_valley(momentum=0.0, steps=30)
    page, png = ex.static_html()
    assert "(1.1 x limit): left the view at step 3" in page
    fits = gd.explore_fit(*gd.make_signal(seed=0), steps=1_000_000).static_html()[1]
    for picture in (png, fits):
        image = Image.open(io.BytesIO(picture))
        assert image.width <= 750  # 7.5 in at 100 dpi
        blank = (np.asarray(image.convert("L")) > 250).all(axis=1)
        longest = max(len(run) for run in "".join("1" if b else "0"
                                                   for b in blank).split("0"))
        assert longest < 16, longest
