"""The `gdcourse` command and the import contract."""

import subprocess
import sys

import pytest

from gdcourse.cli import main


def test_fit_prints_params_beside_the_optimum(capsys, tmp_path):
    png = tmp_path / "fit.png"
    assert main(["fit", "--seed", "3", "--device", "cpu", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "descent" in out and "optimum" in out and "loss / optimum = 1.00" in out
    assert png.stat().st_size > 1000


def test_fit_raw_recipe(capsys):
    assert main(["fit", "--raw", "--steps", "2000", "--device", "cpu", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "raw time" in out and "lr=1e-05" in out


def test_fit_reports_errors_without_traceback(capsys):
    assert main(["fit", "--raw", "--lr", "1e-3", "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert "DivergenceError" in err and "Traceback" not in err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "fit" in capsys.readouterr().out


def test_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "gdcourse", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "fit" in out


@pytest.mark.parametrize("heavy", ["matplotlib.pyplot", "fastai", "torchvision"])
def test_import_gdcourse_stays_light(heavy):
    code = f"import sys, gdcourse; print({heavy!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
