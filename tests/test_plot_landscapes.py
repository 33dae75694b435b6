"""gdcourse.plot.landscapes (the double well and paths on it) and gdcourse.plot.races."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch

from gdcourse.errors import InvalidArgumentError, ShapeError
from gdcourse.optim import SGD
from gdcourse.plot import descent_path
from gdcourse.plot.landscapes import (
    compare_landscape_paths,
    double_well,
    double_well_points,
    plot_landscape,
)
from gdcourse.plot.races import plot_race

GRID = [torch.linspace(-1.8, 2.0, 39, dtype=torch.float64),
        torch.linspace(-1.0, 2.0, 31, dtype=torch.float64)]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_double_well_matches_its_formula_and_batches():
    theta = torch.tensor([[0.5, -1.0], [-2.0, 0.25]], dtype=torch.float64)
    want = torch.stack([(t[0] ** 2 - 1) ** 2 + 0.3 * t[0] + 2 * t[1] ** 2 for t in theta])
    torch.testing.assert_close(double_well(theta), want)
    with pytest.raises(ShapeError, match=r"shape \(\.\.\., 2\), got \(3,\)"):
        double_well(torch.zeros(3))


def test_the_points_are_two_minima_and_a_saddle():
    points = double_well_points()
    assert list(points) == ["deep minimum", "saddle", "shallow minimum"]
    for name, where in points.items():
        theta = where.clone().requires_grad_()
        (grad,) = torch.autograd.grad(double_well(theta), theta)
        assert grad.abs().max() < 1e-10, (name, grad)  # a critical point
        hessian = torch.autograd.functional.hessian(double_well, where)
        eig = torch.linalg.eigvalsh(hessian)
        if name == "saddle":
            assert eig[0] < 0 < eig[1]  # falls one way, rises the other
        else:
            assert eig[0] > 0  # a minimum
    assert double_well(points["deep minimum"]) < double_well(points["shallow minimum"])
    # a negative tilt makes the right minimum the deep one
    assert double_well_points(tilt=-0.3)["deep minimum"][0] > 0
    with pytest.raises(InvalidArgumentError, match="only one minimum"):
        double_well_points(tilt=2.0)


def test_which_minimum_descent_finds_depends_on_the_side_of_the_saddle():
    saddle = float(double_well_points()["saddle"][0])
    ends = []
    for dx in (-1e-3, 1e-3):
        theta = torch.tensor([saddle + dx, 2.0], dtype=torch.float64, requires_grad=True)
        ends.append(descent_path(double_well, theta, SGD([theta], lr=0.05), steps=200)[-1, 0])
    assert ends[0] < -1 and ends[1] > 0.9


def test_plot_landscape_draws_paths_points_and_labels():
    path = torch.tensor([[1.5, 1.5], [1.2, 0.5], [1.0, 0.0]])
    ax = plot_landscape(double_well, GRID, {"a": path, "b": list(path * 0.5)},
                        points=double_well_points(), vmax=5.0)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "a" in labels and "b" in labels
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["deep minimum", "saddle", "shallow minimum"]
    assert ax.get_legend() is not None and ax.collections  # contours drawn
    a_line = ax.get_lines()[labels.index("a")]
    assert a_line.get_xydata().tolist() == path.tolist()


def test_plot_landscape_refuses_bad_input():
    with pytest.raises(InvalidArgumentError, match="grid with 1 axes"):
        plot_landscape(double_well, GRID[:1], {"a": torch.zeros(2, 2)})
    with pytest.raises(InvalidArgumentError, match="paths is empty"):
        plot_landscape(double_well, GRID, {})
    with pytest.raises(ShapeError, match=r"path 'a' must have shape \(T, 2\), got \(4,\)"):
        plot_landscape(double_well, GRID, {"a": torch.zeros(4)})


def test_compare_landscape_paths_fits_the_column_with_one_legend():
    paths = {"x": torch.tensor([[1.5, 1.5], [1.0, 0.0]]), "y": torch.tensor([[0, 1], [-1, 0.]])}
    fig = compare_landscape_paths(double_well, GRID, {"one": paths, "two": paths},
                                  points=double_well_points())
    assert fig.get_size_inches()[0] <= 7.5
    assert len(fig.axes) == 2 and all(ax.get_legend() is None for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["x", "y"]
    assert [ax.get_title() for ax in fig.axes] == ["one", "two"]
    with pytest.raises(InvalidArgumentError, match="1 to 3 panels in a row, got 4"):
        compare_landscape_paths(double_well, GRID, {str(i): paths for i in range(4)})


def test_plot_race_draws_one_bar_per_runner():
    ax = plot_race({"slow": 3000, "fast": 20, "stuck": None}, budget=5000)
    bars = ax.patches
    assert [b.get_width() for b in bars] == [3000, 20, 5000]
    assert [b.get_y() + b.get_height() / 2 for b in bars] == [2, 1, 0]  # first on top
    ticks = {round(t.get_position()[1]): t.get_text() for t in ax.get_yticklabels()}
    assert ticks == {2: "slow", 1: "fast", 0: "stuck"}
    assert [t.get_text().strip() for t in ax.texts] == ["3,000", "20", "never"]
    assert ax.figure.get_size_inches()[0] <= 7.5


@pytest.mark.parametrize("settled, budget, match", [
    ({}, 10, "settled is empty"),
    ({"a": -1}, 10, r"settled\['a'\] must be a step count >= 0 or None, got -1"),
    ({"a": 2.5}, 10, "got 2.5"),
    ({"a": 1}, 0, "budget must be a positive integer"),
])
def test_plot_race_refuses_bad_input(settled, budget, match):
    with pytest.raises(InvalidArgumentError, match=match):
        plot_race(settled, budget=budget)


def test_plot_race_keeps_long_labels_inside_the_column():
    # the book saves figures with bbox_inches="tight": labels outside the figure widen it
    import io

    from PIL import Image

    ax = plot_race({"a long optimizer label, lr = 0.3 (best of 3)" * 2: 10, "b": None},
                   budget=5000)
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    assert Image.open(buf).size[0] <= 750 + 5
    assert ax.get_yticklabels()[0].get_text().count("\n") == 2  # wrapped at 40 characters
