"""The explorer's arithmetic: one exact fast-forward per redraw, and what it means.

The loss of every explorer view is a least-squares bowl, L(theta) = (1/N) |X theta - y|^2,
whose Hessian H = (2/N) X^T X is constant. Descent with learning rate lr (and heavy-ball
momentum mu) is stable exactly when

    lr < 2 (1 + mu) / lambda_max(H),

the limit the explorer marks. One redraw is one call of :func:`gdcourse.fast_forward`, which
gives the params and the loss at ~150 recorded steps out of as many as a million, exactly,
by repeated squaring of the one-step matrix: never a Python loop over the steps.

    problem = parabola_problem(t, y, params0)
    outcome = run(problem, lr=1e-5, steps=1_000_000)
    outcome.readout()     # 'loss 9.31 after 1,000,000 steps, 1.572 x the optimum ...'
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from .._validate import check_lr, check_steps, check_tensor, check_unit
from ..curvature import mse_hessian, stable_lr_limit
from ..errors import DivergenceError, ShapeError
from ..fast import fast_forward
from ..quadratic import design_matrix_quadratic

__all__ = ["Problem", "Outcome", "parabola_problem", "valley_problem", "record_marks", "run"]

EXPLODE = 1e8  # train's rule: a loss above 1e8 x its start has diverged


@dataclass(frozen=True)
class Problem:
    """A least-squares loss (1/N) |X theta - y|^2 and the start theta_0 of every run.

    Attributes:
        X: design matrix, (N, P), float64 on the CPU. y: targets, (N,). params0: (P,).
        lambda_max: the largest eigenvalue of H = (2/N) X^T X.
        optimal_params: the least-squares optimum theta*, (P,); optimal_loss: L(theta*).
        name: "parabola" or "valley" (which picture the view draws).
        t: the times of the parabola's data (None for the valley).
    """

    X: torch.Tensor
    y: torch.Tensor
    params0: torch.Tensor
    lambda_max: float
    optimal_params: torch.Tensor
    optimal_loss: float
    name: str
    t: torch.Tensor | None = None

    def limit(self, momentum: float = 0.0) -> float:
        """The largest stable lr, 2 (1 + mu) / lambda_max."""
        return stable_lr_limit(mse_hessian(self.X), momentum)


def _cpu64(x: torch.Tensor) -> torch.Tensor:
    return x.detach().to(device="cpu", dtype=torch.float64)


def _problem(X: torch.Tensor, y: torch.Tensor, params0: torch.Tensor, name: str,
             t: torch.Tensor | None = None) -> Problem:
    X, y, params0 = _cpu64(X), _cpu64(y), _cpu64(params0)
    if params0.shape != (X.shape[1],):
        raise ShapeError(f"params0 must have shape ({X.shape[1]},), one value per column of "
                         f"X, got {tuple(params0.shape)}")
    best = torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1)  # (P,)
    lam = float(torch.linalg.eigvalsh(mse_hessian(X))[-1])
    return Problem(X=X, y=y, params0=params0, lambda_max=lam, optimal_params=best,
                   optimal_loss=float(((X @ best - y) ** 2).mean()), name=name, t=t)


def parabola_problem(t: torch.Tensor, y: torch.Tensor, params0: torch.Tensor) -> Problem:
    """Lecture 02's fit: a t^2 + b t + c to (t, y) on raw time, starting from params0.

    Args:
        t, y: times and signal, shape (N,), on any device (copied to the CPU in float64).
        params0: the start (a, b, c), shape (3,).
    """
    check_tensor(t, name="t")
    check_tensor(y, name="y")
    check_tensor(params0, name="params0")
    if t.dim() != 1 or t.shape != y.shape:
        raise ShapeError(f"t and y must be 1-D and of one length, got shapes "
                         f"{tuple(t.shape)} and {tuple(y.shape)}")
    t64 = _cpu64(t)
    return _problem(design_matrix_quadratic(t64), y, params0, "parabola", t=t64)


def valley_problem(curvature: tuple[float, float], start: tuple[float, float]) -> Problem:
    """Lecture 06's valley L(theta) = 1/2 (c_1 theta_1^2 + c_2 theta_2^2) as least squares.

    With X = diag(sqrt(c_1), sqrt(c_2)), y = 0 and N = 2, (1/N) |X theta|^2 is exactly that
    valley, H = diag(c_1, c_2), and its optimum is theta* = 0 with loss 0.
    """
    c = torch.as_tensor(curvature, dtype=torch.float64)
    if c.shape != (2,) or not bool((c > 0).all()):
        raise ShapeError(f"curvature must be two positive numbers, got {curvature!r}")
    return _problem(torch.diag(c.sqrt()), torch.zeros(2, dtype=torch.float64),
                    torch.as_tensor(start, dtype=torch.float64), "valley")


def record_marks(steps: int, *, every: int = 100, spread: int = 120) -> list[int]:
    """Which steps to record: each of the first ``every``, then ~``spread`` spaced evenly on
    a log scale up to ``steps`` (a path needs its first steps; a loss curve on log axes
    needs the rest only sparsely)."""
    dense = range(min(steps, every) + 1)
    sparse = np.geomspace(1, steps, spread).round().astype(np.int64).tolist()
    return sorted({*dense, *sparse, steps})


@dataclass
class Outcome:
    """One run of the explorer: the recorded steps of descent from the problem's start.

    Attributes:
        steps: recorded step numbers, ascending, (K,); losses: L at those steps, (K,);
        params: theta at those steps, (K, P); all numpy float64.
        lr, momentum, n_steps: the settings.
        diverged_at: the step at which the loss passed EXPLODE x its start (train's rule),
            or None; the recorded steps then stop there.
        limit: the stability limit 2 (1 + mu) / lambda_max; optimal_loss: L(theta*).
        elapsed: seconds spent in fast_forward.
    """

    steps: np.ndarray
    losses: np.ndarray
    params: np.ndarray
    lr: float
    momentum: float
    n_steps: int
    diverged_at: int | None
    limit: float
    optimal_loss: float
    elapsed: float

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    def readout(self) -> str:
        """What happened, in one line: the loss and its ratio to the optimum, or 'diverged'."""
        where = (f"lr {self.lr:.3g} is {self.lr / self.limit:.2f} x the stability limit "
                 f"{self.limit:.3g}")
        if self.diverged_at is not None:
            return (f"diverged at step {self.diverged_at:,}: the loss passed "
                    f"{EXPLODE:.0e} x its start. {where}.")
        loss = f"loss {self.final_loss:.4g} after {self.n_steps:,} steps"
        if self.optimal_loss > 1e-12:
            loss += (f", {self.final_loss / self.optimal_loss:.4g} x the optimum "
                     f"{self.optimal_loss:.4g}")
        else:
            loss += " (the optimum is 0)"
        if self.lr >= self.limit:
            grows = "; above it the loss grows until it diverges"
            return f"{loss}. {where}{grows}."
        return f"{loss}. {where}: stable."


def run(problem: Problem, *, lr: float, steps: int, momentum: float = 0.0,
        marks: list[int] | None = None) -> Outcome:
    """``steps`` steps of descent (with heavy-ball ``momentum``) from ``problem.params0``.

    One :func:`gdcourse.fast_forward` call; a run that diverges takes a second one that
    records the steps up to the blow-up (with no explosion rule, so the curve shows it).

    Args:
        problem: from :func:`parabola_problem` or :func:`valley_problem`.
        lr: the learning rate; steps: 1 to any count (a million costs ~20 matrix squarings).
        momentum: mu in [0, 1).
        marks: the steps to record (default :func:`record_marks`).
    """
    lr = check_lr(lr)
    steps = check_steps(steps)
    momentum = check_unit(momentum, name="momentum")
    marks = record_marks(steps) if marks is None else marks
    began = time.perf_counter()
    X, y, p0 = problem.X, problem.y, problem.params0
    diverged_at = None
    try:
        done = fast_forward(X, y, p0, lr=lr, steps=steps, momentum=momentum, at=marks,
                            explode_factor=EXPLODE)
    except DivergenceError as err:
        # err.step counts the step whose params' loss exploded: theta_{step - 1}.
        diverged_at = int(err.step or 1)
        done = _up_to(problem, lr, momentum, marks, last=max(diverged_at - 1, 0))
    steps_done = np.asarray(done.steps, dtype=np.int64)
    return Outcome(steps=steps_done, losses=done.losses.detach().cpu().numpy(),
                   params=done.params.detach().cpu().numpy(), lr=lr, momentum=momentum,
                   n_steps=steps, diverged_at=diverged_at, limit=problem.limit(momentum),
                   optimal_loss=problem.optimal_loss, elapsed=time.perf_counter() - began)


def _up_to(problem: Problem, lr: float, momentum: float, marks: list[int], last: int):
    """The recorded steps 0..last of a diverging run (last = the exploded params)."""
    for end in (last, last - 1):
        if end < 1:
            break
        try:
            return fast_forward(problem.X, problem.y, problem.params0, lr=lr, steps=end,
                                momentum=momentum, at=[m for m in marks if m < end] + [end],
                                explode_factor=math.inf)
        except DivergenceError:  # overflow to nan: stop one step earlier
            continue
    return fast_forward(problem.X, problem.y, problem.params0, lr=lr, steps=1,
                        momentum=momentum, at=[0], explode_factor=math.inf)
