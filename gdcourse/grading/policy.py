"""What each task may use, read from the submission's source (never run, nothing imported).

The grader runs this file as a script in a child of its own (``python -I -S policy.py``,
standard library only, memory and CPU capped; see ``scan_bounded``); ``check()`` calls
:func:`scan` on the notebook's cells in the student's own process. Both read the same
source with the same rules, so ``check()`` says before hand-in what the grader will do.

The reading fails closed. Every statement of every cell is walked (compound bodies too,
iteratively: no depth makes it give up). A task's code is its definition, the shared
classes its probes build, and every top-level statement that binds, or changes, a name
they read, followed transitively. Then:

    a rule of the exercise (``registry.Rule``) the task's code breaks   -> the task scores 0
    the grading package, anywhere but ``check``                          -> every task 0
    what a reading cannot resolve, anywhere (exec/eval/compile, __import__, importlib,
    getattr with a built name, sys.modules, gc, inspect, frames, __globals__/__closure__,
    ctypes, builtins, raw descriptors, a star import of torch or gdcourse, private torch._*)
                                                                         -> every task 0

each with a note that names the line and what to rewrite. (Code that cannot be read could
rebind any task once it runs, so it costs them all.)

    >>> rules = {"tasks": ["Adam"], "rules": [{"why": "from scratch", "apis": ["torch.optim"],
    ...          "attributes": [], "tasks": ["*"]}]}
    >>> scan(["import torch\\nclass Adam(torch.optim.Adam):\\n    pass\\n"], rules)["tasks"]
    {'Adam': ['uses torch.optim.Adam (cell 1, line 2); from scratch']}
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Sequence

__all__ = ["scan", "scan_bounded", "rules_of", "ANY", "MAX_SOURCE"]

ANY = "*"                   # in scan's verdicts: what costs every task
MAX_SOURCE = 2 * 2**20      # bytes of code a submission may hold; more is not read
GRADING = "gdcourse.grading"
ALLOWED = (GRADING, f"{GRADING}.check")        # the student's own check()
HARMLESS_STAR = ("math", "cmath", "statistics", "random", "itertools", "functools",
                 "typing", "dataclasses", "collections", "fractions", "decimal")
DYNAMIC_NAMES = {"exec", "eval", "compile", "__import__", "globals", "vars", "locals",
                 "breakpoint", "__builtins__", "__loader__", "__spec__", "memoryview"}
DYNAMIC_APIS = ("importlib", "imp", "_imp", "ctypes", "_ctypes", "cffi", "gc", "inspect",
                "sys.modules", "sys._getframe", "sys._current_frames", "sys.settrace",
                "sys.setprofile", "sys.meta_path", "sys.path_hooks", "sys.exc_info",
                "sys.exception", "sys.last_traceback", "sys.path_importer_cache",
                "sys.addaudithook", "builtins", "runpy", "marshal", "pickle", "_pickle",
                "copyreg", "dill", "cloudpickle", "code", "codeop", "types.FunctionType",
                "types.CodeType", "types.LambdaType", "types.ModuleType", "types.MethodType",
                "operator.attrgetter", "operator.methodcaller", "subprocess", "os.system",
                "os.popen", "os.fork", "os.forkpty", "os.read", "os.readv", "os.pread",
                "os.fdopen", "os.dup", "os.dup2", "os.openpty", "os.open", "io.FileIO",
                "io.open_code", "_io", "socket", "mmap", "fcntl", "signal", "threading.settrace",
                "threading.setprofile", "multiprocessing", "pty", "pkgutil", "zipimport",
                "pydoc", "__main__", "submission", "posix", "_posixsubprocess", "torch.ops",
                "torch.classes", "torch.library", "torch.utils.cpp_extension", "torch.load",
                "torch.hub", "torch.jit", "torch.package", "torch.serialization", "numpy.load",
                "_frozen_importlib", "_frozen_importlib_external", "tracemalloc",
                "faulthandler", "weakref", "pandas.read_pickle", "shelve", "joblib", "timeit",
                "pdb", "bdb", "trace", "profile", "cProfile", "doctest", "site", "sys.path",
                "asyncio.subprocess", "asyncio.create_subprocess_exec",
                "asyncio.create_subprocess_shell", "io.open", "os.sendfile", "os.splice",
                "os.copy_file_range")
DYNAMIC_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")
DYNAMIC_ATTRS = {"__globals__", "__closure__", "__code__", "__dict__", "__subclasses__",
                 "__mro__", "__bases__", "__base__", "__getattribute__", "__builtins__",
                 "__import__", "__loader__", "__spec__", "__self__", "__func__", "__wrapped__",
                 "__reduce__", "__reduce_ex__", "__defaults__", "__kwdefaults__",
                 "__traceback__", "f_globals", "f_locals", "f_back", "f_builtins", "f_code",
                 "tb_frame", "tb_next", "gi_frame", "gi_code", "cr_frame", "ag_frame",
                 "co_code", "co_consts",
                 # a module reached as another module's attribute (gd.importlib, os.sys)
                 "sys", "importlib", "import_module", "ctypes", "gc", "inspect", "builtins",
                 "subprocess", "pickle", "marshal", "runpy", "_getframe",
                 "__setattr__", "__delattr__", "__getattr__"}
# Called by name with a literal, these read as what they name; passed around, they do not.
_LITERAL_ONLY = {"getattr", "setattr", "delattr", "hasattr", "open", "Path", "PurePath",
                 "PosixPath"}
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _dynamic_api(name: str) -> bool:
    if name.startswith("torch._") and not name.startswith("torch.__"):
        return True           # private kernels (torch._fused_adam_, torch._C, ...)
    return name.startswith(DYNAMIC_PREFIXES) or any(
        name == p or name.startswith(p + ".") for p in DYNAMIC_APIS)


class _Unit:
    """One top-level statement: what it binds, reads, changes, and uses."""

    def __init__(self, cell: int, node: ast.stmt):
        self.cell, self.node = cell, node
        self.binds: set[str] = set()
        self.reads: set[str] = set()
        self.changes: set[str] = set()
        self.handed: set[str] = set()             # names passed to a call
        self.called_on: set[str] = set()          # names whose methods it calls
        self.uses: list[tuple[str, str, int]] = []    # (kind, what, line)


def _nodes(root: ast.AST):
    """Every node under ``root``, iteratively (depth-first, no recursion limit)."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _top_binds(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds in the module: outside nested scopes, plus what
    functions inside it declare ``global``."""
    found: set[str] = set()
    stack: list[ast.AST] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(n.name)
            if n is not node:
                continue
            if not isinstance(n, ast.ClassDef):
                stack.extend(n.decorator_list)
                continue
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            found.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name).split(".")[0] for a in n.names if a.name != "*")
        elif isinstance(n, ast.ExceptHandler) and n.name:
            found.add(n.name)
        elif isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            found.add(n.name)
        stack.extend(ast.iter_child_nodes(n))
    for n in _nodes(node):
        if isinstance(n, ast.Global):
            found.update(n.names)
        elif isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name):
            found.add(n.target.id)
    return found


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _stores(body: Sequence[ast.AST]) -> set[str]:
    """Names bound in a scope's own body (nested scopes excluded, their names included)."""
    found: set[str] = set()
    stack: list[ast.AST] = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(n.name)
            continue
        if isinstance(n, (ast.Lambda, *_COMPREHENSIONS)):
            continue
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            found.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            found.add(n.name)
        elif isinstance(n, ast.arg):
            found.add(n.arg)
        stack.extend(ast.iter_child_nodes(n))
    declared = {g for n in body for k in _nodes(n) if isinstance(k, ast.Global)
                for g in k.names}
    return found - declared


