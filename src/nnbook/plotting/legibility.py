"""Is the text of a figure big enough to read where the page shows it? (every chapter)

The book's rule: **no text in a figure is smaller than 10 CSS pixels** at the width the
page shows the figure, both in the desktop column (about 670 px wide at a 1280 px
window) and on a phone (a 390 px screen leaves a column of about 340 px). A PNG of
``natural_width`` pixels rendered at ``dpi`` and shown ``shown_width`` CSS pixels wide
draws a font of ``font_pt`` points at

.. math::

    \\text{CSS px} = \\text{font\\_pt} \\cdot \\frac{\\text{dpi}}{72}
    \\cdot \\frac{\\text{shown\\_width}}{\\text{natural\\_width}} .

On a phone the figure is scaled down to the column, so the rule caps its width: with the
book's smallest font, :data:`MIN_FONT_PT` = 12 pt, a figure may be at most about
5.7 inches wide (:func:`max_width_in`). Wide multi-panel figures therefore stack their
panels or are split.

Where the font sizes come from: the book style (``nnbook.mplstyle``, applied by
``nnbook.book.setup_chapter``) sets every default text size, and :func:`style_font_sizes`
reads them back; a chapter that asks for another size writes it as a literal
(``fontsize=13``) that :func:`font_sizes_in_source` finds. The site check
``tests/site_checks/test_figure_text.py`` combines the two with each PNG's pixel width
and dpi and the width Chromium shows it at. :func:`smallest_font_pt` audits a live
figure instead (the plot helpers are tested with it).
"""

from __future__ import annotations

import re
from importlib import resources
from typing import TYPE_CHECKING, Any

import matplotlib as mpl

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "MIN_CSS_PX",
    "MIN_FONT_PT",
    "PHONE_COLUMN_PX",
    "css_px",
    "font_sizes_in_source",
    "max_width_in",
    "smallest_font_pt",
    "style_font_sizes",
]

#: Smallest text size allowed on the page, in CSS pixels.
MIN_CSS_PX: float = 10.0
#: Width of the text column of a chapter on a 390 px phone screen (measured in Chromium
#: with sphinx-book-theme 1.4: 342 px).
PHONE_COLUMN_PX: int = 342
#: The smallest font size the book style uses (points); figures use nothing smaller.
MIN_FONT_PT: float = 12.0

#: rcParams that set a text size, and the sizes matplotlib's relative names stand for
#: (a fraction of ``font.size``, as in ``matplotlib.font_manager.font_scalings``).
TEXT_SIZE_KEYS: tuple[RcKeyType, ...] = (
    "font.size",
    "axes.titlesize",
    "axes.labelsize",
    "xtick.labelsize",
    "ytick.labelsize",
    "legend.fontsize",
    "legend.title_fontsize",
    "figure.titlesize",
    "figure.labelsize",
)
_SCALINGS = {
    "xx-small": 0.579,
    "x-small": 0.694,
    "small": 0.833,
    "medium": 1.0,
    "large": 1.2,
    "x-large": 1.44,
    "xx-large": 1.728,
    "larger": 1.2,
    "smaller": 0.833,
}

# fontsize=9, size=7.5, labelsize=8, "fontsize": 9, prop={"size": 9}, fontsize="small"
_SIZE_ARG = re.compile(
    r"""(?:\b(?:font)?size|\blabelsize|\btitle_fontsize|["'](?:font)?size["'])\s*[=:]\s*"""
    r"""(?P<value>[^,)\]}\n]+)"""
)
_NUMBER = re.compile(r"^\d+(?:\.\d*)?$")


def _resolve(value: Any, base: float) -> float:
    if isinstance(value, str):
        word = value.strip().strip("'\"")
        if word in _SCALINGS:
            return base * _SCALINGS[word]
        return float(word)
    return float(value)


