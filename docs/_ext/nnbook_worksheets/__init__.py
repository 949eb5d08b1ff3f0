"""Printable worksheets: for every part of the book, a PDF per exercise level and an answer key.

A *part* is one numbered toctree of the root document (its caption names the part), so a
new part gets its worksheets without any change here. For every part this extension
writes, into ``worksheets/`` of the HTML output,

* ``part-N-recall.pdf``, ``part-N-apply.pdf``, ``part-N-exam.pdf``: the part's exercises of
  one level (sphinx-exercise ``exercise`` directives labelled ``ex-<slug>-<level>-<n>``),
  numbered as on the site ("Exercise 2.3"), with ruled space for the answers, and
* ``part-N-answers.pdf``: every exercise of the part with its solution, including the code
  of the Apply solutions and the outputs it printed when the book was built.

The PDFs are made at ``build-finished`` from the resolved doctrees, so they show what the
site shows: glued numbers, cross-references as "Section 2.3", inline and display math.
Typesetting is pure Python: reportlab lays out the pages and matplotlib's mathtext draws
the math (no LaTeX, no browser). LaTeX that mathtext cannot draw is first mapped to an
equivalent (``\\lVert`` to ``\\Vert``, ``\\tfrac`` to ``\\frac``, ...); what still fails
stops the build with the chapter, the exercise and the expression. Output is
deterministic (reportlab's invariant mode), so two builds give identical files.

The ``{nnbook-worksheets}`` directive renders a table of parts by levels that links to
the PDFs; the instructors' page uses it.
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import json
import os
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from docutils import nodes
from nnbook_pages import book_summary
from sphinx import addnodes
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

OUTPUT_DIR = "worksheets"  # inside the html output
LEVELS = (("recall", "Recall"), ("apply", "Apply"), ("exam", "Exam-style"))
LEVEL_NAMES = dict(LEVELS)
MEASURED_CLASS = "tag_nnbook-measured"  # a code cell whose output is a measurement
LEVEL_PURPOSE = {
    "recall": "state the chapter's definitions and facts in your own words",
    "apply": "use the chapter's code and formulas on a case the chapter did not show",
    "exam": "combine ideas and explain your reasoning, on paper, as in an exam",
}
LABEL_LEVEL = re.compile(r"-(recall|apply|exam)-\d+$")
TITLE_LEVEL = {"Recall": "recall", "Apply": "apply", "Exam-style": "exam", "Exam": "exam"}

# -- Math: LaTeX as the book writes it, as matplotlib's mathtext understands it -------------


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
BODY_SIZE = 10.5  # points, the text of the worksheets
CAPTION_SIZE = 9
MONO_ADVANCE = 0.602  # DejaVu Sans Mono: every glyph is this many ems wide
MIN_CODE_SIZE = 6.8  # points; longer lines are wrapped, marked with ↪


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


# -- From doctree to a small document model -------------------------------------------------


@dataclass
class Exercise:
    label: str
    level: str
    number: str  # "2.3", as the site shows it
    title: str  # markup (may hold math images)
    title_text: str  # plain text, for messages and tests
    body: list  # blocks
    solution: list | None = None
    docname: str = ""


@dataclass
class Chapter:
    docname: str
    number: str
    title: str
    url: str
    exercises: list = field(default_factory=list)


@dataclass
class Part:
    index: int  # 1, 2, ... in book order
    caption: str  # "Part I — What a neural network is"
    chapters: list = field(default_factory=list)

    @property
    def short(self) -> str:
        """The part's short name from its caption ("Part I"), else "Part 1"."""
        m = re.match(r"\s*(Part\s+[^\s—–:-]+)", self.caption)
        return m.group(1) if m else f"Part {self.index}"

    @property
    def chapter_range(self) -> str:
        nums = [c.number for c in self.chapters]
        if not nums:
            return ""
        return f"Chapter {nums[0]}" if len(nums) == 1 else f"Chapters {nums[0]}–{nums[-1]}"


def pdf_name(part_index: int, kind: str) -> str:
    """``part-1-recall.pdf``; ``kind`` is a level or ``answers``."""
    return f"part-{part_index}-{kind}.pdf"


def book_parts(env) -> list[tuple[int, str, list[str]]]:
    """(index, caption, chapter docnames) for every numbered toctree of the root document."""
    root = env.config.root_doc
    if root not in env.all_docs:
        return []
    parts = []
    for toctree in env.get_doctree(root).findall(addnodes.toctree):
        if not toctree.get("numbered"):
            continue
        docs = [ref for _title, ref in toctree["entries"] if ref in env.all_docs]
        caption = toctree.get("caption") or f"Part {len(parts) + 1}"
        parts.append((len(parts) + 1, caption, docs))
    return parts


def part_has_exercises(env, docs) -> bool:
    """Whether any chapter of a part has an exercise (a part without one gets no PDFs)."""
    registry = getattr(env, "sphinx_exercise_registry", {})
    docs = set(docs)
    return any(
        entry.get("docname") in docs and str(entry.get("type", "")).startswith("exercise")
        for entry in registry.values()
    )


