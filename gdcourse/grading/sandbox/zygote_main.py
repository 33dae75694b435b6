"""The zygote process: torch and the child's modules imported once, then one fork per child.

Started by ``zygote.Zygote`` as ``python -I -c BOOT SOCKET_FD GRADER_PID`` with the
children's stripped environment. It never runs student code nor a torch op (so no thread
pool exists to be lost in a fork; each child sets its own threads), and it is not dumpable,
so no child of the grader's uid can read or patch it. Requests come over a Unix socket,
each fork request with the child's three descriptors:

    grader -> zygote  {"spawn": {...}} + [questions, answers, log]   fork the child
    zygote -> grader  {"pid": P}
    grader -> zygote  {"kill": true}            SIGKILL P (and its group) while unreaped
    zygote -> grader  {"exit": CODE}            P reaped (CODE > 128: killed by CODE - 128)

With namespaces, P does what ``unshare --mount --pid --fork --kill-child --mount-proc
--propagation private`` (plus ``--ipc --net`` where the machine allows them, and ``--user
--map-root-user`` when not root) does for a fresh child: unshare, fork the namespace's
first process (killed when P dies), wait for it and exit with its status. Without
namespaces P is the child itself. Either way the child then runs ``child.main``, exactly
as a freshly started interpreter would: the setup question joins the cgroups, lowers the
limits, reshapes the file system and drops privileges. Its questions come on their own
descriptor; its stdin is /dev/null.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
from typing import Any

from .libc import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUSER,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_REC,
    PR_SET_DUMPABLE,
    PR_SET_PDEATHSIG,
    mount,
    prctl,
    unshare,
)
from .zygote import SETUP_FAILED

__all__ = ["serve", "SETUP_FAILED"]


def _preload() -> None:
    """What every child imports before student code, imported once here (no torch op)."""
    import matplotlib
    import numpy  # noqa: F401
    import torch  # noqa: F401

    matplotlib.use("Agg")

    from .. import registry, runtime, wire  # noqa: F401
    from . import child, confine  # noqa: F401

    # The exercises' declarations and probes only: no judge or oracle is ever imported
    # here, so no fork of this process holds one.
    for ex_id in registry.exercise_ids():
        registry.declaration(ex_id)


def serve(fd: int, grader: int) -> None:
    """The zygote's life: preload, then fork a child per request until the grader goes."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != grader:
        os._exit(0)
    prctl(PR_SET_DUMPABLE, 0)
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
            except BaseException as err:     # said in the child's log, for the grader
                try:
                    for fd in (fds[2], 2):
                        os.write(fd, f"zygote: {type(err).__name__}: {err}\n".encode())
                except OSError:
                    pass
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
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    prctl(PR_SET_DUMPABLE, 1)
    if not spawn["namespaces"]:
        _child(spawn, fds)
    try:
        uid, gid = os.getuid(), os.getgid()
        user = CLONE_NEWUSER if spawn.get("user") else 0
        extra = (CLONE_NEWIPC if spawn.get("ipc") else 0) | (CLONE_NEWNET if spawn.get("net")
                                                             else 0)
        unshare(CLONE_NEWNS | CLONE_NEWPID | user | extra)
        if user:
            for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"),
                               ("gid_map", f"0 {gid} 1")):
                with open(f"/proc/self/{name}", "w") as out:
                    out.write(text)
        mount(None, "/", None, MS_REC | MS_PRIVATE)
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
    questions, result, log = fds
    try:
        if spawn["namespaces"]:
            # The namespace's first process: killed when P dies (P is killed by the grader).
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            mount(None, "/proc", None, MS_REC | MS_PRIVATE)
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV)
        # stdin is /dev/null (input() meets EOF at once); the grader's questions come on
        # their own descriptor, the answers go out on another.
        # First out of the way of 0-4 (a source may sit where another one goes), then in.
        import fcntl

        null = os.open(os.devnull, os.O_RDONLY)
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 16) for fd in (null, log, log, result,
                                                               questions)]
        for target, fd in enumerate(high):
            os.dup2(fd, target)
        os.closerange(5, os.sysconf("SC_OPEN_MAX"))   # the zygote's socket among them
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

    main(["3", "4"])
    os._exit(0)
