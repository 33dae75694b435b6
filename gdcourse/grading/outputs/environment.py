"""The modules Gradescope's bundle will have, and the submissions importing others.

    available = bundle_modules(pip=["pandas"], requirements="requirements.txt")
    for line in import_warnings(paths, available):     # before grading, on the instructor's
        say(line, sys.stderr)                          # machine, which may have more

The bundle has the standard library (``sys.stdlib_module_names``), the packages setup.sh
always installs (``bundle.BASE_PACKAGES``) and those declared with ``--pip`` or
``--requirements``, each with the packages it depends on (pip installs those too: PIL
comes with matplotlib, sympy with torch). A package's import names come from the
distributions installed here (``importlib.metadata.packages_distributions``); one not
installed here is taken to import as its normalized name (``PyYAML`` -> ``pyyaml``). A
submission's imports are read from its source with ``ast`` (top-level and inside functions
alike), never by importing or running it.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from ...errors import InvalidArgumentError
from ..cells import pythonize, read_cells
from ..safetext import clean
from .bundle import BASE_PACKAGES

__all__ = ["bundle_modules", "import_warnings", "imported_modules", "requirement_names"]

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()     # PEP 503


def requirement_names(pip: list[str], requirements: str | Path | None) -> list[str]:
    """The package names of ``--pip`` specs and of a requirements file's lines (comments,
    blank lines and pip options such as ``-r`` or ``--index-url`` skipped)."""
    lines = list(pip)
    if requirements is not None:
        path = Path(requirements)
        if not path.is_file():
            raise InvalidArgumentError(f"--requirements {str(path)!r} is not a file")
        lines += path.read_text(encoding="utf-8-sig").splitlines()
    names = []
    for line in lines:
        line = line.split(" #")[0].strip()
        found = None if line.startswith(("-", "#")) else _NAME.match(line)
        if found:
            names.append(found.group(1))
    return names


def bundle_modules(pip: list[str] | None = None,
                   requirements: str | Path | None = None) -> frozenset[str]:
    """The top-level modules an upload may import on Gradescope: the standard library, the
    base packages and the declared ones, as import names."""
    provides: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            provides.setdefault(_canonical(dist), set()).add(module)
    modules = set(sys.stdlib_module_names)
    for name in _with_dependencies([*BASE_PACKAGES,
                                    *requirement_names(list(pip or []), requirements)]):
        modules |= provides.get(name, {name.replace("-", "_")})
    return frozenset(modules)


def _with_dependencies(names: list[str]) -> set[str]:
    """``names`` and, through the metadata of the distributions installed here, everything
    they require (optional extras left out), as canonical names."""
    todo, seen = [_canonical(n) for n in names], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:
            continue
        for spec in needs:
            found = None if "extra ==" in spec else _NAME.match(spec)
            if found:
                todo.append(_canonical(found.group(1)))
    return seen


def imported_modules(path: str | Path) -> set[str]:
    """The top-level module of every absolute import in a submission's code cells, inside
    functions too (``import a.b`` and ``from a.b import c`` give ``a``). A cell that is not
    Python is skipped: grading reports it."""
    cells, _ = read_cells(path)
    found: set[str] = set()
    for cell in cells:
        try:
            tree = ast.parse(pythonize(cell))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def import_warnings(paths: list[str], available: frozenset[str]) -> list[str]:
    """One line per submission and module it imports that the bundle will not have. A file
    that cannot be read gives none: grading reports it."""
    lines = []
    for path in paths:
        try:
            missing = sorted(imported_modules(path) - available)
        except (InvalidArgumentError, OSError, ValueError):
            continue
        shown = clean(Path(path).name, 200)
        for module in missing:
            module = clean(module, 100)
            lines.append(f"warning: {shown} imports {module}, which the Gradescope bundle "
                         f"will not have (add it with --pip {module} or to the requirements "
                         "file)")
    return lines
