"""Better steps (lecture 06): the optimizers, moved whole into the package (split next)."""

from .steps import (
    OPTIMIZERS,
    SGD,
    Adagrad,
    Adam,
    Optimizer,
    RMSProp,
    adagrad_step,
    adam_step,
    build,
    rmsprop_step,
    sgd_step,
    stability_factor,
)

__all__ = ["sgd_step", "adagrad_step", "rmsprop_step", "adam_step", "Optimizer", "SGD",
           "Adagrad", "RMSProp", "Adam", "build", "OPTIMIZERS", "stability_factor"]
