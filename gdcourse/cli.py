"""The ``gdcourse`` command (also ``python -m gdcourse``).

    gdcourse fit [--seed 666] [--raw] [--plot fit.png]      fit the lecture's signal
    gdcourse sweep [--raw] [--lrs 1e-7 1e-4 200]            final loss against lr
    gdcourse bench [--quick]                                the timing table
    gdcourse grade ..., gdcourse scaffold                   the autograder (grading/cli.py)
    gdcourse --version, gdcourse --help

Stdlib argparse only. Each subcommand has an ``_add_*`` function that declares its arguments
and a ``_cmd_*`` function that runs it. Argument values are checked while parsing (the
``type=`` functions below wrap the library's own validators), so a bad value is an error
of one line with exit status 2, before any work; errors found later exit with status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import torch

from . import __version__
from ._validate import check_lr, check_steps
from .bench import describe_machine, format_table
from .bench import run as run_bench
from .devices import default_device, parse_device, set_seed
from .errors import GDCourseError, InvalidArgumentError
from .grading.cli import add_parser as add_grading_parsers
from .quadratic import design_matrix_quadratic, fit_quadratic, make_signal
from .sweep import lr_sweep

_T = TypeVar("_T")


# --- argument types: parse text, then the library's check; its message is the error ------

def _checked(parse: Callable[[str], _T], check: Callable[[_T], object], what: str,
             ) -> Callable[[str], _T]:
    def convert(text: str) -> _T:
        try:
            value = parse(text)
            check(value)
        except InvalidArgumentError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        return value

    convert.__name__ = what  # argparse names the type in some messages
    return convert


def _count(name: str) -> Callable[[str], int]:
    return _checked(int, lambda v: check_steps(v, name=name), "a whole number")


def _rate(name: str) -> Callable[[str], float]:
    return _checked(float, lambda v: check_lr(v, name=name), "a number")


_device = _checked(parse_device, lambda d: None, "a device name")


def _png_path(text: str) -> str:
    """A path whose folder exists and is writable: checked now, not after the work."""
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"cannot save {text}: no folder {folder}")
    if not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"cannot save {text}: folder {folder} is not writable")
    return text


def _pyplot() -> Any:
    """matplotlib.pyplot on the off-screen backend; imported only when --plot asks for it
    (it is the slowest import here, and the backend must be chosen before pyplot loads)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# --- gdcourse fit --------------------------------------------------------------------------

def _add_fit(sub: Any) -> None:
    p = sub.add_parser("fit", help="fit the lecture's noisy parabola with the seven steps",
                       description="Fit a t^2 + b t + c to the lecture signal by gradient "
                       "descent and compare with the least-squares optimum.")
    p.add_argument("--seed", type=int, default=666, help="seed of the data and the init")
    p.add_argument("--n", type=_count("n"), default=20, help="number of time steps")
    p.add_argument("--lr", type=_rate("lr"), default=None, help="learning rate (default: "
                   "from the curvature; 1e-5 with --raw)")
    p.add_argument("--steps", type=_count("steps"), default=None, help="step budget (default "
                   "10,000; 200,000 with --raw)")
    p.add_argument("--optimizer", default="sgd", help="sgd, or a gdcourse.optim name")
    p.add_argument("--raw", action="store_true",
                   help="the lecture's raw recipe: unstandardized time, lr 1e-5")
    p.add_argument("--device", type=_device, default=None,
                   help="cpu, cuda, mps (default: best available)")
    p.add_argument("--plot", metavar="PATH", type=_png_path, default=None,
                   help="save a PNG of the fit")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(run=_cmd_fit)


def _cmd_fit(args: argparse.Namespace) -> int:
    device = args.device or default_device()
    set_seed(args.seed)
    t, y = make_signal(args.n, seed=args.seed, device=device)
    lr = args.lr if args.lr is not None else (1e-5 if args.raw else None)
    steps = args.steps if args.steps is not None else (200_000 if args.raw else None)
    fit = fit_quadratic(t, y, lr=lr, steps=steps, optimizer=args.optimizer,
                        standardize=not args.raw, seed=args.seed,
                        progress=not args.no_progress and sys.stderr.isatty())
    basis = "raw time" if args.raw else "standardized time"
    print(f"fitted a t^2 + b t + c to {args.n} points on {device} ({basis}, lr={fit.lr:.3g})")
    print(f"{'':>10}{'a':>12}{'b':>12}{'c':>12}{'loss':>12}")
    for name, p, loss in (("descent", fit.params, fit.loss),
                          ("optimum", fit.optimal_params, fit.optimal_loss)):
        a, b, c = p.tolist()
        print(f"{name:>10}{a:>12.5f}{b:>12.5f}{c:>12.5f}{loss:>12.5f}")
    print(f"loss / optimum = {fit.ratio:.5f} after {fit.history.n_steps:,} steps "
          f"in {fit.history.elapsed * 1e3:.1f} ms (stopped: {fit.history.stop_reason})")
    if args.plot:
        fig, (ax1, ax2) = _pyplot().subplots(1, 2, figsize=(11, 4))
        fit.plot(ax=ax1)
        fit.history.plot(ax=ax2)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"saved {args.plot}")
    return 0


