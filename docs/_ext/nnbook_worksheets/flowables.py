"""Blocks to reportlab flowables: paragraphs, code, outputs, math, figures, lists, rules.

This module owns how each kind of block (see ``model``) is set on paper: code and
outputs a little smaller rather than wrapped when a line is too long (and wrapped with a
hooked arrow when even that is not enough), display math centred with its number, images
scaled to the column, and the ruled answer space that splits across pages. reportlab is
imported only when flowables are made.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

from .mathtext import MathImage
from .model import BODY_SIZE

MONO_ADVANCE = 0.602  # DejaVu Sans Mono: every glyph is this many ems wide
MIN_CODE_SIZE = 6.8  # points; longer lines are wrapped, marked with ↪


def wrap_code(text: str, width_chars: int) -> str:
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


def blocks_to_flowables(blocks, styles, width: float, indent: float = 0.0) -> list:
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
            text = wrap_code(block[1], max(20, int(box / (MONO_ADVANCE * size))))
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
            table_math = display_math(img, block[2], width - indent, styles)
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
                ListItem(blocks_to_flowables(item, styles, width, indent + 16) or [Spacer(1, 1)])
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
            out.extend(blocks_to_flowables(block[1], styles, width, indent + 14))
            out.append(Indenter(left=-14))
    return out


def display_math(img: MathImage, number: str, width: float, styles):
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
