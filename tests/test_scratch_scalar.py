"""The Scalar engine against torch.autograd (float64) and central finite differences."""

from __future__ import annotations

import math
import random
from types import SimpleNamespace

import pytest
import torch

from gdcourse.errors import InvalidArgumentError, InvalidTypeError
from gdcourse.scratch.scalar import (
    Scalar,
    binary_cross_entropy,
    exp,
    log,
    mean_squared_error,
    relu,
    sigmoid,
    tanh,
)

# -- helpers --------------------------------------------------------------------------------


def scalar_run(fn, *values):
    """Value of fn at values and d fn / d value_i, by the Scalar engine."""
    leaves = [Scalar(v) for v in values]
    out = fn(*leaves)
    out.backward()
    return out.value, [leaf.grad for leaf in leaves]


def torch_run(fn, *values):
    """The same with torch.autograd in float64 (an input fn does not use gets grad 0)."""
    ts = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in values]
    out = fn(*ts)
    grads = torch.autograd.grad(out, ts, allow_unused=True)
    return out.item(), [0.0 if g is None else g.item() for g in grads]


def central_difference(fn, *values, rel_h=1e-6):
    """(f(x + h) - f(x - h)) / 2h per input, evaluated with Scalar values only.

    Returns the estimates and, per input, their rounding error (about eps |f| / h), which
    dominates when f is huge next to its change, e.g. d(a + b)/db at a = 1e6, b = 1e-6.
    """
    grads, noise = [], []
    f0 = abs(fn(*[Scalar(v) for v in values]).value)
    for i, v in enumerate(values):
        h = rel_h * abs(v) if v else rel_h
        up = [Scalar(w + h if j == i else w) for j, w in enumerate(values)]
        down = [Scalar(w - h if j == i else w) for j, w in enumerate(values)]
        grads.append((fn(*up).value - fn(*down).value) / (2 * h))
        noise.append(1e-15 * max(f0, 1.0) / h)
    return grads, noise


def assert_close(got, want, *, rel, abs_=1e-12):
    for g, w in zip(got, want, strict=True):
        if math.isnan(w) or math.isinf(w):
            assert (math.isnan(g) and math.isnan(w)) or g == w, (got, want)
        else:
            assert g == pytest.approx(w, rel=rel, abs=abs_), (got, want)


def check(fn_scalar, fn_torch, *values, fd=True):
    value, grads = scalar_run(fn_scalar, *values)
    t_value, t_grads = torch_run(fn_torch, *values)
    assert_close([value], [t_value], rel=1e-12)
    assert_close(grads, t_grads, rel=1e-10)
    if fd:
        estimates, noise = central_difference(fn_scalar, *values)
        for g, e, n in zip(grads, estimates, noise):
            assert_close([g], [e], rel=1e-5, abs_=1e-7 + n)


# -- unary functions and powers, at many points (edge cases included) -----------------------

UNARY = {
    "exp": (exp, torch.exp, [-700.0, -5.0, -1.0, 0.0, 0.5, 3.0, 20.0, 700.0]),
    "log": (log, torch.log, [1e-6, 1e-3, 0.5, 1.0, 2.0, 1e3, 1e12]),
    "sigmoid": (sigmoid, torch.sigmoid, [-1000.0, -40.0, -2.0, 0.0, 1e-8, 1.5, 40.0, 1000.0]),
    "tanh": (tanh, torch.tanh, [-1000.0, -20.0, -1.0, 0.0, 0.3, 5.0, 1000.0]),
    "relu": (relu, torch.relu, [-1e6, -2.0, -1e-3, 1e-3, 3.0, 1e6]),
    "neg": (lambda x: -x, lambda x: -x, [-1e6, -2.0, 0.0, 3.5]),
    "square": (lambda x: x**2, lambda x: x**2, [-1e6, -3.0, -1e-3, 0.0, 0.5, 2.5, 1e6]),
    "cube": (lambda x: x**3, lambda x: x**3, [-2.0, -0.1, 0.0, 1.7, 1e3]),
    "sqrt": (lambda x: x**0.5, lambda x: x**0.5, [1e-6, 0.25, 4.0, 1e8]),
    "inverse": (lambda x: x**-1, lambda x: x**-1, [-2.0, -1e-3, 0.5, 1e6]),
    "power 0": (lambda x: x**0, lambda x: x**0, [-2.0, 0.0, 3.0]),
    "power -2.5": (lambda x: x**-2.5, lambda x: x**-2.5, [0.1, 1.0, 7.0]),
    "2 ** x": (lambda x: 2**x, lambda x: 2**x, [-30.0, -3.0, 0.0, 1.5, 30.0]),
    "0.5 ** x": (lambda x: 0.5**x, lambda x: 0.5**x, [-3.0, 0.0, 4.0]),
    "1 / x": (lambda x: 1 / x, lambda x: 1 / x, [-4.0, 1e-3, 2.0]),
    "3 - x": (lambda x: 3 - x, lambda x: 3 - x, [-4.0, 0.0, 2.0]),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_matches_torch_and_finite_differences(name):
    fn, fn_torch, points = UNARY[name]
    for x in points:
        check(fn, fn_torch, x)


@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "square", "cube"])
def test_unary_at_random_points(name):
    fn, fn_torch, _ = UNARY[name]
    rng = random.Random(0)
    for _ in range(30):
        check(fn, fn_torch, rng.uniform(-6, 6))


