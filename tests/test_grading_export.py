"""The instructor's files (export.py, roster.py): a gradebook CSV with a roster, the class
JSON, one Gradescope results.json per submission, text reports; every writer atomic, never
following a link, and one bad submission never costing the others their rows or files."""

from __future__ import annotations

import codecs
import csv
import errno
import json
import os

import pytest

from gdcourse.errors import InvalidArgumentError
from gdcourse.grading.outputs import export
from gdcourse.grading.outputs.export import (
    atomic_write,
    file_names,
    gradescope,
    write_csv,
    write_json,
    write_json_dir,
    write_reports,
)
from gdcourse.grading.outputs.report import summary_line, text_report
from gdcourse.grading.outputs.roster import Student, read_roster, student_of
from gdcourse.grading.results import CheckResult, SubmissionResult

GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def _result(name: str, earned: int, *, notes: list[str] | None = None,
            flags: list[str] | None = None) -> SubmissionResult:
    checks = [CheckResult("linear computes X @ theta + theta_0", "linear",
                          1.0 if earned >= 1 else 0.0, 1.0,
                          "passed" if earned >= 1 else "failed", "expected 2, got 3"),
              CheckResult("fit_linear steps", "fit_linear", 2.0 if earned >= 3 else 0.0, 2.0,
                          "passed" if earned >= 3 else "not attempted"),
              CheckResult("secret", "fit_linear", 3.0 if earned >= 6 else 0.0, 3.0,
                          "passed" if earned >= 6 else "failed", "the hidden expectation",
                          hidden=True)]
    return SubmissionResult(name, "02", checks, notes=notes or [], flags=flags or [],
                            elapsed=1.25)


def _valid_gradescope(data: dict) -> None:
    """Gradescope's autograder specification: a score, tests with name, score, max_score,
    output and one of its four visibilities; nothing that is not JSON's own types."""
    assert isinstance(data["score"], float | int)
    assert data["stdout_visibility"] in GRADESCOPE_VISIBILITY
    assert isinstance(data["output"], str)
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output", "visibility"}
        assert t["visibility"] in GRADESCOPE_VISIBILITY
        assert 0 <= t["score"] <= t["max_score"]
    assert data["score"] == sum(t["score"] for t in data["tests"])


# --- a gradebook for a class of 30 --------------------------------------------------------------

