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
import linecache
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


WALL_FACTOR = 3     # a check may wait (sleep, I/O) this many times its CPU limit, plus 2 s


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Interrupt the block with TimeLimit after ``seconds`` of CPU time of this process (so
    a busy machine does not cost a student the check) or ``WALL_FACTOR * seconds + 2`` s of
    wall time, whichever comes first (main thread, Unix only; elsewhere the block runs
    unlimited and the grader's own clock still applies)."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return
    assert seconds is not None

    def _cpu(signum, frame):
        raise TimeLimit(f"used more than {seconds:g} s of CPU time")

    def _wall(signum, frame):
        raise TimeLimit(f"took longer than {WALL_FACTOR * seconds + 2:g} s")

    old = signal.signal(signal.SIGALRM, _wall), signal.signal(signal.SIGPROF, _cpu)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, WALL_FACTOR * seconds + 2)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGALRM, old[0])
        signal.signal(signal.SIGPROF, old[1])


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
    """One line about ``err``; never raises, whatever its ``__str__`` or class does."""
    try:
        name = str(type(err).__name__)[:80]
    except BaseException:
        name = "an exception"
    try:
        if isinstance(err, SystemExit):
            return f"called sys.exit({str(err.code)[:80]})"
        if isinstance(err, MemoryError):
            return "ran out of memory (MemoryError)" + where(err)
        if isinstance(err, EOFError):
            return ("input() has no keyboard here: the grader runs your code with no "
                    "input, so it met the end of input (EOFError)" + where(err))
        text = str(err)
        if not isinstance(text, str):
            raise TypeError
        text = text.strip()
        message = text.splitlines()[0][:200] if text else ""
    except BaseException:
        message = "(its message could not be read)"
    try:
        place = where(err)
    except BaseException:
        place = ""
    return f"{name}: {message}".rstrip(": ") + place


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
        name = f"<cell {i}>"
        # Kept where inspect and tracebacks look for source, as IPython keeps its cells.
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        try:
            code = compile(source, name, "exec")
            with time_limit(limit):
                exec(code, ns)
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # SystemExit and TimeLimit too: keep going
            problems.append({"cell": i, "message": _error_text(err)})
            del err
    return problems


def run_probe(probe: Callable, ns: dict, inputs: dict, *, limit: float | None,
              interactive: bool = False) -> dict:
    """Run ``probe(ns, **inputs)`` and return its record (see the module docstring)."""
    try:
        with time_limit(limit):
            out = probe(ns, **inputs)
            return {"status": "ok", "out": to_plain(out)}
    except NotImplementedError as err:
        try:
            where_from = _not_attempted_in(err)
        except BaseException:
            where_from = ""
        return {"status": "not attempted", "message": where_from}
    except Missing as err:
        return {"status": "missing", "message": _error_text(err).partition(": ")[2]}
    except TimeLimit as err:
        return {"status": "timeout", "message": _error_text(err).partition(": ")[2]}
    except WireError as err:
        return {"status": "error",
                "message": f"the answer cannot be graded: {_error_text(err).partition(': ')[2]}"}
    except KeyboardInterrupt:
        if interactive:
            raise
        return {"status": "error", "message": "interrupted"}
    except BaseException as err:
        return {"status": "error", "message": _error_text(err)}
    finally:
        sys.stdout.flush()
