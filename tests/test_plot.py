"""Core plots: they draw what they claim and return the Axes."""

import matplotlib.pyplot as plt
import numpy as np
import torch

import gdcourse as gd
from gdcourse.plot import plot_history, show_preds


def test_show_preds_draws_signal_and_predictions(signal):
    t, y = signal
    params = gd.init_params(3, seed=666)
    preds = gd.quadratic(t, params)  # still attached to the graph: the plot must detach
    ax = show_preds(t, y, preds, title="step 2")
    data, fitted = ax.collections
    np.testing.assert_allclose(data.get_offsets()[:, 1], y.numpy())
    np.testing.assert_allclose(fitted.get_offsets()[:, 1], preds.detach().numpy())
    assert ax.get_title() == "step 2"


def test_show_preds_uses_the_given_axes(signal):
    t, y = signal
    fig, (left, right) = plt.subplots(1, 2)
    assert show_preds(t, y, y, ax=right) is right
    assert not left.collections


def test_plot_history_with_validation():
    x = torch.linspace(-1, 1, 20)
    params = torch.zeros(2, requires_grad=True)
    hist = gd.train(params, lambda x, p: p[0] * x + p[1], x, 3 * x, lr=0.1, steps=30,
                    x_val=x, y_val=3 * x)
    ax = plot_history(hist, log=False)
    assert [line.get_label() for line in ax.lines] == ["training loss", "validation loss"]
    assert ax.get_xscale() == "linear"
