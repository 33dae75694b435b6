"""Exercise 06: momentum and Adam from scratch, matched to torch.optim (public checks).

Tasks: classes ``Momentum(params, *, lr, beta)`` and ``Adam(params, *, lr, betas, eps)``
with ``step()`` and ``zero_grad()``, used like torch.optim optimizers. The probe feeds the
student's optimizer a sequence of gradients chosen here (written into ``p.grad`` before each
``step()``) and sends back the parameters after every step; the grader feeds the same
gradients to ``torch.optim.SGD(momentum=beta)`` / ``torch.optim.Adam`` and compares the
two trajectories step for step in float64.
"""

from __future__ import annotations

import torch

from .compare import PASS, close, each
from .registry import Check, Exercise, Verdict, lookup

__all__ = ["EXERCISE", "trajectory_probe", "zero_grad_probe", "oracle_trajectory"]


def trajectory_probe(ns: dict, *, cls: str, kwargs: dict, init: list, grads: list) -> list:
    """params after each step of ``ns[cls](params, **kwargs)`` fed ``grads[t][i]``."""
    params = [p.clone().requires_grad_() for p in init]
    return _feed(lookup(ns, cls)(params, **kwargs), params, grads)


def zero_grad_probe(ns: dict, *, cls: str, kwargs: dict, init: list) -> list:
    """Every ``p.grad`` as it is after ``zero_grad()`` (None or a tensor): raw values, so
    the grader decides, not code that runs next to the submission's."""
    params = [p.clone().requires_grad_() for p in init]
    opt = lookup(ns, cls)(params, **kwargs)
    for p in params:
        p.grad = torch.ones_like(p)
    opt.zero_grad()
    return [None if p.grad is None else torch.Tensor.detach(p.grad).clone() for p in params]


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
    return _feed(opt, params, grads)


def _feed(opt, params: list, grads: list) -> list:
    """Hand ``opt`` the gradients ``grads[t]`` step by step; params after each step."""
    steps = []
    for grads_t in grads:
        opt.zero_grad()
        for p, g in zip(params, grads_t):
            p.grad = g.clone()
        opt.step()
        steps.append([torch.Tensor.detach(p).clone() for p in params])
    return steps


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


def _problem(seed: int, shapes, steps: int):
    gen = torch.Generator().manual_seed(seed)
    init = [torch.randn(*s, generator=gen, dtype=torch.float64) for s in shapes]
    # Gradients of changing size and sign, so a wrong decay or bias correction shows.
    grads = [[torch.randn(*s, generator=gen, dtype=torch.float64) * (1 + t % 3)
              for s in shapes] for t in range(steps)]
    return init, grads


def _trajectory_inputs(cls, kwargs, seed, shapes, steps=20):
    def make():
        init, grads = _problem(seed, shapes, steps)
        return {"cls": cls, "kwargs": kwargs, "init": init, "grads": grads}
    return make


def _zero_grad_inputs(cls, kwargs):
    return lambda: {"cls": cls, "kwargs": kwargs, "init": _problem(60, [(3,), (2, 2)], 0)[0]}


EXERCISE = Exercise(
    id="06",
    title="momentum and Adam from scratch",
    tasks=["Momentum", "Adam"],
    probes={"trajectory": trajectory_probe, "zero_grad": zero_grad_probe},
    checks=[
        Check("Momentum matches torch.optim.SGD(momentum=0.9) for 20 steps", "Momentum", 2,
              _trajectory_inputs("Momentum", {"lr": 0.1, "beta": 0.9}, 61, [(5,)]),
              judge_trajectory, "trajectory"),
        Check("Momentum with beta=0.5 on two tensors", "Momentum", 1,
              _trajectory_inputs("Momentum", {"lr": 0.05, "beta": 0.5}, 62, [(3,), (2, 4)]),
              judge_trajectory, "trajectory"),
        Check("Momentum.zero_grad clears the gradients", "Momentum", 1,
              _zero_grad_inputs("Momentum", {"lr": 0.1, "beta": 0.9}), judge_zero_grad,
              "zero_grad"),
        Check("Adam matches torch.optim.Adam for 20 steps", "Adam", 2,
              _trajectory_inputs("Adam", {"lr": 0.01}, 63, [(5,)]), judge_trajectory,
              "trajectory"),
        Check("Adam with betas=(0.8, 0.99), eps=1e-6 on two tensors", "Adam", 1,
              _trajectory_inputs("Adam", {"lr": 0.1, "betas": [0.8, 0.99], "eps": 1e-6}, 64,
                                 [(3,), (2, 4)]), judge_trajectory, "trajectory"),
        Check("Adam.zero_grad clears the gradients", "Adam", 1,
              _zero_grad_inputs("Adam", {"lr": 0.1}), judge_zero_grad, "zero_grad"),
    ],
)