def _free_reads(root: ast.AST) -> set[str]:
    """Global names the code under ``root`` reads: a function's own locals (its
    arguments, what it assigns) are not the module's names of the same spelling."""
    reads: set[str] = set()
    # (node, names local where it stands, names local to a function defined there)
    stack: list[tuple[ast.AST, frozenset[str], frozenset[str]]] = [
        (root, frozenset(), frozenset())]
    while stack:
        node, local, for_fn = stack.pop()
        if isinstance(node, _FUNCTIONS):
            args = node.args
            outside = [*getattr(node, "decorator_list", []), *args.defaults,
                       *(d for d in args.kw_defaults if d is not None)]
            stack += [(k, local, for_fn) for k in outside]
            body = node.body if isinstance(node.body, list) else [node.body]
            inner = for_fn | _stores([args, *body])
            stack += [(k, inner, inner) for k in body]
        elif isinstance(node, ast.ClassDef):
            stack += [(k, local, for_fn) for k in [*node.bases, *node.keywords,
                                                  *node.decorator_list]]
            own = local | _stores(node.body)
            stack += [(k, own, for_fn) for k in node.body]
        elif isinstance(node, _COMPREHENSIONS):
            targets = {t.id for g in node.generators for t in _nodes(g.target)
                       if isinstance(t, ast.Name)}
            stack += [(k, local | targets, for_fn | targets)
                      for k in ast.iter_child_nodes(node)]
        else:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                    and node.id not in local:
                reads.add(node.id)
            stack += [(k, local, for_fn) for k in ast.iter_child_nodes(node)]
    return reads


