"""A class roster: which student handed in which file, for the gradebook's student column.

A roster is a CSV with a header row naming at least a file column and an id column (names
are matched without regard to case; a BOM from Excel is fine)::

    file,student_id,name
    alice.ipynb,s1001,Alice Liddell
    bob.py,s1002,Bob Marley

A submission is matched by its file name, then by its stem (``alice`` for ``alice.ipynb``);
without a roster, or for a file the roster does not list, the student is the file's stem.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path, PurePath

from ...errors import InvalidArgumentError
from ..safetext import clean

__all__ = ["Student", "read_roster", "student_of"]

_FILE = ("file", "filename", "file_name", "submission")
_ID = ("student_id", "id", "sid", "student")
_NAME = ("name", "student_name", "full_name")


@dataclass(frozen=True)
class Student:
    """One gradebook row's identity: an id, a name (may be empty), and whether the roster
    listed it (False: the id is only the file's stem)."""

    id: str
    name: str = ""
    on_roster: bool = True


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def _cell(row: list[str], i: int | None) -> str:
    return row[i].strip() if i is not None and i < len(row) else ""


def read_roster(path: str | Path) -> dict[str, Student]:
    """File name (and stem) -> Student, from a roster CSV.

    Raises:
        InvalidArgumentError: the file cannot be read, lacks a file or id column, or lists
            one file twice.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InvalidArgumentError(f"cannot read the roster {str(path)!r}: {err}") from None
    if not rows:
        raise InvalidArgumentError(f"the roster {str(path)!r} is empty; expected a header "
                                   "row such as file,student_id,name")
    header, body = rows[0], rows[1:]
    i_file, i_id, i_name = _column(header, _FILE), _column(header, _ID), _column(header, _NAME)
    if i_file is None or i_id is None:
        raise InvalidArgumentError(
            f"the roster {str(path)!r} has columns {header}; it needs a file column (one of "
            f"{', '.join(_FILE)}) and an id column (one of {', '.join(_ID)}), e.g. "
            "file,student_id,name")
    roster: dict[str, Student] = {}
    for line, row in enumerate(body, start=2):
        if not any(cell.strip() for cell in row):
            continue
        name = PurePath(_cell(row, i_file)).name
        if not name:
            raise InvalidArgumentError(f"the roster {str(path)!r}, line {line}: no file name")
        if name in roster:
            raise InvalidArgumentError(f"the roster {str(path)!r} lists {name!r} twice "
                                       f"(again on line {line})")
        roster[name] = Student(clean(_cell(row, i_id), 100), clean(_cell(row, i_name), 200))
    return roster


def student_of(submission: str, roster: dict[str, Student] | None) -> Student:
    """The student who handed in ``submission`` (a path as given to the grader)."""
    path = PurePath(submission)
    if roster:
        for key in (path.name, path.stem):
            if key in roster:
                return roster[key]
    return Student(clean(path.stem, 100), "", on_roster=False)
