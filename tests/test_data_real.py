"""Real data sets (belts, penguins), standardizing, design matrices and minibatches.

The lecture's numbers are reproduced from the data and the lecture's loss definitions:
the belt slope at 1.7, descent on the multiplier, and the penguin line equal to least squares.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

import gdcourse as gd
from gdcourse import data


def belt_loss(m, inches, cm):
    """The lecture's loss: mean of (inches * m - cm)^2."""
    return gd.mse(inches * m, cm)


# --- belts ---------------------------------------------------------------------------------


def test_belts_table_is_consistent():
    b = data.belts()
    assert [t.shape for t in b] == [torch.Size([10])] * 3
    assert torch.equal(b.inches, b.waist + 2.5)  # every belt is 2.5 in longer than the waist
    # rounded to whole centimetres of the true conversion
    assert torch.all((b.inches * 2.54 - b.cm).abs() <= 0.5)
    # the one copy of the table, as plain floats for the grader and the exercise
    from gdcourse.data.tables import BELT_CM, BELT_IN, BELT_WAIST

    assert (b.waist.tolist(), b.inches.tolist(), b.cm.tolist()) == (
        list(BELT_WAIST), list(BELT_IN), list(BELT_CM))
    assert all(type(v) is float for v in BELT_WAIST + BELT_IN + BELT_CM)


def test_belt_slope_at_1_7_matches_lecture_autograd_and_finite_differences():
    b = data.belts(dtype=torch.float64)
    m = torch.tensor(1.7, dtype=torch.float64)
    slope = torch.func.grad(belt_loss)(m, b.inches, b.cm)
    assert round(float(slope), 2) == -2681.35
    assert round(float(belt_loss(m, b.inches, b.cm)), 4) == 1128.2125
    # autograd .backward() and a central finite difference agree
    leaf = m.clone().requires_grad_()
    belt_loss(leaf, b.inches, b.cm).backward()
    h = 1e-6
    fd = (belt_loss(m + h, b.inches, b.cm) - belt_loss(m - h, b.inches, b.cm)) / (2 * h)
    torch.testing.assert_close(leaf.grad, slope)
    torch.testing.assert_close(fd, slope, rtol=1e-6, atol=1e-6)
    # and the calculus: dL/dm = 2 mean(inches * (inches * m - cm))
    by_hand = 2 * (b.inches * (b.inches * m - b.cm)).mean()
    torch.testing.assert_close(by_hand, slope)


def test_descent_on_the_multiplier_reaches_2_541():
    b = data.belts()
    m = torch.zeros((), requires_grad=True)
    hist = gd.train(m, lambda x, p: x * p, b.inches, b.cm, lr=1e-5, steps=1000)
    assert round(m.item(), 3) == 2.541
    assert hist.losses[0] > 100 * hist.losses[-1]


# --- penguins ------------------------------------------------------------------------------


def test_penguins_drops_incomplete_rows_and_returns_float_tensors():
    p = data.penguins()
    assert p.bill_length.shape == p.body_mass.shape == (333,)
    assert p.bill_length.dtype == torch.float32
    assert torch.isfinite(p.bill_length).all() and torch.isfinite(p.body_mass).all()
    assert data.penguins(dtype=torch.float64).body_mass.dtype == torch.float64


def test_penguins_without_the_extra_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "palmerpenguins", None)  # makes the import fail
    with pytest.raises(gd.MissingExtraError, match=r'pip install "gdcourse\[lectures\]"'):
        data.penguins()
    with pytest.raises(ImportError):  # still an ImportError for code that expects one
        data.penguins()


def _penguin_problem():
    p = data.penguins()
    x, y = data.standardize(p.bill_length), data.standardize(p.body_mass)
    return data.design_matrix(x.z), y.z


def test_penguin_design_matrix_matches_lecture_rows():
    X, y = _penguin_problem()
    assert X.shape == (333, 2)
    assert torch.equal(X[:, 0], torch.ones(333))
    torch.testing.assert_close(X[:3, 1], torch.tensor([-0.89604189, -0.82278787, -0.67627982]))
    # the dot product of row 1 with params (2, 4)
    assert float(X[1] @ torch.tensor([2.0, 4.0])) == pytest.approx(-1.2911514669828215, abs=1e-5)
    # a standardized target with intercept -2, slope 0: loss = 1 + 4
    assert float(gd.mse(X @ torch.tensor([-2.0, 0.0]), y)) == pytest.approx(5.0, abs=1e-5)


def test_penguin_descent_reaches_least_squares():
    X, y = _penguin_problem()
    params = torch.tensor([-2.0, 0.0], requires_grad=True)
    gd.train(params, lambda X, p: X @ p, X, y, lr=0.01, steps=1000)
    assert [round(v, 3) for v in params.tolist()] == [0.0, 0.589]  # -0.0 == 0.0
    exact = torch.linalg.lstsq(X.double(), y.double().unsqueeze(1)).solution.squeeze(1)
    torch.testing.assert_close(params.detach().double(), exact, atol=1e-4, rtol=0)
    # for one standardized input the least-squares slope is the correlation coefficient
    r = np.corrcoef(X[:, 1].numpy(), y.numpy())[0, 1]
    assert float(exact[1]) == pytest.approx(r, abs=1e-5)


# --- standardize ---------------------------------------------------------------------------


