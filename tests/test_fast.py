"""fast_forward against step-by-step descent (gd.train and torch.optim.SGD) in float64."""

import math
import re

import numpy as np
import pytest
import torch

import gdcourse as gd
from gdcourse.fast import stable_lr_limit

LECTURE_LR = 1e-5


@pytest.fixture
def problem(signal):
    """The lecture's raw problem in float64: X = [t^2, t, 1], y, and the seed-666 init."""
    t, y = signal
    t64, y64 = t.double(), y.double()
    return t64, y64, gd.design_matrix_quadratic(t64), gd.init_params(3, seed=666).detach().double()


def _train(t, y, p0, *, steps, lr=LECTURE_LR, momentum=0.0, **kwargs):
    params = p0.clone().requires_grad_()
    if momentum:
        opt = torch.optim.SGD([params], lr=lr, momentum=momentum)
        hist = gd.train(params, gd.quadratic, t, y, optimizer=opt, steps=steps, progress=False,
                        **kwargs)
    else:
        hist = gd.train(params, gd.quadratic, t, y, lr=lr, steps=steps, progress=False, **kwargs)
    return params.detach(), hist


def _rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


def test_matches_train_plain(problem):
    t, y, X, p0 = problem
    params, _ = _train(t, y, p0, steps=20_000)
    run = gd.fast_forward(X, y, p0, lr=LECTURE_LR, steps=20_000)
    assert _rel(run.final_params, params) < 1e-9
    assert math.isclose(run.final_loss, float(gd.mse(gd.quadratic(t, params), y)), rel_tol=1e-9)
    assert run.n_steps == 20_000 and run.stop_reason == "steps"


@pytest.mark.slow
def test_matches_train_plain_100k(problem):
    t, y, X, p0 = problem
    params, _ = _train(t, y, p0, steps=100_000)
    run = gd.fast_forward(X, y, p0, lr=LECTURE_LR, steps=100_000)
    assert _rel(run.final_params, params) < 1e-9


@pytest.mark.parametrize("momentum", [0.5, 0.9])
def test_matches_torch_sgd_momentum(problem, momentum):
    t, y, X, p0 = problem
    params, _ = _train(t, y, p0, steps=2_000, momentum=momentum)
    run = gd.fast_forward(X, y, p0, lr=LECTURE_LR, steps=2_000, momentum=momentum)
    assert _rel(run.final_params, params) < 1e-9


def test_records_params_and_losses_at_requested_steps(problem):
    t, y, X, p0 = problem
    _, hist = _train(t, y, p0, steps=3_000, snapshot_every=500, sync_every=1)
    run = gd.fast_forward(X, y, p0, lr=LECTURE_LR, steps=3_000, at=range(3_000, -1, -500))
    assert run.steps == [0, 500, 1000, 1500, 2000, 2500, 3000]
    assert run.params.shape == (7, 3) and run.losses.shape == (7,)
    assert torch.equal(run.params[0], p0)
    expected = torch.stack(hist.snapshots).double()  # params after 500, 1000, ... steps
    assert _rel(run.params[1:], expected) < 1e-9
    losses = ((run.params @ X.T - y) ** 2).mean(1)
    assert torch.allclose(run.losses, losses, rtol=1e-12)
    assert run.losses[-1].item() == run.final_loss


def test_lecture_million_steps_milestones(problem):
    """The lecture's 1,000,000 steps: the loss falls at every 200,000-step milestone."""
    _, y, X, p0 = problem
    run = gd.fast_forward(X, y, p0, lr=LECTURE_LR, steps=1_000_000,
                          at=range(0, 1_000_001, 200_000))
    assert run.steps == list(range(0, 1_000_001, 200_000))
    assert bool((run.losses.diff() < 0).all())
    history = run.to_history()
    assert history.n_steps == 1_000_000 and history.losses == run.losses.tolist()
    assert history.final_loss == run.final_loss


