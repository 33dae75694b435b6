"""One child process for one submission: start it boxed in, feed it, read it, kill it.

``run_child(request, ...)`` starts ``python -I`` (``child.py``) in a fresh empty temporary
directory, with a stripped environment, its own session (process group), limits on address
space, CPU time, file size and processes (set by the child before any student code runs),
and, when the grader is root, its own unused uid. The request goes in on stdin; JSON lines
come back on a pipe only the grader holds, until the child finishes or the wall-clock
timeout passes; then the whole process group is killed, and so is any process carrying
this run's token that left the group. What the child printed is kept only as a log tail.
"""

from __future__ import annotations

import json
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
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ChildRun", "run_child"]

_BOOT = ("import sys; sys.path.insert(0, {root!r}); "
         "from gdcourse.grading.child import main; main(sys.argv[1:])")
_ROOT = str(Path(__file__).resolve().parents[2])
MAX_RESULT_BYTES = 64 * 2**20
LOG_TAIL = 4000


@dataclass
class ChildRun:
    """What came back from one child: its events, how it ended, what it printed."""

    events: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    output: str = ""
    timed_out: bool = False
    finished: bool = False     # it sent "done" (the submission may still have forged it)
    reason: str = ""           # how it ended, when it did not finish


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


def run_child(request: bytes, *, timeout: float, memory_mb: int, uid: int = -1) -> ChildRun:
    """Run one child on ``request`` (see the module docstring)."""
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
    _kill(proc, token, uid)
    os.close(read_fd)
    events, garbled = _parse(data)
    run = ChildRun(events, notes, timed_out=timed_out,
                   finished=any(e.get("event") == "done" for e in events))
    if timed_out:
        run.reason = f"still running after the time limit of {timeout:g} s"
        notes.append(f"process stopped: {run.reason}")
    elif not run.finished:
        run.reason = _exit_reason(proc.returncode)
        notes.append(f"process ended early: {run.reason}")
    if overflow:
        notes.append(f"result channel over {MAX_RESULT_BYTES // 2**20} MB; the rest was ignored")
    if garbled:
        notes.append(f"ignored {garbled} malformed line(s) on the result channel")
    if not any(e.get("event") == "started" for e in events):
        notes.append("the grader's child process did not start the submission")
    log.seek(0, os.SEEK_END)
    log.seek(max(0, log.tell() - LOG_TAIL))
    run.output = log.read().decode("utf-8", errors="replace")
    log.close()
    shutil.rmtree(workdir, ignore_errors=True)
    return run


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


def _kill(proc, token: str, uid: int) -> None:
    """Kill the child's process group, then every process that left it: those carrying this
    run's token and, with a per-child uid, every process of that uid (which nothing else
    uses, so even one that cleared its environment and changed session is found)."""
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
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if uid >= 0 and entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
                continue
            with open(f"/proc/{entry.name}/environ", "rb") as f:
                if needle in f.read():
                    os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue


def _parse(data: bytes) -> tuple[list[dict], int]:
    events, garbled = [], 0
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except (ValueError, RecursionError):   # RecursionError: nesting too deep to parse
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
    return f"exit code {code} (os._exit in the submission?)"
