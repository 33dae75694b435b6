"""Fast tests of the Gradescope side: results.json's formats and time, which upload is
graded, the platform's limits and modules as notes a student understands, the bundle's
scripts. (The bundle set up and run for real is in test_grading_gradescope.py.)"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from gdcourse.cli import main as cli_main
from gdcourse.errors import InvalidArgumentError
from gdcourse.grading.outputs import bundle, upload
from gdcourse.grading.outputs import gradescope as gs
from gdcourse.grading.results import CheckResult, SubmissionResult

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "exercises" / "source" / "02_linear_regression.py"
SCAFFOLD = ROOT / "exercises" / "02_linear_regression.ipynb"
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def _root(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "submission" / name).write_text(text)
    (tmp_path / "results").mkdir()
    return tmp_path


# --- results.json: formats that keep every note, a true execution time ----------------------

def test_results_are_plain_text_with_a_whole_second_execution_time(tmp_path):
    root = _root(tmp_path, {"answers.txt": "42"})
    assert gs.main(["--root", str(root), "--exercise", "02"]) == 0
    data = json.loads((root / "results" / "results.json").read_text())
    # text: shown as written, so '(<cell 6>, line 16)' is not taken for an HTML tag
    assert data["output_format"] == "text" and data["output_format"] in FORMATS
    assert data["test_output_format"] == "text" and data["test_name_format"] == "text"
    assert isinstance(data["execution_time"], int) and data["execution_time"] >= 0


def test_each_test_says_its_format_and_the_time_is_the_run_s(monkeypatch, tmp_path):
    clock = iter([100.0, 112.7])          # the run took 12.7 s
    monkeypatch.setattr(gs.time, "perf_counter", lambda: next(clock))
    result = SubmissionResult("02_x.py", "02", [
        CheckResult("linear <works>", "linear", 1.0, 1.0, "passed"),
        CheckResult("fit", "fit_linear", 0.0, 2.0, "error", hint="TypeError (<cell 6>, line 1)")])
    start = gs.time.perf_counter()
    data = gs.results_json(result, preamble=["Graded 02_x.py."], memory_mb=256, start=start)
    assert data["execution_time"] == 12
    for t in data["tests"]:
        assert t["output_format"] == "text" and t["name_format"] == "text"
    assert data["tests"][1]["output"] == "raised TypeError (<cell 6>, line 1)"


# --- which upload is graded ----------------------------------------------------------------

def test_an_untouched_scaffold_never_wins_over_a_file_with_work(tmp_path):
    root = _root(tmp_path, {"02_linear_regression.ipynb": SCAFFOLD.read_text(),
                            "02_linear_regression_done.py": SOLUTION.read_text()})
    chosen, said = upload.choose_submission(root / "submission", "02")
    assert chosen == root / "submission" / "02_linear_regression_done.py", said
    assert said.startswith("Graded 02_linear_regression_done.py, chosen from 2 files")
    assert "every task in 02_linear_regression.ipynb is still the scaffold's" in said


def test_a_task_with_any_work_counts_and_a_stub_of_pass_does_not(tmp_path):
    started = SOLUTION.read_text()
    stubs = ("def linear(X, params):\n    '''doc'''\n    pass\n\n"
             "def fit_linear(X, y):\n    ...\n")
    root = _root(tmp_path, {"02_a.py": stubs, "02_b.py": started})
    chosen, _ = upload.choose_submission(root / "submission", "02")
    assert chosen == root / "submission" / "02_b.py"
    assert upload.untouched(root / "submission" / "02_a.py", {"linear", "fit_linear"})
    assert not upload.untouched(root / "submission" / "02_b.py", {"linear", "fit_linear"})


def test_a_class_task_is_untouched_only_when_every_method_is(tmp_path):
    path = tmp_path / "06.py"
    path.write_text("class Adam:\n    def step(self):\n        raise NotImplementedError('x')\n"
                    "    def zero_grad(self):\n        raise NotImplementedError\n")
    assert upload.untouched(path, {"Adam", "Momentum"})
    path.write_text(path.read_text() + "    def lr(self):\n        return 1\n")
    assert not upload.untouched(path, {"Adam", "Momentum"})


# --- the platform's limits and modules, said to the student ---------------------------------

def _over(notes: list[str], hint: str = "") -> SubmissionResult:
    check = CheckResult("fit", "fit_linear", 0.0, 2.0, "error" if hint else "passed", hint=hint)
    return SubmissionResult("02_x.py", "02", [check], list(notes))


def test_running_out_of_memory_says_what_the_grading_machine_allows():
    torch_note = ("cell 17: RuntimeError: [enforce fail at alloc_cpu.cpp:127] err == 0. "
                  "DefaultCPUAllocator: can't allocate memory: you tried to allocate "
                  "419430400 bytes. Error code 12 (Cannot allocate memory) (cell 17, line 2 …")
    r = _over([torch_note, "cell 19: ran out of memory (MemoryError) (cell 19, line 2 in "
               "<module>)"], hint="ran out of memory (MemoryError) (line 3 in fit_linear)")
    data = gs.results_json(r, preamble=[], memory_mb=256, start=gs.time.perf_counter())
    lines = data["output"].splitlines()
    assert lines[0].startswith("cell 17: ran out of memory: the grading machine allows 256 MB")
    assert lines[1].startswith("cell 19: ran out of memory: the grading machine allows 256 MB")
    assert "(cell 19, line 2 in <module>)" in lines[1]
    assert "the grading machine allows 256 MB" in data["tests"][0]["output"]


def test_a_missing_module_is_named_as_one_the_grading_machine_lacks():
    r = _over(["cell 1: ModuleNotFoundError: No module named 'pandas' (cell 1, line 1 in "
               "<module>)"], hint="ModuleNotFoundError: No module named 'sklearn.linear_model'")
    data = gs.results_json(r, preamble=[], memory_mb=256, start=gs.time.perf_counter())
    assert data["output"].startswith(
        "cell 1: the grading machine does not have the module 'pandas'")
    assert "the grading machine does not have the module 'sklearn.linear_model'" in \
        data["tests"][0]["output"]


# --- the bundle's scripts ------------------------------------------------------------------

def _bundle(tmp_path: Path, *args: str) -> zipfile.ZipFile:
    wheel = tmp_path / "gdcourse-0-py3-none-any.whl"
    wheel.write_bytes(b"not read here")
    out = tmp_path / "ag.zip"
    assert cli_main(["autograder", "02", "--wheel", str(wheel), "-o", str(out), *args]) == 0
    return zipfile.ZipFile(out)


def test_the_bundle_fits_gradescope_s_default_container(tmp_path):
    run = _bundle(tmp_path).read("run_autograder").decode()
    # 768 MB in all: what the grader and torch hold, and the rest for the submission
    assert f"--memory {768 - bundle.GRADER_MB}" in run and "--timeout 540" in run


def test_the_instructor_s_limits_and_packages_reach_the_scripts(tmp_path):
    req = tmp_path / "req.txt"
    req.write_text("scipy>=1.10\n")
    zf = _bundle(tmp_path, "--memory", "2048", "--timeout", "1200", "--pip", "pandas",
                 "scikit-learn<2", "--requirements", str(req))
    run, setup = zf.read("run_autograder").decode(), zf.read("setup.sh").decode()
    assert f"--memory {2048 - bundle.GRADER_MB}" in run and "--timeout 1140" in run
    assert "pandas 'scikit-learn<2'" in setup and '-r "$SOURCE/requirements.txt"' in setup
    assert zf.read("requirements.txt") == b"scipy>=1.10\n"


def test_a_container_too_small_for_the_grader_is_refused(tmp_path):
    with pytest.raises(InvalidArgumentError, match="at least 768 MB"):
        bundle.build_bundle("02", tmp_path / "a.zip", wheel=tmp_path / "w.whl", memory=512)
    with pytest.raises(InvalidArgumentError, match="--requirements"):
        bundle.build_bundle("02", tmp_path / "a.zip", wheel=tmp_path / "w.whl",
                        pip=["--index-url=http://x"])
