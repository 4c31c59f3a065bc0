"""PAdES signing with pyHanko: B-B, B-T (our TSA's timestamp) and B-LT (validation data in
the document's DSS), as incremental updates so that earlier signatures stay intact — a
specialist, then a leader, then the agency's seal.

Speed (bench/signing.py): the signer and its key stay loaded (``runtime``, ``backends``),
the TSA answers in process, the signature's size is reserved up front (``bytes_reserved``)
so pyHanko skips its dry-run signature, the signing-certificate attribute is made once as
DER, and the visible block's font is a small cut parsed once with its embedded subsets
cached (``stampfont``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import fontpkg_noto_serif
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import attributes, fields, signers
from pyhanko.sign.attributes import SignedAttributeProviderSpec
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers import Signer
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext

from thudo.signing import aio, stampfont
from thudo.signing.contracts import B_B, B_LT, B_T, Appearance, PdfInvalid
from thudo.signing.tsa import LocalTimeStamper


class _FetchingIsOff(logging.Filter):
    """B-LT embeds revocation data the platform holds itself, with fetching off on purpose:
    pyHanko's warning about it would be logged for every such signature."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_FetchingIsOff())

# Room for the CMS: signature, the chain, a timestamp token (and its chain).
BYTES_RESERVED = {B_B: 8192, B_T: 16384, B_LT: 16384}
MAX_PDF_BYTES = 50 * 1024 * 1024


def font_path() -> Path:
    """Noto Serif: covers Vietnamese; Decree 30's Times New Roman is proprietary."""
    return Path(fontpkg_noto_serif.ROOT) / "files" / "NotoSerif[wdth,wght].ttf"


@cache
def _font(size: int) -> stampfont.StampFontFactory:
    return stampfont.StampFontFactory(font_path(), size)


def _stamp_style(appearance: Appearance, *, has_image: bool) -> TextStampStyle:
    background = None
    if appearance.image_png:
        from PIL import Image

        background = PdfImage(Image.open(io.BytesIO(appearance.image_png)))
    lines = [line for line in (appearance.authority, appearance.position) if line]
    text = "\n".join([*lines, "", "%(name)s", "Ký số: %(time)s"])
    return TextStampStyle(
        stamp_text=text,
        text_box_style=TextBoxStyle(font=_font(9), leading=12),
        border_width=0,
        background=background,
        background_opacity=1.0 if has_image else 0.6,
        # The seal overlaps the left third of the signature block (Decree 30).
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(0, 0, 0, 0),
        ),
    )


class _SigningCertificate(attributes.CMSAttributeProvider):
    """ESS signing-certificate-v2 from DER made once: asn1crypto re-encodes a parsed value
    every time it is copied, which was a third of a visible B-T signature's time."""

    attribute_type = "signing_certificate_v2"

    def __init__(self, der: bytes) -> None:
        self.der = der

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        return tsp.SigningCertificateV2.load(self.der)


class PadesSignedAttributes(SignedAttributeProviderSpec):
    """The signed attributes of a PAdES baseline signature (besides content type and
    message digest, which pyHanko adds): the signing certificate only — PAdES forbids
    the signing-time attribute."""

    def __init__(self, certificate: asn1_x509.Certificate) -> None:
        self.der = as_signing_certificate_v2(certificate).dump()

    def signed_attr_providers(
        self, data_digest: bytes, digest_algorithm: str
    ) -> Iterator[attributes.CMSAttributeProvider]:
        yield _SigningCertificate(self.der)


def _prepare(signer: Signer) -> None:
    if signer.signed_attr_prov_spec is None and signer.signing_cert is not None:
        signer.signed_attr_prov_spec = PadesSignedAttributes(signer.signing_cert)


def check_pdf(pdf: bytes) -> PdfFileReader:
    """A readable PDF, or PdfInvalid (truncated, corrupted, encrypted, not a PDF)."""
    if len(pdf) > MAX_PDF_BYTES:
        raise PdfInvalid(message=f"PDF lớn hơn {MAX_PDF_BYTES // (1024 * 1024)} MB.")
    if not pdf.startswith(b"%PDF-"):
        raise PdfInvalid()
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            raise PdfInvalid(message="PDF được mã hóa: không ký hoặc kiểm tra được.")
        _ = reader.root["/Pages"]
        return reader
    except PdfInvalid:
        raise
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise PdfInvalid() from exc


def next_field_name(pdf: bytes) -> str:
    reader = check_pdf(pdf)
    taken = {name for name, _value, _ref in fields.enumerate_sig_fields(reader)}
    index = 1
    while f"Signature{index}" in taken:
        index += 1
    return f"Signature{index}"


def sign(
    pdf: bytes,
    *,
    signer: Signer,
    level: str,
    holder_name: str,
    appearance: Appearance | None = None,
    timestamper: LocalTimeStamper | None = None,
    validation_context: ValidationContext | None = None,
    reason: str = "",
    location: str = "",
    field_name: str | None = None,
    when: datetime | None = None,
) -> bytes:
    """``pdf`` with one more signature (an incremental update)."""
    check_pdf(pdf)
    if level not in BYTES_RESERVED:
        raise ValueError(f"unknown level {level}")
    if level in (B_T, B_LT) and timestamper is None:
        raise ValueError(f"{level} needs a timestamper")
    if level == B_LT and validation_context is None:
        raise ValueError("B-LT needs a validation context")
    name = field_name or next_field_name(pdf)
    meta = signers.PdfSignatureMetadata(
        field_name=name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        name=holder_name,
        embed_validation_info=level == B_LT,
        validation_context=validation_context if level == B_LT else None,
    )
    field_spec = None
    style = None
    params = None
    if appearance is not None and appearance.visible:
        field_spec = fields.SigFieldSpec(name, on_page=appearance.page, box=appearance.box)
        style = _stamp_style(appearance, has_image=bool(appearance.image_png))
        moment = (when or datetime.now(ZoneInfo(settings.TIME_ZONE))).astimezone(
            ZoneInfo(settings.TIME_ZONE)
        )
        params = {
            "name": appearance.name or holder_name,
            "time": moment.strftime("%d/%m/%Y %H:%M:%S"),
        }
    else:
        field_spec = fields.SigFieldSpec(name)
    _prepare(signer)
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper if level in (B_T, B_LT) else None,
        stamp_style=style,
        new_field_spec=field_spec,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    try:
        out = aio.run(
            pdf_signer.async_sign_pdf(
                writer, bytes_reserved=BYTES_RESERVED[level], appearance_text_params=params
            )
        )
    except PdfError as exc:
        raise PdfInvalid() from exc
    return bytes(out.getvalue())
