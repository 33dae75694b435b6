"""``gdcourse grade`` as an instructor runs it: file names that look like options, class runs
without --exercise, outputs that cannot be written, submissions that cannot be graded. Most
tests stand in for the grading itself (runner.grade) to stay fast; one grades for real."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from gdcourse.cli import main
from gdcourse.grading import runner
from gdcourse.grading.results import CheckResult, SubmissionResult

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_02 = ROOT / "exercises" / "source" / "02_linear_regression.py"


def _fake(path: str, points: float = 1.0, note: str = "") -> SubmissionResult:
    if "missing" in path:
        return SubmissionResult(path, "?", notes=[f"not graded: no submission file {path!r}"])
    return SubmissionResult(path, "02", [CheckResult("linear", "linear", points, 1.0,
                                                     "passed" if points else "failed")],
                            notes=[note] if note else [])


@pytest.fixture
def graded(monkeypatch):
    """runner.grade replaced: records its arguments, returns one result per path."""
    calls: list[dict] = []

    def fake_grade(paths, *, progress=None, **kwargs):
        calls.append({"paths": [str(p) for p in paths], **kwargs})
        results = [_fake(str(p), note=kwargs.get("note", "")) for p in paths]
        for r in results:
            if progress:
                progress(r)
        return results

    monkeypatch.setattr(runner, "grade", fake_grade)
    return calls


def test_a_file_named_like_an_option_never_sets_one(tmp_path, monkeypatch, graded, capsys):
    monkeypatch.chdir(tmp_path)
    for name in ("--hidden=evil.ipynb", "alice.ipynb"):
        Path(name).write_text("{}")
    (tmp_path / "evil.ipynb").mkdir()
    # What the shell makes of `gdcourse grade --exercise 02 *.ipynb`:
    with pytest.raises(SystemExit) as stop:
        main(["grade", "--exercise", "02", "--hidden=evil.ipynb", "alice.ipynb"])
    assert stop.value.code == 2 and graded == []
    assert "is also the name of a file here" in capsys.readouterr().err
    # Abbreviations are off, so `--hid=evil.ipynb` cannot slip past either.
    Path("--hid=evil.ipynb").write_text("{}")
    with pytest.raises(SystemExit):
        main(["grade", "--exercise", "02", "--hid=evil.ipynb", "alice.ipynb"])
    assert graded == []
    # After --, as the README writes it, the same name is just a submission.
    assert main(["grade", "--exercise", "02", "--", "--hidden=evil.ipynb", "alice.ipynb"]) == 0
    assert graded[0]["paths"] == ["--hidden=evil.ipynb", "alice.ipynb"]
    assert graded[0]["hidden"] is None


def test_a_class_needs_an_exercise(tmp_path, graded, capsys):
    assert main(["grade", "--", "a.ipynb", "b.ipynb"]) == 2
    assert "needs --exercise NN" in capsys.readouterr().err and graded == []
    assert main(["grade", "--", "a.ipynb"]) == 0          # one file may declare its own
    assert graded[0]["exercise"] is None


def test_what_cannot_be_graded_or_written_is_listed_after_everything_else(
        tmp_path, graded, capsys):
    (tmp_path / "class.json").mkdir()                     # a directory where --json goes
    code = main(["grade", "--exercise", "02", "--csv", str(tmp_path / "class.csv"),
                 "--json", str(tmp_path / "class.json"), "--reports", str(tmp_path / "r"),
                 "--", "a.py", "missing.py", "b.py"])
    assert code == 1
    err = capsys.readouterr().err
    assert "graded 2 of 3 submission(s)" in err
    assert "could not grade 1:" in err and "missing.py" in err
    assert "could not write 1:" in err and "class.json" in err
    rows = list(csv.DictReader((tmp_path / "class.csv").read_text("utf-8-sig").splitlines()))
    assert [r["submission"] for r in rows] == ["a.py", "missing.py", "b.py"]
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "a.py.txt", "b.py.txt", "missing.py.txt"]


def test_a_lone_surrogate_under_v_is_printed_not_raised(tmp_path, monkeypatch, capsys):
    def fake_grade(paths, *, progress=None, **kwargs):
        results = [_fake(str(p), note="cell 1: ValueError: \ud800 and \x1b[2J") for p in paths]
        for r in results:
            progress(r)
        return results

    monkeypatch.setattr(runner, "grade", fake_grade)
    assert main(["grade", "-v", "--csv", str(tmp_path / "c.csv"), "--", "a.py"]) == 0
    out = capsys.readouterr().out
    assert "ValueError: \ufffd and \\x1b[2J" in out
    assert "\ufffd" in (tmp_path / "c.csv").read_text(encoding="utf-8")


def test_a_bad_roster_fails_before_grading(tmp_path, graded, capsys):
    (tmp_path / "roster.csv").write_text("who\nalice\n")
    assert main(["grade", "--exercise", "02", "--roster", str(tmp_path / "roster.csv"),
                 "--", "a.py"]) == 1
    assert "needs a file column" in capsys.readouterr().err and graded == []


def test_grade_end_to_end_with_a_roster_and_a_missing_file(tmp_path, capsys):
    """Real grading: the solution scores full marks under its student's id; the missing
    file is listed and the command exits 1, after writing everything else."""
    sub = tmp_path / "alice.py"
    sub.write_text(SOLUTION_02.read_text())
    (tmp_path / "roster.csv").write_text("file,student_id,name\nalice.py,s1,Alice\n"
                                         "bob.py,s2,Bob\ncarol.py,s3,Carol\n")
    code = main(["grade", "--exercise", "02", "--roster", str(tmp_path / "roster.csv"),
                 "--csv", str(tmp_path / "class.csv"), "--json-dir", str(tmp_path / "gs"),
                 "--timeout", "60", "--", str(sub), str(tmp_path / "bob.py")])
    err = capsys.readouterr().err
    assert code == 1 and "could not grade 1:" in err and "bob.py" in err
    text = (tmp_path / "class.csv").read_text("utf-8-sig")
    rows = {r["student"]: r for r in csv.DictReader(text.splitlines())}
    assert rows["s1"]["name"] == "Alice" and rows["s1"]["percent"] == "100.0"
    full = rows["s1"]["max_score"]
    # bob's file is missing: not graded, out of the exercise's real points, and why
    assert rows["s2"] == {**rows["s2"], "score": "", "max_score": full, "exercise": "ex02"}
    assert rows["s2"]["status"].startswith("not graded: ")
    # carol was never passed to the grader: still a row, 0 points, "no submission"
    assert rows["s3"] == {**rows["s3"], "score": "0", "max_score": full,
                          "status": "no submission"}
    data = json.loads((tmp_path / "gs" / "alice.py.json").read_text())   # as the README says
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) > 0


SIMILARITY_CLASS = ROOT / "tests" / "data" / "similarity"


def test_similarity_report_from_grade_discounts_the_exercise_scaffold(tmp_path, graded,
                                                                      capsys):
    """``--similarity DIR`` writes the report on the class just graded, with the exercise's
    own scaffold discounted: the untouched scaffolds (erin, frank) share nothing."""
    pytest.importorskip("copydetect")
    subs = sorted(str(p) for p in SIMILARITY_CLASS.iterdir())
    out = tmp_path / "sim"
    assert main(["grade", "--exercise", "06", "--similarity", str(out), "--", *subs]) == 0
    rows = list(csv.DictReader((out / "pairs.csv").read_text("utf-8-sig").splitlines()))
    assert len(rows) == len(subs) * (len(subs) - 1) // 2
    top = {Path(rows[0]["submission_a"]).name, Path(rows[0]["submission_b"]).name}
    assert top == {"alice.py", "bob.ipynb"} and float(rows[0]["similarity"]) > 0.9
    scaffolds = [r for r in rows if {"erin.py", "frank.ipynb"}
                 == {Path(r["submission_a"]).name, Path(r["submission_b"]).name}]
    assert float(scaffolds[0]["similarity"]) == 0.0      # without the scaffold: > 0.9
    assert (out / "report.html").is_file()
    err = capsys.readouterr().err
    assert "06_momentum_adam.py" in err and "alice.py" in err    # what was discounted, top pair


def test_similarity_scaffold_given_by_hand_replaces_the_exercises(tmp_path, graded):
    pytest.importorskip("copydetect")
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("def f(x):\n    return [v * 2 for v in x if v > 0]\n")
    b.write_text("def g(y):\n    return [w * 2 for w in y if w > 0]\n")
    assert main(["grade", "--exercise", "02", "--similarity", str(tmp_path / "s"),
                 "--scaffold", str(a), "--", str(a), str(b)]) == 0
    assert "scaffold discounted: " + str(a) in (tmp_path / "s" / "report.html").read_text()


def test_a_class_none_of_whom_could_be_graded_is_out_of_the_exercises_points(tmp_path,
                                                                            graded):
    from gdcourse.grading.registry import get_exercise

    assert main(["grade", "--exercise", "2", "--csv", str(tmp_path / "c.csv"), "--",
                 "missing_a.py", "missing_b.py"]) == 1
    rows = list(csv.DictReader((tmp_path / "c.csv").read_text("utf-8-sig").splitlines()))
    assert [(r["exercise"], r["score"], r["max_score"]) for r in rows] == [
        ("ex02", "", f"{get_exercise('02').max_points:g}")] * 2
    assert all(r["status"].startswith("not graded: no submission file") for r in rows)


LONG = "submissions/section-b/" + "a-very-long-folder-name/" * 5 + "zoe_final_v2.ipynb"
NAMES = ["a.py", "submissions/bob.ipynb", LONG]


def _progress(capsys) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_progress_piped_is_one_summary_line_each_as_before(graded, capsys):
    from gdcourse.grading.outputs.report import summary_line

    assert main(["grade", "--exercise", "02", "--", *NAMES]) == 0
    assert _progress(capsys) == [summary_line(_fake(n)) for n in NAMES]


def test_progress_on_a_terminal_counts_and_keeps_columns_aligned(graded, capsys,
                                                                  monkeypatch):
    from gdcourse.grading.outputs import progress

    monkeypatch.setattr(progress, "_on_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["grade", "--exercise", "02", "--", *NAMES[:2], "missing_" + "x" * 80 + ".py"]) == 1
    noted = _progress(capsys)     # the note of a file it could not grade is cut, not wrapped
    assert len(noted[2]) == 99 and noted[2].endswith("...")
    assert main(["grade", "--exercise", "02", "--", *NAMES]) == 0
    lines = _progress(capsys)
    assert [line[:6] for line in lines] == ["[1/3] ", "[2/3] ", "[3/3] "]
    # The exercise column starts at the same place on every line, however long the path.
    assert len({line.index(" 02 ") for line in lines}) == 1
    assert all(len(line) <= 100 for line in lines)
    # A path too long for the terminal loses its middle, not its file name.
    assert "..." in lines[2] and "zoe_final_v2.ipynb" in lines[2]
    assert lines[2].startswith("[3/3] submissions/")
    # Short names on a wide terminal: the column is as wide as the longest name only.
    main(["grade", "--exercise", "02", "--", "a.py", "bb.py"])
    short = _progress(capsys)
    assert short[0].index(" 02 ") == short[1].index(" 02 ") == len("[1/2] bb.py ")


def test_similarity_leaves_out_a_file_changed_while_grading(tmp_path, monkeypatch, capsys):
    pytest.importorskip("copydetect")
    subs = [tmp_path / f"{n}.py" for n in ("a", "b", "c")]
    for k, p in enumerate(subs):
        p.write_text(f"def f{k}(x):\n    return [v * {k} for v in x if v > {k}]\n")

    def rewriting_grade(paths, *, progress=None, **kwargs):
        subs[2].write_text(subs[0].read_text())     # a child rewrites a classmate's file
        return [_fake(str(p)) for p in paths]

    monkeypatch.setattr(runner, "grade", rewriting_grade)
    assert main(["grade", "--exercise", "02", "--similarity", str(tmp_path / "s"), "--",
                 *map(str, subs)]) == 1
    assert "c.py changed on disk while grading" in capsys.readouterr().err
    text = (tmp_path / "s" / "pairs.csv").read_text("utf-8-sig")
    assert "a.py" in text and "c.py" not in text