def test_standardize_uses_the_population_std_and_undoes():
    x = torch.tensor([[1.0, 10.0], [2.0, 30.0], [6.0, 20.0]], dtype=torch.float64)
    s = data.standardize(x)
    torch.testing.assert_close(s.std, torch.from_numpy(x.numpy().std(axis=0)))
    torch.testing.assert_close(s.z.mean(0), torch.zeros(2, dtype=torch.float64))
    torch.testing.assert_close(s.z.std(0, correction=0), torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(s.undo(s.z), x)
    torch.testing.assert_close(s.apply(x), s.z)
    sample = data.standardize(x, correction=1)
    torch.testing.assert_close(sample.std, x.std(0))


def test_standardize_bad_input():
    with pytest.raises(gd.InvalidArgumentError, match="at least 2 rows"):
        data.standardize(torch.tensor([1.0]))
    with pytest.raises(gd.InvalidArgumentError, match="constant column"):
        data.standardize(torch.tensor([[1.0, 2.0], [1.0, 3.0]]))
    with pytest.raises(gd.InvalidArgumentError, match="floating point"):
        data.standardize(torch.tensor([1, 2, 3]))
    with pytest.raises(gd.InvalidArgumentError, match="non-finite"):
        data.standardize(torch.tensor([1.0, float("nan")]))
    with pytest.raises(gd.InvalidArgumentError, match="correction"):
        data.standardize(torch.tensor([1.0, 2.0]), correction=2)
    s = data.standardize(torch.randn(5, 2, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(gd.ShapeError, match=r"statistics are for rows of shape \(2,\)"):
        s.apply(torch.zeros(4, 3))
    with pytest.raises(gd.ShapeError, match="same columns"):
        s.undo(torch.zeros(4))


# --- design matrix -------------------------------------------------------------------------


def test_design_matrix_stacks_ones_then_columns():
    a, b = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([[4.0, 5.0], [6.0, 7.0], [8.0, 9.0]])
    X = data.design_matrix(a, b)
    expected = torch.tensor([[1.0, 1, 4, 5], [1, 2, 6, 7], [1, 3, 8, 9]])
    assert torch.equal(X, expected)


def test_design_matrix_bad_input():
    with pytest.raises(gd.ShapeError, match="columns\\[0\\] has 3, columns\\[1\\] has 2 rows"):
        data.design_matrix(torch.zeros(3), torch.zeros(2))
    with pytest.raises(gd.ShapeError, match=r"expected \(N,\) or \(N, D\)"):
        data.design_matrix(torch.zeros(2, 2, 2))
    with pytest.raises(gd.InvalidArgumentError, match="at least one column"):
        data.design_matrix()
    with pytest.raises(gd.InvalidArgumentError, match="must be a torch.Tensor"):
        data.design_matrix([1.0, 2.0])


# --- minibatches ---------------------------------------------------------------------------


def _sgd(seed, epochs=3, batch_size=32):
    X, y = _penguin_problem()
    params = torch.tensor([-2.0, 0.0], requires_grad=True)
    loader = data.minibatches(X, y, batch_size=batch_size, seed=seed)
    for _ in range(epochs):
        for xb, yb in loader:
            gd.apply_step(params, lambda X, p: X @ p, xb, yb, lr=0.05)
    return params.detach()


def test_minibatch_sgd_is_reproducible_and_seed_dependent():
    first, again, other = _sgd(0), _sgd(0), _sgd(1)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    # SGD lands near the least-squares answer, not on it
    assert abs(float(first[1]) - 0.589) < 0.1


def test_minibatches_cover_every_row_once_per_epoch_in_a_new_order():
    x, y = torch.arange(10.0), torch.arange(10.0) * 2
    loader = data.minibatches(x, y, batch_size=4, seed=3)
    epochs = [[(xb.clone(), yb.clone()) for xb, yb in loader] for _ in range(2)]
    for batches in epochs:
        assert [len(xb) for xb, _ in batches] == [4, 4, 2]
        xs = torch.cat([xb for xb, _ in batches])
        assert sorted(xs.tolist()) == x.tolist()
        assert all(torch.equal(yb, 2 * xb) for xb, yb in batches)  # rows stay paired
    orders = [torch.cat([xb for xb, _ in batches]) for batches in epochs]
    assert not torch.equal(orders[0], orders[1])  # a fresh shuffle each epoch
    ordered = data.minibatches(x, y, batch_size=4, seed=None, shuffle=False, drop_last=True)
    assert [xb.tolist() for xb, _ in ordered] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_minibatches_bad_input():
    with pytest.raises(gd.ShapeError, match="x has 5, y has 4 rows"):
        data.minibatches(torch.zeros(5), torch.zeros(4), batch_size=2, seed=0)
    with pytest.raises(gd.InvalidArgumentError, match="batch_size must be a positive integer"):
        data.minibatches(torch.zeros(5), torch.zeros(5), batch_size=0, seed=0)
    with pytest.raises(gd.InvalidArgumentError, match="seed must be an int"):
        data.minibatches(torch.zeros(5), torch.zeros(5), batch_size=2, seed=1.5)


@pytest.mark.cuda
def test_minibatches_and_design_matrix_stay_on_cuda():
    x, y = torch.randn(8, device="cuda"), torch.randn(8, device="cuda")
    X = data.design_matrix(x)
    assert X.device.type == "cuda"
    for xb, yb in data.minibatches(X, y, batch_size=3, seed=0):
        assert xb.device.type == yb.device.type == "cuda"
