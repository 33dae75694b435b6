"""A Gradescope autograder for one exercise: the bundle, and what runs for each upload.

    gdcourse autograder 02 --hidden my-hidden/ -o autograder.zip     # the instructor, once

The zip holds what Gradescope's autograder specification asks for: ``setup.sh`` (run once
as root while Gradescope builds the image: a virtual environment at ``$ROOT/venv`` with the
CPU build of torch and gdcourse, installed from a wheel built from this checkout and carried
in the zip), ``run_autograder`` (every upload: ``python -m gdcourse.grading.outputs.gradescope``
grades the one file it picks from ``$ROOT/submission`` and writes
``$ROOT/results/results.json``), and the hidden checks. ``$ROOT`` is ``/autograder`` unless
the environment variable ``AUTOGRADER_ROOT`` says otherwise (tests lay the bundle out under
a temporary root).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shlex
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from ...errors import InvalidArgumentError
from ..cells import read_cells
from ..registry import get_exercise, load_hidden, normalize_id
from ..runner import grade
from ..safetext import clean
from .export import atomic_write, gradescope
from .report import say, text_report

__all__ = ["build_bundle", "choose_submission", "main"]

ROOT_VARIABLE = "AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
_CHECKOUT = Path(__file__).resolve().parents[3]
_SKIPPED_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}

_SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
# Written by `gdcourse autograder {exercise}`. Root: $AUTOGRADER_ROOT (default /autograder).
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
SOURCE="$ROOT/source"
# The system Python: children of the grader run under other uids, and a Python under a
# private home (pyenv, conda under /root) is one they could not read.
PYTHON="${{AUTOGRADER_PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}}"
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \\
    || {{ echo "gdcourse needs Python >= 3.10 ($PYTHON is older)"; exit 1; }}
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    apt-get install -y python3-venv            # Ubuntu ships venv as its own package
fi
"$PYTHON" -m venv "$ROOT/venv"
PIP=("$ROOT/venv/bin/python" -m pip install --quiet --disable-pip-version-check)
"${{PIP[@]}}" {torch}
"${{PIP[@]}}" "$SOURCE"/wheels/gdcourse-*.whl
# Students' code runs under other uids: it may read the venv, never the hidden checks.
chmod -R a+rX "$ROOT/venv"
chmod 755 "$ROOT"
chmod -R go-rwx "$SOURCE"
"$ROOT/venv/bin/python" -I -c 'import torch, gdcourse.grading; print("torch", torch.__version__)'
"""

_RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every upload; it writes $ROOT/results/results.json.
# Written by `gdcourse autograder {exercise}`. Root: $AUTOGRADER_ROOT (default /autograder).
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
cd "$ROOT"
exec "$ROOT/venv/bin/python" -I -m gdcourse.grading.outputs.gradescope --root "$ROOT" \\
    --exercise {exercise}{hidden}
