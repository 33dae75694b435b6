"""Seeded toy data for lectures 04-05: a noisy line, two blobs, two spirals.

Each generator draws in float64 on a private CPU generator made from ``seed`` and then
moves the result, so one seed means the same data on every device.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .._types import Device
from .._validate import check_number, check_steps
from ..devices import seeded_generator
from ..errors import InvalidArgumentError

__all__ = ["noisy_line", "two_blobs", "spiral"]


def noisy_line(n: int = 100, *, slope: float = 0.8, intercept: float = -1.2,
               noise: float = 0.1, seed: int | None = None, device: Device = None,
               dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Points near the line y = slope * x + intercept, x uniform in [0, 1).

        y_i = slope * x_i + intercept + noise * eps_i,   eps_i ~ N(0, 1)

    Drawn in float64 on the CPU from ``seed``, then moved: the same data on every device.
    For Scalar models use plain floats: ``x.tolist()``.

    Returns:
        (x, y), each of shape (n,).

    >>> x, y = noisy_line(5, seed=0); x.shape, y.shape
    (torch.Size([5]), torch.Size([5]))
    """
    check_steps(n, name="n")
    noise = check_number(noise, name="noise")
    gen = seeded_generator(seed)
    x = torch.rand(n, generator=gen, dtype=torch.float64)  # (n,)
    y = slope * x + intercept + noise * torch.randn(n, generator=gen, dtype=torch.float64)
    return x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)


def two_blobs(n: int = 100, *,
              centers: Sequence[Sequence[float]] = ((5.0, 0.0), (-5.0, 0.0)), std: float = 1.0,
              seed: int | None = None, device: Device = None,
              dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Two round Gaussian clouds in the plane, n points each, labelled 0 and 1.

        X_i ~ N(centers[y_i], std^2 I)

    Returns:
        X of shape (2n, 2) and labels y of shape (2n,) (0.0 for the first n, then 1.0).

    >>> X, y = two_blobs(3, seed=0); X.shape, y.tolist()
    (torch.Size([6, 2]), [0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    """
    check_steps(n, name="n")
    std = check_number(std, name="std")
    center = torch.as_tensor(centers, dtype=torch.float64)
    if center.shape != (2, 2):
        raise InvalidArgumentError(f"centers must be two (x1, x2) pairs, got {centers!r}")
    gen = seeded_generator(seed)
    y = torch.cat([torch.zeros(n, dtype=torch.float64), torch.ones(n, dtype=torch.float64)])
    X = center[y.long()] + std * torch.randn(2 * n, 2, generator=gen, dtype=torch.float64)
    return X.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)


def spiral(n: int = 100, *, twist: float = 380.0, noise: float = 2.0, seed: int | None = None,
           device: Device = None,
           dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved spiral arms, n points each, labelled 0 and 1.

    A point at angle r (radians, sqrt-uniform in [0, twist degrees) so the arms are evenly
    filled) sits at distance r from the origin; arm 1 is arm 0 turned by 180 degrees:

        arm 0: (-r cos r,  r sin r) + noise * (u - 1/2),   u ~ U[0, 1)^2
        arm 1: ( r cos r, -r sin r) + noise * (u - 1/2)

    No straight line separates the arms: a classifier needs a hidden layer.

    Returns:
        X of shape (2n, 2) and labels y of shape (2n,) (0.0 for arm 0, then 1.0).

    >>> X, y = spiral(4, seed=0); X.shape, y.shape
    (torch.Size([8, 2]), torch.Size([8]))
    """
    check_steps(n, name="n")
    noise = check_number(noise, name="noise")
    twist = check_number(twist, name="twist")
    gen = seeded_generator(seed)
    r = torch.rand(n, generator=gen, dtype=torch.float64).sqrt() * torch.pi * twist / 180
    arm = torch.stack([-r * torch.cos(r), r * torch.sin(r)], dim=1)  # (n, 2)
    X = torch.cat([arm, -arm])  # (2n, 2): arm 1 is arm 0 turned by 180 degrees
    X = X + noise * (torch.rand(2 * n, 2, generator=gen, dtype=torch.float64) - 0.5)
    y = torch.cat([torch.zeros(n, dtype=torch.float64), torch.ones(n, dtype=torch.float64)])
    return X.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)
