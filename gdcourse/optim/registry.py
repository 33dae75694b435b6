"""Optimizers by name: the ``OPTIMIZERS`` table, ``build`` and ``stability_factor``.

The CLI, :func:`gdcourse.quadratic.fit_quadratic` and the lectures pick an optimizer by a
string ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"); this module is the
one place that maps such a name to a class and its default hyper-parameters.

    opt = build("momentum", [params], lr=0.1)
    lr_max = stability_factor("momentum") * 2 / lambda_max
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch

from .._types import Lr
from ..errors import InvalidArgumentError
from .base import Optimizer
from .optimizers import SGD, Adagrad, Adam, RMSProp

__all__ = ["OPTIMIZERS", "build", "stability_factor"]


#: name -> (class, default hyper-parameters) for :func:`build`.
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict]] = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (Adagrad, {}),
    "rmsprop": (RMSProp, {}),
    "adam": (Adam, {}),
}


def build(name: str, params: torch.Tensor | Iterable[torch.Tensor], *, lr: Lr | Sequence[Lr],
          **hyper: Any) -> Optimizer:
    """An optimizer by name: "sgd", "momentum" (0.9), "nesterov" (0.9), "adagrad",
    "rmsprop" or "adam".

    ``hyper`` overrides the defaults (e.g. ``momentum=0.5``, ``betas=(0.8, 0.99)``,
    ``schedule=...``). The same ``lr`` means different things: for the SGD family it is in
    units of 1/curvature and must respect ``stability_factor(name) * 2 / lambda_max``
    (Nesterov's limit is *lower* than plain descent's, so an lr near 2 / lambda_max that
    suits "sgd" makes "nesterov" diverge); for Adam it is roughly how far each parameter
    moves per step, whatever the curvature (so for Adagrad and RMSProp).

    >>> build("nesterov", [torch.zeros(3, requires_grad=True)], lr=0.1).nesterov
    True

    Raises:
        InvalidArgumentError: an unknown name (the message lists the valid ones), or bad
            hyper-parameters.
    """
    cls, defaults = _lookup(name)
    return cls(params, lr=lr, **{**defaults, **hyper})


def _lookup(name) -> tuple[type[Optimizer], dict]:
    """The class and default hyper-parameters registered under ``name`` (any case)."""
    key = name.lower() if isinstance(name, str) else None
    if key not in OPTIMIZERS:
        raise InvalidArgumentError(
            f"unknown optimizer {name!r}; choose one of {', '.join(map(repr, OPTIMIZERS))}")
    return OPTIMIZERS[key]


def stability_factor(name: str, *, momentum: float | None = None,
                     dampening: float | None = None, nesterov: bool | None = None) -> float:
    """How far the optimizer registered as ``name`` may go past plain descent's 2 / lambda_max.

    On a quadratic loss, descent with this optimizer converges exactly when

        lr < stability_factor(name, ...) * 2 / lambda_max

    with factor 1 (sgd), (1 + mu) / (1 - dampening) (heavy ball) and
    (1 + mu) / (1 + 2 mu) (Nesterov, which never reaches plain descent's limit); the math is
    :func:`gdcourse.curvature.momentum_factor`. Each class answers for itself
    (:meth:`Optimizer.stability_factor`); hyper-parameters left None take the defaults
    registered under ``name``. The adaptive optimizers (Adagrad, RMSProp, Adam) are not
    limited by the curvature this way and give inf.

    >>> stability_factor("momentum"), round(stability_factor("nesterov"), 4)
    (1.9, 0.6786)
    """
    cls, defaults = _lookup(name)
    given = {"momentum": momentum, "dampening": dampening, "nesterov": nesterov}
    hyper = {**defaults, **{k: v for k, v in given.items() if v is not None}}
    # only the keywords the stability rule reads: "adam"'s betas, say, have no say in it
    return cls.stability_factor(**{k: hyper[k] for k in given if k in hyper})
