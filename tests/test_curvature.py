"""max_hessian_eigenvalue / max_stable_lr against eigenvalues of the full Hessian (float64)."""

import math

import pytest
import torch

import gdcourse as gd


def _exact_quadratic_eigenvalues(t):
    X = gd.design_matrix_quadratic(t.double())  # (N, 3)
    return torch.linalg.eigvalsh(2 / X.shape[0] * X.T @ X)  # ascending


@pytest.mark.parametrize("basis", ["raw", "standardized"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_exact_for_the_quadratic(signal, basis, dtype):
    t, y = (v.to(dtype) for v in signal)
    if basis == "standardized":
        t = (t - t.mean()) / t.std(correction=0)
    params = gd.init_params(3, seed=666, dtype=dtype)
    lam = _exact_quadratic_eigenvalues(t)[-1].item()
    assert math.isclose(gd.max_hessian_eigenvalue(gd.quadratic, params, t, y), lam,
                        rel_tol=1e-9)
    assert math.isclose(gd.max_stable_lr(gd.quadratic, params, t, y), 2 / lam, rel_tol=1e-9)
    assert params.grad is None  # not modified, no gradient left behind


def test_lecture_facts(signal):
    """The issue's numbers: condition number about 2e5 and 2 / lambda_max about 3.5e-5."""
    t, y = signal
    eig = _exact_quadratic_eigenvalues(t)
    assert 1.5e5 < (eig[-1] / eig[0]).item() < 2.5e5
    assert 3.4e-5 < gd.max_stable_lr(gd.quadratic, gd.init_params(3, seed=666), t, y) < 3.6e-5


def _net(x, params):
    """A 1-4-1 tanh network: params = [w1 (4,), b1 (4,), w2 (4,), b2 ()]."""
    w1, b1, w2, b2 = params
    return torch.tanh(x[:, None] * w1 + b1) @ w2 + b2  # (N, 4) @ (4,) -> (N,)


def _flat_hessian_eigenvalues(params, x, y):
    shapes = [p.shape for p in params]
    sizes = [p.numel() for p in params]

    def loss(flat):
        parts = [c.reshape(s) for c, s in zip(torch.split(flat, sizes), shapes)]
        return gd.mse(_net(x, parts), y)

    flat = torch.cat([p.detach().double().reshape(-1) for p in params])
    H = torch.autograd.functional.hessian(loss, flat)  # (13, 13)
    return torch.linalg.eigvalsh(H)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_network(seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.linspace(-2, 2, 30, dtype=torch.float64)
    y = torch.sin(2 * x) + 0.1 * torch.randn(30, generator=gen, dtype=torch.float64)
    params = [torch.randn(4, generator=gen, dtype=torch.float64).requires_grad_()
              for _ in range(3)] + [torch.zeros((), dtype=torch.float64, requires_grad=True)]
    eig = _flat_hessian_eigenvalues(params, x, y)
    biggest = eig[eig.abs().argmax()].item()
    lam = gd.max_hessian_eigenvalue(_net, params, x, y, iters=5_000, rtol=1e-13)
    assert math.isclose(lam, biggest, rel_tol=1e-6)
    if eig[-1] > 0:
        lr = gd.max_stable_lr(_net, params, x, y, iters=5_000, rtol=1e-13)
        assert math.isclose(lr, 2 / eig[-1].item(), rel_tol=1e-6)


def test_negative_curvature_dominates():
    """The largest-magnitude eigenvalue is -5; the stable lr follows the largest positive, 2."""
    A = torch.diag(torch.tensor([-5.0, 1.0, 2.0], dtype=torch.float64))

    def f(x, p):
        return (0.5 * p @ A @ p).reshape(1)

    def loss_fn(preds, y):
        return preds.sum()

    p = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)
    x = y = torch.zeros(1, dtype=torch.float64)
    assert math.isclose(gd.max_hessian_eigenvalue(f, p, x, y, loss_fn), -5.0, rel_tol=1e-9)
    assert math.isclose(gd.max_stable_lr(f, p, x, y, loss_fn), 1.0, rel_tol=1e-9)


def test_no_positive_curvature_is_an_error():
    def concave(x, p):
        return -(p * p).sum().reshape(1)

    def linear(x, p):
        return (2 * p).sum().reshape(1)

    def loss_fn(preds, y):
        return preds.sum()

    p = torch.ones(3)
    x = y = torch.zeros(1)
    with pytest.raises(gd.InvalidArgumentError, match="no positive curvature"):
        gd.max_stable_lr(concave, p, x, y, loss_fn)
    assert gd.max_hessian_eigenvalue(linear, p, x, y, loss_fn) == 0.0
    with pytest.raises(gd.InvalidArgumentError, match=r"no positive curvature .*lambda_max = 0"):
        gd.max_stable_lr(linear, p, x, y, loss_fn)


def test_bad_input(signal):
    t, y = signal
    with pytest.raises(gd.InvalidArgumentError, match="params must have a floating-point"):
        gd.max_stable_lr(gd.quadratic, torch.tensor([1, 2, 3]), t, y)
    bad = y.clone()
    bad[0] = float("nan")
    with pytest.raises(gd.InvalidArgumentError, match="y contains 1 non-finite"):
        gd.max_stable_lr(gd.quadratic, gd.init_params(3, seed=0), t, bad)


def test_divergence_suggests_the_stable_lr(signal):
    t, y = signal
    params = gd.init_params(3, seed=666)
    with pytest.raises(gd.DivergenceError, match=r"about 3\.5e-05") as err:
        gd.train(params, gd.quadratic, t, y, lr=1e-3, steps=100, progress=False)
    lam = _exact_quadratic_eigenvalues(t)[-1].item()
    assert math.isclose(err.value.suggested_lr, 2 / lam, rel_tol=1e-4)


@pytest.mark.parametrize("n_features", [3, 20])  # the elementwise path and the BLAS path
def test_mse_hessian_is_autograds_hessian_of_a_linear_model(n_features):
    from gdcourse.curvature import mse_hessian

    gen = torch.Generator().manual_seed(3)
    X = torch.randn(40, n_features, generator=gen, dtype=torch.float64)
    y = torch.randn(40, generator=gen, dtype=torch.float64)
    theta = torch.zeros(n_features, dtype=torch.float64)
    expected = torch.autograd.functional.hessian(lambda p: gd.mse(X @ p, y), theta)
    H = mse_hessian(X.float())  # any float input comes back as float64 on the CPU
    assert H.dtype == torch.float64 and H.device.type == "cpu"
    torch.testing.assert_close(H, expected, rtol=1e-6, atol=1e-6)


def test_stable_lr_limit_widens_with_momentum():
    from gdcourse.curvature import stable_lr_limit

    H = torch.diag(torch.tensor([0.5, 8.0], dtype=torch.float64))
    assert stable_lr_limit(H) == 0.25
    assert stable_lr_limit(H, momentum=0.9) == pytest.approx(2 * 1.9 / 8.0)


def test_momentum_limit_is_one_rule_for_curvature_and_optim():
    from gdcourse.curvature import momentum_factor, stable_lr_limit

    H = torch.diag(torch.tensor([1.0, 8.0], dtype=torch.float64))
    for mu in (0.0, 0.5, 0.9):
        assert stable_lr_limit(H, mu) == 2 * momentum_factor(mu) / 8.0
        assert gd.optim.stability_factor("momentum", momentum=mu) == momentum_factor(mu)
    with pytest.raises(gd.InvalidArgumentError, match=r"momentum must be a number in \[0, 1\)"):
        stable_lr_limit(H, 1.0)


def test_max_stable_lr_refuses_a_misspelt_keyword(signal):
    t, y = signal
    with pytest.raises(TypeError, match="itres"):
        gd.max_stable_lr(gd.quadratic, gd.init_params(3, seed=0), t, y, itres=1)
