"""The grader's structure shows its boundary (issue 17): folders by role, imports pointing
one way, exercises discovered, and a child process that never holds a judge."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gdcourse.grading import exercise_ids, get_exercise, wire
from gdcourse.grading.registry import call, declaration

ROOT = Path(__file__).resolve().parents[1]
GRADING = ROOT / "gdcourse" / "grading"
PACKAGE = "gdcourse.grading"

# module (prefix, relative to gdcourse.grading) -> what it may never import (prefixes)
FORBIDDEN = {
    "exercises": ("judges", "sandbox", "outputs", "runner", "cli", "check", "results",
                  "scaffold"),
    "judges": ("sandbox", "outputs", "runner", "cli", "check", "scaffold"),
    "sandbox": ("judges", "outputs", "runner", "cli", "check", "results", "policy",
                "scaffold"),
    "registry": ("judges", "sandbox", "outputs", "runner", "cli", "check"),
    "runtime": ("judges", "sandbox", "outputs", "runner", "cli", "check"),
    "wire": ("judges", "sandbox", "outputs", "runner", "cli", "check"),
    "cells": ("judges", "sandbox", "outputs", "runner", "cli", "check"),
    "policy": ("judges", "sandbox", "outputs", "runner", "cli", "check", "exercises"),
    "results": ("judges", "sandbox", "outputs", "runner", "cli", "check"),
    "safetext": ("judges", "sandbox", "outputs", "runner", "cli", "check", "registry"),
    "check": ("sandbox", "runner", "cli", "outputs.export", "outputs.gradescope",
              "outputs.upload", "outputs.bundle"),
    "outputs.report": ("sandbox", "runner", "cli", "judges", "outputs.export"),
    "outputs.export": ("sandbox", "runner", "cli", "judges"),
    "outputs.roster": ("sandbox", "runner", "cli", "judges"),
    "outputs.upload": ("sandbox", "runner", "cli", "judges", "outputs.export",
                       "outputs.gradescope"),
    "outputs.bundle": ("sandbox", "runner", "cli", "judges", "outputs.export",
                       "outputs.gradescope", "outputs.upload"),
    "outputs.progress": ("sandbox", "runner", "cli", "judges", "outputs.export"),
    "outputs.environment": ("sandbox", "runner", "cli", "judges", "outputs.export",
                            "outputs.gradescope", "outputs.upload"),
    "class_run": ("cli", "check", "sandbox", "judges", "outputs.export"),
    "runner": ("cli", "check", "outputs"),
}


def _modules() -> dict[str, Path]:
    return {".".join(p.relative_to(GRADING).with_suffix("").parts).removesuffix(".__init__")
            or "__init__": p for p in GRADING.rglob("*.py")}


def _imports(name: str, path: Path) -> set[str]:
    """Every grading module ``name`` imports, at the top or inside a function."""
    package = name.split(".")[:-1] if not path.name == "__init__.py" else name.split(".")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif (node.module or "").startswith(PACKAGE + "."):
                target = node.module.removeprefix(PACKAGE + ".")  # type: ignore[union-attr]
            else:
                continue
            found.add(target)
            found.update(f"{target}.{a.name}".strip(".") for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix(PACKAGE + ".") for a in node.names
                         if a.name.startswith(PACKAGE + "."))
    return {f for f in found if f}


def test_the_layout_has_its_folders_by_role():
    folders = {p.name for p in GRADING.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert {"exercises", "judges", "sandbox", "outputs"} <= folders
    assert {p.stem for p in (GRADING / "sandbox").glob("*.py")} >= {
        "process", "child", "zygote", "confine", "isolation", "host", "cgroup2", "libc"}
    assert {p.stem for p in (GRADING / "outputs").glob("*.py")} >= {
        "report", "export", "roster", "gradescope", "upload", "bundle", "progress",
        "similarity", "environment"}
    # one libc module: no other file loads the C library itself
    loaders = [p.name for p in GRADING.rglob("*.py") if "ctypes.CDLL" in p.read_text()]
    assert loaders == ["libc.py"], loaders


def test_imports_point_one_way():
    broken = []
    for name, path in _modules().items():
        rules = [bad for prefix, bad in FORBIDDEN.items()
                 if name == prefix or name.startswith(prefix + ".")]
        for target in _imports(name, path):
            for bad in (b for rule in rules for b in rule):
                if target == bad or target.startswith(bad + "."):
                    broken.append(f"{name} imports {target}")
    assert not broken, broken


def test_check_imports_no_sandbox_module():
    code = ("import sys; from gdcourse.grading import check; "
            "print(sorted(m for m in sys.modules if m.startswith('gdcourse.grading')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    loaded = eval(out.stdout.strip().splitlines()[-1])
    assert loaded, out.stderr
    bad = [m for m in loaded if m.split(".")[2:3] in (["sandbox"], ["runner"], ["outputs"],
                                                      ["judges"])]
    assert not bad, bad


def test_exercises_are_discovered_and_complete():
    ids = exercise_ids()
    assert ids == sorted(p.stem[2:] for p in (GRADING / "exercises").glob("ex[0-9]*.py"))
    for ex_id in ids:
        ex, decl = get_exercise(ex_id), declaration(ex_id)
        assert ex.tasks == list(decl.TASKS) and ex.checks
        assert {c.task for c in ex.checks} <= set(ex.tasks)
        assert {c.probe for c in ex.checks} <= set(ex.probes)
        assert (GRADING / "judges" / f"ex{ex_id}.py").is_file()
        # what else an exercise needs: its solution, its example hidden checks, scaffolds
        assert len(list((ROOT / "exercises" / "source").glob(f"{ex_id}_*.py"))) == 1
        assert (ROOT / "exercises" / "hidden" / f"checks_{ex_id}.py").is_file()
        assert len(list((ROOT / "exercises").glob(f"{ex_id}_*.ipynb"))) == 1


def test_a_seventh_exercise_is_two_modules(tmp_path):
    # A copy of the package with one more exercise (02 under another id): nothing else
    # lists exercises, so it is found, graded by check(), and its judges stay apart.
    import shutil

    copy = tmp_path / "gdcourse"
    shutil.copytree(ROOT / "gdcourse", copy, ignore=shutil.ignore_patterns("__pycache__"))
    grading = copy / "grading"
    (grading / "exercises" / "ex07.py").write_text(
        (grading / "exercises" / "ex02.py").read_text().replace(
            'TITLE = "linear regression with the seven steps"', 'TITLE = "a seventh"'))
    (grading / "judges" / "ex07.py").write_text(
        (grading / "judges" / "ex02.py").read_text().replace("exercises.ex02",
                                                             "exercises.ex07"))
    solution = (ROOT / "exercises" / "source" / "02_linear_regression.py").read_text()
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import os; "
            "os.environ['GDCOURSE_GRADER_CHILD'] = '1'\n"
            "from gdcourse.grading import check, exercise_ids\n"
            "ns = {}\nexec(compile(sys.argv[2], 'sol', 'exec'), ns)\n"
            "del os.environ['GDCOURSE_GRADER_CHILD']\n"
            "r = check('07', namespace=ns, quiet=True)\n"
            "print(exercise_ids(), r.score, r.max_score)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path), solution],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-2000:]
    assert last.startswith(str([*exercise_ids(), "07"])), last
    assert float(last.split()[-2]) == float(last.split()[-1]) == get_exercise("02").max_points


# --- the child holds no judge --------------------------------------------------------------

LISTING = """
import os, sys
def listing():
    import gdcourse.grading as g
    judges = os.path.join(os.path.dirname(g.__file__), "judges")
    return [sorted(m for m in sys.modules if m.startswith("gdcourse")),
            sorted(os.listdir(judges)) if os.path.isdir(judges) else []]
