"""Issue 17's failure classes that are not the reading: the box (IPC and network of its
own, questions off stdin, CPU of every thread), what a hidden check's child may not tell the
student, public checks on fresh inputs, honest inputs that were zeroed, and a grader that
never crashes on one file. Two class runs serve most tests (one with the reading on, one
past it, where the box alone is under attack)."""

from __future__ import annotations

import json
import os
import socket
import textwrap
import threading
import time
from pathlib import Path

import pytest
import torch

from gdcourse.grading import check, get_exercise, grade, runner, wire
from gdcourse.grading.cells import read_cells
from gdcourse.grading.outputs import gradescope as gs
from gdcourse.grading.outputs.export import gradescope
from gdcourse.grading.registry import make_inputs
from gdcourse.grading.runtime import run_cells
from gdcourse.grading.sandbox import isolation

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = (ROOT / "exercises" / "source" / "02_linear_regression.py").read_text()
FULL = get_exercise("02").max_points
SHM_KEY = 0x6764_1717


def _memorized() -> str:
    """02 answered from check()'s own inputs, remembered as numbers: no code of its own."""
    ns: dict = {"__name__": "x"}
    os.environ["GDCOURSE_GRADER_CHILD"] = "1"
    try:
        run_cells(read_cells(ROOT / "exercises" / "source" / "02_linear_regression.py")[0],
                  ns, limit=60)
    finally:
        del os.environ["GDCOURSE_GRADER_CHILD"]
    answers = {}
    for c in get_exercise("02").checks:
        inputs = make_inputs(c)
        for one in inputs.get("calls", [inputs]):
            out = ns[one["fn"]](*one["args"], **one["kwargs"])
            answers[(one["fn"], tuple(one["args"][0].shape))] = out.tolist()
    return "import torch\nANSWERS = " + repr({f"{k[0]} {k[1]}": v for k, v in
                                               answers.items()}) + """
def linear(X, params):
    return torch.tensor(ANSWERS[f"linear {tuple(X.shape)}"])
def fit_linear(X, y, **kwargs):
    return torch.tensor(ANSWERS[f"fit_linear {tuple(X.shape)}"])
"""


def _jupyter_export(source: str) -> str:
    """The solution as `jupyter nbconvert --to script` writes a notebook."""
    cells, _ = read_cells(ROOT / "exercises" / "source" / "02_linear_regression.py")
    parts = ["#!/usr/bin/env python\n# coding: utf-8\n\n"]
    for i, cell in enumerate(cells, start=1):
        parts.append(f"# In[{i}]:\n\n\n{cell}\n\n")
    parts.insert(1, "# In[ ]:\n\n\nget_ipython().run_line_magic('matplotlib', 'inline')\n\n\n")
    return "".join(parts)


READING_ON = {
    "02_bom.py": ("\ufeff" + SOLUTION).encode("utf-8"),
    "02_exported.py": _jupyter_export(SOLUTION).encode(),
    "02_star.py": SOLUTION.replace("from gdcourse.grading import check",
                                   "from gdcourse.grading import *").encode(),
    "02_asks_input.py": ("name = input('your name? ')\n# %%\n" + SOLUTION).encode(),
    "02_memorized.py": b"",              # filled in by the fixture
    "02_hidden_exit.py": (SOLUTION + textwrap.dedent("""
        # %%
        import os
        _fit = fit_linear
        def fit_linear(X, y, *, lr, steps, seed):
            if steps == 500:           # only the hidden check's input: say so by exit code
                os._exit(37)
            return _fit(X, y, lr=lr, steps=steps, seed=seed)
        """)).encode(),
}


@pytest.fixture(scope="module")
def reading_on(tmp_path_factory):
    folder = tmp_path_factory.mktemp("on")
    paths = []
    for name, data in READING_ON.items():
        (folder / name).write_bytes(data or _memorized().encode())
        paths.append(folder / name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "_fingerprint", lambda root: {})     # others edit the tree
        results = grade(paths, hidden=ROOT / "exercises" / "hidden", jobs=2, timeout=40)
    return {Path(r.path).name: r for r in results}


@pytest.mark.parametrize("name", ["02_bom.py", "02_exported.py", "02_star.py",
                                  "02_asks_input.py"])
def test_honest_inputs_score_full_marks(reading_on, name):
    r = reading_on[name]
    public = sum(c.max_points for c in r.checks if not c.hidden)
    assert r.score == r.max_score and public == FULL, (r.notes, [c.hint for c in r.checks])


