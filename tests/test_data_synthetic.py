"""Synthetic data of lectures 04-05: noisy_line, two_blobs, spiral."""

from __future__ import annotations

import math

import pytest
import torch

from gdcourse.data import noisy_line, spiral, two_blobs
from gdcourse.errors import InvalidArgumentError

GENERATORS = [noisy_line, two_blobs, spiral]


@pytest.mark.parametrize("make", GENERATORS)
def test_seeded_data_are_reproducible_and_seeds_differ(make):
    first, again, other = make(50, seed=1), make(50, seed=1), make(50, seed=2)
    for a, b, c in zip(first, again, other):
        assert torch.equal(a, b)
        assert not torch.equal(a, c) or a.unique().numel() <= 2  # labels may coincide


@pytest.mark.parametrize("make", GENERATORS)
def test_dtype_device_and_plain_lists(make):
    x, y = make(7, seed=0, dtype=torch.float64, device="cpu")
    assert x.dtype == y.dtype == torch.float64 and x.device.type == "cpu"
    x32, _ = make(7, seed=0)
    assert x32.dtype == torch.float32
    assert torch.allclose(x32.double(), x, atol=1e-6)  # same draw, only rounded
    assert all(isinstance(v, float) for v in y.tolist())


def test_noisy_line_follows_its_line():
    x, y = noisy_line(20_000, seed=0, dtype=torch.float64)
    assert x.shape == y.shape == (20_000,)
    assert 0 <= x.min() and x.max() < 1
    design = torch.stack([x, torch.ones_like(x)], dim=1)
    slope, intercept = torch.linalg.lstsq(design, y.unsqueeze(1)).solution.squeeze(1).tolist()
    assert slope == pytest.approx(0.8, abs=0.01) and intercept == pytest.approx(-1.2, abs=0.01)
    residual = y - (0.8 * x - 1.2)
    assert residual.std().item() == pytest.approx(0.1, rel=0.03)
    x0, y0 = noisy_line(5, slope=2.0, intercept=1.0, noise=0.0, seed=3)
    assert torch.allclose(y0, 2 * x0 + 1)


def test_two_blobs_sit_around_their_centers():
    X, y = two_blobs(2_000, seed=0, dtype=torch.float64)
    assert X.shape == (4_000, 2) and y.shape == (4_000,)
    assert y[:2_000].eq(0).all() and y[2_000:].eq(1).all()
    assert X[y == 0].mean(0).tolist() == pytest.approx([5.0, 0.0], abs=0.1)
    assert X[y == 1].mean(0).tolist() == pytest.approx([-5.0, 0.0], abs=0.1)
    assert X[y == 0].std(0).tolist() == pytest.approx([1.0, 1.0], rel=0.05)
    X2, _ = two_blobs(3, centers=((0.0, 1.0), (2.0, 3.0)), std=0.0, seed=0)
    assert X2.tolist() == [[0.0, 1.0]] * 3 + [[2.0, 3.0]] * 3


def test_spiral_arms_are_mirror_images_on_a_spiral():
    X, y = spiral(500, noise=0.0, seed=0, dtype=torch.float64)
    assert X.shape == (1_000, 2)
    assert torch.allclose(X[:500], -X[500:])
    radius = X[:500].norm(dim=1)  # r (radians) is also the distance from the origin
    expected = torch.stack([-radius * torch.cos(radius), radius * torch.sin(radius)], dim=1)
    assert torch.allclose(X[:500], expected, atol=1e-12)
    assert radius.max().item() <= 380 * math.pi / 180
    noisy, _ = spiral(500, noise=2.0, seed=0, dtype=torch.float64)
    assert (noisy - X).abs().max().item() <= 1.0  # uniform noise of width 2, centred


@pytest.mark.parametrize("make, kwargs, match", [
    (noisy_line, {"n": 0}, "n must be a positive integer"),
    (noisy_line, {"noise": -0.1}, "noise must be a finite number >= 0"),
    (two_blobs, {"std": float("nan")}, "std must be a finite number >= 0"),
    (two_blobs, {"centers": ((0.0, 0.0),)}, "centers must be two"),
    (spiral, {"twist": -1.0}, "twist must be a finite number >= 0"),
    (spiral, {"n": 2.5}, "n must be a positive integer"),
])
def test_bad_arguments_raise(make, kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        make(**kwargs)
