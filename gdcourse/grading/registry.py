"""What an exercise is made of: tasks, checks with points, and the probes checks run.

A check is split in two so that nothing a submission does can change its score:

    probe   runs next to the student's code (in the grader's child process, or in the
            notebook for ``check``): calls the student's function on the inputs the check
            chose and returns plain data (tensors, numbers, lists)
    judge   runs in the grader: compares that plain data with an oracle it computes itself
            (torch built-ins, least squares, finite differences) and returns a Verdict

Probes are named and live in the package (``checks_NN.PROBES``); hidden checks written by an
instructor reuse them with new inputs and judges, so the child never sees the judges.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError

__all__ = ["Verdict", "Check", "Exercise", "get_exercise", "exercise_ids", "load_hidden",
           "call", "child_inputs", "call_probe", "calls_probe", "STANDARD_PROBES", "lookup",
           "Missing"]

EXERCISES = {"01": "checks_01", "02": "checks_02", "03": "checks_03", "04": "checks_04",
             "05": "checks_05", "06": "checks_06"}


@dataclass(frozen=True)
class Verdict:
    """A judge's decision: passed or not, and a one-line hint (expected vs got)."""

    passed: bool
    hint: str = ""


@dataclass(frozen=True)
class Check:
    """One graded check.

    Args:
        name: what is checked, read by students ("linear matches X @ theta + theta_0").
        task: the student's function (or class) it exercises, e.g. "fit_linear".
        points: what a pass is worth.
        inputs: builds the probe's keyword arguments in the grader, with a fixed seed;
            keys starting with "_" (e.g. "_expected") go to the judge only.
        judge: ``judge(outputs, inputs) -> Verdict``, run in the grader on plain data.
        probe: name of the probe in the exercise's ``PROBES`` ("call" by default).
        hidden: True for instructor checks that students do not see before grading.
        reveal: show the hint of a failed hidden check to students (off by default).
        time_limit: seconds the probe may run before it is stopped.
    """

    name: str
    task: str
    points: float
    inputs: Callable[[], dict]
    judge: Callable[[Any, dict], Verdict]
    probe: str = "call"
    hidden: bool = False
    reveal: bool = False
    time_limit: float = 10.0


@dataclass
class Exercise:
    """An exercise: its id ("02"), title, tasks (student names), checks and probes."""

    id: str
    title: str
    tasks: list[str]
    checks: list[Check]
    probes: dict[str, Callable] = field(default_factory=lambda: dict(STANDARD_PROBES))

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.checks)

    def with_checks(self, extra: list[Check]) -> Exercise:
        """A copy with ``extra`` checks appended (the instructor's hidden ones)."""
        unknown = sorted({c.probe for c in extra} - set(self.probes))
        if unknown:
            raise InvalidArgumentError(
                f"hidden checks for exercise {self.id} use probes {unknown}, but it only has "
                f"{sorted(self.probes)}; hidden checks reuse the exercise's probes")
        return Exercise(self.id, self.title, self.tasks, [*self.checks, *extra], self.probes)


def exercise_ids() -> list[str]:
    """Every exercise id, in lecture order."""
    return list(EXERCISES)


def normalize_id(exercise: str | int) -> str:
    """"2", 2, "02", "ex02" -> "02"; InvalidArgumentError for unknown ids."""
    text = str(exercise).strip().lower().removeprefix("exercise").removeprefix("ex").strip("_ ")
    text = text.split("_")[0]
    key = text.zfill(2) if text.isdigit() else text
    if key not in EXERCISES:
        raise InvalidArgumentError(
            f"there is no exercise {exercise!r}; the exercises are {', '.join(EXERCISES)}")
    return key


def get_exercise(exercise: str | int) -> Exercise:
    """The public checks of ``exercise`` (they ship inside the package)."""
    module = importlib.import_module(f".{EXERCISES[normalize_id(exercise)]}", __package__)
    return module.EXERCISE


def load_hidden(directory: str | Path, exercise: str | int) -> list[Check]:
    """The instructor's hidden checks for ``exercise`` from ``directory``.

    ``directory`` holds Python files (trusted: written by the instructor, run in the
    grader) that set ``EXERCISE = "02"`` and ``CHECKS = [Check(...), ...]``; see
    ``exercises/hidden/`` for examples. Files for other exercises are ignored.
    """
    import stat
    import sys
    import types

    from .hostside import read_regular_file

    directory = Path(directory)
    if not directory.is_dir():
        raise InvalidArgumentError(f"hidden checks directory {str(directory)!r} does not exist")
    wanted, found = normalize_id(exercise), []
    for path in [directory, *sorted(directory.glob("*.py"))]:
        mode = path.lstat().st_mode
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise InvalidArgumentError(
                f"{path} can be written by other users (mode {stat.filemode(mode)}), so "
                f"anyone could change the hidden checks; run chmod go-w {str(path)!r}")
    for path in sorted(directory.glob("*.py")):
        # Read once, as a regular file (never through a link), then run from memory.
        try:
            source = read_regular_file(str(path), 4 * 2**20)
        except (OSError, ValueError) as err:
            raise InvalidArgumentError(f"hidden checks file {path.name}: {err}") from None
        module = types.ModuleType(f"_gdcourse_hidden_{path.stem}")
        module.__file__ = str(path)
        sys.modules[module.__name__] = module     # dataclasses and pickling look it up
        try:
            exec(compile(source, str(path), "exec"), module.__dict__)
        finally:
            sys.modules.pop(module.__name__, None)
        if getattr(module, "EXERCISE", None) is None:
            raise InvalidArgumentError(f"{path.name} must say which exercise it checks, "
                                       "e.g. EXERCISE = '02'")
        if normalize_id(module.EXERCISE) != wanted:
            continue
        for check in getattr(module, "CHECKS", []):
            if not isinstance(check, Check):
                raise InvalidArgumentError(f"{path.name}: CHECKS must hold Check objects")
            found.append(check if check.hidden else _as_hidden(check))
    return found


def _as_hidden(check: Check) -> Check:
    from dataclasses import replace

    return replace(check, hidden=True)


def child_inputs(inputs: Any) -> Any:
    """``inputs`` without the keys that start with "_" (at any depth): those are for the
    judge only (expected answers, evaluation points) and never reach the student's side."""
    if isinstance(inputs, dict):
        return {k: child_inputs(v) for k, v in inputs.items() if not k.startswith("_")}
    if isinstance(inputs, (list, tuple)):
        return [child_inputs(v) for v in inputs]
    return inputs


def call(fn: str, *args, **kwargs) -> dict:
    """The inputs of the "call" probe: call the student's ``fn(*args, **kwargs)``."""
    return {"fn": fn, "args": list(args), "kwargs": kwargs}


def call_probe(ns: dict, *, fn: str, args: list | tuple = (), kwargs: dict | None = None) -> Any:
    """The default probe: ``ns[fn](*args, **kwargs)``, returned as it is."""
    return lookup(ns, fn)(*args, **(kwargs or {}))


def calls_probe(ns: dict, *, calls: list[dict]) -> list:
    """Several calls (each made with :func:`call`); returns their answers in order."""
    return [call_probe(ns, **c) for c in calls]


STANDARD_PROBES: dict[str, Callable[..., Any]] = {"call": call_probe, "calls": calls_probe}


class Missing(LookupError):
    """The submission defines no object of the name a check needs."""


def lookup(ns: dict, name: str) -> Any:
    """``ns[name]``, or Missing with a message naming what to define."""
    if name not in ns:
        raise Missing(f"no {name!r} is defined; keep the name from the exercise")
    return ns[name]
