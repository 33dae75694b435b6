"""``gdcourse grade``, ``gdcourse autograder`` and ``gdcourse scaffold``.

    gdcourse grade --exercise 02 --hidden hidden/ --csv class.csv --jobs 2 -- subs/*.ipynb
    gdcourse autograder 02 --hidden hidden/ -o autograder.zip   # Gradescope's bundle
    gdcourse scaffold            # exercises/source/*.py -> exercises/*.ipynb and *.py
    gdcourse scaffold --check    # exit 1 when a committed scaffold is out of date

``grade`` grades every submission it can, writes every output it can, and exits 1 with a
list of what it could not grade or write (0 when nothing is missing).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def _refuse_file_named(action: argparse.Action, option: str | None, value: Any) -> None:
    """A shell glob such as ``*.ipynb`` expands to every matching name, including one a
    student chose to look like an option (``--hidden=evil.ipynb``). Such a token is
    refused, so a file name never sets an option; after ``--`` it is a submission."""
    if not option:
        return
    for token in (option, f"{option}={value}"):
        if os.path.lexists(token):
            raise argparse.ArgumentError(
                action, f"{token!r} is also the name of a file here (a glob like *.ipynb "
                "expanded to it?); put the submissions after --, e.g. gdcourse grade "
                "--exercise 02 -- submissions/*.ipynb")


class _Option(argparse.Action):
    """An option with a value that is never a file name in disguise."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        _refuse_file_named(self, option_string, values)
        setattr(namespace, self.dest, values)


