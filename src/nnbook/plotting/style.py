"""The book's figure style and colour palette (used in every chapter, set up in chapter 1).

One matplotlib style file, ``nnbook.mplstyle``, ships inside this package. It gives
every figure an opaque white background (so figures stay readable when the site is
in dark mode), the Okabe-Ito colour-blind-safe palette, readable font sizes, no
top/right spines, a light grid, and a resolution that makes crisp but small PNGs.
Figures use matplotlib's constrained layout, so chapters need no (and should not call)
``fig.tight_layout()``, which would switch engines with a warning.

Importing this module changes nothing: the style is applied only by
:func:`use_style`, either for the rest of a session or inside a ``with`` block.
"""

from __future__ import annotations

import warnings
from importlib import resources
from types import TracebackType

import matplotlib as mpl
import matplotlib.style
from matplotlib.colors import LinearSegmentedColormap

__all__ = ["DIVERGING_CMAP", "NEGATIVE", "PALETTE", "POSITIVE", "STYLE_NAME", "use_style"]

#: Okabe & Ito (2008) colour-blind-safe colours, in the order of the style's colour
#: cycle: blue, vermillion, bluish green, reddish purple, orange, sky blue, black,
#: yellow (last: too pale for thin lines on white).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
)

#: Colours for positive and negative quantities (weights, class 1 vs class 0 sides).
POSITIVE: str = PALETTE[0]
NEGATIVE: str = PALETTE[1]

#: Diverging colour map from blue (0) through white (0.5) to vermillion (1), both ends
#: mixed 55% with white so that markers drawn on top of it keep their contrast.
DIVERGING_CMAP = LinearSegmentedColormap.from_list(
    "nnbook_diverging", ["#8CBFDC", "#FFFFFF", "#ECB68C"]
)

#: Dotted name matplotlib also accepts: ``plt.style.use(STYLE_NAME)``.
STYLE_NAME: str = "nnbook.plotting.nnbook"


def _style_file() -> resources.abc.Traversable:
    return resources.files("nnbook.plotting") / "nnbook.mplstyle"


class use_style:  # noqa: N801  (used like a function: ``use_style()``)
    """Apply the book's matplotlib style, globally or for one ``with`` block.

    Calling ``use_style()`` applies the style at once and it stays applied, which is
    what a notebook wants. The returned object is also a context manager: on leaving
    a ``with use_style():`` block every rcParam is restored to its earlier value.

    Examples:
        >>> import matplotlib as mpl
        >>> from nnbook.plotting import use_style
        >>> before = mpl.rcParams["axes.spines.top"]
        >>> with use_style():
        ...     print(mpl.rcParams["axes.spines.top"], mpl.rcParams["figure.facecolor"])
        False white
        >>> mpl.rcParams["axes.spines.top"] == before
        True
    """

    def __init__(self) -> None:
        saved = dict(mpl.rcParams.copy())
        del saved["backend"]  # never switch the backend back and forth
        self._saved = saved
        with resources.as_file(_style_file()) as path:
            matplotlib.style.use(path)

    def __enter__(self) -> use_style:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with warnings.catch_warnings():
            # Restoring a complete snapshot touches deprecated keys too; that is fine.
            warnings.simplefilter("ignore", mpl.MatplotlibDeprecationWarning)
            mpl.rcParams.update(self._saved)