def test_input_meets_end_of_input_at_once_and_says_so(reading_on):
    r = reading_on["02_asks_input.py"]
    assert r.elapsed < 30
    assert any("input() has no keyboard" in n for n in r.notes), r.notes


def test_answers_memorized_from_check_earn_nothing_when_graded(reading_on):
    ns: dict = {}
    exec(compile(_memorized(), "memorized", "exec"), ns)
    assert check("02", namespace=ns, quiet=True).score == FULL   # check() keeps its seeds
    r = reading_on["02_memorized.py"]
    assert sum(c.points for c in r.checks if not c.hidden) == 0, [c.hint for c in r.checks]


def test_a_hidden_check_child_tells_the_student_nothing(reading_on):
    r = reading_on["02_hidden_exit.py"]
    assert any("exit code 37" in f for f in r.flags), (r.flags, r.notes)   # the instructor
    student = json.dumps(gradescope(r))
    assert "37" not in student and "exit code" not in student, student
    assert "restarted" not in student
    assert "execution_time" not in gradescope(r)     # a sleep would carry a number too


# --- the box alone, past the reading ---------------------------------------------------------

BOX = {
    "02_shm.py": SOLUTION + textwrap.dedent(f"""
        # %%
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        print("SHM", libc.shmget({SHM_KEY}, 1 << 20, 0o1666))
        """),
    "02_net.py": SOLUTION + textwrap.dedent("""
        # %%
        import socket
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=2).sendall(b"leak")
            print("NET connected")
        except OSError as err:
            print("NET", err)
        """),
    "02_thread_cpu.py": SOLUTION + textwrap.dedent("""
        # %%
        import threading, time
        _linear = linear
        def linear(X, params):
            def spin():
                while True:
                    pass
            threading.Thread(target=spin, daemon=True).start()
            time.sleep(4)            # the main thread idles; the helper burns CPU
            return _linear(X, params)
        """),
}


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    folder = tmp_path_factory.mktemp("box")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                received.append(conn.recv(100))
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    paths = []
    for name, text in BOX.items():
        (folder / name).write_text(text.replace("PORT", str(listener.getsockname()[1])))
        paths.append(folder / name)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(runner, "_fingerprint", lambda root: {})
            patch.setattr(runner.policy, "scan_bounded", lambda cells, rules: {})
            results = grade(paths, jobs=2, timeout=40, check_timeout=1)
    finally:
        stop.set()
        thread.join()
        listener.close()
    return {Path(r.path).name: r for r in results}, received


def _shm_keys() -> set[int]:
    with open("/proc/sysvipc/shm") as f:
        return {int(line.split()[0]) for line in f.readlines()[1:]}


def test_ipc_of_its_own(box):
    plan = isolation.Plan.choose("auto")
    if "ipc" not in plan.extra:
        assert any("no IPC namespace" in n for n in plan.notices)
        pytest.skip("no IPC namespace here (and the grader says so)")
    results, _ = box
    assert "SHM" in results["02_shm.py"].output          # it did make one, in its own IPC
    assert SHM_KEY not in _shm_keys()                     # gone with the box


def test_network_of_its_own(box):
    plan = isolation.Plan.choose("auto")
    if "net" not in plan.extra:
        assert any("no network namespace" in n for n in plan.notices)
        pytest.skip("no network namespace here (and the grader says so)")
    results, received = box
    assert received == [] and "NET connected" not in results["02_net.py"].output


def test_cpu_limit_counts_every_thread(box):
    results, _ = box
    (linear,) = [c for c in results["02_thread_cpu.py"].checks
                 if c.name == "linear computes X @ theta + theta_0"]
    assert linear.status == "timeout" and "CPU" in linear.hint, linear


# --- the view is the same wherever the checkout lives ---------------------------------------

VIEW = """
import os
def view():
    return {name: (sorted(os.listdir(path)) if os.path.isdir(path) else None)
            for name, path in PATHS.items()}
"""


