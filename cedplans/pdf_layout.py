"""What the PDF reports share: fonts, paragraph styles, and tables of escaped text.

Text is set in DejaVu Sans, which ships with matplotlib, so names in any European
language print correctly offline; reportlab's built-in Helvetica is the fallback.
reportlab reads markup in paragraphs, so every string passes through :func:`escape`
here: nothing a person typed is read as markup.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle

_FONT, _BOLD = "Helvetica", "Helvetica-Bold"


@functools.lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    try:
        import matplotlib
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
        return "DejaVuSans", "DejaVuSans-Bold"
    except Exception:  # noqa: BLE001 - any failure leaves the built-in font, which still works
        return _FONT, _BOLD


class Layout:
    """Paragraphs and tables in the reports' one style; ``rtl`` sets text from the right,
    for a report in a language written right to left."""

    def __init__(self, *, rtl: bool = False) -> None:
        font, bold = _fonts()
        base = getSampleStyleSheet()
        self.rtl = rtl
        self.styles = {
            "title": ParagraphStyle("title", parent=base["Title"], fontName=bold, fontSize=18, leading=22,
                                    alignment=0),
            "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=13, leading=16,
                                 textColor=colors.HexColor("#332288"), spaceBefore=10, keepWithNext=1),
            "body": ParagraphStyle("body", parent=base["BodyText"], fontName=font, fontSize=9.5, leading=12.5),
            "small": ParagraphStyle("small", parent=base["BodyText"], fontName=font, fontSize=8, leading=10,
                                    textColor=colors.HexColor("#555555")),
            "cell": ParagraphStyle("cell", parent=base["BodyText"], fontName=font, fontSize=8.5, leading=10.5),
            "head": ParagraphStyle("head", parent=base["BodyText"], fontName=bold, fontSize=8.5, leading=10.5),
            "warning": ParagraphStyle("warning", parent=base["BodyText"], fontName=bold, fontSize=9.5, leading=12.5,
                                      textColor=colors.HexColor("#AA0000")),
        }
        if rtl:
            for name, style in self.styles.items():
                self.styles[name] = ParagraphStyle(f"{name}-rtl", parent=style, alignment=TA_RIGHT,
                                                   wordWrap="RTL")

    def p(self, text: object, style: str = "body") -> Paragraph:
        return Paragraph(escape(str(text if text is not None else "")), self.styles[style])

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]], widths_mm: Sequence[float]) -> Table:
        data = [[self.p(h, "head") for h in header]] + [[self.p(c, "cell") for c in row] for row in rows]
        widths = [w * mm for w in widths_mm]
        if self.rtl:  # the first column on the right
            data, widths = [row[::-1] for row in data], widths[::-1]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2F2F7")),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#CCCCCC")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        return t
