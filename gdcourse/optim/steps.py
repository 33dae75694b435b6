"""The pure updates of lecture 06: one function per algorithm, no classes, no hidden state.

Each ``*_step(p, g, state, *, lr, ...)`` changes one parameter tensor ``p`` and its state
dict in place from its gradient ``g``, under ``torch.no_grad()``; the classes of
:mod:`gdcourse.optim.optimizers` only validate hyper-parameters and call one of them for
every tensor. ``lr`` is a number or a tensor of per-element lrs broadcastable to ``p``.

    state = {}
    sgd_step(params, params.grad, state, lr=0.1, momentum=0.9)
"""

from __future__ import annotations

import math

import torch

from .._types import Lr

__all__ = ["sgd_step", "adagrad_step", "rmsprop_step", "adam_step"]


def _scaled_sub_(p: torch.Tensor, update: torch.Tensor, lr: Lr) -> None:
    """p <- p - lr * update, for a number lr (torch's exact op) or a per-element tensor."""
    if isinstance(lr, torch.Tensor):
        p.addcmul_(update, lr, value=-1)
    else:
        p.add_(update, alpha=-lr)


@torch.no_grad()
def sgd_step(p: torch.Tensor, g: torch.Tensor, state: dict, *, lr: Lr, momentum: float = 0.0,
             dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0) -> None:
    """One SGD step on ``p`` in place, with optional momentum, Nesterov and weight decay.

        g   <- g + weight_decay * p                      (L2 penalty, folded into g)
        buf <- g                                         on the first step
        buf <- momentum * buf + (1 - dampening) * g      afterwards
        d   <- g + momentum * buf   (Nesterov)   or   buf   (heavy ball)   or   g
        p   <- p - lr * d

    Departures from the textbook heavy ball v <- mu v - lr g; p <- p + v (these are
    torch's conventions): lr multiplies the buffer instead of living inside it, so changing
    lr mid-run rescales the whole step at once; the buffer starts at g rather than at 0;
    Nesterov uses the look-ahead reformulation that needs no gradient at a shifted point.

    Args:
        p: a parameter tensor, any shape; updated in place.
        g: its gradient, same shape.
        state: this parameter's state; holds "momentum_buffer" after the first step.
        lr: a number, or a tensor of per-element lrs broadcastable to ``p``.
    """
    if weight_decay:
        g = g.add(p, alpha=weight_decay)
    if momentum:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = g.clone()
        else:
            buf.mul_(momentum).add_(g, alpha=1 - dampening)
        g = g.add(buf, alpha=momentum) if nesterov else buf
    _scaled_sub_(p, g, lr)


@torch.no_grad()
def adagrad_step(p: torch.Tensor, g: torch.Tensor, state: dict, *, lr: Lr,
                 lr_decay: float = 0.0, eps: float = 1e-10, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0) -> None:
    """One Adagrad step on ``p`` in place (Duchi, Hazan & Singer, 2011, diagonal form).

        g  <- g + weight_decay * p                 (L2 penalty, folded into g)
        k  <- k + 1
        s  <- s + g^2                              sum of every squared gradient so far
        p  <- p - lr / (1 + (k - 1) lr_decay) * g / (sqrt(s) + eps)

    Each element gets its own step size, lr / sqrt(sum of its squared gradients): large for
    parameters whose gradients have been small, small for those with large ones. The sum
    only grows, so the steps shrink like 1 / sqrt(k) even where the gradient does not.
    Departures (torch's conventions): s starts at ``initial_accumulator_value`` rather than
    0, eps is added outside the square root (the paper's delta), and the optional
    ``lr_decay`` divides lr by 1 + (k - 1) lr_decay.

    Args:
        p, g: a parameter tensor and its gradient.
        state: "step" and "sum" (s), created on the first step.
        lr: a number, or a tensor of per-element lrs broadcastable to ``p``.
    """
    if weight_decay:
        g = g.add(p, alpha=weight_decay)
    if "step" not in state:
        state.update(step=0, sum=torch.full_like(p, initial_accumulator_value))
    state["step"] += 1
    s = state["sum"]
    s.addcmul_(g, g, value=1)
    std = s.sqrt().add_(eps)
    clr = lr / (1 + (state["step"] - 1) * lr_decay)
    if isinstance(clr, torch.Tensor):
        p.addcmul_(g / std, clr, value=-1)
    else:
        p.addcdiv_(g, std, value=-clr)


