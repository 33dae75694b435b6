"""The student's side of a check: run code cells and probes, turn every outcome into a record.

Used in two places that must agree exactly: the grader's child process (``child.py``) and
``check(...)`` in a notebook. A record is plain data::

    {"status": "ok", "out": <plain answer>}
    {"status": "not attempted", "message": "linear"}      # NotImplementedError
    {"status": "missing" | "error" | "timeout", "message": "..."}

Nothing here decides a score; the judges do that from the records.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import traceback
from collections.abc import Callable

from .registry import Missing
from .wire import WireError, to_plain

__all__ = ["TimeLimit", "time_limit", "run_cells", "run_probe"]


class TimeLimit(BaseException):
    """Raised inside student code when its time is up (a BaseException, so a plain
    ``except Exception`` in the submission does not swallow it)."""


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Interrupt the block after ``seconds`` with TimeLimit (main thread, Unix only;
    elsewhere the block runs unlimited and the grader's wall clock still applies)."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def _raise(signum, frame):
        raise TimeLimit(f"took longer than {seconds:g} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def where(err: BaseException) -> str:
    """Where in the student's code ``err`` came from: ' (cell 3, line 7 in fit_linear)'."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if "gdcourse" not in f.filename.replace("\\", "/").split("/")[-3:-1]
              or f.filename.startswith("<cell")]
    if not frames:
        return ""
    f = frames[-1]
    cell = f.filename[1:-1] + ", " if f.filename.startswith("<cell") else ""
    return f" ({cell}line {f.lineno} in {f.name})"


def _error_text(err: BaseException) -> str:
    if isinstance(err, SystemExit):
        return f"called sys.exit({err.code!r})"
    if isinstance(err, MemoryError):
        return "ran out of memory (MemoryError)" + where(err)
    message = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
    return f"{type(err).__name__}: {message}".rstrip(": ") + where(err)


def _not_attempted_in(err: BaseException) -> str:
    """The (qualified) name of the function that raised: 'Adam.__init__'."""
    tb = err.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return getattr(code, "co_qualname", code.co_name)


def run_cells(cells: list[str], ns: dict, *, limit: float | None) -> list[dict]:
    """Execute each code cell in ``ns``; a failing cell is recorded and the next one runs
    (so one typo does not cost every task). Returns one record per failing cell."""
    problems = []
    for i, source in enumerate(cells, start=1):
        try:
            code = compile(source, f"<cell {i}>", "exec")
            with time_limit(limit):
                exec(code, ns)
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # SystemExit and TimeLimit too: keep going
            problems.append({"cell": i, "message": _error_text(err)})
    return problems


def run_probe(probe: Callable, ns: dict, inputs: dict, *, limit: float | None,
              interactive: bool = False) -> dict:
    """Run ``probe(ns, **inputs)`` and return its record (see the module docstring)."""
    try:
        with time_limit(limit):
            out = probe(ns, **inputs)
            return {"status": "ok", "out": to_plain(out)}
    except NotImplementedError as err:
        return {"status": "not attempted", "message": _not_attempted_in(err)}
    except Missing as err:
        return {"status": "missing", "message": str(err)}
    except TimeLimit as err:
        return {"status": "timeout", "message": str(err)}
    except WireError as err:
        return {"status": "error", "message": f"the answer cannot be graded: {err}"}
    except KeyboardInterrupt:
        if interactive:
            raise
        return {"status": "error", "message": "interrupted"}
    except BaseException as err:
        return {"status": "error", "message": _error_text(err)}
    finally:
        sys.stdout.flush()
