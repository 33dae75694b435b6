"""The grader's child process: limit itself, run the submission, probe it, stream records.

Started by ``runner.py`` as ``python -I -c BOOT RESULT_FD MEMORY_MB CPU_S NPROC UID`` in a
fresh empty working directory. With UID >= 0 (the grader runs as root) the child gives up
root for that otherwise unused uid before any student code runs, so it cannot signal the
grader or other children, nor write files it does not own. The request (cells, probes,
inputs) arrives on stdin; one JSON line per event goes to RESULT_FD, a pipe only the
grader reads:

    {"event": "started"}
    {"event": "cells", "problems": [{"cell": 3, "message": "NameError: ..."}]}
    {"event": "begin", "id": 0}                                     # before each check
    {"event": "result", "id": 0, "status": "ok", "out": ...}      # one per check
    {"event": "done"}

The limits are set here rather than in a ``preexec_fn`` (unsafe in a grader that starts
children from several threads): CPU, file size, core and process limits first thing, the
address-space limit once torch is imported (so a CUDA build's gigabytes of mapped libraries
do not count), and all of them before any student code runs, with the hard limit lowered
too so the submission cannot raise them back.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import types

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


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at what torch needed to load plus ``memory_mb``: a CUDA build
    of torch maps gigabytes of libraries, which must not count against the student."""
    _limit(resource.RLIMIT_AS, _mapped_bytes() + memory_mb * 2**20)


def _set_limits(cpu_s: int, nproc: int) -> None:
    _limit(resource.RLIMIT_CPU, max(1, cpu_s), grace=1)  # SIGXCPU, a second later SIGKILL
    _limit(resource.RLIMIT_FSIZE, 64 * 2**20)            # no file (or log) over 64 MB
    _limit(resource.RLIMIT_CORE, 0)
    if nproc > 0:                                         # processes + threads of this user
        _limit(resource.RLIMIT_NPROC, nproc)
    # A write past RLIMIT_FSIZE should fail with an error in the student's code, not kill us.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


class _Channel:
    """Line-oriented writes to the result pipe (kept private from the submission's stdout)."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, record: dict) -> None:
        data = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]


def _drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("could not give up root")


def main(argv: list[str]) -> None:
    result_fd, memory_mb, cpu_s, nproc, uid = (int(a) for a in argv[:5])
    _set_limits(cpu_s, nproc)
    request = json.loads(sys.stdin.buffer.read())
    channel = _Channel(result_fd)
    os.environ["GDCOURSE_GRADER_CHILD"] = "1"    # check(...) in the submission does nothing

    import torch

    torch.set_num_threads(1)  # --jobs N runs N children; one thread each keeps them fair
    import importlib

    from .registry import EXERCISES
    from .runtime import run_cells, run_probe
    from .wire import from_plain

    checks = importlib.import_module(f".{EXERCISES[request['exercise']]}", __package__)
    _limit_memory(memory_mb)
    if uid >= 0:
        _drop_privileges(uid)
    channel.send({"event": "started"})

    # The submission runs as a module of its own, so `if __name__ == "__main__":` blocks
    # (training scripts, check calls) stay quiet, as when a notebook is imported.
    module = types.ModuleType("submission")
    module.__dict__["display"] = lambda *a, **k: None   # notebooks call display() freely
    sys.modules["submission"] = module
    problems = run_cells(request["cells"], module.__dict__, limit=request["cell_limit"])
    channel.send({"event": "cells", "problems": problems})

    for call in request["calls"]:
        channel.send({"event": "begin", "id": call["id"]})
        probe = checks.EXERCISE.probes[call["probe"]]
        record = run_probe(probe, module.__dict__, from_plain(call["inputs"]),
                           limit=call["limit"])
        channel.send({"event": "result", "id": call["id"], **record})
    channel.send({"event": "done"})
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip atexit hooks the submission may have registered
