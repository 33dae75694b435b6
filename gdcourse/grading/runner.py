"""Grade submissions, each in its own boxed-in child process; every score is decided here.

The trust boundary: the child only runs the student's cells and, one question at a time,
a named probe on inputs chosen here, and sends back what the student's code returned.
Everything else happens in this process, before or after: reading each submission once
(``cells.read_cells``), the per-exercise policy on its source (``policy.scan``), the inputs
and the oracles, and every judgement (``results.judge``). What a child sends is accepted
only as the answer to the question just asked (``sandbox.Child.ask``), bounded in size,
and every string in it is cleaned on arrival (``safetext.clean``).

A child that dies in the middle (``os._exit``, a crash, the memory killer) costs only the
check it was running: a fresh child is started for the checks still missing, at most
``RESTARTS`` times, all within the submission's one ``timeout``.

Children are forked from one pre-imported zygote per job slot (``zygote.py``) once an honest
child forked that way passed the same call-time import check as the preflight; where it
did not, the instructor is told and every child starts a fresh interpreter, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import GDCourseError, InvalidArgumentError
from . import policy, wire
from .cells import read_cells
from .registry import (
    Exercise,
    child_inputs,
    get_exercise,
    load_hidden,
    make_inputs,
    normalize_id,
)
from .results import SubmissionResult, judge
from .runtime import WALL_FACTOR
from .safetext import clean
from .sandbox import host
from .sandbox.isolation import Plan, child_uid, honest_child_problem, preflight
from .sandbox.libc import PR_GET_DUMPABLE, PR_SET_DUMPABLE, prctl
from .sandbox.process import Child, child_env
from .sandbox.zygote import Pool, Zygote

__all__ = ["grade"]

RESTARTS = 2
ISOLATION = ("auto", "uid", "none")
MAX_NOTES = 20            # cell problems kept per submission, each cut to a line
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_ROOT = str(PACKAGE_ROOT.parent)


def _fingerprint(root: Path) -> dict[str, str]:
    """A hash of every file under the package the children import (sources, bytecode,
    data, anything planted), and of every directory's listing."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        found[folder] = "dir:" + ",".join(sorted(dirs + files))
        for name in files:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb", opener=_nofollow) as f:
                    found[path] = hashlib.sha256(f.read()).hexdigest()
            except OSError as err:
                found[path] = f"unreadable: {err.errno}"
    return found


def _nofollow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW)


Prepared = tuple[Exercise, list[Any], list[Any], dict]


def grade(paths: Iterable[str | os.PathLike[str]], *, exercise: str | None = None,
          hidden: str | Path | None = None, timeout: float = 60.0,
          check_timeout: float = 10.0, memory_mb: int = 2048, jobs: int = 1,
          isolate: str = "auto", progress: Callable[[SubmissionResult], Any] | None = None,
          notice: Callable[[str], Any] | None = None,
          zygote: bool = True) -> list[SubmissionResult]:
    """Grade every submission in ``paths``; results come back in the same order.

    Args:
        paths: .ipynb or .py files.
        exercise: the exercise id; default: what each file declares.
        hidden: a directory of instructor checks added to the public ones (read once, here;
            refused when other users can write it).
        timeout: wall-clock seconds per submission, restarts included.
        check_timeout: CPU seconds one check may use before it alone is stopped (at most
            each check's own ``time_limit``; a check waiting on nothing is stopped after
            three times that in wall time); cells may run for ``timeout / 2``.
        memory_mb: memory each submission may use beyond what importing torch took.
        jobs: submissions graded at once.
        isolate: "uid" runs each child under its own unused uid (needs root, as in a
            Docker or Gradescope autograder), in its own namespaces and cgroups where the
            machine allows. "none" keeps the grader's user. "auto" is the strongest this
            machine gives, checked first against an honest submission that imports the
            standard library at call time.
        progress: called with each SubmissionResult as it finishes.
        notice: called once with each thing the instructor must know before trusting the
            run (what this machine cannot isolate); each result's notes say it too.
        zygote: fork each child from a pre-imported interpreter, one per job slot
            (``zygote.py``), rather than start a fresh one; where the OS refuses what a
            zygote needs, the grader says so through ``notice`` and starts fresh ones.
    """
    exercise = _validate(isolate, timeout, check_timeout, jobs, memory_mb, exercise, hidden)
    # Every file is read once, before any child starts: a submission that deletes or
    # rewrites another one's file on disk changes nothing.
    loaded = [(str(p), _load(p, exercise)) for p in paths]
    cache: dict[str, Prepared] = {}
    for _, source in loaded:
        if not isinstance(source, InvalidArgumentError) and source[1] not in cache:
            cache[source[1]] = _prepare(source[1], hidden)
    if not loaded:
        return []
    # The zygotes import torch while the preflight runs.
    pool = Pool(min(jobs, len(loaded)), child_env) if zygote else None
    try:
        return _grade_loaded(loaded, cache, pool, isolate=isolate, hidden=hidden,
                             timeout=timeout, check_timeout=check_timeout,
                             memory_mb=memory_mb, jobs=jobs, progress=progress,
                             notice=notice)
    finally:
        if pool is not None:
            pool.close()