class _Converter:
    """Docutils nodes of one exercise or solution to blocks of reportlab markup.

    Blocks: ("para", markup), ("code", text), ("output", text), ("math", MathImage),
    ("image", path), ("list", ordered, [[blocks], ...]), ("quote", [blocks]).
    """

    def __init__(self, env, cache_dir: Path, fontsize: float, where: str, docname=None):
        self.env = env
        self.docname = docname
        self.figures: dict = {}  # id -> figure node of this chapter, to print cited figures
        self.cited: list = []  # figures the converted text refers to, in order
        self.cache_dir = cache_dir
        self.fontsize = fontsize
        self.where = where  # "chapters/02-single-neuron, exercise ex-...": for errors

    # inline ---------------------------------------------------------------------------
    def inline(self, node) -> str:
        out = []
        for child in node.children:
            out.append(self._inline_node(child))
        return "".join(out)

    def math_markup(self, latex: str, size: float | None = None) -> str:
        try:
            img = render_math(latex, size or self.fontsize, self.cache_dir)
        except MathError as err:
            raise ExtensionError(f"worksheets: {self.where}: {err}") from None
        return (
            f'<img src="{html.escape(str(img.path))}" width="{img.width:.3f}" '
            f'height="{img.height:.3f}" valign="{-img.depth:.3f}"/>'
        )

    def _inline_node(self, node) -> str:
        if isinstance(node, nodes.Text):
            return html.escape(str(node), quote=False)
        if isinstance(node, nodes.math):
            return self.math_markup(node.astext())
        if isinstance(node, nodes.literal):
            code = html.escape(node.astext(), quote=False)
            return f'<font face="nnbook-Mono" size="{self.fontsize - 1:.1f}">{code}</font>'
        if isinstance(node, nodes.emphasis):
            return f"<i>{self.inline(node)}</i>"
        if isinstance(node, nodes.strong):
            return f"<b>{self.inline(node)}</b>"
        if isinstance(node, nodes.subscript):
            return f"<sub>{self.inline(node)}</sub>"
        if isinstance(node, nodes.superscript):
            return f"<super>{self.inline(node)}</super>"
        if isinstance(node, nodes.reference):
            self._note_figure(node)
            inner = self.inline(node)
            number = self._reference_number(node)
            return f"“{inner}”{number}" if number else inner
        if isinstance(node, (nodes.footnote_reference, nodes.citation_reference)):
            return f"<super>{html.escape(node.astext(), quote=False)}</super>"
        if isinstance(node, (nodes.target, nodes.comment, nodes.system_message)):
            return ""
        if isinstance(node, nodes.raw):
            if node.get("format") in {"html", "latex"}:
                self._unknown(node)
            return html.escape(node.astext(), quote=False)
        if isinstance(node, (nodes.inline, nodes.TextElement, addnodes.pending_xref)):
            return self.inline(node)
        self._unknown(node)
        return html.escape(node.astext(), quote=False)

    def _note_figure(self, node) -> None:
        """Remember a reference to a figure of this chapter: the sheet prints the figure."""
        path, _, anchor = node.get("refuri", "").partition("#")
        anchor = node.get("refid") or (anchor if not path else "")
        if anchor in self.figures and anchor not in self.cited:
            self.cited.append(anchor)

    def figure_blocks(self) -> list:
        """("figure", image path, caption markup) for every figure the text cited."""
        out = []
        numbers = self.env.toc_fignumbers.get(self.docname, {}).get("figure", {})
        for anchor in self.cited:
            figure = self.figures[anchor]
            image = next(figure.findall(nodes.image), None)
            if image is None:
                continue
            caption = next(figure.findall(nodes.caption), None)
            number = ".".join(map(str, numbers.get(anchor, ())))
            size, self.fontsize = self.fontsize, CAPTION_SIZE  # math as small as the caption
            try:
                text = self.inline(caption) if caption is not None else ""
            finally:
                self.fontsize = size
            label = f"<b>Figure {number}</b>" if number else "<b>Figure</b>"
            out.append(("figure", self._image(image)[0][1], f"{label} (from the chapter). {text}"))
        return out

    def _reference_number(self, node) -> str:
        """For a reference by title ("Be the neuron"), its number in print: " (Section 2.3)"."""
        text = node.astext()
        if re.search(r"\d", text) or not node.get("internal") or self.docname is None:
            return ""
        path, _, anchor = node.get("refuri", "").partition("#")
        if node.get("refid"):  # a reference within the same page
            path, anchor = "", node["refid"]
        if path:
            doc = posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), path))
            doc = doc.removesuffix(".html")
        else:
            doc = self.docname
        number = section_number(self.env, doc, anchor)
        if not number:
            return ""
        kind = "Chapter" if len(number) == 1 else "Section"
        return f" ({kind} {'.'.join(map(str, number))})"

    # blocks ---------------------------------------------------------------------------
    def blocks(self, node) -> list:
        out: list = []
        for child in node.children:
            out.extend(self._block(child))
        return out

    def _block(self, node) -> list:
        if isinstance(node, nodes.paragraph):
            markup = self.inline(node).strip()
            return [("para", markup)] if markup else []
        if isinstance(node, nodes.math_block):
            try:
                img = render_math(node.astext(), self.fontsize, self.cache_dir, display=True)
            except MathError as err:
                raise ExtensionError(f"worksheets: {self.where}: {err}") from None
            number = node.get("number")
            return [("math", img, f"({number})" if number else "")]
        if isinstance(node, nodes.literal_block):
            text = node.astext().rstrip("\n")
            if self._is_output(node):
                return [("output", text)] if text.strip() else []
            return [("code", text)]
        if isinstance(node, (nodes.bullet_list, nodes.enumerated_list)):
            items = [self.blocks(item) for item in node.children]
            return [("list", isinstance(node, nodes.enumerated_list), items)]
        if isinstance(node, nodes.block_quote):
            return [("quote", self.blocks(node))]
        if isinstance(node, nodes.image):
            return self._image(node)
        if isinstance(node, nodes.figure):
            return self.blocks(node)
        if isinstance(node, nodes.caption):
            return [("para", f"<i>{self.inline(node)}</i>")]
        if isinstance(node, (nodes.Admonition, nodes.topic, nodes.sidebar)):
            inner = []
            for child in node.children:
                if isinstance(child, nodes.title):
                    inner.append(("para", f"<b>{self.inline(child)}</b>"))
                else:
                    inner.extend(self._block(child))
            return [("quote", inner)]
        if isinstance(node, (nodes.container, nodes.section, nodes.compound, nodes.line_block)):
            if isinstance(node, nodes.section):
                out = []
                for child in node.children:
                    if isinstance(child, nodes.title):
                        out.append(("para", f"<b>{self.inline(child)}</b>"))
                    else:
                        out.extend(self._block(child))
                return out
            if MEASURED_CLASS in node.get("classes", []):
                return self._measured(node)
            return self.blocks(node)
        if isinstance(node, nodes.definition_list):
            out = []
            for item in node.children:
                for part in item.children:
                    if isinstance(part, nodes.term):
                        out.append(("para", f"<b>{self.inline(part)}</b>"))
                    elif isinstance(part, nodes.definition):
                        out.append(("quote", self.blocks(part)))
            return out
        if isinstance(node, nodes.line):
            return [("para", self.inline(node))]
        if isinstance(
            node,
            (
                nodes.target,
                nodes.comment,
                nodes.system_message,
                nodes.substitution_definition,
                nodes.footnote,
                nodes.citation,
                nodes.transition,
                addnodes.index,
            ),
        ):
            return []
        if isinstance(node, nodes.raw):
            if node.get("format") == "html" and not node.astext().strip():
                return []
            self._unknown(node)
            return [("para", html.escape(node.astext(), quote=False))] if node.astext() else []
        if isinstance(node, nodes.TextElement):
            return [("para", self.inline(node))]
        self._unknown(node)
        text = node.astext().strip()
        return [("para", html.escape(text, quote=False))] if text else []

    def _measured(self, cell) -> list:
        """A cell whose output is a measurement (a timing): its code, not its output.

        Such output differs from build to build; printed, it would make two builds of the
        answer key differ (the reproducibility check masks it on the pages as well).
        """
        blocks = [b for b in self.blocks(cell) if b[0] not in ("output", "image", "figure")]
        note = "<i>Output not printed: it is measured (timings) and differs from run to run.</i>"
        return [*blocks, ("para", note)]

    def _is_output(self, node) -> bool:
        parent = node
        while parent is not None:
            if parent.get("nb_element", "").startswith("cell_code_output"):
                return True
            if "output" in parent.get("classes", []):
                return True
            if parent.get("nb_element") == "cell_code_source":
                return False
            parent = parent.parent
        return False

    def _image(self, node) -> list:
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

    def _unknown(self, node) -> None:
        logger.warning(
            f"worksheets: {self.where}: no print form for a {type(node).__name__} node; "
            "printed as plain text",
            type="nnbook",
            subtype="worksheets",
        )