def _aliases(units: list[_Unit], grading_names: list[str]) -> dict[str, set[str]]:
    """name -> the dotted names it may stand for, from imports, plain assignments, loops
    over literals and default arguments anywhere (flow-insensitive: a name bound to a
    module once stands for it everywhere)."""
    aliases: dict[str, set[str]] = {}
    pairs: list[tuple[str, ast.expr]] = []
    for u in units:
        for n in _nodes(u.node):
            if isinstance(n, ast.Import):
                for a in n.names:
                    aliases.setdefault((a.asname or a.name).split(".")[0], set()).add(
                        a.name if a.asname else a.name.split(".")[0])
            elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
                for a in n.names:
                    if a.name == "*" and n.module == GRADING:
                        for g in grading_names:
                            aliases.setdefault(g, set()).add(f"{GRADING}.{g}")
                    elif a.name != "*":
                        aliases.setdefault(a.asname or a.name, set()).add(
                            f"{n.module}.{a.name}")
            else:
                pairs += _pairs(n)
    for _ in range(4):                    # alias of an alias of an alias ...
        for name, value in pairs:
            for target in _dotted(value, aliases):
                aliases.setdefault(name, set()).add(target)
    return aliases


def _pairs(n: ast.AST) -> list[tuple[str, ast.expr]]:
    """(name, expression it is bound to) for assignments, loops over literals, defaults."""
    pairs: list[tuple[str, ast.expr]] = []
    if isinstance(n, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and n.value:
        for t in n.targets if isinstance(n, ast.Assign) else [n.target]:
            if isinstance(t, (ast.Tuple, ast.List)) and isinstance(n.value,
                                                                   (ast.Tuple, ast.List)):
                pairs += [(e.id, v) for e, v in zip(t.elts, n.value.elts)
                          if isinstance(e, ast.Name)]
            elif isinstance(t, ast.Name):
                pairs.append((t.id, n.value))
    elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)) and isinstance(
            n.target, ast.Name) and isinstance(n.iter, (ast.Tuple, ast.List, ast.Set)):
        pairs += [(n.target.id, e) for e in n.iter.elts]
    elif isinstance(n, ast.arguments):
        args = [*n.posonlyargs, *n.args]
        pairs += [(a.arg, d) for a, d in zip(args[len(args) - len(n.defaults):], n.defaults)]
        pairs += [(a.arg, d) for a, d in zip(n.kwonlyargs, n.kw_defaults) if d]
    return pairs