def test_relu_has_slope_zero_at_its_kink_like_torch():
    check(relu, torch.relu, 0.0, fd=False)
    assert scalar_run(relu, 0.0)[1] == [0.0]


def test_power_at_zero_is_finite_where_the_real_power_exists():
    # The seed's log(abs(x)) failed here; a constant exponent needs no log at all.
    assert scalar_run(lambda x: x**2, 0.0) == (0.0, [0.0])
    assert scalar_run(lambda x: x**3, 0.0) == (0.0, [0.0])
    assert scalar_run(lambda x: x**1, 0.0) == (0.0, [1.0])
    assert scalar_run(lambda x: x**2, -3.0) == (9.0, [-6.0])


def test_sqrt_slope_at_zero_is_inf_like_torch():
    check(lambda x: x**0.5, lambda x: x**0.5, 0.0, fd=False)
    assert scalar_run(lambda x: x**0.5, 0.0) == (0.0, [math.inf])


def test_exp_overflow_gives_inf_like_torch():
    check(exp, torch.exp, 710.0, fd=False)
    assert scalar_run(lambda x: x**2, 1e200)[0] == math.inf
    assert scalar_run(lambda x: x**3, -1e200)[0] == -math.inf


def test_sigmoid_does_not_overflow_for_large_magnitudes():
    assert sigmoid(-1000.0).value == 0.0
    assert sigmoid(1000.0).value == 1.0
    assert sigmoid(-745.0).value == pytest.approx(torch.sigmoid(torch.tensor(-745.0,
                                                  dtype=torch.float64)).item(), rel=1e-12)


# -- binary operators, Scalars and numbers on either side ------------------------------------

PAIRS = [(2.0, 3.0), (-1.5, 0.5), (0.0, 4.0), (1e6, -1e-6), (-3.0, -3.0), (7.0, 1e-8)]

BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


@pytest.mark.parametrize("op", list(BINARY))
def test_binary_ops_match_torch(op):
    f = BINARY[op]
    for a, b in PAIRS:
        check(f, f, a, b)
        check(lambda x, b=b: f(x, b), lambda x, b=b: f(x, b), a)  # Scalar op number
        if op != "/" or a != 0:
            check(lambda y, a=a: f(a, y), lambda y, a=a: f(a, y), b)  # number op Scalar


@pytest.mark.parametrize("x, n", [(2.0, 3.0), (0.5, -1.5), (3.0, 0.0), (1.5, 2.5), (1e-3, 2.0),
                                  (1e4, 1.5), (7.0, -2.0), (1.0001, 40.0)])
def test_power_with_a_scalar_exponent_uses_the_log_derivative(x, n):
    check(lambda a, b: a**b, lambda a, b: a**b, x, n)