@functools.lru_cache(maxsize=64)
def _section_ids(env, doc: str) -> dict:
    """Every id of every section of ``doc``, mapped to the ids of its section."""
    out = {}
    if doc not in env.all_docs:
        return out
    for i, section in enumerate(env.get_doctree(doc).findall(nodes.section)):
        ids = section.get("ids", [])
        for id_ in ids:
            out[id_] = ("" if i == 0 else None, tuple(ids))
    return out


def section_number(env, doc: str, anchor: str) -> tuple:
    """The number the site shows for the section ``doc#anchor`` ((2, 3) for 2.3), or ()."""
    secnums = env.toc_secnumbers.get(doc, {})
    if not anchor:
        return tuple(secnums.get("", ()))
    if f"#{anchor}" in secnums:  # a labelled section: the label is its first id
        return tuple(secnums[f"#{anchor}"])
    found = _section_ids(env, doc).get(anchor)
    if found is None:
        return ()
    top, ids = found
    if top == "":
        return tuple(secnums.get("", ()))
    for id_ in ids:
        if f"#{id_}" in secnums:
            return tuple(secnums[f"#{id_}"])
    return ()


def _exercise_level(label: str, title_text: str) -> str | None:
    m = LABEL_LEVEL.search(label)
    if m:
        return m.group(1)
    head = title_text.split(":", 1)[0].strip()
    return TITLE_LEVEL.get(head)


def _split_title(conv: _Converter, title) -> tuple[str, str]:
    """Markup and text of an exercise's own title, without sphinx-exercise's " ( ... )"."""
    children = list(title.children)
    parts = [conv._inline_node(c) for c in children]
    text = "".join(c.astext() for c in children)
    markup = "".join(parts).strip()
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
        markup = markup.removeprefix("(").removesuffix(")").strip()
    return markup, " ".join(text.split())