def test_roster_mapped_csv_and_one_gradescope_file_per_submission_for_30(tmp_path):
    results = [_result(f"subs/student{i:02d}.ipynb", i % 7) for i in range(30)]
    roster_csv = tmp_path / "roster.csv"
    lines = ["\ufeffFile,Student_ID,Name"]     # as Excel saves it: BOM, capitalised header
    lines += [f"student{i:02d}.ipynb,s{1000 + i},Student {i}" for i in range(29)]
    roster_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    roster = read_roster(roster_csv)

    assert write_csv(results, tmp_path / "class.csv", roster=roster) == []
    with open(tmp_path / "class.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 30
    assert list(rows[0])[:9] == ["submission", "exercise", "score", "max_score", "percent",
                                 "student", "name", "status", "flags"]
    assert list(rows[0])[-4:] == ["linear computes X @ theta + theta_0", "fit_linear steps",
                                  "hidden: secret", "notes"]
    assert rows[3] == {**rows[3], "student": "s1003", "name": "Student 3", "score": "3",
                       "max_score": "6", "percent": "50.0", "fit_linear steps": "2"}
    assert rows[29]["student"] == "student29" and rows[29]["name"] == ""   # not on the roster

    assert write_json_dir(results, tmp_path / "gs") == []
    files = sorted((tmp_path / "gs").iterdir())
    assert [f.name for f in files] == [f"student{i:02d}.ipynb.json" for i in range(30)]
    for i, f in enumerate(files):
        data = json.loads(f.read_text())
        _valid_gradescope(data)
        assert data["score"] == results[i].score
        secret = data["tests"][-1]
        assert secret["visibility"] == "after_published"      # never before publication
        assert "expectation" not in json.dumps(data)           # hidden hint: instructor only


def test_class_json_is_one_object_and_a_single_entry_keeps_gradescope_fields(tmp_path):
    results = [_result("a.py", 6, flags=["uses exec on line 3"]), _result("b.py", 0)]
    assert write_json(results, tmp_path / "class.json") == []
    data = json.loads((tmp_path / "class.json").read_text())
    assert [s["submission"] for s in data["submissions"]] == ["a.py", "b.py"]
    assert data["submissions"][0]["flags"] == ["uses exec on line 3"]
    assert data["submissions"][0]["student"] == "a"
    write_json(results[:1], tmp_path / "one.json")
    one = json.loads((tmp_path / "one.json").read_text())
    _valid_gradescope({k: one[k] for k in ("score", "output", "stdout_visibility", "tests")})
    assert one["max_score"] == 6


def test_flags_reach_the_instructor_never_the_student():
    r = _result("a.py", 1, flags=["imports importlib"], notes=["cell 2: ValueError"])
    assert "importlib" in text_report(r) and "flagged: 1" in summary_line(r)
    assert "importlib" not in json.dumps(gradescope(r))
    assert "ValueError" in gradescope(r)["output"]


# --- hostile names and notes ------------------------------------------------------------

def test_hostile_names_and_notes_cannot_crash_or_forge_anything(tmp_path):
    nasty = [
        _result(os.fsdecode(b"caf\xe9-latin1.py"), 1),             # not UTF-8
        _result("x" * 240 + ".ipynb", 1),                            # too long with .txt
        _result("=HYPERLINK(\"http://evil\").py", 1),                # a CSV formula
        _result("evil\n  [pass]  linear  1/1.py", 0,                # a forged report line
                notes=["boom\ud800", "line one\n  [pass]  fake  10/10"]),
        _result(".hidden.py", 1),
        _result("subs/a.py", 1), _result("subs__a.py", 1),           # same file name
    ]
    problems = (write_csv(nasty, tmp_path / "c.csv") + write_json(nasty, tmp_path / "c.json")
                + write_reports(nasty, tmp_path / "reports")
                + write_json_dir(nasty, tmp_path / "gs"))
    assert problems == []
    text = (tmp_path / "c.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    assert len(rows) == len(nasty) + 1                   # no row split by a newline
    assert [r[0][:1] for r in rows[1:]].count("=") == 0   # formula disarmed
    assert "'=HYPERLINK" in text
    assert "\ud800" not in text and "\ufffd" in text
    reports = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert len(reports) == len(nasty) == len(set(reports))
    assert all(len(n.encode()) <= 200 and not n.startswith(".") for n in reports)
    for path in (tmp_path / "reports").iterdir():
        body = path.read_text(encoding="utf-8")
        assert "\n  [pass]  fake" not in body and "\n  [pass]  linear  1/1" not in body
    report = text_report(nasty[3])
    assert report.count("\n") == text_report(_result("plain.py", 0, notes=["a", "b"])).count(
        "\n")
    json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))


def test_file_names_are_plain_when_they_can_be():
    names = file_names([_result("s0_correct.py", 1), _result("dir/x.ipynb", 1)], ".txt")
    assert names == ["s0_correct.py.txt", "x.ipynb.txt"]       # as the README says
    # The same name in two folders: both keep their folder, so neither is a guess.
    names = file_names([_result("a/x.py", 1), _result("b/x.py", 1), _result("y.py", 1)],
                       ".json")
    assert names == ["a__x.py.json", "b__x.py.json", "y.py.json"]


# --- a gradebook a spreadsheet opens as written -------------------------------------------

def test_gradebook_has_a_bom_text_exercise_every_roster_student_and_clear_ungraded_rows(
        tmp_path):
    dan = SubmissionResult("subs/dan.ipynb", "?", path="subs/dan.ipynb", notes=[
        "not graded: dan.ipynb is not a readable notebook (Expecting value)"])
    results = [_result("subs/zoë.ipynb", 6), _result("subs/李雷.py", 1), dan]
    roster = {"zoë.ipynb": Student("s1", "Zoë Ünal"), "李雷.py": Student("s2", "李雷"),
              "dan.ipynb": Student("s3", "Dan"), "eve.py": Student("s4", "Eve")}
    path = tmp_path / "class.csv"
    assert write_csv(results, path, roster=roster, exercise="02", max_score=6) == []
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)              # Excel's cue that this is UTF-8
    rows = {r["student"]: r for r in csv.DictReader(raw.decode("utf-8-sig").splitlines())}
    assert set(rows) == {"s1", "s2", "s3", "s4"}        # one row per roster student
    assert rows["s1"]["name"] == "Zoë Ünal" and rows["s2"]["name"] == "李雷"
    # "02" would load as the number 2; a form that is not a number stays as written.
    assert {r["exercise"] for r in rows.values()} == {"ex02"}
    assert rows["s1"] == {**rows["s1"], "score": "6", "max_score": "6", "status": "graded"}
    # Not graded: the exercise's real max, no score, and why.
    assert rows["s3"] == {**rows["s3"], "score": "", "max_score": "6", "percent": ""}
    assert rows["s3"]["status"].startswith("not graded: dan.ipynb is not a readable")
    # On the roster, nothing handed in: 0 of the real max, and the note.
    assert rows["s4"] == {**rows["s4"], "submission": "", "score": "0", "max_score": "6",
                          "percent": "0.0", "status": "no submission",
                          "notes": "no submission"}


