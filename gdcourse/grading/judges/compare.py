"""Judging helpers: compare plain answers with oracles and say what differs, in one line.

    >>> close(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]), what="preds")
    Verdict(passed=False, hint='preds[1]: expected 2, got 2.5')
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ...recipe import init_params
from ..registry import AnswerCountError, Verdict

__all__ = ["close", "close_each", "as_tensor", "describe", "each", "AnswerCountError", "PASS",
           "descend_from_seed", "descent_judge"]

PASS = Verdict(True)


def each(out, items, *, noun: str = "answer") -> zip:
    """Pair the child's answers with the grader's items, one to one.

    The answers come from the untrusted child: a plain ``zip`` would pair a short (or empty)
    list with nothing, compare nothing, and pass. The judge's caller turns the error into a
    failed check whose hint is the message.
    """
    if not isinstance(out, (list, tuple)) or len(out) != len(items):
        raise AnswerCountError(f"expected {len(items)} {noun}s, got {describe(out)}")
    return zip(out, items)


def describe(obj) -> str:
    """A short description of an answer for hints: its type and shape."""
    if obj is None:
        return "None (is a return statement missing?)"
    if isinstance(obj, torch.Tensor):
        return f"a tensor of shape {tuple(obj.shape)}"
    if isinstance(obj, (list, tuple)):
        return f"a {type(obj).__name__} of length {len(obj)}"
    return f"{type(obj).__name__} {obj!r}"[:80]


def as_tensor(got, *, shape: tuple | None = None) -> torch.Tensor | None:
    """``got`` as a float64 tensor if it is a tensor or a (list of) number(s), else None."""
    if isinstance(got, bool):
        return None
    if isinstance(got, (int, float)) and (shape is None or shape == ()):
        return torch.tensor(float(got), dtype=torch.float64)
    if isinstance(got, list):
        try:
            return torch.tensor(got, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            return None
    if isinstance(got, torch.Tensor) and (got.is_floating_point() or got.dtype == torch.int64):
        return got.to(torch.float64)
    return None


def close(got, expected: torch.Tensor, *, what: str = "the result", rtol: float = 1e-5,
          atol: float = 1e-8) -> Verdict:
    """Pass when ``got`` has the shape of ``expected`` and |got - expected| <= atol + rtol|e|.

    The hint names the worst entry: ``preds[3]: expected 1.25, got 1.5``; wrong types and
    shapes get their own hint (with ``squeeze`` advice for a stray trailing 1).
    """
    expected = expected.detach().to(torch.float64)
    value = as_tensor(got, shape=tuple(expected.shape))
    if value is None:
        return Verdict(False, f"{what}: expected a tensor of shape {tuple(expected.shape)}, "
                              f"got {describe(got)}")
    if value.shape != expected.shape:
        hint = ""
        if value.dim() == expected.dim() + 1 and value.shape[-1] == 1:
            hint = "; try .squeeze(-1)"
        elif value.numel() == 1 and expected.numel() == 1:
            value = value.reshape(expected.shape)
        if value.shape != expected.shape:
            return Verdict(False, f"{what}: expected shape {tuple(expected.shape)}, got "
                                  f"{tuple(value.shape)}{hint}")
    bad_nan = torch.isnan(value) & ~torch.isnan(expected)
    tol = atol + rtol * expected.abs()
    gap = torch.where(torch.isfinite(value) & torch.isfinite(expected),
                      (value - expected).abs() - tol, torch.zeros_like(value))
    gap = torch.where(bad_nan | (torch.isinf(value) != torch.isinf(expected)),
                      torch.full_like(value, math.inf), gap)
    if value.numel() == 0 or bool((gap <= 0).all()):
        return PASS
    worst = int(torch.argmax(gap.reshape(-1)))
    index = "" if expected.dim() == 0 else str(list(_unravel(worst, expected.shape)))
    return Verdict(False, f"{what}{index}: expected {_fmt(expected.reshape(-1)[worst])}, "
                          f"got {_fmt(value.reshape(-1)[worst])}")


def close_each(out, calls: list[dict], oracle: Callable[..., torch.Tensor], *,
               what: str | Callable[..., str], rtol: float = 1e-5,
               atol: float = 1e-8) -> Verdict:
    """Every call's answer :func:`close` to ``oracle(*args)``; the first miss is the verdict.

    Args:
        out: the child's answers, one per call.
        calls: made with :func:`~gdcourse.grading.registry.call`, in the order answered.
        oracle: the exact answer from a call's positional args.
        what: names the answer in hints; a function of the call's args where it helps.
    """
    for got, c in each(out, calls):
        name = what(*c["args"]) if callable(what) else what
        verdict = close(got, oracle(*c["args"]), what=name, rtol=rtol, atol=atol)
        if not verdict.passed:
            return verdict
    return PASS


def descend_from_seed(loss_fn: Callable, X: torch.Tensor, y: torch.Tensor, *, lr: float,
                      steps: int, seed: int) -> torch.Tensor:
    """The params a descent task must reproduce: the seven steps from
    ``init_params(D + 1, seed=seed)`` on ``loss_fn(X, y, params)``, in the inputs' dtype.

    Written out here rather than calling the package's ``train``, so the oracle does not
    share a bug with the code students are taught to use.
    """
    params = init_params(X.shape[1] + 1, seed=seed, dtype=X.dtype)
    for _ in range(steps):
        (grad,) = torch.autograd.grad(loss_fn(X, y, params), params)
        with torch.no_grad():
            params -= lr * grad
    return params.detach()


def descent_judge(oracle: Callable[..., torch.Tensor], *, rtol: float = 1e-4,
                  atol: float = 1e-5) -> Callable[..., Verdict]:
    """A judge of "params after ``steps`` steps of ``lr`` from ``init_params(D + 1, seed)``"
    against ``oracle(X, y, lr=, steps=, seed=)``; the hint says which descent was expected."""
    def judge(out, inputs) -> Verdict:
        X, y = inputs["args"]
        k = inputs["kwargs"]
        verdict = close(out, oracle(X, y, lr=k["lr"], steps=k["steps"], seed=k["seed"]),
                        what="params", rtol=rtol, atol=atol)
        if verdict.passed:
            return verdict
        return Verdict(False, f"{verdict.hint} after {k['steps']} steps of lr={k['lr']} from "
                              f"init_params({X.shape[1] + 1}, seed={k['seed']})")
    return judge


def _unravel(flat: int, shape) -> tuple[int, ...]:
    out = []
    for n in reversed(shape):
        out.append(flat % n)
        flat //= n
    return tuple(reversed(out))


def _fmt(x: torch.Tensor) -> str:
    return f"{float(x):.6g}"
