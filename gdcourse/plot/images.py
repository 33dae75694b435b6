"""Small images with what a model says about them (lecture 05: handwritten digits)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ShapeError
from ._common import Values, to_np

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.figure import Figure

__all__ = ["show_digits"]


def show_digits(images: Values, preds: Values | None = None, labels: Values | None = None, *,
                ncols: int = 8, title: str | None = None, width: float = 7.5) -> Figure:
    """A grid of grey images, each titled with the model's prediction.

    A prediction that differs from its label is titled in red as "pred (label)" (for
    example "5 (9)": the model said 5, the image is a 9); a right one in black. Without
    ``preds`` the titles are the labels; without either, there are none.

    Args:
        images: shape (N, H, W), dark ink on light paper (values in [0, 1], 1 = ink).
        preds: the predicted classes, shape (N,).
        labels: the true classes, shape (N,).
        ncols: images per row.
        title: the figure's title.
        width: the figure's width in inches (7.5 fills the course book's column).

    Returns:
        The Figure.
    """
    import matplotlib.pyplot as plt

    pics = to_np(images).astype(np.float64)
    if pics.ndim != 3:
        raise ShapeError(f"images must have shape (N, H, W), got {pics.shape}")
    n = len(pics)
    pred_np = None if preds is None else to_np(preds).reshape(-1)
    label_np = None if labels is None else to_np(labels).reshape(-1)
    for name, values in (("preds", pred_np), ("labels", label_np)):
        if values is not None and len(values) != n:
            raise ShapeError(f"{name} has {len(values)} entries for {n} images")
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    side = width / ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, nrows * (side + 0.3) + 0.4),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        ax.imshow(pics[k], cmap="gray_r", vmin=0, vmax=1)
        if pred_np is not None:
            text, wrong = f"{pred_np[k]}", False
            if label_np is not None and pred_np[k] != label_np[k]:
                text, wrong = f"{pred_np[k]} ({label_np[k]})", True
            ax.set_title(text, fontsize=11, color="tab:red" if wrong else "black")
        elif label_np is not None:
            ax.set_title(f"{label_np[k]}", fontsize=11)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