def _dotted(node: ast.AST, aliases: dict[str, set[str]]) -> set[str]:
    """The dotted names an expression may stand for (empty: not a plain reference)."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "getattr" and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value,
                                                                         str)):
            parts.append(node.args[1].value)
            node = node.args[0]
        else:
            break
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return set()
    tail = ".".join(reversed(parts))
    return {f"{base}.{tail}" if tail else base for base in aliases[node.id]}


def _membership_tests(root: ast.AST) -> set[int]:
    """Nodes only asked ``x in ...`` of (``"google.colab" in sys.modules`` reads nothing
    back): their dotted name is harmless there."""
    safe: set[int] = set()
    for n in _nodes(root):
        if isinstance(n, ast.Compare) and all(isinstance(op, (ast.In, ast.NotIn))
                                              for op in n.ops):
            for c in n.comparators:
                safe.update(id(k) for k in _nodes(c) if isinstance(c, ast.Attribute))
    return safe


def _read_unit(u: _Unit, aliases: dict[str, set[str]]) -> None:
    u.binds = _top_binds(u.node)
    u.reads = _free_reads(u.node)
    safe = _membership_tests(u.node)
    called = {id(n.func) for n in _nodes(u.node) if isinstance(n, ast.Call)}
    for n in _nodes(u.node):
        line = getattr(n, "lineno", 0)
        if id(n) in safe:
            continue
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            _read_import(u, n, line)
        elif isinstance(n, ast.Name):
            _read_name(u, n, line, aliases, passed=id(n) not in called)
        elif isinstance(n, ast.Attribute):
            if n.attr in DYNAMIC_ATTRS:
                u.uses.append(("dyn", "." + n.attr, line))
            resolved = _dotted(n, aliases)
            u.uses += [("api", d, line) for d in resolved]
            if not resolved or n.attr != "grading":
                u.uses.append(("attr", n.attr, line))
            if not isinstance(n.ctx, ast.Load):
                u.changes.update(_base_name(n))
        elif isinstance(n, ast.Subscript) and not isinstance(n.ctx, ast.Load):
            u.changes.update(_base_name(n))
        elif isinstance(n, ast.Call):
            # a method call may change its object (FUNCS.append(f)); a module's methods
            # (torch.zeros) are no such change, and rebinding one is a store or a setattr
            if isinstance(n.func, ast.Attribute):
                u.called_on |= _base_name(n.func.value) - set(aliases)
            u.handed |= _handed(n)
            if isinstance(n.func, ast.Name):
                _read_call(u, n, line)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and any(
                p in n.value for p in ("/proc", "/dev/")):
            u.uses.append(("dyn", "a path into /proc or /dev", line))


def _read_name(u: _Unit, n: ast.Name, line: int, aliases: dict[str, set[str]], *,
               passed: bool) -> None:
    if n.id in _LITERAL_ONLY and passed:
        u.uses.append(("dyn", f"{n.id} passed around as a value", line))
    if n.id in DYNAMIC_NAMES:
        u.uses.append(("dyn", n.id, line))
    u.uses += [("api", d, line) for d in _dotted(n, aliases)]


def _read_import(u: _Unit, n: ast.Import | ast.ImportFrom, line: int) -> None:
    if isinstance(n, ast.Import):
        u.uses += [("api", a.name, line) for a in n.names]
        return
    module = ("." * n.level) + (n.module or "")
    for a in n.names:
        if a.name == "*" and module != GRADING and module not in HARMLESS_STAR:
            u.uses.append(("dyn", f"from {module} import *", line))
        elif a.name != "*":
            u.uses.append(("api", f"{module}.{a.name}", line))
            u.uses.append(("attr", a.name, line))


def _base_name(node: ast.AST) -> set[str]:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return {node.id} if isinstance(node, ast.Name) else set()


def _handed(n: ast.Call) -> set[str]:
    """Names handed to a call (``register(FUNCS)``), which it may change."""
    return {a.id for a in [*n.args, *(k.value for k in n.keywords)] if isinstance(a, ast.Name)}


def _read_call(u: _Unit, n: ast.Call, line: int) -> None:
    fn = n.func.id  # type: ignore[attr-defined]
    if fn in ("getattr", "setattr", "delattr", "hasattr"):
        name = n.args[1] if len(n.args) >= 2 else None
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            u.uses.append(("dyn", f"{fn} with a built name", line))
        else:
            u.uses.append(("attr", name.value, line))
            if name.value in DYNAMIC_ATTRS:
                u.uses.append(("dyn", f"{fn}(..., {name.value!r})", line))
            if fn != "getattr" and n.args:
                u.changes.update(_base_name(n.args[0]))
    elif fn in ("open", "Path", "PurePath", "PosixPath"):
        first = n.args[0] if n.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            u.uses.append(("dyn", f"{fn}() of a path or descriptor built at run time", line))


def _cells(cells: list[str]) -> tuple[list[_Unit], list[str]]:
    units, trouble = [], []
    for i, source in enumerate(cells, start=1):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue           # the child cannot run it either; it reports the cell
        except (RecursionError, MemoryError, ValueError) as err:
            trouble.append(f"cell {i} could not be read ({type(err).__name__}); the grader "
                           "scores no code it cannot read: split the cell or simplify it")
            continue
        units += [_Unit(i, stmt) for stmt in tree.body]
    return units, trouble


def _reach(names: set[str], units: list[_Unit]) -> list[_Unit]:
    """The units a task's code depends on: binding or changing a name read, transitively.
    Handing a data name to a call (``register(FUNCS)``) may change it; handing a function
    or class (``check("01", grad_by_hand)``) does not."""
    defined = {u.node.name for u in units if isinstance(
        u.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    # data the submission itself makes (FUNCS = []): what a method call may change
    made = {name for u in units if not isinstance(u.node, (
        ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for name in u.binds} - defined
    seen, todo, found = set(names), list(names), []
    taken: set[int] = set()
    while todo:
        name = todo.pop()
        for k, u in enumerate(units):
            if k not in taken and (name in u.binds or name in u.changes or (
                    name in u.handed and name not in defined) or (
                    name in u.called_on and name in made)):
                taken.add(k)
                found.append(u)
                new = u.reads - seen
                seen |= new
                todo.extend(new)
    return found


def _under(what: str, prefix: str) -> bool:
    """``what`` is ``prefix`` or inside it; a prefix ending in "_" or "." is taken raw."""
    if prefix.endswith(("_", ".")):
        return what.startswith(prefix)
    return what == prefix or what.startswith(prefix + ".")


def _rule_hit(rule: dict, kind: str, what: str) -> bool:
    if kind == "api":
        return any(_under(what, p) for p in rule["apis"])
    return kind == "attr" and what in rule["attributes"]


def scan(cells: list[str], rules: dict) -> dict:
    """``{"tasks": {task: [why, ...]}, "any": [why, ...]}`` for a submission's cells.

    ``rules`` is plain data: ``tasks``, ``shared``, ``rules`` (each ``why``, ``apis``,
    ``attributes``, ``tasks``) and ``grading_names`` (what ``from gdcourse.grading import
    *`` binds)."""
    if sum(len(c) for c in cells) > MAX_SOURCE:
        return {"tasks": {}, "any": [f"the code is longer than the {MAX_SOURCE // 2**20} MB "
                                     "the grader reads; remove what the tasks do not need"]}
    units, trouble = _cells(cells)
    aliases = _aliases(units, list(rules.get("grading_names", [])))
    for u in units:
        _read_unit(u, aliases)
    anywhere = list(trouble)
    told: set[tuple[int, int]] = set()          # one note per line is enough
    for u in units:
        for kind, what, line in u.uses:
            where = f"(cell {u.cell}, line {line})"
            if (u.cell, line) in told:
                continue
            if kind == "api" and what.startswith(GRADING) and what not in ALLOWED \
                    or kind == "attr" and what == "grading":
                anywhere.append(f"uses {'.' * (kind == 'attr')}{what} {where}; the grading "
                                "package is not part of any answer")
            elif kind == "dyn" or (kind == "api" and _dynamic_api(what)):
                anywhere.append(f"{what} {where} cannot be read without running it, and the "
                                "grader scores no code it cannot read; write it with plain "
                                "names and imports")
            else:
                continue
            told.add((u.cell, line))
    tasks: dict[str, list[str]] = {}
    for task in rules.get("tasks", []):
        why, lines = [], set()            # the first (widest) name on a line says it
        for u in _reach({task, *rules.get("shared", [])}, units):
            for rule in rules.get("rules", []):
                if ANY not in rule["tasks"] and task not in rule["tasks"]:
                    continue
                for kind, what, line in u.uses:
                    if (u.cell, line) not in lines and _rule_hit(rule, kind, what):
                        lines.add((u.cell, line))
                        why.append(f"uses {'.' if kind == 'attr' else ''}{what} (cell "
                                   f"{u.cell}, line {line}); {rule['why']}")
        if why:
            tasks[task] = why[:5]
    return {"tasks": tasks, "any": list(dict.fromkeys(anywhere))[:5]}


def rules_of(exercise) -> dict:
    """An exercise's rules (``registry.Exercise``) as the plain data :func:`scan` reads."""
    from . import __all__ as grading_names

    return {"tasks": list(exercise.tasks), "shared": list(exercise.shared),
            "grading_names": list(grading_names),
            "rules": [{"why": r.why, "apis": list(r.apis), "attributes": list(r.attributes),
                       "tasks": list(r.tasks)} for r in exercise.rules]}


