"""The HTML repairs of docs/_ext/nnbook_a11y.py, on the markup Sphinx writes."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))

import nnbook_a11y  # noqa: E402

SIGNATURE = (
    '<dt class="sig sig-object py" id="nnbook.activations.step">'
    '<span class="sig-name descname"><span class="pre">step</span></span>'
    '<span class="sig-paren">(</span>\n\n<dl>\n<dd><em class="sig-param">x</em>,</dd>\n'
    '</dl>\n\n<span class="sig-paren">)</span></dt>'
)


def test_multi_line_signature_list_is_marked_as_layout():
    out = nnbook_a11y.repair(SIGNATURE)
    assert '<dl role="presentation">' in out
    assert "<dl>" not in out
    assert out.replace(' role="presentation"', "") == SIGNATURE  # nothing else changes


def test_a_real_definition_list_is_left_alone():
    glossary = '<dl class="simple glossary">\n<dt id="term-x">x</dt><dd><p>y</p></dd></dl>'
    body = "<p>Some text (in brackets)</p>\n<dl>\n<dt>a</dt><dd>b</dd></dl>"
    assert nnbook_a11y.repair(glossary) == glossary
    assert nnbook_a11y.repair(body) == body


def test_bibliography_list_role_is_dropped():
    html = '<div role="list" class="citation-list"><div role="doc-biblioentry">x</div></div>'
    assert nnbook_a11y.repair(html) == (
        '<div class="citation-list"><div role="doc-biblioentry">x</div></div>'
    )
