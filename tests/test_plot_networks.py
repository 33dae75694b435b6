"""Decision boundaries and fit trajectories (lectures 04-05)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gdcourse.data import noisy_line, two_blobs
from gdcourse.errors import ShapeError
from gdcourse.plot import plot_decision_boundary, plot_trajectory
from gdcourse.scratch.nn import Linear, LogisticRegression
from gdcourse.scratch.scalar import Scalar


def test_decision_boundary_evaluates_a_grid_and_draws_the_half_line():
    X, y = two_blobs(20, seed=0)
    calls = []

    def predict(grid):
        calls.append(grid)
        return torch.sigmoid(-grid[:, 0])  # class 1 on the left, as the blobs are

    ax = plot_decision_boundary(predict, X, y, resolution=30, title="blobs")
    (grid,) = calls
    assert grid.shape == (900, 2) and grid.dtype == torch.float64
    lo, hi = X.min(0).values.double() - 1.0, X.max(0).values.double() + 1.0
    assert torch.allclose(grid.min(0).values, lo) and torch.allclose(grid.max(0).values, hi)
    assert ax.get_title() == "blobs"
    assert len(ax.collections) >= 2  # filled contours + the scattered samples
    # the black p = 0.5 contour runs along x1 = 0
    boundary = [p for c in ax.collections if hasattr(c, "get_paths") for p in c.get_paths()
                if len(p.vertices) and np.allclose(p.vertices[:, 0], 0.0, atol=0.5)]
    assert boundary


def test_decision_boundary_accepts_scratch_models_and_lists_of_scalars():
    X, y = two_blobs(10, seed=0)
    model = LogisticRegression()
    fig, (ax1, ax2) = plt.subplots(1, 2)
    assert plot_decision_boundary(model.predict, X, y, ax=ax1, resolution=10) is ax1
    as_scalars = lambda grid: [model(p) for p in grid.tolist()]  # noqa: E731
    assert plot_decision_boundary(as_scalars, X, y, ax=ax2, resolution=10) is ax2


def test_decision_boundary_rejects_bad_shapes():
    X, y = two_blobs(5, seed=0)
    with pytest.raises(ShapeError, match=r"X must have shape \(N, 2\)"):
        plot_decision_boundary(lambda g: g[:, 0], X[:, :1], y)
    with pytest.raises(ShapeError, match=r"y shape \(N,\)"):
        plot_decision_boundary(lambda g: g[:, 0], X, y[:3])


def test_trajectory_fades_in_and_restores_the_model():
    x, y = noisy_line(30, seed=0)
    model = Linear()
    snapshots = [{"a": Scalar(a), "b": Scalar(-a)} for a in (0.0, 0.5, 1.0, 1.5)]
    ax = plot_trajectory(model, snapshots, x, y, n_points=11)
    lines = ax.get_lines()
    assert len(lines) == 4
    alphas = [line.get_alpha() for line in lines]
    assert alphas == sorted(alphas) and alphas[-1] == pytest.approx(1.0) and alphas[0] < 0.5
    t = lines[2].get_xdata()
    assert np.allclose(lines[2].get_ydata(), 1.0 * t - 1.0)
    assert (model.a.value, model.b.value) == (1.0, 1.0)  # its own parameters are back
    assert {text.get_text() for text in ax.get_legend().get_texts()} == {"start", "end", "data"}


def test_trajectory_takes_a_plain_function_too():
    x, y = noisy_line(10, seed=1)
    snapshots = [(0.0, 1.0), (0.8, -1.2)]
    ax = plot_trajectory(lambda snap, t: snap[0] * t + snap[1], snapshots, x, y, n_points=5)
    last = ax.get_lines()[-1]
    assert np.allclose(last.get_ydata(), 0.8 * last.get_xdata() - 1.2)
