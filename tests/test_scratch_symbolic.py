"""gdcourse.scratch.symbolic: every derivative rule against torch.autograd (float64) and
central finite differences, val on numbers and tensors, simplify, and every error path."""

from __future__ import annotations

import math
import pickle
import random

import pytest
import torch

from gdcourse.errors import (
    GDCourseError,
    InvalidArgumentError,
    InvalidTypeError,
    UnboundSymbolError,
)
from gdcourse.scratch.symbolic import (
    Bin,
    Call,
    Const,
    Expr,
    Sym,
    d,
    exp,
    fold,
    log,
    params,
    sigmoid,
    simplify,
    tanh,
    val,
)

F64 = torch.float64
x, y = params("x y")

# Points where the rules are checked: zero, negatives, tiny, ordinary and large magnitudes.
XS = [0.0, -1.0, 1.0, -2.5, 3.7, 1e-3, -1e-3, 0.3, 1e3, -1e3, 2e5, -7e5]
YS = [1.5, -0.7, 0.0, 2.0, -3.0, 1e3, -1e-2, 4e5]
GRID_X, GRID_Y = (t.flatten() for t in torch.meshgrid(
    torch.tensor(XS, dtype=F64), torch.tensor(YS, dtype=F64), indexing="ij"))




# name -> (symbolic expression, the same function in torch, where it is defined and smooth)
RULES = {
    "add": (x + y, lambda a, b: a + b, None),
    "sub": (x - y, lambda a, b: a - b, None),
    "mul": (x * y, lambda a, b: a * b, None),
    "div": (x / y, lambda a, b: a / b, lambda a, b: b != 0),
    "square": (x**2, lambda a, b: a**2, None),
    "cube": (x**3, lambda a, b: a**3, None),
    "pow0": (x**0, lambda a, b: a**0, None),
    "pow1": (x**1, lambda a, b: a**1, None),
    "inverse_square": (x**-2, lambda a, b: a**-2, lambda a, b: a != 0),
    "sqrt": (x**0.5, lambda a, b: a**0.5, lambda a, b: a > 0),
    "pow_float": (x**2.5, lambda a, b: a**2.5, lambda a, b: a > 0),
    "const_base": (1.5**x, lambda a, b: 1.5**a, lambda a, b: a.abs() < 700),
    "pow_symbolic": (x**y, lambda a, b: a**b, lambda a, b: (a > 0) & (b.abs() < 50)),
    "neg": (-x, lambda a, b: -a, None),
    "rsub": (2 - x * y, lambda a, b: 2 - a * b, None),
    "rdiv": (3 / x, lambda a, b: 3 / a, lambda a, b: a != 0),
    "radd_rmul": (1 + 2 * x + y * 4, lambda a, b: 1 + 2 * a + b * 4, None),
    "exp": (exp(x / 100), lambda a, b: torch.exp(a / 100), lambda a, b: a.abs() < 5e4),
    "log": (log(x), lambda a, b: torch.log(a), lambda a, b: a > 0),
    "tanh": (tanh(x * y), lambda a, b: torch.tanh(a * b), None),
    "sigmoid": (sigmoid(x - y), lambda a, b: torch.sigmoid(a - b), None),
    "reused": ((x * y) * (x * y) + (x * y) / (x * x + 1),
               lambda a, b: (a * b) * (a * b) + (a * b) / (a * a + 1), None),
    "nested": (((x + y) ** 2 - x) ** 3 / (1 + y**2),
               lambda a, b: ((a + b) ** 2 - a) ** 3 / (1 + b**2), None),
    "composite": (sigmoid(x * y) * log(x**2 + 1) + tanh(x / (1 + y**2)),
                  lambda a, b: torch.sigmoid(a * b) * torch.log(a**2 + 1)
                  + torch.tanh(a / (1 + b**2)), None),
}

# The same subexpression object used several times: the DAG d() returns must add every path.
_u = x * y + 1
RULES["shared_object"] = (_u * _u * _u - _u / (_u * _u + 1),
                          lambda a, b: (a * b + 1) ** 3 - (a * b + 1) / ((a * b + 1) ** 2 + 1),
                          None)


