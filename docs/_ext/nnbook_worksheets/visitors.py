"""The doctree walkers: one docutils ``NodeVisitor`` for inline markup, one for blocks.

This module owns the print form of every node type an exercise or a solution may hold:
a ``visit_<node type>`` method (and a ``depart_`` one where something must be closed)
per type, as Sphinx's own writers have. As in ``sphinx.util.docutils.SphinxTranslator``,
a node is dispatched on its class's MRO, so ``visit_Admonition`` serves every admonition
and ``visit_TextElement`` every text element without a method of its own. A node type
with no method anywhere in its MRO is not guessed at: ``unknown_visit`` raises
:class:`~nnbook_worksheets.converter.UnsupportedNode`, naming the chapter, the exercise
and the node type. To print a new node type, add its method here.

:class:`InlineTranslator` writes reportlab paragraph markup (a string);
:class:`BlockTranslator` writes blocks (see ``model``). Both get math, images, figure
notes and reference numbers from their :class:`~nnbook_worksheets.converter.Converter`.
"""

from __future__ import annotations

import functools
import html

from docutils import nodes

MEASURED_CLASS = "tag_nnbook-measured"  # a code cell whose output is a measurement
MEASURED_NOTE = "<i>Output not printed: it is measured (timings) and differs from run to run.</i>"


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


@functools.cache
def _document() -> nodes.document:
    """The document a visitor reports to (docutils' walk logs its debug messages there)."""
    from docutils.utils import new_document

    return new_document("<nnbook-worksheets>")


class _Translator(nodes.NodeVisitor):
    """Dispatch on the node class's MRO; no method for a node type is an error."""

    def __init__(self, conv):
        super().__init__(_document())
        self.conv = conv

    def dispatch_visit(self, node) -> None:
        for node_class in node.__class__.__mro__:
            method = getattr(self, f"visit_{node_class.__name__}", None)
            if method:
                method(node)
                return
        self.unknown_visit(node)

    def dispatch_departure(self, node) -> None:
        """A node type with a visit method and nothing to close needs no depart method."""
        for node_class in node.__class__.__mro__:
            method = getattr(self, f"depart_{node_class.__name__}", None)
            if method:
                method(node)
                return

    def unknown_visit(self, node) -> None:
        self.conv.unsupported(node)

    def skip(self, node) -> None:
        raise nodes.SkipNode


class InlineTranslator(_Translator):
    """Inline nodes to reportlab markup: ``self.body``, joined by :meth:`markup`."""

    def __init__(self, conv):
        super().__init__(conv)
        self.body: list[str] = []
        self._numbers: list[str] = []  # of the references being walked

    def markup(self) -> str:
        return "".join(self.body)

    def visit_Text(self, node) -> None:
        self.body.append(_esc(str(node)))

    def visit_math(self, node) -> None:
        self.body.append(self.conv.math_markup(node.astext()))
        raise nodes.SkipNode

    def visit_literal(self, node) -> None:
        size = self.conv.fontsize - 1
        self.body.append(f'<font face="nnbook-Mono" size="{size:.1f}">{_esc(node.astext())}</font>')
        raise nodes.SkipNode

    def _tag(name: str):  # the visit/depart pair of a markup tag
        def visit(self, node) -> None:
            self.body.append(f"<{name}>")

        def depart(self, node) -> None:
            self.body.append(f"</{name}>")

        return visit, depart

    visit_emphasis, depart_emphasis = _tag("i")
    visit_strong, depart_strong = _tag("b")
    visit_subscript, depart_subscript = _tag("sub")
    visit_superscript, depart_superscript = _tag("super")
    del _tag

    def visit_reference(self, node) -> None:
        """A reference by title gets the number of its target: “Be the neuron” (Section 2.3)."""
        self.conv.note_figure(node)
        number = self.conv.reference_number(node)
        self._numbers.append(number)
        if number:
            self.body.append("“")

    def depart_reference(self, node) -> None:
        number = self._numbers.pop()
        if number:
            self.body.append(f"”{number}")

    def visit_footnote_reference(self, node) -> None:
        self.body.append(f"<super>{_esc(node.astext())}</super>")
        raise nodes.SkipNode

    visit_citation_reference = visit_footnote_reference
    visit_target = visit_comment = visit_system_message = _Translator.skip

    def visit_raw(self, node) -> None:
        if node.get("format") in {"html", "latex"}:
            self.conv.warn_raw(node)
        self.body.append(_esc(node.astext()))
        raise nodes.SkipNode

    def visit_TextElement(self, node) -> None:  # inline, glued text, ...: its text
        pass

    visit_inline = visit_pending_xref = visit_TextElement


