"""Directives whose content summarises the whole book, filled in when the page is resolved.

The status table (``{nnbook-status}``), the worksheet table (``{nnbook-worksheets}``) and
the citation entries (``{nnbook-citation}``) each list every chapter. Their directive
leaves a placeholder node and records the page; the extension replaces the node at
``doctree-resolved``, when every chapter's numbers, titles and metadata are known. A
page that holds one must be read again whenever any page is added, changed or removed,
or its list would go stale on an incremental build.

``book_summary(app, name, node_class, attr)`` does that bookkeeping once for all three:
the directive, the set of pages in ``env.<attr>`` (kept through parallel reads), and
the ``env-get-outdated`` hook. ``per_page_store`` is the part that keeps a per-page
dict or set in the environment; other extensions use it for their own page data.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


def per_page_store(app, attr: str, kind: type[dict] | type[set] = dict) -> None:
    """Keep ``env.<attr>``, a dict or a set keyed by docname, right on incremental builds.

    It is created once, loses a page's entry when the page is read again or removed, and
    gathers the entries written by the parallel readers.
    """

    def init(app):
        if not hasattr(app.env, attr):
            setattr(app.env, attr, kind())

    def purge(app, env, docname):
        store = getattr(env, attr)
        store.pop(docname, None) if kind is dict else store.discard(docname)

    def merge(app, env, docnames, other):
        mine, theirs = getattr(env, attr), getattr(other, attr, kind())
        for doc in docnames:
            if doc in theirs:
                if kind is dict:
                    mine[doc] = theirs[doc]
                else:
                    mine.add(doc)

    app.connect("builder-inited", init)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)


def book_summary(
    app, name: str, node_class: type[nodes.Element], attr: str, depends_on: tuple[str, ...] = ()
) -> None:
    """Register directive ``name``, which leaves a ``node_class()`` placeholder.

    The pages that use it are kept in ``env.<attr>`` (a set of docnames), and are read
    again whenever any other page is added, changed or removed, or when a file in
    ``depends_on`` (paths from the repository root, such as ``CITATION.cff``) changes.
    """

    class Directive(SphinxDirective):
        has_content = False

        def run(self):
            for path in depends_on:
                self.env.note_dependency(str(Path(self.env.srcdir).parent / path))
            getattr(self.env, attr).add(self.env.docname)
            return [node_class()]

    def outdated(app, env, added, changed, removed):
        return sorted(getattr(env, attr)) if added or changed or removed else []

    Directive.__name__ = f"{node_class.__name__}Directive"
    app.add_node(node_class)
    app.add_directive(name, Directive)
    per_page_store(app, attr, set)
    app.connect("env-get-outdated", outdated)
