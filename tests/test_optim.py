"""gdcourse.optim: every update matches torch.optim step for step, plus lrs, state and errors.

One table, ``OPTIM_DB``, drives the tests, in the style of torch's own optimizer database
(``torch/testing/_internal/common_optimizers.py``): each optimizer is one
:class:`OptimizerInfo` entry holding its gdcourse class, its torch.optim twin, the
hyper-parameter sets checked against the twin, the presets ``build`` registers for it, the
hand-computed steps of its docstring, its stability rule and its validation errors. Adding
an optimizer is adding one entry; ``test_the_table_covers_every_registered_optimizer``
fails until it has one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import torch

import gdcourse as gd
from gdcourse.errors import InvalidArgumentError, ShapeError
from gdcourse.optim import (
    OPTIMIZERS,
    SGD,
    Adagrad,
    Adam,
    Optimizer,
    RMSProp,
    adagrad_step,
    adam_step,
    build,
    rmsprop_step,
    sgd_step,
)
from gdcourse.quadratic import design_matrix_quadratic

STEPS = 1000
RTOL = 1e-10

Hand = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (p, g) -> expected tensor


@dataclass(frozen=True)
class OptimizerInfo:
    """Everything the tests need to know about one optimizer.

    Attributes:
        cls: the gdcourse class.
        torch_cls: its torch.optim twin, same keyword names and defaults.
        step_fn: the pure update the class wraps, ``step_fn(p, g, state, lr=..., ...)``.
        cases: hyper-parameter sets (with lr) run side by side with ``torch_cls``.
        presets: the names ``build`` registers for this class -> the keywords that make
            ``torch_cls`` the same optimizer.
        hand: keywords for ``step_fn``, and the params expected after each of a few steps
            with the same gradient, computed by hand from the docstring's math.
        hand_state: state entries expected after those steps, from the same math.
        group_hyper: hyper-parameters for the list-of-lrs vs param-groups test.
        train_cases: hyper-parameter sets for which gd.train with ours and with torch's
            must give bit-identical float32 runs.
        stability: (preset, hyper) pairs whose lr limit is factor * 2 / lambda (SGD family);
            empty for optimizers the curvature does not limit (factor inf).
        fits_quadratic: presets that fit_quadratic's curvature-derived lr drives to the
            optimum (Adagrad's ever-shrinking steps stall before it: not listed).
        errors: (constructor keywords, message regex) for every validation error.
    """

    cls: type[Optimizer]
    torch_cls: type[torch.optim.Optimizer]
    step_fn: Callable[..., None]
    cases: dict[str, dict]
    presets: dict[str, dict]
    hand: tuple[dict, list[Hand]]
    hand_state: dict[str, Callable[[torch.Tensor], torch.Tensor]]
    group_hyper: dict
    train_cases: dict[str, dict] = field(default_factory=dict)
    stability: list[tuple[str, dict]] = field(default_factory=list)
    fits_quadratic: tuple[str, ...] = ()
    errors: list[tuple[dict, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.cls.__name__


OPTIM_DB = [
    OptimizerInfo(
        cls=SGD, torch_cls=torch.optim.SGD, step_fn=sgd_step,
        cases={
            "plain": dict(lr=0.3),
            "momentum": dict(lr=0.1, momentum=0.9),
            "dampening": dict(lr=0.1, momentum=0.9, dampening=0.5),
            "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True),
            "weight_decay": dict(lr=0.1, momentum=0.8, weight_decay=0.01),
        },
        presets={"sgd": {}, "momentum": dict(momentum=0.9),
                 "nesterov": dict(momentum=0.9, nesterov=True)},
        # the first buffer is g itself, the second 0.9 g + g
        hand=(dict(lr=0.1, momentum=0.9), [lambda p, g: p - 0.1 * g,
                                           lambda p, g: p - 0.1 * g - 0.1 * 1.9 * g]),
        hand_state={"momentum_buffer": lambda g: 1.9 * g},
        group_hyper=dict(momentum=0.5),
        train_cases={"plain": dict(lr=0.2),
                     "nesterov": dict(lr=0.1, momentum=0.9, nesterov=True)},
        stability=[("sgd", {}), ("momentum", {}),
                   ("momentum", dict(momentum=0.5, dampening=0.3)),
                   ("nesterov", {}), ("nesterov", dict(momentum=0.99))],
        fits_quadratic=("momentum",),
        errors=[
            (dict(lr=-0.1), "lr must be a positive finite number"),
            (dict(lr=0.0), "lr must be a positive finite number"),
            (dict(lr=float("nan")), "lr must be a positive finite number"),
            (dict(lr="fast"), "lr must be a positive number, got str"),
            (dict(lr=[torch.tensor([0.1, -0.1, 0.1])]), r"lr\[0\] must hold finite floats >= 0"),
            (dict(lr=0.1, momentum=1.0), r"momentum must be a number in \[0, 1\), got 1.0"),
            (dict(lr=0.1, momentum=-0.5), r"momentum must be a number in \[0, 1\)"),
            (dict(lr=0.1, momentum=0.9, dampening=1.5),
             r"dampening must be a number in \[0, 1\]"),
            (dict(lr=0.1, nesterov=True), "Nesterov needs momentum > 0"),
            (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "and dampening = 0"),
            (dict(lr=0.1, weight_decay=-1e-4), "weight_decay must be a finite number >= 0"),
            (dict(lr=0.1, schedule=0.5), "schedule must be callable"),
        ],
    ),
    OptimizerInfo(
        cls=Adagrad, torch_cls=torch.optim.Adagrad, step_fn=adagrad_step,
        cases={
            "default": dict(lr=0.5),
            "lr_decay": dict(lr=0.5, lr_decay=0.01),
            "accumulator_eps": dict(lr=0.3, initial_accumulator_value=0.1, eps=1e-6),
            "weight_decay": dict(lr=0.5, weight_decay=0.05),
        },
        presets={"adagrad": {}},
        # the sum after k equal gradients is k g^2, so step k moves by lr / sqrt(k)
        hand=(dict(lr=0.1, eps=0.0), [lambda p, g: p - 0.1 * torch.sign(g),
                                      lambda p, g: p - 0.1 * (1 + 0.5 ** 0.5) * torch.sign(g)]),
        hand_state={"sum": lambda g: 2 * g * g},
        group_hyper=dict(lr_decay=0.001),
        train_cases={"default": dict(lr=0.5)},
        errors=[
            (dict(lr=0.0), "lr must be a positive finite number"),
            (dict(lr_decay=-0.1), "lr_decay must be a finite number >= 0"),
            (dict(initial_accumulator_value=-1.0),
             "initial_accumulator_value must be a finite number >= 0"),
            (dict(eps=-1e-10), "eps must be a finite number >= 0"),
            (dict(weight_decay=float("inf")), "weight_decay must be a finite number >= 0"),
        ],
    ),
    OptimizerInfo(
        cls=RMSProp, torch_cls=torch.optim.RMSprop, step_fn=rmsprop_step,
        cases={
            "default": dict(lr=0.01),
            "alpha_eps": dict(lr=0.05, alpha=0.9, eps=1e-6),
            "momentum": dict(lr=0.01, momentum=0.9),
            "centered": dict(lr=0.01, alpha=0.95, centered=True, momentum=0.5),
            "weight_decay": dict(lr=0.01, weight_decay=0.05),
        },
        presets={"rmsprop": {}},
        # no bias correction: v_1 = 0.01 g^2 and v_2 = 0.0199 g^2
        hand=(dict(lr=0.01, alpha=0.99, eps=0.0),
              [lambda p, g: p - 0.01 / 0.01 ** 0.5 * torch.sign(g),
               lambda p, g: p - 0.01 * (1 / 0.01 ** 0.5 + 1 / 0.0199 ** 0.5) * torch.sign(g)]),
        hand_state={"square_avg": lambda g: 0.0199 * g * g},
        group_hyper=dict(alpha=0.9, momentum=0.5),
        train_cases={"default": dict(lr=0.01), "centered": dict(lr=0.01, centered=True)},
        fits_quadratic=("rmsprop",),
        errors=[
            (dict(lr=-1e-2), "lr must be a positive finite number"),
            (dict(alpha=1.0), r"alpha must be a number in \[0, 1\), got 1.0"),
            (dict(momentum=-0.1), r"momentum must be a number in \[0, 1\)"),
            (dict(eps=-1e-8), "eps must be a finite number >= 0"),
            (dict(weight_decay=-0.1), "weight_decay must be a finite number >= 0"),
            (dict(centered="yes"), "centered must be True or False, got str 'yes'"),
        ],
    ),
    OptimizerInfo(
        cls=Adam, torch_cls=torch.optim.Adam, step_fn=adam_step,
        cases={
            "default": dict(lr=0.1),
            "betas_eps": dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
            "weight_decay": dict(lr=0.1, weight_decay=0.05),
        },
        presets={"adam": {}},
        # m_hat = g and v_hat = g^2 after any number of equal gradients: lr * sign(g) each
        hand=(dict(lr=0.01, betas=(0.9, 0.999), eps=0.0),
              [lambda p, g: p - 0.01 * torch.sign(g), lambda p, g: p - 0.02 * torch.sign(g)]),
        hand_state={"exp_avg": lambda g: (1 - 0.9 ** 2) * g,
                    "exp_avg_sq": lambda g: (1 - 0.999 ** 2) * g * g},
        group_hyper=dict(betas=(0.9, 0.99)),
        train_cases={"default": dict(lr=0.1)},
        fits_quadratic=("adam",),
        errors=[
            (dict(betas=(0.9, 1.0)), r"beta2 \(betas\[1\]\) must be a number in \[0, 1\), got 1.0"),
            (dict(betas=(-0.1, 0.999)), r"beta1 \(betas\[0\]\) must be a number in \[0, 1\)"),
            (dict(betas=0.9), r"betas must be a pair \(beta1, beta2\), got 0.9"),
            (dict(eps=-1e-8), "eps must be a finite number >= 0"),
            (dict(lr=-1e-3), "lr must be a positive finite number"),
        ],
    ),
]


def _by_info(attr):
    """pytest params over (info, key) for every key of each entry's ``attr`` table."""
    return [pytest.param(info, key, id=f"{info.name}-{key}")
            for info in OPTIM_DB for key in getattr(info, attr)]


def _each_info():
    return [pytest.param(info, id=info.name) for info in OPTIM_DB]


def _each_preset():
    """(name registered in build, torch twin, the twin's keywords) for every preset."""
    return [pytest.param(name, info.torch_cls, kw, id=name)
            for info in OPTIM_DB for name, kw in info.presets.items()]


@pytest.fixture(scope="module")
def problem():
    """The lecture's quadratic on standardized time, float64: (u, y, initial params)."""
    t, y = gd.make_signal(seed=666, dtype=torch.float64)
    u = (t - t.mean()) / t.std(correction=0)
    return u, y, gd.init_params(3, seed=666, dtype=torch.float64).detach()


def _loss(u, y, params):
    return gd.mse(gd.quadratic(u, params), y)


def _assert_rel_close(ours, theirs, step):
    ours = torch.cat([p.detach().reshape(-1) for p in ours])
    theirs = torch.cat([p.detach().reshape(-1) for p in theirs])
    err = float((ours - theirs).abs().max() / theirs.abs().max())
    assert err <= RTOL, f"step {step}: relative difference {err:.3g} > {RTOL}"


def run_side_by_side(problem, make_ours, make_torch, *, split=False, steps=STEPS,
                     make_sched=None):
    """Run ours and torch's in lock-step, comparing the params after every step.

    ``split=True`` gives each optimizer the three parameters as separate (1,) tensors.
    """
    u, y, init = problem
    if split:
        mine = [init[i:i + 1].clone().requires_grad_() for i in range(3)]
        ref = [init[i:i + 1].clone().requires_grad_() for i in range(3)]
    else:
        mine, ref = [init.clone().requires_grad_()], [init.clone().requires_grad_()]
    ours, theirs = make_ours(mine), make_torch(ref)
    sched = make_sched(theirs) if make_sched else None
    for i in range(steps):
        for params, opt in ((mine, ours), (ref, theirs)):
            opt.zero_grad(set_to_none=True)
            _loss(u, y, params if split else params[0]).backward()
            opt.step()
        if sched is not None:
            sched.step()
        _assert_rel_close(mine, ref, i + 1)
    return mine


# --- the table itself ----------------------------------------------------------------------

def test_the_table_covers_every_registered_optimizer():
    presets = [name for info in OPTIM_DB for name in info.presets]
    assert sorted(presets) == sorted(OPTIMIZERS)
    for info in OPTIM_DB:
        for name in info.presets:
            assert OPTIMIZERS[name][0] is info.cls, (name, info.name)


# --- every update is torch.optim's, step for step -----------------------------------------

@pytest.mark.parametrize("info, case", _by_info("cases"))
def test_matches_torch(problem, info, case):
    hyper = info.cases[case]
    final = run_side_by_side(problem, lambda p: info.cls(p, **hyper),
                             lambda p: info.torch_cls(p, **hyper))
    # the run went somewhere: the comparison is not between two frozen tensors
    assert not torch.allclose(final[0].detach(), problem[2])


@pytest.mark.parametrize("name, torch_cls, torch_kw", _each_preset())
def test_build_presets_match_torch(problem, name, torch_cls, torch_kw):
    run_side_by_side(problem, lambda p: build(name, p, lr=0.05),
                     lambda p: torch_cls(p, lr=0.05, **torch_kw), steps=200)


@pytest.mark.parametrize("info", _each_info())
def test_functional_step_is_the_math(info):
    # a few hand-computed steps with the same gradient, straight from the docstring's math
    p = torch.tensor([1.0, -2.0], dtype=torch.float64)
    g = torch.tensor([0.5, 4.0], dtype=torch.float64)
    hyper, expected = info.hand
    state: dict = {}
    q = p.clone()
    for k, want in enumerate(expected, start=1):
        info.step_fn(q, g, state, **hyper)
        torch.testing.assert_close(q, want(p, g), msg=lambda m, k=k: f"step {k}: {m}")
    for key, want_state in info.hand_state.items():
        torch.testing.assert_close(state[key], want_state(g))


# --- per-parameter learning rates ------------------------------------------------------

LRS = [0.02, 0.3, 0.6]


@pytest.mark.parametrize("name, torch_cls, torch_kw", _each_preset())
def test_per_element_lr_tensor_equals_torch_param_groups(problem, name, torch_cls, torch_kw):
    # ours: one (3,) tensor with a (3,) tensor of lrs; torch: three (1,) tensors in three
    # param groups with one lr each
    u, y, init = problem
    whole = init.clone().requires_grad_()
    parts = [init[i:i + 1].clone().requires_grad_() for i in range(3)]
    ours = build(name, [whole], lr=torch.tensor(LRS, dtype=torch.float64))
    theirs = torch_cls([{"params": [q], "lr": lr} for q, lr in zip(parts, LRS)], lr=1.0,
                       **torch_kw)
    for i in range(STEPS):
        for params, o in ((whole, ours), (parts, theirs)):
            o.zero_grad()
            _loss(u, y, params).backward()
            o.step()
        _assert_rel_close([whole], parts, i + 1)


@pytest.mark.parametrize("info", _each_info())
def test_list_of_lrs_equals_torch_param_groups(problem, info):
    hyper = info.group_hyper
    run_side_by_side(
        problem, lambda p: info.cls(p, lr=LRS, **hyper),
        lambda p: info.torch_cls([{"params": [q], "lr": lr} for q, lr in zip(p, LRS)], lr=1.0,
                                 **hyper), split=True)


def test_per_parameter_lrs_fit_the_raw_parabola_where_one_lr_cannot():
    # Lecture 03's story: on raw time the three parameters need very different steps.
    t, y = gd.make_signal(seed=666, dtype=torch.float64)
    X = design_matrix_quadratic(t)  # (20, 3)
    h_diag = 2 / len(t) * (X * X).sum(0)  # diagonal of the Hessian (2/N) X^T X
    best = float(gd.mse(gd.quadratic(t, gd.least_squares(t, y)), y))
    results = {}
    one_lr = 0.9 * gd.max_stable_lr(gd.quadratic, torch.zeros(3, dtype=torch.float64), t, y)
    for label, lr in {"one lr": one_lr, "per-parameter": 0.7 / h_diag}.items():
        p = gd.init_params(3, seed=666, dtype=torch.float64)
        gd.train(p, gd.quadratic, t, y, optimizer=SGD([p], lr=lr), steps=3000)
        results[label] = float(gd.mse(gd.quadratic(t, p.detach()), y)) / best
    assert results["per-parameter"] < 1.01 < results["one lr"]


@pytest.mark.parametrize("info", _each_info())
def test_lr_zero_freezes_an_element(problem, info):
    u, y, init = problem
    p = init.clone().requires_grad_()
    opt = info.cls([p], lr=torch.tensor([0.1, 0.0, 0.1], dtype=torch.float64))
    for _ in range(5):
        opt.zero_grad()
        _loss(u, y, p).backward()
        opt.step()
    assert p[1] == init[1] and p[0] != init[0]


# --- the training loop and the quadratic fitter ------------------------------------------

@pytest.mark.parametrize("info, case", _by_info("train_cases"))
def test_train_with_ours_equals_train_with_torch(signal, info, case):
    hyper = info.train_cases[case]
    t, y = signal
    u = (t - t.mean()) / t.std(correction=0)
    p1, p2 = gd.init_params(3, seed=1), gd.init_params(3, seed=1)
    h1 = gd.train(p1, gd.quadratic, u, y, steps=300, optimizer=info.cls([p1], **hyper))
    h2 = gd.train(p2, gd.quadratic, u, y, steps=300, optimizer=info.torch_cls([p2], **hyper))
    assert torch.equal(p1, p2)
    assert h1.losses == h2.losses


@pytest.mark.parametrize("name", [name for info in OPTIM_DB for name in info.fits_quadratic])
def test_fit_quadratic_reaches_the_optimum(name):
    # build's defaults (momentum 0.9; Adam's betas) with fit_quadratic's curvature-derived lr
    for s in range(6):
        fit = gd.fit_quadratic(*gd.make_signal(seed=s), optimizer=name, seed=s)
        assert fit.history.stop_reason == "target_loss", (s, fit)
        assert fit.ratio < 1.01, (s, fit)


@pytest.mark.parametrize("name, hyper", [
    pytest.param(name, hyper, id=f"{name}-{i}")
    for info in OPTIM_DB for i, (name, hyper) in enumerate(info.stability)])
def test_stability_factor_is_the_edge_of_convergence(name, hyper):
    # on L = lam/2 |p|^2, just below factor * 2/lam converges and just above diverges
    lam = 4.0
    limit = gd.optim.stability_factor(name, **hyper) * 2 / lam
    final = {}
    for side, lr in (("below", 0.98 * limit), ("above", 1.02 * limit)):
        p = torch.ones(1, dtype=torch.float64, requires_grad=True)
        opt = build(name, [p], lr=lr, **hyper)
        for _ in range(3000):
            opt.zero_grad()
            (lam / 2 * (p * p).sum()).backward()
            opt.step()
        final[side] = abs(float(p.detach()))
    assert final["below"] < 1e-3 and final["above"] > 1e3, final


@pytest.mark.parametrize("info", [i for i in _each_info() if not i.values[0].stability])
def test_stability_factor_of_adaptive_optimizers_is_inf(info):
    # Adagrad, RMSProp and Adam divide each step by the gradient's size: no lr limit from
    # the curvature, asked by name or of the class
    assert info.cls.stability_factor() == math.inf
    for name in info.presets:
        assert gd.optim.stability_factor(name) == math.inf


def test_stability_factor_is_the_class_rule_with_the_registered_defaults():
    assert gd.optim.stability_factor("momentum") == SGD.stability_factor(momentum=0.9) == 1.9
    assert gd.optim.stability_factor("sgd", momentum=0.5) == SGD.stability_factor(momentum=0.5)
    assert gd.optim.stability_factor("nesterov") == SGD.stability_factor(momentum=0.9,
                                                                         nesterov=True)


def test_stability_factor_of_unknown_names():
    with pytest.raises(InvalidArgumentError, match="unknown optimizer 'lbfgs'"):
        gd.optim.stability_factor("lbfgs")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_quadratic_keeps_nesterov_inside_its_own_limit(seed):
    """Nesterov's limit is 0.68 x 2/lambda_max: the auto lr must respect it, not plain GD's."""
    t, y = gd.make_signal(seed=seed)
    fit = gd.fit_quadratic(t, y, optimizer="nesterov", seed=seed)
    u = (t - t.mean()) / t.std(correction=0)  # fit_quadratic descends on standardized time
    lam_max = gd.max_hessian_eigenvalue(gd.quadratic, torch.zeros(3), u, y)
    assert fit.lr <= 0.9 * gd.optim.stability_factor("nesterov") * 2 / lam_max * (1 + 1e-6)
    assert fit.ratio < 1.01
    with pytest.raises(gd.DivergenceError):  # plain descent's optimal lr is too much for it
        gd.fit_quadratic(t, y, optimizer="nesterov", seed=seed, lr=2 / lam_max)


# --- state, zero_grad and skipping ------------------------------------------------------

@pytest.mark.parametrize("name, torch_cls, torch_kw", _each_preset())
def test_state_dict_resumes_the_same_trajectory(problem, name, torch_cls, torch_kw):
    u, y, init = problem

    def run(p, opt, n):
        for _ in range(n):
            opt.zero_grad()
            _loss(u, y, p).backward()
            opt.step()

    p1 = init.clone().requires_grad_()
    opt1 = build(name, [p1], lr=0.05)
    run(p1, opt1, 20)
    p2 = p1.detach().clone().requires_grad_()
    opt2 = build(name, [p2], lr=0.05)
    opt2.load_state_dict(opt1.state_dict())
    run(p1, opt1, 20)
    run(p2, opt2, 20)
    assert torch.equal(p1, p2) and opt2.t == 40


@pytest.mark.parametrize("info", _each_info())
def test_params_from_a_module_generator_like_torch_optim(info):
    hyper = next(iter(info.cases.values()))
    torch.manual_seed(0)
    net, ref = torch.nn.Linear(3, 1).double(), torch.nn.Linear(3, 1).double()
    ref.load_state_dict(net.state_dict())
    x = torch.randn(8, 3, dtype=torch.float64)
    before = [q.detach().clone() for q in net.parameters()]
    ours = info.cls(net.parameters(), **hyper)  # a generator, not a list
    theirs = info.torch_cls(ref.parameters(), **hyper)
    assert len(ours.params) == 2
    for _ in range(5):
        for model, opt in ((net, ours), (ref, theirs)):
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()
    for a, b in zip(net.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=0)
    assert not any(torch.equal(q, q0) for q, q0 in zip(net.parameters(), before))  # it moved


def test_zero_grad_and_params_without_grad():
    a, b = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    opt = SGD([a, b], lr=0.5)
    (a * 3).sum().backward()  # b gets no gradient
    opt.step()
    assert a.tolist() == [-0.5, -0.5] and b.tolist() == [1.0, 1.0]
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0] and b.grad is None
    opt.zero_grad()
    assert a.grad is None


