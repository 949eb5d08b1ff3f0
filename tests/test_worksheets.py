"""The worksheet extension's pieces, without a book build (``docs/_ext/nnbook_worksheets/``).

The printable worksheets are typeset in pure Python: matplotlib's mathtext draws the math
and reportlab lays out the pages. These tests check the LaTeX-to-mathtext mapping on
every expression the chapters' exercises use, that math the mapping cannot save fails
loudly with the expression named, that the doctree visitors print each node type as
intended and stop at one they have no print form for, naming it, that Sphinx start-up
imports only the adapter, and that a worksheet PDF comes out readable and byte-for-byte
the same twice.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from docutils import nodes

pytest.importorskip("reportlab")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

from nnbook_worksheets import (  # noqa: E402
    converter,
    flowables,
    mathtext,
    model,
    numbering,
    sheets,
    styles,
)

CHAPTERS = sorted((ROOT / "docs" / "chapters").glob("*.md"))
INLINE_MATH = re.compile(r"(?<![$\\])\$(?!\$)(.+?)(?<!\\)\$", re.S)
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)


def exercise_math() -> list[tuple[str, str]]:
    """(chapter, expression) for all math in the Exercises section of every chapter."""
    found = []
    for path in CHAPTERS:
        text = path.read_text(encoding="utf-8")
        start = text.find("\n## Exercises")
        if start < 0:
            continue
        end = text.find("\n## ", start + 5)
        section = text[start : end if end > 0 else None]
        section = re.sub(r"```\{code-cell\}.*?```", "", section, flags=re.S)  # code, not math
        section = re.sub(r"`[^`\n]*`", "", section)
        for m in DISPLAY_MATH.finditer(section):
            found.append((path.stem, m.group(1)))
        section = DISPLAY_MATH.sub("", section)
        found += [(path.stem, m.group(1)) for m in INLINE_MATH.finditer(section)]
    return found


def test_the_exercises_have_math():
    assert len(exercise_math()) > 50


def test_every_expression_in_the_exercises_typesets():
    failures = []
    for chapter, latex in exercise_math():
        try:
            mathtext.check_math(latex)
        except mathtext.MathError as err:
            failures.append(f"{chapter}: {err}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"\lvert b\rvert / \lVert\mathbf{w}\rVert", r"| b| / \Vert\mathbf{w}\Vert"),
        (r"b \le 0", r"b \leq 0"),
        (r"w_1 + b > -b \ge 0", r"w_1 + b > {-}b \geq 0"),
        (r"\le \tfrac14", r"\leq \frac{1}{4}"),
        (r"\tfrac{1}{2}", r"\frac{1}{2}"),
        (
            r"\operatorname{softmax}(\mathbf z) - \mathbf e_y",
            r"\operatorname{softmax}(\mathbf{z}) - \mathbf{e}_y",
        ),
        ("z_\\text{out} = 1 +\n2", r"z_\text{out} = 1 + 2"),
        (r"\sigma'(z)", "\\sigma\u2032(z)"),
        (r"\tanh'(z)", "\\mathrm{tanh}\u2032(z)"),
        (r"f''(x)", "f\u2033(x)"),
        (r"(2, 1, -1)", r"(2, 1, {-}1)"),
        (r"z \approx -16.1, a - b", r"z \approx {-}16.1, a - b"),
        (r"\left( \frac{a}{b} \right)", r"( \frac{a}{b} )"),
        (r"\leq \left. x \right|", r"\leq  x |"),
    ],
)
def test_latex_is_mapped_to_mathtext(latex, expected):
    assert mathtext.to_mathtext(latex) == expected
    mathtext.check_math(latex)  # and mathtext draws the result


@pytest.mark.parametrize(
    "latex", [r"\frobnicate{x}", r"\begin{pmatrix} a \\ b \end{pmatrix}", r"x^{2", "  "]
)
def test_unparseable_math_names_the_expression(latex):
    with pytest.raises(mathtext.MathError) as info:
        mathtext.check_math(latex)
    assert repr(latex) in str(info.value)


def test_math_image_has_size_and_depth(tmp_path):
    flat = mathtext.render_math("x", 10.5, tmp_path)
    deep = mathtext.render_math("y_1", 10.5, tmp_path)
    frac = mathtext.render_math(r"\frac{1}{4}", 10.5, tmp_path)
    assert flat.path.is_file() and flat.path.read_bytes().startswith(b"\x89PNG")
    assert 2 < flat.width < 10 and 3 < flat.height < 10  # about one letter at 10.5 pt
    assert deep.depth > flat.depth >= 0  # the subscript hangs below the baseline
    assert frac.height > 1.5 * flat.height and frac.depth > 2
    again = mathtext.render_math("y_1", 10.5, tmp_path)  # from the cache in tmp_path
    assert (again.width, again.height, again.depth) == (deep.width, deep.height, deep.depth)
    assert mathtext.render_math("x", 12, tmp_path).height > flat.height


def test_prerender_draws_in_parallel_what_render_math_then_reads(tmp_path):
    requests = [("x", 10.5, False), (r"\frac{1}{4}", 10.5, True), ("x", 10.5, False)]
    bad = (r"\frobnicate{x}", 10.5, False)  # left for the sheet to report, with its place
    assert mathtext.prerender([*requests, bad], tmp_path, workers=2, minimum=1) == 3
    assert mathtext.is_cached("x", 10.5, tmp_path) and not mathtext.is_cached("x", 12, tmp_path)
    assert mathtext.is_cached(r"\frac{1}{4}", 10.5, tmp_path, display=True)
    drawn = sorted(p.name for p in tmp_path.iterdir())
    assert len(drawn) == 4 and not any(n.endswith(".tmp") for n in drawn)  # two images, notes
    fresh = mathtext.render_math("x", 10.5, tmp_path / "fresh")
    cached = mathtext.render_math("x", 10.5, tmp_path)  # read from what prerender drew
    assert (cached.width, cached.height, cached.depth) == (fresh.width, fresh.height, fresh.depth)
    assert cached.path.read_bytes() == fresh.path.read_bytes()
    assert mathtext.prerender(requests, tmp_path, workers=2, minimum=1) == 0  # all cached


def test_prerender_leaves_a_few_expressions_to_be_drawn_when_needed(tmp_path):
    assert mathtext.prerender([("x", 10.5, False)], tmp_path, workers=2) == 0  # < minimum
    assert mathtext.prerender([("x", 10.5, False)] * 30, tmp_path, workers=1, minimum=1) == 0
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_exercise_math_finds_the_math_of_exercises_and_solutions_only():
    from nnbook_worksheets.build import exercise_math
    from sphinx_exercise.nodes import exercise_node, solution_node

    page = nodes.document(None, None)
    page += nodes.paragraph("", "", nodes.math("", "a + b"))  # prose: not on a worksheet
    exercise = exercise_node()
    exercise += nodes.paragraph("", "", nodes.math("", "x^2"))
    solution = solution_node()
    solution += nodes.math_block("", "y = 2x")
    page += [exercise, solution]
    assert exercise_math(page, 10.5) == [("x^2", 10.5, False), ("y = 2x", 10.5, True)]


def test_code_is_wrapped_to_the_box():
    text = flowables.wrap_code("short\n" + "x" * 50, 20)
    lines = text.splitlines()
    assert lines[0] == "short"
    assert all(len(line) <= 20 for line in lines)
    assert "".join(line.removeprefix("↪ ") for line in lines[1:]) == "x" * 50


def _converter(tmp_path):
    return converter.Converter(
        env=None, cache_dir=tmp_path, fontsize=10.5, where="chapters/x, exercise ex-x-recall-1"
    )


def test_paragraph_markup(tmp_path):
    from docutils import nodes

    para = nodes.paragraph()
    para += nodes.Text("Use ")
    para += nodes.literal(text="jax.grad")
    para += nodes.Text(" on ")
    para += nodes.math(text=r"\sigma(z) < 1")
    para += nodes.Text(" & ")
    para += nodes.emphasis(text="check")
    blocks = _converter(tmp_path).block(para)
    assert len(blocks) == 1 and blocks[0][0] == "para"
    markup = blocks[0][1]
    assert 'face="nnbook-Mono"' in markup and "jax.grad" in markup
    assert "<img " in markup and 'valign="-' in markup
    assert "&amp;" in markup and "<i>check</i>" in markup


def test_bad_math_in_an_exercise_stops_the_build_naming_it(tmp_path):
    from docutils import nodes
    from sphinx.errors import ExtensionError

    para = nodes.paragraph()
    para += nodes.math(text=r"\frobnicate{x}")
    with pytest.raises(ExtensionError) as info:
        _converter(tmp_path).block(para)
    message = str(info.value)
    assert "chapters/x" in message and "ex-x-recall-1" in message and "frobnicate" in message


def test_code_cell_output_is_told_from_its_source(tmp_path):
    from docutils import nodes

    cell = nodes.container(nb_element="cell_code")
    source = nodes.container(nb_element="cell_code_source")
    source += nodes.literal_block(text="print(1 + 1)")
    outputs = nodes.container(nb_element="cell_code_output")
    outputs += nodes.literal_block(text="2\n", classes=["output", "stream"])
    cell += [source, outputs]
    assert _converter(tmp_path).block(cell) == [("code", "print(1 + 1)"), ("output", "2")]


def _sample_part(tmp_path) -> model.Part:
    conv = _converter(tmp_path)
    from docutils import nodes

    body = nodes.paragraph()
    body += nodes.Text("(a) Compute ")
    body += nodes.math(text=r"z = \mathbf{w}\cdot\mathbf{x} + b")
    body += nodes.Text(". (b) Decide yes or no.")
    chapter = model.Chapter("chapters/02-x", "2", "A single neuron", "https://example.org/x.html")
    for level, n in (("recall", 1), ("apply", 2), ("exam", 3)):
        chapter.exercises.append(
            model.Exercise(
                label=f"ex-x-{level}-1",
                level=level,
                number=f"2.{n}",
                title=f"{model.LEVEL_NAMES[level]}: reading a neuron",
                title_text=f"{model.LEVEL_NAMES[level]}: reading a neuron",
                body=conv.block(body),
                solution=[
                    ("para", "The weighted sum is 6."),
                    ("code", "print(6)"),
                    ("output", "6"),
                ],
            )
        )
    part = model.Part(1, "Part I — What a neural network is")
    part.chapters.append(chapter)
    return part


def test_worksheet_pdf_is_readable_and_deterministic(tmp_path):
    """Two builds, in different folders, write the same bytes."""
    pypdf = pytest.importorskip("pypdf")
    from docutils import nodes
    from PIL import Image

    styles.register_fonts()
    sheet_styles = styles.make_styles()
    info = model.SheetInfo("A Book", "9.9.9", "https://example.org/book/")
    paths = []
    for name in ("one", "two"):
        folder = tmp_path / name / "deep" if name == "two" else tmp_path / name
        part = _sample_part(folder / "math")
        figure = folder / "figure.png"
        Image.new("RGB", (40, 20), (200, 80, 40)).save(figure)
        display = _converter(folder / "math").block(nodes.math_block(text=r"\sum_i w_i x_i + b"))
        part.chapters[0].exercises[2].body += [*display, ("figure", figure, "<b>Figure 2.1</b>")]
        path = folder / "sheet.pdf"
        sheets.write_pdf(
            path,
            sheets.build_worksheet(info, part, "exam", sheet_styles, 460),
            title="t",
            subject="s",
            author="a",
            footer="A Book 9.9.9 · Part I · Exam-style",
        )
        paths.append(path)
    assert paths[0].read_bytes() == paths[1].read_bytes(), "two builds differ"
    reader = pypdf.PdfReader(paths[0])
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Exam-style worksheet" in text and "Part I — What a neural network is" in text
    assert "Exercise 2.3 Exam-style: reading a neuron" in text and "Figure 2.1" in text
    assert "9.9.9" in text and "https://example.org/book/" in text
    assert "Page 1 of" in text and "part-1-answers.pdf" in text
    assert "Recall: reading a neuron" not in text  # one level per sheet
    assert "The weighted sum is 6" not in text  # and no solutions


def test_answer_key_holds_solutions_and_code(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    styles.register_fonts()
    info = model.SheetInfo("A Book", "9.9.9", "https://example.org/book/")
    path = tmp_path / "key.pdf"
    part = _sample_part(tmp_path / "math")
    sheets.write_pdf(
        path,
        sheets.build_answer_key(info, part, styles.make_styles(), 460),
        title="t",
        subject="s",
        author="a",
        footer="f",
    )
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    for n in (1, 2, 3):
        assert f"Exercise 2.{n}" in text
    assert text.count("The weighted sum is 6") == 3 and "print(6)" in text


def test_answer_lines_grow_with_the_subparts():
    plain = model.Exercise(
        "ex-x-exam-1", "exam", "1.1", "t", "Exam-style: t", [("para", "Explain.")]
    )
    parts = model.Exercise(
        "ex-x-exam-2",
        "exam",
        "1.2",
        "t",
        "Exam-style: t",
        [("para", "(a) One. (b) Two. (c) Three. (d) Four.")],
    )
    assert sheets.answer_lines("exam", parts) > sheets.answer_lines("exam", plain)


def test_pdf_names():
    assert model.pdf_name(1, "recall") == "part-1-recall.pdf"
    assert model.pdf_name(2, "answers") == "part-2-answers.pdf"
    assert [level for level, _ in model.LEVELS] == ["recall", "apply", "exam"]


def test_a_part_without_exercises_gets_no_worksheets():
    class Env:
        sphinx_exercise_registry = {
            "ex-a-recall-1": {"type": "exercise", "docname": "chapters/01-a"},
            "ex-a-recall-1-solution": {"type": "solution", "docname": "chapters/02-b"},
        }

    assert numbering.part_has_exercises(Env(), ["chapters/01-a", "chapters/02-b"])
    assert not numbering.part_has_exercises(Env(), ["chapters/02-b", "chapters/03-c"])


def test_measured_output_is_left_out(tmp_path):
    """A cell tagged nnbook-measured prints timings: the key shows its code, not its output."""
    from docutils import nodes

    cell = nodes.container(nb_element="cell_code", classes=["cell", "tag_nnbook-measured"])
    source = nodes.container(nb_element="cell_code_source")
    source += nodes.literal_block(text="print(elapsed)")
    outputs = nodes.container(nb_element="cell_code_output")
    outputs += nodes.literal_block(text="0.123 s\n", classes=["output", "stream"])
    cell += [source, outputs]
    blocks = _converter(tmp_path).block(cell)
    assert blocks[0] == ("code", "print(elapsed)")
    assert not any(b[0] == "output" for b in blocks)
    assert "measured" in blocks[-1][1]


# -- The doctree visitors --------------------------------------------------------------------


class mystery(nodes.Element):  # noqa: N801 (docutils names node classes in lower case)
    """A node type the worksheets have no print form for."""


class inline_mystery(nodes.Inline, nodes.Element):  # noqa: N801
    """An inline node type the worksheets have no print form for."""


def _assert_names_the_node(info, node_type: str) -> None:
    message = str(info.value)
    assert "chapters/x" in message and "ex-x-recall-1" in message, message
    assert f"no print form for a {node_type} node" in message, message
    assert info.value.node_type == node_type and info.value.where.endswith("ex-x-recall-1")


def test_an_unknown_block_node_stops_the_build_naming_chapter_exercise_and_type(tmp_path):
    from sphinx.errors import ExtensionError

    node = mystery()
    node += nodes.paragraph(text="What is this?")
    with pytest.raises(converter.UnsupportedNode) as info:
        _converter(tmp_path).block(node)
    assert isinstance(info.value, ExtensionError)  # Sphinx reports it and stops
    _assert_names_the_node(info, "mystery")
    assert "What is this?" in str(info.value) and "visit_mystery" in str(info.value)


def test_an_unknown_node_deep_inside_an_exercise_is_found(tmp_path):
    note = nodes.note()
    items = nodes.bullet_list()
    item = nodes.list_item()
    item += mystery()
    items += item
    note += items
    with pytest.raises(converter.UnsupportedNode) as info:
        _converter(tmp_path).block(note)
    _assert_names_the_node(info, "mystery")


def test_an_unknown_inline_node_stops_the_build_naming_it(tmp_path):
    para = nodes.paragraph()
    para += nodes.Text("See ")
    para += inline_mystery("", nodes.Text("this"))
    with pytest.raises(converter.UnsupportedNode) as info:
        _converter(tmp_path).block(para)
    _assert_names_the_node(info, "inline_mystery")


def test_an_inline_image_has_no_print_form(tmp_path):
    para = nodes.paragraph()
    para += nodes.image(uri="x.png")
    with pytest.raises(converter.UnsupportedNode) as info:
        _converter(tmp_path).block(para)
    _assert_names_the_node(info, "image")


def test_a_list_item_outside_a_list_has_no_print_form(tmp_path):
    with pytest.raises(converter.UnsupportedNode) as info:
        _converter(tmp_path).block(nodes.list_item("", nodes.paragraph(text="x")))
    _assert_names_the_node(info, "list_item")


def test_nodes_are_dispatched_on_their_class_hierarchy(tmp_path):
    """A subclass without a method of its own is printed as its base: an admonition boxed."""

    class exercise_hint(nodes.Admonition, nodes.Element):  # noqa: N801
        pass

    hint = exercise_hint()
    hint += nodes.title(text="Hint")
    hint += nodes.paragraph(text="Start small.")
    assert _converter(tmp_path).block(hint) == [
        ("quote", [("para", "<b>Hint</b>"), ("para", "Start small.")])
    ]
    rubric = nodes.rubric(text="A rubric")  # a text element: a paragraph of its text
    assert _converter(tmp_path).block(rubric) == [("para", "A rubric")]


def test_block_structure(tmp_path):
    conv = _converter(tmp_path)
    items = nodes.enumerated_list()
    for text in ("one", "two"):
        items += nodes.list_item("", nodes.paragraph(text=text))
    quote = nodes.block_quote("", nodes.paragraph(text="quoted"))
    section = nodes.section()
    section += nodes.title(text="Heading")
    section += nodes.paragraph(text="body")
    section += nodes.container("", nodes.title(text="not a heading"))
    terms = nodes.definition_list()
    terms += nodes.definition_list_item(
        "",
        nodes.term(text="loss"),
        nodes.classifier(text="noun"),
        nodes.definition("", nodes.paragraph(text="a number to make small")),
    )
    ignored = [nodes.target(), nodes.comment(text="c"), nodes.transition()]
    assert [b for n in (items, quote, section, terms, *ignored) for b in conv.block(n)] == [
        ("list", True, [[("para", "one")], [("para", "two")]]),
        ("quote", [("para", "quoted")]),
        ("para", "<b>Heading</b>"),
        ("para", "body"),
        ("para", "not a heading"),
        ("para", "<b>loss</b>"),
        ("quote", [("para", "a number to make small")]),
    ]


def test_inline_markup_nests(tmp_path):
    para = nodes.paragraph()
    para += nodes.strong("", "", nodes.Text("bold "), nodes.emphasis(text="and italic"))
    para += nodes.Text(" x")
    para += nodes.subscript(text="i")
    para += nodes.footnote_reference(text="3")
    para += nodes.target()
    para += nodes.inline(text=" & glued")
    assert _converter(tmp_path).block(para) == [
        ("para", "<b>bold <i>and italic</i></b> x<sub>i</sub><super>3</super> &amp; glued")
    ]


class _Env:
    """The parts of a Sphinx environment the converter reads, for one chapter."""

    def __init__(self, tmp_path):
        self.srcdir = tmp_path
        self.app = type("App", (), {"outdir": tmp_path / "_build" / "html"})()
        self.all_docs = {"chapters/x": 0}
        self.toc_secnumbers = {"chapters/x": {"": (2,), "#be-the-neuron": (2, 3)}}
        self.toc_fignumbers = {"chapters/x": {"figure": {"fig-x": (2, 1)}}}


def test_a_reference_by_title_gets_its_number_and_a_cited_figure_is_printed(tmp_path):
    from PIL import Image

    Image.new("RGB", (4, 4)).save(tmp_path / "fig.png")
    conv = converter.Converter(
        _Env(tmp_path), tmp_path / "math", 10.5, "chapters/x, exercise ex-x-recall-1", "chapters/x"
    )
    figure = nodes.figure("", nodes.image(uri="fig.png"), nodes.caption(text="A curve."))
    conv.figures = {"fig-x": figure}
    para = nodes.paragraph()
    para += nodes.Text("As in ")
    para += nodes.reference(
        "", "", nodes.inline(text="Be the neuron"), internal=True, refid="be-the-neuron"
    )
    para += nodes.Text(", look at ")
    para += nodes.reference("", "Figure 2.1", internal=True, refid="fig-x")
    para += nodes.Text(" and ")
    para += nodes.reference("", "the docs", refuri="https://example.org/", internal=False)
    assert conv.block(para) == [
        (
            "para",
            "As in “Be the neuron” (Section 2.3), look at Figure 2.1 and the docs",
        )
    ]
    assert conv.figure_blocks() == [
        ("figure", tmp_path / "fig.png", "<b>Figure 2.1</b> (from the chapter). A curve.")
    ]


def test_raw_html_is_printed_as_text_with_a_warning(tmp_path, caplog):
    blocks = _converter(tmp_path).block(nodes.raw("", "<b>x</b>", format="html"))
    assert blocks == [("para", "&lt;b&gt;x&lt;/b&gt;")]
    assert "no print form for a raw node" in caplog.text and "ex-x-recall-1" in caplog.text
    assert _converter(tmp_path).block(nodes.raw("", "\n", format="html")) == []


def test_sphinx_start_up_imports_only_the_adapter():
    """Loading the extension imports none of the engine, nor reportlab or matplotlib."""
    import subprocess

    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import nnbook_worksheets; "
        "print(sorted(m for m in sys.modules if m.startswith("
        "('nnbook_worksheets.', 'reportlab', 'matplotlib', 'PIL', 'sphinx_exercise'))))"
    )
    ext = str(ROOT / "docs" / "_ext")
    out = subprocess.run([sys.executable, "-c", code, ext], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
