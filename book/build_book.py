"""Build the course book: a static HTML site of the lectures (run, with every output) and
the exercises (to fill in), with Colab, Kaggle and download links on every page.

    python book/build_book.py              # what `make book` runs; prints index.html's path last
    python book/build_book.py --out DIR    # site in DIR/html (default book/_build)

Lectures are executed by book/execute.py, the executor the notebook tests use, and kept in
OUT/executed keyed by the notebook's and gdcourse's content, so a rebuild runs only what
changed. The book itself (Jupyter Book 1.x: Sphinx, myst-nb, sphinx-book-theme) executes
nothing: it renders the staged notebooks in OUT/src. Offline: nothing is fetched.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import nbformat

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
sys.path.insert(0, str(BOOK))
import home  # noqa: E402
from execute import Executed, execute  # noqa: E402

BUILD = BOOK / "_build"
LECTURES = sorted((ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))


def _fingerprint(path: Path) -> str:
    """What a lecture's outputs depend on: the notebook, gdcourse's code, the executor."""
    digest = hashlib.sha256(path.read_bytes())
    for source in sorted((ROOT / "gdcourse").rglob("*.py")) + [BOOK / "execute.py"]:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def cached(cache: Path, run: Callable[[Path], Executed] = execute) -> Callable[[Path], Executed]:
    """``run`` that keeps each executed notebook in ``cache`` and reuses it while neither
    the notebook nor gdcourse changed."""
    def run_cached(path: Path) -> Executed:
        path, key = Path(path), _fingerprint(Path(path))
        kept = cache / path.name
        if kept.exists():
            nb = nbformat.read(kept, as_version=4)
            meta = nb.metadata.get("gdcourse_book", {})
            if meta.get("fingerprint") == key:
                return Executed(nb, meta.get("seconds", 0.0))
        done = run(path)
        done.nb.metadata["gdcourse_book"] = {"fingerprint": key, "seconds": done.seconds}
        cache.mkdir(parents=True, exist_ok=True)
        nbformat.write(done.nb, kept)
        print(f"executed {path.name}: {done.seconds:.1f} s, {done.figures} figures, "
              f"{done.animations} animations", flush=True)
        return done
    return run_cached


_WIDGET = "application/vnd.jupyter.widget-view+json"


def freeze_widgets(nb: nbformat.NotebookNode) -> int:
    """Replace each widget by what a page without a kernel can show; returns the count.

    A widget needs JavaScript from a CDN and a kernel to draw, so offline the page would
    show nothing where the student's Jupyter showed it. An output that carries its own
    static view besides the widget (the lr explorer: text/html with an image, image/png)
    keeps that view and loses only the widget. tqdm's progress bars carry none: each is
    written as the text of its last state,
    ``train:  83%|████████▎ | 829/1000 [00:00<00:00, 7558.22step/s]``.

    The count is the progress value's, not the text's: tqdm sets the value at every draw,
    its close included, but the text only at a redraw, so a bar closed between redraws
    (tqdm's ``leave=False``, redraws at most every 0.1 s) keeps text from before its end
    ("0/1000" for a finished run). Such a stale text gets the value's count and percentage,
    without its elapsed time and rate, which were those of the earlier redraw.
    """
    state = nb.metadata.pop("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    frozen = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(_WIDGET)
            if view is None:
                continue
            frozen += 1
            if set(out["data"]) - {_WIDGET, "text/plain"}:  # a static view of its own
                del out["data"][_WIDGET]
                continue
            text = _bar_text(view.get("model_id", ""), state) or out["data"].get("text/plain", "")
            out["data"] = {"text/plain": text}
    return frozen


_COUNT = re.compile(r"(\d+)/(\d+)")


def _bar_text(model_id: str, state: dict) -> str:
    box = state.get(model_id, {}).get("state", {})
    parts: list[str | None] = []
    value = top = None
    for child in box.get("children", []):
        model = state.get(child.replace("IPY_MODEL_", ""), {})
        values = model.get("state", {})
        if model.get("model_name") == "HTMLModel":
            parts.append(html.unescape(values.get("value", "")).replace("\u2007", " "))
        elif model.get("model_name") == "FloatProgressModel":
            parts.append(None)
            value, top = values.get("value", 0), values.get("max") or 1
    if None not in parts or value is None or top is None:
        return ""
    fraction = min(max(value / top, 0.0), 1.0)
    shown = _COUNT.search("".join(p for p in parts if p))
    if shown and int(shown.group(2)) == round(top) and int(shown.group(1)) != round(value):
        parts = _restated(parts, round(value), round(top))  # the text is stale
    elif shown and int(shown.group(2)):
        fraction = min(int(shown.group(1)) / int(shown.group(2)), 1.0)
    eighths = round(fraction * 80)
    bar = "█" * (eighths // 8) + (" ▏▎▍▌▋▊▉"[eighths % 8] if eighths % 8 else "")
    return "".join(p if p is not None else f"|{bar:<10}|" for p in parts)


def _restated(parts: list[str | None], n: int, total: int) -> list[str | None]:
    """The bar's texts at n of total: count and percentage; the stale [elapsed, rate] go."""
    percent = 100 * n // total
    out: list[str | None] = []
    for part in parts:
        if part is not None:  # the percentage keeps its width: "train:   0%" -> "train: 100%"
            part = re.sub(r"\s*\d+%$", lambda m: f"{percent:>{len(m.group(0)) - 1}}%", part)
            part = _COUNT.sub(f"{n}/{total}", re.sub(r"\s*\[[^\]]*\]", "", part), count=1)
        out.append(part)
    return out


def title(nb: nbformat.NotebookNode) -> str:
    """The notebook's first markdown heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if found:
                return found.group(1).strip()
    return "untitled"


def _short(heading: str) -> str:
    """'Lecture 01 — Gradient descent by hand' -> 'Gradient descent by hand'."""
    short = re.sub(r"^(lecture|exercise)\s+\d+\s*[:—–-]\s*", "", heading, flags=re.I)
    return short[:1].upper() + short[1:]


def _table(pages: dict[str, dict]) -> str:
    rows = {}
    for name, page in pages.items():
        number = Path(name).name[:2]
        link = f"[{_short(page['title'])}]({page['repo_path']})"
        launch = (f"[Colab]({home.colab_url(page['repo_path'], home=page['home'])}) · "
                  f"[Kaggle]({home.kaggle_url(page['repo_path'], home=page['home'])})")
        rows.setdefault(number, {})[page["kind"]] = f"{link} ({launch})"
    lines = ["| # | lecture | exercise |", "|---|---|---|"]
    lines += [f"| {n} | {r.get('lecture', '')} | {r.get('exercise', '')} |"
              for n, r in sorted(rows.items())]
    return "\n".join(lines)


def _landing(pages: dict[str, dict], url: str) -> str:
    text = (BOOK / "intro.md").read_text(encoding="utf-8")
    version = re.search(r'^version\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(),
                        re.M).group(1)
    tag = f"v{version}"
    fills = {
        "@@LECTURE_TABLE@@": _table(pages),
        "@@INSTALL_LINE@@": home.install_line(home=url),
        "@@TAG_INSTALL_LINE@@": home.install_line(home=url, ref=tag),
        "@@LAPTOP_INSTALL@@": f'pip install "gdcourse[lectures] @ git+{url}@{tag}"',
        "@@REPOSITORY@@": url,
    }
    for key, value in fills.items():
        text = text.replace(key, value)
    return text


def stage(src: Path, *, run: Callable[[Path], Executed], lectures: list[Path],
          exercises: list[Path], url: str) -> dict[str, dict]:
    """Write the book's sources into ``src``: executed lectures, exercises as committed,
    the landing page, _toc.yml, _config.yml (with the repository address) and the manifest
    the extension reads. Returns the manifest: docname -> page."""
    if src.exists():
        shutil.rmtree(src)
    pages: dict[str, dict] = {}
    for kind, folder, paths in (("lecture", "lectures", lectures),
                                ("exercise", "exercises", exercises)):
        for path in paths:
            path = Path(path).resolve()
            nb = copy.deepcopy(run(path).nb) if kind == "lecture" else nbformat.read(
                path, as_version=4)
            nb.metadata.pop("gdcourse_book", None)
            freeze_widgets(nb)
            repo_path = f"{folder}/{path.name}"
            (src / folder).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, src / repo_path)
            pages[f"{folder}/{path.stem}"] = {"kind": kind, "repo_path": repo_path,
                                              "download": str(path), "title": title(nb),
                                              "home": url}
    (src / "intro.md").write_text(_landing(pages, url), encoding="utf-8")
    toc = ["format: jb-book", "root: intro", "parts:"]
    for caption, kind in (("Lectures", "lecture"), ("Exercises", "exercise")):
        names = [name for name, page in pages.items() if page["kind"] == kind]
        if names:
            toc += [f"  - caption: {caption}", "    chapters:"]
            toc += [f"      - file: {name}" for name in names]
    (src / "_toc.yml").write_text("\n".join(toc) + "\n", encoding="utf-8")
    manifest = src / "_gdcourse_pages.json"
    manifest.write_text(json.dumps(pages, indent=1), encoding="utf-8")
    config = (BOOK / "_config.yml").read_text(encoding="utf-8")
    config = re.sub(r'^(\s+url:\s*)""', lambda m: f'{m.group(1)}"{url}"', config, count=1,
                    flags=re.M)
    config = config.replace("gdcourse_book: _ext", f'gdcourse_book: "{BOOK / "_ext"}"')
    config = config.replace("  config:\n", f'  config:\n    gdcourse_manifest: "{manifest}"\n', 1)
    (src / "_config.yml").write_text(config, encoding="utf-8")
    return pages


def build(out: Path = BUILD, *, run: Callable[[Path], Executed] | None = None,
          lectures: list[Path] = LECTURES, exercises: list[Path] = EXERCISES,
          url: str | None = None, quiet: bool = True) -> Path:
    """Stage and build the book into ``out``/html; return the path of its index.html.

    ``run(path) -> Executed`` executes a lecture (default: book/execute.py, cached in
    ``out``/executed); ``url`` is the repository the launch links open (default: the
    project's home address in pyproject.toml).
    """
    out = Path(out).resolve()
    run = run or cached(out / "executed")
    url = url or home.repository()
    src = out / "src"
    stage(src, run=run, lectures=lectures, exercises=exercises, url=url)
    html = out / "html"
    shutil.rmtree(html, ignore_errors=True)
    script = ("import sys; from jupyter_book.sphinx import build_sphinx; "
              "sys.exit(build_sphinx(sys.argv[1], sys.argv[2], noconfig=True, "
              "path_config=sys.argv[3], use_external_toc=True, freshenv=True, "
              "confoverrides={'latex_individualpages': False}, "
              "doctreedir=sys.argv[4], quiet=sys.argv[5] == '1'))")
    done = subprocess.run([sys.executable, "-c", script, str(src), str(html),
                           str(src / "_config.yml"), str(out / "doctrees"),
                           "1" if quiet else "0"], cwd=src, capture_output=quiet, text=True)
    if done.returncode:
        raise RuntimeError(f"the book did not build (exit {done.returncode}):\n"
                           f"{(done.stdout or '')[-3000:]}{(done.stderr or '')[-3000:]}")
    return html / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BUILD, help="build folder (site in OUT/html)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    index = build(args.out, quiet=False)
    print(f"built the book in {time.perf_counter() - start:.0f} s", flush=True)
    print(index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
