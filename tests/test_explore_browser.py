"""The lr explorer and the self-check questions, used as a student uses them, in Chromium.

1. A real Jupyter (jupyter-server with Notebook 7, on 127.0.0.1 with a token, started and
   stopped here) opens lecture 02 (a copy, so nothing is written into lectures/), or, while
   lecture 02 has no explorer cell yet, a small notebook with the same cell. The test runs
   the import cell and the explorer's cell with Shift+Enter, clicks the learning-rate
   slider's track past the stability limit and back, and reads what a student reads: the
   readout says "diverged" and then not, and the drawn figure changes each time.
2. A page of the course book, built with book/build_book.py from a small notebook whose
   quiz cell was executed: the test picks a wrong answer, presses Check and reads the
   feedback, then the right one; axe-core (when node_modules has it) finds no WCAG 2.1 A/AA
   violation in the quiz.

Chromium is driven over the DevTools protocol on a pipe, with book/browser.py's Browser.
Needs Debian's ``chromium`` and the ``dev`` extra's ``notebook``; without them these tests
skip, unless GDCOURSE_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure.
GDCOURSE_SCREENSHOTS=DIR keeps screenshots of each state there (for a human to look at).
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book"))

from browser import Browser, chromium  # noqa: E402

pytestmark = [pytest.mark.slow]

LECTURE = ROOT / "lectures" / "02_seven_steps.ipynb"
EXPLORER_CELL = "gd.explore_fit("
QUIZ_CELL = "gd.quiz("
# The cell lecture 02 gets (the orchestrator inserts it); until then the test notebook has it.
SETUP = "import gdcourse as gd"
CELL = ("# Move the sliders: each redraw is one exact fast-forward of up to a million steps.\n"
        "gd.explore_fit(*gd.make_signal(seed=0), lr=1e-5, steps=1_000_000)")


def _required(what: str) -> None:
    if os.environ.get("GDCOURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{what} (GDCOURSE_REQUIRE_BROWSER=1)")
    pytest.skip(what)


@pytest.fixture(scope="module")
def browser():
    if not chromium():
        _required("no chromium on PATH (apt-get install chromium; .ci/run does)")
    with Browser() as opened:
        yield opened


def _shot(tab: Tab, name: str) -> None:
    folder = os.environ.get("GDCOURSE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        tab.screenshot(Path(folder) / name)


class Tab:
    """One page in its own tab: navigate, run JavaScript, click, type, take a screenshot."""

    def __init__(self, browser: Browser, url: str, *, width: int = 1280, height: int = 1400):
        self.b = browser
        self.target = browser._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser._send("Target.attachToTarget",
                                     {"targetId": self.target, "flatten": True})["sessionId"]
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})

    def send(self, method: str, params: dict | None = None) -> dict:
        return self.b._send(method, params or {}, self.session)

    def js(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression,
                                                "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        self.b._events = [e for e in self.b._events if e[1] != self.session]  # drop the noise
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float, what: str):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.25)
        raise AssertionError(f"waited {timeout:.0f} s for {what}; the page shows: "
                             f"{self.js('document.body.innerText.slice(0, 1500)')!r}")

    def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def shift_enter(self) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": kind, "modifiers": 8, "key": "Enter",
                                                 "code": "Enter", "windowsVirtualKeyCode": 13})

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot",
                                                    {"format": "png"})["data"]))

    def close(self) -> None:
        self.b._send("Target.closeTarget", {"targetId": self.target})
        self.b._events = [e for e in self.b._events if e[1] != self.session]


# ---------------------------------------------------------------------------------------
# 1. The explorer in a real Jupyter


def _explorer_notebook(folder: Path) -> tuple[Path, list[int], int | None, str]:
    """The notebook to open, the indices of its setup and explorer cells, of its quiz cell,
    and where it came from."""
    lecture = nbformat.read(LECTURE, as_version=4)
    code = [i for i, c in enumerate(lecture.cells) if c.cell_type == "code"]
    setup = next((i for i in code if SETUP in lecture.cells[i].source), None)
    cell = next((i for i in code if EXPLORER_CELL in lecture.cells[i].source), None)
    quiz = next((i for i in code if QUIZ_CELL in lecture.cells[i].source), None)
    if setup is not None and cell is not None:
        nb, run, source = lecture, [setup, cell], f"lectures/{LECTURE.name}"
    else:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell("# The lr explorer"),
                    nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(CELL),
                    nbformat.v4.new_markdown_cell("## Check your understanding"),
                    nbformat.v4.new_code_cell('gd.quiz("02")')]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        run, quiz = [1, 2], 4
        source = "a test notebook (lecture 02 has no explorer cell yet)"
    for c in nb.cells:  # a copy, run from a clean state
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    path = folder / "explore.ipynb"
    nbformat.write(nb, path)
    return path, run, quiz, source


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory):
    """Notebook 7 on 127.0.0.1 with a token; yields (base url, token, root folder)."""
    try:
        import notebook  # noqa: F401
    except ImportError:
        _required("no Jupyter Notebook 7 (pip install -e '.[dev]')")
    root = tmp_path_factory.mktemp("jupyter")
    home = root / ".home"
    token, port = secrets.token_hex(16), _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "IPYTHONDIR": str(home / "ipython"), "PYTHONPATH": str(ROOT)}
    env.pop("MPLBACKEND", None)  # the kernel is a student's: inline figures
    # Every cell in the page, so that a cell far down a lecture can be found and clicked
    # (by default a long notebook only renders the cells near the view).
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    log = (root / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "notebook", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--ServerApp.terminals_enabled=False",
         # CI and this machine run as root; Jupyter refuses that unless told
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > end:
                    raise RuntimeError("Jupyter did not start:\n"
                                       + (root / "server.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        yield base, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def _kernel_idle(base: str, token: str) -> bool:
    with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5) as reply:
        sessions = json.load(reply)
    return bool(sessions) and all(s["kernel"]["execution_state"] == "idle" for s in sessions)


_READOUT = "(document.querySelector('.gdcourse-readout') || {}).innerText || ''"
# A checksum of the pixels the explorer's <img> shows (its src is a new blob at each redraw
# whatever it holds, so the picture itself is compared).
_PIXELS = """(() => {
  const img = [...document.querySelectorAll('img')].find(i => i.closest('.widget-vbox'));
  if (!img || !img.complete || !img.naturalWidth) return null;
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let h = 0; for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) >>> 0;
  return h + ':' + c.width + 'x' + c.height;
})()"""
_LR_SLIDER = """(() => {
  const box = [...document.querySelectorAll('.widget-slider')]
    .find(s => (s.querySelector('.widget-label') || {}).innerText === 'learning rate');
  if (!box) return null;
  const track = box.querySelector('.noUi-target, .slider-container').getBoundingClientRect();
  const handle = box.querySelector('.noUi-handle');
  const readout = box.querySelector('.widget-readout');
  return {left: track.left, width: track.width, y: track.top + track.height / 2,
          lo: +handle.getAttribute('aria-valuemin'), hi: +handle.getAttribute('aria-valuemax'),
          readout: readout ? (readout.value || readout.innerText) : ''};
})()"""


def _move_lr(tab: Tab, lr: float, before: str) -> tuple[str, str]:
    """Click the lr slider's track where ``lr`` lies (log scale); wait for the new picture."""
    tab.js("document.querySelector('.widget-slider').scrollIntoView({block: 'center'})")
    slider = tab.js(_LR_SLIDER)
    where = (math.log10(lr) - slider["lo"]) / (slider["hi"] - slider["lo"])
    tab.click(slider["left"] + where * slider["width"], slider["y"])
    pixels = tab.wait_for(f"(p => p && p !== {json.dumps(before)} && p)({_PIXELS})",
                          timeout=60, what=f"the figure to change after moving lr to {lr:.3g}")
    return pixels, tab.js(_READOUT)


