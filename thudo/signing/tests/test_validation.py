"""Validation of signed PDFs that went wrong: tampered bytes, changes after signing,
broken files, revoked or foreign certificates — reported, never raised."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.pdfgen import canvas

from thudo.signing import pades, runtime, services, validation
from thudo.signing import pki as pkix
from thudo.signing.contracts import PdfInvalid
from thudo.signing.models import Certificate
from thudo.signing.tests.factories import sample_pdf
from thudo.signing.tests.tools import (
    nss_database,
    openssl_cms_verify,
    parse_pdfsig,
    require_pdf_tools,
    run,
)

TAMPERED = "Nội dung đã bị thay đổi sau khi ký."
MODIFIED = "Tài liệu đã bị sửa đổi sau khi ký (không phải chữ ký hay điền mẫu)."
REVOKED = "Chứng thư số đã bị thu hồi."
UNTRUSTED = "Chứng thư số không do tổ chức chứng thực tin cậy cấp hoặc đã hết hạn."


@pytest.fixture
def seal_a(city: Any, pki: None) -> Certificate:
    return services.certificate_issue_seal(actor=None, agency=city.commune_a)


@pytest.fixture
def signed(city: Any, seal_a: Certificate) -> bytes:
    return services.pdf_sign(actor=city.clerk_a, certificate=seal_a, pdf=sample_pdf(), level="B-T")


def pdfsig(pdf: bytes, folder: Path) -> Any:
    require_pdf_tools()
    nss = nss_database(folder / "nss")
    path = folder / "file.pdf"
    path.write_bytes(pdf)
    [found] = parse_pdfsig(run("pdfsig", "-nssdir", nss, "-no-ocsp", path).stdout)
    return found


def test_the_untouched_file_is_ok(signed: bytes, tmp_path: Path) -> None:
    assert validation.validate(signed).ok
    found = pdfsig(signed, tmp_path)
    assert (found.signature, found.certificate) == (
        "Signature is Valid.",
        "Certificate is Trusted.",
    )


# --- tampering ----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["binary comment", "producer"])
def test_a_changed_byte_in_the_signed_range_breaks_the_signature(
    signed: bytes, tmp_path: Path, where: str
) -> None:
    data = bytearray(signed)
    if where == "binary comment":
        data[11] ^= 0x01  # line 2 of the file, inside the first signed range
    else:
        at = signed.index(b"ReportLab Generated PDF document")
        data[at : at + 9] = b"ReportLaX"
    tampered = bytes(data)
    assert len(tampered) == len(signed)

    report = validation.validate(tampered)
    assert not report.ok
    [signature] = report.signatures
    # The CMS signature itself is sound (valid); the bytes it names are not (intact).
    assert (signature.intact, signature.valid, signature.covers_whole_document) == (
        False,
        True,
        True,
    )
    assert signature.problems[0] == TAMPERED
    assert pdfsig(tampered, tmp_path).signature == "Digest Mismatch."
    (tmp_path / "root.pem").write_bytes((tmp_path / "nss" / "root.pem").read_bytes())
    [(status, _message)] = openssl_cms_verify(tmp_path / "file.pdf")
    assert status != 0


def test_an_incremental_update_of_the_page_after_signing(signed: bytes, tmp_path: Path) -> None:
    """New page content appended after the signature: the signed revision is intact, the
    document is not what was signed."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 600 Td (DA SUA) Tj ET")
    )
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    changed = out.getvalue()
    assert changed.startswith(signed)

    report = validation.validate(changed)
    assert not report.ok
    [signature] = report.signatures
    assert (
        signature.intact,
        signature.valid,
        signature.trusted,
        signature.revocation,
        signature.covers_whole_document,
        signature.modified_after,
        signature.problems,
    ) == (True, True, True, "good", False, "other", (MODIFIED,))
    # pdfsig only sees that the signature no longer covers the file.
    found = pdfsig(changed, tmp_path)
    assert (found.signature, found.whole_document) == ("Signature is Valid.", False)


def test_a_catalog_change_after_signing_is_other(signed: bytes) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    info = writer.add_object(generic.DictionaryObject({generic.pdf_name("/Title"):
                                                       generic.pdf_string("Bản sửa")}))  # fmt: skip
    writer.root["/Names"] = generic.DictionaryObject({generic.pdf_name("/X"): info})
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    [signature] = validation.validate(out.getvalue()).signatures
    assert (signature.intact, signature.modified_after) == (True, "other")
    assert not signature.ok


