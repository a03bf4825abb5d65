"""A document as PDF (fpdf2): its rows in the reader's language, Arabic shaped right to left by
HarfBuzz (uharfbuzz), in the vendored Noto Sans Arabic, with the QR code of its verification URL."""

import io
import logging
from datetime import datetime

from django.conf import settings
from django.http import HttpResponse
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .documents import Document, qr_png, verification_url

FONTS = settings.BASE_DIR / "static" / "vendor" / "noto-sans-arabic" / "ttf"
FAMILY = "NotoSansArabic"
# fontTools logs every step of subsetting the embedded font at INFO: dozens of lines a PDF.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _rtl() -> bool:
    return (get_language() or "ar").startswith("ar")


def render(document: Document, url: str, *, issued: datetime | None = None) -> bytes:
    from fpdf import FPDF

    rtl = _rtl()
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(f"{document.title} {document.reference}")
    pdf.set_author(_("Ministry of Interior"))
    pdf.set_creator("Absher")
    pdf.set_lang("ar" if rtl else "en")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font(FAMILY, "", str(FONTS / "NotoSansArabic-Regular.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "NotoSansArabic-Bold.ttf"))
    pdf.add_page()
    align = "R" if rtl else "L"
    width = pdf.epw

    def line(text: str, *, size: float, bold: bool = False, ltr: bool = False, height: float = 8, align=align):
        pdf.set_font(FAMILY, "B" if bold else "", size)
        pdf.set_text_shaping(use_shaping_engine=True, direction="ltr" if ltr or not rtl else "rtl")
        pdf.multi_cell(width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")

    line(_("Kingdom of Saudi Arabia"), size=11)
    line(_("Ministry of Interior"), size=11)
    pdf.ln(4)
    line(document.title, size=20, bold=True, height=11)
    pdf.set_draw_color(0, 108, 53)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.l_margin + width, pdf.get_y() + 1)
    pdf.ln(5)

    label_width = width * 0.38
    value_width = width - label_width
    for row in [*document.rows, *document.private_rows]:
        y = pdf.get_y()
        pdf.set_font(FAMILY, "B", 11)
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if rtl else "ltr")
        label_x = pdf.l_margin + value_width if rtl else pdf.l_margin
        value_x = pdf.l_margin if rtl else pdf.l_margin + label_width
        pdf.set_xy(label_x, y)
        pdf.multi_cell(label_width, 8, row.label, align=align, new_x="LEFT", new_y="NEXT")
        after_label = pdf.get_y()
        pdf.set_font(FAMILY, "", 11)
        pdf.set_text_shaping(use_shaping_engine=True, direction="ltr" if row.ltr or not rtl else "rtl")
        pdf.set_xy(value_x, y)
        pdf.multi_cell(value_width, 8, row.value, align=align, new_x="LEFT", new_y="NEXT")
        pdf.set_y(max(after_label, pdf.get_y()))
        pdf.set_draw_color(220, 220, 220)
        pdf.set_line_width(0.2)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())

    pdf.ln(8)
    size = 42
    x = pdf.l_margin if rtl else pdf.l_margin + width - size
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(url)), x=x, y=top, w=size, h=size)
    text_width = width - size - 6
    text_x = pdf.l_margin + size + 6 if rtl else pdf.l_margin
    pdf.set_xy(text_x, top)
    pdf.set_font(FAMILY, "B", 11)
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if rtl else "ltr")
    pdf.multi_cell(text_width, 7, _("Scan the code to check that this document is genuine."), align=align,
                   new_x="LEFT", new_y="NEXT")
    pdf.set_font(FAMILY, "", 7)
    pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
    pdf.multi_cell(text_width, 4, url, align="L", new_x="LEFT", new_y="NEXT")
    if issued is not None:
        pdf.set_y(top + size + 6)
        pdf.set_font(FAMILY, "", 9)
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if rtl else "ltr")
        stamp = formats.date_format(issued, "DATETIME_FORMAT")
        pdf.multi_cell(width, 6, _("Printed on %(moment)s") % {"moment": stamp}, align=align, new_x="LMARGIN",
                       new_y="NEXT")
    return bytes(pdf.output())


def response(request, document: Document) -> HttpResponse:
    """The document's PDF as the owner's page serves it: inline, never kept by a cache on the way."""
    body = render(document, verification_url(request, document), issued=timezone.localtime())
    answer = HttpResponse(body, content_type="application/pdf")
    answer["Content-Disposition"] = f'inline; filename="{document.filename}"'
    answer["Cache-Control"] = "private, no-store"
    return answer
