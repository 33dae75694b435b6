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


# --- real data, standardizing and minibatches (lecture 01) --------------------------------
