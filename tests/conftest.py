import importlib
import os

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
# Whether the caller is CI (.ci/run exports CI=true and installs every extra), kept apart from
# the CI=true set below for gdcourse's sake. xdist workers and child processes inherit both
# variables, so the first process's reading wins. Colab, Kaggle and Gradescope do not set CI.
os.environ.setdefault("GDCOURSE_CALLER_CI", os.environ.get("CI", ""))
CI_RUN = bool(os.environ["GDCOURSE_CALLER_CI"])
os.environ.setdefault("CI", "true")  # no progress bars in test logs

CUDA = torch.cuda.is_available()

# tests/data holds files as students hand them in (scaffolds that raise on import): inputs of
# tests, never tests; `make test`'s --doctest-modules would import them.
collect_ignore = ["data"]


def pytest_collection_modifyitems(config, items):
    skip_cuda = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "cuda" in item.keywords and not CUDA:
            item.add_marker(skip_cuda)
    # The lecture runs go first: they are the suite's long pole, and a lecture executed by
    # its own test (not by the book's fixture) shows its wall time in --durations.
    items.sort(key=lambda item: "executed_lecture" not in getattr(item, "fixturenames", ())
               or item.path.name != "test_notebooks.py")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def extra():
    """``extra("fastai") -> module``: an optional extra's package, its tests skipped where it is
    not installed; in a CI run, which installs every extra, missing is an error instead."""

    def load(name: str):
        return importlib.import_module(name) if CI_RUN else pytest.importorskip(name)

    return load


@pytest.fixture
def signal():
    """The lecture's signal with a fixed seed: (time, signal), float32, CPU."""
    import gdcourse as gd

    return gd.make_signal(seed=666)


@pytest.fixture(scope="session")
def executed_lecture():
    """``executed_lecture(path) -> book.execute.Executed``, each notebook run once per worker.

    The lecture tests and the course-book test share it (both sit in xdist group
    "lectures", so one worker runs them all): each lecture executes once per suite.
    """
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book"))
    from execute import execute

    cache = {}

    def run(path):
        key = Path(path).resolve()
        if key not in cache:
            cache[key] = execute(key)
        return cache[key]

    return run


@pytest.fixture
def widget_bars(monkeypatch):
    """gdcourse's progress bars (train, GradientDescent) draw tqdm's notebook widget here;
    the list holds every bar made."""
    pytest.importorskip("ipywidgets")
    from tqdm.notebook import tqdm as notebook_tqdm

    made: list = []

    class Recorded(notebook_tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    from gdcourse import _loop_parts

    monkeypatch.setattr(_loop_parts, "tqdm", Recorded)
    return made
