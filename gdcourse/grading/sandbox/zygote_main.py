"""The zygote process: torch and the child's modules imported once, then one fork per child.

Started by ``zygote.Zygote`` as ``python -I -c BOOT SOCKET_FD GRADER_PID`` with the
children's stripped environment. It never runs student code nor a torch op (so no thread
pool exists to be lost in a fork; each child sets its own threads), and it is not dumpable,
so no child of the grader's uid can read or patch it. Requests come over a Unix socket,
each fork request with the child's three descriptors:

    grader -> zygote  {"spawn": {...}} + [stdin, result pipe, log]   fork the child
    zygote -> grader  {"pid": P}
    grader -> zygote  {"kill": true}            SIGKILL P (and its group) while unreaped
    zygote -> grader  {"exit": CODE}            P reaped (CODE > 128: killed by CODE - 128)

With namespaces, P does what ``unshare --mount --pid --fork --kill-child --mount-proc
--propagation private`` (plus ``--user --map-root-user`` when not root) did for a fresh
child: unshare, fork the namespace's first process (killed when P dies), wait for it and
exit with its status. Without namespaces P is the child itself. Either way the child then
runs ``child.main``, exactly as a freshly started interpreter would: the setup question
joins the cgroups, lowers the limits, reshapes the file system and drops privileges.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import json
import os
import select
import signal
import socket
import sys
from typing import Any

from .zygote import SETUP_FAILED

__all__ = ["serve", "SETUP_FAILED"]

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _preload() -> None:
    """What every child imports before student code, imported once here (no torch op)."""
    import matplotlib
    import numpy  # noqa: F401
    import torch  # noqa: F401

    matplotlib.use("Agg")

    from . import child, confine, runtime, wire  # noqa: F401
    from .registry import EXERCISES

    for name in EXERCISES.values():
        importlib.import_module(f".{name}", __package__)


def serve(fd: int, grader: int) -> None:
    """The zygote's life: preload, then fork a child per request until the grader goes."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != grader:
        os._exit(0)
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    sock = socket.socket(fileno=fd)
    _preload()
    sock.send(json.dumps({"ready": True, "threads": len(os.listdir("/proc/self/task")),
                          "fds": sorted(int(f) for f in os.listdir("/proc/self/fd"))}
                         ).encode())
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 1 << 16, 3)
        except OSError:
            os._exit(0)
        if not msg:
            os._exit(0)            # the grader is gone
        request = json.loads(msg)
        if "spawn" not in request or len(fds) != 3:
            for f in fds:
                os.close(f)
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                sock.close()
                _first(request["spawn"], fds)
            finally:
                os._exit(SETUP_FAILED)
        for f in fds:
            os.close(f)
        sock.send(json.dumps({"pid": pid}).encode())
        _watch(sock, pid)


def _watch(sock: socket.socket, pid: int) -> None:
    """Until ``pid`` is reaped: kill it when asked; then report its exit code."""
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    watched: list[Any] = [sock, *([pidfd] if pidfd is not None else [])]
    while True:
        ready = select.select(watched, [], [], None if pidfd is not None else 0.02)[0]
        if sock in ready:
            data = sock.recv(1 << 16)
            if not data or b"kill" in data:
                _kill(pid)            # not reaped yet, so the pid is still this child's
            if not data:
                os.waitpid(pid, 0)
                os._exit(0)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            if pidfd is not None:
                os.close(pidfd)
            code = os.waitstatus_to_exitcode(status)
            sock.send(json.dumps({"exit": code if code >= 0 else 128 - code}).encode())
            return


def _kill(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _first(spawn: dict[str, Any], fds: list[int]) -> None:
    """P: a session of its own, dies with the zygote; with namespaces, unshare and fork."""
    os.setsid()
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    if not spawn["namespaces"]:
        _child(spawn, fds)
    try:
        uid, gid = os.getuid(), os.getgid()
        user = CLONE_NEWUSER if spawn.get("user") else 0
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | user), "unshare")
        if user:
            for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"),
                               ("gid_map", f"0 {gid} 1")):
                with open(f"/proc/self/{name}", "w") as out:
                    out.write(text)
        _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount /")
    except OSError as err:
        os.write(fds[2], f"zygote: cannot make namespaces: {err}\n".encode())
        os._exit(SETUP_FAILED)
    first = os.fork()
    if first == 0:
        _child(spawn, fds)
    for f in fds:
        os.close(f)
    while True:
        try:
            _, status = os.waitpid(first, 0)
            break
        except ChildProcessError:
            os._exit(SETUP_FAILED)
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def _forget_matplotlib_dirs() -> None:
    """matplotlib remembers the config folder it saw at import (the zygote's); the child's
    is its own MPLCONFIGDIR, as in a fresh interpreter."""
    import matplotlib

    for name, fmt in (("get_configdir", "CONFIGDIR=%s"), ("get_cachedir", "CACHEDIR=%s")):
        found = getattr(getattr(matplotlib, name, None), "__wrapped__", None)
        cached = getattr(matplotlib, "_logged_cached", None)
        if found is not None and cached is not None:
            setattr(matplotlib, name, cached(fmt, found))


def _child(spawn: dict[str, Any], fds: list[int]) -> None:
    """The child: its descriptors, /proc, directory, environment; then ``child.main``."""
    stdin, result, log = fds
    try:
        if spawn["namespaces"]:
            # The namespace's first process: killed when P dies (P is killed by the grader).
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            _check(_libc.mount(b"none", b"/proc", None, MS_REC | MS_PRIVATE, None),
                   "mount /proc private")
            _check(_libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NOEXEC | MS_NODEV,
                               None), "mount proc")
        os.dup2(stdin, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.dup2(result, 3)
        os.closerange(4, os.sysconf("SC_OPEN_MAX"))   # the zygote's socket among them
        os.chdir(spawn["workdir"])
    except OSError as err:
        os.write(log, f"zygote: cannot start the child: {err}\n".encode())
        os._exit(SETUP_FAILED)
    os.environ.clear()
    os.environ.update(spawn["env"])
    import tempfile

    import numpy

    tempfile.tempdir = None               # found again from the child's TMPDIR
    _forget_matplotlib_dirs()
    numpy.random.seed()  # noqa: NPY002  as fresh as a new interpreter's global RNG (random
    sys.argv = ["-c", "3"]               # reseeds itself at fork)
    from .child import main

    main(["3"])
    os._exit(0)
