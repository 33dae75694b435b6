"""Sphinx extension of the course book: launch links a student sees on every notebook page.

sphinx-book-theme's launch menu knows Colab but not Kaggle. On each lecture and exercise
page this adds Kaggle to that menu, and puts a row of links under the title: Open in Colab,
Open in Kaggle, Download the notebook (the clean .ipynb from the repository, copied next to
the site). Exercise pages also say how to do the exercise. Links come from book/home.py.

Reads ``gdcourse_manifest`` (written by book/build_book.py): for each page, the repository path
that Colab and Kaggle open, the notebook file to offer for download, and its kind.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sys
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import home  # noqa: E402  (book/home.py: the project's one home address)

# matplotlib's to_jshtml() styles its buttons with Font Awesome from a CDN; the theme
# already ships Font Awesome, so the page needs nothing from the network.
_CDN_FONT_AWESOME = re.compile(r'<link[^>]*href="https://maxcdn\.bootstrapcdn\.com/font-awesome'
                               r'[^>]*>\s*')


_LOG = logging.getLogger(__name__)

# matplotlib's to_jshtml() player: a frame <img> with no alt, a frame slider with no label.
_PLAYER_IMG = re.compile(r'<img id="(_anim_img\w+)"(?![^>]*\balt=)')
_PLAYER_SLIDER = re.compile(r'<input id="(_anim_slider\w+)" type="range"(?![^>]*aria-label)')


# A code block as Pygments writes it: Sphinx's highlighted cells, outputs and listings.
_CODE_BLOCK = re.compile(r'(<div class="highlight"><pre>)(.*?)(</pre>)', re.S)
_TAG_OR_TEXT = re.compile(r"(<[^>]+>)")
_MAX_INDENT = 40  # characters; deeper indentation hangs no further


def _lines(code: str) -> str:
    """Pygments' HTML of a code block with each line in its own ``<span class="gd-line">``.

    The book's CSS wraps long lines (instead of scrolling sideways) and hangs each wrapped
    row under its line's own indentation plus four: class ``gd-iN`` says the indentation is
    N characters (a class, not a style attribute: axe-core inspects every inline style). A
    token spanning lines (a docstring) is closed at each line's end and opened again on the
    next, so the tags stay nested. The newlines stay as text between the spans: copying the
    block (sphinx-copybutton reads innerText) gives the same text.
    """
    lines, line, open_tags = [], [], []
    for piece in _TAG_OR_TEXT.split(code):
        if piece.startswith("<"):
            if piece.startswith("</span"):
                open_tags.pop()
            elif piece.startswith("<span") and not piece.endswith("/>"):
                open_tags.append(piece)
            line.append(piece)
            continue
        for k, text in enumerate(piece.split("\n")):
            if k:
                lines.append("".join(line) + "</span>" * len(open_tags))
                line = list(open_tags)
            line.append(text)
    last = "".join(line)
    if _TAG_OR_TEXT.sub("", last):
        lines.append(last + "</span>" * len(open_tags))
        last = ""
    out = []
    for html_line in lines:
        text = html.unescape(_TAG_OR_TEXT.sub("", html_line))
        indent = min(len(text) - len(text.lstrip(" ")), _MAX_INDENT)
        blank = " gd-blank" if not text.strip() else ""
        out.append(f'<span class="gd-line gd-i{indent}{blank}">{html_line}</span>')
    return "\n".join(out) + ("\n" + last if lines else last)


def _alt(cell: nodes.Element) -> str:
    """The alt text the notebook gives the cell's figures (cell metadata mystnb.image.alt)."""
    image = (cell.get("cell_metadata") or {}).get("mystnb", {}).get("image", {})
    return str(image.get("alt", "")).strip()


def _fallback_alt(cell: nodes.Element, docname: str) -> str:
    # Said so a reader knows what is missing; never the image's file name (a hash).
    _LOG.warning(f"{docname}: cell {cell['cell_index']} shows a figure without alt text "
                 "(cell metadata mystnb.image.alt)", location=cell)
    return (f"Figure drawn by the code in cell {cell['cell_index']} above; "
            "its text description has not been written yet.")


def _describe_figures(app, doctree):
    """Give each notebook cell an anchor ``cell-N`` and each figure a description.

    MyST-NB already sets the alt of a figure from the cell's ``mystnb.image.alt``; one
    without it would get its file name, a hash, from Sphinx, so it gets a fallback that
    says so. to_jshtml() animations are raw HTML: their frame image gets the same alt text
    and their slider a label, which a screen reader would otherwise not have.
    """
    docname = app.env.docname
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code":
            continue
        cell["ids"].append(f"cell-{cell['cell_index']}")
        alt = _alt(cell)
        for image in cell.findall(nodes.image):
            if not image.get("alt"):
                image["alt"] = alt or _fallback_alt(cell, docname)
        for raw in cell.findall(nodes.raw):
            text = raw.astext()
            if "new Animation(" not in text:
                continue
            described = html.escape(alt or _fallback_alt(cell, docname), quote=True)
            text = _PLAYER_IMG.sub(lambda m, d=described: f'<img id="{m.group(1)}" alt="{d}"',
                                   text)
            text = _PLAYER_SLIDER.sub(lambda m: f'<input id="{m.group(1)}" type="range" '
                                                'aria-label="Frame of the animation"', text)
            raw.replace_self(nodes.raw(text, text, format=raw.get("format", "html"),
                                       classes=raw.get("classes", [])))


