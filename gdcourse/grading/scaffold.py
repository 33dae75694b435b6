"""Student scaffolds, generated from instructor sources that hold the solutions.

A source is a ``.py`` file in cell format (``# %%`` code cells, ``# %% [markdown]`` text
cells) named ``NN_topic.py``. Solutions sit between marker lines::

    def area(width, height):
        \"\"\"...\"\"\"
        ### BEGIN SOLUTION
        return width * height
        ### END SOLUTION

and become ``raise NotImplementedError`` at the same indentation. Each source gives
``NN_topic.py`` (cells kept, for laptops and IDEs) and ``NN_topic.ipynb`` (no outputs, a
first cell that installs gdcourse on Colab/Kaggle only). ``gdcourse scaffold --check``
fails when a committed scaffold no longer matches its source.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import InvalidArgumentError

__all__ = ["strip_solutions", "split_cells", "render", "generate"]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_MARK = re.compile(r"^# ?%%(.*)$")


def _repository() -> str:
    """The project's home address, written once: pyproject.toml's ``[project.urls]
    Repository`` (this checkout's file, else the installed package's metadata)."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if pyproject.is_file():
        found = re.search(r'^Repository\s*=\s*"([^"]+)"', pyproject.read_text("utf-8"), re.M)
        if found:
            return found.group(1).rstrip("/")
    from importlib.metadata import PackageNotFoundError, metadata
    try:
        urls = metadata("gdcourse").get_all("Project-URL") or []
    except PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip() == "Repository":
            return url.strip().rstrip("/")
    raise LookupError("gdcourse's repository address: no [project.urls] Repository in "
                      "pyproject.toml or in the installed metadata")


INSTALL_CELL = (
    "# On Colab or Kaggle, install gdcourse (torch is already there and is left alone).\n"
    "import os, sys\n"
    'if "google.colab" in sys.modules or "KAGGLE_KERNEL_RUN_TYPE" in os.environ:\n'
    f'    %pip install -q "gdcourse[colab] @ git+{_repository()}"')


def strip_solutions(text: str, *, name: str = "source") -> str:
    """Replace every solution block with ``raise NotImplementedError(...)``.

    >>> src = "def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION\\n"
    >>> strip_solutions(src)
    'def f():\\n    raise NotImplementedError("replace this line with your code")\\n'
    """
    out, inside = [], False
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise InvalidArgumentError(f"{name}:{number}: {BEGIN} inside another one")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f'{indent}raise NotImplementedError("replace this line with your '
                       'code")\n')
        elif stripped == END:
            if not inside:
                raise InvalidArgumentError(f"{name}:{number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise InvalidArgumentError(f"{name}: {BEGIN} is never closed by {END}")
    return "".join(out)


def split_cells(text: str) -> list[tuple[str, str]]:
    """``(kind, source)`` pairs, kind "code" or "markdown", from cell-format text."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        found = _MARK.match(line)
        if found:
            cells.append(("markdown" if "[markdown]" in found.group(1) else "code", []))
        elif cells:
            cells[-1][1].append(line)
        elif line.strip() and not line.startswith("#"):
            raise InvalidArgumentError("a source must start with a '# %%' cell marker")
    result = []
    for kind, lines in cells:
        if kind == "markdown":
            lines = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines]
        body = "\n".join(lines).strip("\n")
        if body:
            result.append((kind, body))
    return result


def _notebook(cells: list[tuple[str, str]], exercise: str) -> str:
    nb_cells = []
    for i, (kind, source) in enumerate(cells):
        cell: dict[str, object] = {"cell_type": kind, "id": f"ex{exercise}-{i:02d}", "metadata": {},
                "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        nb_cells.append(cell)
    nb = {"cells": nb_cells,
          "metadata": {"gdcourse": {"exercise": exercise},
                       "kernelspec": {"display_name": "Python 3", "language": "python",
                                      "name": "python3"},
                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def render(source: Path) -> dict[str, str]:
    """The scaffold files of one source: ``{"NN_topic.py": text, "NN_topic.ipynb": text}``."""
    found = re.match(r"(\d{2})_\w+\.py$", source.name)
    if not found:
        raise InvalidArgumentError(f"{source.name}: sources are named NN_topic.py, e.g. "
                                   "02_linear_regression.py")
    exercise = found.group(1)
    student = strip_solutions(source.read_text(encoding="utf-8"), name=source.name)
    cells = split_cells(student)
    # The notebook: title first, then the Colab/Kaggle install cell, then the rest.
    first = 1 if cells and cells[0][0] == "markdown" else 0
    nb_cells = [*cells[:first], ("code", INSTALL_CELL), *cells[first:]]
    header = (f"# gdcourse-exercise: {exercise}\n# Generated by `gdcourse scaffold` from "
              f"exercises/source/{source.name}.\n")
    body = re.sub(r"\A# gdcourse-exercise:.*\n", "", student)
    return {f"{source.stem}.py": header + body, f"{source.stem}.ipynb": _notebook(nb_cells,
                                                                                   exercise)}


def generate(sources: list[Path], out_dir: Path, *, check: bool = False) -> list[Path]:
    """Write the scaffolds of ``sources`` into ``out_dir`` (or, with ``check``, write
    nothing). Returns the paths that were (or would be) changed."""
    changed = []
    for source in sources:
        for name, text in render(Path(source)).items():
            target = Path(out_dir) / name
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                changed.append(target)
                if not check:
                    target.write_text(text, encoding="utf-8")
    return changed
