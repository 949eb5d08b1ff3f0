"""Small accessibility repairs of HTML that docutils writes.

docutils gives a bibliography ``<div role="list" class="citation-list">`` whose
children are not list items, which breaks ARIA's rule that a list contains list
items (axe-core: aria-required-children). The entries already carry
``role="doc-biblioentry"``, so we drop the wrong list role.
"""

from __future__ import annotations

REPAIRS = (('<div role="list" class="citation-list">', '<div class="citation-list">'),)


def on_html_page_context(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body:
        for old, new in REPAIRS:
            body = body.replace(old, new)
        context["body"] = body


def setup(app):
    app.connect("html-page-context", on_html_page_context)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