def collect_chapter(app, docname: str, cache_dir: Path, fontsize: float) -> Chapter:
    """Every exercise of a chapter with its solution, in order, from the resolved doctree."""
    from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node, solution_node

    env = app.env
    doctree = env.get_and_resolve_doctree(docname, app.builder)
    secnum = env.toc_secnumbers.get(docname, {}).get("", ())
    title = " ".join(env.titles[docname].astext().split()) if docname in env.titles else docname
    base = app.config.nnbook_baseurl.rstrip("/") + "/"
    chapter = Chapter(docname, ".".join(map(str, secnum)), title, f"{base}{docname}.html")
    fignumbers = env.toc_fignumbers.get(docname, {}).get("exercise", {})
    by_label = {}
    figures = {}
    for figure in doctree.findall(nodes.figure):
        for id_ in figure.get("ids", []):
            figures[id_] = figure
    for node in doctree.findall(lambda n: isinstance(n, (exercise_node, exercise_enumerable_node))):
        label = node.get("label", "")
        conv = _Converter(env, cache_dir, fontsize, f"{docname}, exercise {label}", docname)
        conv.figures = figures
        title_node = node.children[0] if node.children else None
        title_markup, title_text = ("", "")
        if isinstance(title_node, nodes.title):
            title_markup, title_text = _split_title(conv, title_node)
        level = _exercise_level(label, title_text)
        if level is None:
            logger.warning(
                f"worksheets: {docname}: exercise {label!r} ({title_text!r}) has no level; "
                "label it ex-<slug>-recall-N, -apply-N or -exam-N",
                location=docname,
                type="nnbook",
                subtype="worksheets",
            )
            continue
        ids = node.get("ids") or [label]
        number = ".".join(map(str, fignumbers.get(ids[0], ())))
        body = []
        for child in node.children[1:]:
            body.extend(conv._block(child))
        body.extend(conv.figure_blocks())  # a figure the exercise asks about, on paper too
        exercise = Exercise(label, level, number, title_markup, title_text, body, docname=docname)
        chapter.exercises.append(exercise)
        by_label[label] = exercise
    for node in doctree.findall(solution_node):
        target = node.get("target_label", "")
        if target not in by_label:
            continue
        conv = _Converter(env, cache_dir, fontsize, f"{docname}, solution to {target}", docname)
        body = []
        for child in node.children[1:]:
            body.extend(conv._block(child))
        by_label[target].solution = body
    return chapter


# -- Layout with reportlab ---------------------------------------------------------------------

_FONTS_READY = False
MARGIN = 56  # points, left and right; reportlab's frame adds FRAME_PADDING inside
FRAME_PADDING = 6


def register_fonts() -> None:
    """STIX (the text face that matches mathtext's stix math) and DejaVu, from matplotlib."""
    global _FONTS_READY
    if _FONTS_READY:
        return
    import matplotlib
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    faces = {
        "nnbook-Serif": "STIXGeneral.ttf",
        "nnbook-Serif-Bold": "STIXGeneralBol.ttf",
        "nnbook-Serif-Italic": "STIXGeneralItalic.ttf",
        "nnbook-Serif-BoldItalic": "STIXGeneralBolIta.ttf",
        "nnbook-Sans": "DejaVuSans.ttf",
        "nnbook-Sans-Bold": "DejaVuSans-Bold.ttf",
        "nnbook-Mono": "DejaVuSansMono.ttf",
        "nnbook-Mono-Bold": "DejaVuSansMono-Bold.ttf",
    }
    for name, file in faces.items():
        pdfmetrics.registerFont(TTFont(name, str(ttf / file)))
    for family, regular, bold, italic, bolditalic in (
        (
            "nnbook-Serif",
            "nnbook-Serif",
            "nnbook-Serif-Bold",
            "nnbook-Serif-Italic",
            "nnbook-Serif-BoldItalic",
        ),
        ("nnbook-Sans", "nnbook-Sans", "nnbook-Sans-Bold", "nnbook-Sans", "nnbook-Sans-Bold"),
        ("nnbook-Mono", "nnbook-Mono", "nnbook-Mono-Bold", "nnbook-Mono", "nnbook-Mono-Bold"),
    ):
        addMapping(family, 0, 0, regular)
        addMapping(family, 1, 0, bold)
        addMapping(family, 0, 1, italic)
        addMapping(family, 1, 1, bolditalic)
    _FONTS_READY = True


