"""Which submissions share code: a similarity report for the instructor, built on copydetect.

    from gdcourse.grading.outputs.similarity import similarity_report
    pairs = similarity_report(files, Path("similarity"),
                              scaffold=[Path("exercises/06_momentum_adam.py"),
                                        Path("exercises/06_momentum_adam.ipynb")])

or from a shell, ``python -m gdcourse.grading.outputs.similarity DIR FILE... --scaffold S``.
It writes ``DIR/pairs.csv`` (every pair, most similar first) and ``DIR/report.html`` (the
top pairs side by side, the shared regions marked; one file, nothing loaded from the net).

How a score comes about (copydetect 0.5.0, the winnowing method of MOSS: Schleimer,
Wilkerson and Aiken, 2003):

1. The code of a submission is read: a ``.py`` file, or a notebook's code cells without
   their ``%`` and ``!`` lines. Every line that also occurs in the scaffold (compared
   without indentation) is set aside: what the students were given is nobody's work.
2. The student's own lines are tokenized by Pygments: comments and white space are
   dropped, every name becomes ``V``, function names ``F``, class names ``O``, strings
   ``S``. Renamed variables, new comments and new line breaks change nothing.
3. Every run of ``noise`` characters of that text (a k-gram, k = ``noise``) is hashed,
   and a k-gram that also occurs in the scaffold is dropped (copydetect's boilerplate).
   A match is a k-gram two submissions share, wherever it stands in each file, so
   reordered functions match as well as ordered ones.
4. For a pair (a, b), ``shared_a`` is the number of a's characters that lie in matched
   k-grams, ``own_a`` the number that lie in any k-gram, likewise for b, and

       similarity(a, b) = max(shared_a / max(own_a, min_chars),
                              shared_b / max(own_b, min_chars))

   The larger side counts, so that one who copied and then added code of their own still
   shows through the other's share; ``min_chars`` keeps two answers of a few lines from
   reaching 1.0.

What it can tell: two submissions share long runs of the same tokens, which people seldom
write apart. What it cannot tell: whether that came from copying, or who copied whom. On
an exercise whose answers are a few lines, honest students write the same
``for p in self.params: p.grad = None``; such pairs score in the tens of percent, and the
pair to look at is one far above the rest, not one above a fixed threshold. A submission
with less than ``min_chars`` of its own code is scored as if it had ``min_chars``, so it
cannot score high however much of it matches.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from ...errors import MissingExtraError
from ..safetext import cell_safe, clean

__all__ = ["Pair", "similarity_report", "read_code", "main"]

PathArg = Union[str, "os.PathLike[str]"]

NOISE = 25       # shortest match that counts, in normalized characters (copydetect's default)
MIN_CHARS = 200  # own code is counted as at least this long (about five lines of a loop)
SHOW = 20        # pairs shown side by side in report.html (pairs.csv has them all)


@dataclass(frozen=True)
class Pair:
    """Two submissions and how much code they share (``similarity`` in [0, 1])."""

    submission_a: str
    submission_b: str
    similarity: float
    shared_a: float   # share of a's own (not scaffold) code found in b
    shared_b: float   # share of b's own code found in a


def read_code(path: PathArg) -> str:
    """The Python code of a ``.py`` file or of a notebook's code cells (read with json).

    Lines that start with ``%`` or ``!`` (IPython magics, shell commands) are dropped.

    Raises:
        ValueError: the file is neither ``.py`` nor ``.ipynb``, or not a readable notebook.
    """
    path = Path(path)
    if path.suffix not in (".py", ".ipynb"):
        raise ValueError(f"{path} is neither .py nor .ipynb; give the students' code files")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".py":
        return text
    try:
        cells = json.loads(text)["cells"]
        sources = ["".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code"]
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"{path} is not a readable notebook ({err})") from None
    kept = [line for src in sources for line in src.splitlines()
            if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(kept) + "\n"


@dataclass
class _Submission:
    code: str                          # what read_code gave: the text shown in the report
    spans: list[tuple[int, int, int]]  # (start in own, start in code, length) per own line
    given: set[int]                    # numbers of the lines dropped (scaffold or blank)
    fingerprint: Any                   # copydetect.CodeFingerprint of the own lines


def _copydetect() -> Any:
    try:
        import copydetect  # type: ignore[import-untyped]
    except ImportError:
        raise MissingExtraError("the similarity report needs copydetect: pip install "
                                "'gdcourse[instructor]' (or pip install copydetect)") from None
    return copydetect


def _fingerprint(name: str, code: str, noise: int, boilerplate: Any = None) -> Any:
    # win_size=1 keeps every k-gram (no winnowing): copydetect hashes with Python's salted
    # hash(), and winnowing would then keep other k-grams, and give other scores, each run.
    return _copydetect().CodeFingerprint(name, noise, 1, boilerplate=boilerplate,
                                         language="python", fp=io.StringIO(code))


def _read(path: Path, given: set[str], noise: int, boilerplate: Any) -> _Submission:
    """Fingerprint only the student's own lines: a line also in the scaffold is dropped.

    Without this, a k-gram that starts in given code and ends in a student's first
    characters (``self.v = ``) survives the boilerplate filter, and such seams made two
    honest solutions of exercise 06 look 46% alike (alice and dan in the tests' class;
    23% with it).
    """
    code, own, spans, dropped, at, own_at = read_code(path), [], [], set(), 0, 0
    for number, line in enumerate(code.splitlines(keepends=True)):
        if line.strip() and line.strip() not in given:
            spans.append((own_at, at, len(line)))
            own.append(line)
            own_at += len(line)
        else:
            dropped.add(number)
        at += len(line)
    own_print = _fingerprint(str(path), "".join(own), noise, boilerplate)
    return _Submission(code, spans, dropped, own_print)


def _in_code(sub: _Submission, slices: Any) -> list[tuple[int, int]]:
    """Matched slices of the own text -> ranges of ``sub.code``, cut at dropped lines."""
    out = []
    for start, end in zip(*slices):
        for own_at, code_at, length in sub.spans:
            lo, hi = max(int(start), own_at), min(int(end), own_at + length)
            if lo < hi:
                out.append((code_at + lo - own_at, code_at + hi - own_at))
    return out


def _compare(submissions: Sequence[Path], scaffold: Sequence[Path], *, noise: int,
             min_chars: int) -> tuple[list[Pair], dict[str, _Submission], dict[str, str]]:
    """Every pair, most similar first; the submissions read; those that could not be."""
    import numpy as np

    compare_files = _copydetect().compare_files
    codes = [read_code(path) for path in scaffold]
    given = {line.strip() for code in codes for line in code.splitlines()}
    boilerplate = np.unique(np.array(
        [h for path, code in zip(scaffold, codes)
         for h in _fingerprint(str(path), code, noise).hashes], dtype=np.int64))
    subs, skipped = {}, {}
    for path in submissions:
        try:
            subs[str(path)] = _read(path, given, noise, boilerplate)
        except (OSError, ValueError) as err:
            skipped[str(path)] = str(err)
    names, pairs = list(subs), []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            fa, fb = subs[a].fingerprint, subs[b].fingerprint
            _, (sim_a, sim_b), _ = compare_files(fa, fb)
            # copydetect's sim is shared / own; own code shorter than min_chars counts as
            # min_chars, so that two answers of three lines cannot reach 1.0.
            shared_a = float(sim_a * fa.token_coverage / max(fa.token_coverage, min_chars))
            shared_b = float(sim_b * fb.token_coverage / max(fb.token_coverage, min_chars))
            pairs.append(Pair(a, b, max(shared_a, shared_b), shared_a, shared_b))
    pairs.sort(key=lambda p: (-p.similarity, p.submission_a, p.submission_b))
    return pairs, subs, skipped


def similarity_report(submissions: Sequence[PathArg], out_dir: PathArg, *,
                      scaffold: PathArg | Sequence[PathArg] | None = None, noise: int = NOISE,
                      min_chars: int = MIN_CHARS, show: int = SHOW) -> list[Pair]:
    """Compare every pair of submissions; write ``out_dir/pairs.csv`` and ``report.html``.

    Args:
        submissions: ``.py`` and ``.ipynb`` files, one per student; a file that cannot be
            read is left out and named in the report.
        out_dir: created if missing.
        scaffold: the file(s) the students started from (give both the ``.py`` and the
            ``.ipynb`` when both were handed out); their code is discounted.
        noise: shortest match that counts, in normalized characters (k of the k-grams).
        min_chars: own code shorter than this is counted as this long.
        show: how many of the top pairs report.html shows side by side.

    Returns:
        Every pair of readable submissions, most similar first. pairs.csv holds the same
        (UTF-8 with a byte-order mark; ``similarity`` as a fraction with 3 decimals).

    Raises:
        ValueError: ``noise`` or ``min_chars`` below 1, or a scaffold that cannot be read.
        MissingExtraError: copydetect is missing (``pip install 'gdcourse[instructor]'``).
    """
    if noise < 1 or min_chars < 1:
        raise ValueError(f"noise and min_chars must be at least 1, got {noise} and {min_chars}")
    if scaffold is None:
        given = []
    elif isinstance(scaffold, (str, os.PathLike)):
        given = [Path(scaffold)]
    else:
        given = [Path(s) for s in scaffold]
    pairs, subs, skipped = _compare([Path(s) for s in submissions], given, noise=noise,
                                    min_chars=min_chars)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "pairs.csv", "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["submission_a", "submission_b", "similarity"])
        # A file named "=cmd|...": no cell may start a formula (as in the gradebook).
        writer.writerows([cell_safe(p.submission_a, 1000), cell_safe(p.submission_b, 1000),
                          f"{p.similarity:.3f}"] for p in pairs)
    intro = (f"{len(subs)} submissions, {len(pairs)} pairs; scaffold discounted: "
             f"{', '.join(map(str, given)) or 'none given'}; noise={noise}, "
             f"min_chars={min_chars}.")
    page = _page(pairs, subs, skipped, intro=intro, show=show)
    (out_dir / "report.html").write_text(page, encoding="utf-8")
    return pairs


_STYLE = """body{font:15px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}
.sbs{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px}
pre{font:12px/1.35 ui-monospace,monospace;background:#fafafa;border:1px solid #ddd;padding:6px;
overflow-x:auto}.shared{background:#ffc8bd}.given{color:#aaa}"""


def _lines(code: str, ranges: list[tuple[int, int]], given: set[int]) -> str:
    """``code`` as HTML, one class per line: ``shared`` where most of the line's characters
    lie in matched ranges, ``given`` for lines left out (scaffold, blank).

    Whole lines, because copydetect maps matches back to the text only to within a few
    characters (a mark would start inside ``None``); a line is marked when at least half of
    its non-blank characters are matched.
    """
    matched = bytearray(len(code))
    for start, end in ranges:
        matched[start:end] = b"\x01" * (end - start)
    out, at = [], 0
    for number, line in enumerate(code.splitlines(keepends=True)):
        chars = [k for k, c in enumerate(line, at) if not c.isspace()]
        hits = sum(matched[k] for k in chars)
        kind = "given" if number in given else "shared" if 2 * hits >= len(chars) else "own"
        out.append(f'<span class="{kind}">{html.escape(line)}</span>')
        at += len(line)
    return "".join(out)


def _anchor(k: int) -> str:
    return f'<a href="#pair-{k}">{k}</a>'


def _page(pairs: list[Pair], subs: dict[str, _Submission], skipped: dict[str, str], *,
          intro: str, show: int) -> str:
    def esc(text: object, limit: int = 2000) -> str:
        # Names and notes come from the class: a surrogate from a non-UTF-8 file name must
        # not stop the report, nor a newline break a heading.
        return html.escape(clean(text, limit))

    show = sum(1 for p in pairs[:show] if p.similarity > 0)   # nothing to see in a 0
    rows = "".join(
        f"<tr><td>{_anchor(k) if k <= show else k}</td><td>{esc(p.submission_a)}</td>"
        f"<td>{esc(p.submission_b)}</td>"
        f"<td>{p.similarity:.1%}</td><td>{p.shared_a:.1%}</td><td>{p.shared_b:.1%}</td></tr>"
        for k, p in enumerate(pairs[:200], 1))
    parts = [f"<h1>Code similarity</h1><p>{esc(intro)}</p>"]
    if skipped:
        parts.append("<p>Not compared:</p><ul>" + "".join(
            f"<li>{esc(k)}: {esc(v)}</li>" for k, v in skipped.items()) + "</ul>")
    parts.append(f"<p>{esc(_READING)}</p><table><tr><th>#</th><th>a</th><th>b</th>"
                 f"<th>similarity</th><th>of a's own code</th><th>of b's own code</th></tr>"
                 f"{rows}</table><p>pairs.csv has all {len(pairs)} pairs.</p>")
    for k, p in enumerate(pairs[:show], 1):
        a, b = subs[p.submission_a], subs[p.submission_b]
        # The matched slices again, for the few pairs shown (a class of 100 has 4950).
        _, _, slices = _copydetect().compare_files(a.fingerprint, b.fingerprint)
        sides = []
        for name, share, sub, own in ((p.submission_a, p.shared_a, a, slices[0]),
                                      (p.submission_b, p.shared_b, b, slices[1])):
            matched = _in_code(sub, own)
            sides.append(f"<div><h3>{esc(name)}: {share:.1%} of its own code</h3>"
                         f"<pre>{_lines(sub.code, matched, sub.given)}</pre></div>")
        parts.append(f'<h2 id="pair-{k}">{k}. {esc(p.submission_a)} and '
                     f'{esc(p.submission_b)}: {p.similarity:.1%}</h2>'
                     f'<div class="sbs">{"".join(sides)}</div>')
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Code similarity</title><style>{_STYLE}</style></head><body>"
            f"{''.join(parts)}</body></html>\n")


_READING = ("Red: lines in runs of tokens both files share (names, comments and layout "
            "ignored). Grey: lines of the scaffold, left out of the comparison. A high "
            "score says the two share long runs of code; it does not say who wrote it. "
            "On short answers honest students converge: look for a pair far above the "
            "others.")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gdcourse.grading.outputs.similarity DIR FILE... [--scaffold PATH]...``"""
    parser = argparse.ArgumentParser(prog="gdcourse-similarity", description=__doc__.split(
        "\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path, metavar="DIR")
    parser.add_argument("submissions", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--scaffold", action="append", type=Path, default=[], metavar="PATH")
    parser.add_argument("--noise", type=int, default=NOISE)
    parser.add_argument("--min-chars", type=int, default=MIN_CHARS)
    args = parser.parse_args(argv)
    pairs = similarity_report(args.submissions, args.out_dir, scaffold=args.scaffold,
                              noise=args.noise, min_chars=args.min_chars)
    for p in pairs[:5]:
        print(f"{p.similarity:6.1%}  {p.submission_a}  {p.submission_b}")
    print(f"{len(pairs)} pair(s): {args.out_dir / 'pairs.csv'}, {args.out_dir / 'report.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
