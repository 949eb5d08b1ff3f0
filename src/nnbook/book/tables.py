"""Small HTML tables in a chapter's output (chapters 4 and 6).

Part of the book's runtime (:mod:`nnbook.book`), not reference code. A chapter formats
its numbers itself (``f"{loss:.3f}"``), so the table shows exactly the digits the prose
talks about, and calls :func:`show_table`; :func:`table_html` is the same table as a
string. Every header, cell and caption is HTML-escaped, so a cell such as ``"x < 0"``
or ``"<b>"`` shows as typed and can never break the page. The table carries the class
``table`` that the book's theme styles.
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Sequence
from typing import Any

from nnbook.book.chapter import _ipython

__all__ = ["show_table", "table_html"]


def _cell(name: str, value: Any) -> str:
    """One header or cell as escaped text: a string, or an integer (or NumPy integer)."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, numbers.Integral):  # bool too: shown as True / False
        return html.escape(str(value), quote=True)
    raise TypeError(
        f"{name}: expected a string or an integer, got {type(value).__name__} {value!r} "
        f"(format numbers first, e.g. f'{{x:.3f}}')"
    )


def _sequence(name: str, value: Any) -> list[Any]:
    """``value`` as a list, for a list or tuple (a string is one cell, not a row)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name}: expected a list or tuple, got {type(value).__name__}")
    return list(value)


def table_html(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, caption: str | None = None
) -> str:
    r"""The HTML of a table with one header row, as :func:`show_table` displays it.

    Args:
        headers: Column titles, at least one, each a string.
        rows: The body, each row a list or tuple with one entry per header: a string
            already formatted the way the prose quotes it, or an integer. Floats and
            arrays are refused, so no table shows unrounded digits by accident. May be
            empty (a table of headers only).
        caption: Optional text above the table (a ``<caption>``).

    Returns:
        ``<table class="table">[<caption>...</caption>]<thead>...</thead><tbody>...
        </tbody></table>`` with every piece of text escaped.

    Raises:
        TypeError: If ``headers`` or ``rows`` (or a row) is not a list or tuple, or an
            entry is neither a string nor an integer.
        ValueError: If ``headers`` is empty or a row's length differs from it.

    Examples:
        >>> text = table_html(["x", "x < 1?"], [["0.50", "yes"], [2, "no"]])
        >>> print(text.replace("<tr>", "\n<tr>"))
        <table class="table"><thead>
        <tr><th>x</th><th>x &lt; 1?</th></tr></thead><tbody>
        <tr><td>0.50</td><td>yes</td></tr>
        <tr><td>2</td><td>no</td></tr></tbody></table>
        >>> table_html(["a"], [], caption="A & B").split("<thead>")[0]
        '<table class="table"><caption>A &amp; B</caption>'
        >>> table_html(["a", "b"], [["1"]])
        Traceback (most recent call last):
        ...
        ValueError: rows[0]: expected 2 entries (one per header), got 1
        >>> table_html(["loss"], [[0.1234567]])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: rows[0][0]: expected a string or an integer, got float 0.1234567 (format ...)
    """
    headers = _sequence("headers", headers)
    if not headers:
        raise ValueError("headers: expected at least one column title, got an empty list")
    head = "".join(f"<th>{_cell(f'headers[{j}]', h)}</th>" for j, h in enumerate(headers))
    body = []
    for i, row in enumerate(_sequence("rows", rows)):
        row = _sequence(f"rows[{i}]", row)
        if len(row) != len(headers):
            raise ValueError(
                f"rows[{i}]: expected {len(headers)} entries (one per header), got {len(row)}"
            )
        cells = "".join(f"<td>{_cell(f'rows[{i}][{j}]', c)}</td>" for j, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    if caption is None:
        cap = ""
    elif isinstance(caption, str):
        cap = f"<caption>{html.escape(caption, quote=True)}</caption>"
    else:
        raise TypeError(f"caption: expected a string or None, got {type(caption).__name__}")
    return (
        f'<table class="table">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def show_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, caption: str | None = None
) -> None:
    """Show a small HTML table in the chapter's output (a cell's result, at any line).

    Displays :func:`table_html` ``(headers, rows, caption=caption)`` through
    ``IPython.display``, so it works inside a function as well as on a cell's last
    line; in the book build myst-nb writes the table into the page as it is. Outside
    IPython (a plain ``python`` run, a doctest) it prints the HTML instead.

    Args:
        headers: Column titles, each a string.
        rows: One list or tuple per row, one formatted string (or integer) per header.
        caption: Optional text above the table.

    Raises:
        TypeError, ValueError: As :func:`table_html`, before anything is shown.

    Examples:
        >>> show_table(["n"], [[3]])  # doctest: +ELLIPSIS
        <table class="table"><thead><tr><th>n</th></tr></thead><tbody>...</tbody></table>
    """
    text = table_html(headers, rows, caption=caption)
    if _ipython() is None:
        print(text)
        return
    from IPython.display import HTML, display

    display(HTML(text))