def _points(where, limit=math.inf):
    a, b = GRID_X, GRID_Y
    keep = (a.abs() <= limit) & (b.abs() <= limit)
    if where is not None:
        keep &= where(a, b)
    return a[keep], b[keep]


def _torch_grads(f, a, b):
    a = a.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    out = f(a, b)
    ga, gb = torch.autograd.grad(out.sum(), [a, b], allow_unused=True)
    zeros = torch.zeros_like(a)
    return (zeros if ga is None else ga), (zeros if gb is None else gb)


@pytest.mark.parametrize("simplified", [False, True], ids=["raw", "simplified"])
@pytest.mark.parametrize("rule", list(RULES))
def test_rule_matches_torch_autograd(rule, simplified):
    e, f, where = RULES[rule]
    a, b = _points(where)
    env = {"x": a, "y": b}
    torch.testing.assert_close(torch.as_tensor(val(e, env), dtype=F64).expand_as(a), f(a, b))
    for name, expected in zip("xy", _torch_grads(f, a, b)):
        got = val(d(e, name, simplify=simplified), env)
        got = torch.as_tensor(got, dtype=F64).expand_as(a)
        torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-12,
                                   msg=lambda m, n=name: f"{rule}: d/d{n}: {m}")


@pytest.mark.parametrize("rule", list(RULES))
def test_rule_matches_central_differences(rule):
    e, f, where = RULES[rule]
    # Finite differences lose their digits where values dwarf slopes, so here the points
    # stop at magnitude 1e3 (torch.autograd above checks the larger ones).
    a, b = _points(where, limit=1e3)
    for name in "xy":
        got = torch.as_tensor(val(d(e, name), {"x": a, "y": b}), dtype=F64).expand_as(a)
        at = a if name == "x" else b
        h = 1e-6 * at.abs().clamp(min=1.0)  # a step relative to the point's magnitude
        step = {"x": (h, 0), "y": (0, h)}[name]
        plus = torch.as_tensor(val(e, {"x": a + step[0], "y": b + step[1]}), dtype=F64)
        minus = torch.as_tensor(val(e, {"x": a - step[0], "y": b - step[1]}), dtype=F64)
        fd = ((plus - minus) / (2 * h)).expand_as(a)
        # Truncation error O(h**2) relative to the slope, plus the rounding error of the
        # difference of two values of size |f| divided by 2h.
        roundoff = 1e-15 * torch.maximum(plus.abs(), minus.abs()).expand_as(a) / h
        tol = 1e-5 * got.abs().clamp(min=1.0) + roundoff
        if where is not None:  # stay on the smooth side of where f stops being defined
            tol = tol.where(where(a - step[0], b - step[1]) & where(a + step[0], b + step[1]),
                            torch.inf)
        bad = (got - fd).abs() > tol
        assert not bool(bad.any()), (
            f"{rule}: d/d{name} vs finite differences at x={a[bad].tolist()}, "
            f"y={b[bad].tolist()}: {got[bad].tolist()} vs {fd[bad].tolist()}")


@pytest.mark.parametrize("rule", list(RULES))
def test_python_floats_give_the_tensor_results(rule):
    e, f, where = RULES[rule]
    a, b = _points(where)
    de = d(e, "x")
    for i in range(0, len(a), 7):
        env = {"x": float(a[i]), "y": float(b[i])}
        expected = float(torch.as_tensor(val(de, {"x": a[i], "y": b[i]}), dtype=F64))
        assert math.isclose(val(de, env), expected, rel_tol=1e-12, abs_tol=1e-300)


def test_seed_example():
    e = x**2 + x * y
    env = {"x": 2, "y": 3}
    assert str(e) == "(+ (** x 2) (* x y))"
    assert (val(e, env), val(d(e, "x"), env), val(d(e, "y"), env)) == (10, 7, 2)
    assert str(d(e, x, simplify=True)) == "(+ (* 2 x) y)"
    assert str(d(e, "y", simplify=True)) == "x"


