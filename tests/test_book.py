"""The course book, read as a student reads it: built once, every page opened in Chromium.

The lectures are not executed again here: the book is built from the ``executed_lecture``
fixture's runs (xdist group "lectures", shared with tests/test_notebooks.py), so each lecture
executes once per suite. Each page must show every figure its notebook produced (images
that really decoded), no error output, and Colab, Kaggle and download links for its own
notebook. Every page must be readable by everyone (book/a11y.py): axe-core finds no WCAG
2.1 A/AA violation, every figure has alt text that is not a file name, no figure is shrunk
below 0.9 of its size in a 1280 px window (10 pt text stays above 9 pt), no code scrolls
sideways. A tiny book built from broken notebooks shows that each of those checks fails.

Needs Debian's ``chromium`` (.ci/run installs it) and axe-core (``npm ci``: `make test` and
.ci/run do it); without them the browser tests skip, unless GDCOURSE_REQUIRE_BROWSER=1 (set
by .ci/run) makes that a failure.
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

import a11y  # noqa: E402
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
def axe():
    """axe-core's script (node_modules, from `npm ci`)."""
    source = a11y.axe_source()
    if source is None:
        if os.environ.get("GDCOURSE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{a11y.AXE} is missing: run `npm ci` (make test does)")
        pytest.skip("axe-core is not installed (npm ci; make test and .ci/run do it)")
    return source


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


# Every page a reader can open: the landing page, the lectures, the exercises, and the
# pages Sphinx adds (the index of terms and the search page).
PAGES = (["intro.html", "genindex.html", "search.html"]
         + [f"lectures/{p.stem}.html" for p in build.LECTURES]
         + [f"exercises/{p.stem}.html" for p in build.EXERCISES])


