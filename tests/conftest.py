import os

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
os.environ.setdefault("CI", "true")  # no progress bars in test logs

CUDA = torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    skip_cuda = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "cuda" in item.keywords and not CUDA:
            item.add_marker(skip_cuda)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def signal():
    """The lecture's signal with a fixed seed: (time, signal), float32, CPU."""
    import gdcourse as gd

    return gd.make_signal(seed=666)
