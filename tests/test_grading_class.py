"""A class of 30+ generated submissions to exercise 02 (correct, partly correct, wrong and
hostile), graded once with ``gdcourse grade --jobs 2``; every score is checked, and each
hostile submission gets a test of its own that reads the shared result."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from gdcourse.cli import main
from gdcourse.grading import get_exercise, runner

FULL = get_exercise("02").max_points      # what the class is graded on (public checks)

HEAD = "import torch\nimport gdcourse as gd\nfrom gdcourse.grading import check\n"
LINEAR = """
def linear(X, params):
    return X @ params[:-1] + params[-1]
"""
FIT = """
def fit_linear(X, y, *, lr=0.1, steps=200, seed=0):
    params = gd.init_params(X.shape[1] + 1, seed=seed, dtype=X.dtype)
    for _ in range(STEPS):
        loss = gd.mse(linear(X, params), y)
        loss.backward()
        with torch.no_grad():
            params SIGN= lr * params.grad
        params.grad = None
    return params.detach()
"""


def fit(steps="steps", sign="-"):
    return FIT.replace("STEPS", steps).replace("SIGN", sign)


TODO = """
def fit_linear(X, y, *, lr=0.1, steps=200, seed=0):
    raise NotImplementedError
"""
LOOP_FOREVER = """
def fit_linear(X, y, *, lr=0.1, steps=200, seed=0):
    while True:
        pass
"""

# name -> (source, expected score out of 6). Public checks: linear 1 + 1, fit_linear 2 + 2.
KINDS = {
    "correct": (LINEAR + fit(), 6),
    "linear_only": (LINEAR + TODO, 2),
    "column_preds": (LINEAR.replace("params[-1]", "params[-1]).unsqueeze(-1") .replace(
        "return X", "return (X") + fit(), 0),
    "ascent": (LINEAR + fit(sign="+"), 2),
    "one_step_short": (LINEAR + fit(steps="steps - 1"), 4),
    "no_intercept": (LINEAR.replace(" + params[-1]", "") + fit(), 0),
    "zero_init": (LINEAR + fit().replace("gd.init_params(X.shape[1] + 1, seed=seed, "
                                         "dtype=X.dtype)",
                                         "torch.zeros(X.shape[1] + 1, requires_grad=True)"), 4),
    "least_squares": (LINEAR + """
def fit_linear(X, y, *, lr=0.1, steps=200, seed=0):
    A = torch.cat([X, torch.ones(len(X), 1)], dim=1)
    return torch.linalg.lstsq(A, y.unsqueeze(-1)).solution.squeeze(-1)
""", 4),
    "empty": ("x = 1\n", 0),
    "syntax_error_in_one_cell": (LINEAR + "\n# %%\ndef oops(:\n    pass\n# %%\n" + fit(), 6),
}

HOSTILE = {
    # Runs forever inside one task: that check times out, the rest still count.
    "loops_forever": (LINEAR + LOOP_FOREVER, 2),
    # Swallows the grader's interrupt at top level: the whole process is killed.
    "unkillable_loop": (LINEAR + fit() + """
import time
while True:
    try:
        time.sleep(100)
    except BaseException:
        pass
""", 0),
    "raises": (LINEAR.replace("return X", "raise ValueError('nope'); return X") + fit(), 0),
    "sys_exit_at_top": (LINEAR + fit() + "\nimport sys\nsys.exit(0)\n", 6),
    "sys_exit_in_task": (LINEAR + "\ndef fit_linear(*a, **k):\n    import sys; sys.exit(3)\n", 2),
    "os_exit": (LINEAR + fit() + "\nimport os\nos._exit(0)\n", 0),
    # Ends the process inside one check only: a fresh child grades the checks after it.
    "os_exit_in_one_check": (LINEAR + fit().replace(
        "    params = gd", "    if steps < 10:\n        os._exit(7)\n    params = gd") + """
import os
""", 4),
    "fake_passed": ("""
for n in range(6):
    print(f"  [pass]  check {n}   1/1")
print("Public score: 6/6 (all passed)")
print('{"event": "result", "id": 0, "status": "ok", "out": 1}')
""" + LINEAR.replace("+ params[-1]", "+ 1") + TODO, 0),
    "patches_torch_and_grader": (LINEAR.replace("+ params[-1]", "* 0") + """
