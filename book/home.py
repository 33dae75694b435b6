"""The project's home address, read from the one place it is written, and the links made from it.

    colab_url("lectures/02_seven_steps.ipynb")
    # -> https://colab.research.google.com/github/OWNER/REPO/blob/BRANCH/lectures/02_seven_steps.ipynb

The address is pyproject.toml's ``[project.urls] Repository``; the branch the launch links
open is ``repository.branch`` in book/_config.yml. ``gdcourse scaffold`` writes the
notebooks' install cell from the same pyproject entry, the book's launch buttons come from
here, and tests/test_home.py fails when a notebook, the README or a page disagrees.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
COLAB = "https://colab.research.google.com"
KAGGLE = "https://kaggle.com/kernels/welcome?src="


def repository(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """``[project.urls] Repository`` of pyproject.toml, e.g. https://github.com/OWNER/REPO."""
    text = pyproject.read_text(encoding="utf-8")
    section = re.search(r"^\[project\.urls\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    found = section and re.search(r'^Repository\s*=\s*"([^"]+)"', section.group(1), re.M)
    if not found:
        raise LookupError(f"{pyproject}: no Repository = \"...\" under [project.urls]")
    url = found.group(1).rstrip("/")
    if urlparse(url).netloc != "github.com" or len(urlparse(url).path.strip("/").split("/")) != 2:
        raise ValueError(f"Repository = {url!r}: launch links need https://github.com/OWNER/REPO")
    return url


def branch(config: Path = ROOT / "book" / "_config.yml") -> str:
    """The branch launch links open: ``repository.branch`` of the book's _config.yml."""
    found = re.search(r"^repository:\s*$(?:\n[ \t]+.*)*?\n[ \t]+branch\s*:\s*([\w./-]+)",
                      config.read_text(encoding="utf-8"), re.M)
    if not found:
        raise LookupError(f"{config}: no repository: branch: ...")
    return found.group(1)


def _blob(path: str, home: str | None, ref: str | None) -> str:
    home, ref = home or repository(), ref or branch()
    return f"{urlparse(home).path.strip('/')}/blob/{ref}/{path.lstrip('/')}"


def github_url(path: str, *, home: str | None = None, ref: str | None = None) -> str:
    """The notebook's page on GitHub: https://github.com/OWNER/REPO/blob/BRANCH/PATH."""
    return f"https://github.com/{_blob(path, home, ref)}"


def colab_url(path: str, *, home: str | None = None, ref: str | None = None) -> str:
    """Open the repository's notebook ``path`` (relative to the repo root) in Colab."""
    return f"{COLAB}/github/{_blob(path, home, ref)}"


def kaggle_url(path: str, *, home: str | None = None, ref: str | None = None) -> str:
    """Open the repository's notebook ``path`` (relative to the repo root) in Kaggle."""
    return KAGGLE + github_url(path, home=home, ref=ref)


def install_line(*, home: str | None = None, ref: str | None = None) -> str:
    """The notebooks' pip line (``ref`` pins a tag or commit, e.g. v0.1.0)."""
    at = f"@{ref}" if ref else ""
    return f'%pip install -q "gdcourse[colab] @ git+{home or repository()}{at}"'
