"""The test harness on the students' platforms (Colab, Kaggle, Gradescope): conftest.py and
pyproject's warning filters.

tests/conftest.py: an extra that a platform lacks skips its tests, except in a CI run.

Colab, Kaggle and Gradescope have no [fastai] extra and no CI variable: there the fastai tests
must skip, not error (conftest sets CI=true for gdcourse's own sake, which once made every
fastai test fail). Each test runs tests/test_fastai_bridge.py in a child pytest with fastai
hidden behind a package that raises ModuleNotFoundError, as importing an absent one does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _pytest_without_fastai(tmp_path: Path, **env: str) -> tuple[dict[str, int], str]:
    hidden = tmp_path / "no_fastai" / "fastai"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text(
        'raise ModuleNotFoundError("No module named \'fastai\'", name="fastai")\n')
    child_env = {k: v for k, v in os.environ.items()
                 if k not in ("CI", "GDCOURSE_CALLER_CI", "PYTEST_XDIST_WORKER",
                              "PYTEST_ADDOPTS", "PYTHONPATH")}
    child_env.update(env, PYTHONPATH=str(tmp_path / "no_fastai"))
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:xdist",
         "tests/test_fastai_bridge.py"],
        cwd=ROOT, env=child_env, capture_output=True, text=True, timeout=300)
    summary = out.stdout.strip().splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|skipped|failed|errors?)",
                                                      summary)}
    counts["errors"] = counts.pop("error", 0) + counts.pop("errors", 0)
    return counts, out.stdout


def test_fastai_tests_skip_where_fastai_is_absent(tmp_path):
    counts, log = _pytest_without_fastai(tmp_path)
    assert counts.get("failed", 0) == 0 and counts["errors"] == 0, log
    # The two tests that need no fastai still run; every other one skips and says why.
    assert counts.get("passed", 0) >= 2 and counts.get("skipped", 0) >= 5, log
    assert "could not import 'fastai'" in log, log


def test_a_ci_run_without_fastai_fails(tmp_path):
    counts, log = _pytest_without_fastai(tmp_path, CI="true")
    assert counts.get("skipped", 0) == 0, log
    assert counts["errors"] >= 5, log


# pyproject's filterwarnings: deprecations raised inside the platforms' own libraries are
# ignored by the module that raises them; the same warning from gdcourse is still an error.
PLATFORM_DEPRECATIONS = [
    # matplotlib 3.10.0 with pyparsing 3.3 (PyparsingDeprecationWarning is a DeprecationWarning)
    ("'oneOf' deprecated - use 'one_of'", "matplotlib._fontconfig_pattern"),
    ("'parseString' deprecated - use 'parse_string'", "matplotlib._mathtext"),
    # ipykernel 6.17.1 (Colab's) on Python 3.13, when ipykernel.kernelbase is imported
    ("Parsing dates involving a day of month without a year specified is ambiguious",
     "ipykernel.jsonutil"),
]


@pytest.mark.parametrize(("message", "module"), PLATFORM_DEPRECATIONS)
def test_platform_deprecations_are_ignored_where_they_are_raised(message, module):
    # warn_explicit attributes the warning to `module`, as pyparsing's stacklevel=2 does.
    warnings.warn_explicit(message, DeprecationWarning, f"{module.replace('.', '/')}.py", 1,
                           module=module)


@pytest.mark.parametrize("module", ["gdcourse.plot", "gdcourse.grading.check", "test_conftest",
                                    "matplotlib.pyplot"])
def test_other_deprecations_are_still_errors(module):
    with pytest.raises(DeprecationWarning, match="deprecated"):
        warnings.warn_explicit("'oneOf' deprecated - use 'one_of'", DeprecationWarning,
                               f"{module.replace('.', '/')}.py", 1, module=module)
