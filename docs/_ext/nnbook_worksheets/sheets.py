"""The four PDFs of a part: the worksheet of each level and the answer key, on A4 pages.

This module owns the sheets as a whole: the title block (book, sheet, part, version and
address, and on worksheets a line for the student's name), the order of chapters and
exercises, how much ruled space an exercise gets, "Page n of N" in the footer, and
writing the file. Output is deterministic (reportlab's invariant mode, images embedded by
their bytes), so two builds give identical files. reportlab is imported only here and
only when a sheet is made.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from .flowables import AnswerLines, blocks_to_flowables
from .model import LEVEL_NAMES, LEVEL_PURPOSE, LEVELS, Exercise, Part, SheetInfo, pdf_name
from .styles import FRAME_PADDING, MARGIN


def answer_lines(level: str, exercise: Exercise) -> int:
    """How many ruled lines an exercise gets: more for more subparts "(a)", "(b)", ..."""
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
                *blocks_to_flowables(ex.body, styles, width),
            ]
            lines = AnswerLines.make(answer_lines(level, ex))
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
                    *blocks_to_flowables(ex.body, styles, width),
                ]
                flow.append(KeepTogether((head if i == 0 else []) + first))
                solution = blocks_to_flowables(ex.solution or [], styles, width - 12) or [
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
