"""A submission (.ipynb or .py) as a list of code cells, and which exercise it answers.

Notebooks are read as JSON (no nbformat needed). IPython-only lines (``%pip``, ``!ls``)
become ``pass`` so the rest of the cell still runs as Python. A ``.py`` file is split at
``# %%`` markers (the cell format of VS Code, Spyder and jupytext) or at the ``# In[ ]:``
markers of a script Jupyter exported. Text is UTF-8, with or without a byte-order mark.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from ..errors import InvalidArgumentError

__all__ = ["read_cells", "cells_from_bytes", "detect_exercise", "pythonize",
           "read_regular_file"]

# Cell markers of a .py file: VS Code / Spyder / jupytext's "# %%", and the "# In[3]:" of
# a script Jupyter exported (its get_ipython() calls find a stand-in in the child).
_CELL_MARK = re.compile(r"^(# ?%%|# In\[[ \d]*\]:)")
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
    """The code cells of a submission and the exercise id it declares (or None).

    The file is opened once, as a regular file and without following a link (a submission
    that is a link to a solution or to /proc is refused), and read up to ``MAX_BYTES``."""
    path = Path(path)
    name = _shown(path.name)
    try:
        data = read_regular_file(str(path), MAX_BYTES)
    except FileNotFoundError:
        raise InvalidArgumentError(f"no submission file {_shown(str(path))!r}") from None
    except (OSError, ValueError) as err:
        why = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise InvalidArgumentError(f"{name} cannot be graded: it {why}"
                                   if isinstance(err, ValueError) else
                                   f"{name} cannot be read: {why}") from None
    return cells_from_bytes(data, path.name)


def _shown(text: str) -> str:
    from .safetext import clean

    return clean(text, 200)


def cells_from_bytes(data: bytes, filename: str) -> tuple[list[str], str | None]:
    """:func:`read_cells` on a file's bytes already read (``filename`` gives the kind)."""
    text = data.decode("utf-8-sig", errors="replace")    # a byte-order mark is no code
    suffix = Path(filename).suffix
    cells: list[str]
    if suffix == ".ipynb":
        cells, meta = _notebook_cells(text, _shown(filename))
        declared = (meta.get("gdcourse") or {}).get("exercise") if isinstance(
            meta.get("gdcourse"), dict) else None
    elif suffix == ".py":
        cells = []
        current: list[str] = []
        for line in text.splitlines():
            if _CELL_MARK.match(line) and current:
                cells.append("\n".join(current) + "\n")
                current = []
            current.append(line)
        cells.append("\n".join(current) + "\n")
        tag = _PY_TAG.search(text)
        declared = tag.group(1) if tag else None
    else:
        raise InvalidArgumentError(f"{_shown(filename)}: submissions are .ipynb or .py files")
    return cells, (str(declared) if declared is not None else None) or detect_exercise(
        filename, cells)


def detect_exercise(filename: str, cells: list[str]) -> str | None:
    """Guess the exercise from a ``check("02")`` call or a name like ``02_linear.ipynb``."""
    for source in reversed(cells):
        found = _CHECK_CALL.search(source)
        if found:
            return found.group(1).zfill(2)
    found = re.match(r"(\d{2})[_\-. ]", filename)
    return found.group(1) if found else None


_PSEUDO_FS = ("/proc", "/sys", "/dev")


def _pseudo_devices() -> set[int]:
    found = {os.stat(p).st_dev for p in ("/proc", "/sys") if os.path.isdir(p)}
    return found - {os.stat("/").st_dev}


def read_regular_file(path: str, limit: int) -> bytes:
    """The bytes of ``path``, which must be a regular file (not a link, not in /proc, /sys
    or /dev) of at most ``limit`` bytes; read once. Raises OSError/ValueError saying why."""
    if os.path.islink(path):
        raise ValueError("is a symbolic link; submit the file itself")
    real = os.path.realpath(path)
    if any(real == p or real.startswith(p + "/") for p in _PSEUDO_FS):
        raise ValueError("is a system file (/proc, /sys or /dev), not a submission")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as err:
        if err.errno == 40:      # ELOOP: the last component is a symbolic link
            raise ValueError("is a symbolic link; submit the file itself") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("is not a regular file")
        if st.st_dev in _pseudo_devices():
            raise ValueError("is a system file (/proc, /sys or /dev), not a submission")
        chunks, size = [], 0
        while size <= limit:
            block = os.read(fd, min(1 << 20, limit + 1 - size))
            if not block:
                break
            chunks.append(block)
            size += len(block)
        if size > limit:
            raise ValueError(f"is larger than {limit // 2**20} MB")
        return b"".join(chunks)
    finally:
        os.close(fd)
