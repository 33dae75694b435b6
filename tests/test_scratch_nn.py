"""Models and GradientDescent on Scalars: gradients vs torch, training results, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import gdcourse as gd
from gdcourse.data import noisy_line, spiral, two_blobs
from gdcourse.errors import DivergenceError, InvalidArgumentError, InvalidTypeError, ShapeError
from gdcourse.scratch.nn import GradientDescent, Linear, LogisticRegression, Model, OneLayerNetwork
from gdcourse.scratch.scalar import Scalar, binary_cross_entropy, mean_squared_error

# Lecture 05's spiral run: keep in step with lectures/05_training_networks.ipynb.
SPIRAL_N, SPIRAL_SEED, SPIRAL_HIDDEN, SPIRAL_STEPS = 100, 5, 16, 120


def spiral_schedule(step: int) -> float:
    return 1.0 if step < 40 else 0.5 if step < 80 else 0.2


# -- gradients of whole models against torch ----------------------------------------------


def test_one_layer_network_gradients_match_torch():
    model = OneLayerNetwork(5, seed=0)
    X, y = spiral(10, seed=1, dtype=torch.float64)
    loss = binary_cross_entropy([model(x) for x in X.tolist()], y.tolist())
    loss.backward()

    params = model.parameters()
    A = torch.tensor([[params[f"A[{i}][{j}]"].value for j in range(5)] for i in range(2)],
                     dtype=torch.float64, requires_grad=True)
    c = torch.tensor([params[f"c[{j}]"].value for j in range(5)], dtype=torch.float64,
                     requires_grad=True)
    B = torch.tensor([params[f"B[{j}]"].value for j in range(5)], dtype=torch.float64,
                     requires_grad=True)
    b = torch.tensor(params["b"].value, dtype=torch.float64, requires_grad=True)
    probs = torch.sigmoid(torch.tanh(X @ A + c) @ B + b)  # (N, 2) @ (2, H) -> (N, H) -> (N,)
    t_loss = torch.nn.functional.binary_cross_entropy(probs, y)
    t_loss.backward()

    assert loss.value == pytest.approx(t_loss.item(), rel=1e-12)
    for i in range(2):
        for j in range(5):
            assert params[f"A[{i}][{j}]"].grad == pytest.approx(A.grad[i, j].item(), rel=1e-9)
    assert [params[f"c[{j}]"].grad for j in range(5)] == pytest.approx(c.grad.tolist(), rel=1e-9)
    assert [params[f"B[{j}]"].grad for j in range(5)] == pytest.approx(B.grad.tolist(), rel=1e-9)
    assert params["b"].grad == pytest.approx(b.grad.item(), rel=1e-9)


def test_linear_and_logistic_gradients_match_torch():
    x, y = noisy_line(20, seed=3, dtype=torch.float64)
    model = Linear(a=0.3, b=-0.7)
    mean_squared_error([model(v) for v in x.tolist()], y.tolist()).backward()
    a = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(-0.7, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.mse_loss(a * x + b, y).backward()
    assert (model.a.grad, model.b.grad) == pytest.approx((a.grad.item(), b.grad.item()))

    X, labels = two_blobs(10, seed=3, dtype=torch.float64)
    logistic = LogisticRegression(init=0.1)
    binary_cross_entropy([logistic(v) for v in X.tolist()], labels.tolist()).backward()
    w = torch.full((2,), 0.1, dtype=torch.float64, requires_grad=True)
    w0 = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(torch.sigmoid(X @ w + w0), labels).backward()
    grads = [p.grad for p in logistic.parameters().values()]
    assert grads == pytest.approx(w.grad.tolist() + [w0.grad.item()], rel=1e-9)


# -- training reproduces the lectures' results ------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_recovers_slope_and_intercept_within_the_noise(seed):
    x, y = noisy_line(100, seed=seed)
    model = Linear()
    losses = GradientDescent(model, mean_squared_error).run(x, y, lr=0.5, n_steps=400)
    a, b = model.a.value, model.b.value
    # standard errors for n = 100, noise 0.1, x ~ U[0, 1): about 0.035 (slope), 0.02 (b)
    assert abs(a - 0.8) < 0.1 and abs(b + 1.2) < 0.06
    # and gradient descent lands on the least-squares line itself
    design = torch.stack([x, torch.ones_like(x)], dim=1).double()
    exact = torch.linalg.lstsq(design, y.double().unsqueeze(1)).solution.squeeze(1)
    assert (a, b) == pytest.approx(exact.tolist(), abs=1e-4)
    assert losses[-1] < 0.015 < 1.0 < losses[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logistic_regression_on_blobs_gets_bce_below_002_in_100_steps(seed):
    X, y = two_blobs(100, seed=seed)
    model = LogisticRegression()
    losses = GradientDescent(model, binary_cross_entropy).run(X, y, lr=0.1, n_steps=100)
    assert losses[0] > 1.0  # the lecture's start gets the classes the wrong way round
    final = binary_cross_entropy([model(x) for x in X.tolist()], y.tolist()).value
    assert final < 0.02
    assert all(later <= earlier + 1e-12 for earlier, later in zip(losses[10:], losses[11:]))


def test_spiral_network_loss_drops_by_a_third_within_the_lecture_budget():
    X, y = spiral(SPIRAL_N, seed=SPIRAL_SEED)
    model = OneLayerNetwork(SPIRAL_HIDDEN, seed=SPIRAL_SEED)
    losses = GradientDescent(model, binary_cross_entropy).run(
        X, y, lr_schedule=spiral_schedule, n_steps=SPIRAL_STEPS)
    assert len(losses) == SPIRAL_STEPS
    assert losses[-1] < (2 / 3) * losses[0]
    accuracy = sum((p > 0.5) == (label > 0.5) for p, label in zip(model.predict(X), y.tolist()))
    assert accuracy / len(y) > 0.8


def test_spiral_run_is_the_one_lecture_05_shows():
    # The test above stands for the lecture's run only while both use the same numbers.
    path = Path(__file__).resolve().parents[1] / "lectures" / "05_training_networks.ipynb"
    cells = json.loads(path.read_text())["cells"]
    source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for snippet in (f"gd.data.spiral({SPIRAL_N}, seed={SPIRAL_SEED})",
                    f"OneLayerNetwork(hidden={SPIRAL_HIDDEN}, seed={SPIRAL_SEED})",
                    f"n_steps={SPIRAL_STEPS}"):
        assert snippet in source, f"lecture 05 no longer contains {snippet!r}"


# -- parameters: copies, loads, the aliasing pitfall ----------------------------------------


def test_parameters_alias_the_model_but_copies_do_not():
    x, y = noisy_line(30, seed=0)
    model = Linear()
    live, saved = model.parameters(), model.copy_parameters()
    GradientDescent(model, mean_squared_error).run(x, y, lr=0.5, n_steps=3)
    assert live["a"] is model.a and live["a"].value != 1.0  # moved with the model
    assert saved["a"].value == 1.0 and saved["b"].value == 1.0  # a true snapshot
    assert saved["a"] is not model.a


def test_load_parameters_copies_values_in():
    model = OneLayerNetwork(3, seed=0)
    other = OneLayerNetwork(3, seed=1)
    snapshot = other.copy_parameters()
    model.load_parameters(snapshot)
    assert {k: p.value for k, p in model.parameters().items()} == \
           {k: p.value for k, p in snapshot.items()}
    snapshot["b"].value = 123.0  # the model must not share objects with what it loaded
    assert model.b.value != 123.0
    linear = Linear()
    linear.load_parameters({"a": -1, "b": Scalar(-2.0)})
    assert (linear.a.value, linear.b.value) == (-1.0, -2.0)


def test_load_parameters_rejects_unknown_missing_and_non_numeric():
    model = Linear()
    with pytest.raises(InvalidArgumentError, match=r"has no parameter\(s\) \['c'\]"):
        model.load_parameters({"a": 1.0, "b": 2.0, "c": 3.0})
    with pytest.raises(InvalidArgumentError, match=r"missing parameter\(s\) \['b'\]"):
        model.load_parameters({"a": 1.0})
    with pytest.raises(InvalidTypeError, match="parameter 'b' must be a Scalar or a number"):
        model.load_parameters({"a": 5.0, "b": "two"})
    assert (model.a.value, model.b.value) == (1.0, 1.0)  # a failed load changes nothing


# -- GradientDescent --------------------------------------------------------------------------


def test_lr_schedule_is_called_with_each_step():
    x, y = noisy_line(10, seed=0)
    seen = []

    def schedule(step):
        seen.append(step)
        return 0.1

    losses = GradientDescent(Linear(), mean_squared_error).run(
        x, y, lr_schedule=schedule, n_steps=5)
    assert seen == [0, 1, 2, 3, 4] and len(losses) == 5


def test_run_matches_a_hand_written_loop():
    x, y = noisy_line(20, seed=4)
    xs, ys = x.tolist(), y.tolist()
    by_hand = Linear()
    expected = []
    for _ in range(7):
        loss = mean_squared_error([by_hand(v) for v in xs], ys)
        loss.backward()
        by_hand.gradient_update(0.3)
        expected.append(loss.value)
    model = Linear()
    assert GradientDescent(model, mean_squared_error).run(xs, ys, lr=0.3, n_steps=7) == expected
    assert model.a.value == by_hand.a.value


def test_print_every_and_progress(capsys):
    x, y = noisy_line(10, seed=0)
    GradientDescent(Linear(), mean_squared_error).run(x, y, lr=0.1, n_steps=4, print_every=2,
                                                      progress=True)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0].split()[-1] for line in lines] == ["1", "2", "4"]


def test_progress_bar_ends_at_steps_done_or_at_the_divergence(widget_bars):
    """In a notebook the widget's last text is what is saved (and what the course book shows):
    it must say the run's end, not the redraw up to 0.1 s before it."""
    made = widget_bars

    def shown() -> tuple[str, float]:
        left, progress, right = made[-1].container.children
        return (left.value + right.value).replace("\u2007", " "), progress.value

    x, y = noisy_line(10, seed=0)
    GradientDescent(Linear(), mean_squared_error).run(x, y, lr=0.1, n_steps=50, progress=True)
    text, value = shown()
    assert value == 50 and "100% 50/50" in text, text
    with pytest.raises(DivergenceError) as info:
        GradientDescent(Linear(), mean_squared_error).run(x * 1e3, y, lr=10.0, n_steps=200,
                                                          progress=True)
    text, value = shown()
    assert value == info.value.step and f" {info.value.step}/200" in text, text


