"""Better steps (lecture 06): SGD, momentum, Nesterov, Adagrad, RMSProp and Adam, from scratch.

Each algorithm is a small pure update, ``*_step(p, g, state, *, lr, ...)``, that changes one
parameter tensor and its state dict in place; thin classes hold the state for a list of
tensors and give them the ``step()`` / ``zero_grad()`` interface of ``torch.optim``, so they
plug into :func:`gdcourse.train`. Every update is checked against ``torch.optim`` step for
step in the tests.

On top of the algorithms, for every optimizer:

* per-parameter learning rates: ``lr`` is a number, one lr per parameter tensor (a list),
  or a tensor of per-element lrs shaped like the parameters;
* a schedule (:mod:`gdcourse.schedules`): the step t uses ``lr * schedule(t)``.

    opt = build("momentum", [params], lr=0.1)
    hist = gd.train([params], gd.quadratic, u, y, steps=500, optimizer=opt)

Layout (imports point one way: steps and base <- optimizers <- registry):

    steps.py       the pure updates: sgd_step, adagrad_step, rmsprop_step, adam_step
    base.py        Optimizer: params, per-parameter lrs, schedule, state, step, zero_grad
    optimizers.py  SGD, Adagrad, RMSProp, Adam: validate hyper-parameters, call a step
    registry.py    OPTIMIZERS, build(name, ...), stability_factor(name, ...)
"""

from .base import Optimizer
from .optimizers import SGD, Adagrad, Adam, RMSProp
from .registry import OPTIMIZERS, build, stability_factor
from .steps import adagrad_step, adam_step, rmsprop_step, sgd_step

__all__ = ["sgd_step", "adagrad_step", "rmsprop_step", "adam_step", "Optimizer", "SGD",
           "Adagrad", "RMSProp", "Adam", "build", "OPTIMIZERS", "stability_factor"]
