"""The code passes `make lint`'s ruff rules (complexity <= 15 in gdcourse/ included), so CI,
which runs only `make test`, enforces them too. mypy's half of `make lint` is in test_types."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("ruff", reason="ruff comes with the [dev] extra")


def test_ruff_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "gdcourse", "tests",
                           "benchmarks", "book"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