def test_every_page_is_checked(book):
    assert sorted(str(p.relative_to(book)) for p in a11y.pages(book)) == sorted(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_page_is_readable_by_everyone(page, book, browser, axe):
    seen = a11y.check(browser, book / page, axe=axe)
    print(f"{page}: {len(seen['violations'])} axe violations, {len(seen['figures'])} figures, "
          f"{len(seen['shrunk'])} shrunk, {len(seen['overflowing'])} blocks scrolling")
    problems = a11y.describe(page, seen)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    if page.startswith("lectures/"):
        assert seen["figures"], "no figure measured: is the probe looking at the outputs?"


@pytest.mark.parametrize("page", ["intro.html", "lectures/03_symbolic_differentiation.html"])
def test_dark_colours_are_readable_too(page, book, browser, axe):
    # The theme follows the reader's system; its dark colours get their own contrast check
    # on the landing page and on a lecture with code, outputs, figures and animations.
    seen = a11y.check(browser, book / page, axe=axe, dark=True)
    problems = a11y.describe(f"{page} (dark)", seen)
    assert not problems, "\n".join(problems)


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
    """A book of four lectures: 'fine' (two figures), 'raises' (a cell that raised), 'bars'
    (progress bars: finished, stopped early, and one whose last text is stale) and 'seen'
    (a wide figure and a to_jshtml animation described in cell metadata, a narrow figure
    not described, a code line longer than the column)."""
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
    seen = _notebook(
        src / "96_seen.ipynb", "%matplotlib inline\nimport matplotlib.pyplot as plt",
        "plt.figure(figsize=(15, 2.5)); plt.plot([1, 3, 2]); plt.show()",
        "from matplotlib import animation\nfrom IPython.display import HTML\n"
        "fig, ax = plt.subplots(figsize=(4, 3)); line, = ax.plot([], [])\n"
        "ax.set(xlim=(0, 3), ylim=(0, 3))\n"
        "anim = animation.FuncAnimation(fig, lambda i: line.set_data(range(i), range(i)), "
        "frames=3)\nplt.close(fig); HTML(anim.to_jshtml())",
        "plt.figure(figsize=(4, 3)); plt.plot([3, 1, 2]); plt.show()",
        "long = " + repr("x" * 200))
    nb = nbformat.read(seen, as_version=4)
    for cell, alt in ((nb.cells[2], _WIDE_ALT), (nb.cells[3], _PLAYER_ALT)):
        cell.metadata["mystnb"] = {"image": {"alt": alt}}
    nbformat.write(nb, seen)
    runs = {}

    def run(path):
        runs[path.name] = execute(path, timeout=120, allow_errors=True)
        return runs[path.name]

    index = build.build(tmp_path_factory.mktemp("tiny"), run=run,
                        lectures=[bars, fine, raises, seen], exercises=[])
    return index.parent, runs


_WIDE_ALT = "A line rising from 1 to 3 and falling to 2, drawn fifteen inches wide."
_PLAYER_ALT = "Animation: a diagonal line growing from the origin, one point per frame."


def test_alt_text_comes_from_the_notebook(tiny, browser, axe):
    html, _ = tiny
    seen = a11y.check(browser, html / "lectures" / "96_seen.html", axe=axe)
    alts = {f["cell"]: f["alt"] for f in seen["figures"]}
    # cells: 0 heading, 1 imports, 2 wide figure, 3 animation, 4 undescribed figure
    assert alts["cell-2"] == _WIDE_ALT and alts["cell-3"] == _PLAYER_ALT, alts
    assert "cell 4" in alts["cell-4"] and "not been written" in alts["cell-4"], alts
    assert not seen["unnamed"] and not seen["violations"], a11y.describe("96_seen", seen)
    assert not seen["overflowing"], seen["overflowing"]  # the 200-character line wraps


def test_wrapped_code_copies_as_written(tiny, browser):
    """Each code line is a span of its own (the book's hanging indents): what a student
    copies (innerText, as sphinx-copybutton reads it) must still be the cell's source."""
    html, runs = tiny
    cells = runs["96_seen.ipynb"].nb.cells
    shown = browser.evaluate(html / "lectures" / "96_seen.html", """
        [...document.querySelectorAll('[id^="cell-"]')].map(cell => [cell.id,
          cell.querySelector('.cell_input pre').innerText,
          cell.querySelectorAll('.cell_input pre .gd-line').length])""")[0]
    assert len(shown) == 5
    for cell_id, text, lines in shown:
        source = cells[int(cell_id.split("-")[1])].source
        assert text.rstrip("\n") == source, (cell_id, text, source)
        assert lines == len(source.splitlines()), (cell_id, lines)


def test_check_fails_on_a_shrunk_figure(tiny, browser, axe):
    html, _ = tiny
    seen = a11y.check(browser, html / "lectures" / "96_seen.html", axe=axe)
    assert [f["cell"] for f in seen["shrunk"]] == ["cell-2"], seen["figures"]
    problems = a11y.describe("lectures/96_seen.html", seen)
    assert any(p.startswith("lectures/96_seen.html cell-2: figure 1") for p in problems)


def test_check_fails_on_missing_alt_text_and_a_sideways_scroll(tiny, browser, axe, tmp_path):
    html, _ = tiny
    page = html / "lectures" / "96_seen.html"
    # The page as it was before the book's extension: alt text dropped from every image,
    # Sphinx's file name on the figures, the player's slider unlabelled, code not wrapped.
    text = page.read_text(encoding="utf-8")
    text = re.sub(r'<img alt="[^"]*" src="([^"]*)"', r'<img alt="\1" src="\1"', text)
    text = re.sub(r'(<img id="_anim_img\w+") alt="[^"]*"', r"\1", text)
    text = text.replace('aria-label="Frame of the animation"', "")
    text = text.replace("gdcourse.css", "no-such.css")
    broken = page.with_name("96_seen_broken.html")
    broken.write_text(text, encoding="utf-8")
    seen = a11y.check(browser, broken, axe=axe)
    rules = {v["id"]: v["impact"] for v in seen["violations"]}
    assert rules.get("image-alt") == "critical" and rules.get("label") == "critical", rules
    assert {f["cell"] for f in seen["unnamed"]} == {"cell-2", "cell-3", "cell-4"}, (
        seen["figures"])
    assert "cell-5" in [o["cell"] for o in seen["overflowing"]], seen["overflowing"]
    problems = "\n".join(a11y.describe("96_seen_broken.html", seen))
    assert "image-alt (critical): #_anim_img" in problems, problems


def test_checks_pass_on_a_sound_page(tiny, browser):
    html, runs = tiny
    assert runs["98_fine.ipynb"].figures == 2
    seen = browser.look(html / "lectures" / "98_fine.html")
    assert page_problems(seen, repo_path="lectures/98_fine.ipynb", images=2) == []


def test_a_widget_with_a_static_view_keeps_it():
    """The lr explorer's output carries a static view for pages without a kernel (an image
    in text/html, image/png): the book keeps it and drops only the widget; a progress bar,
    which has none, becomes text."""
    view = {"version_major": 2, "version_minor": 0, "model_id": "m1"}
    explorer = {"application/vnd.jupyter.widget-view+json": view, "text/plain": "no kernel",
                "text/html": '<img src="data:image/png;base64,iVBOR" alt="curves">',
                "image/png": "iVBOR"}
    bar = {"application/vnd.jupyter.widget-view+json": dict(view, model_id="m2"),
           "text/plain": "HBox()"}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data=dict(explorer)),
        nbformat.v4.new_output("display_data", data=bar)])]
    assert build.freeze_widgets(nb) == 2
    kept, frozen = nb.cells[0].outputs
    assert kept.data == {k: v for k, v in explorer.items()
                         if k != "application/vnd.jupyter.widget-view+json"}
    assert frozen.data == {"text/plain": "HBox()"}  # no widget state: the bar's own text


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
    text = page.read_text(encoding="utf-8")
    images = [i for i in sorted((html / "_images").glob("*.png")) if i.name in text]
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
