"""Per-chapter status line, notebook downloads and the book's status page.

For every executed chapter this extension

* reads the executed notebook (myst-nb writes it to ``jupyter_execute/``; when the
  execution cache hits, myst-nb 1.4 writes it *without* outputs, so we merge the
  outputs back from the cache),
* records how long it ran, on which device and with which JAX version (the chapter's
  hidden ``setup_chapter()`` cell glues ``nnbook_runtime``),
* writes three downloads: the executed notebook (outputs kept, stable cell ids, a
  first cell that installs the matching ``nnbook`` when it is missing), the same
  notebook without outputs, and the MyST source,
* puts a short line under the chapter title with those facts and links, and
* fills the ``{nnbook-status}`` table on the status page.
"""

from __future__ import annotations

import ast
import copy
import html
import json
import shutil
import zipfile
from pathlib import Path

import nbformat
from docutils import nodes
from nnbook_pages import book_summary, per_page_store
from sphinx.util import logging

logger = logging.getLogger(__name__)

DOWNLOAD_DIR = "notebooks"  # inside the html output
ZIP_NAME = "nnbook-notebooks.zip"
ZIP_EPOCH = (2026, 1, 1, 0, 0, 0)  # fixed timestamps: identical archives between builds

INSTALL_SOURCE = """\
# Running this notebook outside the book? This cell installs the matching nnbook
# release when it is missing (on Colab, a laptop, a GPU or TPU machine).
import importlib.util, subprocess, sys
if importlib.util.find_spec("nnbook") is None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "{requirement}"])"""


def nnbook_requirement(config) -> str:
    return f"nnbook @ git+https://github.com/{config.nnbook_repository}@v{config.release}"


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


def _executed_notebook(app, docname: str):
    """The executed notebook of ``docname``, with outputs, or None if it has none."""
    path = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"
    if not path.is_file():
        return None
    nb = nbformat.read(path, as_version=4)
    if app.config.nb_execution_mode == "cache":
        # The cache holds the outputs exactly as the kernel sent them. The copy myst-nb
        # writes here may lack them (1.4 drops them on a cache hit) or hold printed text
        # twice (its stream merging edits the first output and keeps the second).
        from jupyter_cache import get_cache

        try:
            _, nb = get_cache(app.config.nb_execution_cache_path).merge_match_into_notebook(nb)
        except KeyError:
            pass
    return nb


