"""What each task may use, read from the submission's source by the grader (never run).

A task that uses a forbidden API, directly, through an alias or as a base class, scores 0
for its checks, with a note naming the API and the line. Forbidden everywhere: the grading
package (its oracles and judges) except ``check``; for the "from scratch" exercises also
the library's own implementation of what the student builds:

    exercise 03   gdcourse.scratch.symbolic
    exercise 04   gdcourse.scratch
    exercise 06   torch.optim, gdcourse.optim

Dynamic tricks that a static reading cannot follow (``__import__``, importlib, exec/eval,
getattr with a built name, opening files of the package or /proc) are only *flagged* for
the instructor; they never change a score.

    >>> v, flags = scan(["import torch\\nclass Adam(torch.optim.Adam):\\n    pass\\n"], "06")
    >>> v["Adam"][0]
    'uses torch.optim.Adam (cell 1, line 2); exercise 06 asks for it from scratch'
"""

from __future__ import annotations

import ast
import importlib
import sys
from typing import Any

__all__ = ["FORBIDDEN", "ANY", "scan", "scan_namespace", "forbidden_name"]

ALWAYS = ("gdcourse.grading",)
ANY = "*"        # in scan's verdicts: what costs every task
ALLOWED = ("gdcourse.grading.check", "gdcourse.grading",     # the student's own check()
           "gdcourse.grading.feedback.check")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "03": ("gdcourse.scratch.symbolic", "gdcourse.scratch._symbolic_expr",
           "gdcourse.scratch._symbolic_simplify"),
    "04": ("gdcourse.scratch",),
    "06": ("torch.optim", "gdcourse.optim"),
}
# Names every task of an exercise depends on (its probes build them), beyond the task.
SHARED = {"03": ("Const", "Sym", "Log", "BinOp"), "04": ("Scalar",)}
TASKS = {"01": ("mse", "grid_search", "grad_by_hand", "grad_line_by_hand"),
         "02": ("linear", "fit_linear"), "03": ("val", "d", "simplify"),
         "04": ("exp", "log", "tanh", "sigmoid"),
         "05": ("sigmoid", "bce", "predict_proba", "fit_logistic"), "06": ("Momentum", "Adam")}
_DYNAMIC_CALLS = {"__import__", "exec", "eval", "compile", "breakpoint", "vars", "globals",
                  "__builtins__"}
_DYNAMIC_MODULES = ("importlib", "ctypes", "runpy", "gc", "inspect", "marshal", "pickle")
_PATH_HINTS = ("__file__", "__path__", "gdcourse", "exercises", "/proc", "site-packages")


def _dynamic(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in _DYNAMIC_MODULES)


def _prefixes(exercise: str) -> tuple[str, ...]:
    return ALWAYS + FORBIDDEN.get(exercise, ())


def forbidden_name(name: str, exercise: str) -> str | None:
    """The forbidden API ``name`` (a dotted name) falls under, or None."""
    if name in ALLOWED:
        return None
    for candidate in (name, _real_name(name)):
        if candidate is None or candidate in ALLOWED:
            continue
        for p in _prefixes(exercise):
            if candidate == p or candidate.startswith(p + "."):
                return candidate
    return None


def _real_name(name: str) -> str | None:
    """Where a re-exported gdcourse/torch object really lives (``gd.optim`` -> module)."""
    root = name.split(".")[0]
    if root not in ("gdcourse", "torch") or root not in sys.modules:
        return None
    obj: Any = sys.modules[root]
    for part in name.split(".")[1:]:
        try:
            obj = getattr(obj, part)
        except Exception:
            try:
                obj = importlib.import_module(f"{obj.__name__}.{part}")
            except Exception:
                return None
    return _object_name(obj)


def _object_name(obj: Any) -> str | None:
    if type(obj).__name__ == "module":
        return str(getattr(obj, "__name__", "")) or None
    module, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}.{qual}" if isinstance(module, str) and isinstance(qual, str) else None


