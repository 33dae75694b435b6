"""Small real data sets of lecture 01, shipped in code or read from a registry package.

Nothing downloads at run time: the belt table is below, the penguins come from the
``palmerpenguins`` package (the ``[lectures]`` extra).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .._types import Device
from ..errors import MissingExtraError

__all__ = ["BELT_CM", "BELT_IN", "BELT_WAIST", "Belts", "Penguins", "belts", "penguins"]

# Gap belt sizes: waist size, belt length in inches, belt length in centimetres. The one
# copy of the table: lecture 01, its exercise and the grader's checks all read it from here.
BELT_WAIST = (28.0, 30.0, 32.0, 34.0, 36.0, 38.0, 40.0, 42.0, 44.0, 46.0)
BELT_IN = (30.5, 32.5, 34.5, 36.5, 38.5, 40.5, 42.5, 44.5, 46.5, 48.5)
BELT_CM = (77.0, 83.0, 88.0, 93.0, 98.0, 103.0, 108.0, 113.0, 118.0, 123.0)


class Belts(NamedTuple):
    """The belt table; each field has shape (10,)."""

    waist: torch.Tensor
    inches: torch.Tensor
    cm: torch.Tensor


class Penguins(NamedTuple):
    """Palmer penguins with complete records; each field has shape (333,)."""

    bill_length: torch.Tensor  # mm
    body_mass: torch.Tensor  # g


def belts(*, device: Device = None, dtype: torch.dtype = torch.float32) -> Belts:
    """Ten belt sizes from a shop's size chart: waist, length in inches, length in cm.

    The lecture pretends not to know cm = 2.54 * inches and learns the multiplier from
    ``inches`` and ``cm``. The chart rounds to whole centimetres, so no multiplier fits
    exactly.

    >>> b = belts(); b.inches[:3], b.cm[:3]
    (tensor([30.5000, 32.5000, 34.5000]), tensor([77., 83., 88.]))
    """
    return Belts(*(torch.tensor(col, dtype=dtype, device=device)
                   for col in (BELT_WAIST, BELT_IN, BELT_CM)))


def penguins(*, device: Device = None, dtype: torch.dtype = torch.float32) -> Penguins:
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
