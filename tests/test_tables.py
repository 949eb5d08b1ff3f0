"""nnbook.book.tables: the small HTML tables of the chapters' outputs."""

from __future__ import annotations

import html
import types
from html.parser import HTMLParser

import numpy as np
import pytest

from nnbook.book import tables
from nnbook.book.tables import show_table, table_html


class _Cells(HTMLParser):
    """Collects the text of every <caption>, <th> and <td>, and every tag opened."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.cells: list[tuple[str, str]] = []
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in {"caption", "th", "td"}:
            self._open, text = tag, ""
            self.cells.append((tag, text))

    def handle_endtag(self, tag):
        if tag == self._open:
            self._open = None

    def handle_data(self, data):
        if self._open:
            tag, text = self.cells[-1]
            self.cells[-1] = (tag, text + data)


def parse(text: str) -> _Cells:
    parser = _Cells()
    parser.feed(text)
    parser.close()
    return parser


def test_same_html_as_the_chapters_own_helpers_made():
    # Chapters 4 and 6 each defined show_table with exactly this markup: the tables
    # must look as before.
    headers, rows = ["step", "shape"], [("input batch", "(5, 3)"), ("output", "(5, 2)")]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    old = f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    assert table_html(headers, rows) == old


def test_every_piece_of_text_is_escaped():
    nasty = ['<script>alert("x")</script>', "a & b", "x < 0 > y", 'it\'s "quoted"']
    text = table_html(nasty[:2], [nasty[2:]], caption="</table><b>caption</b>")
    parsed = parse(text)
    # The only tags are the table's own: nothing in the text became markup.
    tags = ["table", "caption", "thead", "tr", "th", "th", "tbody", "tr", "td", "td"]
    assert parsed.tags == tags
    assert parsed.cells == [
        ("caption", "</table><b>caption</b>"),
        ("th", nasty[0]),
        ("th", nasty[1]),
        ("td", nasty[2]),
        ("td", nasty[3]),
    ]
    assert "<script>" not in text and "&lt;script&gt;" in text and "&quot;" in text


def test_integers_and_numpy_integers_are_shown_as_typed():
    rows = [(0, np.int64(7), True)]
    cells = parse(table_html(["a", "b", "c"], rows)).cells
    assert [c for _, c in cells] == ["a", "b", "c", "0", "7", "True"]


def test_empty_body_and_caption():
    assert parse(table_html(["only"], [])).tags == ["table", "thead", "tr", "th", "tbody"]
    assert table_html(["a"], [], caption=None) == table_html(["a"], [])
    assert table_html(["a"], [], caption="").startswith('<table class="table"><caption></caption>')


def test_rows_may_be_any_sequence_of_lists_or_tuples():
    as_lists = table_html(["a", "b"], [["1", "2"], ["3", "4"]])
    assert table_html(("a", "b"), (("1", "2"), ("3", "4"))) == as_lists


@pytest.mark.parametrize(
    ("headers", "rows", "error", "match"),
    [
        ([], [], ValueError, r"^headers: expected at least one"),
        ("ab", [], TypeError, r"^headers: expected a list or tuple, got str"),
        (None, [], TypeError, r"^headers: expected a list or tuple, got NoneType"),
        (["a"], "x", TypeError, r"^rows: expected a list or tuple, got str"),
        (["a"], np.zeros((2, 1)), TypeError, r"^rows: expected a list or tuple, got ndarray"),
        (["a"], ["x"], TypeError, r"^rows\[0\]: expected a list or tuple, got str"),
        (["a", "b"], [["1", "2"], ["3"]], ValueError, r"^rows\[1\]: expected 2 entries.*got 1"),
        (["a"], [["1", "2"]], ValueError, r"^rows\[0\]: expected 1 entries.*got 2"),
        (["a"], [[0.5]], TypeError, r"^rows\[0\]\[0\]: expected a string or an integer, got float"),
        (["a"], [[np.float32(1)]], TypeError, r"^rows\[0\]\[0\]: .*got float32"),
        (["a"], [[None]], TypeError, r"^rows\[0\]\[0\]: .*got NoneType"),
        ([1.5], [], TypeError, r"^headers\[0\]: expected a string or an integer, got float"),
    ],
)
def test_bad_input_names_the_argument(headers, rows, error, match):
    with pytest.raises(error, match=match):
        table_html(headers, rows)
    with pytest.raises(error, match=match):  # checked before anything is shown
        show_table(headers, rows)


def test_bad_caption_names_the_argument():
    with pytest.raises(TypeError, match=r"^caption: expected a string or None, got int"):
        table_html(["a"], [], caption=3)


def test_show_table_outside_ipython_prints_the_html(capsys, monkeypatch):
    monkeypatch.setattr(tables, "_ipython", lambda: None)
    assert show_table(["a"], [["1"]], caption="c") is None
    assert capsys.readouterr().out == table_html(["a"], [["1"]], caption="c") + "\n"


def test_show_table_in_ipython_displays_html(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(tables, "_ipython", lambda: types.SimpleNamespace())
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    assert show_table(["a"], [[1]]) is None
    (obj,) = shown
    assert isinstance(obj, IPython.display.HTML)
    assert obj.data == table_html(["a"], [[1]])
    assert obj._repr_html_() == obj.data  # what myst-nb writes into the page
