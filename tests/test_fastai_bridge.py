"""gdcourse.fastai_bridge: fastai's loop runs the same seven steps, and fastai stays optional."""

from __future__ import annotations

import builtins
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import gdcourse as gd
from gdcourse.errors import InvalidArgumentError, MissingExtraError
from gdcourse.optim import SGD

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fastai(extra):
    return extra("fastai")


def test_missing_fastai_says_how_to_install_it(monkeypatch, signal):
    real_import = builtins.__import__

    def no_fastai(name, *args, **kwargs):
        if name == "fastai" or name.startswith("fastai."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_fastai)
    from gdcourse.fastai_bridge import fit_with_fastai

    with pytest.raises(MissingExtraError, match=r'pip install "gdcourse\[fastai\]"') as info:
        fit_with_fastai(*signal)
    assert isinstance(info.value, ImportError)  # `except ImportError` keeps working


def _run_python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_importing_the_bridge_imports_neither_fastai_nor_torchvision():
    out = _run_python("""
        import sys
        import gdcourse, gdcourse.fastai_bridge
        print(sorted(m for m in ("fastai", "torchvision") if m in sys.modules))
    """)
    assert out.strip() == "[]"


def test_fitting_with_fastai_never_imports_torchvision(fastai):
    out = _run_python("""
        import sys
        import gdcourse as gd
        from gdcourse.fastai_bridge import fit_with_fastai
        fit_with_fastai(*gd.make_signal(seed=0), epochs=2)
        print("fastai" in sys.modules, "torchvision" in sys.modules)
    """)
    assert out.split() == ["True", "False"]


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_full_batch_fastai_is_our_gradient_descent(fastai, signal, momentum):
    from gdcourse.fastai_bridge import fit_with_fastai

    t, y = signal
    fit = fit_with_fastai(t, y, lr=0.1, epochs=25, momentum=momentum, seed=3)
    u = (t - t.mean()) / t.std(correction=0)
    p = gd.init_params(3, seed=3)
    gd.train(p, gd.quadratic, u, y, steps=25, optimizer=SGD([p], lr=0.1, momentum=momentum))
    torch.testing.assert_close(fit.learner.model.params.detach(), p.detach(),
                               rtol=1e-5, atol=1e-5)
    assert fit.n_steps == 25 and len(fit.losses) == 25


def test_where_the_seven_steps_fire(fastai, signal):
    from gdcourse.fastai_bridge import SEVEN_STEPS, fit_with_fastai

    fit = fit_with_fastai(*signal, epochs=4, batch_size=5)  # 4 batches per epoch
    assert fit.first_batch_events() == [
        "before_batch", "after_pred", "after_loss", "before_backward", "after_backward",
        "before_step", "after_step", "after_batch"]
    fired = {row["step"]: row["fired"] for row in fit.steps_table()}
    assert fit.n_steps == 16
    assert fired == {1: 1, 2: 16, 3: 16, 4: 16, 5: 16, 6: 16, 7: 1}
    assert fit.events[0][2] == "after_create" and fit.events[-1][2] == "after_fit"
    text = fit.format_steps()
    assert all(name in text for _, name, _, _ in SEVEN_STEPS)


def test_fastai_fit_reaches_the_optimum(fastai, signal):
    from gdcourse.fastai_bridge import fit_with_fastai

    fit = fit_with_fastai(*signal)
    assert fit.ratio < 1.01


def test_target_loss_is_step_7_as_a_callback(fastai, signal):
    from gdcourse.fastai_bridge import fit_with_fastai

    fit = fit_with_fastai(*signal, epochs=200, target_loss=20.0)
    assert fit.n_steps < 200 and fit.losses[-1] <= 20.0 < min(fit.losses[:-1])


def test_minibatches_are_shuffled_reproducibly(fastai, signal):
    from gdcourse.fastai_bridge import fit_with_fastai

    runs = [fit_with_fastai(*signal, epochs=3, batch_size=4, seed=s) for s in (1, 1, 2)]
    assert runs[0].losses == runs[1].losses != runs[2].losses


@pytest.mark.parametrize("kwargs, match", [
    (dict(momentum=1.0), r"momentum must be a number in \[0, 1\)"),
    (dict(epochs=0), "epochs must be a positive integer"),
    (dict(lr=-1.0), "lr must be a positive finite number"),
    (dict(batch_size=0), "batch_size must be a positive integer"),
])
def test_bad_arguments(fastai, signal, kwargs, match):
    from gdcourse.fastai_bridge import fit_with_fastai

    with pytest.raises(InvalidArgumentError, match=match):
        fit_with_fastai(*signal, **kwargs)
