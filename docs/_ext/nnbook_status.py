"""How each chapter ran: the line under its title and the ``{nnbook-status}`` table.

For every chapter (``doctree-read``, after ``nnbook_cache`` has stored its record) this
extension collects how long the chapter executed, the share of that spent compiling
(from the kernel's record), on which device and with which JAX and ``nnbook``
versions (the chapter's hidden ``setup_chapter()`` cell glues ``nnbook_runtime``),
and whether it ran in this build or its results were reused from the execution
cache, and when they were computed. It puts a line with those facts and the download
links under the chapter's title, and fills the status page's table, built from
docutils nodes so search and other builders see its text. Values that change from
build to build carry the class ``nnbook-measured`` (masked by the reproducibility
check).
"""

from __future__ import annotations

import ast
import html
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from docutils import nodes
from nnbook_cache import chapter_record
from nnbook_downloads import DOWNLOAD_DIR
from nnbook_pages import book_summary, per_page_store
from sphinx.util import logging

logger = logging.getLogger(__name__)

BUILD_START = time.time()  # set when Sphinx loads the extension; parallel readers inherit it
COLUMNS = ("Ch.", "Chapter", "Seconds", "Compiling", "Device", "JAX", "nnbook", "This build")


def _runtime_from_glue(app, docname: str) -> dict:
    """The ``nnbook_runtime`` value the chapter glued (myst-nb keeps glue beside the notebook)."""
    path = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.glue.json"
    if not path.is_file():
        return {}
    output = json.loads(path.read_text(encoding="utf-8")).get("nnbook_runtime", {})
    value = output.get("data", {}).get("text/plain")
    try:
        return ast.literal_eval(value if isinstance(value, str) else "".join(value or []))
    except (ValueError, SyntaxError):
        return {}


def describe_device(meta: dict) -> str:
    """``CPU``, or ``GPU (NVIDIA H100 ...)`` when the device has a name of its own."""
    platform = str(meta["platform"]).upper()
    device = str(meta["device"])
    if device.lower() == platform.lower() or device == "unknown":
        return platform
    return f"{platform} ({device})"


def describe_run(meta: dict) -> str:
    """``ran in this build``, or ``reused from the cache (computed 2026-12-01 10:40 UTC)``."""
    if meta["ran_now"]:
        return "ran in this build"
    when = meta.get("computed")
    stamp = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M UTC") if when else "?"
    return f"reused from the cache (computed {stamp})"


def collect(app, doctree) -> None:
    env = app.env
    docname = env.docname
    if not docname.startswith("chapters/"):
        return
    exec_data = env.nb_metadata.get(docname, {}).get("exec_data") or {}
    if not exec_data:
        return
    runtime = _runtime_from_glue(app, docname)
    if not runtime:
        logger.warning(
            f"{docname}: no 'nnbook_runtime' glue found; does its first cell call setup_chapter()?",
            location=docname,
            type="nnbook",
            subtype="runtime",
        )
    mtime = exec_data.get("mtime")
    meta = {
        "seconds": exec_data.get("runtime"),
        "compile_s": chapter_record(app, docname).get("compile_s"),
        "ran_now": bool(mtime and mtime >= BUILD_START),  # a cache hit keeps its record's time
        "computed": mtime,
        "device": runtime.get("device", "unknown"),
        "platform": runtime.get("platform", "unknown"),
        "n_devices": runtime.get("n_devices"),
        "jax": runtime.get("jax", "unknown"),
        "nnbook": runtime.get("nnbook", app.config.release),
        "title": env.titles[docname].astext() if docname in env.titles else docname,
    }
    env.nnbook_meta[docname] = meta
    _insert_meta_line(app, doctree, docname, meta)


def _seconds(meta: dict) -> str:
    seconds = meta["seconds"]
    return f"{seconds:.1f}" if isinstance(seconds, int | float) else "?"


def _compile_share(meta: dict) -> str:
    seconds, compiling = meta["seconds"], meta["compile_s"]
    if not (isinstance(seconds, int | float) and isinstance(compiling, int | float)) or not seconds:
        return "?"
    return f"{min(compiling / seconds, 1.0):.0%}"


