"""Timings of the places where students wait, each against a baseline timed in the same run.

    gdcourse bench            # the whole table, about a minute on 2 cores
    gdcourse bench --quick    # small sizes: a smoke test, a few seconds

The baseline of the loop timings is the lecture's own loop, written as the lecture wrote it
(``f`` with ``a, b, c = params``, ``((preds - targets) ** 2).mean()``, ``params.data -= lr *
params.grad.data``). Loops are timed in alternating blocks in one process and compared
block by block (median of the ratios), so machine load hits both sides alike. Figures that
would take minutes to time (a million lecture steps, a thousand ``train`` calls) are
extrapolated from a timed sample, and the table says so.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from .fast import fast_forward
from .loop import train
from .quadratic import (
    design_matrix_quadratic,
    fit_quadratic,
    least_squares,
    make_signal,
    quadratic,
)
from .recipe import init_params, mse
from .sweep import lr_sweep

__all__ = ["Row", "lecture_loop", "time_steps", "run", "format_table"]

LECTURE_LR = 1e-5  # the lecture's learning rate, in the raw time basis


@dataclass
class Row:
    """One line of the table: a figure, its baseline, their ratio and the target."""

    what: str
    figure: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    ok: bool | None = None


def _lecture_f(t, params):
    a, b, c = params
    return a * (t**2) + (b * t) + c


def _lecture_mse(preds, targets):
    return ((preds - targets) ** 2).mean()


def lecture_loop(params: torch.Tensor, t: torch.Tensor, y: torch.Tensor, *, lr: float,
                 steps: int, read_loss: bool = False) -> None:
    """The lecture's repeat loop around its ``apply_step`` (prn=False), verbatim in spirit.

    ``read_loss`` adds the ``loss.item()`` a printing loop makes every step (a device sync
    on accelerators): the baseline ``train`` avoids by reading losses only now and then.
    """
    for _ in range(steps):
        preds = _lecture_f(t, params)
        loss = _lecture_mse(preds, y)
        loss.backward()
        params.data -= lr * params.grad.data  # type: ignore[union-attr]  # set by backward()
        params.grad = None
        if read_loss:
            loss.item()


def _fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _median_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: first calls pay for lazy initialisation
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def time_steps(t: torch.Tensor, y: torch.Tensor, *, block: int = 2_000, repeats: int = 7,
               with_item: bool = False) -> dict[str, Any]:
    """Per-step seconds of the lecture loop and of ``train``, in alternating blocks.

    Returns medians: "lecture", "train" (gd.quadratic and gd.mse, as a student calls it),
    "train_lecture_f" (train around the lecture's own f and mse: the loop alone), optionally
    "lecture_item" (the lecture loop with ``loss.item()`` every step), the median
    block-by-block ratios "ratio" and "ratio_lecture_f" (train / lecture), and "blocks":
    every block's per-step time, by name.
    """
    p0 = init_params(3, seed=666, dtype=t.dtype, device=t.device).detach()

    def lecture():
        lecture_loop(p0.clone().requires_grad_(), t, y, lr=LECTURE_LR, steps=block)

    def lecture_item():
        lecture_loop(p0.clone().requires_grad_(), t, y, lr=LECTURE_LR, steps=block,
                     read_loss=True)

    def ours():
        train(p0.clone().requires_grad_(), quadratic, t, y, lr=LECTURE_LR, steps=block,
              progress=False)

    def ours_lecture_f():
        train(p0.clone().requires_grad_(), _lecture_f, t, y, lr=LECTURE_LR, steps=block,
              loss_fn=_lecture_mse, progress=False)

    runs = {"lecture": lecture, "train": ours, "train_lecture_f": ours_lecture_f}
    if with_item:
        runs["lecture_item"] = lecture_item
    sync = torch.cuda.synchronize if t.device.type == "cuda" else (lambda: None)
    for fn in runs.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(repeats):
        order = list(runs) if r % 2 == 0 else list(reversed(runs))  # cancel drift
        for name in order:
            sync()
            began = time.perf_counter()
            runs[name]()
            sync()
            times[name].append((time.perf_counter() - began) / block)
    out: dict = {name: statistics.median(v) for name, v in times.items()}
    out["ratio"] = statistics.median(a / b for a, b in zip(times["train"], times["lecture"]))
    out["ratio_lecture_f"] = statistics.median(
        a / b for a, b in zip(times["train_lecture_f"], times["lecture"]))
    out["blocks"] = times
    return out


def _import_cost(repeats: int) -> tuple[float, float, bool]:
    """Median seconds of ``import torch`` and of ``import gdcourse`` after it (fresh
    interpreters), and whether gdcourse pulled in matplotlib.pyplot."""
    code = ("import sys, time; t0 = time.perf_counter(); import torch; "
            "t1 = time.perf_counter(); import gdcourse; t2 = time.perf_counter(); "
            "print(t1 - t0, t2 - t1, 'matplotlib.pyplot' in sys.modules)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])]))
    torch_s, ours_s, pyplot = [], [], False
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True).stdout.split()
        torch_s.append(float(out[0]))
        ours_s.append(float(out[1]))
        pyplot = pyplot or out[2] == "True"
    return statistics.median(torch_s), statistics.median(ours_s), pyplot


def _time_to_one_percent(t, y, optimal_loss: float, per_step: float, repeats: int,
                         budget: int) -> list[Row]:
    rows = []
    solve = _median_time(lambda: least_squares(t, y), repeats)
    rows.append(Row("least squares (closed form)", _fmt_time(solve), "", "", "", None))

    X, y64 = design_matrix_quadratic(t.double()), y.double()
    p0 = init_params(3, seed=666).detach()
    target = 1.01 * optimal_loss
    run_ = fast_forward(X, y64, p0, lr=LECTURE_LR, steps=10**8, target_loss=target)
    took = _median_time(lambda: fast_forward(X, y64, p0, lr=LECTURE_LR, steps=10**8,
                                             target_loss=target), repeats)
    rows.append(Row(f"raw recipe, lr 1e-5, float64: {run_.n_steps:,} steps (fast engine)",
                    _fmt_time(took), f"lecture loop ~{_fmt_time(run_.n_steps * per_step)} (extr.)",
                    f"{run_.n_steps * per_step / took:,.0f}x faster"))

    for name, label, target_s in (("sgd", "standardized SGD, auto lr", 10e-3),
                                  ("momentum", "standardized momentum 0.9, auto lr", None),
                                  ("adam", "standardized Adam, auto lr", None)):
        def fit(name=name):
            return fit_quadratic(t, y, seed=666, rtol=0.01, optimizer=name, steps=budget)

        took = _median_time(fit, repeats)
        done = fit()
        reached = done.history.stop_reason == "target_loss"
        rows.append(Row(f"{label}: {done.history.n_steps:,} steps"
                        + ("" if reached else " (1% NOT reached)"),
                        _fmt_time(took), f"least squares {_fmt_time(solve)}",
                        f"{took / solve:,.0f}x slower",
                        "< 10 ms" if target_s else "",
                        (took < target_s and reached) if target_s else None))
    return rows


def _sweep_rows(t, y, *, n_lrs: int, steps: int, sample: int, per_step: float) -> list[Row]:
    # All below the limit 2/lambda_max ~ 3.5e-5: a diverging train call stops early but then
    # spends longer estimating a stable lr for its message, which would flatter the sweep.
    lrs = torch.logspace(-7, math.log10(3e-5), n_lrs)
    X = design_matrix_quadratic(t)
    sweep = lr_sweep(X, y, lrs, steps=steps, seed=666)  # warm-up and the answers
    took = _median_time(lambda: lr_sweep(X, y, lrs, steps=steps, seed=666), 3)

    picks = torch.linspace(0, n_lrs - 1, sample).round().long().unique().tolist()
    worst, agree, began = 0.0, True, time.perf_counter()
    for i in picks:
        params = init_params(3, seed=666)
        try:
            train(params, quadratic, t, y, lr=float(lrs[i]), steps=steps, progress=False)
        except Exception:  # DivergenceError: the sweep must have flagged it
            agree = agree and bool(sweep.diverged[i])
            continue
        loss = float(((X.double() @ params.detach().double() - y.double()) ** 2).mean())
        agree = agree and not bool(sweep.diverged[i])
        worst = max(worst, abs(loss - float(sweep.final_loss[i])) / loss)
    calls = (time.perf_counter() - began) / len(picks) * n_lrs
    speedup = calls / took
    return [Row(f"lr sweep: {n_lrs:,} stable lrs x {steps:,} steps, one lr_sweep call",
                _fmt_time(took),
                f"{n_lrs:,} train calls ~{_fmt_time(calls)} (extr. from {len(picks)})",
                f"{speedup:,.0f}x faster", ">= 50x", speedup >= 50),
            Row(f"  same final losses as train ({len(picks)} lrs checked, float32)",
                f"max rel diff {worst:.1e}", "", "",
                "<= 1e-6", agree and worst <= 1e-6)]


def run(*, quick: bool = False, progress: Callable[[str], None] | None = None) -> list[Row]:
    """Every measurement; ``quick`` uses tiny sizes (a smoke test, not a benchmark)."""
    say = progress or (lambda message: None)
    repeats = 2 if quick else 7  # timed calls per figure (medians)
    t, y = make_signal(seed=666)
    rows = []

    say("timing the lecture loop against train")
    steps = time_steps(t, y, block=100 if quick else 2_000, repeats=3 if quick else 9)
    per_step = steps["lecture"]
    rows += [
        Row("lecture loop, per step", _fmt_time(per_step)),
        Row("train (gd.quadratic, gd.mse), per step", _fmt_time(steps["train"]),
            "lecture loop", f"{steps['ratio']:.3f}", "<= 1.0", steps["ratio"] <= 1.0),
        Row("train around the lecture's own f and mse", _fmt_time(steps["train_lecture_f"]),
            "lecture loop", f"{steps['ratio_lecture_f']:.3f}", "<= 1.05",
            steps["ratio_lecture_f"] <= 1.05),
    ]

    say("timing the fast engine")
    X, y64 = design_matrix_quadratic(t.double()), y.double()
    p0 = init_params(3, seed=666).detach()
    million = _median_time(lambda: fast_forward(
        X, y64, p0, lr=LECTURE_LR, steps=1_000_000, at=range(0, 1_000_001, 200_000)),
        repeats * 3)
    rows.append(Row("1,000,000 lecture steps, fast engine", _fmt_time(million),
                    f"lecture loop ~{_fmt_time(per_step * 1e6)} (extr.)",
                    f"{per_step * 1e6 / million:,.0f}x faster", "< 5 ms", million < 5e-3))

    say("timing the ways to within 1% of the optimum")
    optimal = least_squares(t, y)
    optimal_loss = float(mse(quadratic(t.double(), optimal), y.double()))
    rows += _time_to_one_percent(t, y, optimal_loss, per_step, 1 if quick else repeats,
                                 budget=300 if quick else 10_000)

    say("timing the lr sweep against one train call per lr")
    rows += _sweep_rows(t, y, n_lrs=50 if quick else 1_000, steps=100 if quick else 1_000,
                        sample=4 if quick else 20, per_step=per_step)

    say("timing import gdcourse")
    torch_s, ours_s, pyplot = _import_cost(1 if quick else 5)
    rows.append(Row("import gdcourse (after import torch)", _fmt_time(ours_s),
                    f"import torch {_fmt_time(torch_s)}", "", "<= 0.3 s", ours_s <= 0.3))
    rows.append(Row("  matplotlib.pyplot imported by import gdcourse", "yes" if pyplot else "no",
                    "", "", "no", not pyplot))
    return rows


def format_table(rows: list[Row]) -> str:
    """The rows as an aligned plain-text table."""
    head = ("measurement", "figure", "baseline (same run)", "ratio", "target", "")
    cells = [head] + [(r.what, r.figure, r.baseline, r.ratio, r.target,
                       "" if r.ok is None else ("ok" if r.ok else "MISSED")) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths).rstrip())
    return "\n".join(lines)


def describe_machine() -> str:
    """One line on what the figures were measured on (load matters on small machines)."""
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"torch {torch.__version__} on {os.cpu_count()} cpus "
            f"({torch.get_num_threads()} torch threads), python {sys.version.split()[0]}{load}")