def test_scalar_exponent_at_base_zero_and_negative_base():
    # x = 0: x ** n is 0 for every n > 0, so d/dn = 0 (torch agrees); no log(0) is taken.
    check(lambda a, b: a**b, lambda a, b: a**b, 0.0, 2.0, fd=False)
    # x < 0: the power is real only at integer n, so d/dn has no real value: nan, as torch.
    value, (dx, dn) = scalar_run(lambda a, b: a**b, -2.0, 2.0)
    assert (value, dx) == (4.0, -4.0)
    assert math.isnan(dn)
    check(lambda a, b: a**b, lambda a, b: a**b, -2.0, 3.0, fd=False)


# Each expression takes its functions from F: the Scalar ones or torch's.
SCALAR_FNS = SimpleNamespace(exp=exp, log=log, sigmoid=sigmoid, tanh=tanh, relu=relu)
TORCH_FNS = SimpleNamespace(exp=torch.exp, log=torch.log, sigmoid=torch.sigmoid,
                            tanh=torch.tanh, relu=torch.relu)

EXPRESSIONS = {
    "reuse": (lambda a, b, F: a * a + a, [(3.0, 0.0), (-2.0, 0.0), (0.0, 0.0)]),
    "diamond": (lambda a, b, F: (a + b) * (a - b) / b, [(2.0, 3.0), (-1.0, 0.5)]),
    "mixed": (lambda a, b, F: F.tanh(a * b) + F.sigmoid(a) * F.exp(b) - F.log(a * a + 1),
              [(0.3, -1.2), (2.0, 0.5), (-4.0, 3.0)]),
    "deep reuse": (lambda a, b, F: ((a * b + a) ** 2 + (a - b) ** 3) / (1 + a**2),
                   [(1.5, -0.5), (0.0, 2.0)]),
    "relu net": (lambda a, b, F: F.relu(a * 2 - b) * F.tanh(b) + F.relu(-a),
                 [(1.0, 0.5), (-1.0, 2.0)]),
    "power chain": (lambda a, b, F: (a**2 + 1) ** b * 2 ** (a - b),
                    [(0.5, 1.5), (-2.0, 0.5), (0.0, -1.0)]),
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_compound_expressions_match_torch(name):
    fn, points = EXPRESSIONS[name]
    for a, b in points:
        check(lambda x, y: fn(x, y, SCALAR_FNS), lambda x, y: fn(x, y, TORCH_FNS), a, b)


def test_reused_node_collects_every_path():
    a = Scalar(5.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    c = a * a * a  # three uses: 3 a^2
    c.backward()
    assert a.grad == 75.0


# -- backward: order, depth, zeroing -----------------------------------------------------------


def test_topological_order_puts_inputs_before_outputs():
    a, b = Scalar(1.0), Scalar(2.0)
    c = a * b
    d = c + a
    order = d.topological_order()
    position = {id(node): i for i, node in enumerate(order)}
    assert len(order) == 4 and order[-1] is d
    for node in order:
        for child, _ in node.edges:
            assert position[id(child)] < position[id(node)]


def test_a_100000_deep_chain_runs_backward_without_recursion():
    x = Scalar(0.5)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    assert y.value == pytest.approx(100_000.5)
    assert len(y.topological_order()) == 100_001
    del y  # freeing a deep chain must not overflow the C stack either


def test_backward_zeroes_the_graph_first_while_torch_accumulates():
    a = Scalar(3.0)
    loss = a * a
    loss.backward()
    loss.backward()
    assert a.grad == 6.0  # not 12: grads never pile up across backward calls
    t = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    (t * t).backward()
    (t * t).backward()
    assert t.grad.item() == 12.0  # torch adds up, hence optimizer.zero_grad()


def test_intermediate_nodes_hold_their_gradients_and_edges_hold_local_gradients():
    a, b = Scalar(2.0), Scalar(-3.0)
    c = a * b
    d = tanh(c)
    assert c.op == "*" and [(child, g) for child, g in c.edges] == [(a, -3.0), (b, 2.0)]
    d.backward()
    assert c.grad == pytest.approx(1 - math.tanh(-6.0) ** 2)
    assert a.grad == pytest.approx(c.grad * -3.0)


# -- equality, hashing, comparisons ------------------------------------------------------------


def test_equality_is_identity_so_nodes_work_in_sets_and_comparisons_use_values():
    a, b = Scalar(1.0), Scalar(1.0)
    assert a != b and a == a
    assert len({a, b}) == 2
    assert a <= b and a >= b and not a < b
    assert Scalar(1.0) < 2 and Scalar(3.0) > 2.5 and 0 < Scalar(1.0)
    with pytest.raises(TypeError):  # no __float__: math.exp would silently drop the graph
        math.exp(Scalar(1.0))
    assert repr(Scalar(2.0)) == "Scalar(2.0, grad=0.0)"


# -- update and random init ----------------------------------------------------------------------


def test_gradient_update_steps_against_the_gradient():
    a = Scalar(3.0)
    (a * a).backward()
    a.gradient_update(0.1)
    assert a.value == pytest.approx(3.0 - 0.1 * 6.0)
    with pytest.raises(InvalidArgumentError, match="lr must be a positive"):
        a.gradient_update(-1.0)


def test_from_random_takes_seeds_and_generators():
    assert Scalar.from_random(3).value == Scalar.from_random(3).value
    r1, r2 = random.Random(7), random.Random(7)
    assert [Scalar.from_random(r1).value for _ in range(3)] == \
           [Scalar.from_random(r2).value for _ in range(3)]
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert Scalar.from_random(g1).value == Scalar.from_random(g2).value
    values = [Scalar.from_random(random.Random(i), low=2.0, high=3.0).value for i in range(50)]
    assert all(2.0 <= v < 3.0 for v in values)
    assert len(set(values)) == 50
    with pytest.raises(InvalidTypeError, match="generator must be None, an int seed"):
        Scalar.from_random("seed")


# -- losses --------------------------------------------------------------------------------------


def test_mean_squared_error_matches_torch():
    preds, ys = [0.5, -1.0, 2.0, 0.0], [1.0, -1.5, 2.0, 3.0]
    leaves = [Scalar(p) for p in preds]
    loss = mean_squared_error(leaves, ys)
    loss.backward()
    t = torch.tensor(preds, dtype=torch.float64, requires_grad=True)
    t_loss = torch.nn.functional.mse_loss(t, torch.tensor(ys, dtype=torch.float64))
    t_loss.backward()
    assert loss.value == pytest.approx(t_loss.item(), rel=1e-12)
    assert [p.grad for p in leaves] == pytest.approx(t.grad.tolist(), rel=1e-12)
    assert mean_squared_error(leaves, torch.tensor(ys)).value == pytest.approx(loss.value)


@pytest.mark.parametrize("ys", [[1, 0, 1, 0], [0.3, 1.0, 0.0, 0.75]])
def test_binary_cross_entropy_matches_torch(ys):
    logits = [2.0, -1.0, -0.5, 0.25]
    leaves = [Scalar(z) for z in logits]
    loss = binary_cross_entropy([sigmoid(z) for z in leaves], ys)
    loss.backward()
    t = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    t_loss = torch.nn.functional.binary_cross_entropy(
        torch.sigmoid(t), torch.tensor(ys, dtype=torch.float64))
    t_loss.backward()
    assert loss.value == pytest.approx(t_loss.item(), rel=1e-12)
    assert [z.grad for z in leaves] == pytest.approx(t.grad.tolist(), rel=1e-10)


@pytest.mark.parametrize("preds", [[0.0, -3.0, 7.5, 2.0], [-1e6, 1e-3, 0.0, 1e6]])
def test_mean_squared_error_matches_torch_and_finite_differences(preds):
    ys = [1.0, -1.5, 7.5, 3.0]
    t_ys = torch.tensor(ys, dtype=torch.float64)
    check(lambda *ps: mean_squared_error(list(ps), ys),
          lambda *ps: torch.nn.functional.mse_loss(torch.stack(ps), t_ys), *preds)


@pytest.mark.parametrize("ys", [[1, 0, 1, 0], [0.3, 1.0, 0.0, 0.75]])
@pytest.mark.parametrize("logits", [[0.0, -3.0, 7.5, 0.25], [-10.0, 1e-3, 10.0, -0.5]])
def test_binary_cross_entropy_matches_torch_and_finite_differences(logits, ys):
    # |logit| <= 10 keeps p inside the clamp [1e-12, 1 - 1e-12], where torch's formula and
    # ours are the same function, and keeps 1 - p exact enough for finite differences
    # (at logit 20, 1 - p = 2e-9 has lost 8 digits, too many for a step of 2e-5).
    t_ys = torch.tensor(ys, dtype=torch.float64)
    check(lambda *zs: binary_cross_entropy([sigmoid(z) for z in zs], ys),
          lambda *zs: torch.nn.functional.binary_cross_entropy(torch.sigmoid(torch.stack(zs)),
                                                               t_ys), *logits)


def test_binary_cross_entropy_clamps_instead_of_taking_log_zero():
    p = sigmoid(Scalar(-1000.0))  # exactly 0.0
    loss = binary_cross_entropy([p], [1])
    loss.backward()
    assert loss.value == pytest.approx(-math.log(1e-12))
    assert math.isfinite(loss.value) and p.grad == 0.0
    assert binary_cross_entropy([Scalar(1.0)], [0]).value == pytest.approx(
        -math.log(1e-12), rel=1e-3)


# -- bad input: typed errors with messages -------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: Scalar(1.0) + "a",
    lambda: "a" * Scalar(1.0),
    lambda: Scalar(1.0) - None,
    lambda: Scalar(1.0) / [1],
    lambda: Scalar(2.0) ** "x",
    lambda: Scalar(1.0) < "b",
    lambda: exp("a"),
    lambda: tanh(None),
])
def test_ops_with_non_numbers_raise_a_typed_error(make):
    with pytest.raises(InvalidTypeError, match="takes a Scalar or a real number"):
        make()