import gdcourse.grading.judges.compare as cmp, gdcourse.grading.results as res
from gdcourse.grading.registry import Verdict
torch.allclose = lambda *a, **k: True
torch.Tensor.__eq__ = lambda *a, **k: True
cmp.close = lambda *a, **k: Verdict(True)
res.judge = lambda *a, **k: []
gd.grading.check = lambda *a, **k: None
def fit_linear(X, y, **k):
    return torch.zeros(X.shape[1] + 1)
""", 0),
    "forges_result_channel": (LINEAR.replace("+ params[-1]", "* 2") + TODO + """
import os, sys, json
fd = int(sys.argv[1])
for i in range(4):
    os.write(fd, (json.dumps({"event": "result", "id": i, "status": "passed",
                              "points": 99}) + "\\n").encode())
os.write(fd, b'{"event": "result", "id": 0, "status": "ok", "out": [1, 2]}\\n')
os.write(fd, b"not json at all\\n")
""", 0),
    # Lines on the result channel built to break the grader's parser: nesting too deep for
    # json, and "cells" events of the wrong shape. Ignored, reported; the work still counts.
    "breaks_the_channel_parser": (LINEAR + fit() + """
import json, os, sys
fd = int(sys.argv[1])
os.write(fd, b"[" * 200000 + b"]" * 200000 + b"\\n")
for problems in (5, {"cell": 1}, [7, {"cell": [0] * 10**5, "message": None}]):
    os.write(fd, (json.dumps({"event": "cells", "problems": problems}) + "\\n").encode())
""", 6),
    "memory_hog": (LINEAR + """
import resource
try:  # lift the limit first: refused, the hard limit is down too
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)
except (ValueError, OSError):
    print("could not lift the memory limit")

def fit_linear(X, y, **k):
    return [torch.empty(2**26, dtype=torch.float64) for _ in range(100)]

big = bytearray(64 * 2**30)
""", 2),
    "spawns_processes": (LINEAR + fit() + """
import os, subprocess, sys
for _ in range(5):
    subprocess.Popen(["sleep", "987654"])
subprocess.Popen(["sleep", "987654"], start_new_session=True)
for _ in range(3):
    if os.fork() == 0:
        import time
        time.sleep(987654)
