"""``nnbook_glossary``: the yaml files of every chapter become one Sphinx glossary.

Entries are sorted, each ends with a link to where the term is taught, ``{term}`` links
anywhere in the book resolve to them, and when two chapters define the same term the
earlier file wins. An entry without its term, definition or target, an entry that is no
mapping, or a file that is no valid yaml stops the build naming the file (and the
entry); a target that is no label is Sphinx's usual warning.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx.errors import ExtensionError

pytest.importorskip("myst_parser")

BOOK_GLOSSARY = sorted((Path(__file__).resolve().parents[2] / "docs" / "glossary").glob("*.yaml"))


def _page(app, name: str) -> BeautifulSoup:
    return BeautifulSoup((app.outdir / f"{name}.html").read_text(encoding="utf-8"), "html.parser")


def _entries(app) -> dict[str, tuple[str, str]]:
    """Term -> (definition text, href of its 'Taught in' link), in page order."""
    dl = _page(app, "glossary-page").select_one("dl.glossary")
    assert dl is not None, "no glossary on the page"
    out = {}
    for dt in dl.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        out[dt.get_text().rstrip("¶")] = (dd.get_text(" ", strip=True), dd.a["href"])
    return out


@pytest.mark.sphinx("html", testroot="glossary", freshenv=True)
def test_entries_render_sorted_with_a_link_to_where_each_is_taught(app):
    app.build()
    assert app.warning.getvalue() == ""
    entries = _entries(app)
    assert list(entries) == ["activation", "Neuron", "ReLU"]  # sorted, case-insensitively
    definition, href = entries["Neuron"]
    assert href == "one.html#sec-neuron"
    assert definition.startswith("The unit that computes a weighted sum")  # spaces folded
    assert definition.endswith("Taught in The neuron .")
    assert entries["activation"][1] == "one.html#ch-one"
    assert entries["ReLU"][1] == "two.html#sec-relu"
    math = _page(app, "glossary-page").select_one("dl.glossary span.math")
    assert math is not None and math.get_text() == r"\(w \cdot x + b\)"  # MyST inside


@pytest.mark.sphinx("html", testroot="glossary", freshenv=True)
def test_term_links_in_chapters_resolve_to_the_glossary(app):
    app.build()
    links = _page(app, "two").select("a.reference.internal:has(span.std-term)")
    assert [(a.get_text(), a["href"]) for a in links] == [
        ("ReLU", "glossary-page.html#term-ReLU"),
        ("neuron", "glossary-page.html#term-Neuron"),
    ]
    assert "term not in glossary" not in app.warning.getvalue()


@pytest.mark.sphinx("html", testroot="glossary", freshenv=True)
def test_a_term_two_chapters_define_is_listed_once_with_the_earlier_definition(app):
    app.build()
    entries = _entries(app)
    assert sum(term.lower() == "neuron" for term in entries) == 1
    assert "later, different" not in entries["Neuron"][0]
    assert "duplicate" not in app.warning.getvalue()  # no Sphinx duplicate-term warning


def test_editing_a_glossary_file_rebuilds_the_page(copy_root, make_app):
    src = copy_root("glossary")
    first = make_app("html", srcdir=src)
    first.build()
    first.cleanup()  # one Sphinx app at a time: directives are registered globally
    path = src / "glossary" / "02-two.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + '- term: bias\n  definition: "The constant b."\n  target: sec-neuron\n',
        encoding="utf-8",
    )
    app = make_app("html", srcdir=src)
    app.build()
    assert list(_entries(app)) == ["activation", "bias", "Neuron", "ReLU"]


@pytest.mark.parametrize(
    ("entry", "missing"),
    [
        ('- term: bias\n  definition: "The constant b."\n', "target"),
        ("- target: sec-neuron\n", "term, definition"),
        ('- term: ""\n  definition: "d"\n  target: sec-neuron\n', "term"),
    ],
    ids=["no target", "no term nor definition", "empty term"],
)
def test_an_incomplete_entry_stops_the_build_naming_file_and_entry(
    entry, missing, copy_root, make_app
):
    src = copy_root("glossary")
    path = src / "glossary" / "02-two.yaml"
    path.write_text(path.read_text(encoding="utf-8") + entry, encoding="utf-8")
    message = f"glossary {path}, entry 3: missing {missing}"
    with pytest.raises(ExtensionError, match=re.escape(message) + "$"):
        make_app("html", srcdir=src).build()


def test_a_file_that_is_not_a_list_stops_the_build_naming_it(copy_root, make_app):
    src = copy_root("glossary")
    path = src / "glossary" / "02-two.yaml"
    path.write_text("term: ReLU\ndefinition: max(0, x)\n", encoding="utf-8")
    with pytest.raises(ExtensionError, match=re.escape(f"glossary {path}: expected a list")):
        make_app("html", srcdir=src).build()


def test_a_target_that_is_no_label_is_a_warning_naming_it(copy_root, make_app):
    src = copy_root("glossary")
    path = src / "glossary" / "02-two.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("target: sec-relu", "target: sec-nowhere"),
        encoding="utf-8",
    )
    app = make_app("html", srcdir=src)
    app.build()
    assert re.search(r"undefined label: .?sec-nowhere", app.warning.getvalue())
    assert "href" not in str(_page(app, "glossary-page").find("dt", id="term-ReLU").find_next("dd"))


def test_an_empty_file_adds_no_entries(copy_root, make_app):
    src = copy_root("glossary")
    (src / "glossary" / "03-empty.yaml").write_text("", encoding="utf-8")
    app = make_app("html", srcdir=src)
    app.build()
    assert list(_entries(app)) == ["activation", "Neuron", "ReLU"]


def test_a_yaml_syntax_error_stops_the_build_naming_the_file(copy_root, make_app):
    src = copy_root("glossary")
    path = src / "glossary" / "02-two.yaml"
    path.write_text("- term: [unclosed\n", encoding="utf-8")
    with pytest.raises(ExtensionError, match=re.escape(f"glossary {path}: cannot read: ")):
        make_app("html", srcdir=src).build()


def test_an_entry_that_is_not_a_mapping_stops_the_build_naming_file_and_entry(copy_root, make_app):
    src = copy_root("glossary")
    path = src / "glossary" / "02-two.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "- bias\n", encoding="utf-8")
    message = f"glossary {path}, entry 3: expected a mapping with term, definition and target"
    with pytest.raises(ExtensionError, match=re.escape(message) + ", got 'bias'$"):
        make_app("html", srcdir=src).build()


@pytest.mark.parametrize("path", BOOK_GLOSSARY, ids=[p.stem for p in BOOK_GLOSSARY])
def test_every_glossary_file_of_the_book_passes_the_checks(path, tmp_path):
    import nnbook_glossary  # docs/_ext is on sys.path (conftest)

    shutil.copy(path, tmp_path)
    assert nnbook_glossary.load_entries(tmp_path)