def test_the_type_error_is_also_a_value_error_and_hints_at_item():
    with pytest.raises(TypeError):
        Scalar(1.0) + "a"
    with pytest.raises(ValueError):
        Scalar(1.0) + "a"
    with pytest.raises(InvalidTypeError, match=r"use t\.item\(\)"):
        Scalar(1.0) * torch.tensor(2.0)
    with pytest.raises(InvalidTypeError, match="Scalar takes a real number"):
        Scalar("3")


@pytest.mark.parametrize("bad", [0.0, -1.0, -1e-300, math.nan])
def test_log_of_a_non_positive_value_raises(bad):
    with pytest.raises(InvalidArgumentError, match="log needs a positive input"):
        log(Scalar(bad))


def test_powers_and_divisions_without_a_real_value_raise():
    with pytest.raises(InvalidArgumentError, match="has no real value"):
        Scalar(-8.0) ** 0.5
    with pytest.raises(InvalidArgumentError, match="divides by zero"):
        Scalar(0.0) ** -1
    for make in (lambda: Scalar(1.0) / 0, lambda: 1 / Scalar(0.0),
                 lambda: Scalar(1.0) / Scalar(0.0)):
        with pytest.raises(InvalidArgumentError, match="division by zero"):
            make()


def test_losses_reject_mismatched_empty_and_out_of_range_inputs():
    with pytest.raises(InvalidArgumentError, match="one target per prediction, got 2 pred"):
        mean_squared_error([Scalar(1.0), Scalar(2.0)], [1.0])
    with pytest.raises(InvalidArgumentError, match="got 0 predictions"):
        binary_cross_entropy([], [])
    with pytest.raises(InvalidArgumentError, match=r"labels in \[0, 1\], got 2"):
        binary_cross_entropy([Scalar(0.5)], [2])


def test_backward_pauses_the_cycle_collector_and_restores_it():
    import gc

    from gdcourse.scratch.scalar import gc_paused

    assert gc.isenabled()
    (Scalar(1.0) * 2).backward()
    assert gc.isenabled()
    with pytest.raises(InvalidArgumentError):
        with gc_paused():
            assert not gc.isenabled()
            log(Scalar(-1.0))
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a collector the caller turned off stays off
    finally:
        gc.enable()


def test_bce_does_not_hide_a_nan_prediction_behind_its_clamp():
    with pytest.raises(InvalidArgumentError, match="got nan"):
        binary_cross_entropy([Scalar(float("nan"))], [1])
