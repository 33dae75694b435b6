"""Redraw time of the lr explorer for a million steps, the figure update included.

    python benchmarks/explore.py              # lecture 02's parabola and lecture 06's valley
    python benchmarks/explore.py --repeats 5

A redraw is what moving a slider costs in the kernel: one exact fast_forward of 1,000,000
steps, the figure's artists updated with set_data, one PNG render handed to the Image
widget (the slider is moved through ipywidgets, as in a notebook, when it is installed).
Printed: the median and worst wall time and CPU time per redraw for

  - lr moves that keep the loss axes (the kept background is pasted back, only the moving
    artists are drawn),
  - lr moves across the stability limit (the loss axes rescale: one full render),
  - a drag over the whole lr slider (40 positions), the mix a student makes,

against a baseline from the same run: the same redraw with a new figure each time (the
obvious implementation). Target: a redraw under 100 ms. CPU time is what the redraw costs;
on a busy 2-core machine wall time is higher by the wait for a core (the load is printed).
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import gdcourse as gd  # noqa: E402
from gdcourse.bench import describe_machine  # noqa: E402
from gdcourse.explore.view import View  # noqa: E402

STEPS = 1_000_000


def _timed(action, values):
    wall, cpu = [], []
    for v in values:
        w0, c0 = time.perf_counter(), time.process_time()
        action(v)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def _row(name, timing):
    wall, cpu = timing
    ms = 1e3
    print(f"{name:44s} {statistics.median(wall) * ms:8.1f} {max(wall) * ms:8.1f} "
          f"{statistics.median(cpu) * ms:8.1f} {max(cpu) * ms:8.1f}")


def bench(ex, name, repeats):
    limit = ex.outcome.limit
    lo, hi = ex.lr_range
    slider = None
    try:
        ex.widget  # noqa: B018 -- builds the widgets; the slider then drives update()
        slider = ex.controls[0]
    except ImportError:
        pass

    def move(lr):
        if slider is not None:
            slider.value = lr
        else:
            ex.update(lr=lr)
            ex.png()

    ex.update(steps=STEPS)
    move(0.5 * limit)
    print(f"\n{name}: {STEPS:,} steps per redraw, stability limit {limit:.3g}, "
          f"{'via the ipywidgets slider' if slider is not None else 'no ipywidgets'}")
    print(f"{'redraw':44s} {'wall med':>8s} {'wall max':>8s} {'cpu med':>8s} {'cpu max':>8s}"
          "   (ms)")
    within = [limit * f for f in (0.3, 0.5, 0.7, 0.9)] * repeats
    _row("lr moves, loss axes kept", _timed(move, within))
    across = [limit * f for f in (0.5, 1.5)] * repeats
    _row("lr moves across the limit (axes rescale)", _timed(move, across))
    drag = list(np.geomspace(lo, hi, 40)) * max(repeats // 2, 1)
    drag_timing = _timed(move, drag)
    _row("drag over the whole lr slider", drag_timing)
    ff = _timed(lambda lr: gd.explore.run(ex.problem, lr=lr, steps=STEPS), within)
    _row("  of which fast_forward alone", ff)

    def naive(lr):  # the baseline: a new figure for every redraw
        view = View(ex.problem, lr_range=ex.lr_range)
        view.update(gd.explore.run(ex.problem, lr=lr, steps=STEPS))
        view.png()

    base = _timed(naive, within[: 2 * repeats])
    _row("baseline: a new figure per redraw", base)
    ratio = statistics.median(base[1]) / statistics.median(drag_timing[1])
    print(f"drag redraw vs new figure (cpu, median): {ratio:.1f}x faster; "
          f"target < 100 ms per redraw: "
          f"{'met' if statistics.median(drag_timing[1]) < 0.1 else 'NOT met'} (cpu median)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=4, help="rounds of each kind of move")
    args = parser.parse_args()
    print(f"lr explorer redraws; {describe_machine()}")
    t, y = gd.make_signal(seed=0)
    bench(gd.explore_fit(t, y), "lecture 02, parabola on raw time", args.repeats)
    bench(gd.explore_valley(momentum=0.0, steps=STEPS), "lecture 06, 2-D valley",
          args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
