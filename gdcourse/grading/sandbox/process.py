"""One child process for one submission: start it boxed in, talk to it, kill it.

The grader and its child hold a conversation, one question at a time::

    grader -> child   {"nonce": N0, "setup": {...}}   limits, mounts, uid (no student code yet)
    child  -> grader  {"nonce": N0, "ready": true}
    grader -> child   {"nonce": N1, "cells": [...]}       the student's own code
    child  -> grader  {"nonce": N1, "problems": [...]}
    grader -> child   {"nonce": N2, "probe": "call", "inputs": {...}, "limit": 3}
    child  -> grader  {"nonce": N2, "status": "ok", "out": ...}
    ...

Each question carries a fresh random nonce and goes out only after the last answer came
back, so the child never holds a question before it is asked (the inputs of later checks
are nowhere in it) and nothing written ahead of a question can answer it. The grader keeps
exactly one answer per question, the first line carrying its nonce; every other line is
dropped unread. Lines are capped in size (a longer one is dropped as it streams in).

The child is forked from the job slot's zygote (``zygote.py``: ``python -I`` with torch
already imported, doing what ``unshare`` does), or started as ``python -I`` under
``unshare`` where no zygote works: mount and PID namespaces (plus a user namespace when the
grader is not root) where available, its own session, cgroups and (root) uid, a stripped
environment; the same setup question boxes it in either way. ``close()`` kills it all:
the namespace's first process (the kernel then kills every process in it), the process
group, the cgroups' members, and every process of the child's uid.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..safetext import clean
from . import host
from .zygote import SETUP_FAILED, Forked, Zygote

__all__ = ["Child", "Answer", "MAX_LINE", "child_env"]

_BOOT = ("import sys; sys.path.insert(0, {root!r}); "
         "from gdcourse.grading.sandbox.child import main; main(sys.argv[1:])")
_ROOT = str(Path(__file__).resolve().parents[3])
MAX_LINE = 16 * 2**20       # one line; a longer one is dropped unread
LOG_TAIL = 4000


@dataclass
class Answer:
    """The child's answer to one question, or why none came."""

    data: dict[str, Any] | None = None
    failure: str = ""          # "timeout" or "ended" when data is None
    reason: str = ""           # for people: how the process ended


