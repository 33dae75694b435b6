"""Better steps (lecture 06): SGD, momentum, Nesterov, Adagrad, RMSProp and Adam, from scratch.

Each algorithm is a small pure update, ``*_step(p, g, state, *, lr, ...)``, that changes one
parameter tensor and its state dict in place; thin classes hold the state for a list of
tensors and give them the ``step()`` / ``zero_grad()`` interface of ``torch.optim``, so they
plug into :func:`gdcourse.train`. Every update is checked against ``torch.optim`` step for
step in the tests.

On top of the algorithms, for every optimizer:

* per-parameter learning rates: ``lr`` is a number, one lr per parameter tensor (a list),
  or a tensor of per-element lrs shaped like the parameters;
* a schedule (:mod:`gdcourse.schedules`): the step t uses ``lr * schedule(t)``.

    opt = build("momentum", [params], lr=0.1)
    hist = gd.train([params], gd.quadratic, u, y, steps=500, optimizer=opt)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from .._types import Lr
from .._validate import as_param_list, check_number, check_param_lrs, check_unit
from ..curvature import momentum_factor
from ..errors import InvalidArgumentError, ShapeError

__all__ = ["sgd_step", "adagrad_step", "rmsprop_step", "adam_step", "Optimizer", "SGD",
           "Adagrad", "RMSProp", "Adam", "build", "OPTIMIZERS", "stability_factor"]


def _scaled_sub_(p: torch.Tensor, update: torch.Tensor, lr: Lr) -> None:
    """p <- p - lr * update, for a number lr (torch's exact op) or a per-element tensor."""
    if isinstance(lr, torch.Tensor):
        p.addcmul_(update, lr, value=-1)
    else:
        p.add_(update, alpha=-lr)


@torch.no_grad()
def sgd_step(p: torch.Tensor, g: torch.Tensor, state: dict, *, lr: Lr, momentum: float = 0.0,
             dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0) -> None:
    """One SGD step on ``p`` in place, with optional momentum, Nesterov and weight decay.

        g   <- g + weight_decay * p                      (L2 penalty, folded into g)
        buf <- g                                         on the first step
        buf <- momentum * buf + (1 - dampening) * g      afterwards
        d   <- g + momentum * buf   (Nesterov)   or   buf   (heavy ball)   or   g
        p   <- p - lr * d

    Departures from the textbook heavy ball v <- mu v - lr g; p <- p + v (these are
    torch's conventions): lr multiplies the buffer instead of living inside it, so changing
    lr mid-run rescales the whole step at once; the buffer starts at g rather than at 0;
    Nesterov uses the look-ahead reformulation that needs no gradient at a shifted point.

    Args:
        p: a parameter tensor, any shape; updated in place.
        g: its gradient, same shape.
        state: this parameter's state; holds "momentum_buffer" after the first step.
        lr: a number, or a tensor of per-element lrs broadcastable to ``p``.
    """
    if weight_decay:
        g = g.add(p, alpha=weight_decay)
    if momentum:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = g.clone()
        else:
            buf.mul_(momentum).add_(g, alpha=1 - dampening)
        g = g.add(buf, alpha=momentum) if nesterov else buf
    _scaled_sub_(p, g, lr)


@torch.no_grad()
def adagrad_step(p: torch.Tensor, g: torch.Tensor, state: dict, *, lr: Lr,
                 lr_decay: float = 0.0, eps: float = 1e-10, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0) -> None:
    """One Adagrad step on ``p`` in place (Duchi, Hazan & Singer, 2011, diagonal form).

        g  <- g + weight_decay * p                 (L2 penalty, folded into g)
        k  <- k + 1
        s  <- s + g^2                              sum of every squared gradient so far
        p  <- p - lr / (1 + (k - 1) lr_decay) * g / (sqrt(s) + eps)

    Each element gets its own step size, lr / sqrt(sum of its squared gradients): large for
    parameters whose gradients have been small, small for those with large ones. The sum
    only grows, so the steps shrink like 1 / sqrt(k) even where the gradient does not.
    Departures (torch's conventions): s starts at ``initial_accumulator_value`` rather than
    0, eps is added outside the square root (the paper's delta), and the optional
    ``lr_decay`` divides lr by 1 + (k - 1) lr_decay.

    Args:
        p, g: a parameter tensor and its gradient.
        state: "step" and "sum" (s), created on the first step.
        lr: a number, or a tensor of per-element lrs broadcastable to ``p``.
    """
    if weight_decay:
        g = g.add(p, alpha=weight_decay)
    if "step" not in state:
        state.update(step=0, sum=torch.full_like(p, initial_accumulator_value))
    state["step"] += 1
    s = state["sum"]
    s.addcmul_(g, g, value=1)
    std = s.sqrt().add_(eps)
    clr = lr / (1 + (state["step"] - 1) * lr_decay)
    if isinstance(clr, torch.Tensor):
        p.addcmul_(g / std, clr, value=-1)
    else:
        p.addcdiv_(g, std, value=-clr)


@torch.no_grad()
def rmsprop_step(p: torch.Tensor, g: torch.Tensor, state: dict, *, lr: Lr, alpha: float = 0.99,
                 eps: float = 1e-8, momentum: float = 0.0, centered: bool = False,
                 weight_decay: float = 0.0) -> None:
    """One RMSProp step on ``p`` in place (Tieleman & Hinton, 2012, lecture 6e).

        g   <- g + weight_decay * p                  (L2 penalty, folded into g)
        v   <- alpha v + (1 - alpha) g^2             running mean of g^2 (from v = 0)
        m   <- alpha m + (1 - alpha) g               (centered only) running mean of g
        d   <- sqrt(v - m^2) (centered)  or  sqrt(v),   then d <- d + eps
        buf <- momentum buf + g / d                   (momentum > 0, from buf = 0)
        p   <- p - lr * buf      or      p <- p - lr * g / d

    Adagrad's sum of squared gradients, replaced by a running mean: old gradients fade with
    weight alpha^k, so the steps no longer shrink for good. Departures: there is no bias
    correction (Adam adds one), so with alpha = 0.99 the first step is lr / sqrt(0.01) =
    10 lr per element, and the early steps are larger than later ones; eps is added
    outside the square root (TensorFlow adds it inside); momentum, as in torch, acts on the
    already-scaled step g / d, not on g.

    Args:
        p, g: a parameter tensor and its gradient.
        state: "step", "square_avg" (v), and "grad_avg" (m) / "momentum_buffer" when used.
        lr: a number, or a tensor of per-element lrs broadcastable to ``p``.
    """
    if weight_decay:
        g = g.add(p, alpha=weight_decay)
    if "step" not in state:
        state.update(step=0, square_avg=torch.zeros_like(p))
        if centered:
            state["grad_avg"] = torch.zeros_like(p)
        if momentum:
            state["momentum_buffer"] = torch.zeros_like(p)
    state["step"] += 1
    v = state["square_avg"]
    v.mul_(alpha).addcmul_(g, g, value=1 - alpha)
    if centered:
        m = state["grad_avg"]
        m.lerp_(g, 1 - alpha)
        d = v.addcmul(m, m, value=-1).sqrt_()
    else:
        d = v.sqrt()
    d.add_(eps)
    if momentum:
        buf = state["momentum_buffer"]
        buf.mul_(momentum).addcdiv_(g, d)
        _scaled_sub_(p, buf, lr)
    elif isinstance(lr, torch.Tensor):
        # (lr g) / d, the order of torch's addcdiv: RMSProp near a minimum is chaotic
        # enough that a one-ulp difference grows into a different path
        p.sub_(lr * g / d)
    else:
        p.addcdiv_(g, d, value=-lr)


@torch.no_grad()
def adam_step(p: torch.Tensor, g: torch.Tensor, state: dict, *, lr: Lr,
              betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
              weight_decay: float = 0.0) -> None:
    """One Adam step on ``p`` in place (Kingma & Ba, Algorithm 1).

        g  <- g + weight_decay * p                (L2 in the gradient; AdamW decouples it)
        k  <- k + 1
        m  <- beta1 m + (1 - beta1) g             running mean of g
        v  <- beta2 v + (1 - beta2) g^2           running mean of g^2
        p  <- p - lr / (1 - beta1^k) * m / (sqrt(v) / sqrt(1 - beta2^k) + eps)

    i.e. p <- p - lr * m_hat / (sqrt(v_hat) + eps) with the bias corrections m_hat, v_hat.
    Departures: eps is added *after* the bias correction of sqrt(v), as in torch and the
    paper's Algorithm 1 (TensorFlow/Keras add an "eps hat" to the uncorrected sqrt(v),
    which is a slightly different optimizer early on); weight decay is the L2 kind.

    Args:
        p, g: a parameter tensor and its gradient.
        state: "step", "exp_avg" (m) and "exp_avg_sq" (v), created on the first step.
        lr: a number, or a tensor of per-element lrs broadcastable to ``p``.
    """
    beta1, beta2 = betas
    if weight_decay:
        g = g.add(p, alpha=weight_decay)
    if "step" not in state:
        state.update(step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
    state["step"] += 1
    k, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
    m.lerp_(g, 1 - beta1)
    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    denom = (v.sqrt() / math.sqrt(1 - beta2 ** k)).add_(eps)
    if isinstance(lr, torch.Tensor):
        p.addcmul_(m / denom, lr / (1 - beta1 ** k), value=-1)
    else:
        p.addcdiv_(m, denom, value=-lr / (1 - beta1 ** k))


class Optimizer:
    """Shared machinery: params, per-parameter lrs, a schedule, state, step and zero_grad.

    Subclasses implement ``_update(p, g, state, lr)`` with one of the pure steps above.

    Attributes:
        params: the parameter tensors (leaves that require grad).
        lrs: one base lr per tensor (number or per-element tensor).
        schedule: maps t to an lr factor, or None.
        t: how many steps have been taken.
        state: one dict per parameter tensor.
    """

    def __init__(self, params: torch.Tensor | Iterable[torch.Tensor], *, lr: Lr | Sequence[Lr],
                 schedule: Callable[[int], float] | None = None):
        if not isinstance(params, (torch.Tensor, Sequence)) and isinstance(params, Iterable):
            params = list(params)  # e.g. model.parameters(), a generator, as torch.optim takes
        self.params = as_param_list(params)
        if not self.params:
            raise InvalidArgumentError("the optimizer got an empty list of params")
        self.lrs = check_param_lrs(lr, self.params)
        if schedule is not None and not callable(schedule):
            raise InvalidArgumentError(
                f"schedule must be callable as schedule(t) -> factor, got "
                f"{type(schedule).__name__}; see gdcourse.schedules")
        self.schedule = schedule
        self.t = 0
        self.state: list[dict] = [{} for _ in self.params]

    def _update(self, p: torch.Tensor, g: torch.Tensor, state: dict, lr: Lr) -> None:
        raise NotImplementedError

    @classmethod
    def stability_factor(cls, *, momentum: float = 0.0, dampening: float = 0.0,
                         nesterov: bool = False) -> float:
        """How far past plain descent's limit 2 / lambda_max this optimizer's lr may go.

        On a quadratic loss, descent converges exactly when lr < factor * 2 / lambda_max.
        The default, inf, is for the adaptive optimizers (Adagrad, RMSProp, Adam): they
        divide each step by the size of recent gradients, so a step is about lr long
        whatever the curvature and the curvature sets no lr limit (they hover within about
        lr of the minimum instead of diverging). The SGD family overrides this. The
        keywords are the SGD family's; the adaptive optimizers ignore them.
        """
        return math.inf

    def _factor(self) -> float:
        if self.schedule is None:
            return 1.0
        f = self.schedule(self.t)
        if isinstance(f, torch.Tensor) and f.numel() == 1:
            f = f.item()
        if (isinstance(f, bool) or not isinstance(f, (int, float)) or not math.isfinite(f)
                or f < 0):
            raise InvalidArgumentError(
                f"the schedule returned {f!r} at step {self.t} (steps counted from 0), so the "
                "learning rate would be negative or not finite; a schedule must return a "
                "finite factor >= 0 at every step (the lr used is lr * schedule(t))")
        return float(f)

    def current_lrs(self) -> list[Lr]:
        """The lrs the next ``step()`` will use (base lrs times the schedule's factor)."""
        f = self._factor()
        return [lr * f for lr in self.lrs] if f != 1.0 else list(self.lrs)

    def step(self) -> None:
        """Update every parameter that has a gradient; parameters without one are skipped."""
        for p, lr, state in zip(self.params, self.current_lrs(), self.state):
            if p.grad is not None:
                self._update(p, p.grad, state, lr)
        self.t += 1

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients (drop them, or fill them with zeros) before the next backward."""
        for p in self.params:
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach_().zero_()

    def state_dict(self) -> dict:
        """A copy of the step count and the per-parameter state (tensors cloned)."""
        return {"t": self.t, "state": _clone_state(self.state)}

    def load_state_dict(self, sd: dict) -> None:
        """Restore what :meth:`state_dict` saved (for the same list of params)."""
        if len(sd["state"]) != len(self.params):
            raise ShapeError(f"the saved state has {len(sd['state'])} entries but this "
                             f"optimizer has {len(self.params)} parameter tensors")
        self.t, self.state = int(sd["t"]), _clone_state(sd["state"])


def _clone_state(state: list[dict]) -> list[dict]:
    return [{k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in s.items()}
            for s in state]


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
