"""Plot helpers and the book's figure style (used in every chapter).

Each helper draws into an ``ax`` the chapter created and returns it; nothing here
changes matplotlib's settings at import. :mod:`nnbook.plotting.legibility` states the
rule every figure follows (no text below 10 CSS px, on a desktop or a phone) and the
functions the site check measures it with. Apply the book style with :func:`use_style`
(``setup_chapter()`` in :mod:`nnbook.book` does this for a chapter).
"""

from nnbook.plotting import legibility
from nnbook.plotting.basic import plot_decision_boundary, plot_image_grid, plot_loss_curves
from nnbook.plotting.network import draw_network
from nnbook.plotting.style import (
    DIVERGING_CMAP,
    NEGATIVE,
    PALETTE,
    POSITIVE,
    STYLE_NAME,
    use_style,
)

__all__ = [
    "DIVERGING_CMAP",
    "NEGATIVE",
    "PALETTE",
    "POSITIVE",
    "STYLE_NAME",
    "draw_network",
    "legibility",
    "plot_decision_boundary",
    "plot_image_grid",
    "plot_loss_curves",
    "use_style",
]