@pytest.mark.parametrize("cut", [0.5, 0.9, -10])
def test_a_truncated_file_is_reported(signed: bytes, cut: float) -> None:
    end = int(len(signed) * cut) if cut > 0 else len(signed) + int(cut)
    report = validation.validate(signed[:end])
    assert (report.ok, report.signatures, report.problems) == (
        False,
        (),
        (validation.NOT_PDF,),
    )


@pytest.mark.parametrize(
    "data",
    [b"", os.urandom(5000), b"%PDF-1.7\n" + os.urandom(5000), b"%PDF-1.7\n%%EOF\n"],
    ids=["empty", "random", "pdf-header-then-random", "header-only"],
)
def test_garbage_is_reported(pki: None, data: bytes) -> None:
    report = validation.validate(data)
    assert (report.ok, report.signatures, report.problems) == (False, (), (validation.NOT_PDF,))


def test_a_pdf_without_signatures(pki: None) -> None:
    report = validation.validate(sample_pdf())
    assert (report.ok, report.signatures, report.problems) == (
        False,
        (),
        (validation.NO_SIGNATURES,),
    )


def test_an_encrypted_pdf_is_neither_signed_nor_validated(city: Any, seal_a: Certificate) -> None:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, encrypt="mat-khau")
    page.drawString(72, 720, "Bí mật")
    page.showPage()
    page.save()
    encrypted = buffer.getvalue()

    assert validation.validate(encrypted).problems == (validation.NOT_PDF,)
    with pytest.raises(PdfInvalid, match="PDF được mã hóa"):
        services.pdf_sign(actor=city.clerk_a, certificate=seal_a, pdf=encrypted, level="B-B")


# --- certificates -------------------------------------------------------------------------


def test_the_signature_of_a_revoked_certificate(
    signed: bytes, seal_a: Certificate, tmp_path: Path
) -> None:
    services.certificate_revoke(actor=None, certificate=seal_a, reason="keyCompromise")

    report = validation.validate(signed)
    assert not report.ok
    [signature] = report.signatures
    assert (
        signature.intact,
        signature.valid,
        signature.trusted,
        signature.revocation,
        signature.problems,
    ) == (True, True, False, "revoked", (REVOKED,))


def test_a_seal_superseded_after_a_timestamped_signature(
    city: Any, signed: bytes, seal_a: Certificate
) -> None:
    # Reissuing an agency's seal revokes the old one as superseded; documents sealed
    # (and timestamped) before stay valid, with a note saying so.
    services.certificate_issue_seal(actor=None, agency=city.commune_a)
    seal_a.refresh_from_db()
    assert (seal_a.status, seal_a.revocation_reason) == ("revoked", "superseded")
    report = validation.validate(signed)
    assert report.ok, report
    [signature] = [s for s in report.signatures if s.signer_serial == seal_a.serial]
    assert (signature.revocation, signature.trusted) == ("revoked_later", True)
    assert signature.notes == (
        "Chứng thư số bị thu hồi sau thời điểm ký (theo dấu thời gian): chữ ký vẫn có giá trị.",
    )


def test_a_signature_by_another_ca_is_not_trusted(pki: None) -> None:
    root_key = pkix.new_key()
    root = pkix.root_certificate(root_key, organization="CA không quen")
    key = pkix.new_key()
    leaf = pkix.end_entity_certificate(
        key.public_key(), profile="seal", subject=pkix.name("Cơ quan lạ", organization="Lạ"),
        ca_code="x", ca=root, ca_key=root_key, endpoints=runtime.endpoints(), days=30,
    )  # fmt: skip
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    signer = SimpleSigner(
        signing_cert=runtime.asn1(leaf),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([runtime.asn1(root)]),
    )
    foreign = pades.sign(sample_pdf(), signer=signer, level="B-B", holder_name="Cơ quan lạ")

    report = validation.validate(foreign)
    assert not report.ok
    [signature] = report.signatures
    assert (
        signature.signer,
        signature.intact,
        signature.valid,
        signature.trusted,
        signature.revocation,
        signature.problems,
    ) == ("Cơ quan lạ", True, True, False, "unknown", (UNTRUSTED,))


def test_one_bad_signature_after_a_good_one(city: Any, signed: bytes, seal_a: Certificate) -> None:
    """A byte of the second signature's own revision changed: the report says which one."""
    twice = services.pdf_sign(actor=city.clerk_a, certificate=seal_a, pdf=signed, level="B-T")
    data = bytearray(twice)
    at = twice.rindex(b"/M (D") + len(b"/M (D\\072") + 3  # the second signature's year
    assert at > len(signed)
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    report = validation.validate(bytes(data))
    assert not report.ok
    assert [(s.field_name, s.intact, s.ok) for s in report.signatures] == [
        ("Signature1", True, True),
        ("Signature2", False, False),
    ]