@pytest.mark.parametrize("base", ["/tmp", "/var/tmp"])
def test_a_checkout_under_a_scratch_folder_shows_no_judge(base):
    # A CI clone under /tmp: the child's fresh /tmp keeps the way to the checkout's package
    # (needed), and with it its judges, unless their hiding comes after. A made-up checkout
    # (a folder of mode 0700 under base, as mkdtemp makes) stands for the clone: the child
    # is told it is the root gdcourse runs from, so it is what it must hide.
    import tempfile

    from gdcourse.grading.registry import call
    from gdcourse.grading.sandbox.process import Child

    plan = isolation.preflight(isolation.Plan.choose("auto"))
    if not plan.namespaces:
        assert any("no mount/PID namespaces" in n or "isolation none" in n
                   for n in plan.notices)
        pytest.skip("no mount namespaces here (and the grader says so)")
    with tempfile.TemporaryDirectory(dir=base) as outer:
        root = Path(outer) / "clone"
        files = ["gdcourse/grading/judges/ex01.py", "gdcourse/grading/registry.py",
                 "exercises/hidden/checks_01.py", ".git/HEAD"]
        for name in files:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text("# made up\n")
        paths = {"judges": root / "gdcourse/grading/judges", "grading": root / "gdcourse/grading",
                 "exercises": root / "exercises", "git": root / ".git", "clone": root}
        child = Child(uid=isolation.child_uid() if plan.by_uid else -1, namespaces=True,
                      extra=plan.extra)
        deadline = time.monotonic() + 120
        try:
            ready = child.start({"exercise": "01", "memory_mb": 2048, "cpu_s": 120,
                                 "nproc": 64 if plan.by_uid else 0, "root": str(root),
                                 "namespaces": True, "hide": []}, deadline)
            assert ready.data and ready.data.get("ready"), child.output()
            cell = f"PATHS = {({k: str(v) for k, v in paths.items()})!r}\n{VIEW}"
            child.ask({"cells": [cell], "limit": 30}, deadline)
            answer = child.ask({"probe": "call", "limit": 30,
                                "inputs": wire.to_plain(call("view"))}, deadline)
            assert answer.data and answer.data["status"] == "ok", (answer, child.output())
        finally:
            child.close()
            child.finish_log()
    seen = answer.data["out"]
    assert seen["grading"] == ["judges", "registry.py"], seen   # the package is there
    assert seen["judges"] == [], seen                            # its judges are not
    assert seen["exercises"] in (None, []) and seen["git"] in (None, []), seen
    assert seen["clone"] == ["gdcourse"], seen                   # nothing else of the clone


# --- never crash ---------------------------------------------------------------------------

def test_a_base_exception_of_the_grader_costs_one_file(tmp_path, monkeypatch):
    good, bad = tmp_path / "02_good.py", tmp_path / "02_bad.py"
    good.write_text(SOLUTION)
    bad.write_text(SOLUTION)
    real = runner.grade_file

    def grade_file(path, *args, **kwargs):
        if path.endswith("02_bad.py"):
            raise SystemExit(2)          # as `import gdcourse.__main__` once did in it
        return real(path, *args, **kwargs)

    monkeypatch.setattr(runner, "grade_file", grade_file)
    monkeypatch.setattr(runner, "_fingerprint", lambda root: {})
    results = grade([bad, good], timeout=40)
    assert results[0].checks == [] and "not graded" in results[0].notes[0]
    assert results[1].score == FULL


def test_run_autograder_always_writes_results(tmp_path, monkeypatch):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "02_mine.py").write_text(SOLUTION)

    def boom(*args, **kwargs):
        raise SystemExit(2)

    monkeypatch.setattr(gs, "grade", boom)
    assert gs.main(["--exercise", "02", "--root", str(tmp_path)]) == 1
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert data["score"] == 0.0 and "failed on its side" in data["output"]


def test_an_uphill_update_is_named_in_the_hint():
    from gdcourse.grading.judges.ex02 import judge_converges, judge_descent

    for check_ in get_exercise("02").checks[2:]:
        inputs = make_inputs(check_)
        X, y = inputs["args"]
        k = inputs["kwargs"]
        params = torch.zeros(X.shape[1] + 1)
        for _ in range(k["steps"]):            # params += lr * grad: the wrong sign
            grad = 2 * torch.cat([X.T @ (X @ params[:-1] + params[-1] - y),
                                  (X @ params[:-1] + params[-1] - y).sum()[None]]) / len(y)
            params = params + k["lr"] * grad
        judge = judge_descent if "exactly" in check_.name else judge_converges
        verdict = judge(params, inputs)
        assert not verdict.passed and "climbs the gradient" in verdict.hint, verdict
