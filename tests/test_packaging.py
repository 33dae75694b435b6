"""The release archives: what a student installs holds what check() and the CLI need, and
never what only the instructor may see.

``python -m build`` makes the wheel and the sdist (no isolation: hatchling from the dev
extra, nothing downloaded). Neither holds exercises/source (the solutions) or
exercises/hidden (the example hidden checks), nor any solution's code elsewhere. The wheel
then goes into a fresh venv where torch is already installed, as on Colab or Kaggle: pip
must not touch torch, and ``check("02")`` must work from an empty folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "exercises" / "source").glob("[0-9][0-9]_*.py"))
HIDDEN = sorted((ROOT / "exercises" / "hidden").glob("*.py"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
                    str(ROOT)], check=True, capture_output=True, text=True, cwd=ROOT)
    wheel, = out.glob("gdcourse-*.whl")
    sdist, = out.glob("gdcourse-*.tar.gz")
    return wheel, sdist


def _members(archive: Path) -> dict[str, bytes]:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            return {name: z.read(name) for name in z.namelist() if not name.endswith("/")}
    with tarfile.open(archive) as t:
        return {m.name.split("/", 1)[1]: t.extractfile(m).read() for m in t.getmembers()
                if m.isfile()}


def _solutions() -> list[str]:
    """The code between the solution markers of every exercise source, one block each."""
    blocks = []
    for source in SOURCES:
        text = source.read_text(encoding="utf-8")
        for body in re.findall(r"^[ \t]*### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION",
                               text, re.M | re.S):
            lines = [line.strip() for line in body.splitlines() if line.strip()]
            if lines:
                blocks.append("\n".join(lines))
    return blocks


def _normalized(data: bytes) -> str:
    return "\n".join(line.strip() for line in data.decode("utf-8", "replace").splitlines()
                     if line.strip())


def test_sources_have_solutions_to_look_for():
    assert len(SOURCES) == 6 and len(HIDDEN) == 6
    assert len(_solutions()) >= 12


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_archive_has_no_solutions_and_no_hidden_checks(dist, kind):
    members = _members(dist[0] if kind == "wheel" else dist[1])
    leaked = [name for name in members
              if name.startswith(("exercises/source/", "exercises/hidden/"))]
    assert not leaked, f"the {kind} ships instructor files: {leaked}"
    hidden = {_normalized(path.read_bytes()) for path in HIDDEN}
    copies = [name for name, data in members.items() if _normalized(data) in hidden]
    assert not copies, f"the {kind} ships hidden checks as {copies}"
    texts = {name: _normalized(data) for name, data in members.items()
             if name.endswith((".py", ".ipynb", ".md", ".txt"))}
    found = []
    for block in _solutions():
        # A one-line solution that is also the format's documented example may appear in
        # the scaffold docstring; everything longer than one line must appear nowhere.
        if "\n" not in block:
            continue
        found += [f"{name}: {block.splitlines()[0]} ..." for name, text in texts.items()
                  if block in text]
    assert not found, f"the {kind} holds solution code:\n" + "\n".join(found)
    marked = [name for name, text in texts.items()
              if re.search(r"^### BEGIN SOLUTION\n(?!### END SOLUTION).+?\n### END SOLUTION",
                           text, re.M | re.S) and not name.endswith("scaffold.py")]
    assert not marked, f"the {kind} holds a filled-in solution block in {marked}"


def test_wheel_holds_what_check_and_the_cli_need(dist):
    members = _members(dist[0])
    names = set(members)
    from gdcourse.grading.registry import exercise_ids

    for exercise in exercise_ids():
        assert f"gdcourse/grading/exercises/ex{exercise}.py" in names
        assert f"gdcourse/grading/judges/ex{exercise}.py" in names
    assert "gdcourse/cli.py" in names and "gdcourse/__main__.py" in names
    info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert f"{info}/licenses/LICENSE" in names, "no LICENSE in the wheel"
    assert b"MIT License" in members[f"{info}/licenses/LICENSE"]
    metadata = members[f"{info}/METADATA"].decode()
    assert "License: MIT" in metadata
    sys.path.insert(0, str(ROOT / "book"))
    import home

    assert f"Project-URL: Repository, {home.repository()}" in metadata
    assert "gdcourse = gdcourse.cli:main" in members[f"{info}/entry_points.txt"].decode()
    requires = re.findall(r"^Requires-Dist: (\S+?)(?:[<>=!~;]|$)", metadata, re.M)
    assert "torch" in requires
    assert not re.search(r"^Requires-Dist: torch\s*==", metadata, re.M), "torch is pinned"


def _torch_env(tmp: Path) -> Path:
    """A fresh venv in which torch (and numpy, matplotlib, tqdm) are already installed, as
    on Colab: this checkout's .venv packages, seen through a .pth file, minus gdcourse."""
    base = tmp / "preinstalled"
    base.mkdir()
    site = Path(next(p for p in sys.path if p.endswith("site-packages")
                     and Path(p, "torch").is_dir()))
    for entry in site.iterdir():
        if "gdcourse" in entry.name.lower() or entry.suffix == ".pth":
            continue  # the checkout's own editable install stays out
        (base / entry.name).symlink_to(entry)
    env = tmp / "fresh"
    venv.EnvBuilder(with_pip=False).create(env)
    py = env / "bin" / "python"
    fresh_site = Path(subprocess.run([str(py), "-c", "import sysconfig; "
                                      "print(sysconfig.get_paths()['purelib'])"],
                                     capture_output=True, text=True, check=True).stdout.strip())
    (fresh_site / "preinstalled.pth").write_text(str(base) + "\n")
    return py


