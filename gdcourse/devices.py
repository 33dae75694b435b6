"""Devices, seeds and the hop back to numpy.

Only notebooks and the CLI pick a device (``default_device()``); library code runs on
the device of its inputs.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from ._validate import check_same_device
from .errors import InvalidArgumentError

__all__ = ["default_device", "parse_device", "to_np", "set_seed", "seeded_generator", "same_device"]

_ENV_VAR = "GDCOURSE_DEVICE"


def default_device() -> torch.device:
    """The best available device: ``$GDCOURSE_DEVICE`` if set, else cuda, mps, cpu.

    >>> default_device().type in {"cpu", "cuda", "mps"}
    True
    """
    wanted = os.environ.get(_ENV_VAR, "").strip()
    if wanted:
        try:
            return parse_device(wanted)
        except InvalidArgumentError as err:
            raise InvalidArgumentError(f"{_ENV_VAR}={wanted!r}: {err}; unset it or use 'cpu'") \
                from None
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def parse_device(name: str) -> torch.device:
    """The device called ``name`` ("cpu", "cuda", "cuda:1", "mps"), if this machine has it.

    Raises:
        InvalidArgumentError: not a device name gdcourse runs on, or not available here
            (CUDA on a CPU build of torch, a GPU index past the last one, MPS off a Mac).

    >>> parse_device("cpu")
    device(type='cpu')
    """
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError) as err:
        raise InvalidArgumentError(
            f"{name!r} is not a device name; use e.g. 'cpu', 'cuda', 'cuda:1' or 'mps'") from err
    if device.type == "cuda":
        if not torch.cuda.is_available():
            why = "a CPU-only build of torch" if torch.version.cuda is None else "no GPU visible"
            raise InvalidArgumentError(
                f"{name!r} asked for CUDA, but CUDA is not available here ({why}); use 'cpu'")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise InvalidArgumentError(
                f"{name!r} asked for GPU {device.index}, but there are only "
                f"{torch.cuda.device_count()}; use e.g. 'cuda:0'")
    elif device.type == "mps":
        if not _mps_available():
            raise InvalidArgumentError(f"{name!r} asked for MPS (Apple GPUs), but it is not "
                                       "available here; use 'cpu'")
    elif device.type != "cpu":
        raise InvalidArgumentError(f"gdcourse runs on 'cpu', 'cuda' or 'mps', got {name!r}")
    return device


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def to_np(t: object) -> np.ndarray:
    """A numpy copy of ``t`` (detached and moved to the CPU first); numbers pass through.

    >>> to_np(torch.ones(2, requires_grad=True))
    array([1., 1.], dtype=float32)
    """
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return np.asarray(t)


def set_seed(seed: int, reproducible: bool = False) -> None:
    """Seed ``random``, numpy and torch (CPU and every CUDA device), as fastai does.

    With ``reproducible=True`` cuDNN is also made deterministic (slower on GPUs).

    >>> set_seed(666); torch.randn(3)
    tensor([-2.1188,  0.0635, -1.4555])
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise InvalidArgumentError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    seed = int(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)  # a no-op without CUDA
    np.random.seed(seed % (2**32 - 1))  # noqa: NPY002 (seeding the legacy global RNG is the point)
    random.seed(seed)
    if reproducible:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def seeded_generator(seed: int | None) -> torch.Generator | None:
    """A private CPU generator for ``seed`` (None: torch's global one, for ``set_seed``).

    Drawing on the CPU and moving afterwards gives the same numbers on every device, and a
    private generator leaves the global random state alone.
    """
    return None if seed is None else torch.Generator().manual_seed(seed)


def same_device(**tensors: torch.Tensor) -> torch.device:
    """The one device shared by ``tensors``; DeviceMismatchError naming each otherwise."""
    return check_same_device(**tensors)
