"""The book can be cited: CITATION.cff and the bibliography parse, agree with the
package version, and hold every source the syllabus requires."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

import nnbook

ROOT = Path(__file__).resolve().parents[1]
pybtex = pytest.importorskip("pybtex.database")

REQUIRED_SOURCES = {
    "krizhevsky2012imagenet",
    "lecun2015deep",
    "rumelhart1986learning",
    "lecun1998gradient",
    "glorot2010understanding",
    "he2015delving",
    "kingma2015adam",
    "hochreiter1997long",
    "vaswani2017attention",
    "srivastava2014dropout",
    "bradbury2018jax",
}


def test_citation_cff_is_complete_and_matches_the_package():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    for key in ("cff-version", "message", "title", "authors", "version", "url"):
        assert cff.get(key), f"CITATION.cff lacks {key!r}"
    assert str(cff["version"]) == nnbook.__version__
    assert cff["preferred-citation"]["type"] == "book"


def test_bibliography_parses_and_has_the_required_sources():
    bib = pybtex.parse_file(str(ROOT / "docs" / "references.bib"))
    missing = REQUIRED_SOURCES - set(bib.entries)
    assert not missing, f"references.bib lacks {sorted(missing)}"
    for key, entry in bib.entries.items():
        assert entry.fields.get("title"), f"{key}: no title"
        assert entry.fields.get("year"), f"{key}: no year"
    for key in REQUIRED_SOURCES:
        fields = bib.entries[key].fields
        assert fields.get("doi") or fields.get("url"), f"{key}: no DOI or URL"


def test_generated_bibtex_for_book_and_chapter_parses():
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        import nnbook_citation
    finally:
        sys.path.pop(0)
    cff = nnbook_citation.load_cff(ROOT)
    text = (
        nnbook_citation.book_bibtex(cff)
        + "\n\n"
        + nnbook_citation.chapter_bibtex(
            cff, "4", "Layers and the forward pass", "chapters/04-layers-forward-pass.html"
        )
    )
    bib = pybtex.parse_string(text, "bibtex")
    book, chapter = bib.entries.values()
    assert book.type == "book" and chapter.type == "incollection"
    assert chapter.fields["chapter"] == "4"
    assert chapter.fields["url"].endswith("chapters/04-layers-forward-pass.html")
    assert nnbook.__version__ in book.fields["edition"]
