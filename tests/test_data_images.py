"""The handwritten digits (lecture 05): shipped with scikit-learn, read without a network."""

from __future__ import annotations

import importlib.util
import socket
import sys

import numpy as np
import pytest
import torch

import gdcourse as gd
from gdcourse import data
from gdcourse.data import images as images_module

pytest.importorskip("sklearn", reason="digits() needs scikit-learn (the [lectures] extra)")


def test_all_ten_digits_as_images_in_unit_range():
    images, labels = data.digits()
    assert images.shape == (1797, 8, 8) and images.dtype == torch.float32
    assert labels.shape == (1797,) and labels.dtype == torch.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert torch.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174,
                                               180]


def test_images_are_the_source_pixels_over_16():
    from sklearn.datasets import load_digits

    source = load_digits()
    images, labels = data.digits(dtype=torch.float64)
    np.testing.assert_array_equal(images.numpy() * 16, source.images)
    np.testing.assert_array_equal(labels.numpy(), source.target)


def test_classes_keep_some_digits_in_source_order():
    images, labels = data.digits((8, 3))
    assert set(labels.tolist()) == {3, 8} and len(labels) == 183 + 174
    full_images, full_labels = data.digits()
    mask = (full_labels == 3) | (full_labels == 8)
    assert torch.equal(images, full_images[mask]) and torch.equal(labels, full_labels[mask])
    assert len(data.digits([np.int64(0)]).labels) == 178


@pytest.mark.parametrize("bad", [(3, 10), (), (3.5,), ("3",), "38", (True,)])
def test_classes_must_be_digits(bad):
    with pytest.raises(gd.InvalidArgumentError, match=r"classes must be digits 0-9"):
        data.digits(bad)


def test_digits_read_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("digits() tried to open a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert len(data.digits().labels) == 1797


def test_digits_go_to_the_requested_dtype():
    images, labels = data.digits((0,), dtype=torch.float64, device="cpu")
    assert images.dtype == torch.float64 and labels.dtype == torch.int64


def test_digits_without_the_extra_say_how_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "sklearn" else
                        real_find_spec(name, *args))
    with pytest.raises(gd.MissingExtraError, match=r'pip install "gdcourse\[lectures\]"'):
        data.digits()
    with pytest.raises(ImportError, match="scikit-learn"):
        data.digits()


def test_digits_fall_back_to_load_digits_when_the_file_moved(monkeypatch):
    direct = data.digits()
    monkeypatch.setattr(images_module, "_DIGITS_FILE", ("no", "such", "file.csv.gz"))
    monkeypatch.delitem(sys.modules, "sklearn.datasets", raising=False)
    via_sklearn = data.digits()
    assert "sklearn.datasets" in sys.modules  # the fallback imported scikit-learn
    assert torch.equal(direct.images, via_sklearn.images)
    assert torch.equal(direct.labels, via_sklearn.labels)