def _grade_loaded(loaded: list[tuple[str, Any]], cache: dict[str, Prepared],
                  pool: Pool | None, *, isolate: str, hidden: str | Path | None,
                  timeout: float, check_timeout: float, memory_mb: int, jobs: int,
                  progress: Callable[[SubmissionResult], Any] | None,
                  notice: Callable[[str], Any] | None) -> list[SubmissionResult]:
    plan = preflight(Plan.choose(isolate))
    if isolate == "uid" and not plan.by_uid:
        raise InvalidArgumentError(
            "isolate='uid' was asked for, but an honest submission cannot import the "
            f"standard library under a spare uid here ({'; '.join(plan.notices)}); use "
            "isolate='auto' to grade with less isolation, or install Python where other "
            "users can read it")
    if hidden is not None and not plan.namespaces and _others_can_read(Path(hidden)):
        plan = plan.with_notice(
            f"the hidden checks in {hidden} can be read by other users, and without "
            "namespaces a submission can read them too; run chmod -R o-rwx on them")
    for text in plan.notices:
        if notice is not None:
            notice(text)
    if pool is not None:
        _check_pool(pool, plan, notice)
    hide = [str(Path(p).resolve().parent) for p, _ in loaded]
    hide += [str(Path(hidden).resolve())] if hidden is not None else []
    hide += [str(PACKAGE_ROOT.parent / "exercises")]
    lock = threading.Lock()

    def one(item: tuple[str, Any]) -> SubmissionResult:
        path, source = item
        try:
            with pool.slot() if pool is not None else contextlib.nullcontext() as z:
                result = grade_file(path, source, cache=cache, timeout=timeout,
                                    check_timeout=check_timeout, memory_mb=memory_mb,
                                    plan=plan, hide=hide, zygote=z)
        except BaseException as err:    # a bug, an OS failure, even a SystemExit of the
            # grader's own: this file is not graded, the class goes on
            result = SubmissionResult(clean(path, 500), "?", path=path)
            result.notes.append(f"not graded: the grader failed on it ({type(err).__name__}: "
                                f"{clean(err, 200)})")
        result.notes.extend(f"isolation: {n}" for n in plan.notices)
        if progress is not None:
            with lock:
                try:
                    progress(result)
                except Exception:
                    pass
        return result

    # A child running as the grader's user can write whatever it can, including gdcourse
    # itself, which later children import: then every file of the package is compared
    # before and after, and a change voids the run. (A spare uid cannot write it.)
    watch = not plan.by_uid
    before = _fingerprint(PACKAGE_ROOT) if watch else {}
    was = sys.dont_write_bytecode
    sys.dont_write_bytecode = True          # the grader's own imports plant nothing either
    # A child of the grader's own uid outside a PID namespace could open the grader's
    # memory through /proc; a grader that is not dumpable refuses that.
    dumpable = _set_dumpable(0) if watch and not plan.namespaces else None
    try:
        with ThreadPoolExecutor(max_workers=jobs) as threads:
            results = list(threads.map(one, loaded))
    finally:
        sys.dont_write_bytecode = was
        if dumpable is not None:
            _set_dumpable(dumpable)
    if watch and _fingerprint(PACKAGE_ROOT) != before:
        raise GDCourseError(
            f"gdcourse's own files under {PACKAGE_ROOT} changed while grading (a submission "
            "running as the grader's user can write them); these scores cannot be trusted. "
            "Reinstall gdcourse and grade as root in a container (each submission then "
            "runs under its own uid), or keep the package read-only")
    return results


def _check_pool(pool: Pool, plan: Plan, notice: Callable[[str], Any] | None) -> None:
    """Fork one honest child from a zygote first; where that fails, every child starts a
    fresh interpreter, as before zygotes, and the instructor is told why."""
    with pool.slot() as z:
        problem = honest_child_problem(plan, z) if z is not None else pool.fallback
    if problem:
        pool.disable(problem)
        if notice is not None:
            notice(f"each submission starts a fresh Python (slower): an honest child forked "
                   f"from a pre-imported one failed here ({clean(problem, 300)})")


def _others_can_read(directory: Path) -> bool:
    import stat

    return any(p.stat().st_mode & stat.S_IROTH for p in [directory, *directory.glob("*.py")])


