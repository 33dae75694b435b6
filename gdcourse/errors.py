"""Typed errors for gdcourse.

Every error raised on purpose by gdcourse derives from :class:`GDCourseError`, and each
subclass also derives from the matching built-in, so ``except ValueError`` keeps working
for code that does not know about gdcourse. Messages say what was expected, what came,
and what to try.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "GDCourseError",
    "InvalidArgumentError",
    "ShapeError",
    "DeviceMismatchError",
    "DivergenceError",
    "NotFittedError",
    "MissingExtraError",
]


class GDCourseError(Exception):
    """Base class of every error gdcourse raises on purpose."""


class InvalidArgumentError(GDCourseError, ValueError):
    """An argument has a bad value: a negative lr, zero steps, NaN data, a wrong dtype."""


class ShapeError(GDCourseError, ValueError):
    """Tensors whose shapes do not fit together (and would broadcast silently)."""


class DeviceMismatchError(GDCourseError, RuntimeError):
    """Tensors that must live on one device live on several."""


class DivergenceError(GDCourseError, FloatingPointError):
    """The loss became non-finite or exploded during descent.

    Attributes:
        step: the step at which the loss diverged.
        lr: the learning rate in use.
        suggested_lr: a learning rate expected to be stable, when one could be estimated.
        history: the :class:`~gdcourse.recipe.History` up to the divergence, when known.
    """

    def __init__(self, message: str, *, step: int | None = None, lr: float | None = None,
                 suggested_lr: float | None = None, history: Any = None) -> None:
        super().__init__(message)
        self.step = step
        self.lr = lr
        self.suggested_lr = suggested_lr
        self.history = history

    @classmethod
    def for_loss(cls, loss: float, *, step: int, setting: str, restored: str,
                 lr: float | None = None, suggested_lr: float | None = None,
                 method: str = "plain gradient descent", history: Any = None) -> DivergenceError:
        """The one wording every engine uses: what happened, where, what was kept, what to try.

        >>> err = DivergenceError.for_loss(float("nan"), step=7, setting="lr=0.1",
        ...                                restored="params were kept", suggested_lr=3.5e-5)
        >>> for part in str(err).split("; "): print(part)
        loss became nan at step 7 (lr=0.1)
        params were kept
        the largest stable lr here for plain gradient descent is about 3.5e-05
        """
        kind = ("became nan" if math.isnan(loss) else
                "became inf" if math.isinf(loss) else f"exploded to {loss:.3g}")
        advice = ("try a learning rate 10 times smaller" if suggested_lr is None else
                  f"the largest stable lr here for {method} is about {suggested_lr:.2g}")
        return cls(f"loss {kind} at step {step} ({setting}); {restored}; {advice}",
                   step=step, lr=lr, suggested_lr=suggested_lr, history=history)


class NotFittedError(GDCourseError, RuntimeError):
    """A step needs something that has not happened yet (e.g. ``backward()``)."""


class MissingExtraError(GDCourseError, ImportError):
    """An optional dependency is not installed; the message says which extra to install."""


class UnboundSymbolError(GDCourseError, NameError, KeyError):
    """An expression names a symbol that the environment gives no value for.

    It is a ``NameError`` (a name without a value, as in Python itself) and a ``KeyError``
    (the environment is a dict that lacks the key), so either ``except`` catches it.
    """

    def __str__(self) -> str:
        # KeyError would print the message in quotes, as if it were the missing key.
        return str(self.args[0]) if self.args else ""


__all__ += ["UnboundSymbolError"]


class InvalidTypeError(InvalidArgumentError, TypeError):
    """An argument has the wrong type, e.g. a string where a number belongs (``Scalar + "a"``).

    It is an :class:`InvalidArgumentError` (a ``ValueError``) and a ``TypeError``, the
    exception Python itself raises for unsupported operand types, so either ``except`` works.
    """


__all__ += ["InvalidTypeError"]
