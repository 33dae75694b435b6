"""Getting data ready for descent: standardizing, design matrices, minibatches."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
)

from .._validate import check_same_device, check_same_length, check_steps, check_tensor
from ..devices import seeded_generator
from ..errors import InvalidArgumentError, ShapeError

__all__ = ["Standardized", "standardize", "design_matrix", "minibatches"]


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
    order = (RandomSampler(dataset, generator=seeded_generator(seed)) if shuffle
             else SequentialSampler(dataset))
    # batch_size=None: the sampler yields index lists and the dataset gathers each batch
    # with one tensor index, instead of collating batch_size single rows.
    return DataLoader(dataset, sampler=BatchSampler(order, batch_size, drop_last),
                      batch_size=None)
