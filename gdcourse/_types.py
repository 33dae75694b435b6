"""The types the public API is written in, named once.

    params   Params    theta: one tensor, or a list of tensors (one per layer)
    f        Model     f(x, params) -> preds
    loss_fn  LossFn    loss_fn(preds, y) -> a scalar tensor
    device   Device    a torch.device, a name such as "cuda:0", or None (where it is)
    lr       Lr        one number, or a tensor of per-element rates shaped like its parameter
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeAlias

import torch

__all__ = ["Device", "LossFn", "Lr", "Model", "Optimizer", "Params"]

Params: TypeAlias = torch.Tensor | Sequence[torch.Tensor]
# The model's second argument is whatever params the caller passed (a tensor or a list), so
# it stays Any: a student's ``def f(x: Tensor, p: Tensor)`` must type-check as a Model.
Model: TypeAlias = Callable[[torch.Tensor, Any], torch.Tensor]
LossFn: TypeAlias = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Device: TypeAlias = torch.device | str | None
Lr: TypeAlias = float | torch.Tensor


class Optimizer(Protocol):
    """What ``train`` needs of an optimizer: torch.optim's and gdcourse.optim's both fit."""

    def step(self) -> Any: ...

    def zero_grad(self, set_to_none: bool = True) -> None: ...