def _styles():
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    ink = colors.HexColor("#1a1a1a")
    accent = colors.HexColor("#1f4e79")
    body = ParagraphStyle(
        "body",
        fontName="nnbook-Serif",
        fontSize=BODY_SIZE,
        leading=BODY_SIZE * 1.38,
        textColor=ink,
        autoLeading="max",
        spaceAfter=4,
    )
    return {
        "body": body,
        "book": ParagraphStyle(
            "book",
            parent=body,
            fontName="nnbook-Sans",
            fontSize=9.5,
            leading=12,
            textColor=colors.HexColor("#555555"),
        ),
        "sheet": ParagraphStyle(
            "sheet",
            parent=body,
            fontName="nnbook-Sans-Bold",
            fontSize=19,
            leading=24,
            textColor=accent,
            spaceBefore=2,
            spaceAfter=2,
        ),
        "part": ParagraphStyle(
            "part",
            parent=body,
            fontName="nnbook-Sans",
            fontSize=12,
            leading=15,
            textColor=ink,
            spaceAfter=6,
        ),
        "meta": ParagraphStyle(
            "meta",
            parent=body,
            fontName="nnbook-Sans",
            fontSize=8.5,
            leading=11.5,
            textColor=colors.HexColor("#444444"),
            spaceAfter=0,
        ),
        "intro": ParagraphStyle(
            "intro", parent=body, fontSize=10, leading=13.5, textColor=colors.HexColor("#333333")
        ),
        "level": ParagraphStyle(
            "level",
            parent=body,
            fontName="nnbook-Sans-Bold",
            fontSize=15,
            leading=19,
            textColor=accent,
            spaceBefore=6,
            spaceAfter=4,
        ),
        "chapter": ParagraphStyle(
            "chapter",
            parent=body,
            fontName="nnbook-Sans-Bold",
            fontSize=12.5,
            leading=16,
            textColor=accent,
            spaceBefore=10,
            spaceAfter=1,
        ),
        "chapter_url": ParagraphStyle(
            "chapter_url",
            parent=body,
            fontName="nnbook-Sans",
            fontSize=8,
            leading=10,
            textColor=colors.HexColor("#666666"),
            spaceAfter=6,
        ),
        "exercise": ParagraphStyle(
            "exercise",
            parent=body,
            fontName="nnbook-Serif-Bold",
            fontSize=11,
            leading=15,
            spaceBefore=8,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "solution": ParagraphStyle(
            "solution",
            parent=body,
            fontName="nnbook-Sans-Bold",
            fontSize=9,
            leading=12,
            textColor=accent,
            spaceBefore=4,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "code": ParagraphStyle(
            "code",
            fontName="nnbook-Mono",
            fontSize=8.3,
            leading=10.6,
            textColor=ink,
            backColor=colors.HexColor("#f2f4f7"),
            borderPadding=(4, 5, 4, 5),
            leftIndent=5,
            rightIndent=5,
            spaceBefore=5,
            spaceAfter=8,
        ),
        "output": ParagraphStyle(
            "output",
            fontName="nnbook-Mono",
            fontSize=8.3,
            leading=10.6,
            textColor=colors.HexColor("#333333"),
            borderColor=colors.HexColor("#c8ccd2"),
            borderWidth=0.6,
            borderPadding=(4, 5, 4, 5),
            leftIndent=5,
            rightIndent=5,
            spaceBefore=3,
            spaceAfter=8,
        ),
        "caption": ParagraphStyle(
            "caption",
            parent=body,
            fontSize=CAPTION_SIZE,
            leading=11.5,
            leftIndent=30,
            rightIndent=30,
            textColor=colors.HexColor("#333333"),
            spaceAfter=6,
        ),
        "output_label": ParagraphStyle(
            "output_label",
            parent=body,
            fontName="nnbook-Sans",
            fontSize=7.5,
            leading=9,
            textColor=colors.HexColor("#666666"),
            spaceAfter=1,
            spaceBefore=2,
            keepWithNext=1,
        ),
    }


def _wrap_code(text: str, width_chars: int) -> str:
    """Hard-wrap code lines to the box, marking each continuation with a hooked arrow."""
    lines = []
    for line in text.expandtabs(4).splitlines() or [""]:
        while len(line) > width_chars:
            lines.append(line[: width_chars - 1])
            line = "↪ " + line[width_chars - 1 :]
        lines.append(line)
    return "\n".join(lines)


class AnswerLines:
    """Factory of the ruled answer space (a reportlab Flowable that splits across pages)."""

    @staticmethod
    def make(n_lines: int, spacing: float = 22.0):
        from reportlab.lib import colors
        from reportlab.platypus import Flowable

        class _Lines(Flowable):
            def __init__(self, n):
                super().__init__()
                self.n = n

            def wrap(self, avail_width, avail_height):
                self.width = avail_width
                self.height = self.n * spacing + 4
                return self.width, self.height

            def split(self, avail_width, avail_height):
                fit = int((avail_height - 4) // spacing)
                if fit < 3 or fit >= self.n:
                    return []
                return [_Lines(fit), _Lines(self.n - fit)]

            def draw(self):
                canvas = self.canv
                canvas.setStrokeColor(colors.HexColor("#b9bec6"))
                canvas.setLineWidth(0.5)
                for i in range(1, self.n + 1):
                    y = self.height - i * spacing
                    canvas.line(0, y, self.width, y)

        return _Lines(n_lines)


def _blocks_to_flowables(blocks, styles, width: float, indent: float = 0.0) -> list:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Image, ListFlowable, ListItem, Paragraph, Spacer, XPreformatted
    from reportlab.platypus.flowables import KeepTogether

    out = []
    for block in blocks:
        kind = block[0]
        if kind == "para":
            out.append(Paragraph(block[1], styles["body"]))
        elif kind in ("code", "output"):
            style = styles[kind]
            box = width - indent - style.leftIndent - style.rightIndent - 10
            longest = max((len(line) for line in block[1].expandtabs(4).splitlines()), default=0)
            size = style.fontSize
            if longest * MONO_ADVANCE * size > box:  # a little smaller rather than wrapped
                size = max(MIN_CODE_SIZE, box / (longest * MONO_ADVANCE))
                style = ParagraphStyle(
                    f"{style.name}-small", parent=style, fontSize=size, leading=size * 1.28
                )
            text = _wrap_code(block[1], max(20, int(box / (MONO_ADVANCE * size))))
            flow = XPreformatted(html.escape(text, quote=False), style)
            if kind == "output":
                out.append(
                    KeepTogether([Paragraph("Output", styles["output_label"]), flow])
                    if text.count("\n") < 25
                    else flow
                )
            else:
                out.append(flow)
        elif kind == "math":
            img = block[1]
            table_math = _display_math(img, block[2], width - indent, styles)
            out.append(table_math)
        elif kind == "image":
            from reportlab.lib.utils import ImageReader

            reader = ImageReader(str(block[1]))
            w, h = reader.getSize()
            scale = min(1.0, (width - indent) * 0.8 / w, 300 / h) if w and h else 1.0
            out.append(Image(io.BytesIO(Path(block[1]).read_bytes()), w * scale, h * scale))
        elif kind == "figure":
            from reportlab.lib.utils import ImageReader

            reader = ImageReader(str(block[1]))
            w, h = reader.getSize()
            scale = min((width - indent) * 0.78 / w, 230 / h) if w and h else 1.0
            picture = Image(io.BytesIO(Path(block[1]).read_bytes()), w * scale, h * scale)
            caption = Paragraph(block[2], styles["caption"])
            out.append(KeepTogether([Spacer(1, 4), picture, Spacer(1, 3), caption]))
        elif kind == "list":
            ordered, items = block[1], block[2]
            list_items = [
                ListItem(_blocks_to_flowables(item, styles, width, indent + 16) or [Spacer(1, 1)])
                for item in items
            ]
            out.append(
                ListFlowable(
                    list_items,
                    bulletType="1" if ordered else "bullet",
                    start=None if ordered else "•",
                    leftIndent=16,
                    bulletFontName="nnbook-Serif",
                    bulletFontSize=BODY_SIZE,
                )
            )
        elif kind == "quote":
            from reportlab.platypus import Indenter

            out.append(Indenter(left=14))
            out.extend(_blocks_to_flowables(block[1], styles, width, indent + 14))
            out.append(Indenter(left=-14))
    return out


def _display_math(img: MathImage, number: str, width: float, styles):
    from reportlab.platypus import Image, Table, TableStyle

    # The bytes, not the file name: reportlab names an image after its file name but an
    # open file after its pixels, and the PDF must not depend on where the build ran.
    image = Image(io.BytesIO(img.path.read_bytes()), img.width, img.height)
    cells = [["", image, number]]
    table = Table(cells, colWidths=[40, width - 80, 40])
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 0), (1, 0), "CENTER"),
                ("ALIGN", (2, 0), (2, 0), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("FONTNAME", (2, 0), (2, 0), "nnbook-Serif"),
                ("FONTSIZE", (2, 0), (2, 0), BODY_SIZE),
            ]
        )
    )
    return table