def _pages(app) -> dict:
    if not hasattr(app, "_gdcourse_pages"):
        path = app.config.gdcourse_manifest
        app._gdcourse_pages = json.loads(Path(path).read_text()) if path else {}
    return app._gdcourse_pages


def _links(app, page: dict) -> dict[str, str]:
    options = app.config.html_theme_options
    url, ref = options.get("repository_url"), options.get("repository_branch")
    path = page["repo_path"]
    return {"colab": home.colab_url(path, home=url, ref=ref),
            "kaggle": home.kaggle_url(path, home=url, ref=ref),
            "github": home.github_url(path, home=url, ref=ref)}


def _bar(links: dict[str, str], download: str, page: dict) -> str:
    name = html.escape(Path(page["repo_path"]).name)
    a = '<a class="sd-btn sd-btn-outline-primary gdcourse-launch-{0}" href="{1}"{2}>{3}</a>'
    buttons = [a.format("colab", html.escape(links["colab"]), "",
                        '<i class="fa-solid fa-rocket"></i> Open in Colab'),
               a.format("kaggle", html.escape(links["kaggle"]), "",
                        '<i class="fa-brands fa-kaggle"></i> Open in Kaggle'),
               a.format("download", html.escape(download), f' download="{name}"',
                        f'<i class="fa-solid fa-download"></i> Download {name}')]
    note = ""
    if page["kind"] == "exercise":
        note = ('<p class="gdcourse-exercise-note">This exercise is for you to fill in, so '
                "the page shows it without outputs. Open it in Colab or Kaggle (its first "
                "cell installs gdcourse there) or download it, replace every "
                "<code>raise NotImplementedError(...)</code> with your code, and run the "
                "<code>check(...)</code> cell under each task: it says which checks pass "
                "and what differs where one fails.</p>")
    elif page["kind"] == "lecture":
        note = ('<p class="gdcourse-lecture-note">This page shows the lecture run top to '
                "bottom on a CPU. Open it in Colab or Kaggle to run and change it yourself "
                "(its first cell installs gdcourse there).</p>")
    return (f'<div class="gdcourse-launch" style="display:flex;gap:.5rem;flex-wrap:wrap;'
            f'margin:.5rem 0 1rem">{"".join(buttons)}</div>{note}')


def _page_context(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = _CDN_FONT_AWESOME.sub("", context["body"])
        context["body"] = _CODE_BLOCK.sub(
            lambda m: m.group(1) + _lines(m.group(2)) + m.group(3), context["body"])
    page = _pages(app).get(pagename)
    if page is None:
        return
    links = _links(app, page)
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            group["buttons"].append({"type": "link", "text": "Kaggle",
                                     "tooltip": "Launch on Kaggle",
                                     "icon": "fa-brands fa-kaggle", "url": links["kaggle"]})
    download = context["pathto"](f"_notebooks/{page['repo_path']}", 1)
    bar = _bar(links, download, page)
    body = context.get("body", "")
    # Right under the page's title, so it is the first thing a student sees.
    end_h1 = body.find("</h1>")
    context["body"] = (body[:end_h1 + 5] + bar + body[end_h1 + 5:] if end_h1 >= 0
                       else bar + body)


def _copy_notebooks(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in _pages(app).values():
        target = Path(app.outdir, "_notebooks", page["repo_path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page["download"], target)


def _mathjax() -> Path | None:
    """MathJax 3 as the sphinx-mathjax-offline package ships it (the [book] extra)."""
    import importlib.util

    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    folder = spec and spec.origin and Path(spec.origin).parent / "static" / "mathjax"
    return folder if folder and (folder / "tex-mml-chtml.js").is_file() else None


def _styles(app, config):
    # book/_static holds the book's own CSS, book/_templates the theme's header buttons made
    # accessible (before the theme's own components, which it appends later); the staged
    # build runs from another folder, hence absolute paths.
    book = Path(__file__).resolve().parents[1]
    config.html_static_path.append(str(book / "_static"))
    config.templates_path.insert(0, str(book / "_templates"))


def _offline_mathjax(app, config):
    # Formulas drawn from a copy inside the site, so a page opened offline (file://) shows
    # them too; without the package the theme's CDN copy is used.
    if _mathjax() is not None:
        config.mathjax_path = "mathjax/tex-mml-chtml.js"


def _copy_mathjax(app, exception):
    source = _mathjax()
    if exception is not None or app.builder.format != "html" or source is None:
        return
    target = Path(app.outdir, "_static", "mathjax")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "tex-mml-chtml.js", target / "tex-mml-chtml.js")
    fonts = Path("output", "chtml", "fonts", "woff-v2")
    shutil.copytree(source / fonts, target / fonts, dirs_exist_ok=True)


def setup(app):
    app.add_config_value("gdcourse_manifest", "", "html")
    app.connect("config-inited", _offline_mathjax, priority=900)
    app.connect("config-inited", _styles)
    app.add_css_file("gdcourse.css")
    app.connect("build-finished", _copy_mathjax)
    # After sphinx-book-theme's own launch buttons (priority 500), so Kaggle joins them.
    app.connect("html-page-context", _page_context, priority=501)
    app.connect("doctree-read", _describe_figures)
    app.connect("build-finished", _copy_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
