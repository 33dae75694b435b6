"""Grade submissions, each in its own sandboxed child process; every score is decided here.

For each submission the grader reads its code cells (``cells.py``), builds the request (the
cells, the probes to run and their inputs, chosen here with fixed seeds), runs it in a child
(``sandbox.py``) and judges the plain answers that come back (``results.judge``).

A child that dies in the middle (``os._exit``, a crash, the memory killer) costs only the
check it was running: a fresh child is started for the checks still missing, at most
``RESTARTS`` times, and never after a wall-clock timeout (that budget is spent).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import GDCourseError, InvalidArgumentError
from . import wire
from .cells import read_cells
from .registry import Exercise, child_inputs, get_exercise, load_hidden, normalize_id
from .results import SubmissionResult, judge
from .sandbox import run_child

__all__ = ["grade"]

RESTARTS = 2
ISOLATION = ("auto", "uid", "none")
# Children of a root grader run as uids no account uses, one per child.
_UID_BASE = 1_900_000_000
_uids = itertools.count()


def _child_uid() -> int:
    """A uid no account uses, distinct for every child of every grader running at once
    (graders are told apart by their pid), since a uid's processes are killed after use."""
    return _UID_BASE + (os.getpid() % 100_000) * 1000 + next(_uids) % 1000


PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def _fingerprint(root: Path) -> dict[str, tuple[int, int]]:
    """Size and mtime of every source file of the package the children import."""
    return {str(p): (st.st_size, st.st_mtime_ns) for p in sorted(root.rglob("*.py"))
            for st in [p.stat()]}


def grade(paths, *, exercise: str | None = None, hidden: str | Path | None = None,
          timeout: float = 60.0, check_timeout: float = 10.0, memory_mb: int = 2048,
          jobs: int = 1, isolate: str = "auto", progress=None) -> list[SubmissionResult]:
    """Grade every submission in ``paths``; results come back in the same order.

    Args:
        paths: .ipynb or .py files.
        exercise: the exercise id; default: what each file declares.
        hidden: a directory of instructor checks added to the public ones.
        timeout: wall-clock seconds per submission (the child is killed after it).
        check_timeout: seconds one check may run before it alone is stopped (at most
            each check's own ``time_limit``); cells may run for ``timeout / 2``.
        memory_mb: address space each child may use beyond what importing torch took.
        jobs: submissions graded at once.
        isolate: "uid" runs each child under its own unused uid (needs root, as in a
            Docker or Gradescope autograder): it then cannot signal the grader or other
            children, nor touch their files. "none" keeps the grader's user. "auto" is
            "uid" when the grader runs as root.
        progress: called with each SubmissionResult as it finishes.
    """
    if isolate not in ISOLATION:
        raise InvalidArgumentError(f"isolate must be one of {ISOLATION}, got {isolate!r}")
    if isolate == "uid" and os.geteuid() != 0:
        raise InvalidArgumentError("isolate='uid' needs the grader to run as root (as in a "
                                   "container); use isolate='none' or 'auto'")
    by_uid = isolate == "uid" or (isolate == "auto" and hasattr(os, "geteuid")
                                   and os.geteuid() == 0)
    if timeout <= 0 or check_timeout <= 0 or jobs < 1 or memory_mb < 256:
        raise InvalidArgumentError(
            f"need timeout > 0, check_timeout > 0, jobs >= 1 and memory_mb >= 256; got "
            f"timeout={timeout}, check_timeout={check_timeout}, jobs={jobs}, "
            f"memory_mb={memory_mb}")
    if exercise is not None:
        exercise = normalize_id(exercise)          # a typo fails here, not per student
    if hidden is not None and not Path(hidden).is_dir():
        raise InvalidArgumentError(f"hidden checks directory {str(hidden)!r} does not exist")
    cache: dict[str, tuple[Exercise, list[dict], list[dict]]] = {}
    lock = threading.Lock()

    def prepared(ex_id: str):
        with lock:
            if ex_id not in cache:
                ex = get_exercise(ex_id)
                if hidden is not None:
                    ex = ex.with_checks(load_hidden(hidden, ex_id))
                inputs = [c.inputs() for c in ex.checks]
                # What the child gets: a plain copy of each input; the judges get the same
                # values decoded, so they never see anything the child could have altered.
                plain = [wire.to_plain(child_inputs(x)) for x in inputs]
                cache[ex_id] = (ex, plain, [wire.from_plain(wire.to_plain(x)) for x in inputs])
            return cache[ex_id]

    # Every file is read before any child starts: a submission that deletes or rewrites
    # another one's file on disk changes nothing.
    loaded = [(str(p), _load(p, exercise)) for p in paths]

    def one(item) -> SubmissionResult:
        path, source = item
        result = grade_file(path, source, prepared=prepared, timeout=timeout,
                            check_timeout=check_timeout, memory_mb=memory_mb, by_uid=by_uid)
        if progress is not None:
            progress(result)
        return result

    before = _fingerprint(PACKAGE_ROOT)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, loaded))
    # Without per-child uids a submission can write whatever the grader's user can,
    # including gdcourse itself, which later children import: refuse to hand out scores.
    if _fingerprint(PACKAGE_ROOT) != before:
        raise GDCourseError(
            f"gdcourse's own files under {PACKAGE_ROOT} changed while grading (a submission "
            "running as the grader's user can write them); these scores cannot be trusted. "
            "Reinstall gdcourse and grade as root in a container (each submission then "
            "runs under its own uid), or keep the package read-only")
    return results