@pytest.mark.parametrize("e, f, env", [
    # y**0.5 has no slope in y at y = 0, but its slope in x exists (it is 1).
    (y**0.5 + x, lambda a, b: b**0.5 + a, {"x": 1.0, "y": 0.0}),
    (Const(0) ** 0.5 * x, lambda a, b: torch.zeros((), dtype=F64) ** 0.5 * a, {"x": 3.0}),
    (y**-0.5 * x, lambda a, b: b**-0.5 * a, {"x": 2.0, "y": 4.0}),
])
def test_power_slope_in_a_variable_the_base_does_not_contain(e, f, env):
    a = torch.tensor(env["x"], dtype=F64, requires_grad=True)
    b = torch.tensor(env.get("y", 0.0), dtype=F64)
    (expected,) = torch.autograd.grad(f(a, b), [a])
    for simplified in (False, True):
        assert val(d(e, "x", simplify=simplified), env) == expected.item()


def test_printing_and_operators_on_both_sides():
    m, b = params("m b")
    assert str(m * x + b) == "(+ (* m x) b)"
    assert str(2 - x) == "(- 2 x)" and str(x - 2) == "(- x 2)"
    assert str(2 / x) == "(/ 2 x)" and str(2 ** x) == "(** 2 x)"
    assert str(3 * x + 0.5) == "(+ (* 3 x) 0.5)"
    assert str(-x) == "(* -1 x)" and (+x) is x
    assert str(exp(log(x))) == "(exp (log x))"
    assert str(Expr.bin("+", Expr.sym("a"), Expr.const(2))) == "(+ a 2)"
    assert repr(x + 1) == "(+ x 1)"


def test_params():
    assert isinstance(params("w"), Sym) and params("w").name == "w"
    assert [s.name for s in params("m b")] == ["m", "b"]
    assert [s.name for s in params("a, b,c")] == ["a", "b", "c"]


def test_immutable_structural_equality_and_pickling():
    e = x * y + 1
    with pytest.raises(AttributeError, match="immutable"):
        e.op = "-"
    with pytest.raises(AttributeError, match="immutable"):
        x.name = "z"
    assert e == x * y + 1 and hash(e) == hash(x * y + 1)
    assert e != y * x + 1 and e != x * y + 2 and e != "x"
    assert Const(2) == Const(2.0)
    assert {e: 1}[x * y + 1] == 1
    assert pickle.loads(pickle.dumps(e)) == e
    assert e.symbols == {"x", "y"} and Const(1).symbols == frozenset()
    assert e.size == 5 and Bin("+", x, 1).children == (x, Const(1))


def test_val_on_tensors_broadcasts_and_keeps_dtype():
    m, b = params("m b")
    t = torch.linspace(-1, 1, 5, dtype=torch.float32)
    out = val(m * x + b, {"m": 2.0, "b": torch.tensor([[1.0], [0.0]]), "x": t})
    assert out.shape == (2, 5) and out.dtype == torch.float32
    torch.testing.assert_close(out, 2 * t + torch.tensor([[1.0], [0.0]]))
    assert val(Const(4) / 2, {}) == 2.0 and val(5, {}) == 5


def test_shared_subexpressions_are_visited_once():
    # A DAG of 101 nodes whose printed tree has 2**101 - 1 nodes: any walk that does not
    # share work would never finish.
    e = x
    for _ in range(100):
        e = e + e
    assert e.size == 2**101 - 1
    assert val(e, {"x": 3}) == 3 * 2**100
    assert val(d(e, "x"), {"x": 3}) == 2**100
    assert val(e, {"x": torch.tensor(1.0, dtype=F64)}) == 2.0**100


