"""Boundary checks of the optimizers' hyper-parameters (private: the messages are the API)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._validate import check_lr, check_number
from .errors import InvalidArgumentError, ShapeError

#: a learning rate: one number, or a tensor of per-element rates shaped like its parameter
Lr = float | torch.Tensor


def check_unit(value, *, name: str, closed: bool = False) -> float:
    """A number in [0, 1) (or [0, 1] when ``closed``)."""
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value
          and (value <= 1 if closed else value < 1))
    if not ok:
        raise InvalidArgumentError(
            f"{name} must be a number in [0, 1{']' if closed else ')'}, got {value!r}")
    return float(value)


def check_lrs(lr, params: list[torch.Tensor]) -> list[Lr]:
    """One lr per params tensor: a number, or a per-element tensor shaped like the param."""
    if isinstance(lr, torch.Tensor) and lr.numel() > 1:
        if len(params) != 1:
            raise ShapeError(
                f"a tensor of per-element lrs fits one params tensor, but there are "
                f"{len(params)}; pass a list with one lr (number or tensor) per params tensor")
        lr = [lr]
    if isinstance(lr, str) or not isinstance(lr, Sequence):
        return [check_lr(lr)] * len(params)
    if len(lr) != len(params):
        raise ShapeError(
            f"got {len(lr)} learning rates for {len(params)} parameter tensors; pass one lr "
            "per parameter tensor, or a single number for all of them")
    out: list[Lr] = []
    for i, (r, p) in enumerate(zip(lr, params)):
        if not (isinstance(r, torch.Tensor) and r.numel() > 1):
            out.append(check_lr(r, name=f"lr[{i}]"))
            continue
        if not _broadcasts_to(r.shape, p.shape):
            raise ShapeError(
                f"lr[{i}] has shape {tuple(r.shape)} but its parameter has shape "
                f"{tuple(p.shape)}; per-element lrs must have the parameter's shape")
        if not (r.is_floating_point() and bool(torch.isfinite(r).all()) and bool((r >= 0).all())):
            raise InvalidArgumentError(
                f"lr[{i}] must hold finite floats >= 0 (0 freezes an element), got {r}")
        out.append(r.detach().to(device=p.device, dtype=p.dtype))
    return out


def _broadcasts_to(shape: torch.Size, target: torch.Size) -> bool:
    try:
        return torch.broadcast_shapes(shape, target) == target
    except RuntimeError:
        return False


def check_weight_decay(wd) -> float:
    return check_number(wd, name="weight_decay")
