"""LaTeX as the book writes it, drawn by matplotlib's mathtext into small PNG images.

This module owns the math of the worksheets. ``to_mathtext`` maps the LaTeX the chapters
use to what mathtext parses (``\\lVert`` to ``\\Vert``, ``\\tfrac`` to ``\\frac``,
braces around single-token arguments, Unicode primes, ...); ``check_math`` says whether
mathtext can draw an expression; ``render_math`` draws it into a PNG, kept in a cache
folder under a hash of the mapped expression, and returns its size and depth below the
baseline in points. An expression mathtext cannot draw raises :class:`MathError` naming
it. matplotlib, numpy and PIL are imported only when an expression is drawn.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .model import BODY_SIZE


class MathError(ValueError):
    """An expression that mathtext cannot typeset, even after mapping."""

    def __init__(self, expression: str, reason: str):
        super().__init__(f"cannot typeset the math {expression!r}: {reason}")
        self.expression = expression
        self.reason = reason


# Commands mathtext lacks, and the equivalent it draws the same way.
_COMMAND_MAP = {
    "lVert": r"\Vert",
    "rVert": r"\Vert",
    "lvert": "|",
    "rvert": "|",
    "vert": "|",
    "le": r"\leq",
    "ge": r"\geq",
    "tfrac": r"\frac",
    "dfrac": r"\frac",
    "bm": r"\boldsymbol",
    "lbrace": r"\{",
    "rbrace": r"\}",
    "colon": ":",
    "dots": r"\ldots",
    "textrm": r"\mathrm",
    "textit": r"\mathit",
    "textbf": r"\mathbf",
    "texttt": r"\mathtt",
    "operatorname*": r"\operatorname",
    "qquad": r"\quad\quad",
    "eqqcolon": "=:",
    "coloneqq": ":=",
    "displaystyle": "",
    "textstyle": "",
    "left": "",
    "right": "",
    "bigl": "",
    "bigr": "",
    "Bigl": "",
    "Bigr": "",
    "big": "",
    "Big": "",
}
# Commands whose one argument mathtext wants in braces (LaTeX also takes a single token).
_ONE_ARG = (
    "mathbf",
    "mathrm",
    "mathit",
    "mathsf",
    "mathtt",
    "mathcal",
    "boldsymbol",
    "operatorname",
    "text",
    "sqrt",
    "hat",
    "bar",
    "vec",
    "tilde",
    "dot",
    "overline",
)
_COMMAND = re.compile(r"\\([A-Za-z]+\*?)")
_ONE_ARG_BARE = re.compile(r"\\(" + "|".join(_ONE_ARG) + r")\s*([A-Za-z0-9]|\\[A-Za-z]+)")
_FRAC_DIGITS = re.compile(r"\\frac\s*([0-9])\s*([0-9])")
_FUNCTION_PRIME = re.compile(r"\\(tanh|sinh|cosh|sin|cos|tan|exp|log|ln|max|min)\s*(?=')")
_SIGN = re.compile(r"((?:[,;(\[=<>]|\\(?:approx|leq|geq|neq|in|to|mapsto|times|cdot))\s*)-")
_LEFT_RIGHT = re.compile(r"\\(left|right|[bB]ig[lr]?)\s*(\\[{}|]|\\[A-Za-z]+|[()\[\]|./])")


def to_mathtext(latex: str) -> str:
    """Map the LaTeX the book uses to what matplotlib's mathtext parses.

    ``\\lVert\\mathbf w\\rVert \\le \\tfrac14`` becomes
    ``\\Vert\\mathbf{w}\\Vert \\leq \\frac{1}{4}``: commands mathtext lacks are replaced by
    ones it draws the same way, single-token arguments get braces, line breaks become
    spaces and primes become the Unicode prime (mathtext floats ``'`` away from its base).
    """
    s = " ".join(latex.split())  # newlines inside $...$ are spaces

    # \left( ... \right) and \bigl| ...: keep the delimiter, drop the sizing command.
    def _delimiter(m: re.Match) -> str:
        d = m.group(2)
        if d == ".":
            return ""
        return _COMMAND_MAP.get(d[1:], d) if d.startswith("\\") and d[1:] in _COMMAND_MAP else d

    s = _LEFT_RIGHT.sub(_delimiter, s)
    s = _FRAC_DIGITS.sub(r"\\frac{\1}{\2}", s)  # \tfrac14 after mapping: \frac14
    s = _COMMAND.sub(lambda m: _COMMAND_MAP.get(m.group(1), m.group(0)), s)
    s = _FRAC_DIGITS.sub(r"\\frac{\1}{\2}", s)
    s = _ONE_ARG_BARE.sub(lambda m: f"\\{m.group(1)}{{{m.group(2)}}}", s)
    # Primes: mathtext sets ' as a detached superscript; the Unicode prime sits right.
    s = _FUNCTION_PRIME.sub(lambda m: f"\\mathrm{{{m.group(1)}}}", s)
    s = re.sub(r"\\operatorname\{([^{}]*)\}(?=')", r"\\mathrm{\1}", s)
    s = re.sub(
        r"(?:\^\{\\prime\}|\\prime|')+", lambda m: PRIMES[min(_count_primes(m.group(0)), 3)], s
    )
    # A minus after a comma, an opening bracket or a relation is a sign, not a binary
    # operator (mathtext would set "(2, 1, - 1)" and "\\approx - 16").
    s = _SIGN.sub(r"\1{-}", s)
    return s.strip()


PRIMES = {1: "\u2032", 2: "\u2033", 3: "\u2034"}


def _count_primes(run: str) -> int:
    return run.count("'") + run.count("prime")


@dataclass(frozen=True)
class MathImage:
    """A typeset expression: a PNG file and its size and depth below the baseline, in points."""

    path: Path
    width: float
    height: float
    depth: float


MATH_DPI = 600
MATH_RENDER = 2  # bump when the way math is drawn changes: the cached images are redrawn
MATH_FONTSET = "stix"  # matches the STIX text face of the worksheets


@functools.lru_cache(maxsize=4096)
def _mathtext_raster(mathtext: str, fontsize: float):
    """mathtext's raster of ``$mathtext$``: ink as an alpha array, sizes in pixels."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    with mpl.rc_context({"mathtext.fontset": MATH_FONTSET, "mathtext.default": "normal"}):
        parser = MathTextParser("agg")
        return parser.parse(f"${mathtext}$", dpi=MATH_DPI, prop=FontProperties(size=fontsize))


def _raster(latex: str, fontsize: float):
    mathtext = to_mathtext(latex)
    if not mathtext:
        raise MathError(latex, "the expression is empty")
    try:
        return mathtext, _mathtext_raster(mathtext, fontsize)
    except ValueError as err:
        reason = " ".join(str(err).split())
        raise MathError(latex, f"mathtext says: {reason} (after mapping: {mathtext!r})") from None


def check_math(latex: str) -> str:
    """The mathtext form of ``latex``; raise :class:`MathError` if mathtext cannot draw it."""
    return _raster(latex, BODY_SIZE)[0]


def render_math(latex: str, fontsize: float, cache_dir: Path, *, display: bool = False):
    """Typeset ``latex`` into a PNG in ``cache_dir``; return the file and its size in points.

    The PNG and a note of its size are kept in ``cache_dir`` under a hash of the mapped
    expression, so a rebuild typesets only new math.
    """
    import numpy as np
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    size = round(fontsize * (1.1 if display else 1.0), 2)
    mathtext = to_mathtext(latex)
    key = f"{MATH_RENDER}|{MATH_FONTSET}|{MATH_DPI}|{size}|{mathtext}"
    key = hashlib.sha256(key.encode()).hexdigest()[:20]
    path, note = cache_dir / f"{key}.png", cache_dir / f"{key}.json"
    scale = 72.0 / MATH_DPI
    if path.is_file() and note.is_file():
        width_px, height_px, depth_px = json.loads(note.read_text())
        return MathImage(path, width_px * scale, height_px * scale, depth_px * scale)
    mathtext, raster = _raster(latex, size)
    alpha = np.asarray(raster.image, dtype=np.uint8)
    height_px, width_px = alpha.shape
    cache_dir.mkdir(parents=True, exist_ok=True)
    rgba = np.zeros((height_px, width_px, 4), dtype=np.uint8)  # black ink ...
    rgba[..., 3] = alpha  # ... on a transparent ground
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", pnginfo=PngInfo(), optimize=True)
    for target, data in (
        (path, buffer.getvalue()),
        (note, json.dumps([width_px, height_px, raster.depth]).encode()),
    ):
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return MathImage(path, width_px * scale, height_px * scale, raster.depth * scale)