def _answer_lines(level: str, exercise: Exercise) -> int:
    text = (
        exercise.title_text
        + " "
        + " ".join(b[1] for b in exercise.body if b[0] == "para" and isinstance(b[1], str))
    )
    subparts = len(set(re.findall(r"\(([a-h])\)", text)))
    if level == "recall":
        return max(6, 4 * subparts)
    if level == "exam":
        return max(9, 5 * subparts)
    return 5  # apply: notes beside the notebook


@dataclass
class SheetInfo:
    book_title: str
    version: str
    baseurl: str


def _numbered_canvas(footer_left: str):
    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        """Draws "Page n of N" once the number of pages is known."""

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("invariant", 1)
            super().__init__(*args, **kwargs)
            self._saved_pages = []

        def showPage(self):
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int):
            width, _height = self._pagesize
            self.saveState()
            self.setFont("nnbook-Sans", 8)
            self.setFillColor(colors.HexColor("#666666"))
            self.setStrokeColor(colors.HexColor("#c8ccd2"))
            self.setLineWidth(0.5)
            left, right = MARGIN + FRAME_PADDING, width - MARGIN - FRAME_PADDING
            self.line(left, 42, right, 42)
            self.drawString(left, 30, footer_left)
            self.drawRightString(right, 30, f"Page {self._pageNumber} of {total}")
            self.restoreState()

    return NumberedCanvas


