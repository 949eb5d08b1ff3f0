"""BibTeX for the book and for each chapter, built from ``CITATION.cff``.

``{nnbook-citation}`` renders the book's entry and one entry per chapter (title,
number, version, URL) from the same metadata, so the citation page never drifts from
the release.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from docutils import nodes
from nnbook_pages import book_summary


def load_cff(root: Path) -> dict:
    return yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))


def _authors(cff: dict) -> str:
    """BibTeX author list; an organisation's name is braced so it is not split."""
    names = []
    for a in cff.get("authors", []):
        if a.get("name"):
            names.append("{" + a["name"] + "}")
        else:
            names.append(f"{a.get('family-names', '')}, {a.get('given-names', '')}")
    return " and ".join(names)


def book_bibtex(cff: dict) -> str:
    year = str(cff.get("date-released", ""))[:4]
    return (
        f"@book{{nnbook{year},\n"
        f"  title   = {{{cff['title']}}},\n"
        f"  author  = {{{_authors(cff)}}},\n"
        f"  year    = {{{year}}},\n"
        f"  edition = {{{cff['version']}}},\n"
        f"  url     = {{{cff['url']}}},\n"
        f"  note    = {{Version {cff['version']}}}\n}}"
    )


def chapter_bibtex(cff: dict, number: str, title: str, page: str) -> str:
    year = str(cff.get("date-released", ""))[:4]
    key = "nnbook" + year + "ch" + number.replace(".", "_")
    return (
        f"@incollection{{{key},\n"
        f"  title     = {{{title}}},\n"
        f"  booktitle = {{{cff['title']}}},\n"
        f"  author    = {{{_authors(cff)}}},\n"
        f"  chapter   = {{{number}}},\n"
        f"  year      = {{{year}}},\n"
        f"  edition   = {{{cff['version']}}},\n"
        f"  url       = {{{cff['url'].rstrip('/')}/{page}}}\n}}"
    )


class CitationPlaceholder(nodes.General, nodes.Element):
    pass


def on_doctree_resolved(app, doctree, docname):
    placeholders = list(doctree.findall(CitationPlaceholder))
    if not placeholders:
        return
    cff = load_cff(Path(app.srcdir).parent)
    env = app.env
    out = [
        nodes.paragraph(text="The book:"),
        nodes.literal_block(text=book_bibtex(cff), language="bibtex"),
    ]
    out.append(nodes.paragraph(text="A chapter (the entries for every chapter of this version):"))
    for doc in sorted(d for d in env.found_docs if d.startswith("chapters/")):
        secnum = env.toc_secnumbers.get(doc, {}).get("", ())
        if not secnum:
            continue
        title = re.sub(r"\s+", " ", env.titles[doc].astext())
        entry = chapter_bibtex(cff, ".".join(map(str, secnum)), title, f"{doc}.html")
        out.append(nodes.literal_block(text=entry, language="bibtex"))
    for p in placeholders:
        container = nodes.container(classes=["nnbook-citation"])
        container.extend(out)
        p.replace_self(container)


def setup(app):
    book_summary(
        app, "nnbook-citation", CitationPlaceholder, "nnbook_citation_docs", ("CITATION.cff",)
    )
    app.connect("doctree-resolved", on_doctree_resolved)
    return {"version": "1.1", "parallel_read_safe": True, "parallel_write_safe": True}
