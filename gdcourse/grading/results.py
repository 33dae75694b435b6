"""Scores, decided in the grader: records from the student's side + judges -> results.

Every point is awarded here, from plain data, by the check's own judge. A record that is
missing, malformed or not "ok" earns nothing, whatever the submission printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .registry import AnswerCountError, Check, Exercise, Verdict
from .safetext import clean
from .wire import WireError, from_plain

__all__ = ["CheckResult", "SubmissionResult", "judge"]

STATUSES = ("passed", "failed", "not attempted", "missing", "error", "timeout", "crashed",
            "not run")


@dataclass
class CheckResult:
    """The outcome of one check for one submission."""

    name: str
    task: str
    points: float
    max_points: float
    status: str          # one of STATUSES
    hint: str = ""
    hidden: bool = False
    reveal: bool = False

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(repr=False)
class SubmissionResult:
    """Every check of one submission, plus what happened to the process running it."""

    submission: str
    exercise: str
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    output: str = ""          # the tail of what the submission printed (never scored)
    flags: list[str] = field(default_factory=list)   # for the instructor only, never scored
    elapsed: float = 0.0
    path: str = ""

    @property
    def score(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    def by_status(self) -> dict[str, int]:
        """How many checks ended in each status."""
        counts: dict[str, int] = {}
        for c in self.checks:
            counts[c.status] = counts.get(c.status, 0) + 1
        return counts

    def __repr__(self) -> str:  # short: a notebook echoes the value of check(...)
        return (f"SubmissionResult({self.submission!r}, exercise {self.exercise}: "
                f"{self.score:g}/{self.max_score:g})")


def judge(exercise: Exercise, records: dict[int, dict], inputs: list[dict], *,
          missing_reason: str = "not run") -> list[CheckResult]:
    """Turn the record of each check (by index) into a CheckResult with points.

    Args:
        exercise: the checks, in the order their records are indexed.
        records: index -> record, as produced by ``runtime.run_probe`` (possibly forged).
        inputs: index -> the inputs the grader chose (decoded tensors).
        missing_reason: the hint for checks whose record never came back.
    """
    results = []
    for i, check in enumerate(exercise.checks):
        record = records.get(i)
        if not isinstance(record, dict):
            results.append(_result(check, "not run", missing_reason))
            continue
        status = record.get("status")
        message = str(record.get("message", ""))[:300]
        if status == "ok":
            verdict = _verdict(check, record.get("out"), inputs[i])
            results.append(_result(check, "passed" if verdict.passed else "failed",
                                   verdict.hint))
        elif status == "not attempted":
            results.append(_result(check, "not attempted",
                                   f"{message} raises NotImplementedError" if message else ""))
        elif status == "forbidden":        # the policy, decided in the grader
            results.append(_result(check, "failed", message))
        elif status in ("missing", "error", "timeout", "crashed"):
            results.append(_result(check, status, message))
        else:
            results.append(_result(check, "error", "the answer came back malformed"))
    return results


def _verdict(check: Check, out, inputs: dict) -> Verdict:
    try:
        answer = from_plain(out)
        verdict = check.judge(answer, inputs)
    except WireError as err:
        return Verdict(False, f"the answer came back malformed: {err}")
    except AnswerCountError as err:
        return Verdict(False, str(err))
    except Exception as err:  # an answer of a shape the judge did not foresee
        return Verdict(False, f"the answer has an unexpected form ({type(err).__name__}: "
                              f"{str(err)[:120]})")
    if not isinstance(verdict, Verdict):
        raise TypeError(f"the judge of {check.name!r} returned {verdict!r}, not a Verdict")
    return verdict


def _result(check: Check, status: str, hint: str) -> CheckResult:
    earned = float(check.points) if status == "passed" else 0.0
    # A hint may quote the answer (a symbol's name, an exception's text): one rule, here.
    return CheckResult(check.name, check.task, earned, float(check.points), status,
                       clean(hint, 500), check.hidden, check.reveal)
