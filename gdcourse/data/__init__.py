"""Small data sets for the lectures, all shipped or generated locally (nothing downloads).

    synthetic   noisy_line, two_blobs, spiral          (seeded; lectures 04-05)
    tables      belts, penguins                        (lecture 01)
    images      digits (8x8 handwritten, from scikit-learn)    (lecture 05)
    prep        standardize, design_matrix, minibatches

Generators take a ``seed`` (a private CPU generator, so the data are the same on every
device) and a ``device`` to put the result on.
"""

from .images import Digits, digits
from .prep import Standardized, design_matrix, minibatches, standardize
from .synthetic import noisy_line, spiral, two_blobs
from .tables import Belts, Penguins, belts, penguins

__all__ = ["Belts", "Digits", "Penguins", "Standardized", "belts", "design_matrix", "digits",
           "minibatches",
           "noisy_line", "penguins", "spiral", "standardize", "two_blobs"]