@dataclass
class Child:
    """A started child (see the module docstring); use :meth:`ask` then :meth:`close`."""

    uid: int = -1
    namespaces: bool = False
    extra: tuple[str, ...] = ()    # further namespaces where the machine allows: ipc, net
    cgroup_limits: dict[str, str] = field(default_factory=dict)
    malformed: int = 0          # lines that are not JSON objects
    unasked: int = 0            # JSON lines that answered no question
    zygote: Zygote | None = None   # fork from it rather than start a fresh interpreter
    fallback: str = ""             # why a zygote could not fork this child
    proc: subprocess.Popen[bytes] | Forked | None = None
    workdir: str = ""
    cgroups: list[str] = field(default_factory=list)
    _log: IO[bytes] | None = None
    _read_fd: int = -1
    _ask_fd: int = -1              # the write end of the question pipe
    _buf: bytearray = field(default_factory=bytearray)
    _skipping: bool = False

    def start(self, setup: dict[str, Any], deadline: float) -> Answer:
        self.workdir = tempfile.mkdtemp(prefix="gdcourse-grade-")
        if self.uid >= 0:
            os.chown(self.workdir, self.uid, self.uid)
        self.cgroups = host.make_cgroups(self.cgroup_limits)
        answer = self._launch(setup, deadline, fork=self.zygote is not None)
        if answer.data is None and isinstance(self.proc, Forked) \
                and self.proc.returncode == SETUP_FAILED:
            # The zygote's fork could not box the child in (no student code ran yet):
            # this child starts fresh instead, in the same directory and cgroups.
            self.fallback = "its fork could not box the child in: " + self.output()[-200:]
            self._read_fd = _close(self._read_fd)
            self._ask_fd = _close(self._ask_fd)
            self.proc = None
            self.finish_log()
            answer = self._launch(setup, deadline, fork=False)
        return answer

    def _launch(self, setup: dict[str, Any], deadline: float, *, fork: bool) -> Answer:
        self._log = tempfile.TemporaryFile()
        self._read_fd, write_fd = os.pipe()
        ask_read, self._ask_fd = os.pipe()
        try:
            if fork:
                self.proc = self._fork(ask_read, write_fd, deadline)
            if self.proc is None:
                prefix = host.unshare_prefix(self.extra) if self.namespaces else []
                cmd = [*prefix, sys.executable, "-I", "-c", _BOOT.format(root=_ROOT),
                       str(write_fd), str(ask_read)]
                self.proc = subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                    stderr=subprocess.STDOUT, cwd=self.workdir, env=child_env(self.workdir),
                    pass_fds=(write_fd, ask_read), start_new_session=True)
        finally:
            os.close(write_fd)
            os.close(ask_read)
        os.set_blocking(self._ask_fd, False)
        os.set_blocking(self._read_fd, False)
        return self.ask({"setup": {**setup, "workdir": self.workdir, "uid": self.uid,
                                   "cgroups": self.cgroups}}, deadline)

    def _fork(self, ask_read: int, write_fd: int, deadline: float) -> Forked | None:
        """This child forked by the zygote, or None (``fallback`` says why)."""
        assert self.zygote is not None and self._log is not None
        spawn = {"namespaces": self.namespaces, "workdir": self.workdir,
                 "env": child_env(self.workdir), "user": os.geteuid() != 0,  # as unshare
                 "ipc": "ipc" in self.extra, "net": "net" in self.extra}
        forked = self.zygote.spawn(spawn, (ask_read, write_fd, self._log.fileno()), deadline)
        if isinstance(forked, str):
            self.fallback = forked
            return None
        return forked

    def ask(self, question: dict[str, Any], deadline: float) -> Answer:
        """Send ``question`` with a fresh nonce; the child's answer to it, or why none."""
        assert self.proc is not None
        self._drain()                        # whatever came before the question is junk
        nonce = secrets.token_hex(16)
        out = memoryview(json.dumps({"nonce": nonce, **question}, separators=(",", ":"),
                                    allow_nan=True).encode() + b"\n")
        stdin = self._ask_fd
        with selectors.DefaultSelector() as sel:
            sel.register(self._read_fd, selectors.EVENT_READ)
            if out:
                sel.register(stdin, selectors.EVENT_WRITE)
            exited_at: float | None = None
            while True:
                now = time.monotonic()
                if now >= deadline:
                    return Answer(failure="timeout", reason="still running at its time limit")
                if exited_at is None and self.proc.poll() is not None:
                    exited_at = now
                if exited_at is not None and now - exited_at > 0.5:
                    return Answer(failure="ended", reason=_exit_reason(self.proc.returncode))
                for key, _ in sel.select(timeout=min(0.2, deadline - now)):
                    if key.fd == stdin:
                        try:
                            out = out[os.write(stdin, out):]
                        except (BrokenPipeError, BlockingIOError, OSError):
                            out = out[:0]
                        if not out:
                            sel.unregister(stdin)
                        continue
                    try:
                        block = os.read(self._read_fd, 1 << 16)
                    except BlockingIOError:
                        continue
                    if not block:     # every holder closed it (or the child closed its end)
                        try:
                            code: int | None = self.proc.wait(timeout=0.5)
                        except subprocess.TimeoutExpired:
                            code = None
                        return Answer(failure="ended", reason=_exit_reason(code) if code
                                      is not None else "closed the grader's channel")
                    for line in self._lines(block):
                        data = self._classify(line, nonce)
                        if data is not None and data.get("nonce") == nonce:
                            data.pop("nonce")
                            return Answer(data)

    def _lines(self, block: bytes) -> list[bytes]:
        lines = []
        self._buf += block
        while True:
            end = self._buf.find(b"\n")
            if end < 0:
                break
            line = bytes(self._buf[:end])
            del self._buf[:end + 1]
            if self._skipping:
                self._skipping = False
                continue
            lines.append(line)
        if len(self._buf) > MAX_LINE:      # dropped unread, up to its newline
            self._buf.clear()
            self.malformed += not self._skipping
            self._skipping = True
        return lines

    def _drain(self) -> None:
        """Discard what the child wrote without being asked (read until empty, bounded)."""
        for _ in range(4096):
            try:
                block = os.read(self._read_fd, 1 << 16)
            except (BlockingIOError, OSError):
                break
            if not block:
                break
            for line in self._lines(block):
                self._classify(line)
        self._buf.clear()
        self._skipping = False

    def _classify(self, line: bytes, nonce: str = "") -> dict[str, Any] | None:
        data = _parse(line)
        if data is None:
            self.malformed += bool(line.strip())
        elif not nonce or data.get("nonce") != nonce:
            self.unasked += 1
        return data

    def junk_notes(self) -> list[str]:
        """What the child wrote that the grader ignored, as notes."""
        notes = []
        if self.malformed:
            notes.append(f"ignored {self.malformed} malformed line(s) on the result channel")
        if self.unasked:
            notes.append(f"ignored {self.unasked} line(s) on the result channel that "
                         "answered no question")
        return notes

    def output(self) -> str:
        """The tail of what the child printed, as safe text."""
        if self._log is None:
            return ""
        self._log.seek(0, os.SEEK_END)
        self._log.seek(max(0, self._log.tell() - LOG_TAIL))
        return clean(self._log.read(), LOG_TAIL, keep_newlines=True)

    def close(self) -> list[str]:
        """Kill everything the child started and remove its traces; problems as notes."""
        notes: list[str] = []
        if isinstance(self.proc, Forked):
            self.proc.kill_tree()
            host.kill_all(None, self.uid, self.cgroups)
        elif self.proc is not None:
            host.kill_all(self.proc, self.uid, self.cgroups)
        self._ask_fd = _close(self._ask_fd)
        if self._read_fd >= 0:
            os.close(self._read_fd)
            self._read_fd = -1
        for problem in (host.remove_cgroups(self.cgroups),
                        host.remove_tree(self.workdir) if self.workdir else ""):
            if problem:
                notes.append(problem)
        return notes

    def finish_log(self) -> str:
        text = self.output()
        if self._log is not None:
            self._log.close()
            self._log = None
        return text


def child_env(workdir: str) -> dict[str, str]:
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT") if k in os.environ}
    return {**keep, "HOME": workdir, "TMPDIR": workdir, "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": workdir,
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "CI": "true"}


def _close(fd: int) -> int:
    if fd >= 0:
        os.close(fd)
    return -1


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "unknown"
    if code < 0 or code > 128:
        number = -code if code < 0 else code - 128
        sig = signal.Signals(number).name if number in signal.Signals._value2member_map_ \
            else str(number)
        why = {"SIGKILL": " (killed: memory or time limit?)", "SIGXCPU": " (CPU time limit)",
               "SIGSEGV": " (crashed)"}.get(sig, "")
        return f"killed by {sig}{why}"
    return f"exit code {code} (os._exit in the submission?)"
