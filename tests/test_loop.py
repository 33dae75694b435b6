"""Steps 6 and 7: train(), its stop rules, divergence handling and History."""

import math

import pytest
import torch

import gdcourse as gd
from gdcourse.quadratic import quadratic


@pytest.fixture
def standard(signal):
    """The lecture signal on standardized time, where lr 0.3 converges quickly."""
    t, y = signal
    u = (t - t.mean()) / t.std(correction=0)
    return u, y


def test_train_matches_torch_optim_sgd_for_1000_steps(signal):
    t, y = (v.double() for v in signal)
    ours = gd.init_params(3, seed=666, dtype=torch.float64)
    theirs = ours.detach().clone().requires_grad_()
    hist = gd.train(ours, quadratic, t, y, lr=1e-5, steps=1000, record_every=1)
    opt = torch.optim.SGD([theirs], lr=1e-5)
    losses = []
    for _ in range(1000):
        opt.zero_grad()
        loss = gd.mse(quadratic(t, theirs), y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    assert torch.equal(ours.detach(), theirs.detach())
    assert hist.losses == losses
    assert hist.steps == list(range(1000))
    assert hist.n_steps == 1000 and hist.stop_reason == "steps"


def test_train_accepts_a_torch_optimizer(standard):
    u, y = standard
    a = gd.init_params(3, seed=1)
    b = a.detach().clone().requires_grad_()
    gd.train(a, quadratic, u, y, lr=0.1, steps=50)
    gd.train(b, quadratic, u, y, steps=50, optimizer=torch.optim.SGD([b], lr=0.1))
    torch.testing.assert_close(a.detach(), b.detach())


def test_sync_every_does_not_change_the_result(standard):
    u, y = standard
    a = gd.init_params(3, seed=2)
    b = a.detach().clone().requires_grad_()
    ha = gd.train(a, quadratic, u, y, lr=0.2, steps=300, record_every=3)
    hb = gd.train(b, quadratic, u, y, lr=0.2, steps=300, record_every=3, sync_every=50)
    assert torch.equal(a, b)
    assert ha.losses == hb.losses and ha.steps == hb.steps == list(range(0, 300, 3))


def test_target_loss_stops_early(standard):
    u, y = standard
    params = gd.init_params(3, seed=666)
    hist = gd.train(params, quadratic, u, y, lr=0.3, steps=10_000, target_loss=20.0)
    assert hist.stop_reason == "target_loss"
    assert hist.n_steps < 100
    assert gd.mse(quadratic(u, params), y).item() <= 20.0


@pytest.mark.parametrize("sync_every", [1, 7])
def test_a_stop_hands_back_the_params_whose_loss_it_read(standard, sync_every):
    u, y = standard
    params = gd.init_params(3, seed=666)
    hist = gd.train(params, quadratic, u, y, lr=0.3, steps=10_000, target_loss=20.0,
                    sync_every=sync_every, record_every=1)
    assert hist.steps[-1] == hist.n_steps  # the last loss read is of params after n_steps
    assert gd.mse(quadratic(u, params), y).item() == hist.losses[-1]
    if sync_every == 1:  # reading every step, the stop is the first step under the target
        assert all(v > 20.0 for v in hist.losses[:-1])


def test_restore_best_without_validation_puts_back_the_best_training_loss(standard):
    u, y = standard
    params = gd.init_params(3, seed=666)
    hist = gd.train(params, quadratic, u, y, lr=0.3, steps=100_000, patience=20,
                    min_delta=1e-3, restore_best=True)
    assert hist.stop_reason == "plateau"
    assert gd.mse(quadratic(u, params), y).item() == hist.best_loss


def test_plateau_stops_when_progress_stalls(standard):
    u, y = standard
    params = gd.init_params(3, seed=666)
    hist = gd.train(params, quadratic, u, y, lr=0.3, steps=100_000, patience=20, min_delta=1e-4)
    assert hist.stop_reason == "plateau"
    assert hist.n_steps - hist.best_step >= 20
    assert hist.n_steps < 2000


def test_validation_early_stopping_restores_best():
    # A line fitted to few noisy points, validated elsewhere: overfitting is impossible for a
    # line, so we make the validation loss rise by giving it a shifted target.
    x = torch.linspace(-1, 1, 30)
    y = 2 * x + 1
    x_val, y_val = x, 2 * x + 0.5  # best validation loss is reached while passing intercept 0.5
    f = lambda x, p: p[0] * x + p[1]  # noqa: E731
    params = torch.tensor([0.0, 0.0], requires_grad=True)
    hist = gd.train(params, f, x, y, lr=0.05, steps=5000, x_val=x_val, y_val=y_val,
                    patience=50, restore_best=True)
    assert hist.stop_reason == "plateau"
    assert hist.val_losses and len(hist.val_losses) == len(hist.val_steps)
    restored_val = gd.mse(f(x_val, params), y_val).item()
    assert restored_val == pytest.approx(hist.best_loss, rel=1e-6)
    assert restored_val < hist.val_losses[-1]


def test_divergence_raises_with_step_lr_and_suggestion_and_restores_params(signal):
    t, y = signal
    params = gd.init_params(3, seed=666)
    with pytest.raises(gd.DivergenceError,
                       match=r"loss (became nan|became inf|exploded).* at step \d+ \(lr=0.001\)"
                             r".*largest stable lr.*about 3.\de-05") as info:
        gd.train(params, quadratic, t, y, lr=1e-3, steps=1000)
    err = info.value
    assert err.step > 1 and err.lr == 1e-3
    assert err.suggested_lr == pytest.approx(3.5e-5, rel=0.05)
    assert torch.isfinite(params).all() and params.grad is None
    assert math.isfinite(gd.mse(quadratic(t, params), y).item())
    # the step whose loss was bad, found exactly between syncs; no update was taken after it
    assert 0 <= err.history.n_steps - (err.step - 1) < 10
    assert not math.isfinite(err.history.losses[err.step - 1]) or \
        err.history.losses[err.step - 1] > 1e8 * err.history.losses[0]
    assert all(math.isfinite(v) for v in err.history.losses[: err.step - 1])


def test_divergence_to_nan_is_caught_with_sparse_syncs(signal):
    t, y = signal
    params = gd.init_params(3, seed=666)
    with pytest.raises(gd.DivergenceError):
        gd.train(params, quadratic, t, y, lr=1e-2, steps=2000, sync_every=100,
                 explode_factor=math.inf)
    assert torch.isfinite(params).all()


def test_ctrl_c_returns_history_with_params_intact(standard):
    u, y = standard
    calls = {"n": 0}

    def f(x, p):
        calls["n"] += 1
        if calls["n"] == 40:
            raise KeyboardInterrupt
        return quadratic(x, p)

    params = gd.init_params(3, seed=0)
    hist = gd.train(params, f, u, y, lr=0.1, steps=1000)
    assert hist.stop_reason == "interrupted"
    assert hist.n_steps == 39
    assert torch.isfinite(params).all() and params.grad is None


@pytest.mark.parametrize("sync_every", [1, 50])
def test_snapshots_are_cpu_copies(standard, sync_every):
    u, y = standard
    params = gd.init_params(3, seed=0)
    hist = gd.train(params, quadratic, u, y, lr=0.1, steps=100, snapshot_every=25,
                    sync_every=sync_every)
    assert hist.snapshot_steps == [25, 50, 75, 100]
    assert all(s.device.type == "cpu" and not s.requires_grad for s in hist.snapshots)
    assert torch.equal(hist.snapshots[-1], params.detach())
    assert not torch.equal(hist.snapshots[0], hist.snapshots[-1])


def test_progress_bar_shows_when_asked(standard, capsys):
    u, y = standard
    gd.train(gd.init_params(3, seed=0), quadratic, u, y, lr=0.1, steps=20, progress=True)
    assert "train" in capsys.readouterr().err


def test_history_repr_and_plot(standard):
    u, y = standard
    hist = gd.train(gd.init_params(3, seed=0), quadratic, u, y, lr=0.1, steps=20)
    assert "n_steps=20" in repr(hist)
    ax = hist.plot()
    assert ax.get_yscale() == "log" and len(ax.lines) == 1


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=0.1, steps=0), "steps must be a positive integer"),
    (dict(lr=-1.0, steps=5), "lr must be a positive"),
    (dict(steps=5), r"train needs lr=\.\.\."),
    (dict(lr=0.1, steps=5, patience=0), "patience must be a positive integer"),
    (dict(lr=0.1, steps=5, restore_best=True), "restore_best needs a patience"),
    (dict(lr=0.1, steps=5, x_val=torch.zeros(3)), "both x_val and y_val"),
])
def test_bad_arguments_are_explained(standard, kwargs, match):
    u, y = standard
    with pytest.raises(gd.InvalidArgumentError, match=match):
        gd.train(gd.init_params(3, seed=0), quadratic, u, y, **kwargs)


