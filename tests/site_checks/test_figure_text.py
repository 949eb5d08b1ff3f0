"""Figure text is readable where the page shows it: no text below 10 CSS px, measured in
Chromium at a 1280 px desktop window and on a 390 px phone screen.

For every figure a chapter shows (every visible ``<img>`` of the article whose file is a
PNG the chapter's code made), the smallest text it can contain is

    font_pt * dpi / 72 * shown_width / natural_width   CSS px,

where ``shown_width`` is the width Chromium lays the image out at, ``natural_width`` and
``dpi`` come from the PNG itself (matplotlib writes its dpi into the file) and
``font_pt`` is the smallest font the figure's code can use: the smallest text size of the
book style (``nnbook.mplstyle``, which every chapter's setup applies) or a smaller size
the cell asks for as a literal (``fontsize=9``). The cell is found through the executed
notebook the site offers for download: each image file is named by the SHA-256 of its
bytes, and so is each PNG output of the notebook. A size the check cannot read (a
variable) fails the check: write sizes as literals. The rule and the arithmetic are in
``nnbook.plotting.legibility``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest

from nnbook.plotting import legibility

from .conftest import CHAPTERS, open_page

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1280, "phone": 390}

# Every visible image of the article: its file, pixel width, laid-out width and figure.
IMAGES = """() => [...document.querySelectorAll('article.bd-article img')]
  .filter(i => i.getBoundingClientRect().width > 0 && i.naturalWidth > 0)
  .map(i => {
    const fig = i.closest('figure');
    const num = fig && fig.querySelector('.caption-number');
    return {src: i.getAttribute('src'), natural: i.naturalWidth,
            shown: i.getBoundingClientRect().width,
            figure: num ? num.textContent.trim() : (fig && fig.id) || 'an unnumbered image'};
  })"""


def _cell_sources(html_dir, name: str) -> dict[str, str]:
    """SHA-256 of every PNG the chapter's notebook shows -> the source of its cell."""
    path = html_dir / "notebooks" / "chapters" / f"{name}.ipynb"
    if not path.is_file():
        pytest.fail(f"{path} is missing: the site must offer the executed notebook")
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for cell in nb["cells"]:
        source = "".join(cell.get("source", ""))
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                digest = hashlib.sha256(base64.b64decode("".join(png))).hexdigest()
                out[digest] = source
    return out


def _dpi(data: bytes) -> float:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        dpi = img.info.get("dpi")
    if not dpi:
        raise AssertionError("the PNG records no dpi")
    return float(dpi[0])


@pytest.mark.parametrize("name", CHAPTERS)
def test_figure_text_is_at_least_10_css_px(browser, site_url, html_dir, name):
    style_floor = min(legibility.style_font_sizes().values())
    base = legibility.style_font_sizes()["font.size"]
    sources = _cell_sources(html_dir, name)
    problems: list[str] = []
    measured = 0
    for label, width in WIDTHS.items():
        page, _, _ = open_page(browser, f"{site_url}/chapters/{name}.html", width=width)
        # Measure every figure as a reader sees it once opened, folded outputs included.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        images = page.evaluate(IMAGES)
        page.context.close()
        for img in images:
            file = (html_dir / "chapters" / img["src"]).resolve()
            if file.suffix != ".png" or not file.is_file():
                continue
            data = file.read_bytes()
            source = sources.get(hashlib.sha256(data).hexdigest())
            if source is None:
                continue  # not made by the chapter's code (a logo, say)
            sizes, unreadable = legibility.font_sizes_in_source(source, base=base)
            if unreadable:
                problems.append(
                    f"{img['figure']}: font sizes the check cannot read {unreadable}; "
                    "write them as numbers"
                )
            font_pt = min([style_floor, *sizes])
            px = legibility.css_px(font_pt, _dpi(data), img["shown"], img["natural"])
            measured += 1
            if px < legibility.MIN_CSS_PX - 0.05:
                problems.append(
                    f"{img['figure']} at {width} px ({label}): its {font_pt:g} pt text is "
                    f"{px:.1f} CSS px (image {img['natural']} px wide shown at "
                    f"{img['shown']:.0f} px); the smallest allowed is "
                    f"{legibility.MIN_CSS_PX:g}. Make the figure narrower (at most "
                    f"{legibility.max_width_in(font_pt):.1f} in as saved) or its text larger."
                )
    assert measured, f"{name}: no figure found to measure"
    assert not problems, f"{name}:\n" + "\n".join(sorted(set(problems)))
