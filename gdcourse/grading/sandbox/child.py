"""The grader's child process: confine itself, then answer the grader's questions.

Started by ``process.Child`` as ``python -I -c BOOT ANSWER_FD QUESTION_FD`` (under
``unshare`` where available), or forked from a zygote that imported torch already
(``zygote_main.py``). Questions arrive one line at a time on QUESTION_FD, answers go to
ANSWER_FD, each carrying the question's nonce (see ``process.py`` for the conversation);
stdin is /dev/null. The first question is the setup, handled before any student code
exists in the process:

    join the submission's cgroups, lower the rlimits (CPU, file size, core, processes),
    reshape the file system (``confine.reshape``: the judges' folder is empty in its
    view), import torch and the exercise's declaration and probes (never a judge),
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
    """Questions from their own descriptor, answers to another; bound before any student
    code runs, so patching json or os later does not change how the grader is answered."""

    def __init__(self, answers: int, questions: int):
        self.fd, self.questions = answers, questions
        self._write, self._read = os.write, os.read
        self._dumps, self._loads = json.dumps, json.loads
        self._buf = b""

    def receive(self) -> dict[str, Any]:
        while b"\n" not in self._buf:
            block = self._read(self.questions, 1 << 20)
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


def _stdin_from_devnull() -> None:
    """stdin is /dev/null: ``input()`` meets EOF at once instead of waiting on anything."""
    null = os.open(os.devnull, os.O_RDONLY)
    if null != 0:
        os.dup2(null, 0)
        os.close(null)


def _setup(setup: dict[str, Any]) -> list[str]:
    """Everything before student code (see the module docstring); returns the plan's gaps."""
    from . import confine
    from .libc import PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, prctl

    uid = int(setup["uid"])
    if setup.get("cgroups"):
        confine.join_cgroups(setup["cgroups"])
    _set_limits(int(setup["cpu_s"]), int(setup["nproc"]))
    skipped: list[str] = []
    if setup.get("namespaces"):
        # What the interpreter needs, and of the checkout gdcourse runs from only the
        # package itself: its exercises/ (solutions, hidden checks) and .git stay unseen,
        # and of the package the judges' folder is an empty one, as a whole.
        root = os.path.realpath(setup["root"])
        package = os.path.join(root, "gdcourse")
        judges = os.path.join(package, "grading", "judges")
        checkout = os.path.basename(root) not in ("site-packages", "dist-packages")
        needed = [sys.prefix, sys.base_prefix, sys.exec_prefix, package,
                  *(p for p in sys.path if p and os.path.isdir(p)
                    and (os.path.realpath(p) != root or not checkout))]
        ids = (uid, uid) if uid >= 0 else (0, 0)
        skipped = confine.reshape(needed=needed, workdir=setup["workdir"],
                                  hide=[*setup.get("hide", []), *[root] * checkout, judges],
                                  readonly=[package], uid=ids[0], gid=ids[1])
        os.chdir(setup["workdir"])
    import torch

    torch.set_num_threads(1)  # --jobs N runs N children; one thread each keeps them fair
    import matplotlib

    matplotlib.use("Agg")
    from ..registry import declaration

    declaration(setup["exercise"])       # its probes; its judges never come here
    _limit(resource.RLIMIT_AS, _mapped_bytes() + int(setup["memory_mb"]) * 2**20)
    if uid >= 0 or setup.get("namespaces"):
        confine.drop_privileges(uid)
        if setup.get("namespaces"):
            # Dies with the process that made the namespaces (unshare, or the zygote's
            # fork): a new uid cleared that parent-death signal, so it is set again.
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    return skipped


class _IPython:
    """``get_ipython()`` for a script Jupyter exported: magics and shell lines do nothing,
    as in the notebook path, where they become ``pass``."""

    def run_line_magic(self, *args: Any, **kwargs: Any) -> None:
        return None

    run_cell_magic = magic = system = getoutput = run_line_magic


def main(argv: list[str]) -> None:
    try:     # under unshare: a session of its own, so kill(0, ...) cannot reach unshare
        os.setsid()
    except OSError:
        pass   # already a session leader (started without unshare)
    _stdin_from_devnull()
    channel = _Channel(int(argv[0]), int(argv[1]))
    first = channel.receive()
    skipped = _setup(first["setup"])
    os.environ["GDCOURSE_GRADER_CHILD"] = "1"    # check(...) in the submission does nothing
    from ..registry import STANDARD_PROBES, declaration
    from ..runtime import run_cells, run_probe
    from ..wire import from_plain

    probes = {**STANDARD_PROBES, **getattr(declaration(first["setup"]["exercise"]),
                                           "PROBES", {})}
    channel.send(first["nonce"], {"ready": True, "skipped": skipped})

    # The submission runs as a module of its own, so `if __name__ == "__main__":` blocks
    # (training scripts, check calls) stay quiet, as when a notebook is imported.
    module = types.ModuleType("submission")
    ipython = _IPython()
    module.__dict__["display"] = lambda *a, **k: None   # notebooks call display() freely
    module.__dict__["get_ipython"] = lambda: ipython
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
