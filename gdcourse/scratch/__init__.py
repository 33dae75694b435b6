"""What the course builds by hand to explain torch, each piece checked against torch.

- ``gdcourse.scratch.scalar``: reverse-mode autodiff on single numbers (``Scalar``), its
  functions (exp, log, sigmoid, tanh, relu) and losses (lecture 04).
- ``gdcourse.scratch.symbolic``: symbolic expressions, ``d()``, ``val()``, simplification
  (lecture 03).
- ``gdcourse.scratch.nn``: ``Model``, ``GradientDescent`` and small networks on Scalars
  (lectures 04-05).

Import the submodule you need: ``from gdcourse.scratch.scalar import Scalar``.
"""
