"""Reverse-mode automatic differentiation on single numbers: the engine of lecture 04.

    from gdcourse.scratch.scalar import Scalar, tanh
    x = Scalar(2.0)
    y = tanh(x * x + 1)     # each op stores d(out)/d(input) on an edge back to its input
    y.backward()            # chain rule from y back to every node of the graph
    x.grad                  # (1 - tanh(5)**2) * 2 * x

Every operation computes its value and, at the same moment, its *local* derivatives
d out / d input, kept on ``out.edges`` as ``(input, local_grad)`` pairs. ``backward`` visits
the graph from the output to the inputs (reverse topological order) and applies

    input.grad += local_grad * out.grad          # the chain rule, summed over every path

Choices, and where they differ from torch:

- ``backward()`` first sets ``grad = 0`` on every node of the graph, then seeds the output
  with 1, so repeated training steps never pile gradients up and there is no ``zero_grad``.
  torch *accumulates* into ``.grad`` across backward calls (and asks you to call
  ``optimizer.zero_grad()``). Here, to add the gradients of two losses, backward their sum.
- ``==`` and ``hash`` stay identity-based: two nodes with equal values are still two nodes,
  and graphs are walked with sets. Compare values with ``a.value == b.value``. ``<``, ``<=``,
  ``>``, ``>=`` compare values and return a plain bool (not differentiable).
- There is no ``__float__``: ``math.exp(x)`` on a Scalar raises TypeError instead of
  quietly returning a float cut off from the graph. Use this module's ``exp``.
- Values are Python floats (IEEE float64), so results match torch in float64.
- Where no real number exists (``log`` of x <= 0, ``(-8) ** 0.5``, ``0 ** -1``, ``x / 0``)
  an :class:`~gdcourse.errors.InvalidArgumentError` names the culprit; torch returns nan or
  inf. Overflow gives inf, as in torch. The slope of ``x ** 0.5`` at 0 is ``inf`` (the tangent
  is vertical), as in torch.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from numbers import Real
from typing import TypeAlias

import numpy as np
import torch

from .._validate import check_lr
from ..errors import InvalidArgumentError, InvalidTypeError

#: targets: numbers, Scalars, or a tensor or array (read with ``.tolist()``)
Values: TypeAlias = "Sequence[Scalar | float] | torch.Tensor | np.ndarray"

__all__ = ["Scalar", "exp", "log", "sigmoid", "tanh", "relu", "mean_squared_error",
           "binary_cross_entropy", "gc_paused"]


class Scalar:
    """A number that remembers how it was computed, so its gradient can flow back.

    Attributes:
        value: the number (a float).
        grad: d(output of the last ``backward``)/d(this node); 0.0 until then.
        edges: ``(input, local_grad)`` pairs, one per Scalar input of the op; () for leaves.
        op: the op that made this node ("+", "*", "exp", ...); "" for leaves.

    >>> a = Scalar(3.0); b = a * a + a       # a is used twice: both paths add up
    >>> b.backward(); a.grad                 # d(a^2 + a)/da = 2a + 1
    7.0
    """

    __slots__ = ("value", "grad", "edges", "op")
    value: float
    grad: float
    edges: tuple[tuple[Scalar, float], ...]
    op: str

    def __init__(self, value: float) -> None:
        if not isinstance(value, Real):
            raise InvalidTypeError(
                f"Scalar takes a real number, got {type(value).__name__} {value!r}"
                + ("; for a one-element tensor use t.item()" if hasattr(value, "item") else ""))
        self.value = float(value)
        self.grad = 0.0
        self.edges = ()
        self.op = ""

    def __repr__(self) -> str:
        return f"Scalar({self.value!r}, grad={self.grad!r})"

    @classmethod
    def from_random(cls, generator: int | random.Random | torch.Generator | None = None, *,
                    low: float = -1.0, high: float = 1.0) -> Scalar:
        """A leaf drawn uniformly from [low, high).

        Args:
            generator: None (Python's global ``random``, seeded by ``gd.set_seed``), an int
                seed, a ``random.Random`` or a ``torch.Generator``.

        >>> Scalar.from_random(0).value == Scalar.from_random(0).value
        True
        """
        return cls(low + (high - low) * _uniform(generator))

    # -- primitives: each value next to its local derivatives ---------------------------------

    def __add__(self, other: Scalar | float) -> Scalar:
        other = _operand(other, "+")
        if isinstance(other, Scalar):  # d(x+y)/dx = 1, d(x+y)/dy = 1
            return _node(self.value + other.value, ((self, 1.0), (other, 1.0)), "+")
        return _node(self.value + other, ((self, 1.0),), "+")

    def __mul__(self, other: Scalar | float) -> Scalar:
        other = _operand(other, "*")
        if isinstance(other, Scalar):  # d(xy)/dx = y, d(xy)/dy = x
            return _node(self.value * other.value, ((self, other.value), (other, self.value)), "*")
        return _node(self.value * other, ((self, other),), "*")

    def __pow__(self, exponent: Scalar | float) -> Scalar:
        exponent = _operand(exponent, "**")
        x = self.value
        if isinstance(exponent, Scalar):  # d(x^n)/dn = x^n log x, only for x > 0
            value = _power(x, exponent.value)
            return _node(value, ((self, _base_slope(x, exponent.value)),
                                 (exponent, _exponent_slope(x, value))), "**")
        return _node(_power(x, exponent), ((self, _base_slope(x, exponent)),), "**")

    def __rpow__(self, base: float) -> Scalar:  # base ** self, with a constant base
        x = _value(_operand(base, "**"))  # a number: Scalar ** Scalar goes to __pow__
        value = _power(x, self.value)
        return _node(value, ((self, _exponent_slope(x, value)),), "**")

    # -- derived ops, built from the primitives ----------------------------------------------

    __radd__ = __add__  # addition and multiplication commute
    __rmul__ = __mul__

    def __neg__(self) -> Scalar:
        return self * -1.0

    def __sub__(self, other: Scalar | float) -> Scalar:
        return self + -_operand(other, "-")

    def __rsub__(self, other: Scalar | float) -> Scalar:
        return -self + _operand(other, "-")

    def __truediv__(self, other: Scalar | float) -> Scalar:
        other = _operand(other, "/")
        if _value(other) == 0:
            raise InvalidArgumentError(f"division by zero: {self.value!r} / 0")
        return self * other ** -1 if isinstance(other, Scalar) else self * (1.0 / other)

    def __rtruediv__(self, other: Scalar | float) -> Scalar:
        if self.value == 0:
            raise InvalidArgumentError(f"division by zero: {_operand(other, '/')!r} / 0")
        return _operand(other, "/") * self ** -1

    # -- comparisons on values (== and hash stay identity: nodes live in sets) ---------------

    def __lt__(self, other: Scalar | float) -> bool:
        return self.value < _value(_operand(other, "<"))

    def __le__(self, other: Scalar | float) -> bool:
        return self.value <= _value(_operand(other, "<="))

    def __gt__(self, other: Scalar | float) -> bool:
        return self.value > _value(_operand(other, ">"))

    def __ge__(self, other: Scalar | float) -> bool:
        return self.value >= _value(_operand(other, ">="))

    # -- backward ----------------------------------------------------------------------------

    def topological_order(self) -> list[Scalar]:
        """Every node this one depends on (itself last), each after all of its inputs.

        An iterative depth-first search: a 100,000-deep chain needs no recursion.
        """
        order: list[Scalar] = []
        seen: set[Scalar] = set()
        stack: list[tuple[Scalar, bool]] = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))  # comes back after all of its inputs
                stack.extend((child, False) for child, _ in node.edges if child not in seen)
        return order

    def backward(self) -> None:
        """Fill ``grad`` of every node in the graph with d(self)/d(node).

        Zeroes every grad in the graph first (torch would accumulate instead), then
        ``self.grad = 1`` and, outputs before inputs, ``input.grad += local * out.grad``.
        """
        with gc_paused():
            order = self.topological_order()
            for node in order:
                node.grad = 0.0
            self.grad = 1.0
            for node in reversed(order):
                grad = node.grad
                for child, local_grad in node.edges:
                    child.grad += local_grad * grad

    def gradient_update(self, lr: float) -> None:
        """One descent step on this leaf: ``value <- value - lr * grad``."""
        self.value -= check_lr(lr) * self.grad


# -- functions ------------------------------------------------------------------------------


def exp(x: Scalar | float) -> Scalar:
    """e^x; its derivative is e^x again. Overflow (x > 709.78) gives inf, as in torch."""
    x = _as_scalar(x, "exp")
    try:
        value = math.exp(x.value)
    except OverflowError:
        value = math.inf
    return _node(value, ((x, value),), "exp")


def log(x: Scalar | float) -> Scalar:
    """Natural log; d(log x)/dx = 1/x. Raises InvalidArgumentError unless x > 0."""
    x = _as_scalar(x, "log")
    if not x.value > 0:
        raise InvalidArgumentError(
            f"log needs a positive input, got {x.value!r}; clamp it (as binary_cross_entropy "
            "does) or check what feeds it")
    return _node(math.log(x.value), ((x, 1.0 / x.value),), "log")


def sigmoid(x: Scalar | float) -> Scalar:
    """1 / (1 + e^-x), never overflowing; d sigma/dx = sigma (1 - sigma).

    >>> sigmoid(-1000.0).value, sigmoid(1000.0).value
    (0.0, 1.0)
    """
    x = _as_scalar(x, "sigmoid")
    if x.value >= 0:
        s = 1.0 / (1.0 + math.exp(-x.value))
    else:  # e^x / (1 + e^x): e^x underflows to 0 harmlessly where e^-x would overflow
        e = math.exp(x.value)
        s = e / (1.0 + e)
    return _node(s, ((x, s * (1.0 - s)),), "sigmoid")


def tanh(x: Scalar | float) -> Scalar:
    """Hyperbolic tangent; d tanh/dx = 1 - tanh^2."""
    x = _as_scalar(x, "tanh")
    t = math.tanh(x.value)
    return _node(t, ((x, 1.0 - t * t),), "tanh")


def relu(x: Scalar | float) -> Scalar:
    """max(x, 0); its derivative is 1 for x > 0 and 0 otherwise (0 at x = 0, as in torch)."""
    x = _as_scalar(x, "relu")
    if x.value > 0:
        return _node(x.value, ((x, 1.0),), "relu")
    return _node(0.0, ((x, 0.0),), "relu")


# -- losses ---------------------------------------------------------------------------------


def mean_squared_error(preds: Sequence[Scalar | float], ys: Values) -> Scalar:
    """MSE = (1/N) sum_i (preds_i - ys_i)^2.

    Args:
        preds: N Scalars (or numbers).
        ys: N targets: numbers, Scalars, or a tensor/array (read with ``.tolist()``).

    Raises:
        InvalidArgumentError: preds and ys differ in length, or are empty.

    >>> mean_squared_error([Scalar(1.0), Scalar(3.0)], [0.0, 1.0]).value
    2.5
    """
    preds, ys = _paired(preds, ys, "mean_squared_error")
    return sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(preds)


def binary_cross_entropy(preds: Sequence[Scalar | float], ys: Values, *,
                         eps: float = 1e-12) -> Scalar:
    """BCE = -(1/N) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)], p clamped to [eps, 1-eps].

    Clamping keeps log away from 0 (a confidently wrong p = 0 would give -inf); outside the
    clamp the slope is 0, as for torch.clamp.

    Args:
        preds: N probabilities p_i (Scalars, e.g. sigmoid outputs).
        ys: N labels in [0, 1] (numbers, or a tensor/array).

    Raises:
        InvalidArgumentError: lengths differ, inputs are empty, or a label is outside [0, 1].

    >>> round(binary_cross_entropy([Scalar(0.9), Scalar(0.2)], [1, 0]).value, 4)
    0.1643
    """
    preds, ys = _paired(preds, ys, "binary_cross_entropy")
    terms = []
    for p, y in zip(preds, ys):
        y_value = _value(_operand(y, "binary_cross_entropy"))
        if not 0 <= y_value <= 1:
            raise InvalidArgumentError(f"binary_cross_entropy needs labels in [0, 1], got {y!r}")
        p = _clamp(_as_scalar(p, "binary_cross_entropy"), eps, 1.0 - eps)
        if isinstance(y, Scalar) or 0 < y < 1:
            terms.append(y * log(p) + (1 - y) * log(1 - p))
        else:  # a hard label: the other term is exactly 0, so skip its nodes
            terms.append(log(p) if y == 1 else log(1 - p))
    return -sum(terms) / len(terms)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while building or walking big Scalar graphs.

    A Scalar only points at its inputs, so graphs hold no reference cycles and reference
    counting frees them on its own. The cycle collector would rescan the growing graph
    every few hundred allocations, which makes training 2-4 times slower. Restores the
    collector's previous state on exit (nested uses are fine).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- helpers --------------------------------------------------------------------------------

_new = object.__new__


def _node(value: float, edges: tuple[tuple[Scalar, float], ...], op: str) -> Scalar:
    # The hot path: skips __init__'s checks, the value is already a float.
    out = _new(Scalar)
    out.value = value
    out.grad = 0.0
    out.edges = edges
    out.op = op
    return out


def _operand(x, op: str) -> Scalar | float:
    if isinstance(x, Scalar):
        return x
    if type(x) is float or type(x) is int:  # checked first: ABC isinstance is slow
        return float(x)
    if isinstance(x, Real):
        return float(x)
    hint = "; for a one-element tensor use t.item()" if hasattr(x, "item") else ""
    raise InvalidTypeError(
        f"Scalar {op} takes a Scalar or a real number, got {type(x).__name__} {x!r}{hint}")


def _as_scalar(x, op: str) -> Scalar:
    x = _operand(x, op)
    return x if isinstance(x, Scalar) else Scalar(x)


def _value(x: Scalar | float) -> float:
    return x.value if isinstance(x, Scalar) else x


def _power(x: float, n: float) -> float:
    try:
        return math.pow(x, n)
    except ValueError:  # math.pow refuses 0 ** negative and negative ** fractional
        if x == 0:
            raise InvalidArgumentError(f"0 ** {n!r} divides by zero") from None
        raise InvalidArgumentError(
            f"({x!r}) ** {n!r} has no real value: a negative number has real powers only "
            "for integer exponents") from None
    except OverflowError:
        odd = n == int(n) and int(n) % 2 == 1
        return math.copysign(math.inf, x) if odd else math.inf


def _base_slope(x: float, n: float) -> float:
    """d(x^n)/dx = n x^(n-1); at x = 0 that is inf for 0 < n < 1 (a vertical tangent)."""
    if n == 0:
        return 0.0
    if x == 0 and n < 1:
        return math.inf
    return n * _power(x, n - 1)


def _exponent_slope(x: float, value: float) -> float:
    """d(x^n)/dn = x^n log x for x > 0. At x = 0, x^n = 0 for all n > 0, slope 0 (as torch).
    For x < 0 the power is real only at integer n, so no real slope exists: nan (as torch)."""
    if x > 0:
        return value * math.log(x)
    return 0.0 if x == 0 else math.nan


def _clamp(p: Scalar, low: float, high: float) -> Scalar:
    if low <= p.value <= high or math.isnan(p.value):  # nan passes through, as in torch.clamp
        return p
    return _node(low if p.value < low else high, ((p, 0.0),), "clamp")


def _paired(preds, ys, name: str) -> tuple[list, list]:
    preds = preds.tolist() if hasattr(preds, "tolist") else list(preds)
    ys = ys.tolist() if hasattr(ys, "tolist") else list(ys)
    if len(preds) != len(ys) or not preds:
        raise InvalidArgumentError(
            f"{name} needs one target per prediction, got {len(preds)} predictions and "
            f"{len(ys)} targets")
    return preds, ys


def _uniform(generator: int | random.Random | torch.Generator | None) -> float:
    if generator is None:
        return random.random()
    if isinstance(generator, random.Random):
        return generator.random()
    if isinstance(generator, int) and not isinstance(generator, bool):
        return random.Random(generator).random()
    if isinstance(generator, torch.Generator):
        return torch.rand((), generator=generator, dtype=torch.float64).item()
    raise InvalidTypeError(
        "generator must be None, an int seed, a random.Random or a torch.Generator, got "
        f"{type(generator).__name__}")
