"""Text from a submission, made safe to show: one rule for every string a child sends.

A child's strings (exception messages, printed output, file names) reach terminals, CSV
files, reports and Gradescope's JSON. ``clean`` turns any of them into printable text of
bounded length that every writer can encode: lone surrogates and undecodable bytes become
U+FFFD, control characters (terminal escapes, carriage returns) become visible escapes,
newlines become ' / ' unless the caller keeps them, and long text is cut with an ellipsis.
"""

from __future__ import annotations

import unicodedata

__all__ = ["clean", "cell_safe"]

REPLACEMENT = "\ufffd"


def clean(text: object, limit: int = 300, *, keep_newlines: bool = False) -> str:
    """``text`` as printable, encodable text of at most ``limit`` characters.

    >>> clean("bad\\ud800 \\x1b[32m[pass]\\nnext")
    'bad\\ufffd \\\\x1b[32m[pass] / next'
    >>> clean("x" * 10, limit=5)
    'xxxx…'
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    elif not isinstance(text, str):
        try:
            text = str(text)
        except Exception:  # a hostile __str__ must not crash the caller
            text = f"<{type(text).__name__} that cannot be shown>"
    out = []
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            out.append(REPLACEMENT)
        elif ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch in "\r\n":
            out.append(" / " if ch == "\n" else "")
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    result = "".join(out)
    return result if len(result) <= limit else result[: max(limit - 1, 0)] + "…"


def cell_safe(text: object, limit: int = 300) -> str:
    """``clean`` for one spreadsheet cell: a leading = + - @ cannot start a formula.

    >>> cell_safe("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    """
    result = clean(text, limit)
    return "'" + result if result[:1] in ("=", "+", "-", "@") else result
