"""Boundary checks shared by the public functions (private: messages are the API)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .errors import DeviceMismatchError, InvalidArgumentError, ShapeError


def check_lr(lr, *, name: str = "lr") -> float:
    """``lr`` as a float, or InvalidArgumentError unless it is a positive finite number."""
    if isinstance(lr, torch.Tensor) and lr.numel() == 1:
        lr = lr.item()
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise InvalidArgumentError(
            f"{name} must be a positive number, got {type(lr).__name__} {lr!r}; try {name}=1e-3"
        )
    if not math.isfinite(lr) or lr <= 0:
        raise InvalidArgumentError(
            f"{name} must be a positive finite number, got {lr!r}; try a small value such as 1e-3"
        )
    return float(lr)


def check_steps(steps, *, name: str = "steps") -> int:
    """``steps`` as an int, or InvalidArgumentError unless it is a positive integer."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InvalidArgumentError(f"{name} must be a positive integer, got {steps!r}")
    return steps


def check_number(value, *, name: str, allow_zero: bool = True) -> float:
    """``value`` as a float, or InvalidArgumentError unless it is a finite number >= 0
    (> 0 when ``allow_zero`` is False): noise scales, tolerances, decay factors."""
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and math.isfinite(value) and (value > 0 or (allow_zero and value == 0)))
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidArgumentError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def as_param_list(params) -> list[torch.Tensor]:
    """A tensor or a sequence of tensors, as a list; each must be a float tensor."""
    if isinstance(params, torch.Tensor):
        tensors = [params]
    elif isinstance(params, Sequence) and all(isinstance(p, torch.Tensor) for p in params):
        tensors = list(params)
    else:
        raise InvalidArgumentError(
            f"params must be a tensor or a list of tensors, got {type(params).__name__}"
        )
    for p in tensors:
        if not p.is_floating_point():
            raise InvalidArgumentError(
                f"params must have a floating-point dtype to be differentiated, got {p.dtype}; "
                "try params.float()"
            )
    return tensors


def check_tensor(x, *, name: str, finite: bool = True) -> torch.Tensor:
    """``x`` must be a tensor (numbers and arrays are not converted silently), finite if asked."""
    if not isinstance(x, torch.Tensor):
        raise InvalidArgumentError(
            f"{name} must be a torch.Tensor, got {type(x).__name__}; try torch.as_tensor({name})"
        )
    if finite and x.is_floating_point() and not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise InvalidArgumentError(
            f"{name} contains {bad} non-finite value(s) (nan or inf); clean or drop them first"
        )
    return x


def check_same_length(**tensors: torch.Tensor) -> int:
    """All tensors have the same first dimension; returns it."""
    lengths = {name: (t.shape[0] if t.dim() else 1) for name, t in tensors.items()}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ShapeError(f"expected one value per sample in each input, but {listing} rows")
    return next(iter(lengths.values()))


def check_same_device(**tensors: torch.Tensor) -> torch.device:
    devices = {name: t.device for name, t in tensors.items()}
    if len(set(devices.values())) > 1:
        listing = ", ".join(f"{name} on {dev}" for name, dev in devices.items())
        raise DeviceMismatchError(
            f"tensors must share one device, got {listing}; move them with .to(device) first"
        )
    return next(iter(devices.values()))
