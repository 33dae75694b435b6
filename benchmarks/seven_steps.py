"""Per-step time of gd.train against the lecture's own loop, side by side in one process.

    python benchmarks/seven_steps.py                 # CPU, 9 blocks of 2,000 steps each
    python benchmarks/seven_steps.py --device cuda   # also times a loop that syncs every step

The lecture's loop is the original ``apply_step`` pattern (``a, b, c = params``,
``((preds - targets) ** 2).mean()``, ``params.data -= lr * params.grad.data``). The loops
run in alternating blocks so machine load hits them alike; the ratio is the median of the
block-by-block ratios train / lecture (target: at most 1.0, issue 6; 1.05, issue 2).
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

import gdcourse as gd  # noqa: E402
from gdcourse.bench import describe_machine, time_steps  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--block", type=int, default=2_000, help="steps per timed block")
    parser.add_argument("--repeats", type=int, default=9, help="blocks per loop")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args()

    device = torch.device(args.device)
    t, y = gd.make_signal(seed=666, device=device, dtype=getattr(torch, args.dtype))
    res = time_steps(t, y, block=args.block, repeats=args.repeats,
                     with_item=device.type != "cpu")
    print(f"seven steps, {args.block:,}-step blocks x {args.repeats} on {device} "
          f"({args.dtype}); {describe_machine()}")
    names = list(res["blocks"])
    print("block " + "".join(f"{n:>18}" for n in names) + f"{'train/lecture':>16}")
    for i in range(args.repeats):
        row = [res["blocks"][n][i] for n in names]
        ratio = res["blocks"]["train"][i] / res["blocks"]["lecture"][i]
        print(f"{i:>5} " + "".join(f"{v * 1e6:>15.1f} us" for v in row) + f"{ratio:>16.3f}")
    print("median" + "".join(f"{statistics.median(res['blocks'][n]) * 1e6:>15.1f} us"
                             for n in names))
    print(f"median ratio train / lecture loop:                 {res['ratio']:.3f} "
          f"(target <= 1.0; issue 2: <= 1.05)")
    print(f"median ratio train(lecture's f, mse) / lecture loop: {res['ratio_lecture_f']:.3f} "
          "(the loop's own overhead)")
    if "lecture_item" in res:
        print(f"lecture loop with loss.item() every step: {res['lecture_item'] * 1e6:.1f} us "
              f"per step, {res['lecture_item'] / res['train']:.2f}x train's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