def test_deep_expressions_need_no_recursion():
    depth = 5_000  # far beyond Python's recursion limit of about 1,000 frames
    e = x
    for i in range(depth):
        e = (e + i * y) * 1 if i % 2 else e - x / 2
    assert e.size > depth
    env = {"x": 0.5, "y": -1.0}
    expected = 0.5
    for i in range(depth):
        expected = expected + i * -1.0 if i % 2 else expected - 0.25
    assert math.isclose(val(e, env), expected)
    s = simplify(d(e, "y"))
    assert val(s, env) == val(d(e, "y"), env) == sum(i for i in range(depth) if i % 2)
    assert len(str(e)) > depth and e == e.__class__(e.op, e.lhs, e.rhs)
    assert pickle.loads(pickle.dumps(Const(1))) == Const(1)


# --- simplify ----------------------------------------------------------------------------

@pytest.mark.parametrize("before, after", [
    (x + 0, "x"), (0 + x, "x"), (x - 0, "x"), (x * 1, "x"), (1 * x, "x"),
    (x * 0, "0"), (0 * x, "0"), (x / 1, "x"), (x**1, "x"), (x**0, "1"),
    (Const(2) * 3 + 4, "10"), (Const(2) ** 10, "1024"), (Const(1) / 4, "0.25"),
    (0 - x, "(* -1 x)"), (x - x, "0"), (x + x, "(* 2 x)"), (0 / x, "0"), (x / x, "1"),
    (((x + 1) + 2) + (3 + y), "(+ (+ x y) 6)"), (2 * (x * 3) * y, "(* 6 (* x y))"),
    (x * x * x, "(** x 3)"), (x**2 * x**-2, "1"), ((x**2) ** 3, "(** x 6)"),
    (2 * x - 5 * x, "(* -3 x)"), (x - 2 * y - 3, "(- (- x (* 2 y)) 3)"),
    (2 * (x + 1), "(+ (* 2 x) 2)"), (x / 4, "(* 0.25 x)"), (log(exp(x)), "x"),
    (exp(Const(0)), "1.0"), (log(Const(-1)), "(log -1)"), (Const(1) / 0, "(/ 1 0)"),
    (1**x, "1"), (x**y, "(** x y)"),
])
def test_simplify_rules(before, after):
    assert str(simplify(before)) == after


def _random_expr(rng: random.Random, depth: int) -> Expr:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice([x, y, Const(rng.choice([0, 1, 2, -3, 0.5]))])
    kind = rng.choice(["+", "-", "*", "/", "**", "f"])
    if kind == "**":
        return _random_expr(rng, depth - 1) ** rng.choice([0, 1, 2, 3, -1])
    if kind == "f":
        return rng.choice([exp, tanh, sigmoid])(_random_expr(rng, depth - 1) / 10)
    return Bin(kind, _random_expr(rng, depth - 1), _random_expr(rng, depth - 1))


_TORCH_OPS = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div, "**": torch.pow,
              "exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


