"""gdcourse.schedules: values, agreement with torch.optim.lr_scheduler, and errors."""

from __future__ import annotations

import math

import pytest
import torch
from test_optim import STEPS, _loss, problem, run_side_by_side  # noqa: F401  (fixture)

from gdcourse.errors import InvalidArgumentError
from gdcourse.optim import SGD, Adam, build
from gdcourse.schedules import CosineDecay, ExponentialDecay, Piecewise, StepDecay

sched = torch.optim.lr_scheduler


def _lecture05_schedule(step):
    if step < 40:
        return 1.0
    if step < 80:
        return 0.5
    return 0.2


def test_piecewise_values_at_the_boundaries():
    s = Piecewise([100, 200], [1.0, 0.5, 0.1])
    assert [s(t) for t in (0, 99, 100, 199, 200, 10_000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    assert s.values(201).count(1.0) == 100 and s.values(201).count(0.5) == 100
    # the Piecewise that lecture 06 names is lecture 05's function, step for step
    lecture05 = Piecewise([40, 80], [1.0, 0.5, 0.2])
    assert lecture05.values(200) == [_lecture05_schedule(t) for t in range(200)]


def test_closed_forms():
    assert StepDecay(3, gamma=0.5).values(7) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert ExponentialDecay(0.9).values(3) == [1.0, 0.9, 0.9 ** 2]
    c = CosineDecay(10, min_factor=0.2)
    assert c(0) == 1.0 and c(5) == pytest.approx(0.6) and c(10) == c(500) == 0.2


@pytest.mark.parametrize("ours, theirs", [
    (Piecewise([200, 500], [1.0, 0.3, 0.09]),
     lambda o: sched.MultiStepLR(o, milestones=[200, 500], gamma=0.3)),
    (StepDecay(150, gamma=0.7), lambda o: sched.StepLR(o, step_size=150, gamma=0.7)),
    (ExponentialDecay(0.997), lambda o: sched.ExponentialLR(o, gamma=0.997)),
    (CosineDecay(STEPS, min_factor=0.1),
     lambda o: sched.CosineAnnealingLR(o, T_max=STEPS, eta_min=0.1 * 0.2)),
    # a plain function (lecture 05's hand-written schedule), through LambdaLR
    (_lecture05_schedule, lambda o: sched.LambdaLR(o, _lecture05_schedule)),
], ids=["piecewise-multistep", "step", "exponential", "cosine", "lambda"])
def test_schedule_matches_torch_lr_scheduler(problem, ours, theirs):  # noqa: F811
    hyper = dict(lr=0.2, momentum=0.9)
    run_side_by_side(problem, lambda p: SGD(p, schedule=ours, **hyper),
                     lambda p: torch.optim.SGD(p, **hyper), make_sched=theirs)


def test_schedule_with_adam_and_per_parameter_lrs(problem):  # noqa: F811
    lrs = [0.02, 0.1, 0.3]
    run_side_by_side(
        problem, lambda p: Adam(p, lr=lrs, schedule=ExponentialDecay(0.995)),
        lambda p: torch.optim.Adam([{"params": [q], "lr": lr} for q, lr in zip(p, lrs)]),
        make_sched=lambda o: sched.ExponentialLR(o, gamma=0.995), split=True, steps=300)


def test_current_lrs_follow_the_schedule():
    p = torch.zeros(3, requires_grad=True)
    opt = build("sgd", [p], lr=[torch.tensor([1.0, 2.0, 4.0])], schedule=StepDecay(1, gamma=0.5))
    assert opt.current_lrs()[0].tolist() == [1.0, 2.0, 4.0]
    opt.step()  # no gradient: nothing moves, but the step still counts
    assert opt.t == 1 and opt.current_lrs()[0].tolist() == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("bad", [-0.5, math.nan, math.inf, "0.1", torch.tensor(-1.0)])
def test_schedule_returning_a_bad_lr_fails_at_that_step(problem, bad):  # noqa: F811
    u, y, init = problem
    p = init.clone().requires_grad_()
    opt = SGD([p], lr=0.1, schedule=lambda t: 1.0 if t < 6 else bad)
    for _ in range(6):
        opt.zero_grad()
        _loss(u, y, p).backward()
        opt.step()
    before = p.detach().clone()
    _loss(u, y, p).backward()
    with pytest.raises(InvalidArgumentError,
                       match=r"schedule returned .* at step 6 .*finite factor >= 0"):
        opt.step()
    assert torch.equal(p.detach(), before) and opt.t == 6  # nothing moved


@pytest.mark.parametrize("make, match", [
    (lambda: Piecewise([100, 50], [1, 0.5, 0.1]), "strictly increasing"),
    (lambda: Piecewise([100], [1, 0.5, 0.1]), "one more factor than boundaries"),
    (lambda: Piecewise([0], [1, 0.5]), "each boundary must be a positive integer"),
    (lambda: Piecewise([10], [1, -0.5]), "each factor must be a finite number >= 0"),
    (lambda: StepDecay(0), "step_size must be a positive integer"),
    (lambda: StepDecay(10, gamma=0.0), "gamma must be a finite number > 0"),
    (lambda: ExponentialDecay(float("nan")), "gamma must be a finite number > 0"),
    (lambda: CosineDecay(100, min_factor=2.0), "must be <= 1"),
    (lambda: CosineDecay(100).values(0), "n must be a positive integer"),
])
def test_bad_schedules(make, match):
    with pytest.raises(InvalidArgumentError, match=match):
        make()
