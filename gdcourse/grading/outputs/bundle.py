"""Gradescope's autograder zip for one exercise, built on the instructor's machine.

    gdcourse autograder 02 --hidden my-hidden/ -o autograder.zip     # the instructor, once
    build_bundle("02", "autograder.zip", hidden="my-hidden/")         # the same, from Python

The zip holds what Gradescope's autograder specification asks for: ``setup.sh`` (run once
as root while Gradescope builds the image: a virtual environment at ``$ROOT/venv`` with the
CPU build of torch and gdcourse, installed from a wheel built from this checkout and carried
in the zip), ``run_autograder`` (every upload: ``python -m gdcourse.grading.outputs.gradescope``,
see that module) and the hidden checks. ``$ROOT`` is ``/autograder`` unless the environment
variable ``AUTOGRADER_ROOT`` says otherwise (tests lay the bundle out under a temporary root).

Gradescope's container is small (768 MB, 10 minutes, half a CPU by default): the bundle
gives each upload what is left of ``--memory`` once the grader and torch have theirs
(``GRADER_MB``) and the time left of ``--timeout`` once the grader has started and written
its results (``STARTUP_S``). Packages beyond torch, numpy, matplotlib and tqdm are declared
once (``--pip``, ``--requirements``) and installed by setup.sh.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ...errors import InvalidArgumentError
from ..registry import get_exercise, load_hidden, normalize_id

__all__ = ["BASE_PACKAGES", "CONTAINER_MB", "CONTAINER_S", "DEFAULT_ROOT", "GRADER_MB",
           "ROOT_VARIABLE", "STARTUP_S", "build_bundle"]

ROOT_VARIABLE = "AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
_CHECKOUT = Path(__file__).resolve().parents[3]
# Gradescope's default container: 768 MB of memory, a 10-minute limit per upload.
CONTAINER_MB, CONTAINER_S = 768, 600
# The grader's own process, the pre-imported zygote and the policy reader, each with torch
# imported: 521 MiB (PSS) for the whole tree grading the 02 solution, measured here.
GRADER_MB = 512
STARTUP_S = 60          # imports on half a CPU, the policy read, writing results.json
# What setup.sh installs before any --pip or --requirements: torch, then the gdcourse wheel
# with its own dependencies. ``gdcourse grade`` warns of an import outside these.
BASE_PACKAGES = ("torch", "numpy", "tqdm", "matplotlib", "gdcourse")

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
{extra}# Students' code runs under other uids: it may read the venv, never the hidden checks.
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
    --exercise {exercise} --memory {memory} --timeout {timeout}{hidden}
"""


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


def _limits(memory: int, timeout: int) -> tuple[int, int]:
    """(MB, s) each upload may use in a container of ``memory`` MB and ``timeout`` s."""
    if memory < GRADER_MB + 256:
        raise InvalidArgumentError(
            f"--memory {memory}: the container needs at least {GRADER_MB + 256} MB (the "
            f"grader and torch take about {GRADER_MB} MB, a submission needs 256 MB more); "
            f"Gradescope's default is {CONTAINER_MB} MB")
    if timeout < STARTUP_S + 30:
        raise InvalidArgumentError(f"--timeout {timeout}: need at least {STARTUP_S + 30} s "
                                   f"(Gradescope's default is {CONTAINER_S} s)")
    return memory - GRADER_MB, timeout - STARTUP_S


def _extra_packages(pip: list[str], requirements: Path | None) -> str:
    for spec in pip:
        if not spec.strip() or spec.startswith("-"):
            raise InvalidArgumentError(
                f"--pip {spec!r}: give package names (pandas, 'scipy>=1.10'); pip options "
                "go into a file passed with --requirements")
    if requirements is not None and not requirements.is_file():
        raise InvalidArgumentError(f"--requirements {str(requirements)!r} is not a file")
    lines = [f'"${{PIP[@]}}" {" ".join(shlex.quote(p) for p in pip)}\n'] if pip else []
    if requirements is not None:
        lines.append('"${PIP[@]}" -r "$SOURCE/requirements.txt"\n')
    return "".join(lines)


def build_bundle(exercise: str, output: str | Path, *, hidden: str | Path | None = None,
                 torch: str | None = None, wheel: str | Path | None = None,
                 memory: int = CONTAINER_MB, timeout: int = CONTAINER_S,
                 pip: list[str] | None = None,
                 requirements: str | Path | None = None) -> Path:
    """Write Gradescope's autograder zip for ``exercise`` to ``output``.

    Args:
        exercise: the exercise id ("02").
        output: the zip to write (replaced whole, through a temporary file).
        hidden: a directory of hidden checks; its ``*.py`` files go into the bundle.
        torch: what setup.sh asks pip for (e.g. "torch==2.13.0"); default: torch from
            PyTorch's CPU wheel index.
        wheel: a gdcourse wheel to carry; default: one built from this checkout.
        memory: the Gradescope container's memory in MB (its setting; default 768); each
            upload gets this less ``GRADER_MB``.
        timeout: the assignment's autograder timeout in seconds (default 600); each upload
            gets this less ``STARTUP_S``.
        pip: packages setup.sh installs beyond gdcourse's own (pandas, "scipy>=1.10").
        requirements: a pip requirements file setup.sh installs too (carried in the zip).

    Raises:
        InvalidArgumentError: an unknown exercise, hidden checks that do not load, no wheel,
            a container too small for the grader, a pip option given as a package.
    """
    ex_id = normalize_id(exercise)
    memory_mb, timeout_s = _limits(memory, timeout)
    req = Path(requirements) if requirements is not None else None
    extra = _extra_packages(list(pip or []), req)
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
                _add(zf, "setup.sh", _SETUP.format(exercise=ex_id, torch=torch_args,
                                                   extra=extra).encode(), 0o755)
                _add(zf, "run_autograder", _RUN.format(
                    exercise=ex_id, hidden=hidden_arg, memory=memory_mb,
                    timeout=timeout_s).encode(), 0o755)
                if req is not None:
                    _add(zf, "requirements.txt", req.read_bytes())
                _add(zf, f"wheels/{whl.name}", whl.read_bytes())
                for path in hidden_files:
                    _add(zf, f"hidden/{path.name}", path.read_bytes(), 0o600)
            os.replace(part, output)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
    print(f"exercise {ex_id}: {points:g} points ({len(hidden_files)} hidden check file(s)); "
          f"set the Gradescope assignment's autograder points to {points:g}, its memory to "
          f"at least {memory} MB and its timeout to at least {timeout} s (each upload may "
          f"use {memory_mb} MB beyond the grader's own, and {timeout_s} s)")
    return output