# --- bad input ----------------------------------------------------------------------------

def _p():
    return torch.zeros(3, requires_grad=True)


@pytest.mark.parametrize("info, i", [
    pytest.param(info, i, id=f"{info.name}-{i}")
    for info in OPTIM_DB for i in range(len(info.errors))])
def test_bad_hyper_parameters(info, i):
    kwargs, match = info.errors[i]
    kwargs = {"lr": 0.1, **kwargs}  # SGD has no default lr
    with pytest.raises(InvalidArgumentError, match=match):
        info.cls([_p()], **kwargs)


def test_unknown_optimizer_name_lists_the_valid_ones():
    names = ", ".join(repr(name) for info in OPTIM_DB for name in info.presets)
    assert "'sgd', 'momentum', 'nesterov'" in names and "'adam'" in names
    with pytest.raises(InvalidArgumentError, match=f"unknown optimizer 'adamw'.*{names}"):
        build("adamw", [_p()], lr=0.1)
    with pytest.raises(InvalidArgumentError, match=r"unknown optimizer \['sgd'\]"):
        build(["sgd"], [_p()], lr=0.1)


def test_fit_quadratic_unknown_optimizer():
    with pytest.raises(InvalidArgumentError, match="unknown optimizer 'lbfgs'"):
        gd.fit_quadratic(*gd.make_signal(seed=0), optimizer="lbfgs")


