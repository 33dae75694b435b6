"""One home address: pyproject.toml's [project.urls] Repository, and everything that names it.

The notebooks' install cell (written by ``gdcourse scaffold``), the course book's launch
links (book/home.py) and the README must all point at that one repository; a copy that
drifts (a fork's address, a renamed branch, a notebook edited by hand) fails here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book"))

import home  # noqa: E402

from gdcourse.grading.scaffold import INSTALL_CELL  # noqa: E402

NOTEBOOKS = sorted((ROOT / "lectures").glob("*.ipynb")) + sorted(
    (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
REPO_URL = re.compile(r"https?://github\.com/[\w.-]+/[\w.-]+")
LAUNCH_URL = re.compile(r"https://(?:colab\.research\.google\.com|(?:www\.)?kaggle\.com)"
                        r"/[^\s)\"'>\]]+")


def _tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    files = []
    for name in names:
        path = ROOT / name
        if name.startswith("tests/"):
            continue  # tests name other repositories on purpose, to show a mismatch fails
        if path.is_file() and path.suffix in {".py", ".md", ".ipynb", ".toml", ".yml", ".txt",
                                              ".cfg", ""}:
            files.append(path)
    return files


def test_pyproject_holds_the_home_address():
    url = home.repository()
    assert REPO_URL.fullmatch(url), url
    urls = re.search(r"^\[project\.urls\]$(.*?)(?=^\[|\Z)",
                     (ROOT / "pyproject.toml").read_text(), re.M | re.S).group(1)
    for value in re.findall(r'=\s*"([^"]+)"', urls):
        assert value.startswith(url), f"[project.urls] {value} is not under {url}"


def test_install_cell_is_made_from_the_home_address():
    assert INSTALL_CELL.splitlines()[-1].strip() == home.install_line()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_installs_from_home(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    install = "".join(cells[1]["source"]) if len(cells) > 1 else ""
    assert cells[1]["cell_type"] == "code" and install == INSTALL_CELL, (
        f"{path.relative_to(ROOT)}: cell 1 is not the install cell of gdcourse scaffold "
        f"(INSTALL_CELL, from {home.repository()}); got:\n{install}")
    for i, cell in enumerate(cells):
        for line in "".join(cell["source"]).splitlines():
            if "git+" in line:
                assert f"git+{home.repository()}" in line, (
                    f"{path.name} cell {i} installs gdcourse from elsewhere: {line.strip()}")


def test_every_address_in_the_repository_is_home():
    url = home.repository()
    wrong = []
    for path in _tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        text = text.replace("github.com/OWNER/REPO", "")  # book/home.py's docstrings
        for found in REPO_URL.findall(text):
            if found.removesuffix(".git") != url:
                wrong.append(f"{path.relative_to(ROOT)}: {found}")
        for found in LAUNCH_URL.findall(text):
            if found.rstrip(".,`") in (home.COLAB, home.KAGGLE) or "/OWNER/REPO/" in found:
                continue  # the bare service (book/_config.yml, book/home.py)
            repo_path = re.sub(r"^.*?/blob/[^/]+/", "", found)
            expected = {home.colab_url(repo_path), home.kaggle_url(repo_path)}
            if found not in expected or not (ROOT / repo_path).is_file():
                wrong.append(f"{path.relative_to(ROOT)}: {found}")
    assert not wrong, "addresses that are not the home address " + url + ":\n" + "\n".join(wrong)


def test_readme_installs_from_home_and_a_tag():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    version = re.search(r'^version\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(),
                        re.M).group(1)
    assert home.install_line() in readme
    assert f"git+{home.repository()}@v{version}" in readme, "no install pinned to this tag"
    for path in sorted((ROOT / "lectures").glob("*.ipynb"))[:1]:
        assert home.colab_url(f"lectures/{path.name}") in readme
        assert home.kaggle_url(f"lectures/{path.name}") in readme


def test_launch_links_follow_the_home_address():
    url, ref = "https://github.com/someone/fork", "v1.2.3"
    path = "lectures/02_seven_steps.ipynb"
    assert home.colab_url(path, home=url, ref=ref) == (
        "https://colab.research.google.com/github/someone/fork/blob/v1.2.3/" + path)
    assert home.kaggle_url(path, home=url, ref=ref) == (
        "https://kaggle.com/kernels/welcome?src=https://github.com/someone/fork/blob/v1.2.3/"
        + path)
    assert home.install_line(home=url, ref=ref) == (
        '%pip install -q "gdcourse[colab] @ git+https://github.com/someone/fork@v1.2.3"')


def test_home_address_must_be_a_github_repository(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n[project.urls]\nRepository = '
                         '"https://example.org/x"\n')
    with pytest.raises(ValueError, match="github.com/OWNER/REPO"):
        home.repository(pyproject)
    pyproject.write_text('[project]\nname = "x"\n')
    with pytest.raises(LookupError, match="Repository"):
        home.repository(pyproject)