def test_run_rejects_bad_arguments():
    x, y = noisy_line(10, seed=0)
    gd = GradientDescent(Linear(), mean_squared_error)
    with pytest.raises(InvalidArgumentError, match="give lr or lr_schedule, not both"):
        gd.run(x, y, lr=0.1, lr_schedule=lambda step: 0.1, n_steps=2)
    with pytest.raises(InvalidArgumentError, match="lr must be a positive"):
        gd.run(x, y, lr=-0.1, n_steps=2)
    with pytest.raises(InvalidArgumentError, match=r"lr_schedule\(step\) must be a positive"):
        gd.run(x, y, lr_schedule=lambda step: 0.0, n_steps=2)
    with pytest.raises(InvalidArgumentError, match="n_steps must be a positive integer"):
        gd.run(x, y, n_steps=0)
    with pytest.raises(ShapeError, match="xs has 10 samples but ys has 9"):
        gd.run(x, y[:9], n_steps=1)
    with pytest.raises(InvalidTypeError, match="model must be a gdcourse Model"):
        GradientDescent(lambda x: x, mean_squared_error)


def test_divergence_is_reported_with_the_step():
    x, y = noisy_line(20, seed=0)
    with pytest.raises(DivergenceError, match=r"at step \d+ \(lr=10\).*try a learning rate "
                       "10 times smaller") as info:
        GradientDescent(Linear(), mean_squared_error).run(x * 1e3, y, lr=10.0, n_steps=200)
    assert info.value.step > 1 and info.value.lr == 10.0
    assert len(info.value.history) == info.value.step - 1  # the losses before the bad one
    # the same blow-up, counted as train counts it: step k is the loss after k - 1 updates
    params = torch.ones(2, dtype=torch.float64, requires_grad=True)
    with pytest.raises(DivergenceError) as slow:
        gd.train(params, lambda t, p: p[0] * t + p[1], x.double() * 1e3, y.double(), lr=10.0,
                 steps=200, explode_factor=math.inf)
    assert slow.value.step == info.value.step