def _set_dumpable(value: int) -> int | None:
    """Set PR_SET_DUMPABLE; the previous value, or None where prctl is not available."""
    try:
        old = prctl(PR_GET_DUMPABLE)
        return old if prctl(PR_SET_DUMPABLE, value) == 0 else None
    except (OSError, AttributeError):
        return None


def _validate(isolate: str, timeout: float, check_timeout: float, jobs: int, memory_mb: int,
              exercise: str | None, hidden: str | Path | None) -> str | None:
    """Refuse bad arguments before anything runs; the exercise id, normalized."""
    if isolate not in ISOLATION:
        raise InvalidArgumentError(f"isolate must be one of {ISOLATION}, got {isolate!r}")
    if isolate == "uid" and os.geteuid() != 0:
        raise InvalidArgumentError("isolate='uid' needs the grader to run as root (as in a "
                                   "container); use isolate='none' or 'auto'")
    if timeout <= 0 or check_timeout <= 0 or jobs < 1 or memory_mb < 256:
        raise InvalidArgumentError(
            f"need timeout > 0, check_timeout > 0, jobs >= 1 and memory_mb >= 256; got "
            f"timeout={timeout}, check_timeout={check_timeout}, jobs={jobs}, "
            f"memory_mb={memory_mb}")
    if hidden is not None and not Path(hidden).is_dir():
        raise InvalidArgumentError(f"hidden checks directory {str(hidden)!r} does not exist")
    # A typo in the exercise fails here, not once per student.
    return normalize_id(exercise) if exercise is not None else None


def _prepare(ex_id: str, hidden: str | Path | None) -> Prepared:
    ex = get_exercise(ex_id)
    if hidden is not None:
        ex = ex.with_checks(load_hidden(hidden, ex_id))
    # Public checks are drawn afresh for this run (same kinds and shapes as check()'s
    # fixed draw), so an answer memorized from check() is worth nothing.
    seed = secrets.randbelow(2**30) + 1
    inputs = [make_inputs(c, seed) for c in ex.checks]
    # What the child gets: a plain copy of each input without the judge-only keys; the
    # judges get the same values decoded, so they never see anything a child altered.
    plain = [wire.to_plain(child_inputs(x)) for x in inputs]
    return (ex, plain, [wire.from_plain(wire.to_plain(x)) for x in inputs],
            policy.rules_of(ex))


def _load(path: str | os.PathLike[str], exercise: str | None) -> Any:
    """(cells, exercise id) of a submission, or the InvalidArgumentError saying why not."""
    try:
        cells, declared = read_cells(os.fspath(path))
        if not (exercise or declared):
            return InvalidArgumentError(
                f"{clean(Path(path).name, 200)} does not say which exercise it answers (no "
                "check(\"NN\") call, no NN_ at the start of its name, no "
                "'# gdcourse-exercise: NN' line); pass --exercise NN")
        return cells, normalize_id(exercise or declared or "")
    except InvalidArgumentError as err:
        return err
    except BaseException as err:   # reading this file failed in the grader: not graded
        return InvalidArgumentError(f"the grader could not read it ({type(err).__name__}: "
                                    f"{clean(err, 200)})")


