"""Test helpers of the signing module: a PKI per test and small PDFs."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from thudo.signing import backends, pades, runtime, services

PIN = "246813"


def sample_pdf(text: str = "QUYẾT ĐỊNH về việc thử nghiệm chữ ký số", pages: int = 1) -> bytes:
    """A small A4 PDF with Vietnamese text in an embedded font."""
    if "NotoSerif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("NotoSerif", str(pades.font_path())))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    for number in range(pages):
        page.setFont("NotoSerif", 13)
        page.drawString(72, 760, text)
        page.drawString(72, 740, f"Trang {number + 1}")
        page.showPage()
    page.save()
    return buffer.getvalue()


@pytest.fixture
def pki(db: None) -> Iterator[None]:
    runtime.reset()
    services.pki_bootstrap(actor=None)
    runtime.reset()
    yield
    runtime.reset()
    for serial in list(getattr(backends._backends["software"], "_loaded", {})):
        backends.forget(serial)
