"""Printable worksheets: for every part of the book, a PDF per exercise level and an answer key.

A *part* is one numbered toctree of the root document (its caption names the part), so a
new part gets its worksheets without any change here. For every part this extension
writes, into ``worksheets/`` of the HTML output,

* ``part-N-recall.pdf``, ``part-N-apply.pdf``, ``part-N-exam.pdf``: the part's exercises of
  one level (sphinx-exercise ``exercise`` directives labelled ``ex-<slug>-<level>-<n>``),
  numbered as on the site ("Exercise 2.3"), with ruled space for the answers, and
* ``part-N-answers.pdf``: every exercise of the part with its solution, including the code
  of the Apply solutions and the outputs it printed when the book was built.

The PDFs are made at ``build-finished`` from the resolved doctrees, so they show what the
site shows: glued numbers, cross-references as "Section 2.3", inline and display math.
Typesetting is pure Python: reportlab lays out the pages and matplotlib's mathtext draws
the math (no LaTeX, no browser). LaTeX that mathtext cannot draw is first mapped to an
equivalent (``\\lVert`` to ``\\Vert``, ``\\tfrac`` to ``\\frac``, ...); what still fails
stops the build with the chapter, the exercise and the expression, and so does a node
type the worksheets have no print form for. Output is deterministic (reportlab's
invariant mode), so two builds give identical files.

The ``{nnbook-worksheets}`` directive renders a table of parts by levels that links to
the PDFs; the instructors' page uses it.

This module is the Sphinx adapter, the only part imported when Sphinx starts: the
directive, its placeholder and the two event handlers. The engine is imported when a
handler needs it, and reportlab and matplotlib only when a PDF is typeset:

* ``model``: parts, chapters, exercises and the blocks between doctree and paper;
* ``numbering``: the book's parts and the numbers the site shows (sections, figures);
* ``collect``: a chapter's exercises and solutions, via sphinx-exercise's nodes;
* ``converter`` and ``visitors``: doctree nodes to blocks (a docutils ``NodeVisitor``
  per inline markup and per block, a ``visit_`` method per node type);
* ``mathtext``: LaTeX to matplotlib mathtext, drawn into cached PNGs;
* ``styles``, ``flowables``, ``sheets``: reportlab's fonts and styles, the flowables of
  each block, and the pages of each PDF;
* ``build``: every part's PDFs at the end of a build, skipped when nothing changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from docutils import nodes
from nnbook_pages import book_summary

OUTPUT_DIR = "worksheets"  # inside the html output


def on_build_finished(app, exc):
    """Typeset the PDFs into a staging folder, then copy them into the html output."""
    if exc is not None or app.builder.format != "html":
        return
    from .build import write_worksheets

    outdir = Path(app.outdir) / OUTPUT_DIR
    cache_dir = Path(app.outdir).parent / "nnbook-worksheets" / "math"
    stage = Path(app.outdir).parent / "nnbook-worksheets" / "pdf"
    stage.mkdir(parents=True, exist_ok=True)
    written = write_worksheets(app, stage, cache_dir)
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    for path in written:
        shutil.copyfile(path, outdir / path.name)


# -- The {nnbook-worksheets} table -------------------------------------------------------------


class WorksheetTable(nodes.General, nodes.Element):
    """Placeholder for the table of worksheets, filled when the page is resolved."""


def _link(text: str, uri: str) -> nodes.paragraph:
    para = nodes.paragraph()
    para += nodes.reference("", text, refuri=uri, internal=False, classes=["nnbook-worksheet"])
    return para


def on_doctree_resolved(app, doctree, docname):
    """Replace each ``{nnbook-worksheets}`` placeholder by the table of parts and levels."""
    placeholders = list(doctree.findall(WorksheetTable))
    if not placeholders:
        return
    from .model import LEVELS, pdf_name
    from .numbering import book_parts, chapter_number, part_has_exercises

    up = "../" * docname.count("/")
    parts = book_parts(app.env)
    table = nodes.table(classes=["nnbook-worksheets-table"])
    group = nodes.tgroup(cols=2 + len(LEVELS))  # part, three levels, answer key
    table += group
    group += nodes.colspec(colwidth=3, stub=1)  # the part names the row: a row header
    for _ in range(1 + len(LEVELS)):
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for label in ("Part", *(name for _, name in LEVELS), "Answer key"):
        entry = nodes.entry()
        entry += nodes.paragraph(text=label)
        row += entry
    head += row
    body = nodes.tbody()
    group += body
    for index, caption, docs in parts:
        if not part_has_exercises(app.env, docs):
            continue  # no worksheets are written for it
        row = nodes.row()
        entry = nodes.entry()
        numbers = [chapter_number(app.env, d) for d in docs]
        span = f" (chapters {numbers[0]}–{numbers[-1]})" if len(numbers) > 1 else ""
        entry += nodes.paragraph(text=f"{caption}{span}")
        row += entry
        for kind, label in (*LEVELS, ("answers", "Answer key")):
            entry = nodes.entry()
            entry += _link(f"{label} (PDF)", f"{up}{OUTPUT_DIR}/{pdf_name(index, kind)}")
            row += entry
        body += row
    for placeholder in placeholders:
        placeholder.replace_self(table.deepcopy())


def setup(app):
    app.add_config_value("nnbook_baseurl", "https://nnbook.github.io/nnbook/", "html")
    book_summary(app, "nnbook-worksheets", WorksheetTable, "nnbook_worksheet_docs")
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
