"""A submission (.ipynb or .py) as a list of code cells, and which exercise it answers.

Notebooks are read as JSON (no nbformat needed). IPython-only lines (``%pip``, ``!ls``)
become ``pass`` so the rest of the cell still runs as Python. A ``.py`` file is split at
``# %%`` markers, the cell format of VS Code, Spyder and jupytext.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import InvalidArgumentError

__all__ = ["read_cells", "detect_exercise", "pythonize"]

_CELL_MARK = re.compile(r"^# ?%%")
_CHECK_CALL = re.compile(r"""check\(\s*["']?(\d{1,2})\b""")
_PY_TAG = re.compile(r"^#\s*gdcourse-exercise:\s*(\w+)", re.MULTILINE)
MAX_BYTES = 20 * 2**20   # a submission larger than this is refused, not parsed


def pythonize(source: str) -> str:
    """IPython cell -> Python: magics and shell lines become ``pass`` (keeping indentation),
    a leading ``%%cell_magic`` line is dropped."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines = lines[1:]
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            out.append(line[: len(line) - len(stripped)] + "pass  # " + stripped[:60])
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _notebook_cells(text: str, name: str) -> tuple[list[str], dict]:
    try:
        nb = json.loads(text)
        cells = nb["cells"]
        sources = []
        for cell in cells:
            if cell.get("cell_type") == "code":
                src = cell.get("source", "")
                sources.append("".join(src) if isinstance(src, list) else str(src))
        meta = nb.get("metadata")
        return [pythonize(s) for s in sources], meta if isinstance(meta, dict) else {}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
        raise InvalidArgumentError(f"{name} is not a readable notebook ({err}); "
                                   "re-download it from Colab as .ipynb") from None


def read_cells(path: str | Path) -> tuple[list[str], str | None]:
    """The code cells of a submission and the exercise id it declares (or None)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidArgumentError(f"no submission file {str(path)!r}")
    if path.stat().st_size > MAX_BYTES:
        raise InvalidArgumentError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        cells, meta = _notebook_cells(text, path.name)
        declared = (meta.get("gdcourse") or {}).get("exercise") if isinstance(
            meta.get("gdcourse"), dict) else None
    elif path.suffix == ".py":
        cells, current = [], []
        for line in text.splitlines():
            if _CELL_MARK.match(line) and current:
                cells.append("\n".join(current) + "\n")
                current = []
            current.append(line)
        cells.append("\n".join(current) + "\n")
        tag = _PY_TAG.search(text)
        declared = tag.group(1) if tag else None
    else:
        raise InvalidArgumentError(f"{path.name}: submissions are .ipynb or .py files")
    return cells, declared or detect_exercise(path.name, cells)


def detect_exercise(filename: str, cells: list[str]) -> str | None:
    """Guess the exercise from a ``check("02")`` call or a name like ``02_linear.ipynb``."""
    for source in reversed(cells):
        found = _CHECK_CALL.search(source)
        if found:
            return found.group(1).zfill(2)
    found = re.match(r"(\d{2})[_\-. ]", filename)
    return found.group(1) if found else None
