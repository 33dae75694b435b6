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

import torch

from ._validate import as_param_list, check_lr, check_steps, check_tensor
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
    snapshots: list = field(default_factory=list)
    best_step: int | None = None
    best_loss: float = math.inf
    final_loss: float = math.nan

    def plot(self, ax=None, **kwargs):
        """Loss against step on log axes; see :func:`gdcourse.plot.plot_history`."""
        from .plot import plot_history

        return plot_history(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        return (f"History(n_steps={self.n_steps}, final_loss={self.final_loss:.6g}, "
                f"stop_reason={self.stop_reason!r}, elapsed={self.elapsed:.3g}s)")


def _progress_default() -> bool:
    """Progress bars in notebooks and terminals; none in CI logs or pipes."""
    if os.environ.get("CI"):
        return False
    return "ipykernel" in sys.modules or sys.stderr.isatty()


def _suggest_lr(f, params, x, y, loss_fn) -> float | None:
    from .curvature import max_stable_lr

    try:
        return max_stable_lr(f, params, x, y, loss_fn, iters=100, rtol=1e-4)
    except Exception:  # a suggestion must never hide the real error
        return None


def train(params, f: Callable, x: torch.Tensor, y: torch.Tensor, *, lr: float | None = None,
          steps: int, loss_fn: Callable = mse, optimizer=None,
          target_loss: float | None = None, patience: int | None = None,
          min_delta: float = 0.0, x_val: torch.Tensor | None = None,
          y_val: torch.Tensor | None = None, restore_best: bool = False,
          explode_factor: float = 1e8, record_every: int | None = None,
          sync_every: int | None = None, snapshot_every: int | None = None,
          progress: bool | None = None) -> History:
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
    tensors = as_param_list(params)
    check_tensor(x, name="x")
    check_tensor(y, name="y")
    steps = check_steps(steps)
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
    device = tensors[0].device
    record_every = check_steps(record_every or max(1, steps // 10_000), name="record_every")
    if sync_every is None:
        exact_stop = target_loss is not None or patience is not None
        sync_every = 100 if device.type != "cpu" else 1 if exact_stop else 10
    sync_every = check_steps(sync_every, name="sync_every")
    if progress is None:
        progress = _progress_default()

    hist = History()
    pending: list[tuple[int, torch.Tensor]] = []  # recorded losses still on the device
    # The restore point: params whose loss was read and found finite. Refreshed at most every
    # 10 steps (a copy per step would cost more than the read on the CPU); a divergence puts
    # these back and still names the exact first bad step from the recorded losses.
    keep_every = sync_every * math.ceil(10 / sync_every)
    good = [p.detach().clone() for p in tensors]
    good_step = 0  # `good` holds the params after this many updates
    best = [p.detach().clone() for p in tensors] if restore_best else None
    first_loss = limit = None
    last_improved = 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc="train", unit="step", leave=False)
    bar_shown_at, bar_count = time.perf_counter(), 0

    def update() -> None:  # step 5
        if optimizer is None:
            descend(tensors, lr)
        else:
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

    def restore(saved: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for p, s in zip(tensors, saved):
                p.copy_(s)
                p.grad = None

    taken = 0  # updates applied so far
    start = time.perf_counter()
    try:
        for i in range(steps):
            loss = loss_fn(f(x, params), y)  # steps 2-3, on the params after i updates
            if (i + 1) % sync_every and i != steps - 1:
                if i % record_every == 0:
                    pending.append((i, loss.detach()))
            else:
                # --- sync point: read the losses back and apply the stop rules ----------
                # Before this step's update, so a stop hands back exactly the params whose
                # loss it read.
                if pending:  # one transfer (one wait for the device) for everything pending
                    values = torch.stack([v for _, v in pending] + [loss.detach()]).tolist()
                    current = values.pop()
                    hist.steps += [s for s, _ in pending]
                    hist.losses += values
                    pending.clear()
                else:  # syncing every step: one plain read
                    values = ()
                    current = loss.item()
                if i % record_every == 0:
                    hist.steps.append(i)
                    hist.losses.append(current)
                if first_loss is None:
                    first_loss = values[0] if values else current
                    limit = explode_factor * max(first_loss, 1e-300)
                if not (math.isfinite(current) and current <= limit) or (values and not all(
                        math.isfinite(v) and v <= limit for v in values)):
                    restore(good)
                    # the first bad recorded loss pins the step down between sparse syncs
                    bad = [(s, v) for s, v in zip(hist.steps, hist.losses)
                           if s > good_step and not (math.isfinite(v) and v <= limit)]
                    at, value = bad[0] if bad else (i, current)
                    raise _divergence(value, at, lr, optimizer, f, params, x, y, loss_fn,
                                      hist, restored_to=good_step)
                if (i + 1) % keep_every == 0:
                    with torch.no_grad():
                        for g, p in zip(good, tensors):
                            g.copy_(p)
                    good_step = i

                watched = current
                if x_val is not None:
                    with torch.no_grad():
                        watched = float(loss_fn(f(x_val, params), y_val))
                    hist.val_steps.append(i)
                    hist.val_losses.append(watched)
                if watched < hist.best_loss - min_delta:
                    hist.best_loss, hist.best_step, last_improved = watched, i, i
                    if best is not None:
                        with torch.no_grad():
                            for b, p in zip(best, tensors):
                                b.copy_(p)
                if bar is not None and time.perf_counter() - bar_shown_at > 0.1:
                    bar.update(i - bar_count)
                    bar.set_postfix(loss=f"{current:.4g}", refresh=False)
                    bar_shown_at, bar_count = time.perf_counter(), i
                if target_loss is not None and current <= target_loss:
                    hist.stop_reason = "target_loss"
                    break
                if patience is not None and i - last_improved >= patience:
                    hist.stop_reason = "plateau"
                    if best is not None:
                        restore(best)
                    break

            loss.backward()  # step 4
            update()
            taken = i + 1
            if snapshot_every and taken % snapshot_every == 0:
                hist.snapshot_steps.append(taken)
                hist.snapshots.append([p.detach().cpu().clone() for p in tensors]
                                      if len(tensors) > 1 else tensors[0].detach().cpu().clone())
        else:
            hist.stop_reason = "steps"
            # The last update was never checked: look at its params once, so a run never
            # ends on nan params (and reports it the way fast_forward does).
            with torch.no_grad():
                final = float(loss_fn(f(x, params), y))
            if not (math.isfinite(final) and final <= limit):
                restore(good)
                raise _divergence(final, steps - 1, lr, optimizer, f, params, x, y, loss_fn,
                                  hist, restored_to=good_step)
            hist.final_loss = final
    except KeyboardInterrupt:
        hist.stop_reason = "interrupted"
        for p in tensors:
            p.grad = None
    finally:
        hist.n_steps = taken
        hist.elapsed = time.perf_counter() - start
        if bar is not None:
            bar.update(taken - bar_count)
            bar.close()
    if hist.stop_reason != "steps":  # an early stop or Ctrl-C: the loss of what is handed back
        with torch.no_grad():
            hist.final_loss = float(loss_fn(f(x, params), y))
    return hist


def _divergence(loss, i, lr, optimizer, f, params, x, y, loss_fn, hist, *,
                restored_to: int) -> DivergenceError:
    return DivergenceError.for_loss(
        loss, step=i + 1, lr=lr, history=hist,
        setting=f"lr={lr:g}" if optimizer is None else f"optimizer {type(optimizer).__name__}",
        restored=("params were put back to " + ("their starting values" if restored_to == 0 else
                  f"their values after {restored_to:,} steps") + ", the last checked with a "
                  "finite loss"),
        suggested_lr=_suggest_lr(f, params, x, y, loss_fn),
    )
