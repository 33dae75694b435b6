"""Models and a gradient-descent loop built on :class:`~gdcourse.scratch.scalar.Scalar`.

    from gdcourse.scratch.nn import GradientDescent, Linear
    from gdcourse.scratch.scalar import mean_squared_error
    model = Linear()
    losses = GradientDescent(model, mean_squared_error).run(xs, ys, lr=0.2, n_steps=100)
    model.parameters()            # {'a': Scalar(0.79...), 'b': Scalar(-1.19...)}

A model is a function of one sample (a number, or a tuple of numbers) whose parameters
are Scalar leaves, listed by name in ``parameters()``. Every training step builds a fresh
graph from the samples to the loss; ``loss.backward()`` fills the parameters' ``grad``; and
``gradient_update(lr)`` moves each one downhill: ``p <- p - lr * dL/dp``.
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from typing import Any, TypeAlias

import torch

from .._loop_parts import Progress, progress_default
from .._validate import check_lr, check_steps
from ..errors import DivergenceError, InvalidArgumentError, InvalidTypeError, ShapeError
from .scalar import Scalar, gc_paused, sigmoid, tanh

__all__ = ["Model", "GradientDescent", "Linear", "LogisticRegression", "OneLayerNetwork"]

#: one sample: a number (Linear) or a sequence of numbers (the networks)
Sample: TypeAlias = Any
#: N samples, or a tensor of them (read with ``.tolist()``)
Samples: TypeAlias = "Sequence[Any] | torch.Tensor"


class Model(ABC):
    """A model on Scalars: subclasses define ``forward(x)`` and ``parameters()``.

    ``parameters()`` returns the live Scalars (change them and the model changes);
    ``copy_parameters()`` returns a snapshot that later training leaves alone.
    """

    def __call__(self, x: Sample) -> Scalar:
        return self.forward(x)

    @abstractmethod
    def forward(self, x: Sample) -> Scalar:
        """The prediction for one sample ``x``, as a Scalar whose graph reaches the parameters."""

    @abstractmethod
    def parameters(self) -> dict[str, Scalar]:
        """Every parameter by name; the Scalars themselves, not copies."""

    def gradient_update(self, lr: float) -> None:
        """``p <- p - lr * p.grad`` for every parameter (after ``loss.backward()``)."""
        lr = check_lr(lr)
        for p in self.parameters().values():
            p.value -= lr * p.grad

    def copy_parameters(self) -> dict[str, Scalar]:
        """A snapshot of the parameters: new Scalars holding today's values.

        ``parameters()`` hands out the model's own Scalars, so a dict saved from it keeps
        changing as training goes on; a copy does not.
        """
        return {name: Scalar(p.value) for name, p in self.parameters().items()}

    def load_parameters(self, params: Mapping[str, Scalar | float]) -> None:
        """Set every parameter's value from ``params`` (Scalars or numbers), by name.

        Values are copied into the model's own Scalars, so ``params`` and the model never
        share an object. Nothing changes unless every name and value checks out.

        Raises:
            InvalidArgumentError: a name the model does not have, or one it has is missing.
            InvalidTypeError: a value is neither a Scalar nor a real number.
        """
        own = self.parameters()
        kind = type(self).__name__
        unknown = [name for name in params if name not in own]
        if unknown:
            raise InvalidArgumentError(
                f"{kind} has no parameter(s) {unknown}; its parameters are {list(own)}")
        missing = [name for name in own if name not in params]
        if missing:
            raise InvalidArgumentError(
                f"missing parameter(s) {missing} for {kind}; pass all of {list(own)}, "
                "e.g. a dict from model.copy_parameters()")
        values = {name: _number(value, name) for name, value in params.items()}
        for name, value in values.items():
            own[name].value = value

    def predict(self, xs: Samples) -> list[float]:
        """The model's outputs on many samples, as floats (a list, or a tensor via tolist)."""
        xs = xs.tolist() if hasattr(xs, "tolist") else xs
        with gc_paused():
            return [self(x).value for x in xs]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.parameters())} parameters)"


