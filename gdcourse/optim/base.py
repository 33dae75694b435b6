"""The optimizer base class: what every gdcourse optimizer shares, whatever its update.

:class:`Optimizer` holds the parameter tensors, one base lr per tensor, an optional
schedule, the step count t and one state dict per tensor, and gives them the ``step()`` /
``zero_grad()`` / ``state_dict()`` interface of ``torch.optim``. A subclass adds only its
hyper-parameters and ``_update``, which calls one pure step of :mod:`gdcourse.optim.steps`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import torch

from .._types import Lr
from .._validate import as_param_list, check_param_lrs
from ..errors import InvalidArgumentError, ShapeError

__all__ = ["Optimizer"]


class Optimizer:
    """Shared machinery: params, per-parameter lrs, a schedule, state, step and zero_grad.

    Subclasses implement ``_update(p, g, state, lr)`` with one of the pure steps of
    :mod:`gdcourse.optim.steps`.

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
