"""Learning-rate schedules: how the step size changes as training goes on.

A schedule is any callable that maps the number of steps already taken, t = 0, 1, 2, ...,
to a non-negative factor; an optimizer from :mod:`gdcourse.optim` then steps with

    lr_t = lr * schedule(t)

so one schedule serves a single lr and per-parameter lrs alike (``torch.optim``'s
``LambdaLR`` uses the same convention). With ``lr=1.0`` the factor *is* the learning rate,
which is how lecture 05 wrote its hand-made schedule. Plain functions work too::

    opt = gd.optim.SGD([params], lr=0.1, schedule=lambda t: 1.0 if t < 100 else 0.1)

>>> Piecewise([2, 4], [1.0, 0.5, 0.1]).values(6)
[1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
>>> [round(f, 4) for f in CosineDecay(4).values(6)]
[1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ._validate import check_number, check_steps
from .errors import InvalidArgumentError

__all__ = ["Schedule", "Piecewise", "StepDecay", "ExponentialDecay", "CosineDecay"]


class Schedule:
    """Base class of the built-in schedules: ``schedule(t)`` is the lr factor at step t."""

    def __call__(self, t: int) -> float:
        raise NotImplementedError

    def values(self, n: int) -> list[float]:
        """The factors of the first ``n`` steps, e.g. to plot the schedule."""
        return [self(t) for t in range(check_steps(n, name="n"))]


@dataclass(frozen=True)
class Piecewise(Schedule):
    """A constant factor between boundaries (piecewise constant, "multi-step").

        schedule(t) = factors[k]   where k = number of boundaries <= t

    Lecture 05's hand-written schedule (lr 1.0 for steps 0-39, 0.5 for 40-79, then 0.2) is
    ``Piecewise([40, 80], [1, .5, .2])`` with ``lr=1``.
    ``torch.optim.lr_scheduler.MultiStepLR(milestones, gamma)`` is the special case
    ``factors = [1, gamma, gamma**2, ...]``.

    Args:
        boundaries: strictly increasing positive step counts where the factor changes.
        factors: one more factor than boundaries, each finite and >= 0.
    """

    boundaries: Sequence[int]
    factors: Sequence[float]

    def __post_init__(self):
        bounds = [check_steps(b, name="each boundary") for b in self.boundaries]
        if any(b1 >= b2 for b1, b2 in zip(bounds, bounds[1:])):
            raise InvalidArgumentError(
                f"boundaries must be strictly increasing, got {list(self.boundaries)}")
        facs = [check_number(f, name="each factor") for f in self.factors]
        if len(facs) != len(bounds) + 1:
            raise InvalidArgumentError(
                f"Piecewise needs one more factor than boundaries (a factor before the first "
                f"boundary and one after each), got {len(bounds)} boundaries and "
                f"{len(facs)} factors")
        object.__setattr__(self, "boundaries", tuple(bounds))
        object.__setattr__(self, "factors", tuple(facs))

    def __call__(self, t: int) -> float:
        return self.factors[bisect.bisect_right(self.boundaries, t)]


@dataclass(frozen=True)
class StepDecay(Schedule):
    """Multiply the lr by ``gamma`` every ``step_size`` steps (``torch``'s ``StepLR``).

        schedule(t) = gamma ** floor(t / step_size)
    """

    step_size: int
    gamma: float = 0.1

    def __post_init__(self):
        check_steps(self.step_size, name="step_size")
        check_number(self.gamma, name="gamma", allow_zero=False)

    def __call__(self, t: int) -> float:
        return self.gamma ** (t // self.step_size)


@dataclass(frozen=True)
class ExponentialDecay(Schedule):
    """Multiply the lr by ``gamma`` every step (``torch``'s ``ExponentialLR``).

        schedule(t) = gamma ** t
    """

    gamma: float

    def __post_init__(self):
        check_number(self.gamma, name="gamma", allow_zero=False)

    def __call__(self, t: int) -> float:
        return self.gamma ** t


@dataclass(frozen=True)
class CosineDecay(Schedule):
    """Half a cosine from 1 down to ``min_factor`` over ``t_max`` steps, then flat.

        schedule(t) = m + (1 - m) (1 + cos(pi t / t_max)) / 2   for t <= t_max,  m after

    Matches ``torch``'s ``CosineAnnealingLR(T_max=t_max, eta_min=m * lr)`` for t <= t_max.
    Departure: past ``t_max`` torch's cosine climbs back up (it is periodic); here it stays
    at ``m``, which is what "decay" usually means (use restarts on purpose, not by accident).
    """

    t_max: int
    min_factor: float = 0.0

    def __post_init__(self):
        check_steps(self.t_max, name="t_max")
        check_number(self.min_factor, name="min_factor")
        if self.min_factor > 1:
            raise InvalidArgumentError(
                f"min_factor is where the cosine ends and must be <= 1, got {self.min_factor}")

    def __call__(self, t: int) -> float:
        if t >= self.t_max:
            return self.min_factor
        m = self.min_factor
        return m + (1 - m) * (1 + math.cos(math.pi * t / self.t_max)) / 2