def _torch_values(expr: Expr, pts: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """An evaluator independent of val: the values of ``expr`` at ``pts`` and a mask of the
    points where every intermediate value is finite (where the expression is defined)."""
    n = len(pts["x"])

    def combine(node, kids):
        if isinstance(node, Const):
            v = torch.full((n,), float(node.value), dtype=F64)
        elif isinstance(node, Sym):
            v = pts[node.name]
        else:
            v = _TORCH_OPS[node._head()[1]](*(k[0] for k in kids))
        ok = v.isfinite()
        for _, kid_ok in kids:
            ok = ok & kid_ok
        return v, ok

    return fold(expr, combine)


def test_simplify_keeps_values_at_random_points():
    rng = random.Random(3)
    gen = torch.Generator().manual_seed(3)
    pts = {"x": torch.rand(64, generator=gen, dtype=F64) * 6 - 3,
           "y": torch.rand(64, generator=gen, dtype=F64) * 6 - 3}
    checked = 0
    for _ in range(300):
        e = _random_expr(rng, 5)
        for expr in (e, d(e, "x"), d(e, "y")):
            expected, ok = _torch_values(expr, pts)
            ok &= expected.abs() < 1e8
            if not ok.any():  # undefined everywhere, e.g. x / (y - y): nothing to keep
                continue
            before = torch.as_tensor(val(expr, pts), dtype=F64).expand(64)
            s = simplify(expr)
            after = torch.as_tensor(val(s, pts), dtype=F64).expand(64)
            torch.testing.assert_close(before[ok], expected[ok], rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(after[ok], before[ok], rtol=1e-9, atol=1e-9)
            assert simplify(s) == s, f"simplify is not idempotent on {expr}"
            assert s.size <= expr.size
            checked += int(ok.sum())
    assert checked > 10_000


@pytest.mark.parametrize("rule", [r for r in RULES if r not in ("add", "sub", "neg")])
def test_simplify_shrinks_derivatives(rule):
    e = RULES[rule][0]
    for name in "xy":
        raw = d(e, name)
        assert simplify(raw).size < raw.size, f"{rule}: d/d{name}"


def test_simplified_line_loss_gradient_is_compact():
    m, b = params("m b")
    loss = sum((m * t + b - (2 * t + 1)) ** 2 for t in (-2, 3)) / 2
    assert str(d(loss, "m", simplify=True)) == "(- (+ (* 13.0 m) b) 27.0)"
    assert str(d(loss, "b", simplify=True)) == "(- (+ (* 2.0 b) m) 4.0)"


# --- errors ------------------------------------------------------------------------------

def test_unbound_symbol():
    m, b = params("m b")
    with pytest.raises(UnboundSymbolError, match=r"symbol 'b' has no value.*add 'b'"):
        val(m * x + b, {"m": 1.0, "x": 2.0})
    with pytest.raises(KeyError):
        val(b, {})
    with pytest.raises(NameError):
        val(d(b * b, "b"), {"m": 1})


def test_unknown_operator():
    with pytest.raises(InvalidArgumentError, match=r"unknown operator '%'.*\+ - \* / \*\*"):
        Bin("%", x, y)
    with pytest.raises(InvalidArgumentError, match=r"unknown operator 'sin'.*exp log"):
        Call("sin", x)


@pytest.mark.parametrize("bad, match", [
    (lambda: x + "a", r"operand must be an Expr or a real number, got str.*params\('a'\)"),
    (lambda: "a" * x, r"got str"),
    (lambda: x * torch.tensor(2.0), r"got Tensor.*bind it: val\(e"),
    (lambda: torch.tensor(2.0) - x, r"got Tensor"),
    (lambda: x ** None, r"got NoneType"),
    (lambda: x + True, r"got bool"),
    (lambda: exp([1.0]), r"got list"),
    (lambda: d("x", "x"), r"got str"),
    (lambda: d(x, 1), r"symbol name such as 'x', got int"),
    (lambda: val(x, [("x", 1)]), r"env must be a dict"),
    (lambda: val(x, {"x": "1"}), r"env\['x'\] must be a number or a tensor, got str"),
    (lambda: params(["m", "b"]), r"params takes a string"),
    (lambda: Sym(3), r"symbol name must be a string"),
])
def test_non_number_operands_are_type_errors(bad, match):
    with pytest.raises(InvalidTypeError, match=match):
        bad()
    with pytest.raises(TypeError):  # also what Python itself raises for such operands
        bad()


@pytest.mark.parametrize("bad, match", [
    (lambda: params(""), r"at least one name"),
    (lambda: params("m 2b"), r"identifier such as 'x'.*'2b'"),
    (lambda: Const(math.inf), r"constant must be finite"),
    (lambda: x + math.nan, r"constant must be finite"),
    (lambda: val(log(x), {"x": 0.0}), r"log is only defined for positive numbers"),
    (lambda: val(x**0.5, {"x": -4.0}), r"not a real number"),
])
def test_bad_values(bad, match):
    with pytest.raises(InvalidArgumentError, match=match):
        bad()


def test_tensor_domain_errors_follow_torch():
    out = val(log(x) + x**0.5, {"x": torch.tensor([-1.0, 0.0, 4.0], dtype=F64)})
    assert out[0].isnan() and out[1] == -math.inf and math.isclose(float(out[2]),
                                                                    math.log(4) + 2)


def test_all_errors_are_gdcourse_errors():
    for err in (UnboundSymbolError, InvalidTypeError):
        assert issubclass(err, GDCourseError)
