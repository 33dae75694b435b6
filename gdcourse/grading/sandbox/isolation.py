"""How children are boxed in on this machine, decided once per grading run and said plainly.

    Plan.choose("auto")  ->  the strongest mode this machine gives:

    root, unshare works      per-child uid + mount/PID (+ IPC, network) namespaces
                             (+ cgroups where writable)
    root, no unshare         per-child uid (+ cgroups)
    not root, unshare works  user + mount/PID namespaces (same uid outside, no capabilities)
    not root, no unshare     nothing beyond rlimits and a fresh directory

Before grading, :func:`preflight` runs one honest child through the chosen mode: a function
that imports statistics, fractions, decimal and matplotlib.pyplot *at call time*. Where
that fails (Python under a directory the spare uid cannot read, and no namespaces to fix
it), the grader steps down to a weaker mode and tells the instructor, rather than zeroing
every student who imports at call time.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field, replace

from .. import wire
from ..registry import call
from ..safetext import clean
from . import host
from .process import Child
from .zygote import Zygote

__all__ = ["Plan", "preflight", "child_uid", "honest_child_problem"]

# Children of a root grader run as uids no account uses, one per child.
_UID_BASE = 1_900_000_000
_uids = itertools.count()


def child_uid() -> int:
    """A uid no account uses, distinct for every child of every grader running at once
    (graders are told apart by their pid), since a uid's processes are killed after use."""
    return _UID_BASE + (os.getpid() % 100_000) * 1000 + next(_uids) % 1000


@dataclass(frozen=True)
class Plan:
    """The isolation of every child of one grading run, and what it cannot isolate."""

    by_uid: bool = False
    namespaces: bool = False
    extra: tuple[str, ...] = ()        # namespaces beyond mount and PID: "ipc", "net"
    cgroups: tuple[str, ...] = ()
    notices: tuple[str, ...] = field(default_factory=tuple)

    @staticmethod
    def choose(isolate: str) -> Plan:
        root = os.geteuid() == 0
        if isolate == "none":
            return Plan(notices=(_GAPS["none"],))
        ns = host.namespaces_work()
        extra = host.extra_namespaces() if ns else ()
        return Plan(by_uid=root, namespaces=ns, extra=extra, cgroups=host.cgroup_controllers(),
                    notices=tuple(_gaps(root, ns, host.cgroup_controllers(), extra)))

    def with_notice(self, text: str) -> Plan:
        return replace(self, notices=(*self.notices, text))

    def describe(self) -> str:
        parts = (["a spare uid per child"] * self.by_uid
                 + [" and ".join(["mount", "PID", *(e.upper() for e in self.extra)])
                    + " namespaces"] * self.namespaces
                 + [f"cgroups ({', '.join(self.cgroups)})"] * bool(self.cgroups))
        return "isolation: " + (", ".join(parts) or "rlimits and a fresh directory only")

    def limits(self, memory_mb: int) -> dict[str, str]:
        # Memory of every process of the submission together: what torch needs, plus
        # --memory. Processes + threads together: enough for torch, not for a fork bomb.
        return {"memory.limit_in_bytes": str((memory_mb + 768) * 2**20),
                "memory.memsw.limit_in_bytes": str((memory_mb + 768) * 2**20),
                "pids.max": "96", "cpu.shares": "1024"}


_GAPS = {
    "none": "isolation none: each submission runs as the grader's own user, so it can read "
            "the hidden checks and classmates' files, signal the grader and change gdcourse "
            "(the run is voided when gdcourse's files change); grade as root in a container "
            "for real isolation",
    "no-ns": "no mount/PID namespaces (unshare is refused here): a child sees the whole file "
             "system its uid may read and every process",
    "same-uid": "not root: children run under the grader's uid (in their own user, mount "
                "and PID namespaces), so files that uid may write outside the child's view "
                "are not protected",
    "no-ipc": "no IPC namespace here: children share the host's System V shared memory, "
              "semaphores and message queues, a channel between classmates",
    "no-net": "no network namespace here: children can reach the network and listeners on "
              "this machine's loopback",
    "no-cgroups": "no cgroups: memory and process limits are per process (rlimits), not per "
                  "submission",
}


def _gaps(root: bool, ns: bool, cgroups: tuple[str, ...],
          extra: tuple[str, ...] = ()) -> list[str]:
    gaps = []
    if not ns:
        gaps.append(_GAPS["none"] if not root else _GAPS["no-ns"])
    elif not root:
        gaps.append(_GAPS["same-uid"])
    if ns and "ipc" not in extra:
        gaps.append(_GAPS["no-ipc"])
    if ns and "net" not in extra:
        gaps.append(_GAPS["no-net"])
    if not cgroups:
        gaps.append(_GAPS["no-cgroups"])
    return gaps


PROBE_CELL = """
def mse(preds, targets):
    import decimal, fractions, statistics
    import matplotlib.pyplot as plt
    import numpy, torch
    plt.figure().clf()
    return float(statistics.mean([1, 3])) + float(fractions.Fraction(1, 2)) \\
        + float(decimal.Decimal("0.5")) - 2.0
"""


def honest_child_problem(plan: Plan, zygote: Zygote | None = None) -> str:
    """"" when an honest call-time import works under ``plan`` (in a child forked from
    ``zygote`` when given), else what went wrong."""
    child = Child(uid=child_uid() if plan.by_uid else -1, namespaces=plan.namespaces,
                  extra=plan.extra, cgroup_limits=plan.limits(2048) if plan.cgroups else {},
                  zygote=zygote)
    deadline = time.monotonic() + 120
    try:
        ready = child.start({"exercise": "01", "memory_mb": 2048, "cpu_s": 120,
                             "nproc": 64 if plan.by_uid else 0, "root": _ROOT,
                             "namespaces": plan.namespaces, "hide": []}, deadline)
        if child.fallback:
            return clean(f"the zygote could not fork it: {child.fallback}")
        if ready.data is None:
            return clean(f"the child did not start ({ready.reason}): {child.output()[-300:]}")
        cells = child.ask({"cells": [PROBE_CELL], "limit": 60}, deadline)
        answer = child.ask({"probe": "call", "limit": 60,
                            "inputs": wire.to_plain(call("mse", 0, 0))}, deadline)
        data = answer.data or {}
        if data.get("status") == "ok" and data.get("out") == 1.0 and cells.data is not None:
            return ""
        return clean(data.get("message") or answer.reason or "no answer")
    finally:
        child.close()
        child.finish_log()


_ROOT = str(__import__("pathlib").Path(__file__).resolve().parents[3])
_checked: dict[Plan, Plan] = {}


def preflight(plan: Plan) -> Plan:
    """``plan`` if an honest submission can import what it may under it, else the strongest
    weaker plan that can, with notices saying why (checked once per process)."""
    if plan in _checked:
        return _checked[plan]
    candidates = [plan]
    if plan.namespaces:
        candidates.append(replace(plan, namespaces=False, extra=(),
                                  notices=(*plan.notices, _GAPS["no-ns"])))
    if plan.by_uid or plan.namespaces:
        candidates.append(Plan(notices=(_GAPS["none"],)))
    failures: list[str] = []
    chosen = plan
    for candidate in candidates:
        problem = honest_child_problem(candidate)
        if not problem:
            chosen = candidate
            break
        failures.append(f"an honest submission that imports statistics, fractions, decimal "
                        f"and matplotlib.pyplot at call time fails under {candidate.describe()}"
                        f" ({problem}); stepping down rather than failing every student")
    chosen = replace(chosen, notices=(*chosen.notices, *failures))
    _checked[plan] = chosen
    return chosen
