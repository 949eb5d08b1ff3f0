"""``nnbook_renumber``: equation numbers continue across parts too.

``tests/test_renumber.py`` checks chapter and figure numbers on a two-part book (in
fresh processes). Equations are numbered by the same machinery and the chapters cite
them with ``{eq}``, so this checks them in process: Part II's chapter numbers its
equations "(2.1)", and references to them say so from either part.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("myst_parser")


def _numbers(app, page: str) -> tuple[list[str], dict[str, str]]:
    """The equation numbers a page shows, and its {eq} links: target id -> text."""
    html = (app.outdir / f"{page}.html").read_text(encoding="utf-8")
    shown = re.findall(r'<span class="eqno">(\([0-9.]+\))', html)
    links = dict(re.findall(r'href="[^"]*#equation-([\w-]+)">(\([0-9.]+\))</a>', html))
    return shown, links


@pytest.mark.sphinx("html", testroot="renumber", freshenv=True)
def test_equations_of_part_two_continue_the_chapter_numbers(app):
    app.build()
    assert app.warning.getvalue() == ""
    assert _numbers(app, "one") == (["(1.1)"], {"eq-two": "(2.1)", "eq-one": "(1.1)"})
    assert _numbers(app, "two") == (["(2.1)", "(2.2)"], {"eq-one": "(1.1)", "eq-two-b": "(2.2)"})


def _add_equation_first(src) -> None:
    two = src / "two.md"
    text = two.read_text(encoding="utf-8")
    two.write_text(text.replace("# Two\n", "# Two\n\n$$\nz = W x\n$$ (eq-new)\n"), "utf-8")


def test_an_equation_added_renumbers_its_own_page(copy_root, make_app):
    src = copy_root("renumber")
    first = make_app("html", srcdir=src)
    first.build()
    first.cleanup()
    _add_equation_first(src)
    app = make_app("html", srcdir=src)  # incremental: only two.md is read again
    app.build()
    assert _numbers(app, "two") == (
        ["(2.1)", "(2.2)", "(2.3)"],
        {"eq-one": "(1.1)", "eq-two-b": "(2.3)"},
    )


def test_an_equation_added_updates_the_pages_citing_it(copy_root, make_app):
    src = copy_root("renumber")
    first = make_app("html", srcdir=src)
    first.build()
    first.cleanup()
    _add_equation_first(src)
    app = make_app("html", srcdir=src)
    app.build()
    assert _numbers(app, "one")[1]["eq-two"] == "(2.2)"