def test_explorer_in_jupyter(browser, jupyter):
    base, token, root = jupyter
    began = time.perf_counter()
    path, cells, quiz, source = _explorer_notebook(root)
    print(f"opening {source}")
    tab = Tab(browser, f"{base}/notebooks/{path.name}?token={token}")
    try:
        tab.wait_for("document.querySelectorAll('.jp-Notebook .jp-Cell').length", timeout=90,
                     what="the notebook to open")
        end = time.monotonic() + 90
        while not _kernel_idle(base, token):
            assert time.monotonic() < end, "the kernel did not start"
            time.sleep(0.5)
        for i in cells:
            _run_cell(tab, i)
        first = tab.wait_for(_PIXELS, timeout=120, what="the explorer to draw its figure")
        start_text = tab.js(_READOUT)
        assert "x the optimum" in start_text and "diverged" not in start_text, start_text
        limit = float(re.search(r"stability limit ([0-9.e+-]+)", start_text).group(1))
        _shot(tab, "explorer_below_limit.png")

        past, text = _move_lr(tab, 2.0 * limit, first)
        assert text.startswith("diverged at step"), text
        shown = float(tab.js(_LR_SLIDER)["readout"].replace(",", ""))
        assert shown > limit, f"the slider shows lr {shown}, not past the limit {limit}"
        _shot(tab, "explorer_past_limit.png")

        back, text = _move_lr(tab, 0.5 * limit, past)
        assert "diverged" not in text and "x the optimum" in text, text
        assert len({first, past, back}) == 3
        if quiz is not None:  # the self-check's script runs in Jupyter's output too
            _run_cell(tab, quiz)
            tab.wait_for("!!document.querySelector('.gdq form')", timeout=60,
                         what="the quiz to show")
            wrong, expected = _answer(tab, 0, right=False)
            assert wrong == f"Not quite. {expected}"
            right, expected = _answer(tab, 0, right=True)
            assert right == f"Right. {expected}"
            _shot(tab, "quiz_in_jupyter.png")
        errors = tab.js("[...document.querySelectorAll('.jp-OutputArea-output[data-mime-type"
                        "=\"application/vnd.jupyter.stderr\"]')].map(e => e.innerText)")
        assert not errors, errors
    finally:
        tab.close()
    print(f"explorer test: {time.perf_counter() - began:.1f} s in the browser")


