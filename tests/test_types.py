"""The package type-checks: mypy in its default mode (configured in pyproject.toml) finds
nothing in gdcourse/, and the aliases of the public API are defined once."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import gdcourse as gd
from gdcourse import _types

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("mypy", reason="mypy comes with the [dev] extra")


def test_mypy_finds_no_errors_in_the_package():
    # mypy's cache (.mypy_cache, shared with `make lint`) makes a warm run take under 1 s of
    # CPU; a cold one (a fresh checkout, as in CI) about 6 s, most of it reading torch's
    # types (pyproject.toml skips the torch internals gdcourse never uses).
    done = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "MYPY_FORCE_COLOR": "0"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_aliases_describe_what_the_functions_take():
    params = gd.init_params(3, seed=0)
    assert isinstance(params, torch.Tensor)
    model: _types.Model = gd.quadratic
    loss_fn: _types.LossFn = gd.mse
    t, y = gd.make_signal(seed=0)
    assert loss_fn(model(t, params), y).dim() == 0
    opt: _types.Optimizer = gd.optim.SGD([params], lr=0.1)
    opt.zero_grad(set_to_none=True)
    assert {"Params", "Model", "LossFn", "Device", "Lr", "Optimizer"} <= set(_types.__all__)
