"""Small data sets for the lectures, all shipped or generated locally (nothing downloads).

Generators take a ``seed`` (a private CPU generator, so the data are the same on every
device) and a ``device`` to put the result on.
"""

from __future__ import annotations

import torch

from ._validate import check_steps
from .errors import InvalidArgumentError

__all__: list[str] = []


def _generator(seed: int | None) -> torch.Generator | None:
    return None if seed is None else torch.Generator().manual_seed(seed)


# --- synthetic data (lectures 04-05) ------------------------------------------------------
__all__ += ["noisy_line", "two_blobs", "spiral"]


def _check_scale(value: float, name: str) -> float:
    if not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise InvalidArgumentError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def noisy_line(n: int = 100, *, slope: float = 0.8, intercept: float = -1.2,
               noise: float = 0.1, seed: int | None = None, device=None,
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
    noise = _check_scale(noise, "noise")
    gen = _generator(seed)
    x = torch.rand(n, generator=gen, dtype=torch.float64)  # (n,)
    y = slope * x + intercept + noise * torch.randn(n, generator=gen, dtype=torch.float64)
    return x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)


def two_blobs(n: int = 100, *, centers=((5.0, 0.0), (-5.0, 0.0)), std: float = 1.0,
              seed: int | None = None, device=None,
              dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Two round Gaussian clouds in the plane, n points each, labelled 0 and 1.

        X_i ~ N(centers[y_i], std^2 I)

    Returns:
        X of shape (2n, 2) and labels y of shape (2n,) (0.0 for the first n, then 1.0).

    >>> X, y = two_blobs(3, seed=0); X.shape, y.tolist()
    (torch.Size([6, 2]), [0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    """
    check_steps(n, name="n")
    std = _check_scale(std, "std")
    center = torch.as_tensor(centers, dtype=torch.float64)
    if center.shape != (2, 2):
        raise InvalidArgumentError(f"centers must be two (x1, x2) pairs, got {centers!r}")
    gen = _generator(seed)
    y = torch.cat([torch.zeros(n, dtype=torch.float64), torch.ones(n, dtype=torch.float64)])
    X = center[y.long()] + std * torch.randn(2 * n, 2, generator=gen, dtype=torch.float64)
    return X.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)


def spiral(n: int = 100, *, twist: float = 380.0, noise: float = 2.0, seed: int | None = None,
           device=None, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
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
    noise = _check_scale(noise, "noise")
    twist = _check_scale(twist, "twist")
    gen = _generator(seed)
    r = torch.rand(n, generator=gen, dtype=torch.float64).sqrt() * torch.pi * twist / 180
    arm = torch.stack([-r * torch.cos(r), r * torch.sin(r)], dim=1)  # (n, 2)
    X = torch.cat([arm, -arm])  # (2n, 2): arm 1 is arm 0 turned by 180 degrees
    X = X + noise * (torch.rand(2 * n, 2, generator=gen, dtype=torch.float64) - 0.5)
    y = torch.cat([torch.zeros(n, dtype=torch.float64), torch.ones(n, dtype=torch.float64)])
    return X.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)


# --- real data, standardizing and minibatches (lecture 01) --------------------------------
from typing import NamedTuple  # noqa: E402

from torch.utils.data import (  # noqa: E402
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
)

from ._validate import check_same_device, check_same_length, check_tensor  # noqa: E402
from .errors import MissingExtraError, ShapeError  # noqa: E402

__all__ += ["Belts", "Penguins", "Standardized", "belts", "penguins", "standardize",
            "design_matrix", "minibatches"]

# Gap belt sizes: waist size, belt length in inches, belt length in centimetres.
_BELT_WAIST = (28, 30, 32, 34, 36, 38, 40, 42, 44, 46)
_BELT_IN = (30.5, 32.5, 34.5, 36.5, 38.5, 40.5, 42.5, 44.5, 46.5, 48.5)
_BELT_CM = (77, 83, 88, 93, 98, 103, 108, 113, 118, 123)


class Belts(NamedTuple):
    """The belt table; each field has shape (10,)."""

    waist: torch.Tensor
    inches: torch.Tensor
    cm: torch.Tensor


class Penguins(NamedTuple):
    """Palmer penguins with complete records; each field has shape (333,)."""

    bill_length: torch.Tensor  # mm
    body_mass: torch.Tensor  # g


def belts(*, device=None, dtype: torch.dtype = torch.float32) -> Belts:
    """Ten belt sizes from a shop's size chart: waist, length in inches, length in cm.

    The lecture pretends not to know cm = 2.54 * inches and learns the multiplier from
    ``inches`` and ``cm``. The chart rounds to whole centimetres, so no multiplier fits
    exactly.

    >>> b = belts(); b.inches[:3], b.cm[:3]
    (tensor([30.5000, 32.5000, 34.5000]), tensor([77., 83., 88.]))
    """
    return Belts(*(torch.tensor(col, dtype=dtype, device=device)
                   for col in (_BELT_WAIST, _BELT_IN, _BELT_CM)))


def penguins(*, device=None, dtype: torch.dtype = torch.float32) -> Penguins:
    """Bill length (mm) and body mass (g) of the Palmer Archipelago penguins.

    The table ships inside the ``palmerpenguins`` package (nothing downloads). Rows with a
    missing value in *any* column are dropped, as in the lecture: 333 of 344 penguins.

    Raises:
        MissingExtraError: ``palmerpenguins`` is not installed.

    >>> p = penguins(); p.bill_length.shape, p.body_mass[:2]
    (torch.Size([333]), tensor([3750., 3800.]))
    """
    try:
        from palmerpenguins import load_penguins
    except ImportError as err:
        raise MissingExtraError(
            "penguins() needs the palmerpenguins package, which is not installed; "
            'install the lecture extra with: pip install "gdcourse[lectures]"'
        ) from err
    table = load_penguins().dropna()  # a pandas DataFrame
    return Penguins(*(torch.tensor(table[col].to_numpy(dtype="float64"), dtype=dtype,
                                   device=device)
                      for col in ("bill_length_mm", "body_mass_g")))


class Standardized(NamedTuple):
    """``z = (x - mean) / std``, with the statistics needed to go back and forth.

    Attributes:
        z: the standardized values, shape of ``x``.
        mean, std: per column, shape ``x.shape[1:]``.
    """

    z: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """Standardize new data (e.g. a test set) with these statistics."""
        _check_columns(x, self.mean, "x")
        return (x - self.mean) / self.std

    def undo(self, z: torch.Tensor) -> torch.Tensor:
        """Back to the original units: ``x = z * std + mean``."""
        _check_columns(z, self.mean, "z")
        return z * self.std + self.mean


def _check_columns(x, mean, name):
    check_tensor(x, name=name)
    if x.shape[1:] != mean.shape:
        raise ShapeError(
            f"{name} has shape {tuple(x.shape)} but the statistics are for rows of shape "
            f"{tuple(mean.shape)}; pass data with the same columns as the data they came from"
        )


def standardize(x: torch.Tensor, *, correction: int = 0) -> Standardized:
    """Centre each column on 0 and scale it to standard deviation 1.

        z = (x - mean(x)) / std(x),   std = sqrt(sum (x - mean)^2 / (N - correction))

    ``correction=0`` (the default) is the *population* std, numpy's ``x.std()``, which
    the lecture's numbers use; torch's own ``x.std()`` defaults to ``correction=1``.

    Args:
        x: shape (N,) or (N, D); each column is standardized on its own.
        correction: 0 for the population std, 1 for the sample std.

    Returns:
        A :class:`Standardized` ``(z, mean, std)``; ``.undo(z)`` goes back.

    Raises:
        InvalidArgumentError: fewer than 2 rows, non-finite values, or a constant column.

    >>> s = standardize(torch.tensor([1., 2., 3.])); s.z, s.undo(s.z)
    (tensor([-1.2247,  0.0000,  1.2247]), tensor([1., 2., 3.]))
    """
    check_tensor(x, name="x")
    if not x.is_floating_point():
        raise InvalidArgumentError(f"x must be floating point, got {x.dtype}; try x.float()")
    if x.dim() == 0 or x.shape[0] < 2:
        raise InvalidArgumentError(
            f"standardize needs at least 2 rows, got x of shape {tuple(x.shape)}"
        )
    if correction not in (0, 1):
        raise InvalidArgumentError(f"correction must be 0 or 1, got {correction!r}")
    mean = x.mean(dim=0)
    std = x.std(dim=0, correction=correction)
    if bool((std == 0).any()):
        raise InvalidArgumentError(
            "x has a constant column (std 0), which cannot be scaled to std 1; drop it"
        )
    return Standardized((x - mean) / std, mean, std)


def design_matrix(*columns: torch.Tensor) -> torch.Tensor:
    """Stack a column of ones and the given columns into X, so preds = X @ params.

        X = [1 | x_1 | x_2 | ...]   (N, 1 + D),    preds_i = params_0 + sum_j params_j x_ij

    With the ones first, ``params[0]`` is the intercept and ``params[1:]`` the slopes.

    Args:
        columns: one or more tensors of shape (N,) or (N, D), on one device.

    Raises:
        ShapeError: the columns have different lengths, or are not 1-D/2-D.
        InvalidArgumentError: no columns, or not tensors.

    >>> design_matrix(torch.tensor([0.5, -1.0]))
    tensor([[ 1.0000,  0.5000],
            [ 1.0000, -1.0000]])
    """
    if not columns:
        raise InvalidArgumentError("design_matrix needs at least one column, got none")
    named = {f"columns[{i}]": check_tensor(c, name=f"columns[{i}]", finite=False)
             for i, c in enumerate(columns)}
    for name, c in named.items():
        if c.dim() not in (1, 2):
            raise ShapeError(
                f"{name} has shape {tuple(c.shape)}; expected (N,) or (N, D)"
            )
    n = check_same_length(**named)
    check_same_device(**named)
    first = columns[0]
    ones = torch.ones(n, 1, dtype=first.dtype, device=first.device)
    return torch.cat([ones] + [c.reshape(n, -1).to(first.dtype) for c in columns], dim=1)


def minibatches(x: torch.Tensor, y: torch.Tensor, *, batch_size: int, seed: int | None,
                shuffle: bool = True, drop_last: bool = False) -> DataLoader:
    """Batches of (x, y) rows for stochastic gradient descent, as a torch DataLoader.

    Each pass over the loader is one epoch; with ``shuffle`` the rows come in a new random
    order every epoch, drawn from a ``torch.Generator`` seeded with ``seed``, so the same
    seed gives the same batches run after run (``seed=None`` uses torch's global RNG).
    Rows are gathered a whole batch at a time (one indexing op per batch, not per row) and
    stay on the device of ``x``.

    Args:
        x: inputs, shape (N, ...).
        y: targets, shape (N, ...).
        batch_size: rows per batch; the last batch is smaller unless ``drop_last``.
        seed: seeds the shuffling.
        shuffle: draw a new order each epoch (False: rows in order).
        drop_last: skip a final incomplete batch.

    Raises:
        ShapeError: x and y have different numbers of rows.
        InvalidArgumentError: a batch size that is not a positive integer.

    >>> [xb.tolist() for xb, _ in minibatches(torch.arange(5.), torch.zeros(5), batch_size=2,
    ...                                       seed=0, shuffle=False)]
    [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """
    check_tensor(x, name="x")
    check_tensor(y, name="y")
    check_steps(batch_size, name="batch_size")
    check_same_length(x=x, y=y)
    check_same_device(x=x, y=y)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidArgumentError(f"seed must be an int or None, got {seed!r}")
    dataset = TensorDataset(x, y)
    order = (RandomSampler(dataset, generator=_generator(seed)) if shuffle
             else SequentialSampler(dataset))
    # batch_size=None: the sampler yields index lists and the dataset gathers each batch
    # with one tensor index, instead of collating batch_size single rows.
    return DataLoader(dataset, sampler=BatchSampler(order, batch_size, drop_last),
                      batch_size=None)
