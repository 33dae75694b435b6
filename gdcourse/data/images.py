"""Real images for lecture 05: the 8x8 handwritten digits that scikit-learn ships.

    from gdcourse.data import digits
    images, labels = digits()            # (1797, 8, 8) ink in [0, 1], and (1797,) in 0..9

Nothing downloads: the digits are a small gzip file inside the scikit-learn wheel (the
``[lectures]`` extra; Colab and Kaggle have it already), the one
``sklearn.datasets.load_digits`` reads. ``digits()`` reads that file itself and imports
scikit-learn only if the file is not where it expects, so ``import gdcourse`` stays light.
"""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Iterable
from numbers import Integral
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from .._types import Device
from ..errors import InvalidArgumentError, MissingExtraError

__all__ = ["Digits", "digits"]

#: where the table lies inside the scikit-learn package
_DIGITS_FILE = ("datasets", "data", "digits.csv.gz")


class Digits(NamedTuple):
    """Handwritten digits: ``images`` of shape (N, 8, 8), ``labels`` of shape (N,)."""

    images: torch.Tensor  # ink per pixel in [0, 1] (the source's counts 0..16, over 16)
    labels: torch.Tensor  # int64, the digit each image shows


def digits(classes: Iterable[int] | None = None, *, device: Device = None,
           dtype: torch.dtype = torch.float32) -> Digits:
    """The 1,797 handwritten digits of the UCI optical-digits test set, 8x8 pixels each.

    Each pixel counts how many of the 16 cells of a 4x4 block of the original 32x32
    bitmap were inked (0 to 16); here it is divided by 16, so 0 is blank paper and 1 is
    fully inked. Images come in the order of the source file.

    Args:
        classes: keep only these digits (e.g. ``(3, 8)``), in the source's order; labels
            keep their digit values. None keeps all ten.
        device, dtype: where and in which float type the images go (labels are int64).

    Returns:
        ``Digits(images, labels)``: images (N, 8, 8), labels (N,).

    Raises:
        MissingExtraError: scikit-learn is not installed.
        InvalidArgumentError: ``classes`` names something other than the digits 0-9.

    >>> images, labels = digits((0, 1)); images.shape, labels[:4].tolist()
    (torch.Size([360, 8, 8]), [0, 1, 0, 1])
    """
    keep = None if classes is None else _classes(classes)
    pixels, targets = _read_digits()  # (1797, 64) counts 0..16, (1797,)
    images = torch.from_numpy(pixels).reshape(-1, 8, 8) / 16.0
    labels = torch.from_numpy(targets).long()
    if keep is not None:
        mask = torch.isin(labels, torch.tensor(keep))
        images, labels = images[mask], labels[mask]
    return Digits(images.to(device=device, dtype=dtype), labels.to(device=device))


def _read_digits() -> tuple[np.ndarray, np.ndarray]:
    """The table scikit-learn ships: read straight from its file when it is where
    scikit-learn keeps it (importing scikit-learn loads scipy: seconds on a busy machine),
    else through ``sklearn.datasets.load_digits``, which reads the same file."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise MissingExtraError(
            "digits() needs scikit-learn, which is not installed; install the lecture "
            'extra with: pip install "gdcourse[lectures]" (or pip install scikit-learn)')
    path = None if spec.origin is None else Path(spec.origin).parent.joinpath(*_DIGITS_FILE)
    if path is not None and path.is_file():
        with gzip.open(path, "rt") as text:
            table = np.loadtxt(text, delimiter=",")  # (1797, 65): 64 pixels, then the label
        return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    pixels, targets = load_digits(return_X_y=True)
    return pixels, targets.astype(np.int64)


def _classes(classes: Iterable[int]) -> list[int]:
    items = list(classes) if not isinstance(classes, (str, bytes)) else [classes]
    ok = bool(items) and all(
        isinstance(c, Integral) and not isinstance(c, bool) and 0 <= c <= 9 for c in items)
    if not ok:
        raise InvalidArgumentError(f"classes must be digits 0-9, such as (3, 8); got {classes!r}")
    return [int(c) for c in items]
