"""``gdcourse grade`` and ``gdcourse scaffold``.

    gdcourse grade subs/*.ipynb --hidden exercises/hidden --csv class.csv --jobs 2
    gdcourse scaffold            # exercises/source/*.py -> exercises/*.ipynb and *.py
    gdcourse scaffold --check    # exit 1 when a committed scaffold is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    g = sub.add_parser(
        "grade", help="grade exercise submissions (.ipynb/.py), each in a sandboxed process",
        description="Run the public (and, with --hidden, the instructor's hidden) checks on "
        "each submission in its own child process with time and memory limits, and print "
        "a summary; the scores are decided in this process from plain data.")
    g.add_argument("submissions", nargs="+", metavar="SUBMISSION", help=".ipynb or .py files")
    g.add_argument("--exercise", default=None, help="exercise id (default: what each "
                   "file declares, e.g. from check('02'))")
    g.add_argument("--hidden", metavar="DIR", default=None,
                   help="directory of hidden checks (see exercises/hidden/)")
    g.add_argument("--json", metavar="PATH", default=None, help="write Gradescope-style "
                   "results.json (one submission) or a list of them (several)")
    g.add_argument("--csv", metavar="PATH", default=None, help="write the class CSV")
    g.add_argument("--reports", metavar="DIR", default=None,
                   help="write one text report per submission into DIR")
    g.add_argument("--timeout", type=float, default=60.0,
                   help="wall-clock seconds per submission (default 60)")
    g.add_argument("--check-timeout", type=float, default=10.0, metavar="S",
                   help="seconds one check may run before it alone is stopped (default 10)")
    g.add_argument("--memory", type=int, default=2048, metavar="MB",
                   help="address-space limit per submission in MB (default 2048)")
    g.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    g.add_argument("--isolate", choices=("auto", "uid", "none"), default="auto",
                   help="uid: run each submission under its own unused uid (needs root, "
                   "as in Docker/Gradescope); auto (default): uid when run as root")
    g.add_argument("-v", "--verbose", action="store_true",
                   help="print every submission's full report")
    g.set_defaults(run=_cmd_grade)

    s = sub.add_parser(
        "scaffold", help="generate student scaffolds from exercise sources",
        description="Strip the solutions (### BEGIN SOLUTION ... ### END SOLUTION) from "
        "each source and write NN_topic.ipynb and NN_topic.py.")
    s.add_argument("sources", nargs="*", metavar="SOURCE",
                   help="sources (default: exercises/source/*.py)")
    s.add_argument("--out", default="exercises", help="output directory (default exercises)")
    s.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 when a scaffold is out of date")
    s.set_defaults(run=_cmd_scaffold)


def _cmd_grade(args) -> int:
    from .report import summary_line, text_report, write_csv, write_json
    from .runner import grade

    def show(result):
        print(text_report(result) if args.verbose else summary_line(result), flush=True)

    results = grade(args.submissions, exercise=args.exercise, hidden=args.hidden,
                    timeout=args.timeout, check_timeout=args.check_timeout,
                    memory_mb=args.memory, jobs=args.jobs, isolate=args.isolate,
                    progress=show)
    if args.reports:
        out = Path(args.reports)
        out.mkdir(parents=True, exist_ok=True)
        for r in results:
            stem = r.submission.replace("/", "__").replace("\\", "__")
            (out / f"{stem}.txt").write_text(text_report(r), encoding="utf-8")
    # Written last, after every child is gone, so no submission can touch them.
    if args.csv:
        write_csv(results, args.csv)
    if args.json:
        write_json(results, args.json)
    total = sum(r.score for r in results)
    best = sum(r.max_score for r in results)
    print(f"graded {len(results)} submission(s): {total:g}/{best:g} points in all",
          file=sys.stderr)
    return 0


def _cmd_scaffold(args) -> int:
    from .scaffold import generate

    sources = [Path(s) for s in args.sources] or sorted(Path("exercises/source").glob("*.py"))
    if not sources:
        print("gdcourse scaffold: no sources (expected exercises/source/NN_topic.py)",
              file=sys.stderr)
        return 2
    changed = generate(sources, Path(args.out), check=args.check)
    for path in changed:
        print(("out of date: " if args.check else "wrote ") + str(path))
    if args.check and changed:
        print("run `gdcourse scaffold` and commit the result", file=sys.stderr)
        return 1
    return 0
