"""The course book, read as a student reads it: built once, every page opened in Chromium.

The lectures are not executed again here: the book is built from the ``executed_lecture``
fixture's runs (xdist group "lectures", shared with tests/test_notebooks.py), so each lecture
executes once per suite. Each page must show every figure its notebook produced (images
that really decoded), no error output, and Colab, Kaggle and download links for its own
notebook. A tiny book built from broken notebooks shows that each of those checks fails.

Needs Debian's ``chromium`` (.ci/run installs it); without one the browser tests skip,
unless GDCOURSE_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import os
import re
import sys
import time
from html import unescape
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book"))

import build_book as build  # noqa: E402
import home  # noqa: E402
from browser import Browser, chromium, page_problems  # noqa: E402
from execute import execute  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("lectures")]


# Session scope: xdist interleaves these tests with the lecture tests of the same group on
# one worker, and a module-scoped book would be torn down and built again at each switch.
@pytest.fixture(scope="session")
def browser():
    if not chromium():
        if os.environ.get("GDCOURSE_REQUIRE_BROWSER") == "1":
            pytest.fail("no chromium on PATH: apt-get install chromium")
        pytest.skip("no chromium on PATH (apt-get install chromium; .ci/run does)")
    with Browser() as opened:
        yield opened


@pytest.fixture(scope="session")
def book(tmp_path_factory, executed_lecture):
    """The whole book, built once from the suite's lecture executions."""
    out = tmp_path_factory.mktemp("book")
    start = time.perf_counter()
    index = build.build(out, run=executed_lecture)
    print(f"book built in {time.perf_counter() - start:.1f} s (lecture executions included "
          "when this test ran them first)")
    return index.parent


def test_book_has_landing_lectures_and_exercises(book):
    assert (book / "index.html").is_file()
    assert (book / "intro.html").is_file()
    for path in build.LECTURES + build.EXERCISES:
        page = book / path.parent.name / f"{path.stem}.html"
        assert page.is_file(), f"{page.name} is missing from the book"
    assert len(build.LECTURES) == 6 and len(build.EXERCISES) == 6


@pytest.mark.parametrize("path", build.LECTURES, ids=[p.stem for p in build.LECTURES])
def test_lecture_page_as_a_reader_sees_it(path, book, browser, executed_lecture):
    run = executed_lecture(path)
    expected = run.figures + run.animations
    seen = browser.look(book / "lectures" / f"{path.stem}.html")
    print(f"{path.name}: {seen['loaded_images']} images on the page for {run.figures} "
          f"figures and {run.animations} animations")
    problems = page_problems(seen, repo_path=f"lectures/{path.name}", images=expected)
    assert not problems, f"{path.name}: {problems}"
    assert expected > 0


@pytest.mark.parametrize("path", build.EXERCISES, ids=[p.stem for p in build.EXERCISES])
def test_exercise_page_as_a_reader_sees_it(path, book, browser):
    seen = browser.look(book / "exercises" / f"{path.stem}.html")
    problems = page_problems(seen, repo_path=f"exercises/{path.name}", images=None)
    assert not problems, f"{path.name}: {problems}"
    assert seen["code_cells"] > 0, "the exercise's cells are not on the page"
    assert "NotImplementedError" in seen["text"] and "check(" in seen["text"], (
        "no instructions on the page")


def test_landing_page(book, browser):
    assert "intro.html" in (book / "index.html").read_text(encoding="utf-8")  # a redirect
    seen = browser.look(book / "intro.html")
    assert seen["h1"].startswith("Gradient descent in PyTorch")
    for path in build.LECTURES + build.EXERCISES:
        repo_path = f"{path.parent.name}/{path.name}"
        assert any(link.endswith(f"{path.parent.name}/{path.stem}.html")
                   for link in seen["links"]), f"no link to {path.stem}"
        assert home.colab_url(repo_path) in seen["links"]
        assert home.kaggle_url(repo_path) in seen["links"]
    for words in ("Lectures and exercises", "Install", "Check an exercise",
                  "download.pytorch.org/whl/cpu", 'check("02")', home.install_line()):
        assert words in seen["text"], f"the landing page does not say {words!r}"


# --- each failure the checks catch, once, on a tiny book --------------------------------

