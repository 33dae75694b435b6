"""Plots for the lectures. Every function draws on ``ax`` (a new figure when None) and
returns the Axes (or Figure/Animation), so notebooks can compose and tests can inspect.

matplotlib.pyplot is imported inside the functions: ``import gdcourse`` stays light and
never picks a GUI backend on a headless machine.
"""

from __future__ import annotations

from .devices import to_np

__all__ = ["show_preds", "plot_history", "show_fit"]


def _axes(ax, **subplot_kw):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(**subplot_kw)[1]


def show_preds(t, y, preds, ax=None, *, title: str | None = None):
    """Measurements as blue dots and predictions as red ones, against time.

    Args:
        t: times, shape (N,).
        y: measurements, shape (N,).
        preds: predictions, shape (N,) (tensors on any device, with or without grad).
    """
    ax = _axes(ax)
    ax.scatter(to_np(t), to_np(y), label="signal")
    ax.scatter(to_np(t), to_np(preds), color="red", label="predictions")
    ax.set_xlabel("time")
    ax.set_ylabel("signal")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plot_history(history, ax=None, *, log: bool = True, label: str | None = None):
    """Training (and validation) loss against step; log-log axes by default."""
    ax = _axes(ax)
    steps = [s + 1 for s in history.steps]  # +1 so step 0 survives a log axis
    ax.plot(steps, history.losses, label=label or "training loss")
    if history.val_losses:
        # val_steps count updates taken, like steps; shift both alike for the log axis
        ax.plot([s + 1 for s in history.val_steps], history.val_losses, label="validation loss")
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def show_fit(fit, ax=None):
    """A :class:`~gdcourse.quadratic.QuadraticFit`: data, fitted and optimal parabolas."""
    import torch

    from .quadratic import quadratic

    ax = _axes(ax)
    t = fit.t.detach().to(torch.float64)
    fine = torch.linspace(float(t.min()), float(t.max()), 200, dtype=torch.float64)
    ax.scatter(to_np(t), to_np(fit.y), label="signal")
    ax.plot(to_np(fine), to_np(quadratic(fine, fit.params.cpu())), color="red",
            label=f"descent (loss {fit.loss:.3f})")
    ax.plot(to_np(fine), to_np(quadratic(fine, fit.optimal_params.cpu())), "k--",
            label=f"least squares (loss {fit.optimal_loss:.3f})")
    ax.set_xlabel("time")
    ax.set_ylabel("signal")
    ax.legend()
    return ax


# --- Networks and trajectories (lectures 04-05) ------------------------------------------
__all__ += ["plot_decision_boundary", "plot_trajectory"]


def _as_floats(values):
    """Predictions as a flat float64 numpy array: from a tensor, an array, or a list of
    numbers or Scalars (read through their ``.value``)."""
    import numpy as np
    import torch

    if isinstance(values, (torch.Tensor, np.ndarray)):
        return to_np(values).astype(np.float64).reshape(-1)
    return np.array([getattr(v, "value", v) for v in values], dtype=np.float64)


