"""Descent paths over two parameters: where each optimizer walks on a loss (lectures 01, 06).

    path = descent_path(loss_fn, params, SGD([params], lr=0.1), steps=50)    # (51, 2)
    plot_paths(loss_fn, grid, {"plain descent": path, ...})

``plot_loss_surface`` draws one path over filled contours; ``plot_paths`` draws several over
contour lines, so that paths of different optimizers stay readable side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import torch

from .._types import Optimizer
from .._validate import check_steps
from ..errors import InvalidArgumentError, ShapeError
from ._common import _axes, to_np

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.axes import Axes

__all__ = ["descent_path", "plot_paths"]


def descent_path(loss_fn: Callable[[torch.Tensor], torch.Tensor], params: torch.Tensor,
                 optimizer: Optimizer, *, steps: int) -> torch.Tensor:
    """Run ``optimizer`` on ``loss_fn(params)`` and return every point it visits.

        L_t = loss_fn(theta_t);  L_t.backward();  optimizer.step()   # theta_t -> theta_{t+1}

    Args:
        loss_fn: the loss as a function of ``params`` alone -> scalar tensor.
        params: a leaf tensor that requires grad, shape (D,); updated in place.
        optimizer: anything with ``step()`` and ``zero_grad()`` that updates ``params``
            (``gdcourse.optim`` or ``torch.optim``).
        steps: how many updates.

    Returns:
        A CPU tensor of shape (steps + 1, D): the start, then the params after each update.

    Raises:
        InvalidArgumentError: ``params`` does not require grad, or ``steps`` is not a positive
            integer.

    >>> import torch
    >>> p = torch.tensor([1.0, 1.0], requires_grad=True)
    >>> path = descent_path(lambda q: (q ** 2).sum(), p, torch.optim.SGD([p], lr=0.25), steps=2)
    >>> path.tolist()
    [[1.0, 1.0], [0.5, 0.5], [0.25, 0.25]]
    """
    if not isinstance(params, torch.Tensor) or not params.requires_grad:
        raise InvalidArgumentError(
            "descent_path needs params as a tensor with requires_grad=True, got "
            f"{type(params).__name__}; try torch.tensor([...], requires_grad=True)")
    check_steps(steps)
    path = [params.detach().cpu().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(params).backward()
        optimizer.step()
        path.append(params.detach().cpu().clone())
    return torch.stack(path)


def plot_paths(loss_fn: Callable[[torch.Tensor], torch.Tensor], grid: Sequence[torch.Tensor],
               paths: Mapping[str, torch.Tensor | Sequence[torch.Tensor]],
               ax: Axes | None = None, *, levels: int = 20, log: bool = True,
               labels: tuple[str, str] = ("params[0]", "params[1]")) -> Axes:
    """Contour lines of a loss over two parameters, with one descent path per entry of ``paths``.

    Args:
        loss_fn: the loss as a function of a (2,) parameter tensor -> scalar tensor.
        grid: two 1-D tensors, the values of params[0] (horizontal) and params[1] (vertical).
        paths: ``{label: path}``, each path of shape (T, 2) (a tensor or a list of (2,)
            tensors), drawn as a line of dots from its start (a circle) to its end.
        ax: the Axes to draw on (a new figure when None).
        levels: how many contour levels.
        log: space the levels geometrically, so the flat valley floor gets contours too.
        labels: the axis labels.

    Returns:
        The Axes: the contour set in ``ax.collections``, and one line per path labelled with
        its key (the grid's lowest point is the line labelled "minimum").

    Raises:
        InvalidArgumentError: the grid does not have two axes, or ``paths`` is empty.
        ShapeError: a path is not of shape (T, 2).
    """
    import numpy as np

    from ..grid import grid_search

    if len(grid) != 2:
        raise InvalidArgumentError(
            f"plot_paths draws two parameters, got a grid with {len(grid)} axes")
    if not paths:
        raise InvalidArgumentError("paths is empty; pass {label: path} with at least one path")
    arrays = {}
    for label, path in paths.items():
        path = torch.stack(list(path)) if not isinstance(path, torch.Tensor) else path
        if path.dim() != 2 or path.shape[1] != 2:
            raise ShapeError(f"path {label!r} must have shape (T, 2), got {tuple(path.shape)}")
        arrays[label] = to_np(path.detach())
    result = grid_search(loss_fn, grid)
    z = to_np(result.losses).T  # contour wants rows = vertical axis
    use_log = log and z.min() > 0
    spaced = np.geomspace if use_log else np.linspace
    lv = spaced(z.min(), z.max(), levels)
    ax = _axes(ax)
    ax.contour(to_np(result.axes[0]), to_np(result.axes[1]), z, levels=lv, colors="0.6",
               linewidths=0.7)
    best = to_np(result.best_params)
    ax.plot(best[0], best[1], "*", color="black", markersize=12, label="minimum")
    for label, p in arrays.items():
        (line,) = ax.plot(p[:, 0], p[:, 1], ".-", markersize=3, linewidth=1, label=label)
        ax.plot(p[0, 0], p[0, 1], "o", color=line.get_color())
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.legend(loc="best", fontsize=9)
    return ax