def grade_file(path: str, source: Any, *, cache: dict[str, Prepared], timeout: float,
               check_timeout: float, memory_mb: int, plan: Plan,
               hide: list[str], zygote: Zygote | None = None) -> SubmissionResult:
    """Grade one loaded submission (see :func:`grade`); never raises for a bad one."""
    start = time.perf_counter()
    deadline = time.monotonic() + timeout
    name = clean(path, 500)
    if isinstance(source, InvalidArgumentError):
        result = SubmissionResult(name, "?", path=path)
        result.notes.append(f"not graded: {clean(source, 400)}")
        return result
    cells, ex_id = source
    ex, plain, inputs, rules = cache[ex_id]
    limits = [min(c.time_limit, check_timeout, timeout / 2) for c in ex.checks]
    # Read in a bounded child of its own, importing nothing the submission names.
    verdicts = policy.scan_bounded(cells, rules)
    refused: dict[str, list[str]] = {t: [clean(w, 300) for w in why]
                                     for t, why in verdicts.get("tasks", {}).items()}
    if verdicts.get("any"):
        refused[policy.ANY] = [clean(w, 300) for w in verdicts["any"]]
    records: dict[int, dict[str, Any]] = {}
    notes: list[str] = []
    private: list[str] = []     # for the instructor: what the child controls (never shown
    #                             to the student, so no hidden input leaks through it)
    for i, c in enumerate(ex.checks):
        if c.task in refused:
            records[i] = {"status": "forbidden", "message": refused[c.task][0]}
    for task, why in refused.items():
        who = "every task" if task == policy.ANY else task
        notes.extend(f"{who} scores 0: {w}" for w in why[:3])
    output, reason, quiet = "", "not run", False
    pending = [i for i in range(len(ex.checks)) if i not in records]
    setup = {"exercise": ex_id, "memory_mb": memory_mb, "cpu_s": int(timeout) + 1,
             "nproc": 64 if plan.by_uid else host.nproc_limit(), "root": _ROOT,
             "namespaces": plan.namespaces, "hide": hide}
    for attempt in range(RESTARTS + 1):
        if not pending:
            break
        before = len(pending)
        child = Child(uid=child_uid() if plan.by_uid else -1, namespaces=plan.namespaces,
                      extra=plan.extra, cgroup_limits=plan.limits(memory_mb)
                      if plan.cgroups else {}, zygote=zygote)
        try:
            reason, pending, quiet = _converse(child, cells, ex, plain, limits, pending,
                                               records, notes if attempt == 0 else [],
                                               setup, deadline, timeout)
        finally:
            notes.extend(child.close())
            log = child.finish_log()      # always: it closes this child's log file too
            output = output or log
            private.extend(n for n in child.junk_notes() if n not in private)
        # How a child ended during a hidden check (exit code, signal, restart) is its own
        # doing, so a channel for hidden inputs: the instructor reads it, the student not.
        told = private if quiet else notes
        if reason and reason not in told:
            told.append(reason)
        if reason.startswith("process stopped") or not pending or len(pending) == before:
            break     # out of time, nothing left, or no progress (it dies before any check)
        told.append(f"restarted for the {len(pending)} check(s) still to run")
    missing = "not run" if quiet else reason or "not run"
    checks = judge(ex, records, inputs, missing_reason=missing)
    for done in checks if policy.ANY in refused else []:
        # Every check says why: code the grader cannot read could have changed any answer.
        done.status, done.points = "failed", 0.0
        done.hint = clean(refused[policy.ANY][0], 500)
    result = SubmissionResult(name, ex_id, checks, notes, output, path=path,
                              flags=private)
    result.elapsed = time.perf_counter() - start
    return result


def _converse(child: Child, cells: list[str], ex: Exercise, plain: list[Any],
              limits: list[float], pending: list[int], records: dict[int, dict[str, Any]],
              notes: list[str], setup: dict[str, Any], deadline: float,
              timeout: float) -> tuple[str, list[int], bool]:
    """One child's conversation: (why it ended early or "", checks still to run, whether
    it ended during a hidden check)."""
    stopped = f"process stopped: still running after the time limit of {timeout:g} s"
    answer = child.start(setup, deadline)
    if answer.data is None or answer.data.get("ready") is not True:
        why = "timeout" if answer.failure == "timeout" else answer.reason
        return (stopped if answer.failure == "timeout" else
                f"the grader's child process did not start ({clean(why, 200)})"), pending, False
    for skipped in answer.data.get("skipped", [])[:5]:
        notes.append(f"isolation: could not hide {clean(skipped, 200)}")
    answer = child.ask({"cells": cells, "limit": timeout / 2}, deadline)
    if answer.data is None:
        if answer.failure == "timeout":
            return stopped, pending, False
        return f"process ended early: {clean(answer.reason, 200)}", pending, False
    problems = answer.data.get("problems")
    for p in (problems if isinstance(problems, list) else [])[:MAX_NOTES]:
        if isinstance(p, dict):
            notes.append(f"cell {clean(p.get('cell'), 10)}: {clean(p.get('message'), 200)}")
    left = list(pending)
    for i in pending:
        wall = WALL_FACTOR * limits[i] + 5
        answer = child.ask({"probe": ex.checks[i].probe, "inputs": plain[i],
                            "limit": limits[i]}, min(deadline, time.monotonic() + wall))
        if answer.data is not None:
            records[i] = _arrived(answer.data)
            left.remove(i)
            continue
        out_of_time = time.monotonic() >= deadline
        hidden = ex.checks[i].hidden
        if answer.failure == "timeout":
            records[i] = {"status": "timeout", "message": (
                f"the process was stopped while this check ran (time limit of {timeout:g} s)"
                if out_of_time else f"no answer within {wall:g} s")}
        else:
            records[i] = {"status": "crashed", "message": "the process ended while this "
                          f"check ran ({clean(answer.reason, 200)})"}
        left.remove(i)
        if out_of_time:
            return stopped, left, hidden
        return f"process ended early: {clean(answer.reason, 200)}", left, hidden
    return "", left, False


def _arrived(data: dict[str, Any]) -> dict[str, Any]:
    """A child's record as the judges may read it: known status, clean short message."""
    status = data.get("status")
    record: dict[str, Any] = {"status": status if isinstance(status, str) else "malformed",
                              "message": clean(data.get("message", ""), 300)}
    if status == "ok":
        record["out"] = data.get("out")
    return record