class _Reader(ast.NodeVisitor):
    """Dotted names a piece of code uses, resolved through the module's import aliases."""

    def __init__(self, aliases: dict[str, str]):
        self.aliases = aliases
        self.used: list[tuple[str, int]] = []      # (dotted name, line)
        self.names: set[str] = set()               # bare global names read
        self.flags: list[tuple[str, int]] = []

    def dotted(self, node: ast.AST) -> str | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.aliases.get(node.id)
        return ".".join([base or node.id, *reversed(parts)]) if base else None

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.used.append((a.name, node.lineno))
            if _dynamic(a.name):
                self.flags.append((f"import {a.name}", node.lineno))
            self.aliases[(a.asname or a.name).split(".")[0]] = (
                a.name if a.asname else a.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for a in node.names:
            full = f"{node.module}.{a.name}" if node.module else a.name
            self.used.append((full, node.lineno))
            if _dynamic(full):
                self.flags.append((f"import {full}", node.lineno))
            self.aliases[a.asname or a.name] = full

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in ("__dict__", "__getattribute__", "__subclasses__", "__globals__"):
            self.flags.append((f".{node.attr}", node.lineno))
        name = self.dotted(node)
        if name is not None:
            self.used.append((name, node.lineno))
            if _dynamic(name) or name == "sys._getframe":
                self.flags.append((name, node.lineno))
            return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self.names.add(node.id)
        if node.id in self.aliases:
            self.used.append((self.aliases[node.id], node.lineno))
        if node.id in _DYNAMIC_CALLS:
            self.flags.append((node.id, node.lineno))

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.value, ast.Attribute) and self.dotted(node.value) == "sys.modules":
            self.flags.append(("sys.modules[...]", node.lineno))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        fn = node.func
        if isinstance(fn, ast.Name) and fn.id in ("getattr", "setattr", "delattr") and (
                len(node.args) < 2 or not isinstance(node.args[1], ast.Constant)):
            self.flags.append((f"{fn.id} with a built name", node.lineno))
        if isinstance(fn, ast.Name) and fn.id == "open" or (
                isinstance(fn, ast.Attribute) and fn.attr in ("read_text", "read_bytes")):
            text = ast.dump(node)
            if any(h in text for h in _PATH_HINTS):
                self.flags.append(("reading a file of the package or /proc", node.lineno))
        self.generic_visit(node)


def _parse(cells: list[str]) -> list[tuple[int, ast.Module]]:
    trees = []
    for i, source in enumerate(cells, start=1):
        try:
            trees.append((i, ast.parse(source)))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue       # the child reports the cell; nothing in it can run
    return trees


def scan(cells: list[str], exercise: str) -> tuple[dict[str, list[str]], list[str]]:
    """(task -> why it scores 0, flags for the instructor) for a submission's cells; the
    task ``ANY`` holds what costs every task (whatever its checks answer)."""
    aliases: dict[str, str] = {}
    defs: dict[str, tuple[int, _Reader]] = {}      # top-level def/class -> what it uses
    bound: dict[str, tuple[int, _Reader]] = {}     # top-level name = expr / import
    readers: list[tuple[int, _Reader]] = []        # every top-level statement
    flags: list[str] = []
    for cell, tree in _parse(cells):
        for stmt in tree.body:
            reader = _Reader(aliases)
            try:
                reader.visit(stmt)
            except RecursionError:
                flags.append(f"code nested too deep to read (cell {cell}, line "
                             f"{stmt.lineno})")
                continue
            readers.append((cell, reader))
            flags.extend(f"{what} (cell {cell}, line {line})" for what, line in reader.flags)
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs[stmt.name] = (cell, reader)
                aliases.pop(stmt.name, None)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom)):
                targets = (stmt.targets if isinstance(stmt, ast.Assign) else
                           [stmt.target] if isinstance(stmt, ast.AnnAssign) else
                           [ast.Name(a.asname or a.name.split(".")[0]) for a in stmt.names])
                value = getattr(stmt, "value", None)
                name = reader.dotted(value) if value is not None else None
                flat = [e for t in targets for e in (t.elts if isinstance(t, ast.Tuple)
                                                      else [t])]
                for t in flat:
                    if isinstance(t, ast.Name):
                        bound[t.id] = (cell, reader)
                        if name is not None:
                            aliases[t.id] = name
    verdicts = _judge_tasks(exercise, defs, bound)
    # The grading package has no place anywhere in a submission: a use no task reaches
    # (a thread that answers for the tasks, say) costs every task, under the key ANY.
    # The library's own implementations only matter inside the tasks (a demo may compare
    # with torch.optim).
    anywhere = [_why(hit, cell, line, exercise) for cell, reader in readers
                for used, line in reader.used
                for hit in [forbidden_name(used, exercise)] if hit and hit.startswith(ALWAYS)]
    if anywhere:
        verdicts[ANY] = list(dict.fromkeys(anywhere))
    return verdicts, list(dict.fromkeys(flags))[:20]


