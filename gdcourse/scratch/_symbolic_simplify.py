"""The rules behind :func:`gdcourse.scratch.symbolic.simplify` (private; use that function).

:func:`simplify_node` rewrites one node whose children are already simplified, so a fold
over the tree simplifies the whole of it bottom-up. Sums and products are handled n-ary:
a chain such as ``(+ (+ a b) c)`` or ``(* 2 (* x 3))`` is flattened into its terms or
factors, numbers are collected into one constant and repeated terms or factors are merged,
then the chain is rebuilt left-nested in a fixed form that the rules recognise again:

    sum      (+ (- t1 (* 3 t2)) 4)     terms in first-seen order (a positive one first),
                                       the constant last
    product  (* 6 (* x (** y 2)))      the constant first, then one factor per base

Flattening walks a chain afresh at each of its levels, so simplifying a sum of n terms
takes time proportional to n**2: quick for the hundreds of terms of a lecture's loss.
"""

from __future__ import annotations

import math

from ._symbolic_expr import _FLOAT_FUNCTIONS, ONE, ZERO, Bin, Call, Const, Expr

_MAX_EXACT_POWER = 64  # beyond this integer powers fold in floats (2 ** 10**9 would hang)


def simplify_node(node: Expr, kids: list[Expr]) -> Expr:
    """``node`` rewritten, given its children already simplified."""
    if isinstance(node, Call):
        return _call(node, kids[0])
    if not isinstance(node, Bin):
        return node
    l, r = kids
    if node.op in ("+", "-"):
        return _sum(l, r, sign=1 if node.op == "+" else -1)
    if node.op == "*":
        return _product(l, r)
    if node.op == "/":
        return _quotient(l, r)
    return _power(l, r, node)


def _folded(compute) -> Const | None:
    """``Const(compute())`` when that is a finite real number, else None (left unfolded)."""
    try:
        value = compute()
        if isinstance(value, complex) or not math.isfinite(value):
            return None
    except (ArithmeticError, ValueError):  # 1/0, log(-1), exp(1000), int too large
        return None
    return Const(value)


def _chain(e: Expr, ops: tuple[str, ...], sign: float) -> list[tuple[float, Expr]]:
    """The operands of a chain of ``ops`` under ``e``, left to right, each with its sign
    (``sign``, flipped by every ``-`` on the way; ``sign`` may be any number)."""
    out, todo = [], [(e, sign)]
    while todo:
        node, s = todo.pop()
        if isinstance(node, Bin) and node.op in ops:
            todo.append((node.rhs, -s if node.op == "-" else s))
            todo.append((node.lhs, s))
        else:
            out.append((s, node))
    return out


def _sum(l: Expr, r: Expr, *, sign: int) -> Expr:
    return _collect(_chain(l, ("+", "-"), 1) + _chain(r, ("+", "-"), sign))


def _collect(terms: list[tuple[float, Expr]]) -> Expr:
    """The sum of ``number * term`` over ``terms``, like terms merged, numbers added up."""
    coefs: dict[Expr, float] = {}  # term without its number -> total number in front of it
    const: float = 0
    todo = terms[::-1]
    while todo:
        s, term = todo.pop()
        if isinstance(term, Const):
            const += s * term.value
            continue
        c: float = 1
        rest = term
        if isinstance(term, Bin) and term.op == "*" and isinstance(term.lhs, Const):
            c, rest = term.lhs.value, term.rhs
        if c == -1 and isinstance(rest, Bin) and rest.op in ("+", "-"):
            todo.extend(_chain(rest, ("+", "-"), -s)[::-1])  # a - (b + c) -> a - b - c
            continue
        coefs[rest] = coefs.get(rest, 0) + s * c
    items: list[tuple[float, Expr | None]] = [(c, r) for r, c in coefs.items() if c != 0]
    if const != 0:
        items.append((const, None))
    if not items:
        return ZERO
    # Start with a positive term, else with the number, so that 2 - y stays (- 2 y) and
    # -3 - y stays (- -3 y); after it, a negative number in front becomes a subtraction.
    first = next((i for i, (c, _) in enumerate(items) if c > 0),
                 len(items) - 1 if const != 0 else 0)
    items.insert(0, items.pop(first))
    c, r = items[0]
    acc = Const(c) if r is None else _scaled(c, r)
    for c, r in items[1:]:
        term = Const(abs(c)) if r is None else _scaled(abs(c), r)
        acc = Bin("-" if c < 0 else "+", acc, term)
    return acc