def style_font_sizes(path: Any = None) -> dict[str, float]:
    """Every text size (points) the book style sets, named by its rcParam.

    Args:
        path: an ``.mplstyle`` file; default the book's own ``nnbook.mplstyle``.

    Returns:
        ``{"font.size": 12.0, "axes.titlesize": 13.0, ...}`` with relative names such as
        ``"small"`` turned into points.

    Examples:
        >>> sizes = style_font_sizes()
        >>> min(sizes.values()) >= MIN_FONT_PT
        True
    """
    if path is None:
        with resources.as_file(resources.files("nnbook.plotting") / "nnbook.mplstyle") as p:
            params = mpl.rc_params_from_file(str(p), use_default_template=True)
    else:
        params = mpl.rc_params_from_file(str(path), use_default_template=True)
    base = float(params["font.size"])
    return {key: _resolve(params[key], base) for key in TEXT_SIZE_KEYS}


def font_sizes_in_source(source: str, base: float | None = None) -> tuple[list[float], list[str]]:
    """Font sizes a cell's code asks for as literals, and the ones it cannot read.

    Finds ``fontsize=``, ``size=``, ``labelsize=``, ``title_fontsize=`` arguments and
    ``"fontsize":``/``"size":`` dictionary entries; numbers and matplotlib's relative
    names (``"small"``, ``"x-large"``, ...) are read, anything else (a variable, an
    expression) is returned as unreadable, so that a check can insist on literals.

    Args:
        source: Python source of one cell.
        base: the size relative names are relative to (default: the style's
            ``font.size``).

    Returns:
        ``(sizes in points, unreadable argument texts)``.

    Examples:
        >>> font_sizes_in_source('ax.text(0, 0, "a", fontsize=13); ax.legend(fontsize="large")', 10)
        ([13.0, 12.0], [])
        >>> font_sizes_in_source("ax.set_title(t, fontsize=size)", 12)
        ([], ['size'])
    """
    if base is None:
        base = style_font_sizes()["font.size"]
    sizes: list[float] = []
    unreadable: list[str] = []
    for match in _SIZE_ARG.finditer(source):
        text = match.group("value").strip()
        word = text.strip("'\"")
        if _NUMBER.match(word) or word in _SCALINGS:
            sizes.append(round(_resolve(word, base), 3))
        elif word == "None":  # size=None: the default
            continue
        else:
            unreadable.append(text)
    return sizes, unreadable


def smallest_font_pt(fig: Any) -> float:
    """The smallest font size (points) of any visible, non-empty text in a figure.

    Draws the figure first, so tick labels exist. Returns ``inf`` for a figure with no
    text.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> _ = ax.set_title("t", fontsize=15); _ = ax.text(0.5, 0.5, "x", fontsize=7)
        >>> smallest_font_pt(fig)
        7.0
        >>> plt.close(fig)
    """
    from matplotlib.text import Text

    fig.canvas.draw()
    sizes = [
        float(t.get_fontsize())
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and _drawn(t)
    ]
    return min(sizes, default=float("inf"))


def _drawn(text: Any) -> bool:
    """False for a text whose axes is hidden, or a tick label of an axes turned off."""
    ax = text.axes
    if ax is None:
        return True
    if not ax.get_visible():
        return False
    if not ax.axison:  # set_axis_off(): no axis (ticks, labels, offsets) is drawn
        axis_texts = [*ax.xaxis.findobj(type(text)), *ax.yaxis.findobj(type(text))]
        return all(text is not t for t in axis_texts)
    return True


def css_px(font_pt: float, dpi: float, shown_width: float, natural_width: float) -> float:
    """The size in CSS pixels of a ``font_pt`` font in a PNG shown at ``shown_width``.

    Examples:
        >>> round(css_px(12, 120, 342, 684), 2)   # a 5.7 in figure at 120 dpi, on a phone
        10.0
    """
    if natural_width <= 0:
        raise ValueError(f"natural_width is {natural_width}; expected a positive pixel width")
    return float(font_pt) * float(dpi) / 72.0 * float(shown_width) / float(natural_width)


def max_width_in(
    font_pt: float = MIN_FONT_PT, column_px: float = PHONE_COLUMN_PX, min_px: float = MIN_CSS_PX
) -> float:
    """The widest figure (inches, as saved) whose ``font_pt`` text stays >= ``min_px``.

    Examples:
        >>> round(max_width_in(12), 2)
        5.7
    """
    return float(font_pt) / 72.0 * float(column_px) / float(min_px)
