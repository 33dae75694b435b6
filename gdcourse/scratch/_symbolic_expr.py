"""The expression tree of :mod:`gdcourse.scratch.symbolic` (private: import from there).

Nodes are immutable and cache their hash and printed size, computed from their children in
O(1), so hashing, ``==`` (an explicit-stack walk) and :func:`fold` need no recursion.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from typing import Any

import torch

from ..errors import InvalidArgumentError, InvalidTypeError

_BINARY = ("+", "-", "*", "/", "**")
_FUNCTIONS = ("exp", "log", "tanh", "sigmoid")
_REPR_LIMIT = 2000  # characters of an expression a notebook shows before eliding the rest


def fold(root: Expr, combine: Callable[[Expr, list[Any]], Any]) -> Any:
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
    _hash: int
    size: int

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
    @staticmethod
    def sym(name: str) -> Sym:
        return Sym(name)

    @staticmethod
    def const(value: float) -> Const:
        return Const(value)

    @staticmethod
    def bin(op: str, lhs: Expr | float, rhs: Expr | float) -> Bin:
        return Bin(op, lhs, rhs)

    @staticmethod
    def call(fn: str, arg: Expr | float) -> Call:
        return Call(fn, arg)

    @property
    def symbols(self) -> frozenset[str]:
        """The names of the symbols in the expression."""
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
        out: list[str] = []
        todo: list[Expr | str] = [self]
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
    name: str

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
    value: float  # an int stays an int

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
    op: str
    lhs: Expr
    rhs: Expr

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
    fn: str
    arg: Expr

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