# --- gdcourse bench, gdcourse sweep: the speed subcommands -----------------------------------

def _add_bench(sub: Any) -> None:
    bench = sub.add_parser("bench", help="time the lecture loop, train, the fast engine and "
                           "the lr sweep against their baselines",
                           description="Print one table of timings, each figure measured in "
                           "the same run as its baseline, with the targets beside them.")
    bench.add_argument("--quick", action="store_true",
                       help="tiny sizes: checks that everything runs, not how fast")
    bench.set_defaults(run=_cmd_bench)


def _cmd_bench(args: argparse.Namespace) -> int:
    def say(message: str) -> None:
        print(f"... {message}", file=sys.stderr, flush=True)

    rows = run_bench(quick=args.quick, progress=say)
    print(f"gdcourse bench{' --quick' if args.quick else ''}: {describe_machine()}")
    print(format_table(rows))
    return 0


def _add_sweep(sub: Any) -> None:
    sweep = sub.add_parser("sweep", help="final loss against learning rate, many lrs at once",
                           description="Run gradient descent on the lecture's signal for many "
                           "learning rates in one batched computation and report where it "
                           "diverges.")
    sweep.add_argument("--raw", action="store_true",
                       help="the lecture's raw time basis (default: standardized time)")
    sweep.add_argument("--lrs", nargs=3, metavar=("LOW", "HIGH", "COUNT"), default=None,
                       help="log-spaced lrs (default: 1e-7 1e-4 200 raw, 1e-3 1 200 standardized)")
    sweep.add_argument("--steps", type=_count("steps"), default=1_000, help="steps per lr")
    sweep.add_argument("--momentum", type=float, default=0.0, help="heavy-ball momentum")
    sweep.add_argument("--seed", type=int, default=666, help="seed of the data and the init")
    sweep.add_argument("--plot", metavar="PATH", type=_png_path, default=None,
                       help="save a PNG of the sweep")
    sweep.set_defaults(run=_cmd_sweep)


def _cmd_sweep(args: argparse.Namespace) -> int:
    t, y = make_signal(seed=args.seed)
    if not args.raw:
        t = (t - t.mean()) / t.std(correction=0)
    low, high, count = args.lrs or (("1e-7", "1e-4", "200") if args.raw else ("1e-3", "1", "200"))
    lrs = torch.logspace(torch.log10(torch.tensor(float(low))).item(),
                         torch.log10(torch.tensor(float(high))).item(), int(count))
    sweep = lr_sweep(design_matrix_quadratic(t), y, lrs, steps=args.steps, seed=args.seed,
                     momentum=args.momentum)
    basis = "raw time" if args.raw else "standardized time"
    print(f"{len(lrs)} learning rates x {args.steps:,} steps on the lecture signal ({basis}) "
          f"in {sweep.elapsed * 1e3:.1f} ms")
    print(f"stability limit 2(1+momentum)/lambda_max = {sweep.max_stable_lr:.4g}; "
          f"best lr {sweep.best_lr:.4g}; {int(sweep.diverged.sum())} of {len(lrs)} diverged; "
          f"least-squares loss {sweep.optimal_loss:.5g}")
    print(f"{'lr':>12}{'final loss':>16}")
    for i in torch.linspace(0, len(lrs) - 1, min(len(lrs), 12)).round().long().tolist():
        loss = "diverged" if sweep.diverged[i] else f"{float(sweep.final_loss[i]):.6g}"
        print(f"{float(lrs[i]):>12.4g}{loss:>16}")
    if args.plot:
        _pyplot()
        sweep.plot().figure.savefig(args.plot, dpi=100)
        print(f"saved {args.plot}")
    return 0


# --- the command ----------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse, with a bad argument reported on one line (the usage is one --help away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gdcourse", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_fit(sub)
    _add_sweep(sub)
    _add_bench(sub)
    add_grading_parsers(sub)  # gdcourse grade, gdcourse scaffold
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns its exit status (argparse exits with 2 on a bad argument)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except GDCourseError as err:
        print(f"gdcourse {args.command}: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
