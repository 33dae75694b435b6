"""Children forked from a pre-imported zygote are boxed in exactly like fresh ones.

Each test grades small submissions with ``zygote=True`` (the default) and, where it
compares, with ``zygote=False`` (a fresh interpreter per child, as before zygotes).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest

from gdcourse.grading import grade, runner
from gdcourse.grading.sandbox import zygote
from gdcourse.grading.sandbox.process import child_env

ROOT = Path(__file__).resolve().parents[1]
HONEST = (ROOT / "exercises" / "source" / "02_linear_regression.py").read_text()
FACTS = HONEST + """
import json, os, resource
print("FACTS" + json.dumps({
    "pid": os.getpid(), "uid": os.getuid(), "cwd": os.getcwd(),
    "home": os.environ.get("HOME") == os.getcwd(), "env": sorted(os.environ),
    "procs": len([p for p in os.listdir("/proc") if p.isdigit()]),
    "listing": os.listdir("."), "tmp": sorted(os.listdir("/tmp")),
    "limits": [resource.getrlimit(getattr(resource, k))[1] for k in
               ("RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_CORE", "RLIMIT_AS")],
    "nnp": open("/proc/self/status").read().split("NoNewPrivs:")[1].split()[0],
    "sig": open("/proc/self/status").read().split("SigCgt:")[1].split()[0],
}))
"""


def _facts(tmp_path: Path, *, fork: bool) -> dict:
    sub = tmp_path / "02_facts.py"
    sub.write_text(FACTS)
    with pytest.MonkeyPatch.context() as patch:
        _past_the_reading(patch)
        (r,) = grade([sub], timeout=60, zygote=fork)
    assert r.score == r.max_score, r.notes
    line = next(x for x in r.output.splitlines() if x.startswith("FACTS"))
    return json.loads(line[len("FACTS"):])


def _past_the_reading(monkeypatch) -> None:
    """The box is under test, and the facts it reports come from /proc, which the policy
    refuses to read past: it lets the code through here, as if it had missed it."""
    monkeypatch.setattr(runner.policy, "scan_bounded", lambda cells, rules: {})


@pytest.fixture
def started(monkeypatch):
    """Every Zygote started during the test."""
    made: list[zygote.Zygote] = []
    init = zygote.Zygote.__init__

    def record(self, env):
        init(self, env)
        made.append(self)

    monkeypatch.setattr(zygote.Zygote, "__init__", record)
    return made


def test_a_forked_child_is_boxed_in_like_a_fresh_one(tmp_path):
    fresh, forked = _facts(tmp_path, fork=False), _facts(tmp_path, fork=True)
    assert forked["env"] == fresh["env"] and forked["home"]
    assert forked["listing"] == [] and forked["nnp"] == "1"
    assert forked["limits"][:3] == fresh["limits"][:3]
    assert forked["limits"][3] != -1               # address space capped as well
    assert len(forked["tmp"]) == len(fresh["tmp"]) and forked["procs"] == fresh["procs"]
    if os.geteuid() == 0:
        assert forked["uid"] >= 1_900_000_000 and forked["uid"] != fresh["uid"]
    if runner.preflight(runner.Plan.choose("auto")).namespaces:
        assert forked["pid"] == 1 and forked["procs"] == 1     # its own PID namespace
        # /tmp holds its own folder, plus the way to gdcourse and Python where a checkout or
        # venv lives under /tmp (a CI clone may): the child must import them, nothing more.
        needed = {Path(p).resolve().relative_to("/tmp").parts[0]
                  for p in (ROOT, sys.prefix) if Path(p).resolve().is_relative_to("/tmp")}
        assert sorted(forked["tmp"]) == sorted({os.path.basename(forked["cwd"]), *needed})


def test_a_child_that_kills_everything_it_can_leaves_the_zygote_alone(tmp_path, started):
    killer = tmp_path / "02_killer.py"
    killer.write_text(HONEST + """
