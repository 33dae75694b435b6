"""Gradescope's run_autograder: grade one upload and write results.json.

    python -m gdcourse.grading.outputs.gradescope --root /autograder --exercise 02 \\
        --memory 256 --timeout 540                          # what run_autograder runs

For every upload, ``main`` grades the one file ``upload.choose_submission`` picks from
``$ROOT/submission`` and writes ``$ROOT/results/results.json``, whatever happens (a failure
on the grader's side is a results.json that says so). The limits it gets are what the
bundle (``bundle.build_bundle``, re-exported here) left each upload of the container, so
going over is a note the student reads ("ran out of memory: the grading machine allows
256 MB ..."), not a container Gradescope reports as failed; a module the machine lacks is
named in a note too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
import traceback
from pathlib import Path

from ..registry import normalize_id
from ..results import SubmissionResult
from ..runner import grade
from ..safetext import clean
from .bundle import (
    CONTAINER_MB,
    CONTAINER_S,
    DEFAULT_ROOT,
    GRADER_MB,
    ROOT_VARIABLE,
    STARTUP_S,
    build_bundle,
)
from .export import atomic_write, gradescope
from .report import say, text_report
from .upload import choose_submission, untouched

__all__ = ["build_bundle", "choose_submission", "main", "results_json", "untouched"]

# Rendered as written (in a <pre>): nothing in a note can be taken for markup. The default,
# simple_format, sanitizes HTML, and '(<cell 6>, line 16)' looks like a tag to it.
FORMAT = "text"


_OUT_OF_MEMORY = re.compile(r"MemoryError|can't allocate memory|Cannot allocate memory|"
                            r"not enough memory|Unable to allocate")
_NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '([^']{1,100})'")
_PLACE = re.compile(r" \((cell \d+, )?line \d+ in [^()]*\)$")


def _for_platform(text: str, memory_mb: int) -> str:
    """A note or reason in the words of this platform: out of memory says how much the
    grading machine allows; a missing module says the machine does not have it."""
    head, sep, rest = text.partition(": ") if re.match(r"cell \d+: ", text) else ("", "", text)
    place = _PLACE.search(rest)
    where = place.group(0) if place else ""
    if _OUT_OF_MEMORY.search(rest):
        rest = (f"ran out of memory: the grading machine allows {memory_mb} MB for your code "
                f"(beyond what torch itself takes); use smaller tensors{where}")
    elif found := _NO_MODULE.search(rest):
        rest = (f"the grading machine does not have the module '{found.group(1)}' (import "
                f"failed with ModuleNotFoundError{where}); use what the exercise imports, "
                "or ask your instructor to add it to the autograder")
    return head + sep + rest


def results_json(result: SubmissionResult, *, preamble: list[str], memory_mb: int,
                 start: float) -> dict:
    """Gradescope's results.json for ``result`` (``export.gradescope``), its notes in the
    words of this platform, every string shown as plain text (``FORMAT``), and the run's
    wall time in whole seconds since ``start`` (``time.perf_counter()``).

    The time is shown, in whole seconds of the whole run: a submission can make its run
    long or short (and so spell something about a hidden check's inputs in it), but the
    student sees that length anyway, as the time between uploading and the results
    appearing; the field tells them nothing their own clock does not."""
    result.notes = [_for_platform(n, memory_mb) for n in result.notes]
    for c in result.checks:
        c.hint = _for_platform(c.hint, memory_mb) if c.hint else c.hint
    data = gradescope(result, preamble=preamble)
    for t in data["tests"]:
        t["output_format"] = t["name_format"] = FORMAT
    return _timed(data, start)


def _timed(data: dict, start: float) -> dict:
    return {**data, "output_format": FORMAT, "test_output_format": FORMAT,
            "test_name_format": FORMAT, "execution_time": int(time.perf_counter() - start)}


def _write_results(root: Path, data: dict) -> None:
    atomic_write(root / "results" / "results.json", json.dumps(data, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Grade the upload in ``$ROOT/submission`` and write ``$ROOT/results/results.json``.
    The full instructor's report goes to stdout, which Gradescope shows to instructors."""
    p = argparse.ArgumentParser(prog="python -m gdcourse.grading.outputs.gradescope")
    p.add_argument("--exercise", required=True)
    p.add_argument("--hidden", default=None)
    p.add_argument("--root", default=os.environ.get(ROOT_VARIABLE, DEFAULT_ROOT))
    p.add_argument("--memory", type=int, default=CONTAINER_MB - GRADER_MB,
                   help="MB each upload may use beyond the grader's own")
    p.add_argument("--timeout", type=float, default=CONTAINER_S - STARTUP_S,
                   help="seconds each upload may run")
    args = p.parse_args(argv)
    root = Path(args.root)
    start = time.perf_counter()
    try:
        ex_id = normalize_id(args.exercise)
        path, chosen = choose_submission(root / "submission", ex_id)
        say(chosen)
        if path is None:
            _write_results(root, _timed({"score": 0.0, "output": chosen,
                                         "stdout_visibility": "hidden", "tests": []}, start))
            return 0
        (result,) = grade([path], exercise=ex_id, hidden=args.hidden, jobs=1,
                          memory_mb=args.memory, timeout=args.timeout,
                          notice=lambda text: say(f"note: {text}"))
        result.submission = clean(path.relative_to(root / "submission").as_posix(), 200)
        say(text_report(result))
        _write_results(root, results_json(result, preamble=[chosen], memory_mb=args.memory,
                                          start=start))
        return 0
    except BaseException:   # SystemExit too: whatever happens, results.json is written
        traceback.print_exc()
        _write_results(root, _timed({
            "score": 0.0, "stdout_visibility": "hidden", "tests": [],
            "output": "The autograder failed on its side (not because of your code); "
                      "your instructor can see why. Please tell them."}, start))
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
