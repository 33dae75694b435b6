"""The seven steps inside fastai: fit the lecture's parabola with a fastai ``Learner``.

fastai's ``Learner`` runs the same recipe as :func:`gdcourse.train`, but each step happens
between two named *events* that callbacks can hook. :func:`fit_with_fastai` fits the
quadratic with a Learner and fastai's own SGD while a callback writes down every event,
so the lecture can show where each step lives:

    step          fastai code (in Learner)                         between events
    1 init        the nn.Module's parameters, handed to Learner    (before) after_create
    2 predict     self.pred = self.model(*self.xb)                 before_batch .. after_pred
    3 loss        self.loss_grad = self.loss_func(self.pred, ...)  after_pred .. after_loss
    4 gradient    self.loss_grad.backward()                        before_backward .. after_backward
    5 step        self.opt.step(); self.opt.zero_grad()            before_step .. after_step
    6 repeat      for batch in self.dl (then for each epoch)       after_batch -> before_batch
    7 stop        after n_epoch epochs, or CancelFitException      after_fit

fastai is an optional extra (``pip install "gdcourse[fastai]"``) and is imported only inside
the functions here, never at ``import gdcourse``. Only ``fastai.learner``,
``fastai.data.core``, ``fastai.optimizer`` and ``fastai.callback.core`` are used: none of
them imports torchvision (``fastai.vision`` does, and its compiled ops do not load on every
torch build).
"""

from __future__ import annotations

import random
import warnings
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ._validate import check_lr, check_steps, check_unit
from .errors import MissingExtraError
from .quadratic import _check_data, _cpu64, _from_standard, _standardizer, least_squares, quadratic
from .recipe import init_params, mse

__all__ = ["QuadraticModule", "fit_with_fastai", "FastaiFit", "SEVEN_STEPS"]

#: (step, name, the fastai code doing it, the event fired right after it)
SEVEN_STEPS: tuple[tuple[int, str, str, str], ...] = (
    (1, "init", "Learner(dls, model, ...): the model's parameters", "after_create"),
    (2, "predict", "self.pred = self.model(*self.xb)", "after_pred"),
    (3, "loss", "self.loss_grad = self.loss_func(self.pred, *self.yb)", "after_loss"),
    (4, "gradient", "self.loss_grad.backward()", "after_backward"),
    (5, "step", "self.opt.step(); self.opt.zero_grad()", "after_step"),
    (6, "repeat", "for b in self.dl: self.one_batch(...)", "after_batch"),
    (7, "stop", "n_epoch done, or a callback raised CancelFitException", "after_fit"),
)
_INSTALL = 'the fastai bridge needs fastai; install it with pip install "gdcourse[fastai]"'


class QuadraticModule(nn.Module):
    """The lecture's model as an ``nn.Module``: f(t) = a t^2 + b t + c, params (3,).

    >>> QuadraticModule(torch.tensor([1., 0., 2.]))(torch.tensor([3.]))
    tensor([11.], grad_fn=<AddBackward0>)
    """

    def __init__(self, params: torch.Tensor):
        super().__init__()
        self.params = nn.Parameter(params.detach().clone())  # (3,): a, b, c

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return quadratic(t, self.params)


def _fastai() -> tuple[Any, Any, Any, Any, Any, Any]:
    """Import the few fastai pieces used here, or say how to install them."""
    try:
        with warnings.catch_warnings():
            # fastai.layers decorates with torch.jit.script, which recent torch deprecates
            warnings.filterwarnings("ignore", category=DeprecationWarning,
                                    message=r".*torch\.jit\.script.*")
            from fastai.callback.core import Callback, CancelFitException
            from fastai.data.core import DataLoaders
            from fastai.data.load import DataLoader
            from fastai.learner import Learner
            from fastai.optimizer import SGD
    except ImportError as e:
        raise MissingExtraError(_INSTALL) from e
    return Callback, CancelFitException, DataLoaders, DataLoader, Learner, SGD


@dataclass
class FastaiFit:
    """What :func:`fit_with_fastai` found and saw.

    Attributes:
        params: (a, b, c) in the original time basis, float64.
        loss, optimal_loss: the MSE of ``params`` and of the least-squares optimum.
        losses: the training loss of every batch, in order.
        events: every event fastai fired, in order, as (epoch, batch, event, training);
            ``training`` is False during the validation pass and outside epochs.
        n_steps: optimizer steps taken.
        learner: the fastai ``Learner`` (its model works on standardized time).
    """

    params: torch.Tensor
    loss: float
    optimal_loss: float
    losses: list[float] = field(default_factory=list)
    events: list[tuple[int, int, str, bool]] = field(default_factory=list)
    n_steps: int = 0
    learner: object = None

    @property
    def ratio(self) -> float:
        """loss / optimal_loss (1.0 is perfect)."""
        return self.loss / self.optimal_loss

    def steps_table(self) -> list[dict]:
        """One row per recipe step: the fastai code, its event and how often it fired
        (in training: the validation pass predicts and measures the loss too, but those
        predictions are not steps of descent)."""
        counts: dict[str, int] = {}
        for _, _, event, training in self.events:
            if training or event in ("after_create", "after_fit"):
                counts[event] = counts.get(event, 0) + 1
        return [{"step": n, "name": name, "fastai": code, "event": event,
                 "fired": counts.get(event, 0)} for n, name, code, event in SEVEN_STEPS]

    def format_steps(self) -> str:
        """:meth:`steps_table` as aligned text, for printing."""
        rows = [("step", "fastai code", "event", "fired")] + [
            (f"{r['step']} {r['name']}", r["fastai"], r["event"], str(r["fired"]))
            for r in self.steps_table()]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                         for row in rows)

    def first_batch_events(self) -> list[str]:
        """The events of the first training batch, in the order fastai fired them."""
        out, inside = [], False
        for epoch, _, event, _ in self.events:
            inside = inside or (epoch == 0 and event == "before_batch")
            if inside:
                out.append(event)
                if event == "after_batch":
                    break
        return out


