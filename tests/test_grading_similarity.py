"""The similarity report on a small class of exercise 06 (tests/data/similarity).

alice.py and bob.ipynb share one solution: bob renamed every variable, put ``step`` before
``zero_grad``, wrote his own comments and handed in a notebook with magics. carol.py and
dan.py wrote the textbook solution each on their own (the same short ``zero_grad`` and
``torch.zeros_like`` lists); grace.py did momentum only; erin.py and frank.ipynb handed in
the scaffold untouched.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

pytest.importorskip("copydetect")

from gdcourse.grading.outputs.similarity import main, read_code, similarity_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLASS = ROOT / "tests" / "data" / "similarity"
SCAFFOLD = [ROOT / "exercises" / "06_momentum_adam.py",
            ROOT / "exercises" / "06_momentum_adam.ipynb"]
SUBMISSIONS = sorted(CLASS.iterdir())


def _score(pairs, a: str, b: str) -> float:
    names = {str(CLASS / a), str(CLASS / b)}
    return next(p.similarity for p in pairs if {p.submission_a, p.submission_b} == names)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("similarity")
    return similarity_report(SUBMISSIONS, out, scaffold=SCAFFOLD), out


def test_the_copied_pair_ranks_first_with_a_clear_margin(report):
    pairs, _ = report
    top, second = pairs[0], pairs[1]
    assert {Path(top.submission_a).name, Path(top.submission_b).name} == {"alice.py", "bob.ipynb"}
    assert top.similarity > 0.9                      # renamed and reordered, still matched
    assert top.similarity - second.similarity > 0.4  # measured 0.962 against 0.378


def test_honest_students_who_converge_score_low_but_not_zero(report):
    pairs, _ = report
    honest = _score(pairs, "carol.py", "dan.py")
    assert 0.05 < honest < 0.5   # the shared zero_grad is seen, and it is not enough
    assert max(p.similarity for p in pairs[1:]) < 0.5


def test_the_scaffold_is_discounted(report, tmp_path):
    pairs, _ = report
    # Untouched scaffolds (.py and .ipynb) share nothing with each other or anyone.
    for p in pairs:
        if {"erin.py", "frank.ipynb"} & {Path(p.submission_a).name, Path(p.submission_b).name}:
            assert p.similarity == 0.0, p
    # Without the discount the same two files look like a copy, and so does grace.
    bare = similarity_report(SUBMISSIONS, tmp_path)
    assert _score(bare, "erin.py", "frank.ipynb") > 0.9
    assert _score(bare, "erin.py", "grace.py") > 0.7


def test_renamed_variables_and_reordered_functions_match(tmp_path):
    first = '''def fit(X, y, lr, steps):
    params = [0.0] * (len(X[0]) + 1)
    for _ in range(steps):
        grads = gradient(X, y, params)
        params = [p - lr * g for p, g in zip(params, grads)]
    return params


def gradient(X, y, params):
    errors = [sum(w * x for w, x in zip(params, row)) + params[-1] - t for row, t in zip(X, y)]
    return [2 * sum(e * row[j] for e, row in zip(errors, X)) / len(X) for j in range(len(X[0]))]
'''
    second = '''def grad_of_loss(A, b, theta):
    # residuals first
    res = [sum(c * a for c, a in zip(theta, r)) + theta[-1] - v for r, v in zip(A, b)]
    return [2 * sum(q * r[k] for q, r in zip(res, A)) / len(A) for k in range(len(A[0]))]


def train(A, b, eta, n):
    theta = [0.0] * (len(A[0]) + 1)
    for _ in range(n):
        d = grad_of_loss(A, b, theta)
        theta = [t - eta * s for t, s in zip(theta, d)]
    return theta
'''
    other = '''def fit(X, y, lr, steps):
    import random
    best, best_loss = None, float("inf")
    for _ in range(steps):
        guess = [random.uniform(-lr, lr) for _ in X[0]]
        loss = sum((sum(g * x for g, x in zip(guess, row)) - t) ** 2 for row, t in zip(X, y))
        if loss < best_loss:
            best, best_loss = guess, loss
    return best
'''
    files = []
    for name, text in (("first.py", first), ("second.py", second), ("other.py", other)):
        (tmp_path / name).write_text(text)
        files.append(tmp_path / name)
    pairs = similarity_report(files, tmp_path / "out")
    assert _names(pairs[0]) == {"first.py", "second.py"}
    assert pairs[0].similarity > 0.9
    assert pairs[1].similarity < 0.5


def _names(pair) -> set[str]:
    return {Path(pair.submission_a).name, Path(pair.submission_b).name}


def test_a_few_identical_lines_cannot_reach_the_top(tmp_path):
    # Exercise 05's sigmoid is one line that everybody writes the same way.
    scaffold = ROOT / "exercises" / "05_logistic_regression.py"
    text = scaffold.read_text()
    stub = 'raise NotImplementedError("replace this line with your code")'
    assert stub in text
    files = []
    for name in ("ann.py", "ben.py"):
        done = text.replace(stub, "return 1 / (1 + torch.exp(-z))", 1)
        (tmp_path / name).write_text(done)
        files.append(tmp_path / name)
    floored = similarity_report(files, str(tmp_path / "a"), scaffold=str(scaffold))
    bare = similarity_report(files, tmp_path / "b", scaffold=scaffold, min_chars=1, noise=10)
    assert bare[0].similarity == pytest.approx(1.0)   # all of their own code is the same
    assert floored[0].similarity < 0.2                # ... and it is a dozen characters


def test_pairs_csv(report):
    pairs, out = report
    raw = (out / "pairs.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")   # a spreadsheet opened by double click reads UTF-8
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["submission_a", "submission_b", "similarity"]
    n = len(SUBMISSIONS)
    assert len(rows) - 1 == n * (n - 1) // 2 == len(pairs)
    scores = [float(r[2]) for r in rows[1:]]
    assert scores == sorted(scores, reverse=True)
    assert [r[:2] for r in rows[1:]] == [[p.submission_a, p.submission_b] for p in pairs]
    assert scores[0] == pytest.approx(pairs[0].similarity, abs=5e-4)


def test_report_html_is_offline_and_shows_the_top_pair(report):
    pairs, out = report
    page = (out / "report.html").read_text(encoding="utf-8")
    for remote in ("http:", "https:", "//cdn", "<script", "<link", "src=", "url(", "@import"):
        assert remote not in page, remote
    first = page.index('id="pair-1"')
    assert "alice.py" in page[first:first + 300] and "bob.ipynb" in page[first:first + 300]
    assert 'class="shared"' in page[first:] and 'class="given"' in page[first:]
    # bob's renamed line is marked as shared, a scaffold line is grey.
    assert '<span class="shared">            b.mul_(self.beta)\n' in page
    assert '<span class="given">import torch\n' in page


def test_read_code_keeps_code_cells_and_drops_magics():
    code = read_code(CLASS / "bob.ipynb")
    assert "%matplotlib" not in code and "!nvidia-smi" not in code and "%pip" not in code
    assert "class Adam:" in code and "Exercise 06" not in code   # markdown is not code
    with pytest.raises(ValueError, match="neither .py nor .ipynb"):
        read_code(CLASS.parent / "nothing.txt")


def test_an_unreadable_submission_is_named_not_fatal(tmp_path):
    broken = tmp_path / "zoe.ipynb"
    broken.write_text("{not json")
    pairs = similarity_report([*SUBMISSIONS[:2], broken], tmp_path / "out")
    assert len(pairs) == 1
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "zoe.ipynb" in page and "not a readable notebook" in page


def test_settings_are_checked(tmp_path):
    with pytest.raises(ValueError, match="noise and min_chars must be at least 1, got 0"):
        similarity_report(SUBMISSIONS, tmp_path, noise=0)


def test_main_writes_the_same_report(report, tmp_path, capsys):
    pairs, out = report
    args = [str(tmp_path / "cli"), *map(str, SUBMISSIONS)]
    for s in SCAFFOLD:
        args += ["--scaffold", str(s)]
    assert main(args) == 0
    assert "alice.py" in capsys.readouterr().out.splitlines()[0]
    assert (tmp_path / "cli" / "pairs.csv").read_bytes() == (out / "pairs.csv").read_bytes()
    assert all(type(p.similarity) is float for p in pairs)   # not numpy scalars


def test_scores_do_not_depend_on_the_hash_function(report, tmp_path, monkeypatch):
    # copydetect hashes k-grams with Python's hash(), salted anew in every process
    # (PYTHONHASHSEED); here another salt stands in for another process. With winnowing
    # (a window over 1) the kept k-grams, and the scores, would change with it.
    import numpy as np
    from copydetect import utils

    def salted(string, k):
        return np.array([hash(("another salt", string[i:i + k]))
                         for i in range(len(string) - k + 1)])

    monkeypatch.setattr(utils, "hashed_kgrams", salted)
    pairs, out = report
    again = similarity_report(SUBMISSIONS, tmp_path, scaffold=SCAFFOLD)
    assert (tmp_path / "pairs.csv").read_bytes() == (out / "pairs.csv").read_bytes()
    assert [p.similarity for p in again] == [p.similarity for p in pairs]


def test_odd_file_names_neither_stop_the_report_nor_start_a_formula(tmp_path, monkeypatch):
    # A class run met a non-UTF-8 file name (the report died on its surrogate) and a file
    # named like a spreadsheet formula (pairs.csv wrote it as one).
    subs = tmp_path / "subs"
    subs.mkdir()
    code = (CLASS / "alice.py").read_bytes()
    names = [b"bad\xff.py", b"=cmd|calc!A1.py", b"new\nline.py"]
    for name in names:
        (subs / os.fsdecode(name)).write_bytes(code)
    out = tmp_path / "out"
    monkeypatch.chdir(subs)           # as `gdcourse grade ... -- *` run in the class's folder
    pairs = similarity_report(sorted(Path(".").iterdir()), out, scaffold=SCAFFOLD)
    assert len(pairs) == 3 and all(p.similarity > 0.9 for p in pairs)
    with open(out / "pairs.csv", encoding="utf-8-sig", newline="") as f:
        cells = [cell for row in list(csv.reader(f))[1:] for cell in row[:2]]
    assert not [c for c in cells if c[:1] in "=+-@"], cells
    assert any("'=cmd" in c for c in cells) and any("\ufffd" in c for c in cells)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "bad\ufffd.py" in page and "new / line.py" in page