def test_lr_and_optimizer_together_is_refused(standard):
    u, y = standard
    p = gd.init_params(3, seed=0)
    with pytest.raises(gd.InvalidArgumentError, match="not both"):
        gd.train(p, quadratic, u, y, lr=0.1, steps=5, optimizer=torch.optim.SGD([p], lr=0.1))


def test_non_finite_data_is_refused(standard):
    u, y = standard
    y = y.clone()
    y[3] = float("nan")
    with pytest.raises(gd.InvalidArgumentError, match="non-finite"):
        gd.train(gd.init_params(3, seed=0), quadratic, u, y, lr=0.1, steps=5)


def test_integer_params_are_refused(standard):
    u, y = standard
    with pytest.raises(gd.InvalidArgumentError, match="floating-point dtype"):
        gd.train(torch.zeros(3, dtype=torch.int64), quadratic, u, y, lr=0.1, steps=5)


def test_params_without_grad_are_refused(standard):
    u, y = standard
    with pytest.raises(gd.InvalidArgumentError, match="requires_grad=True"):
        gd.train(torch.zeros(3), quadratic, u, y, lr=0.1, steps=5)


def test_a_last_update_that_blows_up_is_caught_like_fast_forward(signal):
    t, y = (v.double() for v in signal)
    X = gd.design_matrix_quadratic(t)
    p0 = gd.init_params(3, seed=666, dtype=torch.float64)
    lr = 1.0  # ~30,000 times the stable limit: the first update alone explodes the loss
    params = p0.detach().clone().requires_grad_()
    with pytest.raises(gd.DivergenceError, match="put back to their starting values") as slow:
        gd.train(params, quadratic, t, y, lr=lr, steps=1)
    with pytest.raises(gd.DivergenceError) as fast:
        gd.fast_forward(X, y, p0, lr=lr, steps=1)
    assert slow.value.step == fast.value.step == 1
    assert torch.equal(params.detach(), p0.detach())  # put back, not left exploded


