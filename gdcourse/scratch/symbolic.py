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
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Mapping

import torch

from ..errors import InvalidArgumentError, InvalidTypeError, UnboundSymbolError

__all__ = ["Expr", "Sym", "Const", "Bin", "Call", "params", "d", "val", "simplify",
           "exp", "log", "tanh", "sigmoid"]

_BINARY = ("+", "-", "*", "/", "**")
_FUNCTIONS = ("exp", "log", "tanh", "sigmoid")
_REPR_LIMIT = 2000  # characters of an expression a notebook shows before eliding the rest


def fold(root: Expr, combine: Callable[[Expr, list], object]):
    """``combine(node, [results of its children])`` bottom-up over the DAG under ``root``.

    Each distinct node is combined once (shared subexpressions are not redone), children
    before parents, with an explicit stack instead of recursion.
    """
    done: dict[int, object] = {}  # id(node) -> result; every node stays alive under root
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in done:
            continue
        pending = [c for c in node.children if id(c) not in done]
        if pending:  # come back to this node once its children are done
            todo.append(node)
            todo.extend(pending)
        else:
            done[id(node)] = combine(node, [done[id(c)] for c in node.children])
    return done[id(root)]


def _is_number(v) -> bool:
    if type(v) in (int, float):  # the common case, without the slow abstract-class check
        return True
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _as_expr(v) -> Expr:
    """``v`` as an Expr: Exprs pass, real numbers become constants, anything else is refused."""
    if isinstance(v, Expr):
        return v
    if _is_number(v):
        return Const(v)
    hint = "use an int or a float"
    if isinstance(v, torch.Tensor):
        hint = "to use tensor data, put a symbol in the expression and bind it: val(e, {'x': t})"
    elif isinstance(v, str):
        hint = f"to make a symbol, use params({v!r})"
    raise InvalidTypeError(
        f"an expression operand must be an Expr or a real number, got {type(v).__name__} "
        f"{str(v)[:40]!r}; {hint}")


class Expr:
    """An immutable expression tree; build it with :func:`params` and Python operators.

    ``+ - * / **`` and unary ``-`` work with numbers on either side (``2 * x``, ``1 - x``,
    ``2 ** x``). ``==`` compares structure, so ``x + 1 == x + 1`` but ``x + 1 != 1 + x``.
    ``str(e)`` is an S-expression: the operator first, then its operands, in parentheses.

    Attributes:
        size: the number of nodes of the tree as printed (shared subtrees counted each time).
        symbols: the names of the symbols the expression contains.
    """

    __slots__ = ("_hash", "size")

    def __setattr__(self, name, value):
        raise AttributeError(f"expressions are immutable; build a new one instead of setting "
                             f"{name!r}")

    def __delattr__(self, name):
        raise AttributeError("expressions are immutable")

    def _init(self, hash_: int, size: int) -> None:
        # Hash and size come from the children's cached values: O(1) per node, no recursion.
        object.__setattr__(self, "_hash", hash_)
        object.__setattr__(self, "size", size)

    children: tuple[Expr, ...] = ()

    def _head(self) -> tuple:
        raise NotImplementedError

    # Constructors named after the variants, for building trees without operators.
    sym = staticmethod(lambda name: Sym(name))
    const = staticmethod(lambda value: Const(value))
    bin = staticmethod(lambda op, lhs, rhs: Bin(op, lhs, rhs))
    call = staticmethod(lambda fn, arg: Call(fn, arg))

    @property
    def symbols(self) -> frozenset[str]:
        return fold(self, lambda node, kids: frozenset((node.name,)) if isinstance(node, Sym)
                    else frozenset().union(*kids))

    def __add__(self, other): return Bin("+", self, other)
    def __radd__(self, other): return Bin("+", other, self)
    def __sub__(self, other): return Bin("-", self, other)
    def __rsub__(self, other): return Bin("-", other, self)
    def __mul__(self, other): return Bin("*", self, other)
    def __rmul__(self, other): return Bin("*", other, self)
    def __truediv__(self, other): return Bin("/", self, other)
    def __rtruediv__(self, other): return Bin("/", other, self)
    def __pow__(self, other): return Bin("**", self, other)
    def __rpow__(self, other): return Bin("**", other, self)
    def __neg__(self): return Bin("*", Const(-1), self)
    def __pos__(self): return self

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        if not isinstance(other, Expr):
            return NotImplemented
        pairs = [(self, other)]
        while pairs:
            a, b = pairs.pop()
            if a is b:
                continue
            if (type(a) is not type(b) or a._hash != b._hash or a.size != b.size
                    or a._head() != b._head()):
                return False
            pairs.extend(zip(a.children, b.children))
        return True

    def __str__(self) -> str:
        out, todo = [], [self]
        while todo:
            item = todo.pop()
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, Sym):
                out.append(item.name)
            elif isinstance(item, Const):
                out.append(repr(item.value))
            else:
                out.append("(" + item._head()[1])
                todo.append(")")
                for child in reversed(item.children):
                    todo.extend((child, " "))
        return "".join(out)

    def __repr__(self) -> str:
        text = str(self)
        if len(text) > _REPR_LIMIT:
            text = f"{text[:_REPR_LIMIT]} ... [{self.size} nodes in all]"
        return text