import os, signal
for target in (os.getppid(), -1, 1):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
""")
    honest = tmp_path / "02_honest.py"
    honest.write_text(HONEST)
    results = grade([killer, honest, honest], jobs=1, timeout=60)
    assert [r.score for r in results][1:] == [results[1].max_score] * 2
    assert len(started) == 1                       # the same zygote forked every child
    assert all(z.proc.poll() is not None for z in started)   # and is gone after grading


def test_a_dead_zygote_is_replaced(tmp_path, started):
    honest = tmp_path / "02_honest.py"
    honest.write_text(HONEST)

    def kill_zygotes(result):
        for z in started:
            if z.proc.poll() is None:
                os.kill(z.proc.pid, signal.SIGKILL)
                z.proc.wait()

    results = grade([honest] * 3, jobs=1, timeout=60, progress=kill_zygotes)
    assert [r.score for r in results] == [results[0].max_score] * 3
    assert len(started) == 3


def test_a_zygote_that_cannot_start_falls_back_to_fresh_children(tmp_path, monkeypatch):
    monkeypatch.setattr(zygote, "_BOOT", "import sys; sys.exit('no fork here')")
    honest = tmp_path / "02_honest.py"
    honest.write_text(HONEST)
    notices: list[str] = []
    (r,) = grade([honest], timeout=60, notice=notices.append)
    assert r.score == r.max_score
    assert any("fresh Python" in n and "no fork here" in n for n in notices)


def test_a_zygote_whose_fork_cannot_box_the_child_in_falls_back(tmp_path, monkeypatch,
                                                                 started):
    if not runner.preflight(runner.Plan.choose("auto")).namespaces:
        pytest.skip("no namespaces here: nothing for the zygote's fork to be refused")
    # The zygote imports fine, but the OS refuses the namespaces its fork asks for.
    monkeypatch.setattr(zygote, "_BOOT", zygote._BOOT.replace(
        "from gdcourse.grading.sandbox.zygote_main import serve; serve(",
        "from gdcourse.grading.sandbox import zygote_main; zygote_main.CLONE_NEWNS = -1; "
        "zygote_main.serve("))
    honest = tmp_path / "02_honest.py"
    honest.write_text(HONEST)
    notices: list[str] = []
    results = grade([honest] * 2, timeout=60, jobs=1, notice=notices.append)
    assert [r.score for r in results] == [results[0].max_score] * 2
    assert any("fresh Python" in n and "cannot make namespaces" in n for n in notices)
    assert len(started) == 1                      # no zygote started again after that


def test_a_child_whose_fork_fails_starts_fresh_in_its_place(tmp_path, monkeypatch):
    import time

    from gdcourse.grading.sandbox import isolation
    from gdcourse.grading.sandbox.process import Child

    plan = runner.preflight(runner.Plan.choose("auto"))
    if not plan.namespaces:
        pytest.skip("no namespaces here: nothing for the zygote's fork to be refused")
    monkeypatch.setattr(zygote, "_BOOT", zygote._BOOT.replace(
        "from gdcourse.grading.sandbox.zygote_main import serve; serve(",
        "from gdcourse.grading.sandbox import zygote_main; zygote_main.CLONE_NEWNS = -1; "
        "zygote_main.serve("))
    z = zygote.Zygote(child_env(str(tmp_path)))
    child = Child(uid=isolation.child_uid() if plan.by_uid else -1, namespaces=True, zygote=z)
    try:
        answer = child.start({"exercise": "02", "memory_mb": 1024, "cpu_s": 60, "nproc": 64,
                              "root": str(ROOT), "namespaces": True, "hide": []},
                             time.monotonic() + 120)
        assert answer.data is not None and answer.data.get("ready") is True
        assert "cannot make namespaces" in child.fallback
        assert not isinstance(child.proc, zygote.Forked)
    finally:
        child.close()
        child.finish_log()
        z.close()


def test_a_user_namespace_fork_boxes_a_same_uid_child_in(tmp_path, monkeypatch):
    """The fork of a non-root grader (user + mount + PID namespaces, root inside mapped to
    the grader's uid), exercised here with the user namespace forced on."""
    from gdcourse.grading.sandbox import isolation
    from gdcourse.grading.sandbox import process as sandbox

    if not isolation.host.namespaces_work():
        pytest.skip("unshare is refused on this machine")
    plan = isolation.Plan(namespaces=True, notices=(isolation._GAPS["same-uid"],))
    monkeypatch.setattr(isolation.Plan, "choose", staticmethod(lambda isolate: plan))
    monkeypatch.setattr(runner, "_fingerprint", lambda root: {})   # others edit the tree
    fork = sandbox.Child._fork

    def with_user_namespace(self, ask_read, write_fd, deadline):
        real = os.geteuid
        monkeypatch.setattr(os, "geteuid", lambda: 1000)
        try:
            return fork(self, ask_read, write_fd, deadline)
        finally:
            monkeypatch.setattr(os, "geteuid", real)

    monkeypatch.setattr(sandbox.Child, "_fork", with_user_namespace)
    _past_the_reading(monkeypatch)
    sub = tmp_path / "02_facts.py"
    sub.write_text(FACTS + """
print("USERNS", open("/proc/self/uid_map").read().split())
""")
    notices: list[str] = []
    (r,) = grade([sub], timeout=60, notice=notices.append)
    assert r.score == r.max_score, (r.notes, notices)
    assert not any("fresh Python" in n for n in notices)
    facts = json.loads(next(x for x in r.output.splitlines()
                            if x.startswith("FACTS"))[len("FACTS"):])
    assert facts["pid"] == 1 and facts["procs"] == 1 and facts["nnp"] == "1"
    assert f"USERNS {['0', str(os.getuid()), '1']}" in r.output    # mapped: one uid only


def test_the_zygote_runs_no_threads_and_no_student_code(tmp_path):
    z = zygote.Zygote(child_env(str(tmp_path)))
    try:
        assert z.ready(deadline=__import__("time").monotonic() + 120), z.problem
        with open(f"/proc/{z.proc.pid}/status") as f:
            status = f.read()
        assert status.split("Threads:")[1].split()[0] == "1"
    finally:
        z.close()
    assert z.proc.poll() is not None


def test_the_zygote_dies_with_the_grader(tmp_path):
    import subprocess
    import sys
    import time

    grader = subprocess.Popen([sys.executable, "-c", f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from gdcourse.grading.sandbox import zygote
from gdcourse.grading.sandbox.process import child_env
z = zygote.Zygote(child_env({str(tmp_path)!r}))
assert z.ready(time.monotonic() + 120), z.problem
print(z.proc.pid, flush=True)
time.sleep(600)
"""], stdout=subprocess.PIPE, text=True)
    assert grader.stdout is not None
    pid = int(grader.stdout.readline())
    grader.kill()                          # no cleanup runs: the parent-death signal acts
    grader.wait()
    grader.stdout.close()
    end = time.monotonic() + 10
    while time.monotonic() < end and _running(pid):
        time.sleep(0.05)
    assert not _running(pid)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


# --- cgroup v2: the path logic, on a fake hierarchy (this machine runs cgroup v1) ----------

def _fake_v2(root: Path, controllers: str = "cpuset cpu io memory pids") -> Path:
    root.mkdir(exist_ok=True)
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text("")
    (root / "cgroup.procs").write_text("1\n42\n")
    return root


def test_cgroup2_own_path_and_limits():
    from gdcourse.grading.sandbox import cgroup2, isolation

    assert cgroup2.own_path("0::/docker/abc\n") == "/docker/abc"
    assert cgroup2.own_path("0::/\n") == "/"
    assert cgroup2.own_path("4:memory:/x\n1:cpu:/\n") is None          # cgroup v1
    limits = cgroup2.translate(isolation.Plan().limits(2048))
    assert limits == {"memory.max": str((2048 + 768) * 2**20), "memory.swap.max": "0",
                      "pids.max": "96", "cpu.weight": "100"}


def test_cgroup2_enables_the_controllers_children_need(tmp_path):
    from gdcourse.grading.sandbox import cgroup2

    root = _fake_v2(tmp_path / "cg")
    assert cgroup2.unified(str(root)) and not cgroup2.unified(str(tmp_path))
    base, given = cgroup2.prepare(str(root), "/")
    assert base == str(root) and given == ("memory", "pids", "cpu")
    assert (root / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"


def test_cgroup2_moves_a_containers_processes_aside_only_in_its_own_cgroup(tmp_path,
                                                                         monkeypatch):
    from gdcourse.grading.sandbox import cgroup2

    enable = cgroup2._enable
    refusals: list[str] = []

    def busy_until_evacuated(base, controllers):
        if not (Path(base) / "gdcourse-init").exists():
            refusals.append(base)
            raise OSError(16, "Device or resource busy")
        enable(base, controllers)

    monkeypatch.setattr(cgroup2, "_enable", busy_until_evacuated)
    root = _fake_v2(tmp_path / "cg")
    assert cgroup2.prepare(str(root), "/") == (str(root), ("memory", "pids", "cpu"))
    assert (root / "gdcourse-init" / "cgroup.procs").exists()
    nested = _fake_v2(root / "system.slice", "memory pids")
    assert cgroup2.prepare(str(root), "/system.slice") == (str(nested), ())
    assert not (nested / "gdcourse-init").exists()      # not ours to reorganize
    assert len(refusals) == 2


def test_cgroup2_child_cgroup_gets_its_limits_and_is_killed_whole(tmp_path, monkeypatch):
    from gdcourse.grading.sandbox import cgroup2, isolation
    from gdcourse.grading.sandbox import host as hostside

    real_mkdir = os.mkdir

    def kernel_mkdir(path, *args):          # the kernel makes a new cgroup's files
        real_mkdir(path, *args)
        for name in ("memory.max", "memory.swap.max", "pids.max", "cpu.weight",
                     "cgroup.procs", "cgroup.kill"):
            (Path(path) / name).write_text("")

    monkeypatch.setattr(os, "mkdir", kernel_mkdir)
    root = _fake_v2(tmp_path / "cg")
    (path,) = cgroup2.make(isolation.Plan().limits(1024), base=str(root))
    assert Path(path).parent == root and Path(path).name.startswith("gdcourse-")
    assert (Path(path) / "memory.max").read_text() == str((1024 + 768) * 2**20)
    assert (Path(path) / "pids.max").read_text() == "96"
    hostside.kill_all(None, -1, [path])
    assert (Path(path) / "cgroup.kill").read_text() == "1"
