"""lr_sweep against one gd.train call (or torch.optim.SGD run) per learning rate."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import gdcourse as gd


def _standardized(t):
    return (t - t.mean()) / t.std(correction=0)


def _one_run(t, y, lr, *, steps, momentum=0.0):
    """(final loss in float64, diverged) of train from the seed-666 init."""
    params = gd.init_params(3, seed=666, dtype=t.dtype)
    opt = torch.optim.SGD([params], lr=lr, momentum=momentum) if momentum else None
    try:
        gd.train(params, gd.quadratic, t, y, lr=None if opt else lr, optimizer=opt,
                 steps=steps, progress=False)
    except gd.DivergenceError:
        return math.nan, True
    p64 = params.detach().double()
    return float(gd.mse(gd.quadratic(t.double(), p64), y.double())), False


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("basis", ["raw", "standardized"])
def test_matches_train_run_by_run(signal, dtype, basis):
    t, y = (v.to(dtype) for v in signal)
    if basis == "standardized":
        t = _standardized(t)
        lrs = torch.logspace(-3, math.log10(0.6), 12)  # the limit is about 0.40
    else:
        lrs = torch.logspace(-7, math.log10(6e-5), 12)  # the limit is about 3.5e-5
    sweep = gd.lr_sweep(gd.design_matrix_quadratic(t), y, lrs, steps=300, seed=666)
    assert sweep.final_loss.shape == sweep.diverged.shape == (12,)
    assert sweep.params.shape == (12, 3) and sweep.params.dtype == dtype
    n_diverged = 0
    for i, lr in enumerate(lrs.tolist()):
        loss, diverged = _one_run(t, y, lr, steps=300)
        assert bool(sweep.diverged[i]) == diverged, lr
        n_diverged += diverged
        if not diverged:
            assert math.isclose(sweep.final_loss[i].item(), loss, rel_tol=1e-6), lr
    assert 0 < n_diverged < 12  # the grid straddles the limit, so both branches ran
    assert all(lrs[sweep.diverged] > sweep.max_stable_lr)


def test_momentum_matches_torch_sgd(signal):
    t, y = (v.double() for v in signal)
    u = _standardized(t)
    lrs = [0.01, 0.05, 0.2, 0.6]
    sweep = gd.lr_sweep(gd.design_matrix_quadratic(u), y, lrs, steps=200, seed=666,
                        momentum=0.9)
    for i, lr in enumerate(lrs):
        loss, diverged = _one_run(u, y, lr, steps=200, momentum=0.9)
        assert not diverged and not sweep.diverged[i]
        assert math.isclose(sweep.final_loss[i].item(), loss, rel_tol=1e-9)


def test_stability_limit_and_best_lr(signal):
    t, y = signal
    X = gd.design_matrix_quadratic(t.double())
    lam = float(torch.linalg.eigvalsh(2 / 20 * X.T @ X)[-1])
    sweep = gd.lr_sweep(X, y.double(), np.geomspace(1e-7, 1e-4, 40), steps=500, seed=666)
    assert math.isclose(sweep.max_stable_lr, 2 / lam, rel_tol=1e-12)
    stable = sweep.lrs < 0.99 * sweep.max_stable_lr
    assert not bool(sweep.diverged[stable].any())
    assert bool(sweep.diverged[sweep.lrs > 1.2 * sweep.max_stable_lr].all())
    assert sweep.best_lr < sweep.max_stable_lr
    assert sweep.optimal_loss <= float(sweep.final_loss[~sweep.diverged].min())
    assert "best_lr" in repr(sweep)


def test_params0_per_lr_and_shared(signal):
    t, y = signal
    X = gd.design_matrix_quadratic(_standardized(t))
    p0 = gd.init_params(3, seed=1).detach()
    shared = gd.lr_sweep(X, y, [0.1, 0.2], steps=50, params0=p0)
    rows = gd.lr_sweep(X, y, [0.1, 0.2], steps=50, params0=torch.stack([p0, p0]))
    assert torch.equal(shared.params, rows.params)
    seeded = gd.lr_sweep(X, y, [0.1, 0.2], steps=50, seed=1)
    assert torch.equal(shared.params, seeded.params)


def test_all_diverged_has_no_best_lr(signal):
    t, y = signal
    sweep = gd.lr_sweep(gd.design_matrix_quadratic(t), y, [1e-3, 1e-2], steps=50, seed=0)
    assert bool(sweep.diverged.all()) and math.isnan(sweep.best_lr)
    sweep.plot()  # diverged-only sweeps still draw


def test_plot_marks_the_limit(signal):
    t, y = signal
    sweep = gd.lr_sweep(gd.design_matrix_quadratic(t), y, torch.logspace(-7, -4, 20),
                        steps=100, seed=666)
    ax = sweep.plot()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any(label.startswith("2/lambda_max") for label in labels)
    assert "diverged" in labels
    fig, ax2 = plt.subplots()
    assert gd.plot.plot_lr_sweep(sweep, ax=ax2) is ax2


def test_bad_input(signal):
    t, y = signal
    X = gd.design_matrix_quadratic(t)
    with pytest.raises(gd.InvalidArgumentError, match="lrs is empty"):
        gd.lr_sweep(X, y, [], steps=10)
    with pytest.raises(gd.InvalidArgumentError, match="lrs is empty"):
        gd.lr_sweep(X, y, torch.tensor([]), steps=10)
    with pytest.raises(gd.InvalidArgumentError, match=r"positive finite number, got \[-0.1\]"):
        gd.lr_sweep(X, y, [1e-5, -0.1], steps=10)
    with pytest.raises(gd.InvalidArgumentError, match="lrs must be a sequence"):
        gd.lr_sweep(X, y, 1e-5, steps=10)
    with pytest.raises(gd.InvalidArgumentError, match="lrs must be numbers"):
        gd.lr_sweep(X, y, ["fast"], steps=10)
    with pytest.raises(gd.InvalidArgumentError, match="steps must be a positive integer"):
        gd.lr_sweep(X, y, [1e-5], steps=0)
    with pytest.raises(gd.ShapeError, match="X has 19, y has 20"):
        gd.lr_sweep(X[1:], y, [1e-5], steps=10)
    with pytest.raises(gd.ShapeError, match=r"expected X of shape \(N, P\)"):
        gd.lr_sweep(t, y, [1e-5], steps=10)
    with pytest.raises(gd.ShapeError, match=r"params0 must have shape \(3,\) or \(1, 3\)"):
        gd.lr_sweep(X, y, [1e-5], steps=10, params0=torch.zeros(2))
    bad = X.clone()
    bad[0, 0] = float("inf")
    with pytest.raises(gd.InvalidArgumentError, match="X contains 1 non-finite"):
        gd.lr_sweep(bad, y, [1e-5], steps=10)
    with pytest.raises(gd.InvalidArgumentError, match=r"momentum must be a number in \[0, 1\)"):
        gd.lr_sweep(X, y, [1e-5], steps=10, momentum=-0.5)


def test_restores_thread_count(signal):
    t, y = signal
    before = torch.get_num_threads()
    gd.lr_sweep(gd.design_matrix_quadratic(t), y, [1e-5], steps=5, seed=0)
    assert torch.get_num_threads() == before


@pytest.mark.cuda
def test_cuda_matches_cpu(signal):
    t, y = (v.double() for v in signal)
    X = gd.design_matrix_quadratic(_standardized(t))
    cpu = gd.lr_sweep(X, y, [0.05, 0.3], steps=100, seed=0)
    gpu = gd.lr_sweep(X.cuda(), y.cuda(), [0.05, 0.3], steps=100, seed=0)
    assert gpu.params.device.type == "cuda"
    assert torch.allclose(gpu.final_loss, cpu.final_loss, rtol=1e-12)


@pytest.mark.parametrize("steps, diverges", [(104, False), (105, True), (106, True)])
def test_a_loss_that_first_explodes_at_the_last_step_counts_as_diverged(steps, diverges):
    # 1.05 x the limit: the loss crosses 1e8 x the first loss on the 105th update, which
    # train and fast_forward check (they look at the params of the last update too).
    rng = np.random.default_rng(20261125)
    X = rng.standard_normal((50, 3)) * np.array([1.0, 0.5, 2.0])
    y = rng.standard_normal(50) + X @ [0.5, -1.0, 0.3]
    X, y, p0 = map(torch.tensor, (X, y, rng.standard_normal(3)))
    lr = 0.3965756321254757
    sweep = gd.lr_sweep(X, y, [lr], steps=steps, params0=p0)
    assert bool(sweep.diverged[0]) == diverges
    params = p0.clone().requires_grad_()
    try:
        gd.train(params, lambda x, p: x @ p, X, y, lr=lr, steps=steps)
        trained_diverged = False
    except gd.DivergenceError:
        trained_diverged = True
    assert trained_diverged == diverges
    if diverges:
        with pytest.raises(gd.DivergenceError):
            gd.fast_forward(X, y, p0, lr=lr, steps=steps)
    else:
        gd.fast_forward(X, y, p0, lr=lr, steps=steps)
