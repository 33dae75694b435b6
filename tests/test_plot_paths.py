"""descent_path records where an optimizer walks; plot_paths draws those walks over contours."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.axes import Axes

import gdcourse as gd
from gdcourse.optim import SGD
from gdcourse.plot.paths import descent_path, plot_paths


def _bowl(p):
    return 0.5 * (p[0] ** 2 + 10 * p[1] ** 2)  # Hessian diag(1, 10)


def test_descent_path_matches_plain_descent_by_hand():
    p = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    path = descent_path(_bowl, p, SGD([p], lr=0.1), steps=3)
    assert path.shape == (4, 2)
    # each coordinate shrinks by (1 - lr * curvature) per step: 0.9 and 0.0
    expected = torch.tensor([[0.9 ** k, 0.0 ** k] for k in range(4)], dtype=torch.float64)
    torch.testing.assert_close(path, expected)
    torch.testing.assert_close(p.detach(), path[-1])  # params updated in place


def test_descent_path_with_torch_optim_and_refusals():
    p = torch.tensor([2.0, -1.0], requires_grad=True)
    path = descent_path(_bowl, p, torch.optim.Adam([p], lr=0.1), steps=5)
    assert path.shape == (6, 2) and not path.requires_grad
    with pytest.raises(gd.InvalidArgumentError, match="requires_grad=True"):
        descent_path(_bowl, torch.zeros(2), SGD([p], lr=0.1), steps=1)
    with pytest.raises(gd.InvalidArgumentError, match="steps must be a positive integer"):
        descent_path(_bowl, p, SGD([p], lr=0.1), steps=0)


def test_plot_paths_draws_each_path_and_the_minimum():
    paths = {"a": torch.tensor([[1.0, 1.0], [0.5, 0.2], [0.1, 0.0]]),
             "b": [torch.tensor([-1.0, 1.0]), torch.tensor([0.0, 0.0])]}
    grid = [torch.linspace(-1.5, 1.5, 31), torch.linspace(-1.5, 1.5, 21)]
    ax = plot_paths(_bowl, grid, paths, labels=("u", "v"))
    assert isinstance(ax, Axes)
    lines = {ln.get_label(): ln for ln in ax.lines}
    np.testing.assert_allclose(lines["a"].get_xydata(), paths["a"].numpy())
    np.testing.assert_allclose(lines["b"].get_xydata(), [[-1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(lines["minimum"].get_xydata(), [[0.0, 0.0]], atol=1e-6)
    assert ax.get_xlabel() == "u" and ax.get_ylabel() == "v"
    assert ax.collections  # the contour lines


def test_plot_paths_refusals():
    grid = [torch.linspace(-1, 1, 5), torch.linspace(-1, 1, 5)]
    with pytest.raises(gd.InvalidArgumentError, match="two parameters"):
        plot_paths(_bowl, grid[:1], {"a": torch.zeros(2, 2)})
    with pytest.raises(gd.InvalidArgumentError, match="paths is empty"):
        plot_paths(_bowl, grid, {})
    with pytest.raises(gd.ShapeError, match=r"path 'a' must have shape \(T, 2\)"):
        plot_paths(_bowl, grid, {"a": torch.zeros(3)})
