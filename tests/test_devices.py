import random

import numpy as np
import pytest
import torch

import gdcourse as gd
from gdcourse.devices import parse_device


def test_set_seed_touches_every_rng():
    gd.set_seed(5)
    a = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002 (the global RNG is the point)
    gd.set_seed(5)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == a  # noqa: NPY002


def test_set_seed_rejects_non_int():
    with pytest.raises(gd.InvalidArgumentError, match="seed must be an int"):
        gd.set_seed(1.5)


def test_to_np_detaches_and_copies_to_cpu():
    t = torch.ones(3, requires_grad=True) * 2
    arr = gd.to_np(t)
    assert isinstance(arr, np.ndarray) and arr.tolist() == [2.0, 2.0, 2.0]
    assert gd.to_np([1, 2]).tolist() == [1, 2]


def test_default_device_honours_env(monkeypatch):
    monkeypatch.setenv("GDCOURSE_DEVICE", "cpu")
    assert gd.default_device() == torch.device("cpu")
    monkeypatch.setenv("GDCOURSE_DEVICE", "not-a-device")
    with pytest.raises(gd.InvalidArgumentError, match="GDCOURSE_DEVICE"):
        gd.default_device()


def test_default_device_refuses_cuda_when_absent(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("GDCOURSE_DEVICE", "cuda")
    with pytest.raises(gd.InvalidArgumentError, match="CUDA is not available"):
        gd.default_device()


def test_default_device_falls_back_to_cpu(monkeypatch):
    monkeypatch.delenv("GDCOURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert gd.default_device() == torch.device("cpu")


def test_errors_are_also_builtins():
    assert issubclass(gd.ShapeError, ValueError)
    assert issubclass(gd.InvalidArgumentError, ValueError)
    assert issubclass(gd.DeviceMismatchError, RuntimeError)
    assert issubclass(gd.DivergenceError, FloatingPointError)
    for cls in (gd.ShapeError, gd.InvalidArgumentError, gd.DeviceMismatchError,
                gd.DivergenceError, gd.NotFittedError, gd.MissingExtraError):
        assert issubclass(cls, gd.GDCourseError)


@pytest.mark.cuda
def test_cuda_round_trip_same_values_as_cpu():
    cpu = gd.init_params(4, seed=9)
    gpu = gd.init_params(4, seed=9, device="cuda")
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.detach().cpu(), cpu.detach())
    t, y = gd.make_signal(seed=1, device="cuda")
    fit = gd.fit_quadratic(t, y)
    assert fit.ratio < 1.01
    assert gd.to_np(fit.params).shape == (3,)


@pytest.mark.cuda
def test_mixing_devices_is_a_clear_error():
    with pytest.raises(gd.DeviceMismatchError, match="cuda"):
        gd.mse(torch.zeros(3, device="cuda"), torch.zeros(3))


@pytest.mark.parametrize("name, match", [
    ("tpu", "'tpu' is not a device name"),
    ("meta", "runs on 'cpu', 'cuda' or 'mps'"),
])
def test_parse_device_refuses_what_gdcourse_cannot_run_on(name, match):
    with pytest.raises(gd.InvalidArgumentError, match=match):
        parse_device(name)


def test_parse_device_refuses_cuda_when_absent(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(gd.InvalidArgumentError, match="CUDA is not available"):
        parse_device("cuda:0")
    assert parse_device("cpu") == torch.device("cpu")
