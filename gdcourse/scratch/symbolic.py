"""Symbolic differentiation: expressions as trees, derivatives by the chain rule (lecture 03).

    >>> from gdcourse.scratch.symbolic import params, d, val
    >>> x, y = params("x y")
    >>> e = x**2 + x * y
    >>> print(e)
    (+ (** x 2) (* x y))
    >>> env = {"x": 2, "y": 3}
    >>> val(e, env), val(d(e, "x"), env), val(d(e, "y"), env)
    (10, 7, 2)
    >>> print(d(e, "x", simplify=True))
    (+ (* 2 x) y)

An :class:`Expr` is a symbol (:class:`Sym`), a number (:class:`Const`), a binary operation
(:class:`Bin`: ``+ - * / **``) or one of the functions ``exp log tanh sigmoid``
(:class:`Call`). Expressions are immutable, so a subexpression can be shared by many parents:
:func:`d` returns such a DAG, and :func:`val` evaluates each shared node once.

Every walk over a tree uses an explicit stack instead of recursion, so expressions many
thousands of levels deep (a sum of 10,000 terms) work despite Python's recursion limit.

The tree itself lives in ``_symbolic_expr.py``, the rules of :func:`simplify` in
``_symbolic_simplify.py``; this module holds the calculus: :func:`d` and :func:`val`.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from ..errors import InvalidArgumentError, InvalidTypeError, UnboundSymbolError
from ._symbolic_expr import (
    _FLOAT_FUNCTIONS,
    _OPERATORS,
    _TORCH_FUNCTIONS,
    ONE,
    ZERO,
    Bin,
    Call,
    Const,
    Expr,
    Sym,
    _as_expr,
    _is_number,
    exp,
    fold,
    log,
    params,
    sigmoid,
    tanh,
)
from ._symbolic_simplify import simplify_node

__all__ = ["Expr", "Sym", "Const", "Bin", "Call", "params", "d", "val", "simplify",
           "exp", "log", "tanh", "sigmoid", "fold"]


def _local_derivatives(node: Bin | Call, depends: list[bool]) -> list[Expr]:
    """de/d(child) for each child of ``node``: the table of rules of the lecture."""
    if isinstance(node, Call):
        u = node.arg
        return [{"exp": lambda: node,
                 "log": lambda: Bin("/", ONE, u),
                 "tanh": lambda: Bin("-", ONE, Bin("**", node, Const(2))),
                 "sigmoid": lambda: Bin("*", node, Bin("-", ONE, node)),
                 }[node.fn]()]
    l, r = node.lhs, node.rhs
    if node.op == "+":
        return [ONE, ONE]
    if node.op == "-":
        return [ONE, Const(-1)]
    if node.op == "*":
        return [r, l]
    if node.op == "/":
        return [Bin("/", ONE, r), Bin("/", Bin("*", Const(-1), l), Bin("**", r, Const(2)))]
    # Power. d(l**r)/dl = r * l**(r-1); d(l**r)/dr = l**r * log(l). Each slope appears
    # only when its side depends on the variable (else its term is multiplied by 0 anyway):
    # log(l) is only real for l > 0, and r * l**(r-1) need not exist where l**r does
    # (y**0.5 at y = 0 has no slope in y, yet its slope in x is 0, not an error).
    depends_l, depends_r = depends
    if isinstance(r, Const):
        # x**0 is the constant 1: its slope 0 must not become 0 * x**-1 (nan at x = 0).
        d_el = (ZERO if r.value == 0 or not depends_l
                else Bin("*", r, Bin("**", l, Const(r.value - 1))))
    else:
        d_el = Bin("*", r, Bin("**", l, Bin("-", r, ONE))) if depends_l else ZERO
    d_er = Bin("*", node, Call("log", l)) if depends_r else ZERO
    return [d_el, d_er]


def d(e: Expr | float, name: str | Sym, *, simplify: bool = False) -> Expr:
    """The derivative of ``e`` with respect to the symbol ``name``, by the chain rule.

    For a node e = op(l, r) the chain rule reads

        d(e, x) = de/dl * d(l, x) + de/dr * d(r, x)

    with the local derivatives de/dl, de/dr of each operator (``+``: 1, 1; ``-``: 1, -1;
    ``*``: r, l; ``/``: 1/r, -l/r**2; ``**``: r*l**(r-1), l**r*log(l)), and for
    f(u): f'(u) * d(u, x). A symbolic exponent uses the log rule, so l**r with an r that
    depends on x needs l > 0 where it is evaluated. The bases are d(x, x) = 1 and 0 for
    other symbols and numbers.

    Args:
        e: the expression (a number counts as a constant).
        name: the variable, as a name or a :class:`Sym`.
        simplify: when True, return :func:`simplify` of the result, which is much smaller.

    Returns:
        The derivative as an Expr (unsimplified, it is large but exactly the chain rule).

    Raises:
        InvalidTypeError: ``e`` is neither an expression nor a number, or ``name`` is
            neither a string nor a :class:`Sym`.

    >>> x = params("x")
    >>> print(d(x * x, "x"))
    (+ (* x 1) (* x 1))
    """
    e = _as_expr(e)
    if isinstance(name, Sym):
        name = name.name
    if not isinstance(name, str):
        raise InvalidTypeError(
            f"d() differentiates with respect to a symbol name such as 'x', got "
            f"{type(name).__name__} {name!r}")

    def rule(node: Expr, kids: list[tuple[Expr, bool]]) -> tuple[Expr, bool]:
        # Each node returns (its derivative, whether it depends on `name` at all).
        if isinstance(node, Const):
            return ZERO, False
        if isinstance(node, Sym):
            return (ONE, True) if node.name == name else (ZERO, False)
        assert isinstance(node, (Bin, Call))  # the other two variants (for the type checker)
        depends = [dep for _, dep in kids]
        terms = [Bin("*", local, dk) for local, (dk, _) in
                 zip(_local_derivatives(node, depends), kids)]
        total = terms[0] if len(terms) == 1 else Bin("+", *terms)
        return total, any(depends)

    result = fold(e, rule)[0]
    return fold(result, simplify_node) if simplify else result


def val(e: Expr | float, env: Mapping[str, float | torch.Tensor]) -> float | torch.Tensor:
    """The value of ``e`` with each symbol replaced by its value in ``env``.

    Values may be numbers or tensors (any shape, any device): tensors broadcast as in torch,
    so one call evaluates the expression at many points. Shared subexpressions are evaluated
    once. Numbers follow Python's arithmetic (``1 / 0`` raises ZeroDivisionError); tensors
    follow torch's (inf and nan).

    Args:
        e: the expression.
        env: symbol name -> number or tensor.

    Returns:
        A number, or a tensor when some value is one.

    Raises:
        UnboundSymbolError: a symbol of ``e`` has no value in ``env`` (it is also a
            ``KeyError`` and a ``NameError``).
        InvalidTypeError: ``env`` is not a mapping, or holds a value that is neither a
            number nor a tensor.
        InvalidArgumentError: a number outside a function's domain (log of a non-positive
            number, a negative number to a fractional power).

    >>> m, b = params("m b")
    >>> val(m * 3 + b, {"m": 2, "b": 1})
    7
    >>> val(m * 3 + b, {"m": torch.tensor([0.0, 1.0, 2.0]), "b": 1})
    tensor([1., 4., 7.])
    """
    if not isinstance(env, Mapping):
        raise InvalidTypeError(f"env must be a dict of name -> value, got "
                               f"{type(env).__name__}; e.g. val(e, {{'x': 2.0}})")
    e = _as_expr(e)

    def evaluate(node: Expr, kids: list):
        if isinstance(node, Const):
            return node.value
        if isinstance(node, Sym):
            return _lookup(e, env, node.name)
        if isinstance(node, Bin):
            out = _OPERATORS[node.op](*kids)
            if isinstance(out, complex):
                raise InvalidArgumentError(
                    f"{kids[0]!r} ** {kids[1]!r} is not a real number (a negative base to a "
                    "fractional power); use a positive base, or tensors to get nan instead")
            return out
        assert isinstance(node, Call)  # the last variant (for the type checker)
        (u,) = kids
        if isinstance(u, torch.Tensor):
            return _TORCH_FUNCTIONS[node.fn](u)
        if node.fn == "log" and u <= 0:
            raise InvalidArgumentError(
                f"log is only defined for positive numbers, got log({u!r}); use tensors to "
                "get -inf or nan instead")
        return _FLOAT_FUNCTIONS[node.fn](u)

    return fold(e, evaluate)


def _lookup(e: Expr, env: Mapping, name: str):
    if name not in env:
        missing = sorted(e.symbols - set(env))
        raise UnboundSymbolError(
            f"symbol {name!r} has no value: the expression needs {sorted(e.symbols)} but env "
            f"binds {sorted(map(str, env))}; add "
            f"{', '.join(repr(m) + ': ...' for m in missing)} to env")
    value = env[name]
    if not (_is_number(value) or isinstance(value, torch.Tensor)):
        raise InvalidTypeError(
            f"env[{name!r}] must be a number or a tensor, got {type(value).__name__} "
            f"{str(value)[:40]!r}")
    return value


def simplify(e: Expr | float) -> Expr:
    """An expression equal to ``e`` wherever ``e`` is defined, usually much smaller.

    Rules, applied bottom-up: constants fold (``2 * 3 -> 6``); ``x + 0``, ``x - 0``,
    ``x * 1``, ``x / 1``, ``x ** 1`` give ``x``; ``x * 0``, ``0 / x`` give 0 and ``x ** 0``
    gives 1; nested sums and products flatten, so their constants collect into one number
    and like terms merge (``2*x + 3*x -> 5*x``, ``x * x**2 -> x**3``, ``x - x -> 0``).
    ``x * 0 -> 0`` treats x as finite, as every algebra system does.

    Args:
        e: the expression.

    Returns:
        The simplified expression (sums print their constant last, products first).

    >>> x, y = params("x y")
    >>> print(simplify((x * 1 + 0) * (2 * y * 3) + x * 0))
    (* 6 (* x y))
    """
    return fold(_as_expr(e), simplify_node)
