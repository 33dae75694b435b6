"""What every plotting module shares: an Axes to draw on, and numbers to draw."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import torch

from ..devices import to_np

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.axes import Axes

__all__ = ["Values", "_axes", "_as_floats", "to_np"]

#: numbers to draw: a tensor (any device, with or without grad), an array or a list
Values: TypeAlias = "torch.Tensor | np.ndarray | Sequence[float]"


def _axes(ax: Axes | None, **subplot_kw: Any) -> Axes:
    """``ax`` itself, or the Axes of a new figure (pyplot imported only now)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(**subplot_kw)[1]


def _as_floats(values: torch.Tensor | np.ndarray | Iterable[Any]) -> np.ndarray:
    """Predictions as a flat float64 numpy array: from a tensor, an array, or a list of
    numbers or Scalars (read through their ``.value``)."""
    if isinstance(values, (torch.Tensor, np.ndarray)):
        return to_np(values).astype(np.float64).reshape(-1)
    return np.array([getattr(v, "value", v) for v in values], dtype=np.float64)
