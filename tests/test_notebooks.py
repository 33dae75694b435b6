"""Each lecture runs top to bottom as a student sees it; every notebook is committed clean.

The lectures execute through ``book/execute.py`` (the ``executed_lecture`` fixture): the
inline backend, so figures become images that can be counted, and the machine's default
threading, so the time measured is the time a student waits. Each lecture runs once per
suite; the course-book test reuses the same executions (xdist group "lectures").
"""

from __future__ import annotations

import json
import time
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("**/*.ipynb"))
NOTEBOOKS = LECTURES + EXERCISES
LECTURE_BUDGET_S = 60  # the budget per lecture on an idle 2-core CI machine

# Images each lecture shows with the inline backend. Before issue 13 revised them: 01: 7,
# 02: 9, 03: 4, 04: 3, 05: 8, 06: 6; after: the floors below. A lecture may gain figures,
# never lose one: each stands for a figure of the source texts or a picture the prose uses.
MIN_FIGURES = {
    "01_gradient_descent_by_hand.ipynb": 9,
    "02_seven_steps.ipynb": 12,
    "03_symbolic_differentiation.ipynb": 5,
    "04_scalar_autograd.ipynb": 9,
    "05_training_networks.ipynb": 12,
    "06_better_steps.ipynb": 8,
}


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; strip them before committing"


def test_every_lecture_has_a_figure_count():
    assert sorted(MIN_FIGURES) == [p.name for p in LECTURES]


@pytest.mark.notebook
@pytest.mark.xdist_group("lectures")
@pytest.mark.skipif(find_spec("nbclient") is None or find_spec("ipykernel") is None,
                    reason="executing notebooks needs nbclient and ipykernel ([dev] extra)")
@pytest.mark.parametrize("path", LECTURES, ids=_ids(LECTURES))
def test_lecture_runs(path, executed_lecture):
    start = time.perf_counter()
    run = executed_lecture(path)  # executes here unless the book test already did
    waited = time.perf_counter() - start
    # --durations attributes this test the execution when it ran here; the print says the
    # lecture's own time either way (pytest -s or the captured output of a failure).
    print(f"{path.name}: {run.seconds:.1f} s in the kernel ({waited:.1f} s in this test), "
          f"{run.figures} figures")
    assert not run.errors, f"{path.name} raised: {run.errors}"
    assert run.figures >= MIN_FIGURES[path.name], (
        f"{path.name} shows {run.figures} figures, fewer than the {MIN_FIGURES[path.name]} "
        f"it had; a lecture must keep every figure of its source texts")
    assert run.seconds < 2 * LECTURE_BUDGET_S, (
        f"{path.name} took {run.seconds:.0f} s (budget {LECTURE_BUDGET_S} s on an idle "
        f"2-core machine; the bound here is doubled for a busy one)")
