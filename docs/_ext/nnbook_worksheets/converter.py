"""The converter of one exercise or solution: its doctree nodes to blocks of reportlab markup.

This module owns what the walkers of ``visitors`` need to know about where they are: the
chapter and exercise (for error messages), the type size, the math cache, the chapter's
figures (a figure the text cites is printed with the exercise) and Sphinx's environment
(numbers of references, image files). :class:`Converter` is the entry point
(``block``, ``blocks``, ``inline``, ``inline_node``); the errors it raises stop the build
and name the chapter, the exercise and what could not be printed.
"""

from __future__ import annotations

import html
from pathlib import Path

from docutils import nodes
from docutils.utils import get_source_line
from sphinx.errors import ExtensionError
from sphinx.util import logging

from . import numbering
from .mathtext import MathError, render_math
from .model import CAPTION_SIZE
from .visitors import BlockTranslator, InlineTranslator

logger = logging.getLogger(__name__)


class UnsupportedNode(ExtensionError):
    """A node inside an exercise or a solution that the worksheets have no print form for."""

    def __init__(self, where: str, node):
        cls = type(node)
        _source, line = get_source_line(node)
        at = f" (line {line})" if line else ""
        text = " ".join(node.astext().split())
        text = f"{text[:60]}..." if len(text) > 60 else text
        super().__init__(
            f"worksheets: {where}: no print form for a {cls.__name__} node "
            f"({cls.__module__}.{cls.__qualname__}){at}, holding {text!r}; give it a "
            f"visit_{cls.__name__} method in docs/_ext/nnbook_worksheets/visitors.py, or "
            "keep such markup out of exercises and solutions"
        )
        self.where = where
        self.node_type = cls.__name__


class Converter:
    """Nodes of one exercise or solution to blocks and markup (block kinds: see ``model``)."""

    def __init__(self, env, cache_dir: Path, fontsize: float, where: str, docname=None):
        self.env = env
        self.docname = docname
        self.figures: dict = {}  # id -> figure node of this chapter, to print cited figures
        self.cited: list = []  # figures the converted text refers to, in order
        self.cache_dir = cache_dir
        self.fontsize = fontsize
        self.where = where  # "chapters/02-single-neuron, exercise ex-...": for errors

    # entry points ---------------------------------------------------------------------
    def inline_node(self, node) -> str:
        """The markup of an inline node (or text)."""
        translator = InlineTranslator(self)
        node.walkabout(translator)
        return translator.markup()

    def inline(self, node) -> str:
        """The markup of a node's children: a paragraph's, a title's, a caption's."""
        return "".join(self.inline_node(child) for child in node.children)

    def block(self, node) -> list:
        """The blocks of a body element."""
        translator = BlockTranslator(self)
        node.walkabout(translator)
        return translator.out

    def blocks(self, node) -> list:
        """The blocks of a node's children."""
        return [block for child in node.children for block in self.block(child)]

    # what the translators ask for -----------------------------------------------------
    def unsupported(self, node) -> None:
        raise UnsupportedNode(self.where, node)

    def warn_raw(self, node) -> None:
        """Raw HTML or LaTeX has no print form: it is printed as its source, with a warning."""
        logger.warning(
            f"worksheets: {self.where}: no print form for a raw node "
            f"(format {node.get('format', '?')!r}); printed as plain text",
            type="nnbook",
            subtype="worksheets",
        )

    def _math_error(self, err: MathError) -> ExtensionError:
        return ExtensionError(f"worksheets: {self.where}: {err}")

    def math_markup(self, latex: str, size: float | None = None) -> str:
        """Inline math: an ``<img>`` set on the baseline of the text."""
        try:
            img = render_math(latex, size or self.fontsize, self.cache_dir)
        except MathError as err:
            raise self._math_error(err) from None
        return (
            f'<img src="{html.escape(str(img.path))}" width="{img.width:.3f}" '
            f'height="{img.height:.3f}" valign="{-img.depth:.3f}"/>'
        )

    def display_math(self, node) -> tuple:
        """The ``("math", MathImage, "(number)")`` block of a ``math_block`` node."""
        try:
            img = render_math(node.astext(), self.fontsize, self.cache_dir, display=True)
        except MathError as err:
            raise self._math_error(err) from None
        number = node.get("number")
        return ("math", img, f"({number})" if number else "")

    def reference_number(self, node) -> str:
        """ " (Section 2.3)" for a reference by title, else "" (see ``numbering``)."""
        return numbering.reference_number(self.env, self.docname, node)

    def note_figure(self, node) -> None:
        """Remember a reference to a figure of this chapter: the sheet prints the figure."""
        path, _, anchor = node.get("refuri", "").partition("#")
        anchor = node.get("refid") or (anchor if not path else "")
        if anchor in self.figures and anchor not in self.cited:
            self.cited.append(anchor)

    def image(self, node) -> list:
        """The ``("image", path)`` block of an image node, found in the sources or the output."""
        uri = node.get("uri", "")
        candidates = [Path(uri)]
        srcdir = Path(self.env.srcdir)
        candidates += [srcdir / uri, Path(self.env.app.outdir).parent / uri]
        candidates += [Path(self.env.app.outdir) / "_images" / Path(uri).name]
        for path in candidates:
            if path.is_file() and path.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif"}:
                return [("image", path)]
        raise ExtensionError(
            f"worksheets: {self.where}: cannot put the image {uri!r} on paper "
            "(only PNG, JPEG or GIF files are supported)"
        )

    # after the walk -------------------------------------------------------------------
    def figure_blocks(self) -> list:
        """("figure", image path, caption markup) for every figure the text cited."""
        out = []
        for anchor in self.cited:
            figure = self.figures[anchor]
            image = next(figure.findall(nodes.image), None)
            if image is None:
                continue
            caption = next(figure.findall(nodes.caption), None)
            number = numbering.figure_number(self.env, self.docname, anchor)
            size, self.fontsize = self.fontsize, CAPTION_SIZE  # math as small as the caption
            try:
                text = self.inline(caption) if caption is not None else ""
            finally:
                self.fontsize = size
            label = f"<b>Figure {number}</b>" if number else "<b>Figure</b>"
            out.append(("figure", self.image(image)[0][1], f"{label} (from the chapter). {text}"))
        return out
