"""Interactive figures in a static page: load their scripts only where they are used.

A chapter cell emits ``<div class="nnbook-widget" data-widget="KIND">`` with its data
as embedded JSON (``nnbook.book.widgets.widget``; myst-nb writes ``text/html`` outputs
as they are). For each page whose body holds such a div, this extension adds
``_static/widgets.css``, the shared ``_static/widget-core.js`` and one
``_static/widget-KIND.js`` per kind on the page; every other page loads none of them.
"""

from __future__ import annotations

import re
from pathlib import Path

# One script per kind, docs/_static/widget-KIND.js: the scripts are the list of kinds
# (tests/test_widgets.py checks it against nnbook.book.widgets.WIDGET_KINDS).
_STATIC = Path(__file__).resolve().parent.parent / "_static"
KINDS = tuple(
    sorted(
        p.stem.removeprefix("widget-")
        for p in _STATIC.glob("widget-*.js")
        if p.stem != "widget-core"
    )
)
_WIDGET = re.compile(r'class="nnbook-widget" data-widget="([a-z-]+)"')


def kinds_in(body: str) -> list[str]:
    """The widget kinds used in an HTML body, in the (alphabetical) order of ``KINDS``."""
    found = set(_WIDGET.findall(body or ""))
    unknown = found - set(KINDS)
    if unknown:
        raise ValueError(f"unknown widget kind(s) {sorted(unknown)}; expected one of {KINDS}")
    return [k for k in KINDS if k in found]


def on_html_page_context(app, pagename, templatename, context, doctree):
    kinds = kinds_in(context.get("body", ""))
    if not kinds:
        return
    # Added during html-page-context, these go into this page only (Sphinx >= 3.5).
    app.add_css_file("widgets.css")
    app.add_js_file("widget-core.js", loading_method="defer")
    for kind in kinds:
        app.add_js_file(f"widget-{kind}.js", loading_method="defer")


def setup(app):
    app.connect("html-page-context", on_html_page_context)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
