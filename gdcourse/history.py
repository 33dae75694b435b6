"""What :func:`~gdcourse.loop.train` hands back besides the params: a :class:`History`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["History"]


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
        # it draws fits with gdcourse.quadratic, whose train imports this module.
        from .plot import plot_history

        return plot_history(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        return (f"History(n_steps={self.n_steps}, final_loss={self.final_loss:.6g}, "
                f"stop_reason={self.stop_reason!r}, elapsed={self.elapsed:.3g}s)")
