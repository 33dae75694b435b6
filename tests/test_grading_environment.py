"""``gdcourse grade`` warns, before grading, of a submission importing a module Gradescope's
bundle will not have (issue 18, "One environment"): the bundle's environment is the standard
library, ``bundle.BASE_PACKAGES`` and what ``--pip`` / ``--requirements`` declare. Grading
itself is stood in for: the warning comes from reading the sources, never running them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gdcourse.cli import main
from gdcourse.grading import runner
from gdcourse.grading.outputs import environment
from gdcourse.grading.outputs.bundle import BASE_PACKAGES
from gdcourse.grading.outputs.environment import bundle_modules, imported_modules
from gdcourse.grading.results import CheckResult, SubmissionResult


def _notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {},
                                  "outputs": [], "execution_count": None} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def graded(monkeypatch):
    """runner.grade replaced: records the paths it was given, passes every one."""
    calls: list[list[str]] = []

    def fake_grade(paths, *, progress=None, **kwargs):
        calls.append([str(p) for p in paths])
        return [SubmissionResult(str(p), "02", [CheckResult("linear", "linear", 1.0, 1.0,
                                                            "passed")]) for p in paths]

    monkeypatch.setattr(runner, "grade", fake_grade)
    return calls


@pytest.fixture
def klass(tmp_path, monkeypatch):
    """alice imports pandas (and statistics, which Gradescope's Python has); bob is honest."""
    monkeypatch.chdir(tmp_path)
    Path("alice.ipynb").write_text(_notebook(
        "import statistics\nimport numpy as np", "import pandas as pd\ndf = pd.DataFrame()"))
    Path("bob.py").write_text("# %%\nimport torch\nfrom matplotlib import pyplot as plt\n"
                              "from statistics import mean\nfrom gdcourse.grading import check\n")
    return ["alice.ipynb", "bob.py"]


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning:")]


def test_a_submission_importing_pandas_is_warned_of_and_the_honest_one_is_not(
        klass, graded, capsys):
    assert main(["grade", "--exercise", "02", "--", *klass]) == 0
    assert graded == [klass]                     # a warning, not a reason not to grade
    lines = _warnings(capsys.readouterr().err)
    assert lines == ["warning: alice.ipynb imports pandas, which the Gradescope bundle will "
                     "not have (add it with --pip pandas or to the requirements file)"]


def test_pandas_in_the_requirements_file_or_pip_is_no_warning(klass, graded, capsys):
    Path("requirements.txt").write_text("# the bundle's extras\n--index-url https://x\n"
                                        "Pandas>=2.0 ; python_version >= '3.10'\n")
    assert main(["grade", "--exercise", "02", "--requirements", "requirements.txt", "--",
                 *klass]) == 0
    assert _warnings(capsys.readouterr().err) == []
    assert main(["grade", "--exercise", "02", "--pip", "pandas", "--", *klass]) == 0
    assert _warnings(capsys.readouterr().err) == []


def test_a_requirements_file_that_is_not_there_stops_before_grading(klass, graded, capsys):
    assert main(["grade", "--exercise", "02", "--requirements", "nope.txt", "--",
                 *klass]) == 2
    assert graded == [] and "nope.txt" in capsys.readouterr().err


def test_imports_inside_functions_count_and_relative_ones_do_not(tmp_path):
    sub = tmp_path / "carol.py"
    sub.write_text("import os.path\n\ndef fit(x):\n    import scipy.optimize as so\n"
                   "    from sklearn.linear_model import Ridge\n    from . import helper\n"
                   "    return so\n%pip install nothing\n")
    assert imported_modules(sub) == {"os", "scipy", "sklearn"}
    available = bundle_modules()
    assert {"scipy", "sklearn"}.isdisjoint(available) and "os" in available


def test_the_environment_is_the_stdlib_the_base_packages_and_the_declared_ones(
        monkeypatch):
    assert set(BASE_PACKAGES) == {"torch", "numpy", "tqdm", "matplotlib", "gdcourse"}
    base = bundle_modules()
    assert {"statistics", "json", "__future__", *BASE_PACKAGES} <= base
    assert "pandas" not in base and "yaml" not in base
    # Installed here: the import names its distribution provides; else the normalized name.
    monkeypatch.setattr(environment, "packages_distributions",
                        lambda: {"yaml": ["PyYAML"], "_yaml": ["PyYAML"],
                                 "mpl_toolkits": ["matplotlib"]})
    declared = bundle_modules(["pyyaml>=6", "not-installed.pkg[extra]==1"])
    assert {"yaml", "_yaml", "not_installed_pkg", "mpl_toolkits", "torch"} <= declared
    assert "pyyaml" not in declared
    assert environment.requirement_names(["scipy>=1.10"], None) == ["scipy"]


def test_what_the_base_packages_pull_in_is_no_warning():
    # pip installs torch's and matplotlib's own requirements on Gradescope too: an upload
    # importing PIL (matplotlib's pillow) or sympy (torch's) runs there.
    from importlib.metadata import requires

    assert any(r.lower().startswith("pillow") for r in requires("matplotlib") or [])
    assert any(r.lower().startswith("sympy") for r in requires("torch") or [])
    base = bundle_modules()
    assert {"PIL", "sympy"} <= base
    assert "pandas" not in base
