"""What an exercise is made of: tasks, rules, probes; and the checks built on them.

A check is split in two so that nothing a submission does can change its score:

    probe   runs next to the student's code (in the grader's child process, or in the
            notebook for ``check``): calls the student's function on the inputs the check
            chose and returns plain data (tensors, numbers, lists)
    judge   runs in the grader: compares that plain data with an oracle it computes itself
            (torch built-ins, least squares, finite differences) and returns a Verdict

An exercise is declared in two modules found by name: ``exercises/exNN.py`` (title, tasks,
rules, input makers, probes) and ``judges/exNN.py`` (oracles, judges, the public
``CHECKS``). A child process imports the first only; the second never enters it. Adding an
exercise is those two modules, its solution source, its example hidden checks and the
generated scaffolds: nothing here lists the exercises.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import InvalidArgumentError

__all__ = ["Verdict", "Check", "Exercise", "Rule", "get_exercise", "exercise_ids",
           "declaration", "load_hidden", "call", "child_inputs", "call_probe", "calls_probe",
           "STANDARD_PROBES", "lookup", "Missing", "make_inputs", "normalize_id",
           "PUBLIC_SEED", "EVERY_TASK", "AnswerCountError"]

EVERY_TASK = "*"
PUBLIC_SEED = 0


@dataclass(frozen=True)
class Verdict:
    """A judge's decision: passed or not, and a one-line hint (expected vs got)."""

    passed: bool
    hint: str = ""


@dataclass(frozen=True)
class Rule:
    """What some tasks may not use, read from their source by ``policy.scan``.

    Args:
        why: the end of the note, e.g. "exercise 06 asks for it from scratch".
        apis: dotted prefixes ("torch.optim") a task's code may not reach.
        attributes: attribute names ("backward", "lstsq") a task's code may not touch,
            whatever object they hang on.
        tasks: the tasks the rule covers (default: every task of the exercise).
    """

    why: str
    apis: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    tasks: tuple[str, ...] = (EVERY_TASK,)


@dataclass(frozen=True)
class Check:
    """One graded check.

    Args:
        name: what is checked, read by students ("linear matches X @ theta + theta_0").
        task: the student's function (or class) it exercises, e.g. "fit_linear".
        points: what a pass is worth.
        inputs: builds the probe's keyword arguments in the grader. A maker that takes
            ``seed`` is a public one: ``check()`` passes the fixed ``PUBLIC_SEED``, the
            grader a fresh seed per run (same kinds and shapes), so answers memorized
            from ``check()`` earn nothing. Keys starting with "_" go to the judge only.
        judge: ``judge(outputs, inputs) -> Verdict``, run in the grader on plain data.
        probe: name of the probe in the exercise's ``PROBES`` ("call" by default).
        hidden: True for instructor checks that students do not see before grading.
        reveal: show the hint of a failed hidden check to students (off by default).
        time_limit: seconds the probe may run before it is stopped.
    """

    name: str
    task: str
    points: float
    inputs: Callable[..., dict]
    judge: Callable[[Any, dict], Verdict]
    probe: str = "call"
    hidden: bool = False
    reveal: bool = False
    time_limit: float = 10.0


def make_inputs(check: Check, seed: int | None = None) -> dict:
    """``check.inputs`` drawn with ``seed`` (None: the fixed public draw) where its maker
    takes a seed; a maker without one (an instructor's hidden check) is called as is."""
    try:
        takes_seed = "seed" in inspect.signature(check.inputs).parameters
    except (TypeError, ValueError):
        takes_seed = False
    if not takes_seed:
        return check.inputs()
    return check.inputs(seed=PUBLIC_SEED if seed is None else seed)


@dataclass
class Exercise:
    """An exercise: its id ("02"), title, tasks (student names), checks, probes and rules.

    ``shared`` names what every task depends on beyond itself (the classes its probes
    build, e.g. ``Scalar``), so the policy follows them from every task."""

    id: str
    title: str
    tasks: list[str]
    checks: list[Check]
    probes: dict[str, Callable] = field(default_factory=lambda: dict(STANDARD_PROBES))
    rules: tuple[Rule, ...] = ()
    shared: tuple[str, ...] = ()

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
        return replace(self, checks=[*self.checks, *extra])


def _modules() -> dict[str, str]:
    from . import exercises

    found = {info.name[2:]: info.name for info in pkgutil.iter_modules(exercises.__path__)
             if info.name.startswith("ex") and info.name[2:].isdigit()}
    return dict(sorted(found.items()))


def exercise_ids() -> list[str]:
    """Every exercise id, in lecture order (the modules ``exercises/exNN.py``)."""
    return list(_modules())


def normalize_id(exercise: str | int) -> str:
    """"2", 2, "02", "ex02" -> "02"; InvalidArgumentError for unknown ids."""
    text = str(exercise).strip().lower().removeprefix("exercise").removeprefix("ex").strip("_ ")
    text = text.split("_")[0]
    key = text.zfill(2) if text.isdigit() else text
    ids = _modules()
    if key not in ids:
        raise InvalidArgumentError(
            f"there is no exercise {exercise!r}; the exercises are {', '.join(ids)}")
    return key


def declaration(exercise: str | int) -> ModuleType:
    """The module declaring ``exercise`` (no judges in it): what a child process imports."""
    return importlib.import_module(f"{__package__}.exercises.ex{normalize_id(exercise)}")


def get_exercise(exercise: str | int) -> Exercise:
    """The exercise with its public checks: declaration + judges (never in a child)."""
    ex_id = normalize_id(exercise)
    decl = declaration(ex_id)
    judges = importlib.import_module(f"{__package__}.judges.ex{ex_id}")
    return Exercise(ex_id, decl.TITLE, list(decl.TASKS), list(judges.CHECKS),
                    {**STANDARD_PROBES, **getattr(decl, "PROBES", {})},
                    tuple(getattr(decl, "RULES", ())), tuple(getattr(decl, "SHARED", ())))


def load_hidden(directory: str | Path, exercise: str | int) -> list[Check]:
    """The instructor's hidden checks for ``exercise`` from ``directory``.

    ``directory`` holds Python files (trusted: written by the instructor, run in the
    grader) that set ``EXERCISE = "02"`` and ``CHECKS = [Check(...), ...]``; see
    ``exercises/hidden/`` for examples. Files for other exercises are ignored.
    """
    import stat
    import sys
    import types

    from .cells import read_regular_file

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
            found.append(check if check.hidden else replace(check, hidden=True))
    return found


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


class AnswerCountError(ValueError):
    """The child sent back a different number of answers than the grader asked for."""


class Missing(LookupError):
    """The submission defines no object of the name a check needs."""


def lookup(ns: dict, name: str) -> Any:
    """``ns[name]``, or Missing with a message naming what to define."""
    if name not in ns:
        raise Missing(f"no {name!r} is defined; keep the name from the exercise")
    return ns[name]
