"""Grid search: try every combination of parameter values and keep the best.

    losses[i, j, ...] = L(theta = (grid[0][i], grid[1][j], ...))
    theta_best        = argmin over the grid

It needs no gradient, but the number of points is the product of the axis lengths, so it
explodes with the number of parameters (:func:`grid_size`): the reason the course moves on
to gradient descent.

    inches, cm = gd.data.belts()[1:]
    result = grid_search(lambda m: gd.mse(inches * m, cm), torch.linspace(0, 5, 50))
    result.best_params          # tensor(2.5510)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ._validate import check_steps
from .errors import InvalidArgumentError, ShapeError

__all__ = ["GridResult", "grid_search", "grid_size"]


@dataclass
class GridResult:
    """What :func:`grid_search` found.

    Attributes:
        axes: the values tried for each parameter, one 1-D tensor per parameter.
        losses: the loss at every grid point, shape ``(len(axes[0]), len(axes[1]), ...)``.
        best_params: the point with the lowest loss: a 0-d tensor for a 1-D grid,
            shape (P,) for P parameters.
        best_loss: the lowest loss.
        best_index: where it sits in ``losses``.
    """

    axes: tuple[torch.Tensor, ...]
    losses: torch.Tensor
    best_params: torch.Tensor
    best_loss: float
    best_index: tuple[int, ...]

    @property
    def points(self) -> torch.Tensor:
        """Every grid point, shape (n_points, P) (P = 1 included), in ``losses`` order."""
        return _mesh(self.axes)


def _mesh(axes) -> torch.Tensor:
    grids = torch.meshgrid(*axes, indexing="ij")
    return torch.stack([g.reshape(-1) for g in grids], dim=-1)  # (n_points, P)


def grid_size(values_per_param: int, n_params: int) -> int:
    """How many points a grid has: values_per_param ** n_params.

    >>> f"{grid_size(50, 5):,}"
    '312,500,000'
    """
    return check_steps(values_per_param, name="values_per_param") ** check_steps(
        n_params, name="n_params")


def _as_axes(grid) -> tuple[torch.Tensor, ...]:
    if isinstance(grid, torch.Tensor):
        if grid.dim() == 2:
            raise ShapeError(
                f"grid is a 2-D tensor of shape {tuple(grid.shape)}; pass one 1-D tensor of "
                "values per parameter, e.g. grid=[torch.linspace(...), torch.linspace(...)]"
            )
        axes = [grid]
    elif isinstance(grid, Sequence) and grid and all(isinstance(g, torch.Tensor) for g in grid):
        axes = list(grid)
    elif isinstance(grid, Sequence) and not grid:
        axes = []
    else:
        raise InvalidArgumentError(
            f"grid must be a 1-D tensor of values or a list of them (one per parameter), got "
            f"{type(grid).__name__}; try torch.linspace(start, stop, n)"
        )
    if not axes:
        raise InvalidArgumentError("grid has no parameters; give at least one axis of values")
    for i, a in enumerate(axes):
        if a.dim() != 1:
            raise ShapeError(f"grid axis {i} has shape {tuple(a.shape)}; expected (n,)")
        if a.numel() == 0:
            raise InvalidArgumentError(
                f"grid axis {i} is empty, so there is nothing to search; give it values, "
                "e.g. torch.linspace(0, 5, 50)"
            )
        if not a.is_floating_point():
            raise InvalidArgumentError(
                f"grid axis {i} has dtype {a.dtype}; use floating-point values, e.g. .float()"
            )
    if len({a.device for a in axes}) > 1 or len({a.dtype for a in axes}) > 1:
        raise InvalidArgumentError("grid axes must share one device and one dtype")
    return tuple(axes)


def _evaluate(loss_fn, points, chunk_size, vectorize):
    if vectorize:
        try:
            return torch.func.vmap(loss_fn, chunk_size=chunk_size)(points)
        except Exception:
            # vmap cannot trace .item() or a Python `if` on values: loop instead, where a
            # genuine bug in loss_fn raises again with its own traceback.
            pass
    return torch.stack([torch.as_tensor(loss_fn(p)) for p in points])


def grid_search(loss_fn: Callable[[torch.Tensor], torch.Tensor],
                grid: torch.Tensor | Sequence[torch.Tensor], *, chunk_size: int | None = 4096,
                vectorize: bool = True) -> GridResult:
    """Evaluate ``loss_fn`` at every point of a grid and return the losses and the best point.

    Args:
        loss_fn: the loss as a function of the parameters alone (close over the data):
            it gets a 0-d tensor for a 1-D grid, a (P,) tensor for P parameters, and
            returns a scalar tensor.
        grid: a 1-D tensor of values (one parameter), or a list of P 1-D tensors.
        chunk_size: points evaluated at once by ``torch.func.vmap`` (bounds the memory).
        vectorize: evaluate batches of points with ``vmap``; a ``loss_fn`` that vmap cannot
            trace (``.item()``, Python ``if`` on values) is evaluated point by point.

    Returns:
        A :class:`GridResult`; NaN losses never count as the best.

    Raises:
        InvalidArgumentError: an empty grid or axis, no finite loss anywhere, or a
            chunk_size that is not a positive integer.
        ShapeError: an axis that is not 1-D, or a loss that is not a scalar.

    >>> r = grid_search(lambda p: ((p - torch.tensor([1., 2.])) ** 2).sum(),
    ...                 [torch.linspace(0, 2, 5), torch.linspace(0, 4, 9)])
    >>> r.best_params, r.losses.shape
    (tensor([1., 2.]), torch.Size([5, 9]))
    """
    axes = _as_axes(grid)
    if chunk_size is not None:
        check_steps(chunk_size, name="chunk_size")  # vmap's own error would send us to the loop
    shape = tuple(len(a) for a in axes)
    points = _mesh(axes)
    if len(axes) == 1:
        points = points[:, 0]  # one parameter: loss_fn gets 0-d values, as in the lecture
    with torch.no_grad():
        losses = _evaluate(loss_fn, points, chunk_size, vectorize)
    if losses.shape != (len(points),):
        raise ShapeError(
            f"loss_fn must return a scalar, got shape {tuple(losses.shape[1:])} per point; "
            "reduce it with .mean()"
        )
    finite = torch.where(torch.isnan(losses), torch.full_like(losses, math.inf), losses)
    flat = int(finite.argmin())
    if not math.isfinite(float(finite[flat])):
        raise InvalidArgumentError("loss_fn gave no finite loss anywhere on the grid")
    best_index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), shape))
    return GridResult(axes=axes, losses=losses.reshape(shape), best_params=points[flat].clone(),
                      best_loss=float(losses[flat]), best_index=best_index)
