"""Steps 1 to 5 of the seven-step recipe, on tensors that require gradients.

    1. init      params = randn(n), tracked by autograd       init_params
    2. predict   preds  = f(x, params)                         (your model)
    3. loss      L      = mean((preds - y)^2)                  mse
    4. gradient  g      = dL/dparams                           loss.backward()
    5. step      params <- params - lr * g                     step
    (2-5 once: apply_step; 6 repeat and 7 stop: gdcourse.loop.train)

Typical use::

    params = init_params(3, seed=666)
    for _ in range(1000):
        apply_step(params, quadratic, t, y, lr=1e-5)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._types import Device, LossFn, Model, Params
from ._validate import as_param_list, check_lr, check_steps
from .devices import seeded_generator
from .errors import DeviceMismatchError, InvalidArgumentError, NotFittedError, ShapeError

__all__ = ["init_params", "mse", "step", "apply_step"]


def init_params(n: int, *, seed: int | None = None, device: Device = None,
                dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Step 1: ``n`` parameters drawn from N(0, 1), as a leaf tensor that requires grad.

    The draw happens on the CPU generator and is then moved, so one seed gives the same
    values on every device. ``seed=None`` uses torch's global generator (see ``set_seed``).

    Args:
        n: how many parameters.
        seed: seeds a private generator; leaves the global RNG untouched.
        device: where the result lives (default: the CPU).
        dtype: a floating-point dtype.

    >>> init_params(3, seed=666)
    tensor([-2.1188,  0.0635, -1.4555], requires_grad=True)
    """
    check_steps(n, name="n")
    if not dtype.is_floating_point:
        raise InvalidArgumentError(
            f"params need a floating-point dtype to carry gradients, got {dtype}; "
            "try dtype=torch.float32"
        )
    gen = seeded_generator(seed)
    values = torch.randn(n, generator=gen, dtype=dtype)
    return values.to(device).requires_grad_() if device is not None else values.requires_grad_()


def mse(preds: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Step 3: the mean squared error, L = (1/N) sum_i (preds_i - targets_i)^2.

    Shapes must match exactly: (20, 1) against (20,) would broadcast to a (20, 20) grid of
    differences and give a wrong loss without any error, so it is refused.

    >>> mse(torch.tensor([1., 2.]), torch.tensor([1., 4.]))
    tensor(2.)
    """
    if not isinstance(preds, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise InvalidArgumentError(
            f"mse expects two tensors, got {type(preds).__name__} and {type(targets).__name__}"
        )
    if preds.shape != targets.shape:
        hint = ""
        if preds.dim() == targets.dim() + 1 and preds.shape[-1] == 1:
            hint = "; try preds.squeeze(-1)"
        elif targets.dim() == preds.dim() + 1 and targets.shape[-1] == 1:
            hint = "; try targets.squeeze(-1)"
        raise ShapeError(
            f"preds has shape {tuple(preds.shape)} but targets has shape "
            f"{tuple(targets.shape)}; they must match or the difference broadcasts silently{hint}"
        )
    if preds.device != targets.device:
        raise DeviceMismatchError(
            f"preds is on {preds.device} but targets is on {targets.device}; "
            "create the data and the params on one device"
        )
    # One fused op: the same number as ((preds - targets) ** 2).mean(), with fewer autograd nodes.
    return F.mse_loss(preds, targets)


def step(params: Params, lr: float) -> None:
    """Step 5: move every parameter against its gradient, then clear the gradient.

        theta <- theta - lr * grad L(theta)     # in place, under torch.no_grad()
        theta.grad <- None                      # so the next backward() starts fresh

    (The original lecture wrote ``params.data -= lr * params.data``, which shrinks the
    parameters instead of following the gradient.)

    Args:
        params: a leaf tensor that requires grad, or a list of them, after ``backward()``.
        lr: the learning rate, a positive finite number.

    Raises:
        InvalidArgumentError: a bad lr, or a params tensor that is not a leaf.
        NotFittedError: ``backward()`` has not filled ``params.grad`` yet.
    """
    lr = check_lr(lr)
    tensors = as_param_list(params)
    for p in tensors:
        if not p.is_leaf:
            raise InvalidArgumentError(
                "params is not a leaf tensor (it was computed from another tensor that requires "
                "grad), so autograd will not fill its .grad; create it with init_params() or "
                "call .detach().requires_grad_() on it"
            )
        if p.grad is None:
            raise NotFittedError(
                "params.grad is None: compute the loss and call loss.backward() before step()"
                + ("" if p.requires_grad else " (params does not require grad either; "
                   "create it with init_params() or call .requires_grad_())")
            )
    descend(tensors, lr)


def descend(tensors: list[torch.Tensor], lr: float) -> None:
    """The update of :func:`step` without its checks, for loops that checked once up front."""
    with torch.no_grad():
        for p in tensors:
            g = p.grad
            if g is not None:  # a param f never used has no gradient: skipped, as torch.optim does
                p.add_(g, alpha=-lr)  # theta <- theta - lr * g
            p.grad = None


def apply_step(params: Params, f: Model, x: torch.Tensor, y: torch.Tensor, *, lr: float,
               loss_fn: LossFn = mse, prn: bool = False) -> torch.Tensor:
    """Steps 2 to 5 once: predict, measure the loss, backpropagate, step.

        preds = f(x, params);  L = loss_fn(preds, y);  L.backward();  step(params, lr)

    Every dependency is an argument (the lecture's helper read ``f``, ``time``, ``signal``
    and ``lr`` from notebook globals).

    Args:
        params: the parameters, a leaf tensor that requires grad (or a list of them).
        f: the model, called as ``f(x, params)``.
        x: inputs, e.g. ``time`` of shape (N,).
        y: targets of the shape ``f`` returns, e.g. ``signal`` of shape (N,).
        lr: the learning rate.
        loss_fn: ``loss_fn(preds, y)`` returning a scalar tensor.
        prn: print the loss (this forces a device sync).

    Returns:
        The predictions made before the step (detached from the graph).
    """
    preds = f(x, params)
    loss = loss_fn(preds, y)
    if not (isinstance(loss, torch.Tensor) and loss.dim() == 0):
        raise ShapeError(
            f"loss_fn must return a scalar tensor, got shape {tuple(getattr(loss, 'shape', ()))}"
            "; reduce it with .mean()"
        )
    loss.backward()
    step(params, lr)
    if prn:
        print(f"loss: {loss.item():.6g}")
    return preds.detach()
