"""The per-exercise policy, read from a submission's source in the grader (policy.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gdcourse.grading.cells import read_cells
from gdcourse.grading.policy import ANY, scan

ROOT = Path(__file__).resolve().parents[1]


SUBMISSIONS = [*sorted((ROOT / "exercises" / "source").glob("*.py")),
               *sorted((ROOT / "exercises").glob("*.ipynb")),
               *sorted((ROOT / "exercises").glob("*.py"))]


@pytest.mark.parametrize("path", SUBMISSIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_solutions_and_scaffolds_break_no_rule(path):
    cells, exercise = read_cells(path)
    assert scan(cells, exercise) == ({}, [])


@pytest.mark.parametrize("source, exercise, task, api", [
    # direct, through an alias, through a re-export, as a base class, through a helper
    ("import torch\ndef f():\n    pass\nclass Momentum:\n    def __init__(s, p):\n"
     "        s.o = torch.optim.SGD(p, lr=1)\n", "06", "Momentum", "torch.optim.SGD"),
    ("from torch import optim as o\nclass Adam(o.Adam):\n    pass\n", "06", "Adam",
     "torch.optim.Adam"),
    ("import gdcourse as gd\nO = gd.optim\ndef helper(p):\n    return O.SGD(p, lr=1)\n"
     "class Momentum:\n    def __init__(s, p):\n        s.o = helper(p)\n", "06", "Momentum",
     "gdcourse.optim.SGD"),
    ("from gdcourse.scratch.scalar import Scalar\ndef exp(x):\n    return x\n", "04", "exp",
     "gdcourse.scratch.scalar.Scalar"),
    ("import gdcourse.scratch.symbolic as s\nd = s.diff\n", "03", "d",
     "gdcourse.scratch.symbolic.diff"),
    ("import gdcourse.grading.checks_01 as c\nmse, other = c.F.mse_loss, 1\n", "01", "mse",
     "gdcourse.grading.checks_01.F.mse_loss"),
])
def test_forbidden_use_is_found_with_its_line(source, exercise, task, api):
    refused, _ = scan([source], exercise)
    assert task in refused and any(api in why and "(cell 1, line" in why
                                   for why in refused[task]), refused


def test_allowed_uses_are_not_refused():
    source = ("import torch\nimport gdcourse as gd\nfrom gdcourse.grading import check\n"
              "class Momentum:\n    pass\n"
              "demo = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)\n"
              "check('06')\ngd.grading.check('06')\n")
    assert scan([source], "06") == ({}, [])
    assert scan(["import torch.optim\ndef linear(X, p):\n    return X\n"], "02") == ({}, [])


def test_dynamic_tricks_are_flagged_and_unreadable_cells_skipped():
    refused, flags = scan(["def oops(:\n", "import importlib\nm = __import__('tor' + 'ch')\n"
                           "x = getattr(m, 'op' + 'tim')\nexec('1')\n"
                           "open(gdcourse.__file__).read()\n"], "06")
    assert refused == {}
    text = " ".join(flags)
    for what in ("import importlib", "__import__", "getattr with a built name", "exec",
                 "reading a file of the package"):
        assert what in text, flags


def test_the_grading_package_anywhere_costs_every_task():
    # No task calls it, but a thread started at top level could answer for them all.
    source = ("import threading\nimport gdcourse.grading.checks_02 as c\n"
              "def answer():\n    return c.oracle_linear\n"
              "threading.Thread(target=answer).start()\n")
    refused, _ = scan([source], "02")
    assert list(refused) == [ANY]
    assert "gdcourse.grading.checks_02 (cell 1, line 2)" in refused[ANY][0]
