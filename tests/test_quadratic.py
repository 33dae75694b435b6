"""The lecture's problem: make_signal, quadratic, least_squares, fit_quadratic."""

import numpy as np
import pytest
import torch

import gdcourse as gd
from gdcourse.quadratic import _from_standard, _to_standard, design_matrix_quadratic


def test_make_signal_follows_the_formula():
    t, y = gd.make_signal(n=20, noise=0.0)
    torch.testing.assert_close(t, torch.arange(20.0))
    torch.testing.assert_close(y, 0.75 * (t - 9.5) ** 2 + 1)


def test_make_signal_seed_is_repeatable_and_private():
    state = torch.random.get_rng_state()
    a = gd.make_signal(seed=3)[1]
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(a, gd.make_signal(seed=3)[1])
    assert not torch.equal(a, gd.make_signal(seed=4)[1])


def test_make_signal_rejects_bad_arguments():
    with pytest.raises(gd.InvalidArgumentError, match="n must be a positive integer"):
        gd.make_signal(0)
    with pytest.raises(gd.InvalidArgumentError, match="noise must be a non-negative"):
        gd.make_signal(noise=-1.0)


def test_quadratic_is_a_t2_plus_b_t_plus_c():
    t = torch.linspace(-3, 3, 11, dtype=torch.float64)
    p = torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64)
    torch.testing.assert_close(gd.quadratic(t, p), 0.5 * t**2 - 2 * t + 3)
    torch.testing.assert_close(gd.quadratic(t, [0.5, -2.0, 3.0]), 0.5 * t**2 - 2 * t + 3)


def test_least_squares_matches_numpy_polyfit():
    t, y = gd.make_signal(seed=11)
    ours = gd.least_squares(t, y)
    assert ours.dtype == torch.float64
    np.testing.assert_allclose(ours.numpy(), np.polyfit(t.double().numpy(), y.double().numpy(), 2),
                               rtol=1e-9)


def test_least_squares_is_a_minimum():
    t, y = (v.double() for v in gd.make_signal(seed=2))
    best = gd.least_squares(t, y)
    base = gd.mse(gd.quadratic(t, best), y)
    for _ in range(20):
        nudged = best + 1e-3 * torch.randn(3, dtype=torch.float64)
        assert gd.mse(gd.quadratic(t, nudged), y) > base


def test_standard_basis_round_trip():
    p = torch.tensor([0.7, -13.0, 65.0], dtype=torch.float64)
    m, s = 9.5, 5.766
    torch.testing.assert_close(_from_standard(_to_standard(p, m, s), m, s), p)
    t = torch.arange(20, dtype=torch.float64)
    torch.testing.assert_close(gd.quadratic((t - m) / s, _to_standard(p, m, s)),
                               gd.quadratic(t, p))


@pytest.mark.parametrize("seed", [0, 1, 7, 42, 666, 2024])
@pytest.mark.parametrize("n", [5, 20, 200])
def test_fit_quadratic_reaches_one_percent_of_optimum(seed, n):
    fit = gd.fit_quadratic(*gd.make_signal(n, seed=seed), seed=seed)
    assert fit.ratio <= 1.01, fit
    assert fit.history.n_steps < 200
    assert fit.history.stop_reason == "target_loss"


def test_fit_quadratic_uses_global_rng_without_seed():
    gd.set_seed(0)
    fit = gd.fit_quadratic(*gd.make_signal(seed=5))
    assert fit.ratio <= 1.01


def test_fit_quadratic_raw_recipe_is_the_lecture_loop():
    t, y = gd.make_signal(seed=666)
    fit = gd.fit_quadratic(t, y, lr=1e-5, steps=300, standardize=False, seed=666)
    params = gd.init_params(3, seed=666)
    for _ in range(300):
        gd.apply_step(params, gd.quadratic, t, y, lr=1e-5)
    torch.testing.assert_close(fit.params.float(), params.detach())
    assert fit.ratio > 2  # the raw recipe is nowhere near after 300 steps


def test_fit_quadratic_init_and_repr():
    t, y = gd.make_signal(seed=1)
    fit = gd.fit_quadratic(t, y, init=torch.tensor([0.0, 0.0, 0.0]))
    assert fit.ratio <= 1.01
    assert "ratio=" in repr(fit)
    assert fit.predict(t).shape == (20,)


def test_fit_plot_draws_data_fit_and_optimum():
    fit = gd.fit_quadratic(*gd.make_signal(seed=1))
    ax = fit.plot()
    assert len(ax.collections) == 1 and len(ax.lines) == 2


@pytest.mark.parametrize("fn", [gd.least_squares, gd.fit_quadratic])
def test_length_mismatch_is_a_shape_error(fn):
    with pytest.raises(gd.ShapeError, match="t has 20, y has 19 rows"):
        fn(torch.arange(20.0), torch.zeros(19))


@pytest.mark.parametrize("fn", [gd.least_squares, gd.fit_quadratic])
def test_non_finite_data_is_refused(fn):
    y = torch.zeros(20)
    y[0] = float("inf")
    with pytest.raises(gd.InvalidArgumentError, match="y contains 1 non-finite"):
        fn(torch.arange(20.0), y)


@pytest.mark.parametrize("fn", [gd.least_squares, gd.fit_quadratic])
def test_too_few_distinct_times_is_explained(fn):
    with pytest.raises(gd.InvalidArgumentError, match="at least 3 distinct times"):
        fn(torch.tensor([1.0, 1.0, 2.0, 2.0]), torch.zeros(4))


def test_two_dimensional_inputs_are_refused():
    with pytest.raises(gd.ShapeError, match="must be 1-D"):
        gd.least_squares(torch.zeros(20, 1), torch.zeros(20))


def test_non_tensor_inputs_are_refused():
    with pytest.raises(gd.InvalidArgumentError, match="torch.Tensor"):
        gd.fit_quadratic(list(range(20)), torch.zeros(20))


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=0.0), "lr must be a positive"),
    (dict(steps=-3), "steps must be a positive integer"),
    (dict(rtol=-0.1), "rtol must be a non-negative"),
])
def test_fit_quadratic_rejects_bad_settings(kwargs, match):
    with pytest.raises(gd.InvalidArgumentError, match=match):
        gd.fit_quadratic(*gd.make_signal(seed=0), **kwargs)


def test_raw_recipe_with_too_large_lr_diverges_with_advice():
    with pytest.raises(gd.DivergenceError, match="about 3.5e-05"):
        gd.fit_quadratic(*gd.make_signal(seed=666), lr=1e-4, standardize=False, seed=666)


def test_raw_hessian_is_badly_conditioned():
    t, _ = gd.make_signal()
    X = design_matrix_quadratic(t.double())
    eig = torch.linalg.eigvalsh(2 / 20 * X.T @ X)
    assert 1e5 < eig[-1] / eig[0] < 1e6
    assert 2 / eig[-1] == pytest.approx(3.54e-5, rel=0.01)