"""


# --- the bundle (instructor's machine) ---------------------------------------------------------

def _build_wheel(into: Path) -> Path:
    if not (_CHECKOUT / "pyproject.toml").is_file():
        raise InvalidArgumentError(
            f"gdcourse is installed without its source checkout ({_CHECKOUT} has no "
            "pyproject.toml); pass --wheel PATH to a gdcourse wheel")
    # With hatchling here (the [dev] extra) nothing is fetched; else pip fetches it.
    offline = ["--no-build-isolation"] if importlib.util.find_spec("hatchling") else []
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", *offline,
           "-w", str(into), str(_CHECKOUT)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(into.glob("gdcourse-*.whl"))
    if done.returncode != 0 or not wheels:
        raise InvalidArgumentError(f"building the gdcourse wheel failed ({' '.join(cmd)}):\n"
                                   f"{done.stderr[-2000:]}")
    return wheels[0]


def _declared(path: Path) -> str | None:
    """The exercise a hidden-check file names in ``EXERCISE = "02"`` (None: cannot tell)."""
    found = re.search(r"^EXERCISE\s*=\s*[\"']?(\w+)", path.read_text(encoding="utf-8"),
                      re.MULTILINE)
    try:
        return normalize_id(found.group(1)) if found else None
    except InvalidArgumentError:
        return None


def _add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build_bundle(exercise: str, output: str | Path, *, hidden: str | Path | None = None,
                 torch: str | None = None, wheel: str | Path | None = None) -> Path:
    """Write Gradescope's autograder zip for ``exercise`` to ``output``.

    Args:
        exercise: the exercise id ("02").
        output: the zip to write (replaced whole, through a temporary file).
        hidden: a directory of hidden checks; its ``*.py`` files go into the bundle.
        torch: what setup.sh asks pip for (e.g. "torch==2.13.0"); default: torch from
            PyTorch's CPU wheel index.
        wheel: a gdcourse wheel to carry; default: one built from this checkout.

    Raises:
        InvalidArgumentError: an unknown exercise, hidden checks that do not load, no wheel.
    """
    ex_id = normalize_id(exercise)
    points = get_exercise(ex_id).max_points
    hidden_files: list[Path] = []
    if hidden is not None:
        checks = load_hidden(hidden, ex_id)      # fails here, not on Gradescope
        points += sum(c.points for c in checks)
        hidden_files = [p for p in sorted(Path(hidden).glob("*.py"))
                        if _declared(p) in (None, ex_id)]
    torch_args = (shlex.quote(torch) if torch
                  else f"--index-url {CPU_INDEX} torch")
    hidden_arg = ' --hidden "$ROOT/source/hidden"' if hidden_files else ""
    output = Path(output)
    with tempfile.TemporaryDirectory() as tmp:
        whl = Path(wheel) if wheel else _build_wheel(Path(tmp))
        if not whl.is_file():
            raise InvalidArgumentError(f"no wheel at {str(whl)!r}")
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, part = tempfile.mkstemp(prefix=".gdcourse-", suffix=".zip", dir=output.parent)
        try:
            with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w") as zf:
                _add(zf, "setup.sh", _SETUP.format(exercise=ex_id, torch=torch_args).encode(),
                     0o755)
                _add(zf, "run_autograder",
                     _RUN.format(exercise=ex_id, hidden=hidden_arg).encode(), 0o755)
                _add(zf, f"wheels/{whl.name}", whl.read_bytes())
                for path in hidden_files:
                    _add(zf, f"hidden/{path.name}", path.read_bytes(), 0o600)
            os.replace(part, output)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
    print(f"exercise {ex_id}: {points:g} points ({len(hidden_files)} hidden check file(s)); "
          f"set the Gradescope assignment's autograder points to {points:g}")
    return output


# --- run_autograder (on Gradescope, once per upload) -------------------------------------------

def _declares(path: Path, ex_id: str) -> bool:
    try:
        declared = read_cells(path)[1]
        return declared is not None and normalize_id(declared) == ex_id
    except Exception:   # unreadable or odd: just not a reason to prefer it
        return False


def choose_submission(folder: str | Path, ex_id: str) -> tuple[Path | None, str]:
    """The file to grade among what the student uploaded, and a sentence saying which
    and why. Preferred, in order: a name starting with the exercise id (``02_...``), a file
    that declares the exercise (``check("02")``), a notebook over a script, a file nearer
    the top, then by name. Links and hidden files are never chosen."""
    folder = Path(folder)
    found: list[Path] = []
    others: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = clean(path.relative_to(folder).as_posix(), 200)
            is_file = stat.S_ISREG(os.lstat(path).st_mode)
            if name.startswith(".") or not is_file or path.suffix not in (".ipynb", ".py"):
                others.append(rel)
            else:
                found.append(path)
    if not found:
        seen = f" (found: {', '.join(others[:10])})" if others else ""
        return None, (f"No .ipynb or .py file in your upload{seen}. Upload your notebook "
                      f"for exercise {ex_id}, e.g. {ex_id}_....ipynb.")
    prefix = re.compile(rf"(ex(ercise)?[ _-]?)?0*{int(ex_id) if ex_id.isdigit() else ex_id}"
                        r"(?!\d)", re.IGNORECASE)

    def rank(path: Path) -> tuple[bool, bool, bool, int, str]:
        return (not prefix.match(path.name), not _declares(path, ex_id),
                path.suffix != ".ipynb", len(path.relative_to(folder).parts),
                path.name.lower())

    ranked = sorted(found, key=rank)
    chosen = ranked[0]
    name = clean(chosen.relative_to(folder).as_posix(), 200)
    if len(ranked) == 1:
        return chosen, f"Graded {name}."
    why = [w for w, ok in ((f"its name starts with {ex_id}", prefix.match(chosen.name)),
                           (f"it declares exercise {ex_id}", _declares(chosen, ex_id)),
                           ("it is a notebook", chosen.suffix == ".ipynb")) if ok]
    skipped = ", ".join(clean(p.relative_to(folder).as_posix(), 200) for p in ranked[1:10])
    skipped += f" and {len(ranked) - 10} more" if len(ranked) > 10 else ""
    return chosen, (f"Graded {name}, chosen from {len(ranked)} files"
                    f"{' (' + ', '.join(why) + ')' if why else ''}; not graded: {skipped}.")


def _write_results(root: Path, data: dict) -> None:
    atomic_write(root / "results" / "results.json", json.dumps(data, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Grade the upload in ``$ROOT/submission`` and write ``$ROOT/results/results.json``.
    The full instructor's report goes to stdout, which Gradescope shows to instructors."""
    p = argparse.ArgumentParser(prog="python -m gdcourse.grading.outputs.gradescope")
    p.add_argument("--exercise", required=True)
    p.add_argument("--hidden", default=None)
    p.add_argument("--root", default=os.environ.get(ROOT_VARIABLE, DEFAULT_ROOT))
    args = p.parse_args(argv)
    root = Path(args.root)
    start = time.perf_counter()
    try:
        ex_id = normalize_id(args.exercise)
        path, chosen = choose_submission(root / "submission", ex_id)
        say(chosen)
        if path is None:
            _write_results(root, {"score": 0.0, "output": chosen, "stdout_visibility":
                                  "hidden", "tests": []})
            return 0
        (result,) = grade([path], exercise=ex_id, hidden=args.hidden, jobs=1,
                          notice=lambda text: say(f"note: {text}"))
        result.submission = clean(path.relative_to(root / "submission").as_posix(), 200)
        say(text_report(result))
        _write_results(root, gradescope(result, preamble=[chosen]))
        return 0
    except BaseException:   # SystemExit too: whatever happens, results.json is written
        traceback.print_exc()
        _write_results(root, {
            "score": 0.0, "stdout_visibility": "hidden", "tests": [],
            "execution_time": int(time.perf_counter() - start),
            "output": "The autograder failed on its side (not because of your code); "
                      "your instructor can see why. Please tell them."})
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
