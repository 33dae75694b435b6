"""What ``gdcourse grade`` prints as each submission finishes.

    show = printer(paths, verbose=False)
    grade(paths, exercise="02", progress=show)    # one line per submission, as it finishes

On a terminal each line carries an n/N counter and a name column as wide as the class's
longest path (cut in the middle when the terminal is too narrow); piped, each line is the
plain ``summary_line`` (or the full report with ``verbose``), as it always was, for whatever
reads it.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from typing import Any

from .report import progress_line, progress_width, say, summary_line, text_report

__all__ = ["printer"]


def printer(names: list[str], *, verbose: bool) -> Callable[[Any], None]:
    """What prints each result as it finishes. On a terminal: an n/N counter and a name
    column sized to the class (a path too long for the terminal loses its middle); piped,
    the lines stay as they always were, for whatever reads them."""
    count, done = len(names), [0]
    columns = shutil.get_terminal_size().columns
    width = progress_width(names, count, columns) if _on_terminal() else None

    def show(result: Any) -> None:
        done[0] += 1    # the runner calls this under its lock, one result at a time
        try:
            if width is None:
                say(text_report(result) if verbose else summary_line(result))
            elif verbose:
                say(f"[{done[0]}/{count}] " + text_report(result))
            else:
                say(progress_line(result, done[0], count, name_width=width,
                                  columns=columns))
        except Exception as err:   # progress is called from the grading threads
            say(f"(could not print the result of one submission: {type(err).__name__})")

    return show


def _on_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):   # replaced or closed stdout: treat as piped
        return False
