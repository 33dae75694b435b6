"""Steps 6 and 7 of the recipe: repeat the step, and know when to stop.

``train`` runs predict -> loss -> backward -> step in a loop and returns a :class:`History`.
It stops at the first of:

    "steps"           the step budget is spent
    "target_loss"     loss <= target_loss
    "plateau"         the watched loss has not improved by min_delta for `patience` steps
                      (the validation loss when x_val/y_val are given: early stopping)
    "interrupted"     Ctrl-C; params are left as they were after the last whole step
and raises :class:`~gdcourse.errors.DivergenceError` when the loss turns nan/inf or explodes,
after restoring params to recent values whose loss was read and found finite (the restore
point is refreshed every 10 steps or every sync, whichever is rarer).

Reading a loss back from a GPU waits for the GPU (a "sync"), so the loop reads losses only
every ``sync_every`` steps; everything else stays on the device.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from tqdm.auto import tqdm

from ._types import LossFn, Model, Optimizer, Params
from ._validate import as_param_list, check_lr, check_steps, check_tensor
from .curvature import max_stable_lr
from .errors import DivergenceError, InvalidArgumentError
from .recipe import descend, mse

__all__ = ["History", "train"]


@dataclass
class History:
    """What happened during :func:`train`.

    Attributes:
        steps: step numbers at which a loss was recorded; the loss at step k is that of the
            params after k updates.
        losses: the training losses at those steps.
        val_steps, val_losses: the same for the validation loss, when one was given.
        n_steps: how many update steps were taken.
        stop_reason: "steps", "target_loss", "plateau", "interrupted".
        elapsed: wall-clock seconds in the loop.
        snapshot_steps, snapshots: params copies (on the CPU) every ``snapshot_every`` steps.
        best_step, best_loss: where the watched loss was lowest (restore_best puts back the
            params after ``best_step`` updates).
        final_loss: the training loss of the params :func:`train` handed back (read with one
            forward pass after the loop; nan when the run diverged). ``losses[-1]`` is the
            last loss *recorded*, read before the last update.
    """

    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    val_steps: list[int] = field(default_factory=list)
    val_losses: list[float] = field(default_factory=list)
    n_steps: int = 0
    stop_reason: str = ""
    elapsed: float = 0.0
    snapshot_steps: list[int] = field(default_factory=list)
    snapshots: list[Any] = field(default_factory=list)
    best_step: int | None = None
    best_loss: float = math.inf
    final_loss: float = math.nan

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Loss against step on log axes; see :func:`gdcourse.plot.plot_history`."""
        # Imported here: the figures room is loaded with the first figure (matplotlib), and
        # it draws fits with gdcourse.quadratic, which imports this module.
        from .plot import plot_history

        return plot_history(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        return (f"History(n_steps={self.n_steps}, final_loss={self.final_loss:.6g}, "
                f"stop_reason={self.stop_reason!r}, elapsed={self.elapsed:.3g}s)")


def train(params: Params, f: Model, x: torch.Tensor, y: torch.Tensor, *,
          lr: float | None = None, steps: int, loss_fn: LossFn = mse,
          optimizer: Optimizer | None = None, target_loss: float | None = None,
          patience: int | None = None, min_delta: float = 0.0,
          x_val: torch.Tensor | None = None, y_val: torch.Tensor | None = None,
          restore_best: bool = False, explode_factor: float = 1e8,
          record_every: int | None = None, sync_every: int | None = None,
          snapshot_every: int | None = None, progress: bool | None = None) -> History:
    """Steps 6 and 7: repeat apply_step until a stop rule fires.

    Each step:  preds = f(x, params);  L = loss_fn(preds, y);  L.backward();  update.
    The update is plain SGD, theta <- theta - lr * g, unless ``optimizer`` is given: any
    object with ``step()`` and ``zero_grad()`` (``torch.optim`` optimizers and the ones in
    ``gdcourse.optim``).

    Args:
        params: leaf tensor(s) that require grad; updated in place.
        f: the model ``f(x, params)``.
        x, y: training inputs and targets.
        lr: learning rate of plain SGD (leave None when passing an optimizer).
        steps: the step budget.
        loss_fn: ``loss_fn(preds, y)`` returning a scalar.
        optimizer: replaces plain SGD.
        target_loss: stop once the training loss is at or below this.
        patience: stop when the watched loss (validation if given, else training) has not
            improved by more than ``min_delta`` for this many steps.
        x_val, y_val: a validation set, evaluated at every sync.
        restore_best: on a plateau stop, put back the params with the best watched loss.
        explode_factor: a loss above ``explode_factor`` times the first one counts as diverged.
        record_every: record the training loss every this many steps (default: about
            10,000 records over the budget).
        sync_every: read losses back to the host every this many steps: progress, stop rules
            and divergence checks happen then, so a stop lands on a sync step (the first bad
            loss of a divergence is still located exactly from the recorded losses). Default:
            100 on accelerators, where each read waits for the device; on the CPU 1 when a
            target_loss or patience asks for an exact stop, else 10 (a read is cheap there,
            but not free).
        snapshot_every: keep a CPU copy of params every this many steps (for animations).
        progress: show a tqdm bar (default: in notebooks and terminals, not in CI).

    Returns:
        A :class:`History`.

    Raises:
        DivergenceError: the loss became nan/inf or exploded (the message names the first bad
            step); params hold recent values with a finite loss, and the message suggests a
            stable lr.
    """
    tensors, lr = _check_args(params, x, y, lr=lr, optimizer=optimizer, patience=patience,
                              restore_best=restore_best, x_val=x_val, y_val=y_val)
    steps = check_steps(steps)
    record_every, sync_every = _cadence(steps, tensors[0].device, record_every, sync_every,
                                        exact_stop=target_loss is not None or patience is not None)
    hist = History()
    pending = _PendingLosses(hist, record_every)
    guard = _RestorePoint(hist, tensors, explode_factor,
                          every=sync_every * math.ceil(10 / sync_every))
    rules = _StopRules(hist, tensors, target_loss=target_loss, patience=patience,
                       min_delta=min_delta, keep_best=restore_best,
                       validate=None if x_val is None or y_val is None else
                       lambda: _loss_of(f, params, x_val, y_val, loss_fn))
    bar = _Progress(steps, _progress_default() if progress is None else progress)
    update = _update_rule(tensors, lr, optimizer)

    def diverged(step: int, value: float) -> DivergenceError:
        guard.restore()
        return _divergence(value, step, lr, optimizer, f, params, x, y, loss_fn, hist,
                           restored_to=guard.step)

    start = time.perf_counter()
    try:
        for i in range(steps):
            loss = loss_fn(f(x, params), y)           # predict, loss: params after i updates
            if (i + 1) % sync_every and i != steps - 1:
                pending.keep(i, loss)                 # record; read back at the next sync
            else:                                     # a sync: record, check, maybe stop
                current, earlier = pending.read(i, loss)
                if bad := guard.first_bad(i, current, earlier):
                    raise diverged(*bad)
                guard.refresh(i)
                bar.show(i, current)
                if reason := rules.check(i, current):
                    hist.stop_reason = reason         # before the update: params match loss
                    break
            loss.backward()                           # backward
            update()                                  # update
            hist.n_steps = i + 1
            if snapshot_every and hist.n_steps % snapshot_every == 0:
                _take_snapshot(hist, tensors)
        else:
            hist.stop_reason = "steps"
    except KeyboardInterrupt:
        hist.stop_reason = "interrupted"              # params as after the last whole step
        _clear_grads(tensors)
    finally:
        hist.elapsed = time.perf_counter() - start
        bar.close(hist.n_steps)
    final = _loss_of(f, params, x, y, loss_fn)        # one look at the params handed back
    if hist.stop_reason == "steps" and not guard.ok(final):  # the last update was unchecked
        raise diverged(steps - 1, final)
    hist.final_loss = final
    return hist


# --- bookkeeping, each piece testable on its own ------------------------------------------

def _check_args(params: Params, x: torch.Tensor, y: torch.Tensor, *, lr: float | None,
                optimizer: Optimizer | None, patience: int | None, restore_best: bool,
                x_val: torch.Tensor | None, y_val: torch.Tensor | None,
                ) -> tuple[list[torch.Tensor], float | None]:
    """train's arguments, checked together: (params as a list of leaf tensors, lr as a float
    or None with an optimizer)."""
    tensors = as_param_list(params)
    check_tensor(x, name="x")
    check_tensor(y, name="y")
    if optimizer is None:
        if lr is None:
            raise InvalidArgumentError("train needs lr=... (or an optimizer=...)")
        lr = check_lr(lr)
    elif lr is not None:
        raise InvalidArgumentError(
            "pass lr either to train (plain SGD) or to the optimizer, not both"
        )
    for p in tensors:
        if not (p.is_leaf and p.requires_grad):
            raise InvalidArgumentError(
                "params must be leaf tensors with requires_grad=True; create them with "
                "init_params() or call .detach().requires_grad_()"
            )
    if (x_val is None) != (y_val is None):
        raise InvalidArgumentError("give both x_val and y_val for validation, or neither")
    if patience is not None:
        check_steps(patience, name="patience")
    if restore_best and patience is None:
        raise InvalidArgumentError("restore_best needs a patience (it acts on plateau stops)")
    return tensors, lr


def _cadence(steps: int, device: torch.device, record_every: int | None,
             sync_every: int | None, *, exact_stop: bool) -> tuple[int, int]:
    """(record_every, sync_every) with the defaults filled in: about 10,000 records per run;
    a read every 100 steps on accelerators (each waits for the device), on the CPU every
    step when a stop must be exact, else every 10 (cheap there, but not free)."""
    if sync_every is None:
        sync_every = 100 if device.type != "cpu" else 1 if exact_stop else 10
    return (check_steps(record_every or max(1, steps // 10_000), name="record_every"),
            check_steps(sync_every, name="sync_every"))


class _PendingLosses:
    """Recorded losses stay on the device until a sync reads them all in one transfer."""

    def __init__(self, hist: History, record_every: int):
        self.hist, self.record_every = hist, record_every
        self.steps: list[int] = []
        self.losses: list[torch.Tensor] = []

    def keep(self, i: int, loss: torch.Tensor) -> None:
        if i % self.record_every == 0:
            self.steps.append(i)
            self.losses.append(loss.detach())

    def read(self, i: int, loss: torch.Tensor) -> tuple[float, list[float]]:
        """(the loss at step i, the pending ones), all now in the History where recorded."""
        if self.losses:  # one transfer (one wait for the device) for everything pending
            earlier = torch.stack([*self.losses, loss.detach()]).tolist()
            current = earlier.pop()
        else:  # syncing every step: one plain read
            earlier, current = [], loss.item()
        self.hist.steps += self.steps
        self.hist.losses += earlier
        self.steps, self.losses = [], []
        if i % self.record_every == 0:
            self.hist.steps.append(i)
            self.hist.losses.append(current)
        return current, earlier


class _RestorePoint:
    """The divergence guard: params whose loss was read and found finite, and the rule.

    A loss diverged when it is nan/inf or above ``explode_factor`` times the first one. The
    copy is refreshed every ``every`` steps (a copy per step would cost more than the read
    on the CPU); a divergence puts it back and still names the exact first bad step from
    the recorded losses.
    """

    def __init__(self, hist: History, tensors: list[torch.Tensor], explode_factor: float, *,
                 every: int):
        self.hist, self.tensors, self.every = hist, tensors, every
        self.explode_factor = explode_factor
        self.saved = [p.detach().clone() for p in tensors]
        self.step = 0  # ``saved`` holds the params after this many updates
        self.first_loss: float | None = None
        self.limit = math.inf  # explode_factor times the first loss, once read

    def ok(self, value: float) -> bool:
        return math.isfinite(value) and value <= self.limit

    def first_bad(self, i: int, current: float, earlier: list[float]
                  ) -> tuple[int, float] | None:
        """(step, loss) of the first diverged loss read at the sync of step i, or None."""
        if self.first_loss is None:
            self.first_loss = earlier[0] if earlier else current
            self.limit = self.explode_factor * max(self.first_loss, 1e-300)
        if self.ok(current) and all(self.ok(v) for v in earlier):
            return None
        # the first bad recorded loss pins the step down between sparse syncs
        bad = [(s, v) for s, v in zip(self.hist.steps, self.hist.losses)
               if s > self.step and not self.ok(v)]
        return bad[0] if bad else (i, current)

    def refresh(self, i: int) -> None:
        """Keep the params after i updates, whose loss was just found finite."""
        if (i + 1) % self.every == 0:
            _copy_into(self.saved, self.tensors)
            self.step = i

    def restore(self) -> None:
        _put_back(self.tensors, self.saved)


class _StopRules:
    """target_loss and patience (plateau) on the loss read at a sync, and the best params."""

    def __init__(self, hist: History, tensors: list[torch.Tensor], *,
                 target_loss: float | None, patience: int | None, min_delta: float,
                 keep_best: bool, validate: Callable[[], float] | None):
        self.hist, self.tensors, self.validate = hist, tensors, validate
        self.target_loss, self.patience, self.min_delta = target_loss, patience, min_delta
        self.best = [p.detach().clone() for p in tensors] if keep_best else None
        self.last_improved = 0

    def check(self, i: int, current: float) -> str | None:
        """The stop reason at step i ("target_loss", "plateau") or None to go on."""
        hist, watched = self.hist, current
        if self.validate is not None:
            watched = self.validate()
            hist.val_steps.append(i)
            hist.val_losses.append(watched)
        if watched < hist.best_loss - self.min_delta:
            hist.best_loss, hist.best_step, self.last_improved = watched, i, i
            if self.best is not None:
                _copy_into(self.best, self.tensors)
        if self.target_loss is not None and current <= self.target_loss:
            return "target_loss"
        if self.patience is not None and i - self.last_improved >= self.patience:
            if self.best is not None:
                _put_back(self.tensors, self.best)
            return "plateau"
        return None


class _Progress:
    """A tqdm bar, redrawn at most every 0.1 s (a redraw costs more than a step)."""

    def __init__(self, steps: int, show: bool):
        self.bar = tqdm(total=steps, desc="train", unit="step", leave=False) if show else None
        self.shown_at, self.count = time.perf_counter(), 0

    def show(self, i: int, loss: float) -> None:
        if self.bar is not None and time.perf_counter() - self.shown_at > 0.1:
            self.bar.update(i - self.count)
            self.bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
            self.shown_at, self.count = time.perf_counter(), i

    def close(self, n_steps: int) -> None:
        if self.bar is not None:
            self.bar.update(n_steps - self.count)
            self.bar.close()


def _update_rule(tensors: list[torch.Tensor], lr: float | None,
                 optimizer: Optimizer | None) -> Callable[[], None]:
    """The update: plain SGD, theta <- theta - lr g, or the optimizer's step."""
    if optimizer is None:
        rate = check_lr(lr)  # checked already; this narrows float | None to float
        return lambda: descend(tensors, rate)
    opt = optimizer

    def step() -> None:
        opt.step()
        opt.zero_grad(set_to_none=True)

    return step


def _loss_of(f: Model, params: Params, x: torch.Tensor, y: torch.Tensor,
             loss_fn: LossFn) -> float:
    with torch.no_grad():
        return float(loss_fn(f(x, params), y))


def _copy_into(saved: list[torch.Tensor], tensors: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for s, p in zip(saved, tensors):
            s.copy_(p)


def _put_back(tensors: list[torch.Tensor], saved: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for p, s in zip(tensors, saved):
            p.copy_(s)
            p.grad = None


def _clear_grads(tensors: list[torch.Tensor]) -> None:
    for p in tensors:
        p.grad = None


def _take_snapshot(hist: History, tensors: list[torch.Tensor]) -> None:
    """A CPU copy of the params after ``hist.n_steps`` updates (for animations)."""
    copies = [p.detach().cpu().clone() for p in tensors]
    hist.snapshot_steps.append(hist.n_steps)
    hist.snapshots.append(copies if len(copies) > 1 else copies[0])


def _progress_default() -> bool:
    """Progress bars in notebooks and terminals; none in CI logs or pipes."""
    if os.environ.get("CI"):
        return False
    return "ipykernel" in sys.modules or sys.stderr.isatty()


def _suggest_lr(f: Model, params: Params, x: torch.Tensor, y: torch.Tensor,
                loss_fn: LossFn) -> float | None:
    try:
        return max_stable_lr(f, params, x, y, loss_fn, iters=100, rtol=1e-4)
    except Exception:  # a suggestion must never hide the real error
        return None


def _divergence(loss: float, i: int, lr: float | None, optimizer: Optimizer | None, f: Model,
                params: Params, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn,
                hist: History, *, restored_to: int) -> DivergenceError:
    return DivergenceError.for_loss(
        loss, step=i + 1, lr=lr, history=hist,
        setting=f"lr={lr:g}" if optimizer is None else f"optimizer {type(optimizer).__name__}",
        restored=("params were put back to " + ("their starting values" if restored_to == 0 else
                  f"their values after {restored_to:,} steps") + ", the last checked with a "
                  "finite loss"),
        suggested_lr=_suggest_lr(f, params, x, y, loss_fn),
    )