def _load(path, exercise: str | None):
    """(cells, exercise id) of a submission, or the InvalidArgumentError saying why not."""
    try:
        cells, declared = read_cells(path)
        if not (exercise or declared):
            return InvalidArgumentError(
                f"{Path(path).name} does not say which exercise it answers (no check(\"NN\") "
                "call, no NN_ at the start of its name, no '# gdcourse-exercise: NN' line); "
                "pass --exercise NN")
        return cells, normalize_id(exercise or declared)
    except InvalidArgumentError as err:
        return err


def grade_file(path: str, source, *, prepared, timeout: float, check_timeout: float,
               memory_mb: int, by_uid: bool = False) -> SubmissionResult:
    """Grade one loaded submission (see :func:`grade`); never raises for a bad one."""
    start = time.perf_counter()
    name = str(path)
    if isinstance(source, InvalidArgumentError):
        result = SubmissionResult(name, "?", path=path)
        result.notes.append(f"not graded: {source}")
        return result
    cells, ex_id = source
    ex, plain, inputs = prepared(ex_id)
    limits = [min(c.time_limit, check_timeout, timeout / 2) for c in ex.checks]
    records: dict[int, dict] = {}
    notes: list[str] = []
    output, reason, pending = "", "not run", list(range(len(ex.checks)))
    for attempt in range(RESTARTS + 1):
        calls = [{"id": i, "probe": ex.checks[i].probe, "inputs": plain[i],
                  "limit": limits[i]} for i in pending]
        request = wire.encode({"exercise": ex_id, "cells": cells, "calls": calls,
                               "cell_limit": timeout / 2}).encode()
        uid = _child_uid() if by_uid else -1
        run = run_child(request, timeout=timeout, memory_mb=memory_mb, uid=uid)
        output = output or run.output
        running = None
        for ev in run.events:
            kind, i = ev.get("event"), ev.get("id")
            if kind == "begin" and i in pending:
                running = i
            elif kind == "result" and i in pending:
                records.setdefault(i, ev)     # a forged duplicate cannot replace the first
            elif kind == "cells" and attempt == 0 and isinstance(ev.get("problems"), list):
                for p in ev["problems"][:20]:      # the submission can forge this event too
                    if isinstance(p, dict):
                        notes.append(f"cell {str(p.get('cell'))[:10]}: "
                                     f"{str(p.get('message'))[:200]}")
        notes.extend(n for n in run.notes if n not in notes)
        if run.finished:
            break
        reason = f"process {'stopped' if run.timed_out else 'ended early'}: {run.reason}"
        if running is not None and running not in records:
            ended = "was stopped" if run.timed_out else "ended"
            records[running] = {"status": "timeout" if run.timed_out else "crashed",
                                "message": f"the process {ended} while this check ran "
                                           f"({run.reason})"}
        left = [i for i in pending if i not in records]
        if run.timed_out or not left or len(left) == len(pending):
            break   # out of time, nothing left, or no progress (it dies before any check)
        pending = left
        notes.append(f"restarted for the {len(left)} check(s) still to run")
    result = SubmissionResult(name, ex_id, judge(ex, records, inputs, missing_reason=reason),
                              notes, output, path=path)
    result.elapsed = time.perf_counter() - start
    return result