def test_wheel_installs_beside_torch_and_checks_from_an_empty_folder(dist, tmp_path):
    wheel = dist[0]
    py = _torch_env(tmp_path)
    pip = [str(py), "-m", "pip", "--disable-pip-version-check", "--no-input"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PIP_NO_INDEX"] = "1"  # everything gdcourse needs is already there: fetch nothing
    report = tmp_path / "report.json"
    subprocess.run([*pip, "install", "--dry-run", "--report", str(report), str(wheel)],
                   check=True, capture_output=True, text=True, env=env)
    planned = [item["metadata"]["name"].lower() for item in json.loads(report.read_text())
               ["install"]]
    assert planned == ["gdcourse"], f"installing the wheel would also install {planned}"
    subprocess.run([*pip, "install", str(wheel)], check=True, capture_output=True, text=True,
                   env=env)
    empty = tmp_path / "empty"
    empty.mkdir()
    # The instructor's solution of exercise 02, run as a student's script would be, from
    # standard input so that nothing of this checkout is on the import path.
    script = (SOURCES[1].read_text(encoding="utf-8") + "\n"
              "import gdcourse, torch\n"
              "result = check('02', quiet=True)\n"
              "print('FROM', gdcourse.__file__)\n"
              "print('TORCH', torch.__version__)\n"
              "print('SCORE', result.score, result.max_score)\n")
    done = subprocess.run([str(py), "-"], input=script, cwd=empty, capture_output=True,
                          text=True, env={**env, "MPLBACKEND": "Agg"}, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines()
                 if line.startswith(("FROM ", "TORCH ", "SCORE ")))
    assert lines["FROM"].startswith(str(tmp_path / "fresh")), lines["FROM"]
    import torch

    assert lines["TORCH"] == torch.__version__
    score, top = lines["SCORE"].split()
    assert float(score) == float(top) > 0, done.stdout[-2000:]
    assert list(empty.iterdir()) == [], "check() left files in the student's folder"
    cli = subprocess.run([str(py), "-m", "gdcourse", "--help"], cwd=empty, capture_output=True,
                         text=True, env=env)
    assert cli.returncode == 0 and "grade" in cli.stdout
