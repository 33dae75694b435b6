"""cgroup v2 (the unified hierarchy of many Docker and Gradescope hosts): one cgroup per
submission, as ``hostside`` makes them on cgroup v1.

    /sys/fs/cgroup/<grader's cgroup>/              controllers enabled for its children
        gdcourse-<pid>-<n>/                        one child: memory.max, memory.swap.max,
                                                   pids.max, cpu.weight; cgroup.kill
        gdcourse-init/                             where the container's own processes go

cgroup v2 lets a cgroup hand controllers to its children only while no process lives in it
(the root cgroup excepted). So where the grader's cgroup holds processes and is the root of
its cgroup namespace (a container's own cgroup), they are moved into ``gdcourse-init`` once;
anywhere else the grader does not reorganize cgroups it does not own, and there are none.

The limits come in cgroup v1 names (``isolation.Plan.limits``) and are translated here.
"""

from __future__ import annotations

import functools
import os
from itertools import count

__all__ = ["ROOT", "unified", "own_path", "translate", "prepare", "make"]

ROOT = "/sys/fs/cgroup"
WANTED = ("memory", "pids", "cpu")
_serial = count()


def unified(root: str | None = None) -> bool:
    """Whether ``root`` (default ``ROOT``) is a cgroup v2 mount (not v1, not hybrid)."""
    return os.path.isfile(os.path.join(root or ROOT, "cgroup.controllers"))


def own_path(text: str) -> str | None:
    """This process's v2 cgroup from the text of /proc/self/cgroup ("0::/path")."""
    for line in text.splitlines():
        if line.startswith("0::"):
            return line[3:] or "/"
    return None


def translate(limits: dict[str, str]) -> dict[str, str]:
    """cgroup v1 limit names (as ``Plan.limits`` writes them) to v2 ones."""
    out: dict[str, str] = {}
    for name, value in limits.items():
        if name == "memory.limit_in_bytes":
            out["memory.max"] = value
        elif name == "memory.memsw.limit_in_bytes":
            out["memory.swap.max"] = "0"        # memory + swap equal to memory: no swap
        elif name == "pids.max":
            out["pids.max"] = value
        elif name == "cpu.shares":              # v1 default 1024 is v2's default 100
            out["cpu.weight"] = str(max(1, min(10_000, round(int(value) * 100 / 1024))))
    return out


def _read_words(path: str) -> list[str]:
    try:
        with open(path) as f:
            return f.read().split()
    except OSError:
        return []


def _enable(base: str, controllers: list[str]) -> None:
    with open(os.path.join(base, "cgroup.subtree_control"), "w") as f:
        f.write(" ".join(f"+{c}" for c in controllers))


def prepare(root: str, own: str) -> tuple[str, tuple[str, ...]]:
    """(the cgroup under which children are made, the controllers they get); () where
    this machine does not let the grader give any (see the module docstring)."""
    base = os.path.join(root, own.lstrip("/")).rstrip("/") or root
    available = [c for c in WANTED if c in _read_words(os.path.join(base,
                                                                    "cgroup.controllers"))]
    enabled = _read_words(os.path.join(base, "cgroup.subtree_control"))
    missing = [c for c in available if c not in enabled]
    if missing:
        try:
            _enable(base, missing)
        except OSError:
            if own != "/":                    # not a container's own cgroup: not ours
                return base, tuple(c for c in available if c in enabled)
            try:
                _evacuate(base)
                _enable(base, missing)
            except OSError:
                return base, tuple(c for c in available if c in enabled)
    return base, tuple(available)


def _evacuate(base: str) -> None:
    """Move every process of ``base`` into ``base``/gdcourse-init (one leaf for them)."""
    init = os.path.join(base, "gdcourse-init")
    os.makedirs(init, exist_ok=True)
    for pid in _read_words(os.path.join(base, "cgroup.procs")):
        try:
            with open(os.path.join(init, "cgroup.procs"), "w") as f:
                f.write(pid)
        except OSError:
            continue                          # gone meanwhile, or a kernel thread


@functools.cache
def _prepared() -> tuple[str, tuple[str, ...]]:
    try:
        with open("/proc/self/cgroup") as f:
            own = own_path(f.read())
    except OSError:
        own = None
    return prepare(ROOT, own) if own is not None else (ROOT, ())


def controllers() -> tuple[str, ...]:
    """The controllers each submission's cgroup gets here (root only; () for none)."""
    return _prepared()[1] if os.geteuid() == 0 else ()


def make(limits: dict[str, str], *, base: str | None = None) -> list[str]:
    """One fresh cgroup with ``limits`` (v1 names), as a one-element list; [] on failure."""
    base = base if base is not None else _prepared()[0]
    path = os.path.join(base, f"gdcourse-{os.getpid()}-{next(_serial)}")
    try:
        os.mkdir(path)
    except OSError:
        return []
    for name, value in translate(limits).items():
        target = os.path.join(path, name)
        if os.path.exists(target):
            try:
                with open(target, "w") as f:
                    f.write(value)
            except OSError:
                continue
    return [path]
