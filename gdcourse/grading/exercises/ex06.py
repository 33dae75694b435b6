"""Exercise 06: momentum and Adam from scratch, matched to torch.optim (declaration).

Tasks: classes ``Momentum(params, *, lr, beta)`` and ``Adam(params, *, lr, betas, eps)``
with ``step()`` and ``zero_grad()``, used like torch.optim optimizers. The probe feeds the
student's optimizer a sequence of gradients chosen in the grader (written into ``p.grad``
before each ``step()``) and sends back the parameters after every step; ``judges/ex06.py``
feeds the same gradients to ``torch.optim`` and compares step for step in float64.
"""

from __future__ import annotations

import torch

from ..registry import Rule, lookup

__all__ = ["TITLE", "TASKS", "RULES", "PROBES", "feed", "trajectory_probe",
           "zero_grad_probe", "trajectory_inputs", "zero_grad_inputs"]

TITLE = "momentum and Adam from scratch"
TASKS = ("Momentum", "Adam")
RULES = (Rule("exercise 06 asks for it from scratch",
              apis=("torch.optim", "gdcourse.optim", "torch._", "torch.ops"),
              attributes=("optim", "_fused_adam_", "_fused_adam", "_fused_adamw_",
                          "_fused_sgd_", "_foreach_add_", "_foreach_mul_", "ops")),)


def trajectory_probe(ns: dict, *, cls: str, kwargs: dict, init: list, grads: list) -> list:
    """params after each step of ``ns[cls](params, **kwargs)`` fed ``grads[t][i]``."""
    params = [p.clone().requires_grad_() for p in init]
    return feed(lookup(ns, cls)(params, **kwargs), params, grads)


def zero_grad_probe(ns: dict, *, cls: str, kwargs: dict, init: list) -> list:
    """Every ``p.grad`` as it is after ``zero_grad()`` (None or a tensor): raw values, so
    the grader decides, not code that runs next to the submission's."""
    params = [p.clone().requires_grad_() for p in init]
    opt = lookup(ns, cls)(params, **kwargs)
    for p in params:
        p.grad = torch.ones_like(p)
    opt.zero_grad()
    return [None if p.grad is None else torch.Tensor.detach(p.grad).clone() for p in params]


def feed(opt, params: list, grads: list) -> list:
    """Hand ``opt`` the gradients ``grads[t]`` step by step; params after each step."""
    steps = []
    for grads_t in grads:
        opt.zero_grad()
        for p, g in zip(params, grads_t):
            p.grad = g.clone()
        opt.step()
        steps.append([torch.Tensor.detach(p).clone() for p in params])
    return steps


PROBES = {"trajectory": trajectory_probe, "zero_grad": zero_grad_probe}


def _problem(seed: int, shapes, steps: int):
    gen = torch.Generator().manual_seed(seed)
    init = [torch.randn(*s, generator=gen, dtype=torch.float64) for s in shapes]
    # Gradients of changing size and sign, so a wrong decay or bias correction shows.
    grads = [[torch.randn(*s, generator=gen, dtype=torch.float64) * (1 + t % 3)
              for s in shapes] for t in range(steps)]
    return init, grads


def trajectory_inputs(cls: str, kwargs: dict, base: int, shapes, steps: int = 20):
    def make(seed: int = 0) -> dict:
        init, grads = _problem((base + 7919 * seed) % 2**31, shapes, steps)
        return {"cls": cls, "kwargs": kwargs, "init": init, "grads": grads}
    return make


def zero_grad_inputs(cls: str, kwargs: dict):
    def make(seed: int) -> dict:
        return {"cls": cls, "kwargs": kwargs,
                "init": _problem((60 + 7919 * seed) % 2**31, [(3,), (2, 2)], 0)[0]}
    return make