def write_pdf(
    path: Path, flowables: list, *, title: str, subject: str, author: str, footer: str
) -> None:
    """Lay out ``flowables`` on A4 pages and write ``path`` (deterministic bytes)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=50,
        bottomMargin=58,
        title=title,
        author=author,
        subject=subject,
        creator="nnbook (reportlab)",
        invariant=1,
    )
    from reportlab import rl_config

    a85, rl_config.useA85 = rl_config.useA85, 0  # binary streams: smaller and faster
    try:
        doc.build(flowables, canvasmaker=_numbered_canvas(footer))
    finally:
        rl_config.useA85 = a85
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)


def _title_block(
    info: SheetInfo, part: Part, heading: str, intro: str, styles, student: bool
) -> list:
    from reportlab.lib import colors
    from reportlab.platypus import HRFlowable, Paragraph, Spacer, Table, TableStyle

    esc = html.escape
    out = [
        Paragraph(esc(info.book_title), styles["book"]),
        Paragraph(esc(heading), styles["sheet"]),
        Paragraph(f"{esc(part.caption)} · {esc(part.chapter_range)}", styles["part"]),
        Paragraph(
            f'nnbook {esc(info.version)} · <link href="{esc(info.baseurl)}">'
            f"{esc(info.baseurl)}</link>",
            styles["meta"],
        ),
    ]
    if student:
        field_style = styles["meta"]
        table = Table(
            [[Paragraph("Name", field_style), "", Paragraph("Date", field_style), ""]],
            colWidths=[34, 250, 30, 110],
            rowHeights=[22],
        )
        table.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (1, 0), (1, 0), 0.6, colors.HexColor("#888888")),
                    ("LINEBELOW", (3, 0), (3, 0), 0.6, colors.HexColor("#888888")),
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        table.hAlign = "LEFT"
        out += [Spacer(1, 6), table]
    out += [
        Spacer(1, 8),
        HRFlowable(width="100%", thickness=0.8, color=colors.HexColor("#1f4e79"), spaceAfter=8),
        Paragraph(intro, styles["intro"]),
    ]
    return out


def build_worksheet(info: SheetInfo, part: Part, level: str, styles, width: float) -> list:
    from reportlab.platypus import Paragraph
    from reportlab.platypus.flowables import KeepTogether

    esc = html.escape
    name = LEVEL_NAMES[level]
    key = pdf_name(part.index, "answers")
    intro = f"<b>{name}</b> exercises: {LEVEL_PURPOSE[level]}. Numbers match the book's website. "
    if level == "apply":
        intro += (
            "Solve each one in the chapter's notebook (download it, or open it from the "
            "chapter's page) and note your results and reasoning below. "
        )
    else:
        intro += "Write your answers in the space below each exercise. "
    intro += f"Answers: answer key PDF ({esc(key)})."
    flow = _title_block(info, part, f"{name} worksheet", intro, styles, student=True)
    for chapter in part.chapters:
        exercises = [e for e in chapter.exercises if e.level == level]
        if not exercises:
            continue
        head = [
            Paragraph(f"Chapter {esc(chapter.number)} · {esc(chapter.title)}", styles["chapter"]),
            Paragraph(esc(chapter.url), styles["chapter_url"]),
        ]
        for i, ex in enumerate(exercises):
            first = [
                Paragraph(f"Exercise {esc(ex.number)}&nbsp;&nbsp;{ex.title}", styles["exercise"]),
                *_blocks_to_flowables(ex.body, styles, width),
            ]
            lines = AnswerLines.make(_answer_lines(level, ex))
            flow.append(KeepTogether((head if i == 0 else []) + first + [lines]))
    return flow


def build_answer_key(info: SheetInfo, part: Part, styles, width: float) -> list:
    from reportlab.platypus import Indenter, Paragraph
    from reportlab.platypus.flowables import CondPageBreak, KeepTogether

    esc = html.escape
    intro = (
        "Every exercise of this part with its solution, in the order of the three worksheets "
        f"({', '.join(esc(pdf_name(part.index, lvl)) for lvl, _ in LEVELS)}). The code of the "
        "Apply solutions ran when this version of the book was built; its output is printed "
        "below the code. Numbers match the book's website."
    )
    flow = _title_block(info, part, "Answer key", intro, styles, student=False)
    for level, name in LEVELS:
        chapters = [c for c in part.chapters if any(e.level == level for e in c.exercises)]
        if not chapters:
            continue
        flow.append(CondPageBreak(120))
        flow.append(Paragraph(f"{esc(name)} exercises", styles["level"]))
        for chapter in chapters:
            head = [
                Paragraph(
                    f"Chapter {esc(chapter.number)} · {esc(chapter.title)}", styles["chapter"]
                ),
                Paragraph(esc(chapter.url), styles["chapter_url"]),
            ]
            for i, ex in enumerate(e for e in chapter.exercises if e.level == level):
                first = [
                    Paragraph(
                        f"Exercise {esc(ex.number)}&nbsp;&nbsp;{ex.title}", styles["exercise"]
                    ),
                    *_blocks_to_flowables(ex.body, styles, width),
                ]
                flow.append(KeepTogether((head if i == 0 else []) + first))
                solution = _blocks_to_flowables(ex.solution or [], styles, width - 12) or [
                    Paragraph("<i>(no solution in the book)</i>", styles["body"])
                ]
                # The heading stays on the page of the solution's first block.
                heading = Paragraph("Solution", styles["solution"])
                flow.append(
                    KeepTogether([heading, Indenter(left=12), solution[0], Indenter(left=-12)])
                )
                flow.append(Indenter(left=12))
                flow.extend(solution[1:])
                flow.append(Indenter(left=-12))
    return flow


# -- Sphinx glue ---------------------------------------------------------------------------------


def _info(app) -> SheetInfo:
    return SheetInfo(
        book_title=app.config.project,
        version=str(app.config.release),
        baseurl=app.config.nnbook_baseurl.rstrip("/") + "/",
    )


def _doctree_digest(env, docname: str) -> bytes:
    """Digest of a page's stored doctree: its text, outputs and references as read."""
    return hashlib.sha256((Path(env.doctreedir) / f"{docname}.doctree").read_bytes()).digest()


