"""``gdcourse bench`` and ``gdcourse sweep``: the speed subcommands.

    gdcourse bench [--quick]                                  the timing table
    gdcourse sweep [--raw] [--lrs 1e-7 1e-4 200] [--plot sweep.png]
"""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    bench = sub.add_parser("bench", help="time the lecture loop, train, the fast engine and "
                           "the lr sweep against their baselines",
                           description="Print one table of timings, each figure measured in "
                           "the same run as its baseline, with the targets beside them.")
    bench.add_argument("--quick", action="store_true",
                       help="tiny sizes: checks that everything runs, not how fast")
    bench.set_defaults(run=_cmd_bench)

    sweep = sub.add_parser("sweep", help="final loss against learning rate, many lrs at once",
                           description="Run gradient descent on the lecture's signal for many "
                           "learning rates in one batched computation and report where it "
                           "diverges.")
    sweep.add_argument("--raw", action="store_true",
                       help="the lecture's raw time basis (default: standardized time)")
    sweep.add_argument("--lrs", nargs=3, metavar=("LOW", "HIGH", "COUNT"), default=None,
                       help="log-spaced lrs (default: 1e-7 1e-4 200 raw, 1e-3 1 200 standardized)")
    sweep.add_argument("--steps", type=int, default=1_000, help="steps per lr")
    sweep.add_argument("--momentum", type=float, default=0.0, help="heavy-ball momentum")
    sweep.add_argument("--seed", type=int, default=666, help="seed of the data and the init")
    sweep.add_argument("--plot", metavar="PATH", default=None, help="save a PNG of the sweep")
    sweep.set_defaults(run=_cmd_sweep)


def _cmd_bench(args) -> int:
    from .bench import describe_machine, format_table, run

    def say(message: str) -> None:
        print(f"... {message}", file=sys.stderr, flush=True)

    rows = run(quick=args.quick, progress=say)
    print(f"gdcourse bench{' --quick' if args.quick else ''}: {describe_machine()}")
    print(format_table(rows))
    return 0


def _cmd_sweep(args) -> int:
    import torch

    from .quadratic import design_matrix_quadratic, make_signal
    from .sweep import lr_sweep

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
        import matplotlib

        matplotlib.use("Agg")
        ax = sweep.plot()
        ax.figure.savefig(args.plot, dpi=100)
        print(f"saved {args.plot}")
    return 0
