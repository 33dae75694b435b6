"""Exercise 06's judges: the same gradients fed to ``torch.optim.SGD(momentum=beta)`` /
``torch.optim.Adam``, compared step for step in float64; and its checks."""

from __future__ import annotations

import torch

from ..exercises.ex06 import feed, trajectory_inputs, zero_grad_inputs
from ..registry import Check, Verdict
from .compare import PASS, close, each

__all__ = ["CHECKS", "oracle_trajectory", "judge_trajectory", "judge_zero_grad",
           "trajectory_inputs"]


def oracle_trajectory(cls: str, kwargs: dict, init: list, grads: list) -> list:
    """The same gradients fed to the torch.optim optimizer the class should match."""
    params = [p.clone().requires_grad_() for p in init]
    opt: torch.optim.Optimizer
    if cls == "Momentum":
        opt = torch.optim.SGD(params, lr=kwargs["lr"], momentum=kwargs.get("beta", 0.9))
    else:
        opt = torch.optim.Adam(params, lr=kwargs["lr"],
                               betas=tuple(kwargs.get("betas", (0.9, 0.999))),
                               eps=kwargs.get("eps", 1e-8))
    return feed(opt, params, grads)


def judge_trajectory(out, inputs) -> Verdict:
    expected = oracle_trajectory(inputs["cls"], inputs["kwargs"], inputs["init"],
                                 inputs["grads"])
    for t, (got_t, want_t) in enumerate(each(out, expected, noun="step"), start=1):
        for i, (got, want) in enumerate(each(got_t, want_t, noun="param")):
            verdict = close(got, want, what=f"after step {t}, params[{i}]", rtol=1e-7,
                            atol=1e-10)
            if not verdict.passed:
                reference = ("torch.optim.SGD(momentum=...)" if inputs["cls"] == "Momentum"
                             else "torch.optim.Adam")
                return Verdict(False, f"{verdict.hint} ({reference} with the same gradients)")
    return PASS


def judge_zero_grad(out, inputs) -> Verdict:
    """Each gradient None, or a tensor of the parameter's shape holding only zeros."""
    init = inputs["init"]
    fail = Verdict(False, "zero_grad() should set every p.grad to None (or to zeros)")
    if not isinstance(out, list) or len(out) != len(init):
        return fail
    for grad, p in zip(out, init):
        if grad is None:
            continue
        if not isinstance(grad, torch.Tensor) or tuple(grad.shape) != tuple(p.shape):
            return fail
        if not bool(torch.count_nonzero(torch.nan_to_num(grad.double(), nan=1.0)) == 0):
            return fail
    return PASS


CHECKS = [
    Check("Momentum matches torch.optim.SGD(momentum=0.9) for 20 steps", "Momentum", 2,
          trajectory_inputs("Momentum", {"lr": 0.1, "beta": 0.9}, 61, [(5,)]),
          judge_trajectory, "trajectory"),
    Check("Momentum with beta=0.5 on two tensors", "Momentum", 1,
          trajectory_inputs("Momentum", {"lr": 0.05, "beta": 0.5}, 62, [(3,), (2, 4)]),
          judge_trajectory, "trajectory"),
    Check("Momentum.zero_grad clears the gradients", "Momentum", 1,
          zero_grad_inputs("Momentum", {"lr": 0.1, "beta": 0.9}), judge_zero_grad,
          "zero_grad"),
    Check("Adam matches torch.optim.Adam for 20 steps", "Adam", 2,
          trajectory_inputs("Adam", {"lr": 0.01}, 63, [(5,)]), judge_trajectory, "trajectory"),
    Check("Adam with betas=(0.8, 0.99), eps=1e-6 on two tensors", "Adam", 1,
          trajectory_inputs("Adam", {"lr": 0.1, "betas": [0.8, 0.99], "eps": 1e-6}, 64,
                            [(3,), (2, 4)]), judge_trajectory, "trajectory"),
    Check("Adam.zero_grad clears the gradients", "Adam", 1,
          zero_grad_inputs("Adam", {"lr": 0.1}), judge_zero_grad, "zero_grad"),
]
