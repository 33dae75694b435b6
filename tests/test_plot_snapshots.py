"""plot_snapshots draws the data and one line per moment of training in one panel."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gdcourse as gd
from gdcourse.plot.snapshots import plot_snapshots


def test_one_line_per_snapshot_in_order_then_the_optimum():
    t = torch.tensor([2.0, 0.0, 1.0])                    # unsorted on purpose
    y = torch.tensor([4.0, 0.0, 1.0])
    early = torch.tensor([1.0, 0.0, 0.5], requires_grad=True)
    late = np.array([3.0, 0.0, 1.0])
    ax = plot_snapshots(t, y, {"early": early, "late": late}, optimum=y,
                        optimum_label="best")
    assert [line.get_label() for line in ax.lines] == ["early", "late", "best"]
    # lines join the points in time order
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.0, 1.0, 2.0])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(ax.lines[2].get_ydata(), [0.0, 1.0, 4.0])
    assert ax.lines[2].get_linestyle() == "--"
    assert ax.lines[0].get_color() is not ax.lines[1].get_color()
    offsets = ax.collections[0].get_offsets()              # the data as dots
    np.testing.assert_allclose(np.asarray(offsets)[:, 1], [4.0, 0.0, 1.0])
    assert ax.get_legend() is not None


def test_refuses_empty_and_mismatched_snapshots():
    t = torch.arange(3.0)
    with pytest.raises(gd.InvalidArgumentError, match="snapshots is empty"):
        plot_snapshots(t, t, {})
    with pytest.raises(gd.ShapeError, match="'short' has 2 predictions for 3 times"):
        plot_snapshots(t, t, {"short": torch.zeros(2)})
    with pytest.raises(gd.ShapeError, match="t has 3 values but y has 2"):
        plot_snapshots(t, t[:2], {"a": t})