class Sym(Expr):
    """A variable, named by a Python identifier such as ``x`` or ``w1``."""

    __slots__ = ("name",)
    __match_args__ = ("name",)

    def __init__(self, name: str):
        if not isinstance(name, str):
            raise InvalidTypeError(f"a symbol name must be a string such as 'x', got "
                                   f"{type(name).__name__} {name!r}")
        if not name.isidentifier():
            raise InvalidArgumentError(
                f"a symbol name must be an identifier such as 'x' or 'w1', got {name!r}")
        object.__setattr__(self, "name", name)
        self._init(hash(("sym", name)), 1)

    def _head(self):
        return ("sym", self.name)

    def __reduce__(self):
        return (Sym, (self.name,))


class Const(Expr):
    """A finite real number inside an expression (ints stay ints, so results can be exact)."""

    __slots__ = ("value",)
    __match_args__ = ("value",)

    def __init__(self, value: float):
        if not _is_number(value):
            raise InvalidTypeError(
                f"a constant must be a real number, got {type(value).__name__} {value!r}")
        if type(value) not in (int, float):  # numpy and other numbers become plain ones
            value = int(value) if isinstance(value, numbers.Integral) else float(value)
        if not math.isfinite(value):
            raise InvalidArgumentError(f"a constant must be finite, got {value!r}")
        object.__setattr__(self, "value", value)
        self._init(hash(("const", value)), 1)

    def _head(self):
        return ("const", self.value)

    def __reduce__(self):
        return (Const, (self.value,))


class Bin(Expr):
    """A binary operation ``(op lhs rhs)`` with op one of ``+ - * / **``."""

    __slots__ = ("op", "lhs", "rhs", "children")
    __match_args__ = ("op", "lhs", "rhs")

    def __init__(self, op: str, lhs: Expr | float, rhs: Expr | float):
        if op not in _BINARY:
            raise InvalidArgumentError(
                f"unknown operator {op!r}; expected one of {' '.join(_BINARY)}")
        lhs, rhs = _as_expr(lhs), _as_expr(rhs)
        for name, value in (("op", op), ("lhs", lhs), ("rhs", rhs), ("children", (lhs, rhs))):
            object.__setattr__(self, name, value)
        self._init(hash((op, lhs._hash, rhs._hash)), 1 + lhs.size + rhs.size)

    def _head(self):
        return ("bin", self.op)

    def __reduce__(self):
        return (Bin, (self.op, self.lhs, self.rhs))


class Call(Expr):
    """A function applied to an expression ``(fn arg)``, fn one of exp log tanh sigmoid."""

    __slots__ = ("fn", "arg", "children")
    __match_args__ = ("fn", "arg")

    def __init__(self, fn: str, arg: Expr | float):
        if fn not in _FUNCTIONS:
            raise InvalidArgumentError(
                f"unknown operator {fn!r}; expected a function among {' '.join(_FUNCTIONS)}")
        arg = _as_expr(arg)
        for name, value in (("fn", fn), ("arg", arg), ("children", (arg,))):
            object.__setattr__(self, name, value)
        self._init(hash((fn, arg._hash)), 1 + arg.size)

    def _head(self):
        return ("call", self.fn)

    def __reduce__(self):
        return (Call, (self.fn, self.arg))


