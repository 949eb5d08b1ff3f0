"""LaTeX as the book writes it, drawn by matplotlib's mathtext into small PNG images.

This module owns the math of the worksheets. ``to_mathtext`` maps the LaTeX the chapters
use to what mathtext parses (``\\lVert`` to ``\\Vert``, ``\\tfrac`` to ``\\frac``,
braces around single-token arguments, Unicode primes, ...); ``check_math`` says whether
mathtext can draw an expression; ``render_math`` draws it into a PNG, kept in a cache
folder under a hash of the mapped expression, and returns its size and depth below the
baseline in points. An expression mathtext cannot draw raises :class:`MathError` naming
it. ``prerender`` fills that cache for many expressions at once on every core, before
the sheets are typeset. matplotlib, numpy and PIL are imported only when an expression
is drawn.
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


def _cached_files(latex: str, fontsize: float, cache_dir: Path, display: bool):
    """The drawing size of an expression and its two files in the cache (image, size note)."""
    size = round(fontsize * (1.1 if display else 1.0), 2)
    key = f"{MATH_RENDER}|{MATH_FONTSET}|{MATH_DPI}|{size}|{to_mathtext(latex)}"
    key = hashlib.sha256(key.encode()).hexdigest()[:20]
    return size, cache_dir / f"{key}.png", cache_dir / f"{key}.json"


def render_math(latex: str, fontsize: float, cache_dir: Path, *, display: bool = False):
    """Typeset ``latex`` into a PNG in ``cache_dir``; return the file and its size in points.

    The PNG and a note of its size are kept in ``cache_dir`` under a hash of the mapped
    expression, so a rebuild typesets only new math.
    """
    import numpy as np
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    size, path, note = _cached_files(latex, fontsize, cache_dir, display)
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
    # zlib's default level: reportlab re-encodes the pixels into the PDF anyway, so a
    # smaller file buys nothing, and optimize=True took five times as long (9 s a book)
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", pnginfo=PngInfo())
    for target, data in (
        (path, buffer.getvalue()),
        (note, json.dumps([width_px, height_px, raster.depth]).encode()),
    ):
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return MathImage(path, width_px * scale, height_px * scale, raster.depth * scale)


def _prerender_one(request: tuple[str, float, bool, str]) -> None:
    latex, fontsize, display, cache_dir = request
    try:
        render_math(latex, fontsize, Path(cache_dir), display=display)
    except MathError:
        pass  # reported, with the chapter and the exercise, when the sheet is typeset


def is_cached(latex: str, fontsize: float, cache_dir: Path, *, display: bool = False) -> bool:
    """Whether :func:`render_math` would find this expression in ``cache_dir``."""
    _, path, note = _cached_files(latex, fontsize, cache_dir, display)
    return path.is_file() and note.is_file()


def prerender(requests, cache_dir: Path, workers: int | None = None, minimum: int = 24) -> int:
    """Draw the ``(latex, fontsize, display)`` requests not yet cached, in parallel.

    Only a warm-up of the cache that :func:`render_math` reads: the worksheets then find
    the images drawn, and anything left out here (or that fails) is drawn or reported
    there, as before. ``workers`` processes are started with ``spawn`` (the Sphinx
    process may run threads, which ``fork`` does not mix with); below ``minimum``
    expressions, or with one worker, it draws nothing and returns 0, since starting the
    processes (about a second each) would cost more. Returns how many it drew.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    todo = sorted(
        {
            (latex, fontsize, display)
            for latex, fontsize, display in requests
            if latex.strip() and not is_cached(latex, fontsize, cache_dir, display=display)
        }
    )
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(todo) < minimum:
        return 0
    cache_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(latex, fontsize, display, str(cache_dir)) for latex, fontsize, display in todo]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        list(pool.map(_prerender_one, jobs, chunksize=max(1, len(jobs) // (4 * workers))))
    return len(todo)