def fit_with_fastai(t: torch.Tensor, y: torch.Tensor, *, lr: float = 0.3, epochs: int = 30,
                    batch_size: int | None = None, momentum: float = 0.0,
                    target_loss: float | None = None, seed: int = 666) -> FastaiFit:
    """Fit a t^2 + b t + c with a fastai ``Learner``, MSE and fastai's SGD, logging events.

    Descent runs on standardized time u = (t - mean) / std (as :func:`gdcourse.fit_quadratic`
    does; raw time needs ~1e6 steps) and the answer is mapped back to (a, b, c). With the
    default full batch, one epoch is one gradient-descent step, exactly
    theta <- theta - lr * grad L(theta) (plus the momentum buffer when ``momentum > 0``).
    The validation pass reuses the training points (a 20-point curve has no held-out set).

    Args:
        t, y: times and measurements, shape (N,).
        lr: learning rate of fastai's SGD.
        epochs: passes over the data.
        batch_size: minibatch size (default: all N points, i.e. full-batch descent).
        momentum: fastai's ``mom`` (buffer = mom * buffer + grad; torch's convention).
        target_loss: step 7 as a callback: stop once a training batch's loss is <= this.
        seed: seeds the initial params and the shuffling of minibatches.

    Returns:
        A :class:`FastaiFit`.

    Raises:
        MissingExtraError: fastai is not installed.
        InvalidArgumentError, ShapeError: bad data or hyper-parameters.
    """
    Callback: Any  # a class from an optional extra, unknown to the type checker
    Callback, CancelFitException, DataLoaders, DataLoader, Learner, SGD = _fastai()
    _check_data(t, y)
    lr, epochs = check_lr(lr), check_steps(epochs, name="epochs")
    n = t.shape[0]
    bs = n if batch_size is None else check_steps(batch_size, name="batch_size")
    momentum = check_unit(momentum, name="momentum")

    m, s = _standardizer(t)
    u = ((t.to(torch.float64) - m) / s).to(y.dtype)
    pairs = list(zip(u, y))  # a dataset is anything indexable that yields (x, y)
    train_dl = DataLoader(pairs, bs=bs, shuffle=bs < n, drop_last=False, device=t.device)
    train_dl.rng = random.Random(seed)  # fastai shuffles with its own Python RNG
    dls = DataLoaders(train_dl, DataLoader(pairs, bs=n, device=t.device), device=t.device)
    model = QuadraticModule(init_params(3, seed=seed, dtype=y.dtype)).to(t.device)
    fit = FastaiFit(params=torch.empty(0), loss=float("nan"), optimal_loss=float("nan"))

    class EventLog(Callback):
        """Writes down every event; optionally stops at the target loss (step 7)."""

        order = -10  # before fastai's own callbacks, so the log sees every event

        def __call__(self, event_name):
            learn = self.learn
            fit.events.append((getattr(learn, "epoch", 0), getattr(learn, "iter", 0), event_name,
                               bool(getattr(learn, "training", False))))
            return super().__call__(event_name)

        def after_loss(self):
            if self.training:
                fit.losses.append(float(self.learn.loss_grad.detach()))

        def after_step(self):
            fit.n_steps += 1
            if target_loss is not None and fit.losses[-1] <= target_loss:
                raise CancelFitException()

    def sgd(params, lr):
        return SGD(params, lr, mom=momentum)

    learn = Learner(dls, model, loss_func=mse, opt_func=sgd, lr=lr, cbs=[EventLog()])
    # a progress bar exists only once fastai.callback.progress is imported somewhere
    bars = [cb for cb in learn.cbs if type(cb).__name__ == "ProgressCallback"]
    learn.remove_cbs(bars)
    with learn.no_logging():
        learn.fit(epochs, lr=lr)
    learn.add_cbs(bars)
    fit.learner = learn
    fit.params = _from_standard(_cpu64(model.params), m, s)
    t64, y64 = _cpu64(t), _cpu64(y)
    fit.loss = float(mse(quadratic(t64, fit.params), y64))
    fit.optimal_loss = float(mse(quadratic(t64, least_squares(t, y)), y64))
    return fit