@torch.no_grad()
def rmsprop_step(p: torch.Tensor, g: torch.Tensor, state: dict, *, lr: Lr, alpha: float = 0.99,
                 eps: float = 1e-8, momentum: float = 0.0, centered: bool = False,
                 weight_decay: float = 0.0) -> None:
    """One RMSProp step on ``p`` in place (Tieleman & Hinton, 2012, lecture 6e).

        g   <- g + weight_decay * p                  (L2 penalty, folded into g)
        v   <- alpha v + (1 - alpha) g^2             running mean of g^2 (from v = 0)
        m   <- alpha m + (1 - alpha) g               (centered only) running mean of g
        d   <- sqrt(v - m^2) (centered)  or  sqrt(v),   then d <- d + eps
        buf <- momentum buf + g / d                   (momentum > 0, from buf = 0)
        p   <- p - lr * buf      or      p <- p - lr * g / d

    Adagrad's sum of squared gradients, replaced by a running mean: old gradients fade with
    weight alpha^k, so the steps no longer shrink for good. Departures: there is no bias
    correction (Adam adds one), so with alpha = 0.99 the first step is lr / sqrt(0.01) =
    10 lr per element, and the early steps are larger than later ones; eps is added
    outside the square root (TensorFlow adds it inside); momentum, as in torch, acts on the
    already-scaled step g / d, not on g.

    Args:
        p, g: a parameter tensor and its gradient.
        state: "step", "square_avg" (v), and "grad_avg" (m) / "momentum_buffer" when used.
        lr: a number, or a tensor of per-element lrs broadcastable to ``p``.
    """
    if weight_decay:
        g = g.add(p, alpha=weight_decay)
    if "step" not in state:
        state.update(step=0, square_avg=torch.zeros_like(p))
        if centered:
            state["grad_avg"] = torch.zeros_like(p)
        if momentum:
            state["momentum_buffer"] = torch.zeros_like(p)
    state["step"] += 1
    v = state["square_avg"]
    v.mul_(alpha).addcmul_(g, g, value=1 - alpha)
    if centered:
        m = state["grad_avg"]
        m.lerp_(g, 1 - alpha)
        d = v.addcmul(m, m, value=-1).sqrt_()
    else:
        d = v.sqrt()
    d.add_(eps)
    if momentum:
        buf = state["momentum_buffer"]
        buf.mul_(momentum).addcdiv_(g, d)
        _scaled_sub_(p, buf, lr)
    elif isinstance(lr, torch.Tensor):
        # (lr g) / d, the order of torch's addcdiv: RMSProp near a minimum is chaotic
        # enough that a one-ulp difference grows into a different path
        p.sub_(lr * g / d)
    else:
        p.addcdiv_(g, d, value=-lr)


@torch.no_grad()
def adam_step(p: torch.Tensor, g: torch.Tensor, state: dict, *, lr: Lr,
              betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
              weight_decay: float = 0.0) -> None:
    """One Adam step on ``p`` in place (Kingma & Ba, Algorithm 1).

        g  <- g + weight_decay * p                (L2 in the gradient; AdamW decouples it)
        k  <- k + 1
        m  <- beta1 m + (1 - beta1) g             running mean of g
        v  <- beta2 v + (1 - beta2) g^2           running mean of g^2
        p  <- p - lr / (1 - beta1^k) * m / (sqrt(v) / sqrt(1 - beta2^k) + eps)

    i.e. p <- p - lr * m_hat / (sqrt(v_hat) + eps) with the bias corrections m_hat, v_hat.
    Departures: eps is added *after* the bias correction of sqrt(v), as in torch and the
    paper's Algorithm 1 (TensorFlow/Keras add an "eps hat" to the uncorrected sqrt(v),
    which is a slightly different optimizer early on); weight decay is the L2 kind.

    Args:
        p, g: a parameter tensor and its gradient.
        state: "step", "exp_avg" (m) and "exp_avg_sq" (v), created on the first step.
        lr: a number, or a tensor of per-element lrs broadcastable to ``p``.
    """
    beta1, beta2 = betas
    if weight_decay:
        g = g.add(p, alpha=weight_decay)
    if "step" not in state:
        state.update(step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
    state["step"] += 1
    k, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
    m.lerp_(g, 1 - beta1)
    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    denom = (v.sqrt() / math.sqrt(1 - beta2 ** k)).add_(eps)
    if isinstance(lr, torch.Tensor):
        p.addcmul_(m / denom, lr / (1 - beta1 ** k), value=-1)
    else:
        p.addcdiv_(m, denom, value=-lr / (1 - beta1 ** k))