def _judge_tasks(exercise: str, defs: dict[str, tuple[int, _Reader]],
                 bound: dict[str, tuple[int, _Reader]]) -> dict[str, list[str]]:
    verdicts: dict[str, list[str]] = {}
    for task in TASKS.get(exercise, ()):
        seen, todo, why = set(), [task, *SHARED.get(exercise, ())], []
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for entry in (defs.get(name), bound.get(name)):
                if entry is None:
                    continue
                cell, reader = entry
                for used, line in reader.used:
                    hit = forbidden_name(used, exercise)
                    if hit:
                        why.append(_why(hit, cell, line, exercise))
                todo.extend(n for n in reader.names if n in defs or n in bound)
        if why:
            verdicts[task] = list(dict.fromkeys(why))
    return verdicts


def _why(api: str, cell: int, line: int, exercise: str) -> str:
    rule = ("the grading package is not part of any answer" if api.startswith(ALWAYS)
            else f"exercise {exercise} asks for it from scratch")
    return f"uses {api} (cell {cell}, line {line}); {rule}"


def scan_namespace(ns: dict, exercise: str) -> tuple[dict[str, list[str]], list[str]]:
    """The same policy on live objects (``check()`` in a notebook): a task that *is*, or
    subclasses, a forbidden object, or whose code reads a name bound to one; and the
    dynamic tricks in the tasks' code that the grader will flag."""
    import inspect
    import textwrap

    verdicts: dict[str, list[str]] = {}
    flags: list[str] = []
    for task in TASKS.get(exercise, ()):
        why: list[str] = []
        for name in (task, *SHARED.get(exercise, ())):
            obj = ns.get(name)
            if obj is None:
                continue
            for cls in getattr(obj, "__mro__", (obj,)):
                hit = forbidden_name(_object_name(cls) or "", exercise)
                if hit:
                    why.append(f"{name} is or builds on {hit}; exercise {exercise} does not "
                               "allow it")
            try:
                tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
            except Exception:
                continue
            reader = _Reader({})
            reader.visit(tree)
            flags.extend(f"{what} (in {name})" for what, _ in reader.flags)
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and node.id in ns:
                    hit = forbidden_name(_object_name(ns[node.id]) or "", exercise)
                    if hit:
                        why.append(f"{name} uses {hit} (as {node.id}); exercise {exercise} "
                                   "does not allow it")
        if why:
            verdicts[task] = list(dict.fromkeys(why))
    anywhere = [f"{key} is {hit}; the grading package is not part of any answer"
                for key, value in list(ns.items()) if not key.startswith("__")
                for hit in [forbidden_name(_object_name(value) or "", exercise)]
                if hit and hit.startswith(ALWAYS)]
    if anywhere:
        verdicts[ANY] = anywhere
    return verdicts, list(dict.fromkeys(flags))