def test_target_loss_stops_where_train_stops(signal):
    t, y = signal
    t64, y64 = t.double(), y.double()
    u = (t64 - t64.mean()) / t64.std(correction=0)  # standardized: converges in dozens
    p0 = gd.init_params(3, seed=666).detach().double()
    target = 1.001 * float(gd.mse(gd.quadratic(u, gd.least_squares(u, y64)), y64))
    params, hist = _train(u, y64, p0, steps=1_000, lr=0.3, target_loss=target)
    run = gd.fast_forward(gd.design_matrix_quadratic(u), y64, p0, lr=0.3, steps=1_000,
                          target_loss=target)
    assert hist.stop_reason == run.stop_reason == "target_loss"
    assert run.n_steps == hist.n_steps
    assert _rel(run.final_params, params) < 1e-12


def test_target_loss_bisection_finds_the_first_step(problem):
    """Binary lifting against a brute-force walk over every step of the raw recipe."""
    _, y, X, p0 = problem
    H = 2 / 20 * X.T @ X
    c = 2 / 20 * X.T @ y
    theta, losses = p0.clone(), []
    for _ in range(4_000):
        losses.append(float(((X @ theta - y) ** 2).mean()))
        theta = theta - LECTURE_LR * (H @ theta - c)
    for target in (losses[0], losses[1] - 1e-9, losses[777] * (1 + 1e-12), losses[3_999]):
        first = next(k for k, v in enumerate(losses) if v <= target)
        run = gd.fast_forward(X, y, p0, lr=LECTURE_LR, steps=4_000, target_loss=target)
        assert run.n_steps == first


@pytest.mark.parametrize("factor", [3.0, 1.02])
def test_divergence_reported_like_train(problem, factor):
    t, y, X, p0 = problem
    limit = stable_lr_limit(2 / 20 * X.T @ X)
    lr = factor * limit
    with pytest.raises(gd.DivergenceError) as slow:
        _train(t, y, p0, steps=5_000, lr=lr)
    with pytest.raises(gd.DivergenceError) as fast:
        gd.fast_forward(X, y, p0, lr=lr, steps=5_000)
    assert fast.value.step == slow.value.step
    assert fast.value.lr == slow.value.lr == lr
    assert math.isclose(fast.value.suggested_lr, slow.value.suggested_lr, rel_tol=1e-4)
    shape = (r"^loss (exploded to \S+|became nan|became inf) at step (\d+) \(lr=([^)]+)\); "
             r".*; the largest stable lr here for plain gradient descent is about (\S+)$")
    slow_m, fast_m = re.match(shape, str(slow.value)), re.match(shape, str(fast.value))
    assert slow_m and fast_m
    assert slow_m.groups()[1:] == fast_m.groups()[1:]


def test_divergence_with_momentum_names_its_limit(problem):
    _, y, X, p0 = problem
    with pytest.raises(gd.DivergenceError, match=r"momentum 0\.9 is about 6\.\de-05") as err:
        gd.fast_forward(X, y, p0, lr=1e-4, steps=10_000, momentum=0.9)
    lam = float(torch.linalg.eigvalsh(2 / 20 * X.T @ X)[-1])
    assert math.isclose(err.value.suggested_lr, 2 * 1.9 / lam, rel_tol=1e-12)


def test_stable_limit_is_sharp(problem):
    """Just under 2 / lambda_max the lecture's problem converges; just over it diverges."""
    _, y, X, p0 = problem
    limit = stable_lr_limit(2 / 20 * X.T @ X)
    assert 3.4e-5 < limit < 3.6e-5  # the "about 3.5e-5"
    assert gd.fast_forward(X, y, p0, lr=0.999 * limit, steps=10**7).final_loss < 20
    with pytest.raises(gd.DivergenceError):
        gd.fast_forward(X, y, p0, lr=1.001 * limit, steps=10**7)


def test_params0_untouched_and_grad_ok(problem):
    _, y, X, _ = problem
    p0 = gd.init_params(3, seed=666)  # float32, requires grad
    before = p0.detach().clone()
    run = gd.fast_forward(X, y, p0, lr=LECTURE_LR, steps=10)
    assert torch.equal(p0.detach(), before) and p0.grad is None
    assert run.params.dtype == torch.float64 and run.params.device == X.device


