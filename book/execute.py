"""Execute a notebook the way a student's Jupyter does, and say what it produced.

    python book/execute.py lectures/02_seven_steps.ipynb OUT_DIR

One executor for the course book (``make book``) and the notebook tests, so that what CI
checks is what the book shows and what a student sees: the inline matplotlib backend (figures
become PNG outputs), the machine's default threading, the notebook's own folder on the
import path of this checkout.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[1]
# Variables a student's kernel would not have: the test runner's headless backend and
# its one-thread-per-worker setting would make CI run a lighter notebook than students do.
_NOT_A_STUDENTS = ("MPLBACKEND", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "CI")


@dataclass
class Executed:
    """One executed notebook: the notebook with outputs, its wall time, its figures."""

    nb: nbformat.NotebookNode
    seconds: float

    @property
    def figures(self) -> int:
        """Number of images among the outputs (inline figures and displayed animations)."""
        return sum(1 for cell in self.nb.cells if cell.cell_type == "code"
                   for out in cell.get("outputs", [])
                   if any(k.startswith("image/") for k in out.get("data", {})))

    @property
    def animations(self) -> int:
        """Number of matplotlib animations shown as JavaScript players (``to_jshtml()``):
        each is one more image on the page, its frames swapped in by the player."""
        return sum("".join(out.get("data", {}).get("text/html", "")).count("new Animation(")
                   for cell in self.nb.cells if cell.cell_type == "code"
                   for out in cell.get("outputs", []))

    @property
    def errors(self) -> list[str]:
        """Every error output as 'cell N: Name: message' (empty when nothing raised)."""
        return [f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
                for i, cell in enumerate(self.nb.cells) if cell.cell_type == "code"
                for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def execute(path: Path, timeout: float = 600, allow_errors: bool = False) -> Executed:
    """Run every cell of the notebook at ``path`` in a fresh kernel; return it executed.

    The kernel starts in the notebook's folder with this checkout importable, and without
    the variables in ``_NOT_A_STUDENTS``. Raises ``nbclient.exceptions.CellExecutionError``
    on the first cell that raises, unless ``allow_errors``.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    env = {k: v for k, v in os.environ.items() if k not in _NOT_A_STUDENTS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute(env=env)
    return Executed(nb, time.perf_counter() - start)


if __name__ == "__main__":
    source, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    done = execute(source)
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(done.nb, out_dir / source.name)
    print(f"{source.name}: {done.seconds:.1f} s, {done.figures} figures, "
          f"{done.animations} animations")
