"""Smoke tests of the benchmark code with tiny sizes (correctness of the plumbing, not time)."""

import os
import runpy
import sys

import pytest

import gdcourse as gd
from gdcourse.bench import Row, format_table, lecture_loop, time_steps
from gdcourse.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_lecture_loop_is_plain_gradient_descent(signal):
    """The baseline loop takes the same steps as train (so the timing compares like work)."""
    t, y = (v.double() for v in signal)
    ours, theirs = gd.init_params(3, seed=666, dtype=t.dtype), gd.init_params(3, seed=666,
                                                                              dtype=t.dtype)
    lecture_loop(theirs, t, y, lr=1e-5, steps=50)
    gd.train(ours, gd.quadratic, t, y, lr=1e-5, steps=50, progress=False)
    assert float((ours - theirs).detach().abs().max()) < 1e-9


def test_time_steps_reports_every_loop(signal):
    t, y = signal
    res = time_steps(t, y, block=5, repeats=3, with_item=True)
    assert set(res["blocks"]) == {"lecture", "train", "train_lecture_f", "lecture_item"}
    assert all(len(v) == 3 and min(v) > 0 for v in res["blocks"].values())
    assert res["ratio"] > 0 and res["ratio_lecture_f"] > 0


def test_format_table_aligns_columns():
    text = format_table([Row("a", "1 ms", "b", "2.0", "< 5 ms", True),
                         Row("longer name", "3 s", ok=False), Row("info", "x")])
    lines = text.splitlines()
    assert lines[0].startswith("measurement") and set(lines[1]) <= {"-", " "}
    assert lines[2].endswith("ok") and lines[3].endswith("MISSED") and lines[4].endswith("x")
    assert lines[2].index("1 ms") == lines[3].index("3 s")


@pytest.mark.slow
def test_bench_quick_prints_one_table(capsys):
    assert main(["bench", "--quick"]) == 0
    out = capsys.readouterr().out
    for needle in ("lecture loop, per step", "fast engine", "least squares", "raw recipe",
                   "standardized SGD", "momentum", "Adam", "lr sweep", "import gdcourse"):
        assert needle in out, needle


def test_sweep_command(tmp_path, capsys):
    png = tmp_path / "sweep.png"
    assert main(["sweep", "--raw", "--lrs", "1e-7", "1e-4", "8", "--steps", "30",
                 "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "stability limit" in out and "diverged" in out and png.stat().st_size > 0


def test_sweep_command_reports_bad_input(capsys):
    assert main(["sweep", "--lrs", "1e-3", "1", "0"]) == 1
    assert "lrs is empty" in capsys.readouterr().err


def test_seven_steps_script_runs(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["seven_steps.py", "--block", "5", "--repeats", "2"])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(os.path.join(ROOT, "benchmarks", "seven_steps.py"), run_name="__main__")
    assert done.value.code == 0
    assert "median ratio train / lecture loop" in capsys.readouterr().out