def plot_decision_boundary(predict_fn, X, y, ax=None, *, resolution: int = 50,
                           margin: float = 1.0, cmap: str = "coolwarm", title: str | None = None):
    """A classifier's probabilities over the plane (filled contours), its 0.5 line, the data.

    Args:
        predict_fn: maps grid points, a float64 tensor of shape (M, 2), to M probabilities
            of class 1 (a tensor, array, or list of floats or Scalars). For a scratch model
            pass ``model.predict``; for a torch model, ``lambda G: model(G).sigmoid()``.
        X: samples, shape (N, 2). y: labels 0/1, shape (N,).
        resolution: grid points per axis (the model runs resolution^2 times).
        margin: how far the grid reaches beyond the data, in data units.

    Returns:
        The Axes.
    """
    import numpy as np
    import torch

    X_np, y_np = to_np(X).astype(np.float64), to_np(y).reshape(-1)
    if X_np.ndim != 2 or X_np.shape[1] != 2 or len(X_np) != len(y_np):
        from .errors import ShapeError

        raise ShapeError(f"X must have shape (N, 2) and y shape (N,), got {X_np.shape} and "
                         f"{y_np.shape}")
    lo, hi = X_np.min(axis=0) - margin, X_np.max(axis=0) + margin
    g1 = np.linspace(lo[0], hi[0], resolution)
    g2 = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(g1, g2)  # (R, R) each
    grid = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], axis=1))  # (R*R, 2)
    zz = _as_floats(predict_fn(grid)).reshape(xx.shape)
    ax = _axes(ax, figsize=(6, 6))
    filled = ax.contourf(xx, yy, zz, levels=np.linspace(0, 1, 11), cmap=cmap, alpha=0.45)
    ax.contour(xx, yy, zz, levels=[0.5], colors="black", linewidths=1.5)
    ax.scatter(X_np[:, 0], X_np[:, 1], c=y_np, cmap=cmap, edgecolors="black", linewidths=0.5,
               s=20, zorder=3)
    ax.figure.colorbar(filled, ax=ax, label="p(class 1)", fraction=0.046, pad=0.04)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def plot_trajectory(model, snapshots, x, y, ax=None, *, n_points: int = 100,
                    color: str = "black", title: str | None = None):
    """A 1-D fit over training: one line per parameter snapshot, fading in with time.

    Snapshot k of K is drawn with alpha growing from faint to 1, so the line's path from
    the initial guess to the final fit reads as a trail.

    Args:
        model: a scratch :class:`~gdcourse.scratch.nn.Model` (each snapshot is loaded into
            it in turn; its own parameters are restored afterwards), or a function
            ``(snapshot, t) -> predictions`` for a float64 tensor t of shape (n_points,).
        snapshots: parameter dicts, e.g. ``model.copy_parameters()`` taken during training.
        x, y: the data, shape (N,) each.

    Returns:
        The Axes.
    """
    import torch

    snapshots = list(snapshots)
    x_np, y_np = to_np(x).reshape(-1), to_np(y).reshape(-1)
    t = torch.linspace(float(x_np.min()), float(x_np.max()), n_points, dtype=torch.float64)
    if hasattr(model, "load_parameters"):
        saved = model.copy_parameters()
        try:
            curves = []
            for snapshot in snapshots:
                model.load_parameters(snapshot)
                curves.append(_as_floats(model.predict(t)))
        finally:
            model.load_parameters(saved)
    else:
        curves = [_as_floats(model(snapshot, t)) for snapshot in snapshots]
    ax = _axes(ax)
    ax.scatter(x_np, y_np, s=12, label="data")
    t_np = t.numpy()
    for k, curve in enumerate(curves):
        alpha = 0.08 + 0.92 * (k + 1) / len(curves)
        label = "start" if k == 0 else "end" if k == len(curves) - 1 else None
        ax.plot(t_np, curve, color=color, alpha=alpha, lw=1.5 if label == "end" else 1,
                label=label)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


# --- Slopes, loss surfaces and animations (lectures 01, 06) --------------------------------
from .errors import InvalidArgumentError, ShapeError  # noqa: E402

__all__ += ["plot_slopes", "plot_loss_surface", "animate_fit"]


