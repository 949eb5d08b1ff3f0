"""Printed text shown the same in every build: myst-nb's stream merging, made exact.

A kernel sends what a cell prints in pieces: ipykernel flushes its buffer every 0.2 s
and whenever the code flushes, so where one piece ends and the next begins depends on
timing. With ``nb_merge_streams = True`` myst-nb 1.4 joins the pieces of a cell's
stdout (and of its stderr) in ``myst_nb.core.utils.coalesce_streams``, but it strips
each piece's trailing whitespace and adds a newline before joining: a boundary that
falls between a printed line and its ``"\\n"`` gives an empty line, one inside a line
breaks it in two. So the same chapter could show one more blank line in one build than
in the next (CI's comparison of two builds caught it in chapter 15).

This extension joins consecutive pieces of one stream exactly, by concatenating their
text, before myst-nb's merge runs (:func:`join_streams`, which the downloads use too).
myst-nb then sees one piece per run of output, and the rest of what it does is
unchanged: trailing whitespace to one newline, ``\\r`` and ``\\b`` applied, stdout
before stderr. It relies on ``myst_nb.core.render`` calling ``coalesce_streams`` by
that name (myst-nb 1.4); ``setup`` refuses to load if the name is gone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from sphinx.errors import ExtensionError


def _text(out) -> str:
    text = out.get("text", "")
    return text if isinstance(text, str) else "".join(text)


def join_streams(outputs: list) -> list:
    """Join consecutive outputs of one stream (stdout or stderr) into one, exactly.

    The input is not modified. Outputs of other kinds, and a stream after another kind
    or after the other stream, start a new output.

    >>> import nbformat
    >>> out = nbformat.v4.new_output
    >>> pieces = [out("stream", name="stdout", text=t) for t in ("one li", "ne\\n", "\\ntwo\\n")]
    >>> [o["text"] for o in join_streams(pieces)]
    ['one line\\n\\ntwo\\n']
    """
    joined: list = []
    for out in outputs:
        prev = joined[-1] if joined else None
        if (
            out.get("output_type") == "stream"
            and prev is not None
            and prev.get("output_type") == "stream"
            and prev.get("name") == out.get("name")
        ):
            prev["text"] = _text(prev) + _text(out)
        else:
            joined.append(copy.deepcopy(out))
    return joined


def exact(coalesce: Callable[[list], list]) -> Callable[[list], list]:
    """``coalesce`` (myst-nb's merge) applied to the outputs after :func:`join_streams`."""

    def coalesce_exactly(outputs: list) -> list:
        return coalesce(join_streams(outputs))

    coalesce_exactly.nnbook_exact = True  # type: ignore[attr-defined]
    coalesce_exactly.__wrapped__ = coalesce  # type: ignore[attr-defined]
    return coalesce_exactly


def setup(app):
    try:
        from myst_nb.core import render
    except ImportError as err:  # pragma: no cover - the book always has myst-nb
        raise ExtensionError("nnbook_streams needs myst-nb (myst_nb.core.render)") from err
    original = getattr(render, "coalesce_streams", None)
    if original is None:
        raise ExtensionError(
            "nnbook_streams: myst_nb.core.render.coalesce_streams is gone (a myst-nb "
            "upgrade?); check how the new version merges stream outputs and update "
            "docs/_ext/nnbook_streams.py"
        )
    if not getattr(original, "nnbook_exact", False):  # a second build in one process
        render.coalesce_streams = exact(original)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
