"""The ``gdcourse`` command (also ``python -m gdcourse``).

    gdcourse fit [--seed 666] [--raw] [--plot fit.png]   fit the lecture's signal
    gdcourse --help                                      every subcommand

Stdlib argparse only. Subcommands live in small ``_cmd_*`` functions; heavy imports happen
inside them so ``gdcourse --help`` is instant.
"""

from __future__ import annotations

import argparse
import sys

from .errors import GDCourseError


def _add_fit(sub) -> None:
    p = sub.add_parser("fit", help="fit the lecture's noisy parabola with the seven steps",
                       description="Fit a t^2 + b t + c to the lecture signal by gradient "
                       "descent and compare with the least-squares optimum.")
    p.add_argument("--seed", type=int, default=666, help="seed of the data and the init")
    p.add_argument("--n", type=int, default=20, help="number of time steps")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: from the "
                   "curvature; 1e-5 with --raw)")
    p.add_argument("--steps", type=int, default=None, help="step budget (default 10,000; "
                   "200,000 with --raw)")
    p.add_argument("--optimizer", default="sgd", help="sgd, or a gdcourse.optim name")
    p.add_argument("--raw", action="store_true",
                   help="the lecture's raw recipe: unstandardized time, lr 1e-5")
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: best available)")
    p.add_argument("--plot", metavar="PATH", default=None, help="save a PNG of the fit")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(run=_cmd_fit)


def _cmd_fit(args) -> int:
    import torch

    from .devices import default_device, set_seed
    from .quadratic import fit_quadratic, make_signal

    device = torch.device(args.device) if args.device else default_device()
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
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
        fit.plot(ax=ax1)
        fit.history.plot(ax=ax2)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"saved {args.plot}")
    return 0


# Subcommands from other rooms register here: each module offers add_parser(sub).
_EXTRA_COMMANDS = [
    # --- grading (gdcourse grade / gdcourse scaffold) ---
    ".grading.cli",
    # --- speed (gdcourse bench / gdcourse sweep) ---
    ".cli_speed",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gdcourse", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_fit(sub)
    import importlib

    for module in _EXTRA_COMMANDS:
        importlib.import_module(module, __package__).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
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