class BlockTranslator(_Translator):
    """Body elements to blocks: ``self.out``; groups collect into a list of their own."""

    def __init__(self, conv):
        super().__init__(conv)
        self.out: list = []
        self._outer: list[list] = []  # the enclosing lists while a group is collected
        self._titled: list = []  # nodes whose own titles are printed as headings

    def _open(self) -> None:
        self._outer.append(self.out)
        self.out = []

    def _close(self) -> list:
        blocks, self.out = self.out, self._outer.pop()
        return blocks

    def _close_into(self, kind: str) -> None:
        """End a group: the enclosing list gets it as one ``(kind, blocks)`` block."""
        blocks = self._close()  # first: it puts back the enclosing list
        self.out.append((kind, blocks))

    def visit_paragraph(self, node) -> None:
        markup = self.conv.inline(node).strip()
        if markup:
            self.out.append(("para", markup))
        raise nodes.SkipNode

    def visit_math_block(self, node) -> None:
        self.out.append(self.conv.display_math(node))
        raise nodes.SkipNode

    def visit_literal_block(self, node) -> None:
        text = node.astext().rstrip("\n")
        if not is_output(node):
            self.out.append(("code", text))
        elif text.strip():
            self.out.append(("output", text))
        raise nodes.SkipNode

    def visit_bullet_list(self, node) -> None:
        self._open()  # collects one list of blocks per item

    def depart_bullet_list(self, node) -> None:
        items = self._close()
        self.out.append(("list", isinstance(node, nodes.enumerated_list), items))

    visit_enumerated_list, depart_enumerated_list = visit_bullet_list, depart_bullet_list

    def visit_list_item(self, node) -> None:
        if not isinstance(node.parent, (nodes.bullet_list, nodes.enumerated_list)):
            self.unknown_visit(node)
        self._open()

    def depart_list_item(self, node) -> None:
        item = self._close()
        self.out.append(item)

    def visit_block_quote(self, node) -> None:
        self._open()

    def depart_block_quote(self, node) -> None:
        self._close_into("quote")

    def visit_image(self, node) -> None:
        self.out.extend(self.conv.image(node))
        raise nodes.SkipNode

    def visit_figure(self, node) -> None:
        pass  # its image and caption

    def visit_caption(self, node) -> None:
        self.out.append(("para", f"<i>{self.conv.inline(node)}</i>"))
        raise nodes.SkipNode

    def visit_Admonition(self, node) -> None:  # every admonition, boxed
        self._titled.append(node)
        self._open()

    def depart_Admonition(self, node) -> None:
        self._titled.pop()
        self._close_into("quote")

    visit_topic = visit_sidebar = visit_Admonition
    depart_topic = depart_sidebar = depart_Admonition

    def visit_section(self, node) -> None:
        self._titled.append(node)  # flat: its title a bold line, then its body

    def depart_section(self, node) -> None:
        self._titled.pop()

    def visit_title(self, node) -> None:
        markup = self.conv.inline(node)
        heading = self._titled and node.parent is self._titled[-1]
        self.out.append(("para", f"<b>{markup}</b>" if heading else markup))
        raise nodes.SkipNode

    def visit_container(self, node) -> None:
        if MEASURED_CLASS in node.get("classes", []):
            self._open()

    def depart_container(self, node) -> None:
        """A cell whose output is a measurement (a timing): its code, not its output.

        Such output differs from build to build; printed, it would make two builds of the
        answer key differ (the reproducibility check masks it on the pages as well).
        """
        if MEASURED_CLASS in node.get("classes", []):
            blocks = [b for b in self._close() if b[0] not in ("output", "image", "figure")]
            self.out += [*blocks, ("para", MEASURED_NOTE)]

    visit_compound = visit_line_block = visit_container
    depart_compound = depart_line_block = depart_container

    def visit_definition_list(self, node) -> None:
        pass

    visit_definition_list_item = visit_definition_list

    def visit_term(self, node) -> None:
        self.out.append(("para", f"<b>{self.conv.inline(node)}</b>"))
        raise nodes.SkipNode

    visit_classifier = _Translator.skip

    def visit_definition(self, node) -> None:
        self._open()

    def depart_definition(self, node) -> None:
        self._close_into("quote")

    visit_target = visit_comment = visit_system_message = _Translator.skip
    visit_substitution_definition = visit_footnote = visit_citation = _Translator.skip
    visit_transition = visit_index = _Translator.skip  # index: sphinx.addnodes.index

    def visit_raw(self, node) -> None:
        if node.get("format") != "html" or node.astext().strip():
            self.conv.warn_raw(node)
            if node.astext():
                self.out.append(("para", _esc(node.astext())))
        raise nodes.SkipNode

    def visit_TextElement(self, node) -> None:  # lines, rubrics, ...: a paragraph
        self.out.append(("para", self.conv.inline(node)))
        raise nodes.SkipNode


def is_output(node) -> bool:
    """Whether a literal block is a code cell's output (else its source, or plain code)."""
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
