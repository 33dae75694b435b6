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


def test_import_gdcourse_stays_light():
    # one interpreter for the three checks: each start costs seconds on a busy machine
    heavy = ["matplotlib.pyplot", "fastai", "torchvision"]
    code = f"import sys, gdcourse; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def _usage_error(capsys, argv):
    """Run argv, which must stop while parsing: exit status 2, one error line, no output."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    captured = capsys.readouterr()
    assert stop.value.code == 2
    assert len(captured.err.splitlines()) == 1 and "error:" in captured.err
    assert captured.out == ""  # nothing was fitted or printed before the check
    return captured.err


def test_cuda_on_a_cpu_build_is_a_usage_error(capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    line = _usage_error(capsys, ["fit", "--device", "cuda"])
    assert "argument --device" in line and "CUDA is not available" in line


def test_unknown_device_is_a_usage_error(capsys):
    line = _usage_error(capsys, ["fit", "--device", "tpu"])
    assert "'tpu' is not a device name" in line


@pytest.mark.parametrize("command", ["fit", "sweep"])
def test_plot_into_a_missing_folder_is_refused_before_any_work(capsys, tmp_path, command):
    missing = tmp_path / "nonexistent" / "x.png"
    line = _usage_error(capsys, [command, "--plot", str(missing)])
    assert "argument --plot" in line and "no folder" in line


@pytest.mark.parametrize("argv, message", [
    (["fit", "--steps", "-3"], "steps must be a positive integer, got -3"),
    (["fit", "--steps", "ten"], "expected a whole number, got 'ten'"),
    (["fit", "--lr", "-1"], "lr must be a positive finite number"),
    (["fit", "--n", "0"], "n must be a positive integer"),
    (["sweep", "--steps", "0"], "steps must be a positive integer, got 0"),
])
def test_bad_numbers_are_usage_errors(capsys, argv, message):
    assert message in _usage_error(capsys, argv)


def test_version(capsys):
    import gdcourse

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"gdcourse {gdcourse.__version__}"