def exp(u: Expr | float) -> Call:
    """``(exp u)``: e to the power u."""
    return Call("exp", u)


def log(u: Expr | float) -> Call:
    """``(log u)``: the natural logarithm, defined for u > 0."""
    return Call("log", u)


def tanh(u: Expr | float) -> Call:
    """``(tanh u)``: the hyperbolic tangent."""
    return Call("tanh", u)


def sigmoid(u: Expr | float) -> Call:
    """``(sigmoid u)``: 1 / (1 + exp(-u))."""
    return Call("sigmoid", u)


ZERO, ONE = Const(0), Const(1)


def params(names: str) -> Sym | tuple[Sym, ...]:
    """Symbols from a string of names separated by spaces or commas.

    Args:
        names: e.g. ``"m b"``.

    Returns:
        One :class:`Sym` for one name, else a tuple of them (ready to unpack).

    Raises:
        InvalidArgumentError: when ``names`` is not a string, is empty, or holds a name that
            is not an identifier.

    >>> m, b = params("m b")
    >>> print(m * 3 + b)
    (+ (* m 3) b)
    """
    if not isinstance(names, str):
        raise InvalidTypeError(f"params takes a string such as 'm b', got "
                                   f"{type(names).__name__}")
    syms = tuple(Sym(n) for n in names.replace(",", " ").split())
    if not syms:
        raise InvalidArgumentError("params needs at least one name, e.g. params('m b')")
    return syms[0] if len(syms) == 1 else syms


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
    # Power. d(l**r)/dl = r * l**(r-1); d(l**r)/dr = l**r * log(l), which is only real for
    # l > 0, so it appears only when the exponent depends on the variable at all.
    depends_l, depends_r = depends
    if isinstance(r, Const):
        # x**0 is the constant 1: its slope 0 must not become 0 * x**-1 (nan at x = 0).
        d_el = ZERO if r.value == 0 else Bin("*", r, Bin("**", l, Const(r.value - 1)))
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
        InvalidArgumentError: when ``e`` is not an expression or ``name`` is not a symbol.

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
        depends = [dep for _, dep in kids]
        terms = [Bin("*", local, dk) for local, (dk, _) in
                 zip(_local_derivatives(node, depends), kids)]
        total = terms[0] if len(terms) == 1 else Bin("+", *terms)
        return total, any(depends)

    result = fold(e, rule)[0]
    return _simplified(result) if simplify else result


def _sigmoid_float(v: float) -> float:
    # exp of a negative number only, so neither branch overflows.
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    z = math.exp(v)
    return z / (1.0 + z)


_TORCH_FUNCTIONS = {"exp": torch.exp, "log": torch.log, "tanh": torch.tanh,
                    "sigmoid": torch.sigmoid}
_FLOAT_FUNCTIONS = {"exp": math.exp, "log": math.log, "tanh": math.tanh,
                    "sigmoid": _sigmoid_float}
_OPERATORS: dict[str, Callable] = {"+": operator.add, "-": operator.sub, "*": operator.mul,
                                   "/": operator.truediv, "**": operator.pow}


def val(e: Expr | float, env: Mapping[str, float | torch.Tensor]):
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
        UnboundSymbolError: a symbol of ``e`` has no value in ``env``.
        InvalidArgumentError: ``env`` is not a mapping, holds a value that is neither a
            number nor a tensor, or a number is outside a function's domain (log of a
            non-positive number, a negative number to a fractional power).

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
            f"binds {sorted(env)}; add {', '.join(repr(m) + ': ...' for m in missing)} to env")
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
    return _simplified(_as_expr(e))


def _simplified(e: Expr) -> Expr:
    from ._symbolic_simplify import simplify_node  # the rules need the node classes above

    return fold(e, simplify_node)