def _run_cell(tab: Tab, i: int) -> None:
    """Click into cell i, then Shift+Enter, as a student does."""
    box = tab.js(f"""(() => {{
      const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[{i}];
      cell.scrollIntoView({{block: 'center'}});
      const r = cell.querySelector('.jp-InputArea-editor').getBoundingClientRect();
      return {{x: r.left + 20, y: r.top + r.height / 2}};
    }})()""")
    tab.click(box["x"], box["y"])
    tab.shift_enter()


# ---------------------------------------------------------------------------------------
# 2. A self-check question in the built book


@pytest.fixture(scope="module")
def quiz_page(tmp_path_factory):
    """A one-lecture book: the quiz cell (and the explorer's cell) executed and rendered by
    book/build_book.py, as `make book` does for the lectures."""
    import build_book
    from execute import execute

    src = tmp_path_factory.mktemp("quiz-src")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Lecture 96: self-check"),
                nbformat.v4.new_code_cell(SETUP),
                nbformat.v4.new_markdown_cell("## Check your understanding"),
                nbformat.v4.new_code_cell('gd.quiz("02")'),
                nbformat.v4.new_code_cell(CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = src / "96_selfcheck.ipynb"
    nbformat.write(nb, path)
    began = time.perf_counter()
    index = build_book.build(tmp_path_factory.mktemp("quiz-book"),
                             run=lambda p: execute(p, timeout=300), lectures=[path],
                             exercises=[])
    print(f"quiz book built in {time.perf_counter() - began:.1f} s")
    return index.parent / "lectures" / "96_selfcheck.html"


# behavior 'instant': the book's theme may scroll smoothly (pydata-sphinx-theme 0.15, the one
# Python 3.10 gets), and positions read mid-scroll put the Check button below the window.
_QUESTION = """(() => {{
  const form = document.querySelectorAll('.gdq form')[{q}];
  form.scrollIntoView({{block: 'center', behavior: 'instant'}});
  const pick = form.querySelector('input[data-correct="{right}"]');
  const label = form.querySelector('label[for="' + pick.id + '"]').getBoundingClientRect();
  const button = form.querySelector('button').getBoundingClientRect();
  return {{label: [label.left + 5, label.top + label.height / 2],
           button: [button.left + button.width / 2, button.top + button.height / 2],
           feedback: pick.dataset.feedback, id: pick.id}};
}})()"""
_FEEDBACK = "document.querySelectorAll('.gdq form')[{q}].querySelector('.gdq-feedback').innerText"


def _answer(tab: Tab, q: int, right: bool) -> tuple[str, str]:
    """Click a right or wrong answer's label and the Check button; the feedback shown."""
    where = tab.js(_QUESTION.format(q=q, right=int(right)))
    tab.click(*where["label"])
    assert tab.js(f"document.getElementById({json.dumps(where['id'])}).checked"), \
        "clicking the label did not select its answer"
    tab.click(*where["button"])
    shown = tab.wait_for(f"(t => t.startsWith({json.dumps('Right.' if right else 'Not quite.')})"
                         f" && t)({_FEEDBACK.format(q=q)})", timeout=10,
                         what="the feedback of a checked answer")
    return shown, where["feedback"]


def test_self_check_question_in_the_book(browser, quiz_page):
    from gdcourse.explore import NO_KERNEL

    began = time.perf_counter()
    tab = Tab(browser, quiz_page.as_uri(), height=1000)
    try:
        tab.wait_for("document.readyState === 'complete' && !!document.querySelector('.gdq')",
                     timeout=30, what="the quiz on the page")
        assert tab.js("document.querySelectorAll('.gdq form').length") == 5
        wrong, expected = _answer(tab, 1, right=False)
        assert wrong == f"Not quite. {expected}"
        _shot(tab, "quiz_feedback_wrong.png")
        right, expected = _answer(tab, 1, right=True)
        assert right == f"Right. {expected}"
        _shot(tab, "quiz_feedback_right.png")
        assert tab.js(_FEEDBACK.format(q=0)) == ""  # other questions are left alone
        # The explorer's output on a page with no kernel: its one line says so.
        assert NO_KERNEL in tab.js("document.body.innerText")
        violations = _axe(tab)
        assert violations == [], violations
    finally:
        tab.close()
    print(f"quiz test: {time.perf_counter() - began:.1f} s in the browser")


def _axe(tab: Tab) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations inside the quiz (it runs from node_modules)."""
    axe = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.is_file():
        declared = (ROOT / "package.json").is_file() and "axe-core" in (
            ROOT / "package.json").read_text()
        if declared and os.environ.get("GDCOURSE_REQUIRE_BROWSER") == "1":
            pytest.fail("package.json lists axe-core but node_modules lacks it: npm ci")
        print("axe-core not installed (npm ci): the accessibility check did not run")
        return []
    tab.js(axe.read_text(encoding="utf-8"))
    found = tab.js("""axe.run(document.querySelector('.gdq'), {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
      .then(r => ({passes: r.passes.map(v => v.id),
                   violations: r.violations.map(v => v.id + ' (' + v.nodes.length + '): '
                                                      + v.help)}))""")
    print(f"axe-core: {len(found['passes'])} rules passed on the quiz "
          f"({', '.join(found['passes'])})")
    assert {"label", "color-contrast"} <= set(found["passes"]), found["passes"]
    return found["violations"]
