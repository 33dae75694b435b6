"""The grader's side of isolation: what the OS offers, cgroups, killing, cleaning up, and
reading files that a submission may have planted.

Nothing here raises for one submission's mess: each function returns what went wrong as
text, so one child cannot stop the class.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import time
from itertools import count

from . import cgroup2

__all__ = ["unshare_prefix", "nproc_limit", "namespaces_work", "extra_namespaces",
           "cgroup_controllers", "make_cgroups", "remove_cgroups", "kill_all", "remove_tree"]

_V1 = "/sys/fs/cgroup"
_serial = count()
EXTRA = ("ipc", "net")     # namespaces beyond mount and PID, each where the machine allows


def unshare_prefix(extra: tuple[str, ...] = ()) -> list[str]:
    """``unshare`` arguments for mount + PID namespaces (a user namespace when not root, and
    ``extra`` ones: "ipc", "net"); the child becomes the namespace's first process, killed
    when ``unshare`` dies."""
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return ["unshare", *user, "--mount", "--pid", *(f"--{e}" for e in extra), "--fork",
            "--kill-child", "--mount-proc", "--propagation", "private"]


@functools.cache
def namespaces_work() -> bool:
    """Whether ``unshare_prefix()`` runs a program here (containers often refuse it)."""
    try:
        return subprocess.run([*unshare_prefix(), "true"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.cache
def extra_namespaces() -> tuple[str, ...]:
    """Which of ``EXTRA`` (its own IPC: no SysV segment or POSIX queue shared with the host
    or a classmate; its own network: nothing but a loopback that is down) work here."""
    found = []
    for name in EXTRA:
        try:
            if subprocess.run([*unshare_prefix((name,)), "true"], capture_output=True,
                              timeout=20).returncode == 0:
                found.append(name)
        except (OSError, subprocess.SubprocessError):
            continue
    return tuple(found)


def nproc_limit() -> int:
    """Processes + threads a child of a non-root grader may add to its user's count (0: do
    not limit). RLIMIT_NPROC counts every task of the user, so the limit is today's count
    plus room; root ignores it, and a spare uid gets a fixed 64."""
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


def _own_path(controller: str) -> str | None:
    """This process's cgroup (v1) for ``controller``."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, names, path = line.rstrip("\n").split(":", 2)
                if controller in names.split(","):
                    return path
    except (OSError, ValueError):
        return None
    return None


@functools.cache
def cgroup_controllers() -> tuple[str, ...]:
    """The cgroup controllers (memory, pids, cpu) the grader may give children (v1, or v2
    through ``cgroup2``)."""
    if os.geteuid() != 0:
        return ()
    if cgroup2.unified():
        return cgroup2.controllers()
    found = []
    for ctrl in ("memory", "pids", "cpu"):
        own = _own_path(ctrl)
        base = os.path.join(_V1, ctrl) + (own or "")
        probe = os.path.join(base, f"gdcourse-probe-{os.getpid()}")
        try:
            os.mkdir(probe)
            os.rmdir(probe)
            found.append(ctrl)
        except OSError:
            continue
    return tuple(found)


def make_cgroups(limits: dict[str, str]) -> list[str]:
    """One fresh cgroup per controller with ``limits`` ("memory.limit_in_bytes": "..."; on
    cgroup v2 one cgroup for all, the names translated), or [] where cgroups are not
    available (the rlimits still apply)."""
    if cgroup2.unified():
        return cgroup2.make(limits) if cgroup_controllers() else []
    made = []
    for ctrl in cgroup_controllers():
        path = os.path.join(_V1, ctrl) + (_own_path(ctrl) or "") + \
            f"/gdcourse-{os.getpid()}-{next(_serial)}"
        try:
            os.mkdir(path)
            made.append(path)
            for name, value in limits.items():
                if name.startswith(ctrl + ".") and os.path.exists(os.path.join(path, name)):
                    with open(os.path.join(path, name), "w") as f:
                        f.write(value)
        except OSError:
            continue
    return made


def _members(path: str) -> list[int]:
    try:
        with open(os.path.join(path, "cgroup.procs")) as f:
            return [int(x) for x in f.read().split()]
    except (OSError, ValueError):
        return []


def remove_cgroups(paths: list[str]) -> str:
    left = []
    for path in paths:
        for _ in range(250):        # the kernel takes a moment to let the killed go
            try:
                os.rmdir(path)
                break
            except OSError:
                for pid in _members(path):
                    _kill(pid)
                time.sleep(0.01)
        else:
            left.append(path)
    return f"could not remove cgroups {left}" if left else ""


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def kill_all(proc: subprocess.Popen[bytes] | None, uid: int, cgroups: list[str]) -> None:
    """Kill the child's group (with it the namespace; ``None``: a zygote's child, killed by
    its zygote already), its cgroups' members and, with a per-child uid, every process
    whose real, effective or saved uid is that uid (a setuid helper, had one run, keeps its
    real uid)."""
    if proc is not None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for path in cgroups:              # cgroup v2 (Linux 5.14+): the kernel kills them all
        if os.path.exists(os.path.join(path, "cgroup.kill")):
            try:
                with open(os.path.join(path, "cgroup.kill"), "w") as f:
                    f.write("1")
            except OSError:
                pass
    for _ in range(3):
        for path in cgroups:
            for pid in _members(path):
                _kill(pid)
        if uid >= 0:
            _kill_uid(uid)
    # Reap nothing else: processes that were ours are reaped by their own parents.


def _kill_uid(uid: int) -> None:
    if not os.path.isdir("/proc"):
        return
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if str(uid) in line.split()[1:4]:
                            _kill(int(entry.name))
                        break
        except OSError:
            continue


def remove_tree(top: str) -> str:
    """Delete ``top`` and everything in it without recursion (any depth) and without
    following links; returns what could not be removed ("" when all went)."""
    try:
        fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return ""
    except OSError as err:
        return f"could not clean up {top}: {err.strerror}"
    names: list[str] = []         # the path from top down to where fd points
    problems = 0
    try:
        while True:
            sub = None
            try:
                entries = list(os.scandir(fd))
            except OSError:
                entries = []
                problems += 1
            for e in entries:
                try:
                    if e.is_dir(follow_symlinks=False):
                        sub = sub or e.name
                    else:
                        os.unlink(e.name, dir_fd=fd)
                except OSError:
                    problems += 1
            if sub is not None:
                try:                  # a non-root child may have left it mode 000
                    os.chmod(sub, 0o700, dir_fd=fd)
                except OSError:
                    pass
                try:
                    child = os.open(sub, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                                    dir_fd=fd)
                except OSError:
                    problems += 1
                    try:
                        os.rmdir(sub, dir_fd=fd)
                    except OSError:
                        return f"could not clean up {top}: {problems} entries left"
                    continue
                os.close(fd)
                fd = child
                names.append(sub)
                continue
            if not names:
                break
            parent = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = parent
            try:
                os.rmdir(names.pop(), dir_fd=fd)
            except OSError:
                return f"could not clean up {top}: {problems + 1} entries left"
    finally:
        os.close(fd)
    try:
        os.rmdir(top)
    except OSError as err:
        return f"could not clean up {top}: {err.strerror}"
    return f"could not clean up {top}: {problems} entries left" if problems else ""