def _insert_meta_line(app, doctree, docname, meta):
    up = "../" * docname.count("/")
    stem = Path(docname)
    base = f"{up}{DOWNLOAD_DIR}/{stem.parent}/{stem.name}".replace("//", "/")
    cfg = app.config
    colab = (
        f"https://colab.research.google.com/github/{cfg.nnbook_repository}/blob/"
        f"gh-pages/{DOWNLOAD_DIR}/{docname}.ipynb"
    )
    facts = f"{_seconds(meta)} s ({_compile_share(meta)} of it compiling; {describe_run(meta)})"
    text = (
        '<div class="nnbook-chapter-meta" role="note" '
        'aria-label="Chapter build facts and downloads">'
        f'<p>Executed at build time in <span class="nnbook-measured">{html.escape(facts)}</span>'
        f" on {html.escape(describe_device(meta))} with JAX {html.escape(str(meta['jax']))} and "
        f"nnbook {html.escape(str(meta['nnbook']))}.</p>"
        f'<p>Download: <a class="nnbook-dl" href="{base}.ipynb" download>'
        "notebook with outputs (.ipynb)</a> · "
        f'<a class="nnbook-dl" href="{base}.clean.ipynb" download>clean notebook (.ipynb)</a> · '
        f'<a class="nnbook-dl" href="{base}.md" download>MyST source (.md)</a> · '
        f'<a class="nnbook-colab" href="{colab}" rel="noopener">Open in Colab</a></p></div>'
    )
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    title_index = section.first_child_matching_class(nodes.title)
    section.insert((title_index or 0) + 1, nodes.raw("", text, format="html"))


class StatusTable(nodes.General, nodes.Element):
    """Placeholder filled in when the page is resolved, once every chapter has run."""


def _chapters_in_order(env):
    order, seen, stack = [], set(), [env.config.root_doc]
    while stack:
        doc = stack.pop(0)
        if doc in seen:
            continue
        seen.add(doc)
        order.append(doc)
        stack[0:0] = env.toctree_includes.get(doc, [])
    return [d for d in order if d in env.nnbook_meta]


def _cell(*children: nodes.Node | str, measured: bool = False) -> nodes.entry:
    para = nodes.paragraph()
    for child in children:
        para += nodes.Text(child) if isinstance(child, str) else child
    if measured:  # the whole value changes between builds
        para = nodes.paragraph(
            "", "", nodes.inline("", "", *para.children, classes=["nnbook-measured"])
        )
    return nodes.entry("", para)


def _row(cells: list[nodes.entry]) -> nodes.row:
    row = nodes.row()
    row.extend(cells)
    return row


def status_table(app, docname: str) -> nodes.table:
    """The table of every chapter's execution facts, as docutils nodes."""
    env = app.env
    table = nodes.table(classes=["nnbook-status-table"], ids=["nnbook-status-table"])
    # The title holds no measured number: Sphinx indexes table titles for search, and
    # the search index of two builds must match (tools/compare_builds.py).
    table += nodes.title("", "Chapter execution at build time")
    group = nodes.tgroup(cols=len(COLUMNS))
    table += group
    group.extend(nodes.colspec(colwidth=1) for _ in COLUMNS)
    group += nodes.thead("", _row([_cell(name) for name in COLUMNS]))
    body = nodes.tbody()
    group += body
    for doc in _chapters_in_order(env):
        meta = env.nnbook_meta[doc]
        number = ".".join(map(str, env.toc_secnumbers.get(doc, {}).get("", ())))
        uri = app.builder.get_relative_uri(docname, doc)
        link = nodes.reference("", meta["title"], refuri=uri, internal=True)
        body += _row(
            [
                _cell(number),
                _cell(link),
                _cell(_seconds(meta), measured=True),
                _cell(_compile_share(meta), measured=True),
                _cell(describe_device(meta)),
                _cell(str(meta["jax"])),
                _cell(str(meta["nnbook"])),
                _cell(describe_run(meta), measured=True),
            ]
        )
    return table


def total_line(app) -> nodes.paragraph:
    """The chapters' execution seconds added up, under the table."""
    total = sum(m["seconds"] or 0 for m in app.env.nnbook_meta.values())
    seconds = nodes.inline("", f"{total:.1f}", classes=["nnbook-measured"])
    return nodes.paragraph("", "All chapters together: ", seconds, nodes.Text(" s of execution."))


def on_doctree_resolved(app, doctree, docname):
    for placeholder in list(doctree.findall(StatusTable)):
        placeholder.replace_self([status_table(app, docname), total_line(app)])


def setup(app):
    app.setup_extension("nnbook_cache")
    app.setup_extension("nnbook_downloads")
    book_summary(app, "nnbook-status", StatusTable, "nnbook_status_docs")
    per_page_store(app, "nnbook_meta")  # per chapter: seconds, device, versions, title
    app.connect("doctree-read", collect, priority=600)  # after nnbook_cache stored its record
    app.connect("doctree-resolved", on_doctree_resolved)
    return {"version": "2.0", "parallel_read_safe": True, "parallel_write_safe": True}
