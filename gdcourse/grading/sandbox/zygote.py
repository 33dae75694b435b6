"""Pre-imported parents of the grader's children: torch is imported once per job slot, not
once per submission.

    with Pool(jobs) as pool:                 # one zygote per slot, started at once
        with pool.slot() as zygote:          # this thread's zygote (or None: start fresh)
            Child(..., zygote=zygote).start(setup, deadline)

A zygote (``zygote_main``) is ``python -I`` with torch, numpy and the grading modules
imported and nothing else: no student code runs in it and it is the parent of nothing a
student controls except through a fresh fork, whose child then sets itself up exactly as a
freshly started child does (same setup question, same limits, namespaces, uid, cgroups).
A zygote that died (a submission of the grader's own uid can kill it) is replaced on next
use; where a replacement cannot start, that slot starts fresh interpreters again. The
zygotes die with the pool, with the grader (their parent-death signal) and when the grader
closes their socket.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from . import host

__all__ = ["Zygote", "Forked", "Pool", "SETUP_FAILED"]

_BOOT = ("import sys; sys.path.insert(0, {root!r}); "
         "from gdcourse.grading.sandbox.zygote_main import serve; serve(int(sys.argv[1]), "
         "int(sys.argv[2]))")
_ROOT = str(Path(__file__).resolve().parents[3])
START_TIMEOUT = 120.0
SETUP_FAILED = 71       # exit code: a zygote's fork could not box the child in (see its log)


class Forked:
    """A child forked by a zygote, answering the part of ``subprocess.Popen`` that
    ``sandbox.Child`` uses; its exit code comes from the zygote that reaps it."""

    def __init__(self, zygote: Zygote, pid: int):
        self.zygote, self.pid = zygote, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.wait(0.0, raise_timeout=False)

    def wait(self, timeout: float | None = None, *, raise_timeout: bool = True) -> int | None:
        end = time.monotonic() + (timeout if timeout is not None else 1e9)
        while self.returncode is None:
            message = self.zygote.receive(max(0.0, end - time.monotonic()))
            if message is None and not self.zygote.alive():
                self.returncode = 128 + 9     # P died with its zygote (parent-death signal)
            elif message is not None and isinstance(message.get("exit"), int):
                self.returncode = message["exit"]
            elif time.monotonic() >= end:
                if raise_timeout:
                    raise subprocess.TimeoutExpired("zygote child", timeout or 0.0)
                return None
        return self.returncode

    def kill_tree(self) -> None:
        """SIGKILL P (its namespace's first process dies with it) and wait for the reap."""
        if self.returncode is None:
            self.zygote.send({"kill": True})
            try:
                self.wait(5.0)
            except subprocess.TimeoutExpired:
                self.zygote.close()       # P then dies of its parent-death signal


class Zygote:
    """One zygote process and the socket to it (see the module docstring)."""

    def __init__(self, env: dict[str, str]):
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._log = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOT.format(root=_ROOT), str(theirs.fileno()),
                 str(os.getpid())], stdin=subprocess.DEVNULL, stdout=self._log,
                stderr=subprocess.STDOUT, cwd="/", env=env, pass_fds=(theirs.fileno(),),
                start_new_session=True)
        finally:
            theirs.close()
        self.problem = ""
        self.started = False          # ready once; a started zygote that died is replaced

    def ready(self, deadline: float) -> bool:
        """Wait (until ``deadline``) for the imports; False, with ``problem``, if it failed."""
        if self.started or self.problem:
            return self.started and self.alive()
        message = self.receive(max(0.0, deadline - time.monotonic()))
        if message is None or message.get("ready") is not True:
            self.problem = "it did not start: " + self.log_tail()
        elif message.get("threads") != 1:
            self.problem = f"it runs {message.get('threads')} threads after importing torch"
        else:
            self.started = True
        if self.problem:
            self.close()
        return self.started

    def alive(self) -> bool:
        return self.proc.poll() is None and not self._sock._closed  # type: ignore[attr-defined]

    def spawn(self, spawn: dict[str, Any], fds: tuple[int, int, int],
              deadline: float) -> Forked | str:
        """Fork a child given ``fds`` (its question pipe, answer pipe and log; the caller
        closes its copies); or why the zygote could not."""
        if not self.ready(deadline):
            return self.problem or "it is gone"
        try:
            socket.send_fds(self._sock, [json.dumps({"spawn": spawn}).encode()],
                            list(fds))
        except OSError as err:
            self.problem = f"it is gone ({err.strerror})"
            return self.problem
        answer = self.receive(max(0.0, deadline - time.monotonic()))
        if answer is None or not isinstance(answer.get("pid"), int):
            self.problem = "it did not fork: " + self.log_tail()
            self.close()
            return self.problem
        return Forked(self, answer["pid"])

    def send(self, message: dict[str, Any]) -> None:
        try:
            self._sock.send(json.dumps(message).encode())
        except OSError:
            pass

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The zygote's next message, or None (nothing within ``timeout``, or it is gone)."""
        try:
            if not select.select([self._sock], [], [], timeout)[0]:
                return None
            data = self._sock.recv(1 << 16)
        except (OSError, ValueError):
            return None
        if not data:
            self._sock.close()
            return None
        message = json.loads(data)
        return message if isinstance(message, dict) else None

    def log_tail(self) -> str:
        self._log.seek(0, os.SEEK_END)
        self._log.seek(max(0, self._log.tell() - 300))
        return self._log.read().decode(errors="replace").strip() or "no output"

    def close(self) -> None:
        self._sock.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._log.close()


class Pool:
    """``size`` zygotes, one per job slot; each thread borrows one with :meth:`slot`."""

    def __init__(self, size: int, env_for: Callable[[str], dict[str, str]]):
        # The zygotes' HOME and TMPDIR: a folder of their own, removed with the pool.
        self._home = tempfile.mkdtemp(prefix="gdcourse-zygote-")
        self.env = env_for(self._home)
        self.fallback = ""            # why children start fresh again, when they do
        self._free: queue.Queue[Zygote] = queue.Queue()
        for _ in range(size):
            self._free.put(Zygote(self.env))

    @contextlib.contextmanager
    def slot(self) -> Iterator[Zygote | None]:
        zygote = self._free.get()
        try:
            if self.fallback:                     # disabled: fresh interpreters only
                yield None
                return
            if zygote.started and not zygote.alive():
                zygote.close()
                zygote = Zygote(self.env)         # it died: a fresh one for this slot,
                zygote.ready(time.monotonic() + START_TIMEOUT)   # ready before the clock
                                                  # of the next submission starts
            if zygote.problem and not zygote.started and not self.fallback:
                self.fallback = zygote.problem
            yield None if zygote.problem and not zygote.started else zygote
        finally:
            self._free.put(zygote)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def disable(self, why: str) -> None:
        """Every slot starts fresh interpreters from now on (``why`` says why)."""
        self.fallback = why
        for _ in range(self._free.qsize()):
            zygote = self._free.get()
            zygote.close()
            zygote.problem = why
            self._free.put(zygote)

    def close(self) -> None:
        while not self._free.empty():
            self._free.get().close()
        host.remove_tree(self._home)
