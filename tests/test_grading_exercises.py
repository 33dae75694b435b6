"""Every exercise: the instructor solutions score 100% (public + example hidden checks), the
generated scaffolds score 0 with every check "not attempted yet", the scaffolds are up to
date, and typical mistakes fail the check that targets them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from gdcourse.grading import check, exercise_ids, get_exercise, grade
from gdcourse.grading.cells import read_cells
from gdcourse.grading.outputs.export import gradescope
from gdcourse.grading.runtime import run_cells
from gdcourse.grading.scaffold import INSTALL_CELL, generate

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
SOURCES = sorted((EXERCISES / "source").glob("*.py"))
IDS = exercise_ids()


def _scaffold(source: Path, suffix: str) -> Path:
    return EXERCISES / (source.stem + suffix)


@pytest.fixture(scope="module")
def graded():
    """All solutions and all scaffold notebooks, graded once in child processes."""
    paths = [*SOURCES, *(_scaffold(s, ".ipynb") for s in SOURCES)]
    results = grade(paths, hidden=EXERCISES / "hidden", jobs=2, timeout=60)
    return {r.path: r for r in results}


def test_one_source_per_exercise():
    assert [s.name[:2] for s in SOURCES] == IDS


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_solution_scores_full_marks(graded, source):
    result = graded[str(source)]
    hidden = [c for c in result.checks if c.hidden]
    assert hidden, "the example hidden checks were not loaded"
    assert result.score == result.max_score > get_exercise(result.exercise).max_points, (
        [(c.name, c.status, c.hint) for c in result.checks if not c.passed])


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_untouched_notebook_scores_zero_not_attempted(graded, source):
    result = graded[str(_scaffold(source, ".ipynb"))]
    assert result.score == 0
    assert {c.status for c in result.checks} == {"not attempted"}
    # What the student reads in Gradescope: the public checks say why; a hidden check says
    # nothing about itself, not even that its task raised (issue 18).
    tests = gradescope(result)["tests"]
    hidden = [t["output"] for t in tests if t["name"].startswith("[hidden]")]
    public = [t["output"] for t in tests if not t["name"].startswith("[hidden]")]
    assert hidden and public
    assert all(o.startswith("not attempted yet (") for o in public), public
    assert set(hidden) == {"hidden check: details are shown to the instructor only"}, hidden


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_untouched_py_scaffold_is_not_attempted_in_check(source, monkeypatch):
    ns: dict = {"__name__": "scaffold"}
    monkeypatch.setenv("GDCOURSE_GRADER_CHILD", "1")   # the file's own check() calls idle
    run_cells(read_cells(_scaffold(source, ".py"))[0], ns, limit=30)
    monkeypatch.delenv("GDCOURSE_GRADER_CHILD")
    result = check(source.name[:2], namespace=ns, quiet=True)
    assert result.score == 0 and {c.status for c in result.checks} == {"not attempted"}


def test_scaffolds_are_up_to_date():
    stale = generate(SOURCES, EXERCISES, check=True)
    assert not stale, f"run `gdcourse scaffold`: {[p.name for p in stale]} are out of date"


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_generated_notebook_shape(source):
    nb = json.loads(_scaffold(source, ".ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert nb["metadata"]["gdcourse"]["exercise"] == source.name[:2]
    assert "".join(code[0]["source"]) == INSTALL_CELL
    assert "".join(code[-1]["source"]).strip() == f'check("{source.name[:2]}")'
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert "BEGIN SOLUTION" not in _scaffold(source, ".ipynb").read_text()
    assert "NotImplementedError" in _scaffold(source, ".py").read_text()


def _solution_ns(exercise: str, monkeypatch) -> dict:
    source = next(s for s in SOURCES if s.name.startswith(exercise))
    ns: dict = {"__name__": "solution"}
    monkeypatch.setenv("GDCOURSE_GRADER_CHILD", "1")
    run_cells(read_cells(source)[0], ns, limit=30)
    monkeypatch.delenv("GDCOURSE_GRADER_CHILD")
    return ns


def _statuses(exercise, ns, *tasks):
    result = check(exercise, *tasks, namespace=ns, quiet=True)
    return {c.name: c.status for c in result.checks}, result


def test_01_mistakes(monkeypatch):
    ns = _solution_ns("01", monkeypatch)
    mse = ns["mse"]
    ns["grid_search"] = lambda x, y, ws: (ws[-1], torch.stack([mse(w * x, y) for w in ws]))
    ns["grad_by_hand"] = lambda w, x, y: ((w * x - y) * x).mean()   # forgot the 2
    status, _ = _statuses("01", ns)
    assert status["grid_search returns the loss of every multiplier"] == "passed"
    assert status["grid_search picks the multiplier with the smallest loss"] == "failed"
    assert status["grad_by_hand matches torch.func.grad"] == "failed"


def test_02_mistakes_give_precise_hints(monkeypatch):
    ns = _solution_ns("02", monkeypatch)
    linear = ns["linear"]
    ns["linear"] = lambda X, params: linear(X, params).unsqueeze(-1)
    _, result = _statuses("02", ns, "linear")
    assert "try .squeeze(-1)" in result.checks[0].hint


def test_03_log_based_power_rule_fails_at_zero(monkeypatch):
    ns = _solution_ns("03", monkeypatch)
    d_right = ns["d"]

    def d_seed(e, x):  # the general rule for every exponent, as the 000 text does
        if isinstance(e, ns["BinOp"]) and e.op == "**":
            a, b = e.a, e.b
            return e * (d_right(b, x) * ns["log"](a) + b * d_right(a, x) / a)
        return d_right(e, x)

    ns["d"] = d_seed
    status, result = _statuses("03", ns, "d")
    assert status["d of x**n, also at x <= 0 (power rule)"] == "failed"
    assert status["d of a quotient (quotient rule)"] == "passed"
    assert "got nan" in next(c.hint for c in result.checks if c.status == "failed")


def test_04_naive_sigmoid_overflows(monkeypatch):
    import math

    ns = _solution_ns("04", monkeypatch)
    Scalar = ns["Scalar"]

    def sigmoid(x):
        out = 1.0 / (1.0 + math.exp(-x.value))
        return Scalar(out, ((x, out * (1 - out)),))

    ns["sigmoid"] = sigmoid
    status, result = _statuses("04", ns, "sigmoid")
    assert status["sigmoid: value and gradient match torch"] == "passed"
    assert status["sigmoid stays finite and exact at x = -800 and 800"] == "error"
    assert "OverflowError" in result.checks[1].hint


def test_05_unclamped_fit_and_wrong_lr(monkeypatch):
    ns = _solution_ns("05", monkeypatch)
    fit = ns["fit_logistic"]
    ns["fit_logistic"] = lambda X, y, *, lr, steps, seed: fit(X, y, lr=lr / 10, steps=steps,
                                                              seed=seed)
    status, _ = _statuses("05", ns, "fit_logistic")
    assert set(status.values()) == {"failed"}


def test_06_adam_without_bias_correction(monkeypatch):
    ns = _solution_ns("06", monkeypatch)

    class NoCorrection(ns["Adam"]):
        @torch.no_grad()
        def step(self):
            for p, m, v in zip(self.params, self.m, self.v):
                m.mul_(self.beta1).add_(p.grad, alpha=1 - self.beta1)
                v.mul_(self.beta2).addcmul_(p.grad, p.grad, value=1 - self.beta2)
                p.sub_(self.lr * m / (v.sqrt() + self.eps))

    NoCorrection.__name__ = "Adam"
    status, result = _statuses("06", ns, NoCorrection)
    assert status["Adam matches torch.optim.Adam for 20 steps"] == "failed"
    assert status["Adam.zero_grad clears the gradients"] == "passed"
    assert "after step 1" in result.checks[0].hint


def test_scaffold_cli_check_flags_a_stale_file(tmp_path, capsys):
    from gdcourse.cli import main

    source = SOURCES[1]
    assert main(["scaffold", str(source), "--out", str(tmp_path)]) == 0
    assert main(["scaffold", str(source), "--out", str(tmp_path), "--check"]) == 0
    stale = tmp_path / (source.stem + ".py")
    stale.write_text(stale.read_text() + "\n# edited by hand\n")
    assert main(["scaffold", str(source), "--out", str(tmp_path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().out


def test_grade_cli_single_submission_writes_gradescope_json(tmp_path, capsys):
    from gdcourse.cli import main

    out = tmp_path / "results.json"
    assert main(["grade", str(SOURCES[0]), "--json", str(out), "--csv",
                 str(tmp_path / "c.csv"), "--timeout", "60"]) == 0
    data = json.loads(out.read_text())
    assert data["score"] == data["max_score"] == get_exercise("01").max_points
    assert {t["visibility"] for t in data["tests"]} == {"visible"}
    assert "100.0%" in capsys.readouterr().out
    assert os.path.getsize(tmp_path / "c.csv") > 0


@pytest.mark.notebook
def test_check_in_a_jupyter_kernel(tmp_path, monkeypatch):
    """The solution as a notebook, run in a real kernel: check() finds the functions in the
    notebook's namespace, reads the cells as run (IPython's In) the way the grader reads
    the file, and prints full marks (Colab runs the same kind of kernel)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from gdcourse.grading.scaffold import _notebook, split_cells

    # The checkout comes first through the kernel's environment: a sys.path edit in a
    # cell is code the grader refuses to read past (it could import a file written at
    # run time), and check() says so as the grader would.
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    source = next(s for s in SOURCES if s.name.startswith("02"))
    text = _notebook(split_cells(source.read_text()), "02")
    nb = nbformat.reads(text, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                  for o in c.outputs)
    assert out.count("Public score: 6/6 (all passed)") == 1
    assert "Public score: 2/2" in out and "Traceback" not in out