def _scaled(c: float, rest: Expr) -> Expr:
    return rest if c == 1 else Bin("*", Const(c), rest)


def _product(l: Expr, r: Expr) -> Expr:
    powers: dict[Expr, float] = {}  # base -> total exponent
    c: float = 1
    for _, factor in _chain(l, ("*",), 1) + _chain(r, ("*",), 1):
        if isinstance(factor, Const):
            c *= factor.value
            continue
        base: Expr = factor
        k: float = 1  # an int stays an int: x * x is (** x 2), not (** x 2.0)
        if isinstance(factor, Bin) and factor.op == "**" and isinstance(factor.rhs, Const):
            base, k = factor.lhs, factor.rhs.value
        powers[base] = powers.get(base, 0) + k
    if c == 0 or not math.isfinite(c):
        return ZERO if c == 0 else Bin("*", l, r)
    rest: Expr | None = None
    for base, k in powers.items():
        if k == 0:  # x**a * x**-a: 1 wherever the product is defined
            continue
        factor = base if k == 1 else Bin("**", base, Const(k))
        rest = factor if rest is None else Bin("*", rest, factor)
    if rest is None:
        return Const(c)
    if c != 1 and isinstance(rest, Bin) and rest.op in ("+", "-"):
        # 2 * (3x + 1) -> 6x + 2 lets the numbers merge with those around the sum; it only
        # pays when at most one term (here 1) lacks a number that can absorb c.
        terms = _chain(rest, ("+", "-"), c)
        if sum(not _has_number(t) for _, t in terms) <= 1:
            return _collect(terms)
    return _scaled(c, rest)


def _has_number(term: Expr) -> bool:
    return isinstance(term, Const) or (
        isinstance(term, Bin) and term.op == "*" and isinstance(term.lhs, Const))


def _quotient(l: Expr, r: Expr) -> Expr:
    if isinstance(r, Const) and r.value != 0:
        if isinstance(l, Const):
            return _folded(lambda: l.value / r.value) or Bin("/", l, r)
        return _product(Const(1 / r.value), l)  # so 1/n joins the other numbers in front
    if isinstance(l, Const) and l.value == 0:
        return ZERO
    if l == r:
        return ONE
    return Bin("/", l, r)


def _is_int(v: float) -> bool:
    return isinstance(v, int) or v.is_integer()


def _power(l: Expr, r: Expr, node: Bin) -> Expr:
    if isinstance(r, Const):
        if r.value == 0:
            return ONE
        if r.value == 1:
            return l
        if isinstance(l, Const):
            small = isinstance(r.value, int) and abs(r.value) <= _MAX_EXACT_POWER
            folded = _folded(lambda: l.value ** r.value if small else float(l.value) ** r.value)
            if folded is not None:
                return folded
        # (x**a)**n = x**(a*n) holds for integers a and n; (x**2)**0.5 is |x|, not x.
        if (isinstance(l, Bin) and l.op == "**" and isinstance(l.rhs, Const)
                and _is_int(l.rhs.value) and _is_int(r.value)):
            return _power(l.lhs, Const(l.rhs.value * r.value), node)
    if isinstance(l, Const) and l.value == 1:
        return ONE
    if l is node.lhs and r is node.rhs:
        return node  # unchanged: keep the very node so that shared subtrees stay shared
    return Bin("**", l, r)


def _call(node: Call, u: Expr) -> Expr:
    if isinstance(u, Const):
        folded = _folded(lambda: _FLOAT_FUNCTIONS[node.fn](u.value))
        if folded is not None:
            return folded
    if node.fn == "log" and isinstance(u, Call) and u.fn == "exp":
        return u.arg
    return node if u is node.arg else Call(node.fn, u)
