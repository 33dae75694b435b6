"""Issue 10's findings, each as a hostile submission and the outcome it must get.

One class of hostile submissions (and two honest ones) is graded once with the default
isolation (as root in CI: a spare uid per child, namespaces and cgroups where the machine
allows); the findings that need a run of their own (limits, timing, a grader without a
spare uid) have their own small grading run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from gdcourse.errors import InvalidArgumentError
from gdcourse.grading import get_exercise, grade, load_hidden
from gdcourse.grading.sandbox import isolation
from gdcourse.grading.sandbox.host import remove_tree

ROOT = Path(__file__).resolve().parents[1]
FULL = get_exercise("02").max_points                       # 02, public checks
WITH_HIDDEN = FULL + sum(c.points for c in load_hidden(ROOT / "exercises" / "hidden", "02"))
LINEAR_POINTS = sum(c.points for c in get_exercise("02").checks if c.task == "linear")
SOLUTION_02 = (ROOT / "exercises" / "source" / "02_linear_regression.py").read_text()
MARKER = "HIDDEN-MARKER-7731"
HEAD = "import torch\nimport gdcourse as gd\n"
LINEAR = """
def linear(X, params):
    return X @ params[:-1] + params[-1]
"""
FIT = """
def fit_linear(X, y, *, lr=0.1, steps=200, seed=0):
    params = gd.init_params(X.shape[1] + 1, seed=seed, dtype=X.dtype)
    for _ in range(steps):
        loss = gd.mse(linear(X, params), y)
        loss.backward()
        with torch.no_grad():
            params -= lr * params.grad
        params.grad = None
    return params.detach()
"""
HONEST = HEAD + LINEAR + FIT
CALL_TIME_IMPORTS = HEAD + """
def linear(X, params):
    import decimal, fractions, statistics
    import matplotlib.pyplot as plt
    plt.figure()
    scale = float(statistics.mean([1, 1])) * float(fractions.Fraction(2, 2))
    return (X @ params[:-1] + params[-1]) * scale * float(decimal.Decimal(1))