class _Append(_Option):
    """``append`` for an option whose values are never file names in disguise."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        _refuse_file_named(self, option_string, values)
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), values])


class _Flag(argparse.Action):
    """``store_true`` that is never a file name in disguise."""

    def __init__(self, option_strings: list[str], dest: str, default: bool = False,
                 help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        _refuse_file_named(self, option_string, None)
        setattr(namespace, self.dest, True)


def add_parser(sub: Any) -> None:
    g = sub.add_parser(
        "grade", help="grade exercise submissions (.ipynb/.py), each in a sandboxed process",
        allow_abbrev=False,
        description="Run the public (and, with --hidden, the instructor's hidden) checks on "
        "each submission in its own child process with time and memory limits, and print "
        "a summary; the scores are decided in this process from plain data. Put the "
        "submissions after --: gdcourse grade --exercise 02 -- submissions/*.ipynb")
    g.add_argument("submissions", nargs="+", metavar="SUBMISSION", help=".ipynb or .py files")
    g.add_argument("--exercise", action=_Option, default=None,
                   help="exercise id; needed for several files (one file may declare it, "
                   "e.g. with check('02'))")
    g.add_argument("--hidden", action=_Option, metavar="DIR", default=None,
                   help="directory of hidden checks (see exercises/hidden/)")
    g.add_argument("--csv", action=_Option, metavar="PATH", default=None,
                   help="the class CSV for a gradebook: student, score, max, percent, one "
                   "column per check, flags")
    g.add_argument("--roster", action=_Option, metavar="CSV", default=None,
                   help="CSV mapping file names to students (columns file,student_id,name)")
    g.add_argument("--json", action=_Option, metavar="PATH", default=None,
                   help="one JSON object for the class (for one file: its entry, a superset "
                   "of Gradescope's results.json)")
    g.add_argument("--json-dir", action=_Option, metavar="DIR", default=None,
                   help="one Gradescope results.json per submission into DIR")
    g.add_argument("--reports", action=_Option, metavar="DIR", default=None,
                   help="write one text report per submission into DIR")
    g.add_argument("--similarity", action=_Option, metavar="DIR", default=None,
                   help="a code-similarity report of the class into DIR (pairs.csv, "
                   "report.html; needs gdcourse[instructor]), the exercise's scaffold "
                   "discounted")
    g.add_argument("--scaffold", action=_Append, metavar="PATH", default=None,
                   help="with --similarity: the file(s) handed out, if not the exercise's "
                   "exercises/NN_*.py and .ipynb (repeat for each)")
    g.add_argument("--timeout", action=_Option, type=float, default=60.0,
                   help="wall-clock seconds per submission (default 60)")
    g.add_argument("--check-timeout", action=_Option, type=float, default=10.0, metavar="S",
                   help="seconds one check may run before it alone is stopped (default 10)")
    g.add_argument("--memory", action=_Option, type=int, default=2048, metavar="MB",
                   help="memory limit per submission in MB (default 2048)")
    g.add_argument("--jobs", action=_Option, type=int, default=1,
                   help="submissions graded at once")
    g.add_argument("--isolate", action=_Option, choices=("auto", "uid", "none"),
                   default="auto", help="uid: run each submission under its own unused uid "
                   "(needs root, as in Docker/Gradescope); auto (default): uid when root")
    g.add_argument("--pip", action=_Option, nargs="+", default=[], metavar="PKG",
                   help="packages the Gradescope bundle will add (as for gdcourse "
                   "autograder): a submission importing a module the bundle will not have "
                   "is warned of before grading")
    g.add_argument("--requirements", action=_Option, metavar="FILE", default=None,
                   help="the requirements file the Gradescope bundle will install (as for "
                   "gdcourse autograder), for the same warning")
    g.add_argument("-v", "--verbose", action=_Flag,
                   help="print every submission's full report")
    g.set_defaults(run=_cmd_grade)

    a = sub.add_parser(
        "autograder", help="write a Gradescope autograder (zip) for one exercise",
        allow_abbrev=False,
        description="Write Gradescope's autograder bundle: setup.sh (a venv with CPU torch "
        "and gdcourse, from a wheel built from this checkout and carried in the zip), "
        "run_autograder (grades the student's upload) and the hidden checks.")
    a.add_argument("exercise", help="exercise id, e.g. 02")
    a.add_argument("--hidden", action=_Option, metavar="DIR", default=None,
                   help="directory of hidden checks to include")
    a.add_argument("--torch", action=_Option, metavar="SPEC", default=None,
                   help="what setup.sh installs for torch (default: the CPU build from "
                   "https://download.pytorch.org/whl/cpu), e.g. 'torch==2.13.0'")
    a.add_argument("--wheel", action=_Option, metavar="PATH", default=None,
                   help="a gdcourse wheel to carry (default: build one from this checkout)")
    a.add_argument("--memory", action=_Option, type=int, default=768, metavar="MB",
                   help="the Gradescope container's memory (default 768, Gradescope's "
                   "default); each upload gets it less what the grader and torch take")
    a.add_argument("--timeout", action=_Option, type=int, default=600, metavar="S",
                   help="the assignment's autograder timeout in seconds (default 600)")
    a.add_argument("--pip", action=_Option, nargs="+", default=[], metavar="PKG",
                   help="packages setup.sh installs beyond torch, numpy, matplotlib and "
                   "tqdm (e.g. --pip pandas 'scipy>=1.10')")
    a.add_argument("--requirements", action=_Option, metavar="FILE", default=None,
                   help="a pip requirements file setup.sh installs (carried in the zip)")
    a.add_argument("-o", "--output", action=_Option, metavar="ZIP",
                   default="autograder.zip", help="where to write it (default autograder.zip)")
    a.set_defaults(run=_cmd_autograder)

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


def _cmd_grade(args: argparse.Namespace) -> int:
    from ..errors import InvalidArgumentError
    from .class_run import full_points, similarity, snapshot
    from .outputs.environment import bundle_modules, import_warnings
    from .outputs.export import absent, write_csv, write_json, write_json_dir, write_reports
    from .outputs.progress import printer
    from .outputs.report import say, summary_line
    from .outputs.roster import read_roster
    from .registry import normalize_id
    from .runner import grade
    from .safetext import clean

    if len(args.submissions) > 1 and args.exercise is None:
        say("gdcourse grade: grading several files needs --exercise NN (otherwise each "
            "file would be graded on whatever exercise it declares); e.g. gdcourse grade "
            "--exercise 02 -- submissions/*.ipynb", sys.stderr)
        return 2
    roster = read_roster(args.roster) if args.roster else None   # a bad roster fails now
    if args.similarity:
        import importlib.util
        if importlib.util.find_spec("copydetect") is None:   # fails now, not after grading
            say("gdcourse grade --similarity needs copydetect: pip install "
                "'gdcourse[instructor]' (or pip install copydetect)", sys.stderr)
            return 2

    # Graded here, a submission may import what the instructor has and Gradescope will not.
    try:
        available = bundle_modules(args.pip, args.requirements)
    except (InvalidArgumentError, OSError, UnicodeDecodeError) as err:
        say(f"gdcourse grade: {clean(str(err), 500)}", sys.stderr)
        return 2
    for line in import_warnings(args.submissions, available):
        say(line, sys.stderr)

    show = printer(args.submissions, verbose=args.verbose)
    before = snapshot(args.submissions) if args.similarity else {}
    results = grade(args.submissions, exercise=args.exercise, hidden=args.hidden,
                    timeout=args.timeout, check_timeout=args.check_timeout,
                    memory_mb=args.memory, jobs=args.jobs, isolate=args.isolate,
                    progress=show, notice=lambda text: say(f"note: {text}", sys.stderr))
    exercise = normalize_id(args.exercise) if args.exercise else None
    full = None if any(r.checks for r in results) else full_points(exercise, args.hidden)
    # Written last, after every child is gone, so no submission can touch them.
    problems: list[str] = []
    writers = [(args.reports, lambda: write_reports(results, args.reports)),
               (args.json_dir, lambda: write_json_dir(results, args.json_dir)),
               (args.csv, lambda: write_csv(results, args.csv, roster=roster,
                                            exercise=exercise, max_score=full)),
               (args.json, lambda: write_json(results, args.json, roster=roster)),
               (args.similarity, lambda: similarity(results, before, out=args.similarity,
                                                    scaffold=args.scaffold,
                                                    exercise=args.exercise))]
    for target, write in writers:
        if target:
            try:
                problems += write()
            except Exception as err:   # this output is lost; the others are still written
                problems.append(clean(f"{target}: {type(err).__name__}: {err}", 500))
    not_graded = [r for r in results if not r.checks]
    total = sum(r.score for r in results)
    best = sum(r.max_score for r in results)
    say(f"graded {len(results) - len(not_graded)} of {len(results)} submission(s): "
        f"{total:g}/{best:g} points in all", sys.stderr)
    missing = [s.id for s in absent(results, roster)]
    if missing:
        say(f"on the roster without a submission: {', '.join(missing)}", sys.stderr)
    if not_graded:
        say(f"could not grade {len(not_graded)}:", sys.stderr)
        for r in not_graded:
            say(f"  {summary_line(r)}", sys.stderr)
    if problems:
        say(f"could not write {len(problems)}:", sys.stderr)
        for p in problems:
            say(f"  {p}", sys.stderr)
    return 1 if not_graded or problems else 0


def _cmd_autograder(args: argparse.Namespace) -> int:
    from .outputs.bundle import build_bundle
    from .outputs.report import say

    out = build_bundle(args.exercise, args.output, hidden=args.hidden, torch=args.torch,
                       wheel=args.wheel, memory=args.memory, timeout=args.timeout,
                       pip=args.pip, requirements=args.requirements)
    say(f"wrote {out}: upload it as the autograder of a Gradescope programming assignment")
    return 0


def _cmd_scaffold(args: argparse.Namespace) -> int:
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