# --- atomic writes ------------------------------------------------------------

def test_reports_replace_a_planted_link_instead_of_following_it(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("root's file\n")
    out = tmp_path / "reports"
    out.mkdir()
    (out / "a.py.txt").symlink_to(victim)
    (out / "b.py.txt").symlink_to(tmp_path / "nowhere")         # dangling: not created
    assert write_reports([_result("a.py", 1), _result("b.py", 1)], out) == []
    assert victim.read_text() == "root's file\n"
    assert not (out / "a.py.txt").is_symlink() and "a.py: exercise 02" in (
        out / "a.py.txt").read_text()
    assert not (tmp_path / "nowhere").exists()


def test_a_full_disk_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "class.csv"
    target.write_text("yesterday\n")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, "today\n")
    assert target.read_text() == "yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class.csv"]


def test_one_report_that_cannot_be_written_costs_only_that_one(tmp_path, monkeypatch):
    real = export.atomic_write

    def flaky(path, text):
        if "bad" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr(export, "atomic_write", flaky)
    problems = write_reports([_result("good.py", 1), _result("bad.py", 1),
                              _result("fine.py", 1)], tmp_path)
    assert len(problems) == 1 and "bad.py" in problems[0] and "No space" in problems[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fine.py.txt", "good.py.txt"]


def test_a_directory_where_the_json_goes_is_an_error_in_words(tmp_path):
    (tmp_path / "results.json").mkdir()
    with pytest.raises(IsADirectoryError, match="directory is in the way"):
        write_json([_result("a.py", 1)], tmp_path / "results.json")


# --- the roster ------------------------------------------------------------

def test_roster_errors_say_what_is_expected(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("who,what\nalice,1\n")
    with pytest.raises(InvalidArgumentError, match="needs a file column"):
        read_roster(bad)
    bad.write_text("file,id\na.py,1\na.py,2\n")
    with pytest.raises(InvalidArgumentError, match="lists 'a.py' twice"):
        read_roster(bad)
    with pytest.raises(InvalidArgumentError, match="cannot read the roster"):
        read_roster(tmp_path / "missing.csv")
    bad.write_text("submission,sid\nsubs/alice.ipynb,7\nbob,8\n")
    roster = read_roster(bad)
    assert student_of("x/alice.ipynb", roster).id == "7"
    assert student_of("bob.py", roster).id == "8"              # matched by stem
    assert not student_of("carol.py", roster).on_roster


def test_a_newline_in_a_file_name_is_not_a_folder_in_the_student_column(tmp_path):
    # The grader shows "new\nline.py" as "new / line.py"; the student is still "new line"'s
    # stem, cleaned, not " line" (what splitting the display name on "/" gave).
    r = _result("subs/new / line.py", 6)
    r.path = "subs/new\nline.py"
    write_csv([r], tmp_path / "c.csv")
    (row,) = list(csv.DictReader((tmp_path / "c.csv").read_text("utf-8-sig").splitlines()))
    assert row["student"] == "new / line"


def test_a_hidden_check_shows_the_student_no_reason_whatever_its_status():
    statuses = ["not attempted", "failed", "error", "timeout", "crashed", "missing"]
    checks = [CheckResult(f"secret {s}", "fit_linear", 0.0, 1.0, s,
                          "fit_linear raises NotImplementedError", hidden=True)
              for s in statuses]
    r = SubmissionResult("amy.ipynb", "02", checks)
    for test in gradescope(r)["tests"]:
        assert test["output"] == "hidden check: details are shown to the instructor only"
    assert "fit_linear raises NotImplementedError" in text_report(r)   # the instructor's