# -- models ---------------------------------------------------------------------------------


def test_models_validate_samples_and_cannot_be_abstract():
    with pytest.raises(ShapeError, match="takes samples of 2 numbers"):
        LogisticRegression()((1.0, 2.0, 3.0))
    with pytest.raises(ShapeError, match="takes samples of 2 numbers"):
        OneLayerNetwork(4, seed=0)(1.0)
    with pytest.raises(TypeError):
        Model()


def test_one_layer_network_init_is_seeded_and_sized():
    a, b = OneLayerNetwork(seed=3), OneLayerNetwork(seed=3)
    assert len(a.parameters()) == 2 * 16 + 16 + 16 + 1
    assert [p.value for p in a.parameters().values()] == [p.value for p in b.parameters().values()]
    c = OneLayerNetwork(seed=4)
    assert [p.value for p in a.parameters().values()] != [p.value for p in c.parameters().values()]
    assert all(-1 <= p.value < 1 for p in a.parameters().values())
    assert repr(OneLayerNetwork(8, n_inputs=3, seed=0)) == "OneLayerNetwork(41 parameters)"
    with pytest.raises(InvalidArgumentError, match="hidden must be a positive integer"):
        OneLayerNetwork(0)


def test_predict_returns_floats_for_tensors_and_lists():
    model = LogisticRegression()
    X, _ = two_blobs(5, seed=0)
    probs = model.predict(X)
    assert probs == [model(x).value for x in X.tolist()]
    assert all(isinstance(p, float) and 0 <= p <= 1 for p in probs)
    assert Linear(a=2.0, b=1.0).predict([0.0, 1.5]) == [1.0, 4.0]
    assert math.isfinite(sum(probs))
