"""Digit grids (lecture 05) and the loss-versus-accuracy figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gdcourse.errors import ShapeError
from gdcourse.plot import plot_loss_and_accuracy, show_digits


def _images(n):
    return torch.rand(n, 8, 8, generator=torch.Generator().manual_seed(0))


def test_show_digits_titles_predictions_and_marks_mistakes_in_red():
    preds = torch.tensor([3, 5, 7])
    labels = torch.tensor([3, 9, 7])
    fig = show_digits(_images(3), preds, labels, ncols=3, title="held out")
    axes = fig.axes
    assert len(axes) == 3
    titles = [ax.get_title() for ax in axes]
    assert titles == ["3", "5 (9)", "7"]
    colors = [ax.title.get_color() for ax in axes]
    assert colors[1] == "tab:red" and colors[0] == colors[2] == "black"
    assert fig.get_suptitle() == "held out"
    assert fig.get_size_inches()[0] <= 7.5
    np.testing.assert_allclose(axes[0].images[0].get_array(), _images(3)[0].numpy())
    plt.close(fig)


def test_show_digits_fills_rows_and_shows_labels_alone():
    fig = show_digits(_images(10), labels=torch.arange(10), ncols=8)
    assert len(fig.axes) == 16  # two rows of 8, the last 6 blank
    assert [ax.get_title() for ax in fig.axes[:10]] == [str(k) for k in range(10)]
    assert not any(ax.images for ax in fig.axes[10:])
    plt.close(fig)


def test_show_digits_rejects_bad_shapes():
    with pytest.raises(ShapeError, match=r"shape \(N, H, W\)"):
        show_digits(torch.zeros(4, 64))
    with pytest.raises(ShapeError, match="preds has 2 entries for 3 images"):
        show_digits(_images(3), torch.tensor([1, 2]))


def test_loss_and_accuracy_accuracy_slope_is_zero_between_jumps():
    w = torch.linspace(-1, 1, 201, dtype=torch.float64)
    accuracy = (w > 0.3).double() * 0.1 + 0.5       # one jump, at w = 0.3
    loss = (w - 0.3) ** 2
    fig = plot_loss_and_accuracy(w, loss, accuracy, 2 * (w - 0.3), name="w", at=0.3)
    (ax_acc, ax_acc_slope), (ax_loss, ax_loss_slope) = np.reshape(fig.axes, (2, 2))
    slope = ax_acc_slope.lines[0].get_ydata()
    assert len(slope) == 200 and np.count_nonzero(slope) == 1  # a spike at the jump only
    assert slope.max() == pytest.approx(100 * 0.1 / 0.01)      # in % per unit of w
    np.testing.assert_allclose(ax_loss.lines[0].get_ydata(), loss.numpy())
    assert ax_loss.get_xlabel() == "w" and ax_acc.get_ylabel() == "accuracy (%)"
    assert all(any(line.get_xdata()[0] == 0.3 for line in ax.lines) for ax in fig.axes)
    assert fig.get_size_inches()[0] <= 7.5
    plt.close(fig)


def test_loss_and_accuracy_needs_one_value_per_point():
    w = torch.linspace(0, 1, 5)
    with pytest.raises(ShapeError, match="one value per grid point"):
        plot_loss_and_accuracy(w, w, w[:4], w)
