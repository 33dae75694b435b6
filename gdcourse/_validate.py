"""Boundary checks shared by the public functions (private: messages are the API).

Each rule lives here once: a learning rate (one, many, or one per params tensor), a step
count, a number >= 0, a number in [0, 1) such as a momentum, tensors, lengths, devices.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ._types import Lr
from .errors import DeviceMismatchError, InvalidArgumentError, ShapeError

_LR_EXAMPLE = "torch.logspace(-6, -3, 100)"


def _is_lr(value: float) -> bool:
    """The rule for a learning rate: a positive finite number."""
    return math.isfinite(value) and value > 0


def check_lr(lr: object, *, name: str = "lr") -> float:
    """``lr`` as a float, or InvalidArgumentError unless it is a positive finite number."""
    if isinstance(lr, torch.Tensor) and lr.numel() == 1:
        lr = lr.item()
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise InvalidArgumentError(
            f"{name} must be a positive number, got {type(lr).__name__} {lr!r}; try {name}=1e-3"
        )
    if not _is_lr(lr):
        raise InvalidArgumentError(
            f"{name} must be a positive finite number, got {lr!r}; try a small value such as 1e-3"
        )
    return float(lr)


def check_lr_values(lrs: object) -> torch.Tensor:
    """Many learning rates (a sequence, array or tensor) as a flat float64 CPU tensor, each
    a positive finite number; InvalidArgumentError otherwise."""
    if isinstance(lrs, torch.Tensor):
        values = lrs.detach().cpu().to(torch.float64).reshape(-1)
    elif isinstance(lrs, Sequence) or hasattr(lrs, "__array__"):
        try:
            values = torch.as_tensor(list(lrs) if isinstance(lrs, Sequence) else lrs,
                                     dtype=torch.float64).reshape(-1)
        except (TypeError, ValueError, RuntimeError) as err:
            raise InvalidArgumentError(f"lrs must be numbers, got {lrs!r}") from err
    else:
        raise InvalidArgumentError(
            f"lrs must be a sequence or 1-D tensor of learning rates, got {type(lrs).__name__}; "
            f"try {_LR_EXAMPLE}"
        )
    if values.numel() == 0:
        raise InvalidArgumentError(f"lrs is empty; give at least one learning rate, e.g. "
                                   f"{_LR_EXAMPLE}")
    bad = [v for v in values.tolist() if not _is_lr(v)]
    if bad:
        raise InvalidArgumentError(f"every lr must be a positive finite number, got {bad[:3]}")
    return values


def check_param_lrs(lr: object, params: list[torch.Tensor]) -> list[Lr]:
    """One lr per params tensor: a number (check_lr), or a tensor of per-element rates shaped
    like its parameter, each finite and >= 0 (0 freezes an element)."""
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


def check_unit(value: object, *, name: str, closed: bool = False) -> float:
    """A number in [0, 1) (or [0, 1] when ``closed``): a momentum, a dampening, a beta."""
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not (0 <= value and (value <= 1 if closed else value < 1))):
        raise InvalidArgumentError(
            f"{name} must be a number in [0, 1{']' if closed else ')'}, got {value!r}")
    return float(value)


def check_steps(steps: object, *, name: str = "steps") -> int:
    """``steps`` as an int, or InvalidArgumentError unless it is a positive integer."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InvalidArgumentError(f"{name} must be a positive integer, got {steps!r}")
    return steps


def check_number(value: object, *, name: str, allow_zero: bool = True) -> float:
    """``value`` as a float, or InvalidArgumentError unless it is a finite number >= 0
    (> 0 when ``allow_zero`` is False): noise scales, tolerances, decay factors."""
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not (math.isfinite(value) and (value > 0 or (allow_zero and value == 0)))):
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidArgumentError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def as_param_list(params: object) -> list[torch.Tensor]:
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


def check_tensor(x: object, *, name: str, finite: bool = True) -> torch.Tensor:
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
