"""``nnbook_downloads``: every executed chapter can be downloaded three ways.

A tiny book with one MyST notebook chapter is built once with a real kernel (a cache
miss), then again with a fresh environment, served from the execution cache (a hit:
no kernel, and myst-nb 1.4 writes the executed notebook *without* outputs, so the
extension must merge them back from the cache). Both builds must give the same
downloads: the notebook with its outputs, printed text merged into one output per
stream (the kernel sent it in two), a clean notebook, and the MyST source.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from io import StringIO
from pathlib import Path

import nbformat
import nnbook_downloads
import pytest
from nnbook_downloads import _export
from sphinx.testing.util import SphinxTestApp

HERE = Path(__file__).resolve().parent
REQUIREMENT = "nnbook @ git+https://github.com/someone/nnbook@v1.2.3"  # from conf.py
NAMES = ("one.ipynb", "one.clean.ipynb", "one.md")
SPLIT = "one line, sent in two pieces\na line\nafter its newline\n"  # the third cell


def _app(src: Path, **kwargs) -> SphinxTestApp:
    return SphinxTestApp("html", srcdir=src, status=StringIO(), warning=StringIO(), **kwargs)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """Build twice (kernel, then cache); return the folder, both builds' files, notes."""
    pytest.importorskip("myst_nb")
    src = tmp_path_factory.mktemp("downloads") / "book"
    shutil.copytree(HERE / "roots" / "test-downloads", src)
    downloads = src / "_build" / "html" / "notebooks"
    notes = {}
    builds = []
    for fresh in (False, True):
        app = _app(src, freshenv=fresh)
        try:
            app.build()
            notes[f"warnings{int(fresh)}"] = app.warning.getvalue()
            executed = src / "_build" / "jupyter_execute" / "chapters" / "one.ipynb"
            notes[f"executed{int(fresh)}"] = nbformat.read(executed, as_version=4)
            if not fresh:
                notes["from_cache"] = nnbook_downloads._executed_notebook(app, "chapters/one")
            builds.append(
                {p.relative_to(downloads).as_posix(): p.read_bytes() for p in downloads.rglob("*")
                 if p.is_file()}
            )  # fmt: skip
        finally:
            app.cleanup()
    return src, builds, notes


def _nb(book, name: str = "one.ipynb", build: int = 0):
    return nbformat.reads(book[1][build][f"chapters/{name}"].decode(), as_version=4)


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.slow  # one kernel start: about 5 s on a busy machine
def test_both_builds_stage_the_three_downloads_and_the_zip(book):
    src, builds, notes = book
    for files in builds:
        assert set(files) == {f"chapters/{n}" for n in NAMES} | {
            "nnbook-notebooks.zip",
            "index.json",
        }
        assert json.loads(files["index.json"]) == sorted(f"chapters/{n}" for n in NAMES)
    assert notes["warnings0"] == notes["warnings1"] == ""


@pytest.mark.slow
def test_the_notebook_keeps_its_outputs_with_the_printed_text_merged(book):
    raw = _code(book[2]["from_cache"])[0].outputs
    assert [o.text for o in raw] == ["first line\n", "second line\n"], "precondition: two"
    cells = _code(_nb(book))
    install, printing, split, value = cells
    assert install.metadata["tags"] == ["nnbook-install"]
    assert REQUIREMENT in install.source and install.outputs == []
    assert printing.outputs == [
        {"name": "stdout", "output_type": "stream", "text": "first line\nsecond line\n"}
    ]
    assert [o.text for o in split.outputs] == [SPLIT]
    assert value.outputs[0]["output_type"] == "execute_result"
    assert value.outputs[0]["data"]["text/plain"] == "42"


@pytest.mark.slow
def test_the_page_shows_printed_text_as_printed_however_the_kernel_split_it(book):
    """nnbook_streams: myst-nb alone would show "sent\n in two" and an empty line."""
    src = book[0]
    raw = _code(book[2]["from_cache"])[1].outputs
    assert [o.text for o in raw] == [
        "one line, sent",
        " in two pieces\na line",
        "\nafter its newline\n",
    ]
    page = (src / "_build" / "html" / "chapters" / "one.html").read_text(encoding="utf-8")
    assert SPLIT in page
    assert page.count("first line\nsecond line\n") == 1


@pytest.mark.slow
def test_the_notebook_carries_no_build_only_metadata(book):
    nb = _nb(book)
    assert [c["id"] for c in nb.cells] == [f"cell-{i:03d}" for i in range(len(nb.cells))]
    assert nb.cells[1].cell_type == "markdown" and "Some prose." in nb.cells[1].source
    for cell in nb.cells:
        assert "execution" not in cell.metadata
        assert "nnbook_cache_key" not in cell.metadata  # nnbook_cache put it in, at read
    assert "nnbook_cache_key" in _code(book[2]["executed0"])[0].metadata  # it was there
    assert "mystnb" not in nb.metadata
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    nbformat.validate(nb)


@pytest.mark.slow
def test_the_clean_notebook_has_the_same_cells_without_outputs(book):
    full, clean = _nb(book), _nb(book, "one.clean.ipynb")
    assert [c.source for c in clean.cells] == [c.source for c in full.cells]
    assert all(c.outputs == [] and c.execution_count is None for c in _code(clean))
    nbformat.validate(clean)


@pytest.mark.slow
def test_the_md_download_is_the_chapter_source(book):
    src, builds, _ = book
    source = (src / "chapters" / "one.md").read_bytes()
    assert builds[0]["chapters/one.md"] == source
    with zipfile.ZipFile(src / "_build" / "html" / "notebooks" / "nnbook-notebooks.zip") as z:
        names = z.namelist()
        assert names == [f"nnbook-notebooks/chapters/one{s}" for s in (".ipynb", ".md")]
        assert z.read("nnbook-notebooks/chapters/one.md") == source
        assert {i.date_time for i in z.infolist()} == {nnbook_downloads.ZIP_EPOCH}


@pytest.mark.slow
def test_a_build_served_from_the_cache_gives_the_same_downloads(book):
    _, builds, notes = book
    hit = _code(notes["executed1"])
    assert all(c.outputs == [] for c in hit), "precondition: myst-nb wrote no outputs"
    assert builds[1] == builds[0]  # byte for byte, zip included


# -- the export on its own (fast) --------------------------------------------------------


def test_export_puts_the_install_cell_first_and_strips_what_only_the_build_needs():
    nb = nbformat.v4.new_notebook(metadata={"mystnb": {"x": 1}})
    cell = nbformat.v4.new_code_cell("print(1)", execution_count=3)
    cell.metadata.update(nnbook_cache_key="k", execution={"iopub": "t"}, tags=["keep"])
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells = [cell]
    config = type("Config", (), {"nnbook_repository": "o/r", "release": "0.9"})()
    for with_outputs in (True, False):
        out = _export(nb, config, with_outputs)
        first, second = out.cells
        assert "nnbook @ git+https://github.com/o/r@v0.9" in first.source
        assert second.metadata == {"tags": ["keep"]}
        assert (second.outputs != []) == with_outputs
        assert second.execution_count == (3 if with_outputs else None)
        assert "mystnb" not in out.metadata
    assert nb.cells == [cell] and "nnbook_cache_key" in cell.metadata  # a copy was edited