@pytest.mark.parametrize("lr, error, match", [
    ([0.1, 0.2], ShapeError, "2 learning rates for 3 parameter tensors"),
    ((0.1,), ShapeError, "1 learning rates for 3 parameter tensors"),
    (torch.ones(3), ShapeError, "fits one params tensor, but there are 3"),
])
def test_mismatched_lrs(lr, error, match):
    with pytest.raises(error, match=match):
        SGD([_p(), _p(), _p()], lr=lr)


def test_per_element_lrs_must_fit_their_parameter():
    with pytest.raises(ShapeError, match=r"lr\[0\] has shape \(2,\) but its parameter has "
                                         r"shape \(3,\)"):
        SGD([_p()], lr=torch.ones(2))


def test_empty_params_and_bad_state():
    with pytest.raises(InvalidArgumentError, match="empty list of params"):
        SGD([], lr=0.1)
    with pytest.raises(InvalidArgumentError, match="params must be a tensor or a list"):
        SGD("theta", lr=0.1)
    opt = SGD([_p()], lr=0.1)
    with pytest.raises(ShapeError, match="saved state has 2 entries but this optimizer has 1"):
        opt.load_state_dict({"t": 0, "state": [{}, {}]})


@pytest.mark.cuda
@pytest.mark.parametrize("name, torch_cls, torch_kw", _each_preset())
def test_runs_on_the_params_device(problem, name, torch_cls, torch_kw):
    # per-element lrs made on the CPU follow the params to the GPU; results match the CPU's
    u, y, init = problem
    finals = []
    for device in ("cpu", "cuda"):
        p = init.clone().to(device).requires_grad_()
        opt = build(name, [p], lr=torch.tensor(LRS, dtype=torch.float64),
                    schedule=gd.schedules.ExponentialDecay(0.99))
        for _ in range(200):
            opt.zero_grad()
            _loss(u.to(device), y.to(device), p).backward()
            opt.step()
        finals.append(p.detach().cpu())
    torch.testing.assert_close(finals[0], finals[1], rtol=1e-9, atol=1e-9)


def test_stability_factor_refuses_a_misspelt_hyper_parameter():
    with pytest.raises(TypeError, match="momentm"):
        gd.optim.stability_factor("momentum", momentm=0.5)