"""


def _child_listing(exercise: str, zygote) -> list:
    from gdcourse.grading.sandbox.isolation import Plan, child_uid, preflight
    from gdcourse.grading.sandbox.process import Child

    plan = preflight(Plan.choose("auto"))
    child = Child(uid=child_uid() if plan.by_uid else -1, namespaces=plan.namespaces,
                  extra=plan.extra, zygote=zygote)
    deadline = time.monotonic() + 120
    try:
        ready = child.start({"exercise": exercise, "memory_mb": 2048, "cpu_s": 120,
                             "nproc": 64 if plan.by_uid else 0, "root": str(ROOT),
                             "namespaces": plan.namespaces, "hide": []}, deadline)
        assert ready.data and ready.data.get("ready"), child.output()
        child.ask({"cells": [LISTING], "limit": 30}, deadline)
        answer = child.ask({"probe": "call", "limit": 30,
                            "inputs": wire.to_plain(call("listing"))}, deadline)
        assert answer.data and answer.data["status"] == "ok", (answer, child.output())
        return [plan.namespaces, *answer.data["out"]]
    finally:
        child.close()
        child.finish_log()


def test_the_child_holds_no_judge_after_set_up():
    from gdcourse.grading.sandbox.process import child_env
    from gdcourse.grading.sandbox.zygote import Pool

    with Pool(1, child_env) as pool, pool.slot() as zygote:
        views = {ex_id: _child_listing(ex_id, zygote) for ex_id in exercise_ids()}
    views["fresh"] = _child_listing(exercise_ids()[0], None)   # a fresh interpreter too
    for ex_id, (namespaces, modules, judges_folder) in views.items():
        assert not [m for m in modules if m.startswith(("gdcourse.grading.judges",
                                                        "gdcourse.grading.outputs",
                                                        "gdcourse.grading.runner"))], \
            (ex_id, modules)
        if ex_id != "fresh":
            assert f"gdcourse.grading.exercises.ex{ex_id}" in modules
        if namespaces:        # the judges' files are out of its view as a whole
            assert judges_folder == [], (ex_id, judges_folder)


@pytest.mark.skipif(os.geteuid() != 0, reason="mount namespaces as root (CI runs as root)")
def test_the_zygote_preloads_no_judge():
    from gdcourse.grading.sandbox import zygote_main

    code = ("import sys; from gdcourse.grading.sandbox import zygote_main; "
            "zygote_main._preload(); "
            "print([m for m in sys.modules if 'judges' in m or 'outputs' in m])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stderr
    assert zygote_main.__name__.endswith("zygote_main")
