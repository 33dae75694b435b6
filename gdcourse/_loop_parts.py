"""train's bookkeeping, one small piece at a time (private: train's body uses them by name).

    check_args, cadence     the arguments checked, the defaults of record_every/sync_every
    PendingLosses           losses kept on the device, read back in one transfer at a sync
    RestorePoint            the divergence rule and the params it puts back
    StopRules               target_loss, patience (plateau) and the best params
    Progress                the tqdm bar, redrawn at most every 0.1 s
    update_rule             plain SGD or the optimizer's step
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable

import torch
from tqdm.auto import tqdm

from ._types import LossFn, Model, Optimizer, Params
from ._validate import as_param_list, check_lr, check_steps, check_tensor
from .errors import InvalidArgumentError
from .history import History
from .recipe import descend


def check_args(params: Params, x: torch.Tensor, y: torch.Tensor, *, lr: float | None,
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


def cadence(steps: int, device: torch.device, record_every: int | None,
            sync_every: int | None, *, exact_stop: bool) -> tuple[int, int]:
    """(record_every, sync_every) with the defaults filled in: about 10,000 records per run;
    a read every 100 steps on accelerators (each waits for the device), on the CPU every
    step when a stop must be exact, else every 10 (cheap there, but not free)."""
    if sync_every is None:
        sync_every = 100 if device.type != "cpu" else 1 if exact_stop else 10
    return (check_steps(record_every or max(1, steps // 10_000), name="record_every"),
            check_steps(sync_every, name="sync_every"))


class PendingLosses:
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


class RestorePoint:
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
            copy_into(self.saved, self.tensors)
            self.step = i

    def restore(self) -> None:
        put_back(self.tensors, self.saved)


class StopRules:
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
                copy_into(self.best, self.tensors)
        if self.target_loss is not None and current <= self.target_loss:
            return "target_loss"
        if self.patience is not None and i - self.last_improved >= self.patience:
            if self.best is not None:
                put_back(self.tensors, self.best)
            return "plateau"
        return None


class Progress:
    """A tqdm bar, redrawn at most every 0.1 s (a redraw costs more than a step).

    ``close(n)`` draws the bar once more at ``n`` steps, with the last loss read, before it
    closes: tqdm's own close leaves the text of its last redraw, and in a notebook
    (``leave=False``) that text is what the saved widget state and the course book keep,
    a count from up to 0.1 s before the end ("148/200" for a run of 200 steps, "0/1000"
    for one shorter than a redraw). Only the first close counts: a run stopped by
    divergence closes at the step the error names, and train's own close is then a no-op.
    """

    def __init__(self, steps: int, show: bool, desc: str = "train"):
        self.bar = tqdm(total=steps, desc=desc, unit="step", leave=False) if show else None
        self.shown_at, self.count = time.perf_counter(), 0
        self.loss: float | None = None

    def show(self, i: int, loss: float) -> None:
        if self.bar is not None:
            self.loss = loss
            if time.perf_counter() - self.shown_at > 0.1:
                self.bar.update(i - self.count)
                self.bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
                self.shown_at, self.count = time.perf_counter(), i

    def close(self, n_steps: int) -> None:
        """The bar at ``n_steps`` done, drawn, then closed (once; later calls do nothing)."""
        bar, self.bar = self.bar, None
        if bar is not None:
            bar.n = self.count = n_steps
            if self.loss is not None:
                bar.set_postfix(loss=f"{self.loss:.4g}", refresh=False)
            bar.refresh()  # the final count, text and widget alike
            bar.close()


def update_rule(tensors: list[torch.Tensor], lr: float | None,
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


def loss_of(f: Model, params: Params, x: torch.Tensor, y: torch.Tensor,
            loss_fn: LossFn) -> float:
    with torch.no_grad():
        return float(loss_fn(f(x, params), y))


def copy_into(saved: list[torch.Tensor], tensors: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for s, p in zip(saved, tensors):
            s.copy_(p)


def put_back(tensors: list[torch.Tensor], saved: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for p, s in zip(tensors, saved):
            p.copy_(s)
            p.grad = None


def clear_grads(tensors: list[torch.Tensor]) -> None:
    for p in tensors:
        p.grad = None


def take_snapshot(hist: History, tensors: list[torch.Tensor]) -> None:
    """A CPU copy of the params after ``hist.n_steps`` updates (for animations)."""
    copies = [p.detach().cpu().clone() for p in tensors]
    hist.snapshot_steps.append(hist.n_steps)
    hist.snapshots.append(copies if len(copies) > 1 else copies[0])


def progress_default() -> bool:
    """Progress bars in notebooks and terminals; none in CI logs or pipes."""
    if os.environ.get("CI"):
        return False
    return "ipykernel" in sys.modules or sys.stderr.isatty()
