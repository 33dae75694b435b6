"""Notebooks readable by everyone: every figure described, every code line fits the column.

- Alt text: every code cell of a lecture that shows a figure or a to_jshtml() animation
  carries cell metadata ``"mystnb": {"image": {"alt": "..."}}``, which the book puts on the
  image for screen readers. It must say what the figure shows: a few words at least, and
  never a file name or a hash (what a reader heard before: "c0ffee....png"). Which cells
  show a figure is read from the executed lectures (the ``executed_lecture`` fixture, shared
  with tests/test_notebooks.py and tests/test_book.py, so nothing executes twice); a quick
  static check on the sources catches the plainest cases without executing anything.
- Line length: no code line over 88 characters in lectures and exercises, so a cell reads
  without wrapping in Jupyter, Colab and the book.
"""

from __future__ import annotations

import json
import re
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book"))

from a11y import FILE_NAME  # noqa: E402  (the book test's reading of a file name)

LECTURES = sorted((ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("**/*.ipynb"))
MAX_LINE = 88
MIN_ALT_WORDS = 5  # "Loss against step." is a caption; a description says more

# Calls that surely put a figure in the cell's output (the executed check finds the rest).
_SHOWS_A_FIGURE = re.compile(r"\bplt\.show\(|\.to_jshtml\(")


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def alt_problem(cell) -> str | None:
    """Why the cell's alt text does not describe its figure, or None when it does."""
    image = (cell.get("metadata") or {}).get("mystnb", {}).get("image", {})
    alt = str(image.get("alt", "")).strip() if isinstance(image, dict) else ""
    if not alt:
        return "no alt text (cell metadata mystnb.image.alt)"
    if FILE_NAME.match(alt):
        return f"alt text {alt!r} is a file name, not a description"
    if len(alt.split()) < MIN_ALT_WORDS:
        return f"alt text {alt!r} is too short to say what the figure shows"
    return None


def shows_figure(cell) -> bool:
    """Whether an executed cell's outputs hold an image or a to_jshtml() player."""
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if any(key.startswith("image/") for key in data):
            return True
        if "new Animation(" in "".join(data.get("text/html", "")):
            return True
    return False


def long_lines(nb: dict) -> list[str]:
    """'cell N line M: K characters' for each code line over MAX_LINE."""
    return [f"cell {i} line {j}: {len(line)} characters"
            for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"
            for j, line in enumerate(_source(cell).splitlines(), 1) if len(line) > MAX_LINE]


# --- the checks themselves can fail -------------------------------------------------------

@pytest.mark.parametrize("alt", ["", "   ", "a3f9c2e1b4d5a6f7e8d9c0b1a2f3e4d5.png",
                                 "../_images/figure.png", "c0ffee00c0ffee00c0ffee00",
                                 "Loss curve."])
def test_alt_check_rejects(alt):
    cell = {"cell_type": "code", "metadata": {"mystnb": {"image": {"alt": alt}}}}
    assert alt_problem(cell)
    assert alt_problem({"cell_type": "code", "metadata": {}})


def test_alt_check_accepts_a_description():
    alt = "Loss (log scale) against step: the curve falls ten-fold in the first 20 steps."
    assert alt_problem({"metadata": {"mystnb": {"image": {"alt": alt}}}}) is None


def test_figure_and_line_detection():
    image = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": ""}}
    player = {"output_type": "display_data",
              "data": {"text/html": ["<script>", "anim = new Animation(frames)</script>"]}}
    text = {"output_type": "stream", "name": "stdout", "text": "loss 3.2\n"}
    assert shows_figure({"outputs": [text, image]}) and shows_figure({"outputs": [player]})
    assert not shows_figure({"outputs": [text]})
    nb = {"cells": [{"cell_type": "code", "source": ["x = 1\n", "y" * 89]},
                    {"cell_type": "markdown", "source": "z" * 200}]}
    assert long_lines(nb) == ["cell 0 line 2: 89 characters"]


# --- the notebooks ------------------------------------------------------------------------

@pytest.mark.parametrize("path", LECTURES + EXERCISES, ids=_ids(LECTURES + EXERCISES))
def test_code_lines_fit_the_column(path):
    found = long_lines(json.loads(path.read_text(encoding="utf-8")))
    assert not found, (f"{path.name}: {len(found)} code lines over {MAX_LINE} characters: "
                       f"{found}")


@pytest.mark.parametrize("path", LECTURES, ids=_ids(LECTURES))
def test_figure_cells_have_alt_text_in_the_source(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = [f"cell {i}: {alt_problem(cell)}" for i, cell in enumerate(nb["cells"])
             if cell["cell_type"] == "code" and _SHOWS_A_FIGURE.search(_source(cell))
             and alt_problem(cell)]
    assert not found, f"{path.name}: {found}"


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.xdist_group("lectures")
@pytest.mark.skipif(find_spec("nbclient") is None or find_spec("ipykernel") is None,
                    reason="executing notebooks needs nbclient and ipykernel ([dev] extra)")
@pytest.mark.parametrize("path", LECTURES, ids=_ids(LECTURES))
def test_every_figure_has_alt_text(path, executed_lecture):
    cells = executed_lecture(path).nb.cells
    figures = [i for i, cell in enumerate(cells) if cell.cell_type == "code"
               and shows_figure(cell)]
    found = [f"cell {i}: {alt_problem(cells[i])}" for i in figures if alt_problem(cells[i])]
    assert figures, f"{path.name} shows no figure: is it executing?"
    assert not found, (f"{path.name}: {len(found)} of {len(figures)} cells that show a "
                       f"figure lack a description: {found}")