def test_fit_quadratic_fast_engine_matches_autograd(signal):
    t, y = signal
    slow = gd.fit_quadratic(t.double(), y.double(), seed=666)
    fast = gd.fit_quadratic(t, y, seed=666, engine="fast")
    assert fast.history.n_steps == slow.history.n_steps
    # 1e-8: mapping back from standardized time (mean 9.5, std 5.8) magnifies rounding.
    assert _rel(fast.params, slow.params) < 1e-8
    assert fast.ratio < 1.001


def test_fit_quadratic_fast_engine_raw_recipe(signal):
    """The raw recipe to within 1%: about 1.8 million steps, computed without taking them."""
    t, y = signal
    fit = gd.fit_quadratic(t, y, seed=666, standardize=False, lr=LECTURE_LR,
                           steps=3_000_000, rtol=0.01, engine="fast")
    assert fit.history.stop_reason == "target_loss"
    assert 1_700_000 < fit.history.n_steps < 1_900_000
    assert 1.0 < fit.ratio <= 1.01
    assert fit.history.plot() is not None


def test_fit_quadratic_engine_errors(signal):
    t, y = signal
    with pytest.raises(gd.InvalidArgumentError, match='engine must be "autograd" or "fast"'):
        gd.fit_quadratic(t, y, engine="turbo")
    with pytest.raises(gd.InvalidArgumentError, match="plain gradient descent"):
        gd.fit_quadratic(t, y, engine="fast", optimizer="adam")
    with pytest.raises(gd.DivergenceError, match="at step"):
        gd.fit_quadratic(t, y, engine="fast", standardize=False, lr=1e-3)


def test_bad_input(problem):
    _, y, X, p0 = problem
    kw = dict(lr=LECTURE_LR, steps=10)
    with pytest.raises(gd.ShapeError, match="X has 19, y has 20"):
        gd.fast_forward(X[:-1], y, p0, **kw)
    with pytest.raises(gd.ShapeError, match=r"expected X of shape \(N, P\)"):
        gd.fast_forward(X[:, 0], y, p0, **kw)
    with pytest.raises(gd.ShapeError, match="X has 3 columns .* params0 has 2"):
        gd.fast_forward(X, y, p0[:2], **kw)
    with pytest.raises(gd.InvalidArgumentError, match="steps must be a positive integer"):
        gd.fast_forward(X, y, p0, lr=LECTURE_LR, steps=0)
    with pytest.raises(gd.InvalidArgumentError, match="lr must be a positive"):
        gd.fast_forward(X, y, p0, lr=-1.0, steps=10)
    bad = y.clone()
    bad[3] = float("nan")
    with pytest.raises(gd.InvalidArgumentError, match="y contains 1 non-finite"):
        gd.fast_forward(X, bad, p0, **kw)
    with pytest.raises(gd.InvalidArgumentError, match="X must be a torch.Tensor"):
        gd.fast_forward(np.ones((20, 3)), y, p0, **kw)
    with pytest.raises(gd.InvalidArgumentError, match=r"momentum must be a number in \[0, 1\)"):
        gd.fast_forward(X, y, p0, momentum=1.0, **kw)
    with pytest.raises(gd.InvalidArgumentError, match="at must hold whole step numbers"):
        gd.fast_forward(X, y, p0, at=[0, 11], **kw)
    with pytest.raises(gd.InvalidArgumentError, match="target_loss must be a finite number"):
        gd.fast_forward(X, y, p0, target_loss=float("nan"), **kw)
    with pytest.raises(gd.InvalidArgumentError, match="explode_factor must be a number above 1"):
        gd.fast_forward(X, y, p0, explode_factor=0.5, **kw)


@pytest.mark.cuda
def test_runs_on_the_device_of_x(problem):
    _, y, X, p0 = problem
    run = gd.fast_forward(X.cuda(), y.cuda(), p0.cuda(), lr=LECTURE_LR, steps=1_000)
    cpu = gd.fast_forward(X, y, p0, lr=LECTURE_LR, steps=1_000)
    assert run.final_params.device.type == "cuda"
    assert torch.equal(run.final_params.cpu(), cpu.final_params)
