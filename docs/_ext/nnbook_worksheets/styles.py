"""The look of the worksheets: fonts, paragraph styles and page margins.

This module owns the typography: the STIX text face (it matches the STIX math of
``mathtext``) and DejaVu Sans and Sans Mono, all from matplotlib's own font folder and
registered with reportlab once per process; the paragraph styles of every element of a
sheet; and the page margins. reportlab and matplotlib are imported only when the fonts are
registered or the styles made.
"""

from __future__ import annotations

from pathlib import Path

from .model import BODY_SIZE, CAPTION_SIZE

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


def make_styles() -> dict:
    """The paragraph styles by name (``register_fonts`` first: they use its faces)."""
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