def plot_slopes(loss_fn, values, at, ax=None, *, width: float | None = None):
    """A loss against one parameter, with its slope (the tangent) drawn at chosen points.

        slope(a) = dL/dtheta at theta = a        # torch.func.grad(loss_fn)(a)
        tangent:   L(a) + slope(a) * (theta - a)

    An arrow at each point shows the way downhill, -slope(a): the way gradient descent
    moves the parameter.

    Args:
        loss_fn: the loss as a function of one parameter (a 0-d tensor) -> scalar tensor.
        values: parameter values for the curve, shape (n,).
        at: the points where to draw tangents (numbers or a 1-D tensor).
        ax: the Axes to draw on (a new figure when None).
        width: half-width of each tangent segment (default: a tenth of the range).

    Returns:
        The Axes: ``ax.lines[0]`` is the curve, then one tangent line per point, each
        labelled with its slope.
    """
    import torch

    from .grid import grid_search

    curve = grid_search(loss_fn, values)
    x = curve.axes[0]
    at = torch.as_tensor(at, dtype=x.dtype).to(x.device).reshape(-1)
    slope_fn = torch.func.grad(loss_fn)
    width = float(x.max() - x.min()) / 10 if width is None else float(width)
    ax = _axes(ax)
    ax.plot(to_np(x), to_np(curve.losses), label="loss")
    for a in at:
        loss, slope = float(loss_fn(a)), float(slope_fn(a))
        a = float(a)
        xs = [a - width, a + width]
        ax.plot(xs, [loss - slope * width, loss + slope * width], "--",
                label=f"slope {slope:.6g} at {a:.3g}")
        ax.plot([a], [loss], "o", color="black")
        # Downhill along the tangent, pointing where descent moves the parameter.
        step = -0.8 * width if slope > 0 else 0.8 * width
        ax.annotate("", xy=(a + step, loss + slope * step), xytext=(a, loss),
                    arrowprops={"arrowstyle": "->", "color": "black"})
    ax.set_xlabel("parameter")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def plot_loss_surface(loss_fn, grid, path=None, ax=None, *, levels: int = 30,
                      log: bool = True, labels: tuple[str, str] = ("params[0]", "params[1]")):
    """Contours of a loss over two parameters, with a descent path drawn over them.

    Args:
        loss_fn: the loss as a function of a (2,) parameter tensor -> scalar tensor.
        grid: two 1-D tensors, the values of params[0] (horizontal) and params[1] (vertical).
        path: the parameters along the descent, shape (T, 2) (a tensor, or a list of (2,)
            tensors such as ``History.snapshots``); drawn as a line from start to end.
        ax: the Axes to draw on (a new figure when None).
        levels: how many contour levels.
        log: space the levels geometrically, so the flat valley floor gets contours too.
        labels: the axis labels.

    Returns:
        The Axes, with the filled contours in ``ax.collections`` and the path as the
        line labelled "descent path" (the grid's best point is marked "grid minimum").
    """
    import numpy as np
    import torch

    from .grid import grid_search

    if len(grid) != 2:
        raise InvalidArgumentError(
            f"plot_loss_surface draws two parameters, got a grid with {len(grid)} axes"
        )
    result = grid_search(loss_fn, grid)
    z = to_np(result.losses).T  # contour wants rows = vertical axis
    if log and z.min() > 0:
        lv = np.geomspace(z.min(), z.max(), levels)
    else:
        lv = np.linspace(z.min(), z.max(), levels)
    ax = _axes(ax)
    filled = ax.contourf(to_np(result.axes[0]), to_np(result.axes[1]), z, levels=lv,
                         cmap="viridis", norm="log" if log and z.min() > 0 else None)
    ax.figure.colorbar(filled, ax=ax, label="loss", ticks=lv[::max(1, levels // 6)],
                       format="%.3g")
    best = to_np(result.best_params)
    ax.plot(best[0], best[1], "*", color="white", markersize=12, label="grid minimum")
    if path is not None:
        path = torch.stack(list(path)) if not isinstance(path, torch.Tensor) else path
        if path.dim() != 2 or path.shape[1] != 2:
            raise ShapeError(f"path must have shape (T, 2), got {tuple(path.shape)}")
        p = to_np(path)
        ax.plot(p[:, 0], p[:, 1], ".-", color="red", label="descent path")
        ax.plot(p[0, 0], p[0, 1], "o", color="orange", label="start")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.legend(loc="upper right")
    return ax


def animate_fit(f, x, y, params_seq, *, steps=None, x_axis=None, loss_fn=None,
                max_frames: int = 40, interval: int = 100, ax=None):
    """An animation of the model's predictions over training.

    Frame k draws ``f(x, params_seq[k])`` as a line over the data (sorted by ``x_axis``),
    titled with its step and loss. Show it in a notebook with
    ``HTML(anim.to_jshtml())``; save it with ``anim.save("fit.gif", writer="pillow")``.

    Args:
        f: the model, ``f(x, params)``.
        x: the model's inputs, shape (N,) or (N, D) (e.g. a design matrix).
        y: targets, shape (N,).
        params_seq: parameters over training, e.g. ``History.snapshots``.
        steps: the step of each entry of ``params_seq`` (default 0, 1, 2, ...).
        x_axis: the horizontal coordinate of each row, shape (N,) (default: ``x`` when
            1-D, else the last column of ``x``).
        loss_fn: ``loss_fn(preds, y)`` for the titles (default: :func:`gdcourse.mse`).
        max_frames: keep at most this many frames, evenly spread, always with the last.
        interval: milliseconds between frames.
        ax: the Axes to draw on; when None a new figure is made and closed (so a notebook
            shows only the animation, not a stray still image).

    Returns:
        A ``matplotlib.animation.FuncAnimation``.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    from matplotlib.animation import FuncAnimation

    from .recipe import mse

    params_seq = list(params_seq)
    if not params_seq:
        raise InvalidArgumentError("params_seq is empty; record snapshots with "
                                   "train(..., snapshot_every=k)")
    steps = list(range(len(params_seq))) if steps is None else list(steps)
    if len(steps) != len(params_seq):
        raise ShapeError(f"got {len(steps)} steps for {len(params_seq)} params in params_seq")
    loss_fn = mse if loss_fn is None else loss_fn
    if x_axis is None:
        x_axis = x if x.dim() == 1 else x[:, -1]
    keep = np.unique(np.linspace(0, len(params_seq) - 1, min(max_frames, len(params_seq)))
                     .round().astype(int))
    order = torch.argsort(x_axis)
    xs = to_np(x_axis[order])
    own = ax is None
    ax = _axes(ax)
    ax.scatter(to_np(x_axis), to_np(y), s=12, alpha=0.6, label="data")
    (line,) = ax.plot([], [], color="red", label="model")
    ax.set_xlim(xs.min(), xs.max())
    ax.legend(loc="upper left")

    with torch.no_grad():
        frames = []
        for k in keep:
            params = params_seq[k].to(x.device)
            preds = f(x, params)
            frames.append((steps[k], float(loss_fn(preds, y)), to_np(preds[order])))
    lows = [fr[2].min() for fr in frames] + [float(y.min())]
    highs = [fr[2].max() for fr in frames] + [float(y.max())]
    pad = 0.05 * (max(highs) - min(lows) or 1.0)
    ax.set_ylim(min(lows) - pad, max(highs) + pad)

    def draw(i):
        step, loss, preds = frames[i]
        line.set_data(xs, preds)
        ax.set_title(f"step {step}   loss {loss:.4g}")
        return (line,)

    anim = FuncAnimation(ax.figure, draw, frames=len(frames), interval=interval, blit=False)
    if own:
        plt.close(ax.figure)
    return anim


# --- Learning-rate sweeps (lecture 06) ------------------------------------------------------
__all__ += ["plot_lr_sweep"]


def plot_lr_sweep(sweep, ax=None):
    """Final loss against learning rate on log axes, from :func:`gdcourse.lr_sweep`.

    Converged runs are a line; diverged runs are red crosses along the top edge; a dotted
    vertical line marks the stability limit 2 (1 + momentum) / lambda_max and a dashed
    horizontal one the least-squares optimum.
    """
    import torch

    ax = _axes(ax)
    lrs, losses, diverged = sweep.lrs, sweep.final_loss, sweep.diverged
    ok = ~diverged & torch.isfinite(losses)
    ax.plot(to_np(lrs[ok]), to_np(losses[ok]), ".-", markersize=3,
            label=f"final loss after {sweep.steps:,} steps")
    top = float(losses[ok].max()) if bool(ok.any()) else 1.0
    if bool(diverged.any()):
        ax.scatter(to_np(lrs[diverged]), [top * 2] * int(diverged.sum()), marker="x",
                   color="red", label="diverged")
    ax.axvline(sweep.max_stable_lr, color="black", linestyle=":",
               label=f"2/lambda_max = {sweep.max_stable_lr:.2g}" if not sweep.momentum else
               f"2(1+mu)/lambda_max = {sweep.max_stable_lr:.2g}")
    ax.axhline(sweep.optimal_loss, color="gray", linestyle="--",
               label=f"least squares ({sweep.optimal_loss:.3g})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("final loss")
    ax.legend()
    return ax