""" + FIT
BAD_STR = """
class Sneaky(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")
"""


def _sources(hidden: Path, folder: Path) -> dict[str, str]:
    return {
        # finding 8: imports at call time under the spare uid; an exception whose __str__
        # raises must cost only its own checks.
        "02_imports_at_call_time.py": CALL_TIME_IMPORTS,
        "02_bad_str.py": HEAD + BAD_STR + LINEAR + """
raise Sneaky()
# %%
def fit_linear(X, y, **k):
    raise Sneaky()
""",
        # finding 1: a lone surrogate in messages and output; 1,500 nested directories
        "02_surrogate.py": HEAD + LINEAR + """
import sys
sys.stdout.buffer.write(b"out\\xed\\xa0\\x80put\\n")
raise ValueError("\\ud800 cell \\x1b[2J" + "y" * 5000)
# %%
def fit_linear(X, y, **k):
    raise ValueError("task \\ud800")
""",
        "02_nested_dirs.py": HONEST + """
import os
start = os.getcwd()
for _ in range(1500):
    os.mkdir("d")
    os.chdir("d")
os.chdir(start)
""",
        # finding 2: records written before the question, a patched Tensor.__eq__
        "06_forges_ahead.py": """
import json, os, sys
fd = int(sys.argv[1])
for i in range(12):
    for rec in ({"event": "result", "id": i, "status": "ok", "out": [True, True]},
                {"nonce": "0" * 32, "status": "ok", "out": [None, None]},
                {"status": "ok", "out": [None, None]}):
        os.write(fd, (json.dumps(rec) + "\\n").encode())
""",
        "06_patches_eq.py": """
import torch
torch.Tensor.__eq__ = lambda *a, **k: torch.tensor(True)
class Momentum:
    def __init__(self, params, *, lr, beta=0.9):
        self.params = params
    def step(self):
        pass
    def zero_grad(self):
        pass
Adam = lambda params, **k: Momentum(params, lr=0)
""",
        # finding 3: oracles, the library's own implementation, solutions, classmates
        "02_uses_oracles.py": """
from gdcourse.grading.judges.ex02 import oracle_linear as lin, oracle_descent
def linear(X, params):
    return lin(X, params)
def fit_linear(X, y, *, lr, steps, seed):
    return oracle_descent(X, y, lr=lr, steps=steps, seed=seed)
""",
        "04_uses_scratch.py": """
import gdcourse.scratch.scalar as S
Scalar = S.Scalar
exp, log, tanh, sigmoid = S.exp, S.log, S.tanh, S.sigmoid
""",
        "06_wraps_optim.py": """
import torch
import gdcourse as gd
class Momentum:
    def __init__(self, params, *, lr, beta=0.9):
        self.opt = torch.optim.SGD(params, lr=lr, momentum=beta)
    def step(self):
        self.opt.step()
    def zero_grad(self):
        self.opt.zero_grad()
class Adam(gd.optim.Adam):
    pass
""",
        # A thread that takes the grader's questions off stdin and answers them with the
        # shipped oracles, defining no task at all.
        "02_thread_answers.py": """
import json, os, sys, threading
import gdcourse.grading.judges.ex02 as c
from gdcourse.grading.wire import from_plain, to_plain
def one(call):
    f = c.oracle_linear if call["fn"] == "linear" else c.oracle_descent
    return f(*call["args"], **call.get("kwargs", {}))
def thief(fd=int(sys.argv[1])):
    buf = b""
    while True:
        block = os.read(0, 1 << 20)
        if not block:
            return
        buf += block
        while b"\\n" in buf:
            line, _, buf = buf.partition(b"\\n")
            q = json.loads(line)
            x = from_plain(q.get("inputs", {}))
            out = [one(k) for k in x["calls"]] if "calls" in x else one(x) if x else None
            os.write(fd, (json.dumps({"nonce": q["nonce"], "status": "ok", "problems": [],
                                      "out": to_plain(out)}) + "\\n").encode())
threading.Thread(target=thief, daemon=True).start()
""",
        "02_execs_solution.py": """
import glob, os
import gdcourse
here = os.path.dirname(os.path.dirname(gdcourse.__file__))
for path in glob.glob(os.path.join(here, "exercises", "source", "02_*.py")):
    exec(open(path).read())
""",
        "02_execs_classmate.py": f"""
import glob, os
paths = []
for cmdline in glob.glob("/proc/*/cmdline"):
    try:
        paths += [p for p in open(cmdline, "rb").read().decode().split("\\0")
                  if p.endswith(".py")]
    except OSError:
        pass
paths += glob.glob({str(folder)!r} + "/02_*.py")
for path in paths:
    try:
        exec(open(path).read())
        break
    except Exception:
        pass
""",
        "02_reads_checkout.py": f"""
import os
for rel in (".git", "exercises/source", "exercises/hidden"):
    if os.path.exists(os.path.join({str(ROOT)!r}, rel)):
        print("SEES", rel)
""",
        # finding 4: the hidden checks' source, read and raised/printed; a flood of notes
        "02_leaks_hidden.py": f"""
import glob
for path in glob.glob({str(hidden)!r} + "/*.py"):
    text = open(path).read()
    print(text)
    raise RuntimeError(text)
""",
        "02_floods_notes.py": "".join(f"raise ValueError({'H' * 5000!r})\n# %%\n"
                                      for _ in range(60)),
        # finding 7: no setuid helper can raise privileges again
        "02_no_new_privs.py": """
print([l for l in open("/proc/self/status") if l.startswith("NoNewPrivs")])
""",
        # dynamic tricks are flagged for the instructor
        "02_dynamic.py": """
import importlib
m = importlib.import_module("gdcourse.grading.judges.ex" + "02")
linear = getattr(m, "oracle_" + "linear")
""",
        # ... and where a dynamic route reaches the grading package, nothing is there to use
        "02_dynamic_oracles.py": """
import importlib
def _grader(name):
    return importlib.import_module("gdcourse.grading.judges.ex" + "02")
def linear(X, params):
    return getattr(_grader("x"), "oracle_" + "linear")(X, params)
def fit_linear(X, y, *, lr=0.1, steps=200, seed=0):
    return getattr(_grader("x"), "oracle_" + "descent")(X, y, lr=lr, steps=steps, seed=seed)
""",
        # ... nor after reloading the module from its file
        "02_reloads_oracles.py": """
import importlib
def _grader():
    return importlib.reload(importlib.import_module("gdcourse.grading.judges.ex" + "02"))
def linear(X, params):
    return getattr(_grader(), "oracle_" + "linear")(X, params)
def fit_linear(X, y, *, lr=0.1, steps=200, seed=0):
    return getattr(_grader(), "oracle_" + "descent")(X, y, lr=lr, steps=steps, seed=seed)
""",
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    # A class folder and hidden checks that other users may read, as a TA's often are.
    shared = Path(tempfile.mkdtemp(prefix="gdcourse-test-class-"))
    shared.chmod(0o755)
    hidden = shared / "hidden"
    hidden.mkdir(mode=0o755)
    (hidden / "checks_02.py").write_text(f"# {MARKER}\n" + (
        ROOT / "exercises" / "hidden" / "checks_02.py").read_text())
    (shared / "02_classmate.py").write_text(HONEST)
    subs = root / "subs"
    subs.mkdir()
    paths = [shared / "02_classmate.py"]
    for name, text in _sources(hidden, shared).items():
        (subs / name).write_text(text)
        paths.append(subs / name)
    # finding 1 and 3: links to /proc and to a root-only copy of a solution
    (subs / "02_proc_link.py").symlink_to("/proc/self/pagemap")
    secret = root / "solution.py"
    secret.write_text(SOLUTION_02)
    secret.chmod(0o600)
    (subs / "02_solution_link.py").symlink_to(secret)
    paths += [subs / "02_proc_link.py", subs / "02_solution_link.py", Path("/proc/self/status")]
    notices: list[str] = []
    try:
        results = grade(paths, hidden=hidden, jobs=2, timeout=60, check_timeout=5,
                        notice=notices.append)
        yield {Path(r.path).name: r for r in results}, notices
    finally:
        shutil.rmtree(shared)


def _text(result) -> str:
    """Everything a result says (notes, hints, output, flags), as the writers see it."""
    return json.dumps({"notes": result.notes, "output": result.output, "flags": result.flags,
                       "hints": [c.hint for c in result.checks]}, ensure_ascii=False)


def _by_task(result) -> dict[str, float]:
    got: dict[str, float] = {}
    for c in result.checks:
        got[c.task] = got.get(c.task, 0) + c.points
    return got


def test_call_time_imports_score_full_marks_by_default(hostile):
    results, notices = hostile
    assert results["02_classmate.py"].score == WITH_HIDDEN
    r = results["02_imports_at_call_time.py"]
    assert r.score == r.max_score == WITH_HIDDEN, [(c.name, c.hint) for c in r.checks
                                                   if not c.passed]
    if os.geteuid() == 0:
        assert not any("stepping down" in n for n in notices), notices


def _others_cannot_reach(path: str) -> bool:
    parts = Path(path).resolve().parts
    return any(not os.stat(os.path.join(*parts[:i])).st_mode & 0o001
               for i in range(1, len(parts) + 1))


def test_without_namespaces_the_grader_steps_down_and_says_so(tmp_path, monkeypatch):
    # Python under a root-only home and no unshare: a spare uid cannot import the standard
    # library at call time, so the grader grades with less isolation and says so up front.
    monkeypatch.setattr(isolation.host, "namespaces_work", lambda: False)
    _no_tamper_check(monkeypatch)
    sub = _write(tmp_path, "02_imports.py", CALL_TIME_IMPORTS)
    notices: list[str] = []
    (r,) = grade([sub], notice=notices.append, timeout=60)
    assert r.score == r.max_score == FULL, [(c.name, c.hint) for c in r.checks]
    if os.geteuid() == 0 and _others_cannot_reach(sys.base_prefix):
        assert any("stepping down" in n for n in notices)
        assert any("stepping down" in n for n in r.notes)       # in every report too
        with pytest.raises(InvalidArgumentError, match="isolate='uid' was asked for"):
            grade([sub], isolate="uid")


def test_an_exception_whose_str_raises_costs_only_its_checks(hostile):
    r = hostile[0]["02_bad_str.py"]
    assert _by_task(r) == {"linear": 3, "fit_linear": 0}
    assert {c.status for c in r.checks if c.task == "fit_linear"} == {"error"}
    assert "Sneaky" in _text(r) and "could not be read" in _text(r)


def test_surrogates_and_escapes_are_cleaned_on_arrival(hostile):
    r = hostile[0]["02_surrogate.py"]
    text = _text(r)
    text.encode("utf-8")                        # would raise on a lone surrogate
    assert "\x1b" not in text and _by_task(r)["linear"] == 3
    assert all(len(n) < 260 for n in r.notes)


def test_deeply_nested_directories_do_not_stop_anything(hostile):
    r = hostile[0]["02_nested_dirs.py"]
    assert r.score == r.max_score == WITH_HIDDEN
    assert not any("clean up" in n for n in r.notes)


def test_remove_tree_handles_1500_levels(tmp_path):
    top = tmp_path / "w"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    for _ in range(1500):                      # os.makedirs itself recurses
        os.mkdir("d", dir_fd=fd)
        fd, old = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(old)
    os.close(os.open("f", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    os.close(fd)
    os.symlink("/etc", top / "link")           # removed, never followed
    # What matters on every Python (shutil.rmtree recursed up to early 3.12, not since):
    # the grader's own clean-up goes any depth with a stack far too small to recurse it.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(150)
    try:
        assert remove_tree(str(top)) == ""
    finally:
        sys.setrecursionlimit(limit)
    assert not top.exists() and os.path.isdir("/etc")


@pytest.mark.parametrize("name, why", [("02_proc_link.py", "symbolic link"),
                                       ("02_solution_link.py", "symbolic link"),
                                       ("status", "system file")])
def test_links_and_system_files_are_refused_before_any_child(hostile, name, why):
    r = hostile[0][name]
    assert r.score == 0 and r.checks == [] and why in r.notes[0]


def test_a_thread_answering_with_the_oracles_earns_nothing(hostile):
    r = hostile[0]["02_thread_answers.py"]
    assert r.score == 0
    assert any("every task scores 0" in n and "judges.ex02" in n for n in r.notes)


def test_records_written_ahead_of_the_question_earn_nothing(hostile):
    r = hostile[0]["06_forges_ahead.py"]
    assert r.score == 0
    # the count is the child's doing: the instructor reads it, the student does not
    assert any("answered no question" in n for n in r.flags)
    assert not any("answered no question" in n for n in r.notes)


def test_zero_grad_is_decided_in_the_grader(hostile):
    r = hostile[0]["06_patches_eq.py"]
    assert r.score == 0
    assert [c.status for c in r.checks if "zero_grad" in c.name] == ["failed", "failed"]


@pytest.mark.parametrize("name, api, tasks", [
    ("02_uses_oracles.py", "gdcourse.grading.judges.ex02.oracle_", ("linear", "fit_linear")),
    ("04_uses_scratch.py", "gdcourse.scratch", ("exp", "log", "tanh", "sigmoid")),
    ("06_wraps_optim.py", "torch.optim.SGD", ("Momentum",)),
    ("06_wraps_optim.py", "gdcourse.optim.Adam", ("Adam",))])
def test_forbidden_apis_score_zero_with_a_note(hostile, name, api, tasks):
    r = hostile[0][name]
    assert r.score == 0
    for task in tasks:
        hints = [c.hint for c in r.checks if c.task == task]
        assert hints and all(api in h and "line" in h for h in hints), hints


@pytest.mark.parametrize("name", ["02_execs_solution.py", "02_execs_classmate.py"])
def test_solutions_and_classmates_are_out_of_reach(hostile, name):
    assert hostile[0][name].score == 0


def test_the_checkout_around_gdcourse_is_out_of_view(hostile):
    if not isolation.host.namespaces_work():
        pytest.skip("without namespaces the child sees what its uid may read (and is told)")
    assert "SEES" not in hostile[0]["02_reads_checkout.py"].output


def test_hidden_checks_never_reach_notes_or_output(hostile):
    for r in hostile[0].values():
        assert MARKER not in _text(r)
    flood = hostile[0]["02_floods_notes.py"]
    assert len(flood.notes) <= 25 and all(len(n) < 260 for n in flood.notes)


def test_hidden_checks_others_can_write_are_refused(tmp_path):
    (tmp_path / "checks_02.py").write_text("EXERCISE = '02'\nCHECKS = []\n")
    (tmp_path / "checks_02.py").chmod(0o666)
    with pytest.raises(InvalidArgumentError, match="can be written by other users"):
        load_hidden(tmp_path, "02")
    with pytest.raises(InvalidArgumentError, match="can be written by other users"):
        grade([ROOT / "exercises" / "source" / "02_linear_regression.py"], hidden=tmp_path)


def test_no_new_privileges_in_the_child(hostile):
    assert "NoNewPrivs:\\t1" in hostile[0]["02_no_new_privs.py"].output


def test_dynamic_tricks_cost_every_task(hostile):
    # Issue 17: they were only flagged; code the grader cannot read now fails closed.
    r = hostile[0]["02_dynamic.py"]
    assert r.score == 0
    assert any("importlib" in n and "cannot be read" in n for n in r.notes)
    assert any("getattr with a built name" in n for n in r.notes)
    honest = hostile[0]["02_imports_at_call_time.py"]
    assert not any("cannot be read" in n for n in honest.notes)


def test_oracles_reached_dynamically_are_not_in_the_child(hostile, tmp_path, monkeypatch):
    for name in ("02_dynamic_oracles.py", "02_reloads_oracles.py"):
        r = hostile[0][name]
        assert r.score == 0 and any("importlib" in n for n in r.notes)
    if not isolation.Plan.choose("auto").namespaces:
        pytest.skip("without namespaces the judges' files are in the child's view")
    # Past the reading (as if it missed them), the judges are not there to be found at all.
    from gdcourse.grading import runner

    monkeypatch.setattr(runner.policy, "scan_bounded", lambda cells, rules: {})
    _no_tamper_check(monkeypatch)
    subs = [_write(tmp_path, name, text) for name, text in _sources(tmp_path, tmp_path).items()
            if name in ("02_dynamic_oracles.py", "02_reloads_oracles.py")]
    for r in grade(subs, timeout=60):
        assert r.score == 0
        assert all("No module named 'gdcourse.grading.judges" in c.hint for c in r.checks), \
            [c.hint for c in r.checks]


# --- finding 5: limits per submission, CPU time, one budget across restarts -----------------

def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.skipif(not isolation.host.cgroup_controllers(), reason="needs cgroups")
def test_memory_is_limited_per_submission_not_per_process(tmp_path):
    sub = _write(tmp_path, "02_forks.py", HONEST + """
import os, time
r, w = os.pipe()
for _ in range(4):
    if os.fork() == 0:
        block = bytearray(700 * 2**20)     # under each process's own address-space limit
        for i in range(0, len(block), 4096):
            block[i] = 1
        os.write(w, b"x")
        time.sleep(30)
        os._exit(0)
time.sleep(6)
os.set_blocking(r, False)
try:
    print("held=%d" % len(os.read(r, 100)))
except BlockingIOError:
    print("held=0")
""")
    (r,) = grade([sub], memory_mb=1024, timeout=60)
    assert "held=4" not in r.output           # 2.8 GB at once, under a 1 GB --memory


def test_a_flood_on_the_result_channel_does_not_reach_the_grader(tmp_path):
    sub = _write(tmp_path, "02_flood.py", HONEST + """
import os, sys
fd = int(sys.argv[1])
os.write(fd, b"{" * (60 * 2**20))
for _ in range(20):
    os.write(fd, b"[" + b"1," * 2**19 + b"1]\\n")
""")
    script = textwrap.dedent(f"""
        import resource, sys
        sys.path.insert(0, {str(ROOT)!r})
        from gdcourse.grading import grade
        import torch
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        (r,) = grade([{str(sub)!r}], timeout=60)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(r.score, (after - before) // 1024)
        """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    score, grew_mb = out.stdout.split()[-2:]
    assert float(score) == FULL and int(grew_mb) < 100, out.stdout + out.stderr


def test_busy_processes_do_not_cost_a_classmate_points(tmp_path):
    hog = _write(tmp_path, "02_hog.py", """
import os
for _ in range(60):
    if os.fork() == 0:
        os.setsid()            # a scheduler group of its own for each, where autogroup is on
        while True:
            pass
def linear(X, params):
    while True:
        pass
""")
    # Sleeps first, so that its checks run while the hog's 60 processes are busy.
    honest = _write(tmp_path, "02_honest.py", "import time\ntime.sleep(4)\n" + HONEST)
    results = grade([hog, honest], jobs=2, timeout=20, check_timeout=1)
    assert results[1].score == FULL, [(c.name, c.hint) for c in results[1].checks]


def test_restarts_share_one_time_budget(tmp_path):
    sub = _write(tmp_path, "02_restarts.py", """
import os, time
time.sleep(9)
def linear(X, params):
    os._exit(3)
fit_linear = linear
""")
    (r,) = grade([sub], timeout=20)
    assert r.elapsed < 24 and r.score == 0     # three starts would take 30 s and more


# --- findings 1 and 7: a grader without a spare uid (as a non-root grader runs) ------------

@pytest.fixture
def same_uid(monkeypatch):
    """The isolation of a non-root grader where unshare works: the child keeps the grader's
    uid (no capabilities) in its own mount and PID namespaces."""
    if not isolation.host.namespaces_work():
        pytest.skip("unshare is refused on this machine")
    plan = isolation.Plan(namespaces=True, notices=(isolation._GAPS["same-uid"],))
    monkeypatch.setattr(isolation.Plan, "choose", staticmethod(lambda isolate: plan))
    _no_tamper_check(monkeypatch)


def _no_tamper_check(monkeypatch):
    """The package's own tamper check has a test of its own; here it would only catch the
    edits of anyone working in this checkout at the same time."""
    from gdcourse.grading import runner

    monkeypatch.setattr(runner, "_fingerprint", lambda root: {})


def _past_the_reading(monkeypatch):
    """The box is what these tests attack: the policy, which would refuse the code it cannot
    read (os.kill, /proc, subprocess), lets it through, as if it had missed it."""
    from gdcourse.grading import runner

    monkeypatch.setattr(runner.policy, "scan_bounded", lambda cells, rules: {})


def test_same_uid_child_cannot_kill_the_grader_or_reach_its_memory(tmp_path, same_uid,
                                                                   monkeypatch):
    killer = _write(tmp_path, "02_killer.py", HEAD + LINEAR + """
import os, signal
for target in (os.getppid(), -1):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) != os.getpid():
        try:
            open(f"/proc/{pid}/mem", "r+b").close()
            print("opened the memory of", pid)
        except OSError:
            pass
""")
    _past_the_reading(monkeypatch)
    (r,) = grade([killer], timeout=60)
    assert r.score == LINEAR_POINTS and "opened the memory" not in r.output
    assert any("isolation:" in n and "not root" in n for n in r.notes)


def test_same_uid_escaper_is_killed_and_injects_nothing(tmp_path, same_uid, monkeypatch):
    escaper = _write(tmp_path, "02_escaper.py", HEAD + LINEAR + """
import subprocess, sys
code = '''
import glob, os, time
while True:
    for fd in glob.glob("/proc/*/fd/*"):
        try:
            # Pipes only: the attack is on a classmate's channel, and should the isolation
            # ever break, a test must not write into the files of the machine running it.
            if not os.readlink(fd).startswith("pipe:"):
                continue
            os.write(os.open(fd, os.O_WRONLY | os.O_NONBLOCK),
                     b'{"status": "ok", "out": 0}\\\\n')
        except OSError:
            pass
    time.sleep(0.05)  # 987655
'''
subprocess.Popen([sys.executable, "-c", code, "987655"], env={}, start_new_session=True)
""")
    honest = _write(tmp_path, "02_honest.py", HONEST)
    _past_the_reading(monkeypatch)
    results = grade([escaper, honest], jobs=1, timeout=60)
    assert [r.score for r in results] == [LINEAR_POINTS, FULL]
    time.sleep(1)
    left = [p for p in os.listdir("/proc") if p.isdigit() and _has(p, b"987655")]
    assert left == []


def _has(pid: str, needle: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return needle in f.read()
    except OSError:
        return False


def test_tamper_check_covers_every_file(tmp_path):
    from gdcourse.grading.runner import _fingerprint

    (tmp_path / "mod.py").write_text("x = 1\n")
    before = _fingerprint(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"planted")
    assert _fingerprint(tmp_path) != before
    shutil.rmtree(tmp_path / "__pycache__")
    stat = (tmp_path / "mod.py").stat()
    (tmp_path / "mod.py").write_text("x = 2\n")           # same size, same mtime
    os.utime(tmp_path / "mod.py", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _fingerprint(tmp_path) != before


def test_isolation_none_says_what_it_cannot_isolate(tmp_path, monkeypatch):
    _no_tamper_check(monkeypatch)
    sub = _write(tmp_path, "02_honest.py", HONEST)
    (r,) = grade([sub], isolate="none", timeout=60)
    assert r.score == FULL and any(n.startswith("isolation: isolation none") for n in r.notes)


def test_check_tells_the_student_about_forbidden_apis(tmp_path, capsys):
    _write(tmp_path, "student06.py", """
import torch
class Momentum(torch.optim.SGD):
    def __init__(self, params, *, lr, beta=0.9):
        super().__init__(params, lr=lr, momentum=beta)
class Adam:
    def __init__(self, params, **kwargs):
        self.opt = getattr(torch, "op" + "tim").Adam(params)
""")
    sys.path.insert(0, str(tmp_path))
    try:
        import student06
    finally:
        sys.path.remove(str(tmp_path))
    from gdcourse.grading import check

    r = check("06", namespace=vars(student06))
    out = capsys.readouterr().out
    assert r is not None and r.score == 0
    assert "Momentum will score 0" in out and "torch.optim" in out
    assert "every task will score 0" in out and "getattr with a built name" in out


def test_hints_that_quote_an_answer_are_cleaned_at_the_source():
    from gdcourse.grading import get_exercise
    from gdcourse.grading.registry import make_inputs
    from gdcourse.grading.results import judge

    ex = get_exercise("03")
    i = next(i for i, c in enumerate(ex.checks) if c.name.startswith("simplify removes"))
    forged = [[["sym", "x\ud800\x1b[2J\nnext"]]] * 7
    (hint,) = [r.hint for r in judge(ex, {i: {"status": "ok", "out": forged}},
                                     [make_inputs(c) for c in ex.checks])[i:i + 1]]
    hint.encode("utf-8")
    assert "\x1b" not in hint and "\n" not in hint and "got x\ufffd" in hint


@pytest.mark.skipif(os.geteuid() != 0, reason="mount namespaces as root (CI runs as root)")
def test_a_needed_path_is_kept_alone_and_its_neighbours_stay_hidden(tmp_path):
    # A venv under /tmp beside the submissions (a Gradescope-like layout): the child must
    # see the venv and nothing else of the folders around it.
    for rel in ("top/keep/inner", "top/secret"):
        (tmp_path / rel).mkdir(parents=True)
    (tmp_path / "top/secret/s.txt").write_text("s")
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from gdcourse.grading.sandbox import confine
        confine.reshape(needed=[sys.prefix, sys.base_prefix, {str(ROOT / "gdcourse")!r},
                                {str(tmp_path / "top/keep/inner")!r}],
                        workdir={str(tmp_path.parent / "gd-work")!r}, hide=[], readonly=[],
                        uid=1900000123, gid=1900000123)
        print(sorted(os.listdir({str(tmp_path / "top")!r})),
              os.path.isdir({str(tmp_path / "top/keep/inner")!r}))
        """)
    out = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                          "-c", script], capture_output=True, text=True, timeout=120)
    if out.returncode and "Operation not permitted" in out.stderr:
        pytest.skip("unshare is refused on this machine")
    assert out.stdout.split() == ["['keep']", "True"], out.stderr