class GradientDescent:
    """Full-batch gradient descent on a :class:`Model`.

    Each step:
        preds = [model(x) for x in xs]      # a fresh graph from samples to loss
        loss  = loss_fn(preds, ys)
        loss.backward()                     # zeroes old grads, fills p.grad = dL/dp
        p    <- p - lr_t * p.grad           # for every parameter

    Args:
        model: the :class:`Model` to train (changed in place).
        loss_fn: ``loss_fn(preds, ys) -> Scalar``, e.g. ``mean_squared_error``.
    """

    def __init__(self, model: Model,
                 loss_fn: Callable[[list[Scalar], list[float]], Scalar]) -> None:
        if not isinstance(model, Model):
            raise InvalidTypeError(f"model must be a gdcourse Model, got {type(model).__name__}")
        self.model = model
        self.loss_fn = loss_fn

    def run(self, xs: Samples, ys: Sequence[float] | torch.Tensor, *, lr: float | None = None,
            n_steps: int = 1000,
            lr_schedule: Callable[[int], float] | None = None, progress: bool | None = None,
            print_every: int | None = None) -> list[float]:
        """Take ``n_steps`` steps; returns the loss before each step (length ``n_steps``).

        Args:
            xs: N samples (numbers or tuples), or a tensor (read with ``.tolist()``).
            ys: N targets, or a tensor.
            lr: a constant learning rate (default 0.01 when no schedule is given).
            n_steps: number of steps.
            lr_schedule: ``step -> lr`` for step = 0, 1, ..., n_steps - 1 (instead of lr).
            progress: show a tqdm bar (default: in notebooks and terminals, not in CI).
            print_every: print the loss at step 1 and every this many steps.

        Raises:
            InvalidArgumentError: both lr and lr_schedule, a bad lr or n_steps.
            DivergenceError: the loss became nan or inf (``.step``, ``.lr``, ``.history``).
        """
        if lr is not None and lr_schedule is not None:
            raise InvalidArgumentError("give lr or lr_schedule, not both")
        if lr_schedule is None:
            rate = check_lr(0.01 if lr is None else lr)
            lr_schedule = lambda step: rate  # noqa: E731 (a constant rate is a flat schedule)
        n_steps = check_steps(n_steps, name="n_steps")
        xs = xs.tolist() if hasattr(xs, "tolist") else list(xs)
        ys = ys.tolist() if hasattr(ys, "tolist") else list(ys)
        if len(xs) != len(ys):
            raise ShapeError(f"xs has {len(xs)} samples but ys has {len(ys)} targets")
        bar = Progress(n_steps, progress_default() if progress is None else progress,
                       desc="GradientDescent")
        losses: list[float] = []
        model, loss_fn = self.model, self.loss_fn
        try:
            with gc_paused():
                for step in range(n_steps):
                    step_lr = check_lr(lr_schedule(step), name="lr_schedule(step)")
                    loss = loss_fn([model(x) for x in xs], ys)
                    if not math.isfinite(loss.value):  # the loss of params after `step` updates
                        bar.close(step + 1)  # the bar stops at the step the error names
                        raise DivergenceError.for_loss(
                            loss.value, step=step + 1, lr=step_lr, setting=f"lr={step_lr:g}",
                            restored="the model keeps the params that gave it",
                            history=losses)
                    loss.backward()
                    model.gradient_update(step_lr)
                    losses.append(loss.value)
                    if print_every and (step == 0 or (step + 1) % print_every == 0):
                        print(f"step {step + 1:>5}: loss = {loss.value:.6f}")
                    bar.show(step + 1, loss.value)
        finally:
            bar.close(len(losses))
        return losses


class Linear(Model):
    """f(x) = a x + b on one number x; starts from a = b = 1 unless told otherwise."""

    def __init__(self, *, a: float = 1.0, b: float = 1.0) -> None:
        self.a = Scalar(a)
        self.b = Scalar(b)

    def forward(self, x: Sample) -> Scalar:
        return self.a * x + self.b

    def parameters(self) -> dict[str, Scalar]:
        return {"a": self.a, "b": self.b}


class LogisticRegression(Model):
    """p(x) = sigmoid(a1 x1 + ... + an xn + b): a network with no hidden layer.

    Args:
        n_features: length of each sample x.
        init: the starting value of every parameter (the lecture starts from 1).
    """

    def __init__(self, n_features: int = 2, *, init: float = 1.0) -> None:
        check_steps(n_features, name="n_features")
        self.weights = [Scalar(init) for _ in range(n_features)]
        self.b = Scalar(init)

    def forward(self, x: Sample) -> Scalar:
        _check_sample(x, len(self.weights), type(self).__name__)
        return sigmoid(sum((a * xi for a, xi in zip(self.weights, x)), self.b))

    def parameters(self) -> dict[str, Scalar]:
        named = {f"a{i + 1}": a for i, a in enumerate(self.weights)}
        return {**named, "b": self.b}


class OneLayerNetwork(Model):
    """p(x) = sigmoid(sum_j B_j h_j + b), h_j = tanh(sum_i A_ij x_i + c_j).

    Each hidden unit j mixes the inputs with its own column of A, bends the result with
    tanh, and the output unit mixes the hidden values with B. Parameters start uniform in
    [-1, 1), drawn from ``random.Random(seed)``.

    Args:
        hidden: number of hidden units.
        n_inputs: length of each sample x.
        seed: seed of the initial values (None: Python's global ``random``).
    """

    def __init__(self, hidden: int = 16, *, n_inputs: int = 2, seed: int | None = None) -> None:
        check_steps(hidden, name="hidden")
        check_steps(n_inputs, name="n_inputs")
        rng = random.Random(seed) if seed is not None else random
        draw = rng.uniform
        self.A = [[Scalar(draw(-1, 1)) for _ in range(hidden)] for _ in range(n_inputs)]
        self.c = [Scalar(draw(-1, 1)) for _ in range(hidden)]
        self.B = [Scalar(draw(-1, 1)) for _ in range(hidden)]
        self.b = Scalar(draw(-1, 1))

    def forward(self, x: Sample) -> Scalar:
        _check_sample(x, len(self.A), type(self).__name__)
        # x @ A + c, written out as loops: this is what tensors do for us in one call.
        h = [tanh(sum((row[j] * xi for row, xi in zip(self.A, x)), c_j))
             for j, c_j in enumerate(self.c)]
        return sigmoid(sum((B_j * h_j for B_j, h_j in zip(self.B, h)), self.b))

    def parameters(self) -> dict[str, Scalar]:
        params = {f"A[{i}][{j}]": a for i, row in enumerate(self.A) for j, a in enumerate(row)}
        params.update({f"c[{j}]": c for j, c in enumerate(self.c)})
        params.update({f"B[{j}]": B for j, B in enumerate(self.B)})
        params["b"] = self.b
        return params


def _number(value, name: str) -> float:
    if isinstance(value, Scalar):
        return value.value
    if isinstance(value, Real):
        return float(value)
    raise InvalidTypeError(
        f"parameter {name!r} must be a Scalar or a number, got {type(value).__name__}")


def _check_sample(x, n: int, kind: str) -> None:
    if not isinstance(x, Sequence) or len(x) != n:
        raise ShapeError(f"{kind} takes samples of {n} numbers, got {x!r}")
