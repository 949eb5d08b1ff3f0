"""Small accessibility repairs of HTML that docutils writes.

docutils gives a bibliography ``<div role="list" class="citation-list">`` whose
children are not list items, which breaks ARIA's rule that a list contains list
items (axe-core: aria-required-children). The entries already carry
``role="doc-biblioentry"``, so we drop the wrong list role.

Sphinx writes a long signature (``python_maximum_signature_line_length``) one parameter
a line, as a ``<dl>`` holding only ``<dd>`` items, which breaks the rule that a
definition list pairs terms with definitions (axe-core: definition-list). The list is
layout, not a glossary, so it is marked ``role="presentation"``; it looks the same.
"""

from __future__ import annotations

import re

REPAIRS = (('<div role="list" class="citation-list">', '<div class="citation-list">'),)
# The parameter list of a multi-line signature: "(", then a <dl> of <dd> items.
SIGNATURE_LIST = re.compile(r'(<span class="sig-paren">\(</span>\s*)<dl>')


def repair(body: str) -> str:
    """The page body with the repairs above applied."""
    for old, new in REPAIRS:
        body = body.replace(old, new)
    return SIGNATURE_LIST.sub(r'\1<dl role="presentation">', body)


def on_html_page_context(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body:
        context["body"] = repair(body)


def setup(app):
    app.connect("html-page-context", on_html_page_context)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
