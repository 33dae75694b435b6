"""``gdcourse autograder``: Gradescope's bundle, laid out under a temporary root as Gradescope
lays it out under /autograder, set up (a real venv with torch from the local wheel) and run
on uploads; results.json checked against Gradescope's autograder specification."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from gdcourse.cli import main
from gdcourse.grading import get_exercise, load_hidden
from gdcourse.grading.outputs.gradescope import choose_submission

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "exercises" / "source" / "02_linear_regression.py"
SCAFFOLD = ROOT / "exercises" / "02_linear_regression.ipynb"
HIDDEN = ROOT / "exercises" / "hidden"
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
NUMBER = (int, float)
# Gradescope's autograder specification (gradescope-autograders.readthedocs.io, specs):
# every field results.json may hold, with its type; anything else is not in the spec.
TOP = {"score": NUMBER, "execution_time": int, "output": str, "output_format": str,
       "test_output_format": str, "test_name_format": str, "visibility": str,
       "stdout_visibility": str, "extra_data": dict, "tests": list, "leaderboard": list}
TEST = {"score": NUMBER, "max_score": NUMBER, "status": str, "name": str, "name_format": str,
        "number": str, "output": str, "output_format": str, "tags": list, "visibility": str,
        "extra_data": dict}


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


def _valid(data: dict, fields: dict) -> None:
    assert set(data) <= set(fields), f"not in Gradescope's spec: {set(data) - set(fields)}"
    for key, value in data.items():
        assert isinstance(value, fields[key]) and not isinstance(value, bool), (key, value)
    for key in ("output_format", "test_output_format", "test_name_format", "name_format"):
        assert data.get(key, "text") in FORMATS
    assert data.get("visibility", "visible") in VISIBILITY


def _results(root: Path) -> dict:
    data = json.loads((root / "results" / "results.json").read_text())
    _valid(data, TOP)
    # What this grader promises on top: a score, plain text throughout, the run's time,
    # stdout for instructors only, each test's points within its maximum.
    assert {"score", "output", "execution_time", "tests"} <= set(data)
    assert data["output_format"] == data["test_output_format"] == "text"
    assert data["stdout_visibility"] == "hidden"
    for t in data["tests"]:
        _valid(t, TEST)
        assert {"name", "score", "max_score", "output", "visibility", "status"} <= set(t)
        assert t["output_format"] == "text" and t["status"] in {"passed", "failed"}
        assert 0 <= t["score"] <= t["max_score"]
    return data


def _tree(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        try:
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += parents.get(found[-1], [])
    return found


def _pss_mib(pids: list[int]) -> float:
    kib = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    kib += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return kib / 1024


def _autograde(root: Path, env: dict[str, str]) -> tuple[str, float, float]:
    """Run run_autograder as Gradescope does: (what it printed, seconds, the peak PSS of
    its whole process tree in MiB, sampled every 50 ms)."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(root / "run_autograder")], env=env, cwd="/", text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _pss_mib(_tree(proc.pid)))
            time.sleep(0.05)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, _ = proc.communicate(timeout=300)
    watcher.join()
    assert proc.returncode == 0, out[-4000:]
    return out, time.perf_counter() - start, peak[0]


def _fresh(root: Path, files: dict[str, str]) -> None:
    shutil.rmtree(root / "submission")
    (root / "submission").mkdir()
    _upload(root / "submission", files)


@pytest.mark.slow
def test_bundle_sets_up_and_grades_uploads_under_a_temporary_root(tmp_path, capsys):
    zip_path = tmp_path / "autograder.zip"
    assert main(["autograder", "02", "--hidden", str(HIDDEN), "--torch", "torch==2.13.0",
                 "--pip", "six", "-o", str(zip_path)]) == 0
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

        # An untouched scaffold beside the real work: the work is graded, at full marks.
        _upload(root / "submission", {"02_linear_regression.ipynb": SCAFFOLD.read_text(),
                                      "02_linear_regression_done.py": SOLUTION.read_text(),
                                      "scratch.py": "print('trying things')\n"})
        out, solution_s, solution_mib = _autograde(root, env)
        data = _results(root)
        best = get_exercise("02").max_points + sum(c.points for c in load_hidden(HIDDEN, "02"))
        said = f"results.json: {data}\nrun_autograder printed:\n{out[-4000:]}"
        assert data["score"] == best == sum(t["max_score"] for t in data["tests"]), said
        assert data["output"].startswith(
            "Graded 02_linear_regression_done.py, chosen from 3 files (it has work"), said
        hidden = [t for t in data["tests"] if t["name"].startswith("[hidden]")]
        assert hidden and {t["visibility"] for t in hidden} == {"after_published"}
        assert "score 10/10" in out                           # the instructor's report
        assert 0 <= data["execution_time"] <= solution_s + 1
        assert solution_mib < 768, f"the grader's tree peaked at {solution_mib:.0f} MiB"

        # Near the budget (256 MB here) the tree still fits the 768 MB container; over it,
        # and a module the machine lacks, are notes, not a crash.
        over = ("\n# %%\nnear = torch.ones(230 * 2**20, dtype=torch.uint8)\ndel near\n"
                "\n# %%\nimport pandas\n\n# %%\n"
                "big = torch.ones(400 * 2**20, dtype=torch.uint8)\n")
        _fresh(root, {"02_linear_regression.py": SOLUTION.read_text() + over})
        out, over_s, over_mib = _autograde(root, env)
        data = _results(root)
        said = f"results.json: {data}\nrun_autograder printed:\n{out[-4000:]}"
        assert data["score"] == best, said          # the tasks were fine; two cells were not
        assert "ran out of memory: the grading machine allows 256 MB" in data["output"], said
        assert "the grading machine does not have the module 'pandas'" in data["output"], said
        assert over_mib < 768, f"the grader's tree peaked at {over_mib:.0f} MiB"

        _fresh(root, {"answers.txt": "42"})
        out, empty_s, _ = _autograde(root, env)
        empty = _results(root)
        assert empty["score"] == 0 and "No .ipynb or .py file" in empty["output"]
        with capsys.disabled():
            print(f"\n  gradescope bundle: setup.sh {setup_s:.0f} s; run_autograder: "
                  f"scaffold + work {solution_s:.1f} s (peak {solution_mib:.0f} MiB PSS), "
                  f"230 MB then over budget {over_s:.1f} s (peak {over_mib:.0f} MiB), "
                  f"empty {empty_s:.1f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)
