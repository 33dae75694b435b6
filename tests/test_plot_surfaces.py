"""Slopes, loss surfaces and fit animations draw what they claim (checked on the artists)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.animation import Animation
from matplotlib.axes import Axes

import gdcourse as gd
from gdcourse import data
from gdcourse import plot as gplot


@pytest.fixture
def belt_loss():
    b = data.belts(dtype=torch.float64)
    return lambda m: gd.mse(b.inches * m, b.cm)


def _line(ax, label):
    (line,) = [ln for ln in ax.lines if ln.get_label() == label]
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def test_plot_slopes_draws_the_curve_and_tangents_with_autograd_slopes(belt_loss):
    values = torch.linspace(0, 5, 60, dtype=torch.float64)
    ax = gplot.plot_slopes(belt_loss, values, [1.7, 3.5])
    assert isinstance(ax, Axes)
    xs, ys = _line(ax, "loss")
    np.testing.assert_allclose(xs, values.numpy())
    np.testing.assert_allclose(ys, [float(belt_loss(v)) for v in values])
    tangents = [ln for ln in ax.lines if ln.get_label().startswith("slope")]
    assert [ln.get_label() for ln in tangents] == ["slope -2681.35 at 1.7", "slope 3054.35 at 3.5"]
    for line, a in zip(tangents, (1.7, 3.5)):
        (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
        m = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        belt_loss(m).backward()
        assert (y1 - y0) / (x1 - x0) == pytest.approx(float(m.grad))  # slope of the tangent
        assert (x0 + x1) / 2 == pytest.approx(a)  # centred on the point...
        assert (y0 + y1) / 2 == pytest.approx(float(belt_loss(m.detach())))  # ...on the curve
    # one downhill arrow per point, pointing against the slope
    arrows = [c for c in ax.texts if getattr(c, "arrow_patch", None) is not None]
    assert len(arrows) == 2
    assert arrows[0].xy[0] > 1.7 and arrows[1].xy[0] < 3.5


def test_plot_loss_surface_contours_the_grid_and_draws_the_path():
    target = torch.tensor([0.5, -0.25])

    def loss(p):
        return ((p - target) ** 2).sum() + 0.1

    path = [torch.tensor([-1.0, 1.0]), torch.tensor([0.0, 0.3]), torch.tensor([0.5, -0.2])]
    ax = gplot.plot_loss_surface(loss, [torch.linspace(-1, 1, 21), torch.linspace(-1, 1, 41)],
                                 path, levels=12)
    assert isinstance(ax, Axes)
    (surface,) = [c for c in ax.collections if hasattr(c, "levels")]
    assert len(surface.levels) == 12
    assert surface.levels[0] == pytest.approx(0.1, abs=1e-6)  # the lowest loss on the grid
    assert surface.levels[-1] == pytest.approx(1.5 ** 2 + 1.25 ** 2 + 0.1, rel=1e-5)  # at (-1, 1)
    xs, ys = _line(ax, "descent path")
    np.testing.assert_allclose(np.c_[xs, ys], torch.stack(path).numpy())
    star = _line(ax, "grid minimum")
    np.testing.assert_allclose([star[0][0], star[1][0]], target.numpy(), atol=1e-6)


def test_plot_loss_surface_bad_input():
    def loss(p):
        return (p ** 2).sum()

    with pytest.raises(gd.InvalidArgumentError, match="two parameters"):
        gplot.plot_loss_surface(loss, [torch.linspace(0, 1, 3)])
    with pytest.raises(gd.ShapeError, match=r"\(T, 2\)"):
        gplot.plot_loss_surface(loss, [torch.linspace(0, 1, 3)] * 2, torch.zeros(4, 3))


def test_animate_fit_returns_an_animation_that_saves_a_gif(tmp_path):
    from PIL import Image

    x = torch.tensor([3.0, 1.0, 2.0, 4.0])
    y = 2 * x
    snapshots = [torch.tensor(m) for m in (0.0, 1.0, 1.5, 2.0)]
    anim = gplot.animate_fit(lambda x, m: x * m, x, y, snapshots, steps=[0, 10, 20, 30])
    assert isinstance(anim, Animation)
    assert plt.get_fignums() == []  # its own figure is closed: notebooks show only the animation
    out = tmp_path / "fit.gif"
    anim.save(out, writer="pillow", fps=4)
    with Image.open(out) as gif:
        assert gif.n_frames == 4
    # drawn on a given Axes, the last frame is the line m = 2 through the sorted x
    ax = plt.subplots()[1]
    gplot.animate_fit(lambda x, m: x * m, x, y, snapshots, steps=[0, 10, 20, 30],
                      ax=ax).save(tmp_path / "again.gif", writer="pillow", fps=4)
    xs, ys = _line(ax, "model")
    np.testing.assert_allclose(xs, [1, 2, 3, 4])
    np.testing.assert_allclose(ys, [2, 4, 6, 8])
    assert ax.get_title() == "step 30   loss 0"


def test_animate_fit_keeps_at_most_max_frames_with_the_last(tmp_path):
    from PIL import Image

    X = data.design_matrix(torch.linspace(-1, 1, 5))
    y = 0.5 * X[:, 1]
    snapshots = [torch.tensor([0.0, s / 9]) for s in range(10)]
    ax = plt.subplots()[1]
    anim = gplot.animate_fit(lambda X, p: X @ p, X, y, snapshots, max_frames=3, ax=ax)
    anim.save(tmp_path / "fit.gif", writer="pillow", fps=4)
    with Image.open(tmp_path / "fit.gif") as gif:
        assert gif.n_frames == 3
    np.testing.assert_allclose(_line(ax, "model")[1], [-1, -0.5, 0, 0.5, 1])
    assert ax.get_title().startswith("step 9 ")


def test_animate_fit_bad_input():
    x = torch.zeros(3)
    with pytest.raises(gd.InvalidArgumentError, match="params_seq is empty"):
        gplot.animate_fit(lambda x, m: x * m, x, x, [])
    with pytest.raises(gd.ShapeError, match="got 1 steps for 2 params"):
        gplot.animate_fit(lambda x, m: x * m, x, x, [torch.tensor(0.0)] * 2, steps=[0])
