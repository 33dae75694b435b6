"""gdcourse: gradient descent from the seven-step recipe to optimizers, in PyTorch.

    import gdcourse as gd
    t, y = gd.make_signal(seed=666)
    fit = gd.fit_quadratic(t, y)          # a QuadraticFit; fit.plot()

Submodules: ``gdcourse.scratch`` (hand-built autodiff engines), ``gdcourse.grading``
(the autograder), ``gdcourse.plot`` (matplotlib, imported lazily).
"""

from .curvature import max_hessian_eigenvalue, max_stable_lr
from .devices import default_device, set_seed, to_np
from .errors import (
    DeviceMismatchError,
    DivergenceError,
    GDCourseError,
    InvalidArgumentError,
    MissingExtraError,
    NotFittedError,
    ShapeError,
)
from .loop import History, train
from .quadratic import QuadraticFit, fit_quadratic, least_squares, make_signal, quadratic
from .recipe import apply_step, init_params, mse, step

# --- data and optimizers (lectures 01, 06) ---
# optimizers: gd.optim.SGD / Adam / build, gd.schedules.CosineDecay, ...
from . import optim, schedules
# data and grid search
from .grid import GridResult, grid_search, grid_size
# --- speed (fast_forward, lr_sweep) ---
from .fast import FastForward, fast_forward
from .quadratic import design_matrix_quadratic
from .sweep import LRSweep, lr_sweep

__version__ = "0.1.0"

__all__ = [
    "DeviceMismatchError", "DivergenceError", "GDCourseError", "History",
    "InvalidArgumentError", "MissingExtraError", "NotFittedError", "QuadraticFit",
    "ShapeError", "apply_step", "default_device", "fit_quadratic", "init_params",
    "least_squares", "make_signal", "max_hessian_eigenvalue", "max_stable_lr", "mse",
    "quadratic", "set_seed", "step", "to_np", "train",
    # --- data and optimizers: names ---
    # optimizers
    "optim", "schedules",
    # data and grid search
    "GridResult", "grid_search", "grid_size",
    # --- speed: names ---
    "FastForward", "LRSweep", "design_matrix_quadratic", "fast_forward", "lr_sweep",
]


def __getattr__(name):
    # `gd.plot` without importing matplotlib at `import gdcourse` time.
    if name in {"plot", "scratch", "grading", "data", "optim"}:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'gdcourse' has no attribute {name!r}")
