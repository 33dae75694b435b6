"""Is the course book readable by everyone? axe-core's WCAG checks and the figures' scale.

    python book/a11y.py book/_build/html          # every page: violations, shrunk figures

Two checks of a page as Chromium lays it out in a typical 1280 x 900 window
(``browser.Browser.evaluate``):

- ``violations``: axe-core (the npm package, installed in node_modules by ``npm ci``: `make
  test`, `make book` and .ci/run do it) run with the WCAG 2.1 A and AA rules; each
  violation with its rule id, impact and the elements (CSS selectors) it found.
- ``shrunk_figures``: every output image whose displayed width is under ``MIN_SCALE`` of its
  natural width. Figures are drawn at 100 dpi, so one pixel of the PNG is one CSS pixel at
  scale 1; shown at 0.9 of that, text set at 10 pt reads as 9 pt, the book's floor. Each
  is reported with its page and the notebook cell that drew it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
MIN_SCALE = 0.9  # displayed / natural width: 10 pt text must stay >= 9 pt on the page
WIDTH, HEIGHT = 1280, 900  # a typical laptop window

# An image's file name (with or without folders) or a bare hash: what Sphinx writes as alt
# text when a notebook gives none, and what a screen reader would read out.
FILE_NAME = re.compile(r"^[\w./\\-]*\.(png|jpe?g|gif|svg|pdf|webp)$|^[0-9a-f]{16,}$", re.I)

# Folders of the built site that hold no pages a reader opens.
_NOT_PAGES = ("_static", "_sources", "_notebooks", "_images")

_RUN_AXE = """
axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160)})),
  })))
"""

# The cell that drew a figure: MyST-NB's cell container, given id "cell-N" by the book's
# extension (N counts the notebook's cells from 0, as nbformat does).
_FIGURE_SCALES = """
new Promise(resolve => setTimeout(() => resolve(
  [...document.querySelectorAll('.cell_output img')]
    .filter(img => img.complete && img.naturalWidth > 0)
    .map(img => ({
      cell: (img.closest('[id^="cell-"]') || {id: '?'}).id,
      alt: img.getAttribute('alt'),
      natural: img.naturalWidth,
      shown: Math.round(img.getBoundingClientRect().width),
      column: Math.round((img.closest('article') || document.body).clientWidth),
    }))), 300))
"""


# Code and text that the reader would have to scroll sideways to read.
_OVERFLOWING = """
[...document.querySelectorAll('article pre, article .cell_output, article table')]
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => ({cell: (el.closest('[id^="cell-"]') || {id: 'text'}).id, tag: el.tagName,
               width: el.scrollWidth, column: el.clientWidth,
               start: el.textContent.trim().slice(0, 60)}))
"""


def axe_source() -> str | None:
    """axe-core's script, or None when ``npm ci`` has not installed it."""
    return AXE.read_text(encoding="utf-8") if AXE.is_file() else None


def pages(site: Path) -> list[Path]:
    """Every HTML page of a built book a reader can open (not the redirect index.html)."""
    found = []
    for page in sorted(Path(site).rglob("*.html")):
        parts = page.relative_to(site).parts
        redirect = 'http-equiv="refresh"' in page.read_text(encoding="utf-8").lower()
        if parts[0] in _NOT_PAGES or redirect:
            continue
        found.append(page)
    return found


# The theme's dark colours (what a reader whose system prefers dark sees), set as its
# colour-mode button sets them.
_DARK = """
document.documentElement.dataset.theme = 'dark'; document.documentElement.dataset.mode = 'dark';
new Promise(resolve => setTimeout(resolve, 300))
"""


def check(browser, page: Path, *, axe: str | None = None, dark: bool = False) -> dict:
    """axe-core's WCAG 2.1 A/AA violations and the shrunk figures of one page (in the
    theme's dark colours if ``dark``).

    Returns ``{"violations": [{id, impact, help, nodes: [{target, html}]}],
    "figures": [{cell, alt, natural, shown, column}], "shrunk": [...the figures below
    MIN_SCALE], "unnamed": [...the figures whose alt is empty or a file name],
    "overflowing": [{cell, tag, width, column, start}]}`` (code, outputs and tables wider
    than the column). Raises FileNotFoundError when axe-core is not installed.
    """
    axe = axe or axe_source()
    if axe is None:
        raise FileNotFoundError(f"{AXE} is missing: run `npm ci` in {ROOT}")
    *_, violations, figures, overflowing = browser.evaluate(
        page, axe + "\n;0", *([_DARK] if dark else []), _RUN_AXE % json.dumps(list(TAGS)),
        _FIGURE_SCALES, _OVERFLOWING, width=WIDTH, height=HEIGHT)
    shrunk = [f for f in figures if f["shown"] < MIN_SCALE * f["natural"]]
    unnamed = [f for f in figures if not (f["alt"] or "").strip() or FILE_NAME.match(f["alt"])]
    return {"violations": violations, "figures": figures, "shrunk": shrunk,
            "unnamed": unnamed, "overflowing": overflowing}


def describe(page: str, seen: dict) -> list[str]:
    """One line per problem: 'page: rule (impact): target' and 'page cell-N: figure ...'."""
    lines = [f"{page}: {v['id']} ({v['impact']}): {n['target']}  {n['html']}"
             for v in seen["violations"] for n in v["nodes"]]
    lines += [f"{page} {f['cell']}: figure {f['natural']} px wide shown at {f['shown']} px "
              f"({f['shown'] / f['natural']:.2f} of its size, floor {MIN_SCALE}; the column "
              f"is {f['column']} px)" for f in seen["shrunk"]]
    lines += [f"{page} {f['cell']}: figure's alt text is {f['alt']!r}, not a description"
              for f in seen["unnamed"]]
    lines += [f"{page} {o['cell']}: {o['tag']} {o['width']} px wide in a {o['column']} px "
              f"column scrolls sideways: {o['start']!r}" for o in seen["overflowing"]]
    return lines


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from browser import Browser

    site = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "book" / "_build" / "html")
    total, counts = 0, {}
    with Browser() as browser:
        for page in pages(site):
            seen = check(browser, page)
            name = str(page.relative_to(site))
            for line in describe(name, seen):
                print(line)
            n = sum(len(v["nodes"]) for v in seen["violations"])
            counts[name] = (n, len(seen["shrunk"]), len(seen["figures"]),
                            len(seen["overflowing"]))
            total += n
    for name, (n, shrunk, figures, wide) in counts.items():
        print(f"{name}: {n} violations, {shrunk} of {figures} figures shrunk, "
              f"{wide} blocks scroll sideways")
    print(f"{total} violations on {sum(1 for c in counts.values() if c[0])} of "
          f"{len(counts)} pages")
