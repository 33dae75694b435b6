"""gdcourse: gradient descent from the seven-step recipe to optimizers, in PyTorch.

    import gdcourse as gd
    t, y = gd.make_signal(seed=666)
    fit = gd.fit_quadratic(t, y)          # a QuadraticFit; fit.plot()

The package, room by room:

    recipe, loop          the seven steps (init_params, mse, step, apply_step) and train
    quadratic             the lecture signal and its fitters (descent, least squares)
    curvature, fast,      the speed and stability tools: 2/lambda_max, exact fast-forward,
    sweep                 many learning rates in one batched run
    explore               lr explorers: sliders, one exact fast-forward per redraw
    selfcheck             self-check questions per lecture (``gd.quiz("02")``)
    optim, schedules      optimizers as small steppers, and learning-rate schedules
    grid                  grid search over a loss
    data, plot            data sets and figures (imported on first use: ``gd.data``, ``gd.plot``)
    scratch               the hand-built engines (Scalar, Expr, small networks)
    grading               the autograder (``check`` in notebooks, ``gdcourse grade``)
"""

import importlib

from . import optim, schedules
from .curvature import max_hessian_eigenvalue, max_stable_lr
from .devices import default_device, set_seed, to_np
from .errors import (
    DeviceMismatchError,
    DivergenceError,
    GDCourseError,
    InvalidArgumentError,
    InvalidTypeError,
    MissingExtraError,
    NotFittedError,
    ShapeError,
    UnboundSymbolError,
)
from .explore import explore_fit, explore_valley
from .fast import FastForward, fast_forward
from .grid import GridResult, grid_search, grid_size
from .history import History
from .loop import train
from .quadratic import (
    QuadraticFit,
    design_matrix_quadratic,
    fit_quadratic,
    least_squares,
    make_signal,
    quadratic,
)
from .recipe import apply_step, init_params, mse, step
from .selfcheck import quiz
from .sweep import LRSweep, lr_sweep

__version__ = "0.1.0"

__all__ = [
    # errors
    "DeviceMismatchError", "DivergenceError", "GDCourseError", "InvalidArgumentError",
    "InvalidTypeError", "MissingExtraError", "NotFittedError", "ShapeError",
    "UnboundSymbolError",
    # the recipe and the loop
    "History", "apply_step", "default_device", "init_params", "mse", "set_seed", "step",
    "to_np", "train",
    # the lecture problem
    "QuadraticFit", "design_matrix_quadratic", "fit_quadratic", "least_squares",
    "make_signal", "quadratic",
    # speed and stability
    "FastForward", "LRSweep", "fast_forward", "lr_sweep", "max_hessian_eigenvalue",
    "max_stable_lr",
    # explorers: sliders over fast_forward (lectures 02 and 06)
    "explore_fit", "explore_valley",
    # self-check questions at the end of each lecture
    "quiz",
    # optimizers and grid search
    "GridResult", "grid_search", "grid_size", "optim", "schedules",
]

_LAZY = {"data", "grading", "plot", "scratch"}  # heavy imports (matplotlib) or rarely needed


def __getattr__(name):
    # `gd.plot` works without importing matplotlib at `import gdcourse` time.
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'gdcourse' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})