def _interrupt_at_call(n):
    calls = {"n": 0}

    def f(x, p):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        return quadratic(x, p)
    return f


@pytest.mark.parametrize("f, kwargs, reason", [
    (quadratic, dict(steps=100), "steps"),
    (quadratic, dict(steps=10_000, target_loss=20.0, sync_every=7), "target_loss"),
    (quadratic, dict(steps=100_000, patience=20, min_delta=1e-3, restore_best=True), "plateau"),
    (_interrupt_at_call(40), dict(steps=1000), "interrupted"),
])
def test_final_loss_is_the_loss_of_the_params_handed_back(standard, f, kwargs, reason):
    u, y = standard
    params = gd.init_params(3, seed=666)
    hist = gd.train(params, f, u, y, lr=0.3, **kwargs)
    assert hist.stop_reason == reason
    assert hist.final_loss == gd.mse(quadratic(u, params), y).item()
    assert f"final_loss={hist.final_loss:.6g}" in repr(hist)


def test_final_loss_after_the_budget_counts_the_last_update(signal):
    # "loss after 100 steps" is the loss after 100 updates, not the one read before the 100th
    t, y = signal
    params = gd.init_params(3, seed=666)
    hist = gd.train(params, quadratic, t, y, lr=1e-5, steps=100, record_every=1)
    assert hist.steps[-1] == 99 and hist.final_loss < hist.losses[-1]
    assert hist.final_loss == gd.mse(quadratic(t, params), y).item()