def _merge_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) outputs into one, as the page shows them.

    How a kernel splits printed text into stream messages depends on timing, so the
    same cell can give two outputs in one build and one in the next; merged, the
    downloads are the same from build to build.
    """
    merged = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (
            out.get("output_type") == "stream"
            and prev is not None
            and prev.get("output_type") == "stream"
            and prev.get("name") == out.get("name")
        ):
            text = out.get("text", "")
            prev["text"] = "".join(prev.get("text", "")) + "".join(text)
        else:
            merged.append(copy.deepcopy(out))
    return merged


def _export(nb, config, with_outputs: bool):
    """A copy of ``nb`` ready to download: stable ids, install cell first, no build-only tags."""
    nb = copy.deepcopy(nb)
    install = nbformat.v4.new_code_cell(
        INSTALL_SOURCE.format(requirement=nnbook_requirement(config))
    )
    install.metadata["tags"] = ["nnbook-install"]
    nb.cells.insert(0, install)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.metadata.pop("execution", None)  # wall-clock timestamps: differ every build
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.get("outputs", []))
            if not with_outputs:
                cell.outputs = []
                cell.execution_count = None
    nb.metadata.pop("mystnb", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def _staging(app) -> Path:
    return Path(app.outdir).parent / "nnbook-downloads"


def on_doctree_read(app, doctree):
    env = app.env
    docname = env.docname
    if not docname.startswith("chapters/"):
        return
    nb = _executed_notebook(app, docname)
    if nb is None:
        return
    exec_data = env.nb_metadata.get(docname, {}).get("exec_data") or {}
    runtime = _runtime_from_glue(app, docname)
    meta = {
        "seconds": exec_data.get("runtime"),
        "method": exec_data.get("method"),
        "device": runtime.get("device", "unknown"),
        "platform": runtime.get("platform", "unknown"),
        "n_devices": runtime.get("n_devices"),
        "jax": runtime.get("jax", "unknown"),
        "nnbook": runtime.get("nnbook", app.config.release),
        "title": env.titles[docname].astext() if docname in env.titles else docname,
    }
    if not runtime:
        logger.warning(
            f"{docname}: no 'nnbook_runtime' glue found; does its first cell call setup_chapter()?",
            location=docname,
            type="nnbook",
            subtype="runtime",
        )
    env.nnbook_meta[docname] = meta

    stage = _staging(app) / DOWNLOAD_DIR
    stem = Path(docname)
    for suffix, with_outputs in ((".ipynb", True), (".clean.ipynb", False)):
        target = stage / stem.parent / f"{stem.name}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        text = nbformat.writes(_export(nb, app.config, with_outputs))
        _atomic_write(target, text)
    source = Path(env.doc2path(docname))
    _atomic_write(stage / stem.parent / f"{stem.name}.md", source.read_text(encoding="utf-8"))

    _insert_meta_line(app, doctree, docname, meta)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _describe_device(meta) -> str:
    platform = str(meta["platform"]).upper()
    device = str(meta["device"])
    if device.lower() == platform.lower() or device == "unknown":
        return platform
    return f"{platform} ({device})"


def _insert_meta_line(app, doctree, docname, meta):
    depth = docname.count("/")
    up = "../" * depth
    stem = Path(docname)
    base = f"{up}{DOWNLOAD_DIR}/{stem.parent}/{stem.name}".replace("//", "/")
    cfg = app.config
    colab = (
        f"https://colab.research.google.com/github/{cfg.nnbook_repository}/blob/"
        f"gh-pages/{DOWNLOAD_DIR}/{docname}.ipynb"
    )
    seconds = meta["seconds"]
    took = f"{seconds:.1f} s" if isinstance(seconds, (int, float)) else "an unknown time"
    text = (
        '<div class="nnbook-chapter-meta" role="note" '
        'aria-label="Chapter build facts and downloads">'
        f'<p>Executed at build time in <span class="nnbook-measured">{took}</span> on '
        f"{html.escape(_describe_device(meta))} with JAX {html.escape(str(meta['jax']))} and "
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
    order = []
    root = env.config.root_doc
    stack = [root]
    seen = set()
    while stack:
        doc = stack.pop(0)
        if doc in seen:
            continue
        seen.add(doc)
        order.append(doc)
        stack[0:0] = env.toctree_includes.get(doc, [])
    return [d for d in order if d in env.nnbook_meta]


def on_doctree_resolved(app, doctree, docname):
    env = app.env
    for placeholder in list(doctree.findall(StatusTable)):
        rows = []
        for doc in _chapters_in_order(env):
            meta = env.nnbook_meta[doc]
            secnum = env.toc_secnumbers.get(doc, {}).get("", ())
            number = ".".join(map(str, secnum))
            uri = app.builder.get_relative_uri(docname, doc)
            seconds = meta["seconds"]
            took = f"{seconds:.1f}" if isinstance(seconds, (int, float)) else "?"
            rows.append(
                f'<tr><td>{number}</td><td><a href="{uri}">{html.escape(meta["title"])}</a></td>'
                f'<td class="nnbook-measured">{took}</td>'
                f"<td>{html.escape(_describe_device(meta))}</td>"
                f"<td>{html.escape(str(meta['jax']))}</td><td>{html.escape(str(meta['nnbook']))}</td>"
                f"<td>{html.escape(str(meta['method']))}</td></tr>"
            )
        total = sum(m["seconds"] or 0 for m in env.nnbook_meta.values())
        table = (
            '<table class="table nnbook-status-table"><caption>Chapter execution at build time '
            f'(total <span class="nnbook-measured">{total:.1f}</span> s)</caption><thead><tr>'
            "<th>Ch.</th><th>Chapter</th><th>Seconds</th><th>Device</th><th>JAX</th>"
            "<th>nnbook</th><th>Execution</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )
        # Whitespace between cells: the search index strips the tags of raw HTML, and
        # "Functions</td><td>38.1" would otherwise become one word, "functions38".
        table = table.replace("</td>", "</td>\n").replace("</th>", "</th>\n")
        placeholder.replace_self(nodes.raw("", table, format="html"))


def on_build_finished(app, exc):
    if exc is not None or app.builder.format != "html":
        return
    stage = _staging(app) / DOWNLOAD_DIR
    if not stage.is_dir():
        return
    wanted = {f"{doc}{s}" for doc in app.env.nnbook_meta for s in (".ipynb", ".clean.ipynb", ".md")}
    target = Path(app.outdir) / DOWNLOAD_DIR
    if target.exists():
        shutil.rmtree(target)
    files = sorted(
        p for p in stage.rglob("*") if p.is_file() and str(p.relative_to(stage)) in wanted
    )
    for path in files:
        dest = target / path.relative_to(stage)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    tmp = target / (ZIP_NAME + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            if path.name.endswith(".clean.ipynb"):
                continue
            info = zipfile.ZipInfo(f"nnbook-notebooks/{path.relative_to(stage)}", ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    tmp.replace(target / ZIP_NAME)
    (target / "index.json").write_text(json.dumps(sorted(wanted), indent=1), encoding="utf-8")


def setup(app):
    app.add_config_value("nnbook_repository", "nnbook/nnbook", "html")
    app.add_config_value("nnbook_branch", "main", "html")
    book_summary(app, "nnbook-status", StatusTable, "nnbook_status_docs")
    per_page_store(app, "nnbook_meta")  # per chapter: seconds, device, versions, title
    app.connect("doctree-read", on_doctree_read)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
