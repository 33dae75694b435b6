"""Grade submissions, each in its own child process; every score is decided here.

For each submission the grader

1. reads its code cells (``cells.py``) and builds the request: the cells, the probes to run
   and their inputs (chosen here, with fixed seeds);
2. starts ``python -I`` (``child.py``) in a fresh empty temporary directory, with a
   stripped environment, its own session (process group), and limits on address space,
   CPU time, file size and processes; the request goes in on stdin;
3. reads JSON lines from a pipe only it holds, until the child finishes or the wall-clock
   timeout passes, then kills the child's whole process group (and any process carrying
   this run's token that escaped it);
4. judges the plain answers in this process (``results.judge``).

The submission's stdout/stderr are kept only as a log tail for the report.
"""

from __future__ import annotations

import itertools
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import InvalidArgumentError
from . import wire
from .cells import read_cells
from .registry import Exercise, child_inputs, get_exercise, load_hidden, normalize_id
from .results import SubmissionResult, judge

__all__ = ["grade"]

_BOOT = ("import sys; sys.path.insert(0, {root!r}); "
         "from gdcourse.grading.child import main; main(sys.argv[1:])")
_ROOT = str(Path(__file__).resolve().parents[2])
MAX_RESULT_BYTES = 64 * 2**20
# Children of a root grader run as uids no account uses, one per child.
_UID_BASE = 1_900_000_000
_uids = itertools.count()
ISOLATION = ("auto", "uid", "none")
LOG_TAIL = 4000


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
        memory_mb: address-space limit of each child.
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

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, loaded))


def _load(path, exercise: str | None):
    """(cells, exercise id) of a submission, or the InvalidArgumentError saying why not."""
    try:
        cells, declared = read_cells(path)
        return cells, normalize_id(exercise or declared or "")
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
    calls = [{"id": i, "probe": c.probe, "inputs": plain[i],
              "limit": min(c.time_limit, check_timeout, timeout / 2)}
             for i, c in enumerate(ex.checks)]
    request = wire.encode({"exercise": ex_id, "cells": cells, "calls": calls,
                           "cell_limit": timeout / 2}).encode()
    uid = _UID_BASE + next(_uids) % 100_000_000 if by_uid else -1
    events, notes, output = _run_child(request, timeout=timeout, memory_mb=memory_mb, uid=uid)
    records = {}
    for ev in events:
        if ev.get("event") == "result" and isinstance(ev.get("id"), int):
            records.setdefault(ev["id"], ev)     # a forged duplicate cannot replace the first
        elif ev.get("event") == "cells":
            for p in (ev.get("problems") or [])[:20]:
                if isinstance(p, dict):
                    notes.append(f"cell {p.get('cell')}: {str(p.get('message'))[:200]}")
    reason = next((n for n in notes if n.startswith("process")), "not run")
    result = SubmissionResult(name, ex_id, judge(ex, records, inputs, missing_reason=reason),
                              notes, output, path=path)
    result.elapsed = time.perf_counter() - start
    return result


def _child_env(workdir: str, token: str) -> dict:
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT") if k in os.environ}
    return {**keep, "HOME": workdir, "TMPDIR": workdir, "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0", "CI": "true", "GDCOURSE_GRADE_TOKEN": token}


def _nproc_limit() -> int:
    """Processes + threads the child may add to this user's count (0: do not limit).

    RLIMIT_NPROC counts every task of the user, so the limit is today's count plus room;
    root ignores it anyway."""
    if os.geteuid() == 0 or not os.path.isdir("/proc"):
        return 0
    uid, tasks = os.geteuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    tasks += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return tasks + 256


def _run_child(request: bytes, *, timeout: float, memory_mb: int, uid: int = -1):
    """Run one child; returns (decoded events, notes about the process, output tail)."""
    workdir = tempfile.mkdtemp(prefix="gdcourse-grade-")
    if uid >= 0:
        os.chown(workdir, uid, uid)
    token = secrets.token_hex(16)
    log = tempfile.TemporaryFile()
    read_fd, write_fd = os.pipe()
    cmd = [sys.executable, "-I", "-c", _BOOT.format(root=_ROOT), str(write_fd),
           str(memory_mb), str(int(timeout) + 1), str(64 if uid >= 0 else _nproc_limit()),
           str(uid)]
    notes: list[str] = []
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                cwd=workdir, env=_child_env(workdir, token),
                                pass_fds=(write_fd,), start_new_session=True)
    finally:
        os.close(write_fd)
    feeder = threading.Thread(target=_feed, args=(proc.stdin, request), daemon=True)
    feeder.start()
    data, timed_out, overflow = _read_until(read_fd, proc, time.monotonic() + timeout)
    _kill(proc, token)
    os.close(read_fd)
    events, garbled = _parse(data)
    if timed_out:
        notes.append(f"process stopped: still running after the time limit of {timeout:g} s")
    elif not any(e.get("event") == "done" for e in events):
        notes.append(f"process ended early: {_exit_reason(proc.returncode)}")
    if overflow:
        notes.append(f"result channel over {MAX_RESULT_BYTES // 2**20} MB; the rest was ignored")
    if garbled:
        notes.append(f"ignored {garbled} malformed line(s) on the result channel")
    if not any(e.get("event") == "started" for e in events):
        notes.append("the grader's child process did not start the submission")
    log.seek(0, os.SEEK_END)
    log.seek(max(0, log.tell() - LOG_TAIL))
    output = log.read().decode("utf-8", errors="replace")
    log.close()
    shutil.rmtree(workdir, ignore_errors=True)
    return events, notes, output


def _feed(stdin, request: bytes) -> None:
    try:
        stdin.write(request)
        stdin.close()
    except OSError:  # the child died before reading its request
        pass


def _read_until(fd: int, proc, deadline: float) -> tuple[bytes, bool, bool]:
    """Read the result pipe until EOF (the child and anything it spawned closed it), the
    child exits (then drain briefly), or ``deadline``."""
    chunks, size, overflow = [], 0, False
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        exited_at = None
        while True:
            now = time.monotonic()
            if now >= deadline:
                return b"".join(chunks), True, overflow
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > 1.0:
                break  # a grandchild holds the pipe open; what the child wrote is in
            if not sel.select(timeout=min(0.2, deadline - now)):
                continue
            block = os.read(fd, 1 << 16)
            if not block:
                break
            if size + len(block) > MAX_RESULT_BYTES:
                overflow = True
                continue
            chunks.append(block)
            size += len(block)
    return b"".join(chunks), False, overflow


def _kill(proc, token: str) -> None:
    """Kill the child's process group, then any process with this run's token that left it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # start_new_session: its pgid is its pid
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if not os.path.isdir("/proc"):
        return
    needle = f"GDCOURSE_GRADE_TOKEN={token}".encode()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                with open(f"/proc/{entry.name}/environ", "rb") as f:
                    if needle in f.read():
                        os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                continue


def _parse(data: bytes) -> tuple[list[dict], int]:
    import json

    events, garbled = [], 0
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            garbled += 1
            continue
        if isinstance(ev, dict):
            events.append(ev)
        else:
            garbled += 1
    return events, garbled


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "unknown"
    if code < 0:
        sig = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else -code
        why = {"SIGKILL": " (killed: memory or time limit?)", "SIGXCPU": " (CPU time limit)",
               "SIGSEGV": " (crashed)"}.get(str(sig), "")
        return f"killed by {sig}{why}"
    return f"exit code {code} (sys.exit or os._exit in the submission?)"