""", 6),
}


# Signals the grader and every process it may signal. Only where the grader runs as root
# (Docker, Gradescope): there each child has its own uid and both kills are refused; as a
# plain user any process can signal its parent, which needs a container to prevent.
KILLER = LINEAR + """
import os, signal
for target in (os.getppid(), -1):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
"""
# Leaves the process group with an empty environment (no token): only the per-child uid
# finds it, so this one too needs a root grader.
ESCAPER = LINEAR + """
import subprocess
subprocess.Popen(["sleep", "987654"], env={}, start_new_session=True)
"""
ROOT_ONLY = ({"kills_the_grader": (KILLER, 2), "escapes_the_group": (ESCAPER, 2)}
             if os.geteuid() == 0 else {})


def files_attack(victim: str, results: str, csv: str) -> str:
    """Deletes another submission, plants junk at the grader's output paths, fills its
    own working directory and every other grader temp dir it can find."""
    return LINEAR + fit() + textwrap.dedent(f"""
        import glob, os, shutil
        for path in ({victim!r},):
            try: os.remove(path)
            except OSError: pass
        for path in ({results!r}, {csv!r}):
            with open(path, "w") as f: f.write("everyone gets 100")
        open("junk.txt", "w").write("x" * 1000)
        for d in glob.glob(os.path.join(os.path.dirname(os.getcwd()), "gdcourse-grade-*")):
            shutil.rmtree(d, ignore_errors=True)
        """)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    subs, expected = [], {}
    results, csv = root / "results.json", root / "class.csv"
    for copy in range(2):
        for kind, (src, score) in KINDS.items():
            name = f"s{copy}_{kind}.py"
            (root / name).write_text(HEAD + src + '\ncheck("02")\n')
            subs.append(name)
            expected[name] = score
    victim = root / "s0_correct.py"
    for kind, (src, score) in {**HOSTILE, **ROOT_ONLY, "files": (files_attack(
            str(victim), str(results), str(csv)), 6)}.items():
        name = f"h_{kind}.py"
        (root / name).write_text(HEAD + src)
        subs.append(name)
        expected[name] = score
    assert len(subs) >= 30
    before = os.getcwd()
    os.chdir(root)  # submissions named relative to the class folder, as a TA would
    try:
        with pytest.MonkeyPatch.context() as patch:
            # The box is what this class attacks: the reading, which refuses outright the
            # code it cannot read (see test_the_reading_refuses_the_attacks_first), lets
            # everything through here, as if it had missed it.
            patch.setattr(runner.policy, "scan_bounded", lambda cells, rules: {})
            code = main(["grade", *subs, "--exercise", "02", "--jobs", "2", "--timeout",
                         "20", "--check-timeout", "3", "--json", str(results), "--csv",
                         str(csv), "--reports", str(root / "reports")])
    finally:
        os.chdir(before)
    assert code == 0
    data = json.loads(results.read_text())
    yield {s["submission"]: s for s in data["submissions"]}, expected, root


def test_every_score(graded):
    by_name, expected, _ = graded
    got = {name: by_name[name]["score"] for name in expected}
    assert got == expected
    assert all(s["max_score"] == FULL for s in by_name.values())


def test_csv_has_every_submission(graded):
    by_name, expected, root = graded
    rows = (root / "class.csv").read_text("utf-8-sig").splitlines()
    assert len(rows) == len(expected) + 1
    assert rows[0].startswith("submission,exercise,score,max_score,percent")


def _report(root, name):
    return (root / "reports" / name.replace(".py", ".py.txt")).read_text()


def test_loop_in_a_task_times_out_only_that_task(graded):
    by_name, _, root = graded
    tests = by_name["h_loops_forever.py"]["tests"]
    assert [t["score"] for t in tests[:2]] == [1, 1]
    assert "stopped" in tests[2]["output"] or "not run" in tests[2]["output"]


def test_unkillable_loop_is_killed_and_reported(graded):
    _, _, root = graded
    assert "time limit of 20 s" in _report(root, "h_unkillable_loop.py")


def test_exit_calls_are_reported(graded):
    by_name, _, root = graded
    assert "exit code 0" in _report(root, "h_os_exit.py")
    assert "sys.exit(3)" in _report(root, "h_sys_exit_in_task.py")


def test_a_crash_costs_only_the_check_it_hit(graded):
    _, _, root = graded
    text = _report(root, "h_os_exit_in_one_check.py")
    assert "crashed: the process ended while this check ran (exit code 7" in text
    assert "restarted for the 1 check(s) still to run" in text


def test_printed_and_forged_claims_earn_nothing(graded):
    _, _, root = graded
    assert "Public score: 6/6" in _report(root, "h_fake_passed.py")   # shown, never scored
    assert "malformed" in _report(root, "h_forges_result_channel.py")


def test_a_hostile_result_channel_is_ignored_and_reported(graded):
    by_name, _, root = graded
    assert "ignored 1 malformed line(s) on the result channel" in _report(
        root, "h_breaks_the_channel_parser.py")
    assert by_name["h_breaks_the_channel_parser.py"]["score"] == FULL


def test_memory_hog_fails_with_a_reason(graded):
    _, _, root = graded
    text = _report(root, "h_memory_hog.py")
    assert "can't allocate memory" in text and "MemoryError" in text
    assert "could not lift the memory limit" in text


def _sleepers() -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read()
                with open(f"/proc/{pid}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if b"987654" in cmdline and state not in "ZX":   # zombies are already dead
                found.append(pid)
    return found


def test_spawned_processes_are_all_killed(graded):
    import time

    deadline = time.monotonic() + 5   # SIGKILL is delivered asynchronously
    while _sleepers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sleepers() == []


def test_file_attacks_change_nothing(graded):
    by_name, expected, root = graded
    assert by_name["s0_correct.py"]["score"] == FULL          # its file was deleted (or not)
    assert (root / "class.csv").read_text("utf-8-sig").startswith("submission,")


@pytest.mark.skipif(not ROOT_ONLY, reason="needs a root grader (per-child uids)")
def test_killing_the_grader_is_refused(graded):
    by_name, _, _ = graded
    assert by_name["h_kills_the_grader.py"]["score"] == 2


@pytest.mark.parametrize("kind", ["spawns_processes", "kills_the_grader", "escapes_the_group",
                                  "files"])
def test_the_reading_refuses_the_attacks_first(kind, tmp_path):
    from gdcourse.grading import get_exercise
    from gdcourse.grading.policy import rules_of, scan_bounded

    attacks = {**HOSTILE, **ROOT_ONLY, "files": (files_attack(*["/tmp/x"] * 3), 6)}
    if kind not in attacks:
        pytest.skip("a root-only attack")
    verdicts = scan_bounded([HEAD + attacks[kind][0]], rules_of(get_exercise("02")))
    assert verdicts["any"] and "cannot be read" in verdicts["any"][0]
