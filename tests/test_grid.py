"""Grid search over one and several parameters, and how a grid grows."""

from __future__ import annotations

import math

import pytest
import torch

import gdcourse as gd
from gdcourse import data
from gdcourse.grid import grid_search, grid_size


def test_belt_grid_search_finds_the_lecture_multiplier():
    b = data.belts()
    values = torch.linspace(0.0, 5.0, 50)
    result = grid_search(lambda m: gd.mse(b.inches * m, b.cm), values)
    assert result.losses.shape == (50,)
    assert float(result.best_params) == pytest.approx(2.5510204081632653, abs=1e-6)
    # each loss is the loss at that value, and the best is the smallest of them
    expected = torch.stack([gd.mse(b.inches * m, b.cm) for m in values])
    torch.testing.assert_close(result.losses, expected)
    assert result.best_loss == float(expected.min())
    assert result.best_index == (int(expected.argmin()),)


def test_two_parameter_grid_matches_a_loop_and_finds_the_minimum():
    target = torch.tensor([0.25, -1.0], dtype=torch.float64)
    axes = [torch.linspace(-1, 1, 9, dtype=torch.float64),
            torch.linspace(-2, 2, 17, dtype=torch.float64)]

    def loss(p):
        return ((p - target) ** 2 * torch.tensor([1.0, 3.0], dtype=torch.float64)).sum()

    result = grid_search(loss, axes)
    assert result.losses.shape == (9, 17)
    torch.testing.assert_close(result.best_params, target)
    assert result.best_index == (5, 4)
    for i in (0, 3, 8):
        for j in (0, 7, 16):
            p = torch.stack([axes[0][i], axes[1][j]])
            assert float(result.losses[i, j]) == pytest.approx(float(loss(p)))
    assert result.points.shape == (9 * 17, 2)


def test_three_parameters_and_the_loop_fallback_agree():
    axes = [torch.linspace(-1, 1, 4), torch.linspace(0, 1, 3), torch.linspace(2, 3, 5)]

    def traceable(p):
        return (p ** 2).sum()

    def untraceable(p):  # .item() cannot run under vmap, so grid_search loops
        return torch.tensor((p ** 2).sum().item())

    vectorized = grid_search(traceable, axes)
    looped = grid_search(untraceable, axes)
    assert vectorized.losses.shape == (4, 3, 5)
    torch.testing.assert_close(looped.losses, vectorized.losses)
    assert looped.best_index == vectorized.best_index


def test_nan_losses_never_win():
    def loss(m):
        return torch.where(m < 0.5, torch.full_like(m, math.nan), (m - 1) ** 2)

    result = grid_search(loss, torch.linspace(0, 2, 21))
    assert float(result.best_params) == pytest.approx(1.0)


def test_grid_size_counts_the_explosion():
    assert grid_size(50, 1) == 50
    assert grid_size(50, 5) == 50 ** 5 == 312_500_000
    assert grid_size(50, 5) != 5 ** 50  # the source's count had base and exponent swapped
    with pytest.raises(gd.InvalidArgumentError, match="n_params must be a positive integer"):
        grid_size(50, 0)


def test_bad_grids_raise_typed_errors():
    def loss(p):
        return (p ** 2).sum()

    with pytest.raises(gd.InvalidArgumentError, match="axis 0 is empty"):
        grid_search(loss, torch.tensor([]))
    with pytest.raises(gd.InvalidArgumentError, match="axis 1 is empty"):
        grid_search(loss, [torch.linspace(0, 1, 3), torch.tensor([])])
    with pytest.raises(gd.InvalidArgumentError, match="no parameters"):
        grid_search(loss, [])
    with pytest.raises(gd.ShapeError, match="one 1-D tensor of values per parameter"):
        grid_search(loss, torch.zeros(3, 2))
    with pytest.raises(gd.InvalidArgumentError, match="floating-point"):
        grid_search(loss, torch.arange(3))
    with pytest.raises(gd.InvalidArgumentError, match="torch.linspace"):
        grid_search(loss, "0 to 1")
    with pytest.raises(gd.ShapeError, match="must return a scalar"):
        grid_search(lambda p: p * torch.ones(2), torch.linspace(0, 1, 3))
    with pytest.raises(gd.InvalidArgumentError, match="no finite loss"):
        grid_search(lambda p: p * math.nan, torch.linspace(0, 1, 3))
    with pytest.raises(gd.InvalidArgumentError, match="chunk_size must be a positive integer"):
        grid_search(loss, torch.linspace(0, 1, 3), chunk_size=0)


@pytest.mark.cuda
def test_grid_search_runs_on_the_device_of_its_grid():
    y = torch.tensor([1.0, 2.0, 3.0], device="cuda")
    result = grid_search(lambda m: gd.mse(m * y, 2 * y), torch.linspace(0, 4, 41, device="cuda"))
    assert result.losses.device.type == "cuda"
    assert float(result.best_params) == pytest.approx(2.0)