def scan_bounded(cells: list[str], rules: dict, *, memory_mb: int = 1024,
                 cpu_s: int = 20) -> dict:
    """:func:`scan` in a child process of its own (this file run by ``python -I -S``, so it
    imports nothing but the standard library), capped in memory and CPU time. Whatever
    goes wrong there costs every task, with a note: the reading fails closed."""
    import subprocess

    if sum(len(c) for c in cells) > MAX_SOURCE:
        return scan(cells, rules)              # refused by size before any parsing
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", __file__, json.dumps({"memory_mb": memory_mb,
                                                                "cpu_s": cpu_s})],
            input=json.dumps({"cells": cells, "rules": rules}).encode(),
            capture_output=True, timeout=3 * cpu_s, env={})
        verdicts = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        verdicts = None
    if not isinstance(verdicts, dict):
        return {"tasks": {}, "any": ["the grader could not read this code within its limits "
                                     f"({memory_mb} MB, {cpu_s} s); simplify it"]}
    return verdicts


def _serve() -> None:
    """The bounded child: limits first, then one scan from stdin to stdout."""
    import resource

    limits = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    memory = int(limits.get("memory_mb", 1024)) * 2**20
    seconds = int(limits.get("cpu_s", 20))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    payload = json.loads(sys.stdin.buffer.read())
    sys.stdout.write(json.dumps(scan(payload["cells"], payload["rules"])))


if __name__ == "__main__":
    _serve()
