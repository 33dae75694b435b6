"""``gdcourse autograder``: Gradescope's bundle, laid out under a temporary root as Gradescope
lays it out under /autograder, set up (a real venv with torch from the local wheel) and run
on uploads; results.json checked against Gradescope's autograder specification."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from gdcourse.cli import main
from gdcourse.grading import get_exercise, load_hidden
from gdcourse.grading.outputs.gradescope import choose_submission

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "exercises" / "source" / "02_linear_regression.py"
HIDDEN = ROOT / "exercises" / "hidden"
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


# --- which uploaded file is graded ---------------------------------------------------------

def _upload(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_the_file_named_for_the_exercise_wins_and_the_choice_is_said(tmp_path):
    notebook = json.dumps({"cells": [], "metadata": {}})
    up = _upload(tmp_path, {"helpers.py": "x = 1\n", "notes.txt": "hi",
                            "02_linear_regression.py": "pass\n",
                            "02_linear_regression.ipynb": notebook,
                            "sub/02_old.ipynb": notebook})
    chosen, said = choose_submission(up, "02")
    assert chosen == up / "02_linear_regression.ipynb"
    assert said.startswith("Graded 02_linear_regression.ipynb, chosen from 4 files")
    assert "its name starts with 02" in said and "it is a notebook" in said
    assert "not graded: sub/02_old.ipynb, 02_linear_regression.py, helpers.py" in said


def test_a_file_that_declares_the_exercise_beats_one_that_does_not(tmp_path):
    up = _upload(tmp_path, {"a.py": "x = 1\n", "mine.py": "check('02')\n"})
    chosen, said = choose_submission(up, "02")
    assert chosen == up / "mine.py" and "it declares exercise 02" in said


def test_links_hidden_files_and_empty_uploads_are_never_graded(tmp_path):
    up = _upload(tmp_path, {".02_x.py": "", "__MACOSX/02_y.py": "", "readme.md": ""})
    (up / "02_link.py").symlink_to(SOLUTION)
    chosen, said = choose_submission(up, "02")
    assert chosen is None
    assert said.startswith("No .ipynb or .py file in your upload") and "readme.md" in said


# --- the bundle, set up and run ------------------------------------------------------------

def _run(cmd: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd="/")
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _results(root: Path) -> dict:
    data = json.loads((root / "results" / "results.json").read_text())
    # Gradescope's specification: a top-level score; each test a name, score, max_score,
    # output and visibility among its four values; stdout for instructors only.
    assert isinstance(data["score"], float | int) and isinstance(data["output"], str)
    assert data["stdout_visibility"] == "hidden"
    for t in data["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= set(t)
        assert t["visibility"] in VISIBILITY and 0 <= t["score"] <= t["max_score"]
    return data


@pytest.mark.slow
def test_bundle_sets_up_and_grades_uploads_under_a_temporary_root(tmp_path, capsys):
    zip_path = tmp_path / "autograder.zip"
    assert main(["autograder", "02", "--hidden", str(HIDDEN), "--torch", "torch==2.13.0",
                 "-o", str(zip_path)]) == 0
    names = zipfile.ZipFile(zip_path).namelist()
    assert {"setup.sh", "run_autograder", "hidden/checks_02.py"} <= set(names)
    assert not any(n.startswith("hidden/checks_0") and n != "hidden/checks_02.py"
                   for n in names)                    # only this exercise's hidden checks
    assert [n for n in names if n.startswith("wheels/gdcourse-")]
    # Gradescope's layout, under a root the graded children (other uids, as root) can reach.
    root = Path(tempfile.mkdtemp(prefix="autograder-"))
    try:
        os.chmod(root, 0o755)
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(root / "source")
        for script in ("setup.sh", "run_autograder"):
            os.chmod(root / "source" / script, 0o755)
        shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
        (root / "submission").mkdir()
        (root / "results").mkdir()
        env = {**os.environ, "AUTOGRADER_ROOT": str(root)}
        start = time.perf_counter()
        _run(["bash", str(root / "source" / "setup.sh")], env, timeout=600)
        setup_s = time.perf_counter() - start
        assert (root / "venv" / "bin" / "python").exists()

        _upload(root / "submission", {"02_linear_regression.py": SOLUTION.read_text(),
                                      "scratch.py": "print('trying things')\n"})
        run = _run([str(root / "run_autograder")], env, timeout=300)
        data = _results(root)
        best = get_exercise("02").max_points + sum(c.points for c in load_hidden(HIDDEN, "02"))
        said = f"results.json: {data}\nrun_autograder printed:\n{run.stdout[-4000:]}"
        assert data["score"] == best == sum(t["max_score"] for t in data["tests"]), said
        assert data["output"].startswith("Graded 02_linear_regression.py, chosen from 2")
        hidden = [t for t in data["tests"] if t["name"].startswith("[hidden]")]
        assert hidden and {t["visibility"] for t in hidden} == {"after_published"}
        assert "score 10/10" in run.stdout                   # the instructor's report

        shutil.rmtree(root / "submission")
        (root / "submission").mkdir()
        _upload(root / "submission", {"answers.txt": "42"})
        _run([str(root / "run_autograder")], env, timeout=300)
        empty = _results(root)
        assert empty["score"] == 0 and "No .ipynb or .py file" in empty["output"]
        with capsys.disabled():
            print(f"\n  gradescope bundle: setup.sh took {setup_s:.0f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)