def _numbering_digest(env) -> str:
    """Digest of what resolving references elsewhere can put on a worksheet."""
    std = env.domaindata.get("std", {})
    state = (
        sorted((d, sorted(n.items())) for d, n in env.toc_secnumbers.items()),
        sorted((d, repr(sorted(n.items()))) for d, n in env.toc_fignumbers.items()),
        sorted((d, t.astext()) for d, t in env.titles.items()),
        sorted(std.get("labels", {}).items()),
        sorted(std.get("anonlabels", {}).items()),
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()


def write_worksheets(app, outdir: Path, cache_dir: Path) -> list[Path]:
    from reportlab.lib.pagesizes import A4

    width = A4[0] - 2 * (MARGIN + FRAME_PADDING)
    styles = None  # fonts and styles load matplotlib: only when a part is typeset
    _section_ids.cache_clear()
    info = _info(app)
    written = []
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    numbers = _numbering_digest(app.env)
    for index, caption, docs in book_parts(app.env):
        if not part_has_exercises(app.env, docs):
            continue
        names = [pdf_name(index, level) for level, _ in LEVELS]
        names.append(pdf_name(index, "answers"))
        have_pdfs = all((outdir / n).is_file() for n in names)
        # Two stamps, both written last. The first is cheap: the part's stored doctrees
        # and the book's numbering. When it matches, nothing is read at all (a no-op
        # rebuild). When it does not, the part is collected and the second stamp, over
        # what the PDFs show (exercises, solutions and outputs, the version, this file),
        # decides: a prose-only edit elsewhere in the part typesets nothing.
        quick = hashlib.sha256(
            f"{source}{info!r}{caption}{numbers}".encode()
            + b"".join(_doctree_digest(app.env, d) for d in docs)
        ).hexdigest()
        quick_stamp = outdir / f"part-{index}.quick"
        if have_pdfs and quick_stamp.is_file() and quick_stamp.read_text() == quick:
            written += [outdir / n for n in names]
            continue
        quick_stamp.unlink(missing_ok=True)
        part = Part(index, caption)
        for doc in docs:
            part.chapters.append(collect_chapter(app, doc, cache_dir, BODY_SIZE))
        key = hashlib.sha256(f"{source}{info!r}{part!r}".encode()).hexdigest()
        stamp = outdir / f"part-{part.index}.key"
        if stamp.is_file() and stamp.read_text() == key and have_pdfs:
            written += [outdir / n for n in names]
            quick_stamp.write_text(quick)
            continue
        stamp.unlink(missing_ok=True)
        if styles is None:
            register_fonts()
            styles = _styles()
        meta = dict(author=str(app.config.author))
        for level, name in LEVELS:
            path = outdir / pdf_name(part.index, level)
            write_pdf(
                path,
                build_worksheet(info, part, level, styles, width),
                title=f"{info.book_title}: {part.short}, {name} worksheet",
                subject=f"{part.caption}: {name} exercises (nnbook {info.version})",
                footer=f"nnbook {info.version} · {part.short} · {name} worksheet",
                **meta,
            )
            written.append(path)
        path = outdir / pdf_name(part.index, "answers")
        write_pdf(
            path,
            build_answer_key(info, part, styles, width),
            title=f"{info.book_title}: {part.short}, answer key",
            subject=f"{part.caption}: solutions to every exercise (nnbook {info.version})",
            footer=f"nnbook {info.version} · {part.short} · Answer key",
            **meta,
        )
        written.append(path)
        stamp.write_text(key)  # last: a build stopped half-way leaves no stamp
        quick_stamp.write_text(quick)
    return written


def on_build_finished(app, exc):
    if exc is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir) / OUTPUT_DIR
    cache_dir = Path(app.outdir).parent / "nnbook-worksheets" / "math"
    stage = Path(app.outdir).parent / "nnbook-worksheets" / "pdf"
    stage.mkdir(parents=True, exist_ok=True)
    written = write_worksheets(app, stage, cache_dir)
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    for path in written:
        shutil.copyfile(path, outdir / path.name)


# -- The {nnbook-worksheets} table -------------------------------------------------------------


class WorksheetTable(nodes.General, nodes.Element):
    """Placeholder for the table of worksheets, filled when the page is resolved."""


def _link(text: str, uri: str) -> nodes.paragraph:
    para = nodes.paragraph()
    para += nodes.reference("", text, refuri=uri, internal=False, classes=["nnbook-worksheet"])
    return para


def on_doctree_resolved(app, doctree, docname):
    placeholders = list(doctree.findall(WorksheetTable))
    if not placeholders:
        return
    up = "../" * docname.count("/")
    parts = book_parts(app.env)
    table = nodes.table(classes=["nnbook-worksheets-table"])
    group = nodes.tgroup(cols=2 + len(LEVELS))  # part, three levels, answer key
    table += group
    group += nodes.colspec(colwidth=3, stub=1)  # the part names the row: a row header
    for _ in range(1 + len(LEVELS)):
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for label in ("Part", *(name for _, name in LEVELS), "Answer key"):
        entry = nodes.entry()
        entry += nodes.paragraph(text=label)
        row += entry
    head += row
    body = nodes.tbody()
    group += body
    for index, caption, docs in parts:
        if not part_has_exercises(app.env, docs):
            continue  # no worksheets are written for it
        row = nodes.row()
        entry = nodes.entry()
        numbers = [".".join(map(str, app.env.toc_secnumbers.get(d, {}).get("", ()))) for d in docs]
        span = f" (chapters {numbers[0]}–{numbers[-1]})" if len(numbers) > 1 else ""
        entry += nodes.paragraph(text=f"{caption}{span}")
        row += entry
        for kind, label in (*LEVELS, ("answers", "Answer key")):
            entry = nodes.entry()
            entry += _link(f"{label} (PDF)", f"{up}{OUTPUT_DIR}/{pdf_name(index, kind)}")
            row += entry
        body += row
    for placeholder in placeholders:
        placeholder.replace_self(table.deepcopy())


def setup(app):
    app.add_config_value("nnbook_baseurl", "https://nnbook.github.io/nnbook/", "html")
    book_summary(app, "nnbook-worksheets", WorksheetTable, "nnbook_worksheet_docs")
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
