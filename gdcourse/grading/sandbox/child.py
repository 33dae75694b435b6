"""The grader's child process: confine itself, then answer the grader's questions.

Started by ``sandbox.Child`` as ``python -I -c BOOT RESULT_FD`` (under ``unshare`` where
available), or forked from a zygote that imported torch already (``zygote_main.py``).
Questions arrive one line at a time on stdin, answers go to RESULT_FD, each carrying the
question's nonce (see ``sandbox.py`` for the conversation). The first
question is the setup, handled before any student code exists in the process:

    join the submission's cgroups, lower the rlimits (CPU, file size, core, processes),
    reshape the file system (``confine.reshape``), import torch and the exercise's probes,
    cap the address space, give up root or every capability, PR_SET_NO_NEW_PRIVS

The limits are set here rather than in a ``preexec_fn`` (unsafe in a grader that starts
children from several threads), with the hard limits lowered too so the submission cannot
raise them back. The child decides nothing: it runs the cells, runs a probe on the inputs
it is given, and sends back what the student's code returned.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import types
from typing import Any

__all__ = ["main"]


def _limit(kind: int, value: int, *, grace: int = 0) -> None:
    """Lower both the soft and the hard limit, so the submission cannot raise them again."""
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value + grace if hard == resource.RLIM_INFINITY
                              else min(value + grace, hard)))


def _mapped_bytes() -> int:
    """Address space in use now (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _set_limits(cpu_s: int, nproc: int) -> None:
    _limit(resource.RLIMIT_CPU, max(1, cpu_s), grace=1)  # SIGXCPU, a second later SIGKILL
    _limit(resource.RLIMIT_FSIZE, 64 * 2**20)            # no file (or log) over 64 MB
    _limit(resource.RLIMIT_CORE, 0)
    if nproc > 0:                                         # processes + threads of this user
        _limit(resource.RLIMIT_NPROC, nproc)
    # A write past RLIMIT_FSIZE should fail with an error in the student's code, not kill us.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


class _Channel:
    """Questions from stdin, answers to the result pipe; bound before any student code
    runs, so patching json or os later does not change how the grader is answered."""

    def __init__(self, fd: int):
        self.fd, self._write, self._read = fd, os.write, os.read
        self._dumps, self._loads = json.dumps, json.loads
        self._buf = b""

    def receive(self) -> dict[str, Any]:
        while b"\n" not in self._buf:
            block = self._read(0, 1 << 20)
            if not block:
                os._exit(0)                # the grader is gone
            self._buf += block
        line, _, self._buf = self._buf.partition(b"\n")
        message = self._loads(line)
        return message if isinstance(message, dict) else {}

    def send(self, nonce: str, record: dict[str, Any]) -> None:
        data = (self._dumps({**record, "nonce": nonce}, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[self._write(self.fd, view):]


def _setup(setup: dict[str, Any]) -> list[str]:
    """Everything before student code (see the module docstring); returns the plan's gaps."""
    from . import confine

    uid = int(setup["uid"])
    if setup.get("cgroups"):
        confine.join_cgroups(setup["cgroups"])
    _set_limits(int(setup["cpu_s"]), int(setup["nproc"]))
    skipped: list[str] = []
    if setup.get("namespaces"):
        # What the interpreter needs, and of the checkout gdcourse runs from only the
        # package itself: its exercises/ (solutions, hidden checks) and .git stay unseen.
        root = os.path.realpath(setup["root"])
        package = os.path.join(root, "gdcourse")
        checkout = os.path.basename(root) not in ("site-packages", "dist-packages")
        needed = [sys.prefix, sys.base_prefix, sys.exec_prefix, package,
                  *(p for p in sys.path if p and os.path.isdir(p)
                    and (os.path.realpath(p) != root or not checkout))]
        ids = (uid, uid) if uid >= 0 else (0, 0)
        skipped = confine.reshape(needed=needed, workdir=setup["workdir"],
                                  hide=[*setup.get("hide", []), *[root] * checkout],
                                  readonly=[package], uid=ids[0], gid=ids[1])
        os.chdir(setup["workdir"])
    import torch

    torch.set_num_threads(1)  # --jobs N runs N children; one thread each keeps them fair
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    from .registry import EXERCISES

    importlib.import_module(f".{EXERCISES[setup['exercise']]}", __package__)
    if setup.get("namespaces"):
        # Imported now; the oracles' and judges' source (and its bytecode) goes blank in
        # this child's view, so importlib.reload or exec of the file gives nothing back.
        here = os.path.dirname(os.path.abspath(__file__))
        cache = os.path.join(here, "__pycache__")
        confine.blank_files(
            [os.path.join(here, f) for f in sorted(os.listdir(here))
             if f.startswith(("checks_", "compare")) and f.endswith(".py")]
            + [os.path.join(cache, f) for f in
               (sorted(os.listdir(cache)) if os.path.isdir(cache) else [])
               if f.startswith(("checks_", "compare"))])
    _limit(resource.RLIMIT_AS, _mapped_bytes() + int(setup["memory_mb"]) * 2**20)
    if uid >= 0 or setup.get("namespaces"):
        confine.drop_privileges(uid)
        if setup.get("namespaces"):
            # Dies with the process that made the namespaces (unshare, or the zygote's
            # fork): a new uid cleared that parent-death signal, so it is set again.
            confine._libc.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:
        confine._libc.prctl(confine.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    return skipped


def _disarm_oracles() -> None:
    """Take the grader's oracles and judges out of the grading modules this process loaded.

    The checks modules keep them beside the probes the child runs, and the child never
    calls one; so a submission that reaches for them past the policy's static reading
    (``importlib``, ``__import__``: only flagged) finds nothing to call.
    """
    from .registry import Exercise

    for name, mod in list(sys.modules.items()):
        if mod is None or not name.startswith(f"{__package__}."):
            continue
        for attr in [a for a in vars(mod) if a.startswith("oracle") or a == "CHECKS"]:
            delattr(mod, attr)
        ex = getattr(mod, "EXERCISE", None)
        if isinstance(ex, Exercise):   # its probes stay (the same dict main() runs), no judges
            vars(mod)["EXERCISE"] = Exercise(ex.id, ex.title, ex.tasks, [], ex.probes)


def main(argv: list[str]) -> None:
    try:     # under unshare: a session of its own, so kill(0, ...) cannot reach unshare
        os.setsid()
    except OSError:
        pass   # already a session leader (started without unshare)
    channel = _Channel(int(argv[0]))
    first = channel.receive()
    skipped = _setup(first["setup"])
    os.environ["GDCOURSE_GRADER_CHILD"] = "1"    # check(...) in the submission does nothing
    import importlib

    from .registry import EXERCISES
    from .runtime import run_cells, run_probe
    from .wire import from_plain

    checks = importlib.import_module(f".{EXERCISES[first['setup']['exercise']]}", __package__)
    probes = checks.EXERCISE.probes
    _disarm_oracles()
    channel.send(first["nonce"], {"ready": True, "skipped": skipped})

    # The submission runs as a module of its own, so `if __name__ == "__main__":` blocks
    # (training scripts, check calls) stay quiet, as when a notebook is imported.
    module = types.ModuleType("submission")
    module.__dict__["display"] = lambda *a, **k: None   # notebooks call display() freely
    sys.modules["submission"] = module
    while True:
        question = channel.receive()
        nonce = question.pop("nonce", "")
        if "cells" in question:
            problems = run_cells(question["cells"], module.__dict__,
                                 limit=question["limit"])
            channel.send(nonce, {"problems": problems})
        elif "probe" in question:
            record = run_probe(probes[question["probe"]], module.__dict__,
                               from_plain(question["inputs"]), limit=question["limit"])
            channel.send(nonce, record)
        else:
            break
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip atexit hooks the submission may have registered
