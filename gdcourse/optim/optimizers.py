"""The optimizer classes: SGD (with momentum / Nesterov), Adagrad, RMSProp and Adam.

Each class validates its hyper-parameters at the boundary, as ``torch.optim`` does, and
hands every parameter tensor to its pure update in :mod:`gdcourse.optim.steps`; the
machinery (lrs, schedule, state, ``step``, ``zero_grad``) is :class:`~.base.Optimizer`.

    opt = SGD([params], lr=0.1, momentum=0.9)
    hist = gd.train([params], gd.quadratic, u, y, steps=500, optimizer=opt)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch

from .._types import Lr
from .._validate import check_number, check_unit
from ..curvature import momentum_factor
from ..errors import InvalidArgumentError
from .base import Optimizer
from .steps import adagrad_step, adam_step, rmsprop_step, sgd_step

__all__ = ["SGD", "Adagrad", "RMSProp", "Adam"]


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum / Nesterov (see :func:`sgd_step`).

    >>> p = torch.tensor([1.0], requires_grad=True); opt = SGD([p], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     (p ** 2).sum().backward(); opt.step(); opt.zero_grad()
    >>> p
    tensor([0.4600], requires_grad=True)

    Raises:
        InvalidArgumentError: lr not positive; momentum not in [0, 1); dampening not in
            [0, 1]; weight_decay < 0; nesterov without momentum or with dampening.
        ShapeError: a list of lrs whose length differs from the number of params tensors.
    """

    def __init__(self, params: torch.Tensor | Iterable[torch.Tensor], *, lr: Lr | Sequence[Lr],
                 momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, schedule: Callable[[int], float] | None = None):
        super().__init__(params, lr=lr, schedule=schedule)
        self.momentum = check_unit(momentum, name="momentum")
        self.dampening = check_unit(dampening, name="dampening", closed=True)
        self.weight_decay = check_number(weight_decay, name="weight_decay")
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise InvalidArgumentError(
                f"Nesterov needs momentum > 0 and dampening = 0, got momentum={momentum} and "
                f"dampening={dampening}")
        self.nesterov = bool(nesterov)

    def _update(self, p, g, state, lr):
        sgd_step(p, g, state, lr=lr, momentum=self.momentum, dampening=self.dampening,
                 nesterov=self.nesterov, weight_decay=self.weight_decay)

    @classmethod
    def stability_factor(cls, *, momentum: float = 0.0, dampening: float = 0.0,
                         nesterov: bool = False) -> float:
        """1 (plain), (1 + mu) / (1 - dampening) (heavy ball), (1 + mu) / (1 + 2 mu)
        (Nesterov): see :func:`gdcourse.curvature.momentum_factor`.

        >>> SGD.stability_factor(momentum=0.9)
        1.9
        """
        return momentum_factor(momentum, dampening=dampening, nesterov=nesterov)


class Adagrad(Optimizer):
    """Adagrad: per-element steps lr / sqrt(sum of squared gradients) (see :func:`adagrad_step`).

    >>> p = torch.tensor([1.0, -100.0], requires_grad=True); opt = Adagrad([p], lr=0.1)
    >>> (p ** 2).sum().backward(); opt.step(); p   # both move by lr, whatever their gradient
    tensor([  0.9000, -99.9000], requires_grad=True)

    Raises:
        InvalidArgumentError: lr not positive; lr_decay, eps, weight_decay or
            initial_accumulator_value < 0.
        ShapeError: a list of lrs whose length differs from the number of params tensors.
    """

    def __init__(self, params: torch.Tensor | Iterable[torch.Tensor], *,
                 lr: Lr | Sequence[Lr] = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, schedule: Callable[[int], float] | None = None):
        super().__init__(params, lr=lr, schedule=schedule)
        self.lr_decay = check_number(lr_decay, name="lr_decay")
        self.weight_decay = check_number(weight_decay, name="weight_decay")
        self.initial_accumulator_value = check_number(initial_accumulator_value,
                                                      name="initial_accumulator_value")
        self.eps = check_number(eps, name="eps")

    def _update(self, p, g, state, lr):
        adagrad_step(p, g, state, lr=lr, lr_decay=self.lr_decay, eps=self.eps,
                     weight_decay=self.weight_decay,
                     initial_accumulator_value=self.initial_accumulator_value)


class RMSProp(Optimizer):
    """RMSProp: steps divided by a running root mean square of g (see :func:`rmsprop_step`).

    >>> p = torch.tensor([1.0], requires_grad=True); opt = RMSProp([p], lr=0.01)
    >>> (p ** 2).sum().backward(); opt.step(); p   # no bias correction: 10 lr at first
    tensor([0.9000], requires_grad=True)

    Raises:
        InvalidArgumentError: lr not positive; alpha or momentum not in [0, 1); eps or
            weight_decay < 0; centered not a bool.
        ShapeError: a list of lrs whose length differs from the number of params tensors.
    """

    def __init__(self, params: torch.Tensor | Iterable[torch.Tensor], *,
                 lr: Lr | Sequence[Lr] = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 schedule: Callable[[int], float] | None = None):
        super().__init__(params, lr=lr, schedule=schedule)
        # alpha = 1 would never let a gradient into v: every step would divide by eps
        self.alpha = check_unit(alpha, name="alpha")
        self.eps = check_number(eps, name="eps")
        self.weight_decay = check_number(weight_decay, name="weight_decay")
        self.momentum = check_unit(momentum, name="momentum")
        if not isinstance(centered, bool):
            raise InvalidArgumentError(
                f"centered must be True or False, got {type(centered).__name__} {centered!r}")
        self.centered = centered

    def _update(self, p, g, state, lr):
        rmsprop_step(p, g, state, lr=lr, alpha=self.alpha, eps=self.eps,
                     momentum=self.momentum, centered=self.centered,
                     weight_decay=self.weight_decay)


class Adam(Optimizer):
    """Adam: momentum's running mean of g over RMSProp's running root mean square of g, both
    bias-corrected (see :func:`adam_step`).

    >>> p = torch.tensor([1.0], requires_grad=True); opt = Adam([p], lr=0.1)
    >>> (p ** 2).sum().backward(); opt.step(); p   # the first step moves by about lr
    tensor([0.9000], requires_grad=True)

    Raises:
        InvalidArgumentError: lr not positive; a beta not in [0, 1); eps < 0;
            weight_decay < 0.
        ShapeError: a list of lrs whose length differs from the number of params tensors.
    """

    def __init__(self, params: torch.Tensor | Iterable[torch.Tensor], *,
                 lr: Lr | Sequence[Lr] = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 schedule: Callable[[int], float] | None = None):
        super().__init__(params, lr=lr, schedule=schedule)
        if not (isinstance(betas, Sequence) and len(betas) == 2):
            raise InvalidArgumentError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (check_unit(betas[0], name="beta1 (betas[0])"),
                      check_unit(betas[1], name="beta2 (betas[1])"))
        self.eps = check_number(eps, name="eps")
        self.weight_decay = check_number(weight_decay, name="weight_decay")

    def _update(self, p, g, state, lr):
        adam_step(p, g, state, lr=lr, betas=self.betas, eps=self.eps,
                  weight_decay=self.weight_decay)
