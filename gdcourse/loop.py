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
import time

import torch

from ._loop_parts import (
    PendingLosses,
    Progress,
    RestorePoint,
    StopRules,
    cadence,
    check_args,
    clear_grads,
    loss_of,
    progress_default,
    take_snapshot,
    update_rule,
)
from ._types import LossFn, Model, Optimizer, Params
from ._validate import check_steps
from .curvature import max_stable_lr
from .errors import DivergenceError
from .history import History
from .recipe import mse

__all__ = ["History", "train"]


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
        A :class:`History`; its ``final_loss`` is the loss of the params handed back (one
        forward pass after the loop), ``losses`` those read before each recorded update.

    Raises:
        DivergenceError: the loss became nan/inf or exploded (the message names the first bad
            step); params hold recent values with a finite loss, and the message suggests a
            stable lr.

    >>> from gdcourse import init_params, make_signal, quadratic
    >>> t, y = make_signal(seed=666); params = init_params(3, seed=666)
    >>> hist = train(params, quadratic, t, y, lr=1e-5, steps=100, progress=False)
    >>> hist.n_steps, hist.stop_reason, hist.final_loss < hist.losses[-1] < hist.losses[0]
    (100, 'steps', True)
    """
    tensors, lr = check_args(params, x, y, lr=lr, optimizer=optimizer, patience=patience,
                             restore_best=restore_best, x_val=x_val, y_val=y_val)
    steps = check_steps(steps)
    record_every, sync_every = cadence(steps, tensors[0].device, record_every, sync_every,
                                       exact_stop=target_loss is not None or patience is not None)
    hist = History()
    pending = PendingLosses(hist, record_every)
    guard = RestorePoint(hist, tensors, explode_factor,
                         every=sync_every * math.ceil(10 / sync_every))
    rules = StopRules(hist, tensors, target_loss=target_loss, patience=patience,
                      min_delta=min_delta, keep_best=restore_best,
                      validate=None if x_val is None or y_val is None else
                      lambda: loss_of(f, params, x_val, y_val, loss_fn))
    bar = Progress(steps, progress_default() if progress is None else progress)
    update = update_rule(tensors, lr, optimizer)

    def diverged(step: int, value: float) -> DivergenceError:
        bar.close(step + 1)                           # the bar ends where the error says
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
                take_snapshot(hist, tensors)
        else:
            hist.stop_reason = "steps"
    except KeyboardInterrupt:
        hist.stop_reason = "interrupted"              # params as after the last whole step
        clear_grads(tensors)
    finally:
        hist.elapsed = time.perf_counter() - start
        bar.close(hist.n_steps)
    final = loss_of(f, params, x, y, loss_fn)         # one look at the params handed back
    if hist.stop_reason == "steps" and not guard.ok(final):  # the last update was unchecked
        raise diverged(steps - 1, final)
    hist.final_loss = final
    return hist


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
