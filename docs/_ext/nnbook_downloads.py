"""Downloads of every chapter: the executed notebook, a clean one, and the MyST source.

For every executed chapter (``doctree-read``) this extension reads the executed notebook
(myst-nb writes it to ``jupyter_execute/``; when the execution cache hits, myst-nb 1.4
writes it *without* outputs, so the outputs are merged back from the cache) and stages
three files: the notebook with outputs (stable cell ids, a first cell that installs the
matching ``nnbook`` when it is missing), the same notebook without outputs, and the
MyST source. ``build-finished`` copies them into ``notebooks/`` with a zip of all.
The line under each chapter's title that links them is ``nnbook_status``'s.
"""

from __future__ import annotations

import copy
import json
import shutil
import zipfile
from pathlib import Path

import nbformat
from nnbook_cache import KEY_METADATA
from nnbook_streams import join_streams

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
        cell.metadata.pop(KEY_METADATA, None)  # the build's cache key: nothing for a reader
        if cell.cell_type == "code":
            # one output per run of printed text, as the page shows it: the same
            # downloads in every build, however the kernel split the text
            cell.outputs = join_streams(cell.get("outputs", []))
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
    docname = app.env.docname
    if not docname.startswith("chapters/"):
        return
    nb = _executed_notebook(app, docname)
    if nb is None:
        return
    stage = _staging(app) / DOWNLOAD_DIR
    stem = Path(docname)
    for suffix, with_outputs in ((".ipynb", True), (".clean.ipynb", False)):
        target = stage / stem.parent / f"{stem.name}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        text = nbformat.writes(_export(nb, app.config, with_outputs))
        _atomic_write(target, text)
    source = Path(app.env.doc2path(docname))
    _atomic_write(stage / stem.parent / f"{stem.name}.md", source.read_text(encoding="utf-8"))


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def on_build_finished(app, exc):
    if exc is not None or app.builder.format != "html":
        return
    stage = _staging(app) / DOWNLOAD_DIR
    if not stage.is_dir():
        return
    chapters = [d for d in app.env.found_docs if d.startswith("chapters/")]
    wanted = {f"{doc}{s}" for doc in chapters for s in (".ipynb", ".clean.ipynb", ".md")}
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
    app.connect("doctree-read", on_doctree_read)
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
