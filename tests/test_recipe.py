"""Steps 1-5: init_params, mse, step, apply_step."""

import pytest
import torch

import gdcourse as gd
from gdcourse.quadratic import quadratic


def test_set_seed_then_init_gives_the_lecture_values():
    gd.set_seed(666)
    params = gd.init_params(3)
    assert params.requires_grad and params.is_leaf
    torch.testing.assert_close(params.detach(), torch.tensor([-2.1188, 0.0635, -1.4555]),
                               atol=5e-5, rtol=0)


def test_init_params_seed_is_private_and_repeatable():
    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    a = gd.init_params(5, seed=3)
    assert torch.equal(torch.random.get_rng_state(), before)  # global RNG untouched
    assert torch.equal(a, gd.init_params(5, seed=3))
    assert not torch.equal(a, gd.init_params(5, seed=4))


def test_init_params_dtype_and_device():
    p = gd.init_params(2, seed=1, dtype=torch.float64, device="cpu")
    assert p.dtype == torch.float64 and p.device.type == "cpu"


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_init_params_rejects_bad_n(n):
    with pytest.raises(gd.InvalidArgumentError, match="n must be a positive integer"):
        gd.init_params(n)


def test_init_params_rejects_integer_dtype():
    with pytest.raises(gd.InvalidArgumentError, match="floating-point dtype"):
        gd.init_params(3, dtype=torch.int64)


def test_mse_matches_definition():
    preds, y = torch.randn(20, dtype=torch.float64), torch.randn(20, dtype=torch.float64)
    torch.testing.assert_close(gd.mse(preds, y), ((preds - y) ** 2).mean())


def test_mse_gradient_matches_definition():
    preds = torch.randn(7, dtype=torch.float64, requires_grad=True)
    y = torch.randn(7, dtype=torch.float64)
    (g1,) = torch.autograd.grad(gd.mse(preds, y), preds)
    (g2,) = torch.autograd.grad(((preds - y) ** 2).mean(), preds)
    torch.testing.assert_close(g1, g2)


def test_mse_refuses_silent_broadcast_and_names_the_fix():
    with pytest.raises(gd.ShapeError, match=r"\(20, 1\).*\(20,\).*squeeze\(-1\)"):
        gd.mse(torch.zeros(20, 1), torch.zeros(20))


def test_mse_refuses_non_tensors():
    with pytest.raises(gd.InvalidArgumentError, match="two tensors"):
        gd.mse([1.0], torch.zeros(1))


def _loss_and_backward(params, t, y):
    loss = gd.mse(quadratic(t, params), y)
    loss.backward()
    return loss


def test_step_follows_the_gradient_and_clears_it(signal):
    t, y = signal
    params = gd.init_params(3, seed=666)
    _loss_and_backward(params, t, y)
    expected = params.detach() - 1e-5 * params.grad
    gd.step(params, 1e-5)
    torch.testing.assert_close(params.detach(), expected)
    assert params.grad is None


def test_step_without_backward_says_so():
    params = gd.init_params(3, seed=0)
    with pytest.raises(gd.NotFittedError, match=r"call loss.backward\(\) before step"):
        gd.step(params, 0.1)


def test_step_on_non_leaf_says_how_to_fix():
    params = gd.init_params(3, seed=0) * 2
    with pytest.raises(gd.InvalidArgumentError, match="not a leaf"):
        gd.step(params, 0.1)


@pytest.mark.parametrize("lr", [0, -1e-3, float("nan"), float("inf"), "0.1", None])
def test_step_rejects_bad_lr(lr):
    params = gd.init_params(3, seed=0)
    with pytest.raises(gd.InvalidArgumentError, match="lr must be a positive"):
        gd.step(params, lr)


def test_step_accepts_a_list_of_tensors():
    w = torch.ones(2, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    (w.sum() * 2 + b.sum()).backward()
    gd.step([w, b], 0.5)
    torch.testing.assert_close(w.detach(), torch.zeros(2))
    torch.testing.assert_close(b.detach(), torch.tensor([-0.5]))


def test_apply_step_returns_preds_before_the_step(signal, capsys):
    t, y = signal
    params = gd.init_params(3, seed=666)
    expected = quadratic(t, params).detach()
    preds = gd.apply_step(params, quadratic, t, y, lr=1e-5, prn=True)
    torch.testing.assert_close(preds, expected)
    assert not preds.requires_grad
    assert capsys.readouterr().out.startswith("loss: ")


def test_apply_step_rejects_a_non_scalar_loss(signal):
    t, y = signal
    params = gd.init_params(3, seed=0)
    with pytest.raises(gd.ShapeError, match="scalar"):
        gd.apply_step(params, quadratic, t, y, lr=1e-5, loss_fn=lambda p, y: (p - y) ** 2)


def test_apply_step_matches_torch_optim_sgd_for_1000_steps(signal):
    """The acceptance check: identical params to torch.optim.SGD, step for step, float64."""
    t, y = (v.double() for v in signal)
    ours = gd.init_params(3, seed=666, dtype=torch.float64)
    theirs = ours.detach().clone().requires_grad_()
    opt = torch.optim.SGD([theirs], lr=1e-5)
    for _ in range(1000):
        gd.apply_step(ours, quadratic, t, y, lr=1e-5)
        opt.zero_grad()
        gd.mse(quadratic(t, theirs), y).backward()
        opt.step()
        assert torch.equal(ours.detach(), theirs.detach())
