"""The grader's parts: the plain-data wire, judges' hints, cells, scaffolds, registry,
reports, and check() run from an empty directory in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from gdcourse.errors import InvalidArgumentError
from gdcourse.grading import (
    Check,
    Verdict,
    check,
    exercise_ids,
    get_exercise,
    grade,
    load_hidden,
)
from gdcourse.grading.cells import pythonize, read_cells
from gdcourse.grading.judges.compare import close
from gdcourse.grading.outputs.export import gradescope, write_csv, write_json
from gdcourse.grading.outputs.report import summary_line, text_report
from gdcourse.grading.registry import child_inputs, make_inputs, normalize_id
from gdcourse.grading.results import judge
from gdcourse.grading.scaffold import split_cells, strip_solutions
from gdcourse.grading.wire import WireError, decode, encode

ROOT = Path(__file__).resolve().parents[1]


# --- wire -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16,
                                   torch.bfloat16, torch.int64, torch.int32, torch.bool])
def test_tensors_cross_bit_for_bit(dtype):
    t = (torch.randn(3, 4, dtype=torch.float64) * 1e3).to(dtype)
    back = decode(encode({"t": t, "items": [t[0], 1.5, None, "s", True]}))
    assert back["t"].dtype == dtype and torch.equal(back["t"], t)
    assert back["items"][1:] == [1.5, None, "s", True]


def test_special_floats_and_detached_views_cross():
    t = torch.tensor([float("nan"), float("inf"), -0.0], requires_grad=True)
    back = decode(encode(t[1:] * 1))
    assert back.requires_grad is False and back.tolist() == [float("inf"), -0.0]


@pytest.mark.parametrize("obj, match", [(object(), "cannot be sent"), ({1: 2}, "keys"),
                                        (torch.zeros(2, dtype=torch.complex64), "dtype")])
def test_encode_refuses_objects(obj, match):
    with pytest.raises(WireError, match=match):
        encode(obj)


@pytest.mark.parametrize("text, match", [
    ('{"__tensor__": "object", "shape": [1], "b64": ""}', "malformed tensor"),
    ('{"__tensor__": "float64", "shape": [2], "b64": "AAAA"}', "needs 16 bytes"),
    ('{"__tensor__": "float64", "shape": [-1], "b64": ""}', "shape"),
    ('{"__tensor__": "float64", "shape": [100000, 100000], "b64": ""}', "larger than"),
    ("[" * 40 + "]" * 40, "deeper"), ("not json", "not valid plain data")])
def test_decode_refuses_malformed_data(text, match):
    with pytest.raises(WireError, match=match):
        decode(text)


# --- judges ---------------------------------------------------------------------------------

def test_close_hints_name_the_worst_entry_and_shapes():
    e = torch.tensor([1.0, 2.0, 3.0])
    assert close(e.clone(), e).passed
    assert close(torch.tensor([1.0, 2.0, 3.5]), e, what="preds").hint == \
        "preds[2]: expected 3, got 3.5"
    assert "try .squeeze(-1)" in close(e[:, None], e).hint
    assert "expected a tensor of shape (3,), got str" in close("no", e).hint
    assert "got nan" in close(torch.tensor([1.0, float("nan"), 3.0]), e).hint
    assert close(2.0, torch.tensor(2.0)).passed            # a float for a 0-dim answer
    assert close(None, e).hint.endswith("got None (is a return statement missing?)")


def test_judge_ignores_forged_statuses_and_unknown_records():
    ex = get_exercise("02")
    inputs = [make_inputs(c) for c in ex.checks]
    records = {0: {"status": "passed", "points": 99}, 1: {"status": "ok", "out": {"x": 1}},
               2: "junk"}
    results = judge(ex, records, inputs, missing_reason="process ended early")
    assert [r.points for r in results] == [0, 0, 0, 0]
    assert [r.status for r in results] == ["error", "failed", "not run", "not run"]
    assert results[3].hint == "process ended early"


@pytest.mark.parametrize("ex_id", exercise_ids())
@pytest.mark.parametrize("forged", [[], [[]] * 3, [[]] * 10, [[]] * 40])
def test_no_check_passes_an_answer_that_holds_nothing(ex_id, forged):
    # A child's answers are untrusted: a list pairing answers with inputs must not pass by
    # being shorter than the inputs (or a list of empty lists), whatever its length.
    ex = get_exercise(ex_id).with_checks(load_hidden(ROOT / "exercises" / "hidden", ex_id))
    inputs = [make_inputs(c) for c in ex.checks]
    records = {i: {"status": "ok", "out": forged} for i in range(len(ex.checks))}
    results = judge(ex, records, inputs)
    assert [r.name for r in results if r.points] == []


def test_a_short_answer_list_is_named_in_the_hint():
    ex = get_exercise("01")
    i = next(k for k, c in enumerate(ex.checks) if c.task == "mse")
    inputs = [make_inputs(c) for c in ex.checks]
    (result,) = [r for k, r in enumerate(judge(ex, {i: {"status": "ok", "out": []}}, inputs))
                 if k == i]
    assert result.points == 0 and result.hint == "expected 3 answers, got a list of length 0"


def test_child_inputs_drop_judge_only_keys():
    assert child_inputs({"a": 1, "_expected": 2, "items": [{"t": 1, "_pts": [0]}]}) == \
        {"a": 1, "items": [{"t": 1}]}


# --- cells and scaffolds --------------------------------------------------------------------

def test_notebook_cells_turn_magics_into_pass(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": ["if True:\n", "    %pip install x\n",
                                                     "!ls\n"]},
                     {"cell_type": "markdown", "source": "text"},
                     {"cell_type": "code", "source": "%%time\nfrom gdcourse.grading import "
                      "check\ncheck('05')"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "mine.ipynb"
    path.write_text(json.dumps(nb))
    cells, exercise = read_cells(path)
    assert exercise == "05" and len(cells) == 2
    compile(cells[0], "c", "exec")
    assert "pass  # %pip install x" in cells[0] and cells[1].startswith("from")
    assert pythonize("x = 1") == "x = 1\n"


@pytest.mark.parametrize("name, text, match", [
    ("a.ipynb", "{not json", "not a readable notebook"),
    ("a.ipynb", '{"cells": ' + "[" * 100000 + "]" * 100000 + "}", "not a readable notebook"),
    ("a.ipynb", '{"cells": "abc"}', "not a readable notebook"),
    ("a.txt", "x = 1", "are .ipynb or .py"),
])
def test_unreadable_submissions_are_refused(tmp_path, name, text, match):
    (tmp_path / name).write_text(text)
    with pytest.raises(InvalidArgumentError, match=match):
        read_cells(tmp_path / name)


def test_py_cells_split_at_markers_and_declare_their_exercise(tmp_path):
    path = tmp_path / "work.py"
    path.write_text("# gdcourse-exercise: 04\nx = 1\n# %%\ny = 2\n# %% [markdown]\n# hi\n")
    cells, exercise = read_cells(path)
    assert exercise == "04" and len(cells) == 3


@pytest.mark.parametrize("text, match", [
    ("### BEGIN SOLUTION\nx\n", "never closed"), ("### END SOLUTION\n", "without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "inside another")])
def test_bad_solution_markers(text, match):
    with pytest.raises(InvalidArgumentError, match=match):
        strip_solutions(text)


def test_split_cells_reads_markdown_and_code():
    cells = split_cells("# %% [markdown]\n# # Title\n#\n# text\n\n# %%\nx = 1\n")
    assert cells == [("markdown", "# Title\n\ntext"), ("code", "x = 1")]
    with pytest.raises(InvalidArgumentError, match="must start"):
        split_cells("x = 1\n")


# --- registry -------------------------------------------------------------------------------

@pytest.mark.parametrize("given", ["2", 2, "02", "ex02", "exercise 2", "02_linear"])
def test_exercise_ids_are_forgiving(given):
    assert normalize_id(given) == "02"


def test_unknown_exercise_and_task():
    with pytest.raises(InvalidArgumentError, match="there is no exercise '9'"):
        check("9")
    with pytest.raises(InvalidArgumentError, match="'fit' is not a task of exercise 02"):
        check("02", "fit")


def test_hidden_checks_are_validated(tmp_path):
    with pytest.raises(InvalidArgumentError, match="does not exist"):
        load_hidden(tmp_path / "nope", "02")
    (tmp_path / "a.py").write_text("CHECKS = []\n")
    with pytest.raises(InvalidArgumentError, match="must say which exercise"):
        load_hidden(tmp_path, "02")
    (tmp_path / "a.py").write_text("EXERCISE = '02'\nCHECKS = [1]\n")
    with pytest.raises(InvalidArgumentError, match="Check objects"):
        load_hidden(tmp_path, "02")
    bogus = Check("x", "linear", 1, dict, lambda o, i: Verdict(True), probe="teleport")
    with pytest.raises(InvalidArgumentError, match="reuse the exercise's probes"):
        get_exercise("02").with_checks([bogus])
    (tmp_path / "a.py").write_text("EXERCISE = '01'\nCHECKS = [1]\n")
    assert load_hidden(tmp_path, "02") == []          # other exercises' files are skipped


def test_grade_validates_its_limits():
    with pytest.raises(InvalidArgumentError, match="timeout > 0"):
        grade([], timeout=0)
    with pytest.raises(InvalidArgumentError, match="isolate must be one of"):
        grade([], isolate="chroot")
    with pytest.raises(InvalidArgumentError, match="there is no exercise '7'"):
        grade([], exercise="7")
    with pytest.raises(InvalidArgumentError, match="does not exist"):
        grade([], hidden="/nonexistent/hidden")
    if os.geteuid() != 0:
        with pytest.raises(InvalidArgumentError, match="needs the grader to run as root"):
            grade([], isolate="uid")


def test_notebook_metadata_of_the_wrong_shape_is_ignored(tmp_path):
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "check('03')"}],
                                "metadata": ["not", "a", "dict"]}))
    assert read_cells(path) == (["check('03')\n"], "03")


def test_unreadable_submission_is_reported_not_raised(tmp_path):
    (tmp_path / "x.txt").write_text("hi")
    (tmp_path / "deep.ipynb").write_text("[" * 100000 + "]" * 100000)
    (tmp_path / "anon.py").write_text("x = 1\n")
    results = grade([tmp_path / "x.txt", tmp_path / "deep.ipynb", tmp_path / "anon.py"])
    assert [r.score for r in results] == [0, 0, 0]
    assert all(r.notes[0].startswith("not graded: ") for r in results)
    assert "does not say which exercise it answers" in results[2].notes[0]
    assert "pass --exercise NN" in results[2].notes[0]


# --- reports --------------------------------------------------------------------------------

def test_reports_hide_hidden_hints_from_students(tmp_path):
    ex = get_exercise("02")
    hidden = ex.with_checks([Check("secret", "linear", 2, ex.checks[0].inputs,
                                   ex.checks[0].judge, hidden=True)])
    inputs = [make_inputs(c) for c in hidden.checks]
    records = {i: {"status": "ok", "out": [0.0]} for i in range(len(hidden.checks))}
    from gdcourse.grading.results import SubmissionResult

    r = SubmissionResult("amy.ipynb", "02", judge(hidden, records, inputs))
    gs = gradescope(r)
    assert gs["tests"][-1]["visibility"] == "after_published"
    assert gs["tests"][-1]["output"].startswith("hidden check")
    assert "expected" in text_report(r)                 # the instructor sees the reason
    write_csv([r, r], tmp_path / "c.csv")
    header = (tmp_path / "c.csv").read_text().splitlines()[0]
    assert header.endswith("hidden: secret,notes")
    write_json([r, r], tmp_path / "r.json")
    assert len(json.loads((tmp_path / "r.json").read_text())["submissions"]) == 2


def test_reports_disarm_terminal_escapes_from_the_submission():
    from gdcourse.grading.results import CheckResult, SubmissionResult

    fake = "\x1b[2A\r  [pass]  linear computes X @ theta + theta_0"
    r = SubmissionResult("eve.py", "02", [CheckResult("linear", "linear", 0, 1, "error",
                                                      "raised ValueError: " + fake)],
                         notes=["cell 1: " + fake], output=fake + "\n")
    for text in (text_report(r), summary_line(r)):
        # safetext.clean, the one rule for every string: the escape is shown, not obeyed.
        assert "\x1b" not in text and "\r" not in text and "\\x1b[2A" in text


def test_summary_line_cuts_long_notes_visibly():
    from gdcourse.grading.results import SubmissionResult

    r = SubmissionResult("amy.ipynb", "02", notes=["cell 3: " + "x" * 100, "second"])
    line = summary_line(r)
    assert line.endswith("...] (+1 more)") and "x" * 59 in line
    assert summary_line(SubmissionResult("bo.py", "02", notes=["short"])).endswith("[short]")


# --- check() from nothing but the installed package -----------------------------------------

def test_check_runs_from_an_empty_directory(tmp_path):
    # The student's script holds only what a student writes; the harness around it (an
    # audit hook, the checkout on the path) is a file of its own, since check() reads the
    # script it was called from (Python 3.13's inspect can even read `python -c` code) and
    # would rightly refuse an audit hook there.
    student = tmp_path / "student.py"
    student.write_text(textwrap.dedent("""
        from gdcourse.grading import check

        def linear(X, params):
            return X @ params[:-1] + params[-1]

        def fit_linear(X, y, *, lr=0.1, steps=200, seed=0):
            raise NotImplementedError

        result = check("02")
        print("RESULT", result.score, result.max_score)
        for exercise in ("01", "03", "04", "05", "06"):
            check(exercise, quiet=True)
        """))
    harness = tmp_path / "harness.py"
    harness.write_text(textwrap.dedent("""
        import os, runpy, sys
        # Record every file opened and every attempt to reach the network or start a process.
        events = []
        def hook(name, args):
            if name.startswith(("socket.", "urllib.", "subprocess.", "os.system", "os.exec",
                                "os.posix_spawn", "os.fork")):
                events.append(name)
            elif name == "open" and isinstance(args[0], (str, bytes)):
                events.append(os.path.realpath(os.fsdecode(args[0])))
        sys.addaudithook(hook)
        sys.path.insert(0, sys.argv[1])
        runpy.run_path(sys.argv[2], run_name="__main__")
        # The interpreter, its site-packages, gdcourse itself and the student's own folder;
        # /proc etc. are not files.
        allowed = tuple({os.path.realpath(p) + os.sep for p in
                         (sys.prefix, sys.base_prefix, sys.exec_prefix,
                          os.path.join(sys.argv[1], "gdcourse"),
                          os.path.dirname(sys.argv[2]))} | {"/proc/", "/sys/", "/dev/"})
        print("OUTSIDE", [e for e in events if not e.startswith(allowed)])
        """))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CI": "true"}
    proc = subprocess.run([sys.executable, "-I", str(harness), str(ROOT), str(student)],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "[pass]  linear computes X @ theta + theta_0" in out
    assert "not attempted yet (fit_linear raises NotImplementedError)" in out
    assert "hidden checks" in out and "RESULT 2.0 6.0" in out
    assert "OUTSIDE []" in out        # no network, no process, no file but these
    assert "Traceback" not in out + proc.stderr
    # wrote nothing beside the two files the test put there
    assert sorted(p.name for p in tmp_path.iterdir()) == ["harness.py", "student.py"]


def test_check_is_silent_inside_the_grader(monkeypatch, capsys):
    monkeypatch.setenv("GDCOURSE_GRADER_CHILD", "1")
    assert check("02") is None
    assert capsys.readouterr().out == ""


# --- expression trees (exercise 03) ---------------------------------------------------------

def test_deep_expressions_cross_and_evaluate_without_recursion():
    from gdcourse.grading.exercises.trees import C, X
    from gdcourse.grading.judges.exprs import evaluate, from_postfix, size

    tokens = [["sym", "x"]] + [tok for _ in range(5000) for tok in (["const", 1.0], ["+"])]
    tree = from_postfix(decode(encode(tokens)))
    assert size(tree) == 10001
    assert evaluate(tree, {"x": torch.tensor(2.0, dtype=torch.float64)}).item() == 5002.0
    assert evaluate(["log", C(1)], {}).item() == 0.0 and evaluate(X, {"x": 3.0}).item() == 3


@pytest.mark.parametrize("tokens, match", [([], "non-empty"), ([["+"]], "malformed"),
                                           ([["sym", "x"], ["sym", "y"]], "one tree"),
                                           ([["eval", "import os"]], "malformed")])
def test_malformed_postfix_is_refused(tokens, match):
    from gdcourse.grading.judges.exprs import from_postfix

    with pytest.raises(ValueError, match=match):
        from_postfix(tokens)


def test_a_submission_that_edits_the_grader_voids_the_run(tmp_path, monkeypatch):
    from gdcourse.errors import GDCourseError
    from gdcourse.grading import runner

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text("x = 1\n")
    monkeypatch.setattr(runner, "PACKAGE_ROOT", package)
    sub = tmp_path / "sub.py"
    sub.write_text(f"open({str(package / 'mod.py')!r}, 'a').write('y = 2\\n')\n")
    with pytest.raises(GDCourseError, match="changed while grading"):
        grade([sub], exercise="02", isolate="none", timeout=60)


def test_a_child_that_swaps_a_probe_for_an_empty_answer_earns_nothing(tmp_path, monkeypatch):
    # End to end: the submission replaces the "calls" probe inside its own child, so every
    # multi-call check sends back []; before answers were paired one to one, that scored 5/7.
    sub = tmp_path / "sub.py"
    sub.write_text(textwrap.dedent("""\
        import gdcourse.grading.registry as registry
        registry.calls_probe.__code__ = (lambda ns, *, calls: []).__code__
        def mse(preds, targets): raise NotImplementedError
        def grad_by_hand(w, x, y): raise NotImplementedError
        def grad_line_by_hand(params, x, y): raise NotImplementedError
        """))
    from gdcourse.grading import runner

    # The judges' pairing is under test: past the reading (which refuses __code__ and the
    # grading package outright), as if it had missed them.
    monkeypatch.setattr(runner.policy, "scan_bounded", lambda cells, rules: {})
    (result,) = grade([sub], exercise="01", timeout=120)
    assert result.score == 0
    assert any(c.hint.startswith("expected 3 answers") for c in result.checks)