def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Lecture 99: {path.stem}")]
    nb.cells += [nbformat.v4.new_code_cell(code) for code in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """A book of three lectures: 'fine' (two figures), 'raises' (a cell that raised) and
    'bars' (progress bars: finished, stopped early, and one whose last text is stale)."""
    src = tmp_path_factory.mktemp("tiny-src")
    plot = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]); plt.show()"
    fine = _notebook(src / "98_fine.ipynb", "%matplotlib inline", plot, plot)
    raises = _notebook(src / "99_raises.ipynb", "print('before')", "1 / 0")
    bars = _notebook(
        src / "97_bars.ipynb",
        # closed between redraws: the widget's value says 200, its text still 0/200
        "from tqdm.notebook import tqdm\n"
        "bar = tqdm(total=200, desc='stale', leave=False, mininterval=60)\n"
        "bar.update(200)\nbar.close()",
        "import gdcourse as gd\nt, y = gd.make_signal(seed=0)\n"
        "h = gd.train(gd.init_params(3, seed=0), gd.quadratic, t, y, lr=1e-5, steps=200, "
        "progress=True)",
        "try:\n    gd.train(gd.init_params(3, seed=0), gd.quadratic, t, y, lr=10.0, "
        "steps=500, progress=True)\n"
        "except gd.DivergenceError as e:\n    print('diverged at step', e.step)")
    runs = {}

    def run(path):
        runs[path.name] = execute(path, timeout=120, allow_errors=True)
        return runs[path.name]

    index = build.build(tmp_path_factory.mktemp("tiny"), run=run,
                        lectures=[bars, fine, raises], exercises=[])
    return index.parent, runs


def test_checks_pass_on_a_sound_page(tiny, browser):
    html, runs = tiny
    assert runs["98_fine.ipynb"].figures == 2
    seen = browser.look(html / "lectures" / "98_fine.html")
    assert page_problems(seen, repo_path="lectures/98_fine.ipynb", images=2) == []


def test_bars_show_their_true_end(tiny):
    html, runs = tiny
    assert not runs["97_bars.ipynb"].errors
    page = (html / "lectures" / "97_bars.html").read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", "", page))
    step = int(re.search(r"diverged at step (\d+)", text).group(1))
    assert "stale: 100%|██████████| 200/200" in text  # the count is the widget's value
    assert "| 0/200" not in text
    assert re.search(r"train: 100%\|██████████\| 200/200 \[[^]]*loss=", text)  # finished
    assert re.search(rf"train: +\d+%\|[^|]*\| {step}/500 ", text)  # stopped where it says


def test_check_fails_when_a_cell_raised(tiny, browser):
    html, runs = tiny
    assert runs["99_raises.ipynb"].errors
    seen = browser.look(html / "lectures" / "99_raises.html")
    problems = page_problems(seen, repo_path="lectures/99_raises.ipynb", images=0)
    assert any("ZeroDivisionError" in p for p in problems), problems


def test_check_fails_when_a_figure_is_missing(tiny, browser, tmp_path):
    html, _ = tiny
    page = html / "lectures" / "98_fine.html"
    images = sorted((html / "_images").glob("*.png"))
    assert images, "the tiny book's figures are not files in _images"
    moved = tmp_path / images[0].name
    images[0].rename(moved)  # a figure lost between the build and the reader
    try:
        seen = browser.look(page)
    finally:
        moved.rename(images[0])
    problems = page_problems(seen, repo_path="lectures/98_fine.ipynb", images=2)
    assert any("figures loaded" in p for p in problems), problems


def test_check_fails_when_a_launch_link_is_wrong(tiny, browser):
    html, _ = tiny
    page = html / "lectures" / "98_fine.html"
    # A page whose links name another branch: Colab and Kaggle would open a notebook that
    # is not this one (or none). The copy sits beside the page so its figures still load.
    wrong = page.with_name("98_fine_wrong_branch.html")
    blob = f"/blob/{home.branch()}/lectures/"
    text = page.read_text(encoding="utf-8")
    assert blob in text
    wrong.write_text(text.replace(blob, "/blob/master/lectures/"), encoding="utf-8")
    seen = browser.look(wrong)
    problems = page_problems(seen, repo_path="lectures/98_fine.ipynb", images=2)
    assert any("Colab link opens" in p for p in problems), problems
    assert any("Kaggle link opens" in p for p in problems), problems
    # ... and a sound page checked against another repository fails the same way.
    seen = browser.look(page)
    problems = page_problems(seen, repo_path="lectures/98_fine.ipynb", images=2,
                             url="https://github.com/someone/else")
    assert any("Colab link opens" in p for p in problems), problems
