"""Time the autograder on a generated class (target: per submission at most 0.2 x the
bare start-up of one child).

    python benchmarks/grading.py [--n 30] [--jobs 2] [--exercise 02] [--no-zygote]

Writes N submissions (the solution, half-done and wrong variants) into a temporary folder,
grades them with ``gdcourse.grading.grade`` and prints the wall time per submission, the
per-child times, and, from the same run, the bare cost of starting one child (python -I +
import torch), which bounds how fast a grader that starts an interpreter per submission can
be; then their ratio. Children are forked from pre-imported zygotes unless --no-zygote
(a fresh interpreter per child, as before). The load average is printed before and after:
on a shared machine other processes move every figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gdcourse.grading import grade  # noqa: E402
from gdcourse.grading.scaffold import strip_solutions  # noqa: E402


def make_class(folder: Path, exercise: str, n: int) -> list[Path]:
    """n submissions: every third is the solution, the rest untouched or broken scaffolds."""
    source = next((ROOT / "exercises" / "source").glob(f"{exercise}_*.py"))
    solution = source.read_text()
    variants = [solution, strip_solutions(solution),
                solution.replace("params[-1]", "0 * params[-1]")]
    paths = []
    for i in range(n):
        path = folder / f"student_{i:03d}.py"
        path.write_text(variants[i % len(variants)])
        paths.append(path)
    return paths


def child_startup() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-c", "import torch"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--exercise", default="02")
    parser.add_argument("--no-zygote", action="store_true",
                        help="start a fresh interpreter per child (the path before zygotes)")
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        paths = make_class(Path(folder), args.exercise, args.n)
        start = time.perf_counter()
        results = grade(paths, hidden=ROOT / "exercises" / "hidden", jobs=args.jobs,
                        notice=lambda text: print(f"  isolation notice: {text}"),
                        zygote=not args.no_zygote)
        wall = time.perf_counter() - start
    per_child = [r.elapsed for r in results]
    bare = statistics.median(child_startup() for _ in range(3))
    per = wall / len(results)
    print(f"graded {len(results)} submissions of exercise {args.exercise} with "
          f"--jobs {args.jobs} on {os.cpu_count()} CPUs, "
          f"{'fresh interpreters' if args.no_zygote else 'children forked from zygotes'}")
    print(f"  load average        {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"  wall time           {wall:7.2f} s")
    print(f"  per submission      {per:7.2f} s")
    print(f"  one child, median   {statistics.median(per_child):7.2f} s   "
          f"(max {max(per_child):.2f} s)")
    print(f"  bare child start-up {bare:7.2f} s   (python -I -c 'import torch')")
    print(f"  ratio               {per / bare:7.2f}     (per submission / bare start-up; "
          "target <= 0.2)")
    print(f"  scores              {sorted({r.score for r in results})} of "
          f"{results[0].max_score:g}")


if __name__ == "__main__":
    main()
