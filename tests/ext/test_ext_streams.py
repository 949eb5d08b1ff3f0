"""nnbook_streams: consecutive pieces of printed text joined exactly, before myst-nb's merge.

The real kernel, whose pieces split where the code flushed, is in ``test_ext_downloads``
(one build serves both); these tests take the outputs as given.
"""

from __future__ import annotations

import json

import nbformat
import nnbook_streams
import pytest
from nnbook_streams import exact, join_streams
from sphinx.errors import ExtensionError

out = nbformat.v4.new_output


def _stdout(*texts):
    return [out("stream", name="stdout", text=t) for t in texts]


def test_join_streams_joins_consecutive_text_of_one_stream_only():
    outputs = [
        out("stream", name="stdout", text="a\n"),
        out("stream", name="stdout", text=["b\n", "c\n"]),
        out("stream", name="stderr", text="warn\n"),
        out("stream", name="stdout", text="d\n"),
        out("execute_result", data={"text/plain": "1"}, execution_count=1),
        out("stream", name="stdout", text="e\n"),
    ]
    before = json.dumps(outputs, sort_keys=True)
    merged = join_streams(outputs)
    assert [(o.get("name"), o.get("text")) for o in merged] == [
        ("stdout", "a\nb\nc\n"),
        ("stderr", "warn\n"),
        ("stdout", "d\n"),
        (None, None),
        ("stdout", "e\n"),
    ]
    assert json.dumps(outputs, sort_keys=True) == before  # the input is not modified


@pytest.mark.parametrize(
    "pieces",
    [
        ("one line\ntwo\n",),
        ("one line\n", "two\n"),
        ("one line", "\ntwo\n"),  # the boundary before a newline: myst-nb adds a line
        ("one li", "ne\ntwo\n"),  # the boundary inside a line: myst-nb breaks it
        ("one line\n", "", "two", "\n"),
    ],
)
def test_the_page_merge_gives_the_same_text_wherever_the_pieces_split(pieces):
    from myst_nb.core.utils import coalesce_streams

    merged = exact(coalesce_streams)(_stdout(*pieces))
    assert [o["text"] for o in merged] == ["one line\ntwo\n"]


def test_myst_nb_alone_still_adds_the_line_this_extension_removes():
    """If this fails, myst-nb fixed its merge, and nnbook_streams may go."""
    from myst_nb.core.utils import coalesce_streams

    assert [o["text"] for o in coalesce_streams(_stdout("one line", "\ntwo\n"))] == [
        "one line\n\ntwo\n"
    ]


def test_the_rest_of_myst_nbs_merge_still_applies():
    from myst_nb.core.utils import coalesce_streams

    outputs = [
        out("stream", name="stderr", text="warn"),
        out("stream", name="stdout", text="10%\r"),
        out("stream", name="stdout", text="100%\n\n\n"),
    ]
    merged = exact(coalesce_streams)(outputs)
    assert [(o["name"], o["text"]) for o in merged] == [("stdout", "100%\n"), ("stderr", "warn\n")]


def test_setup_wraps_myst_nbs_merge_once(monkeypatch):
    from myst_nb.core import render, utils

    monkeypatch.setattr(render, "coalesce_streams", utils.coalesce_streams)
    for _ in range(2):  # a second build in the same process
        assert nnbook_streams.setup(None)["parallel_read_safe"]
    assert render.coalesce_streams.nnbook_exact
    assert render.coalesce_streams.__wrapped__ is utils.coalesce_streams


def test_setup_refuses_a_myst_nb_without_the_merge_it_wraps(monkeypatch):
    from myst_nb.core import render

    monkeypatch.delattr(render, "coalesce_streams")
    with pytest.raises(ExtensionError, match="coalesce_streams is gone"):
        nnbook_streams.setup(None)
