"""Validation of signed PDFs: who signed, when, whether each signature is intact, valid
and trusted, whether its certificate is revoked, and what changed after signing.

pyHanko does the cryptography and the difference analysis between revisions; trust is
in the platform's root, with revocation answered from the platform's own CRLs (no
network). Certificates of other CAs are reported as untrusted, not as errors.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from thudo.signing import aio, pades, runtime
from thudo.signing.contracts import (
    B_B,
    B_LT,
    B_T,
    PdfInvalid,
    SignatureReport,
    ValidationReport,
)
from thudo.signing.models import Certificate

logger = logging.getLogger(__name__)

# Revocation reasons that say nothing against the key itself.
KEY_STILL_TRUSTED = {"superseded", "affiliationChanged", "cessationOfOperation"}
NO_SIGNATURES = "Tệp không có chữ ký số nào."
NOT_PDF = "Tệp không phải PDF hợp lệ hoặc đã bị hỏng."


def validate(pdf: bytes) -> ValidationReport:
    try:
        pades.check_pdf(pdf)
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = list(reader.embedded_regular_signatures)
    except (PdfInvalid, PdfError, ValueError, KeyError, TypeError):
        return ValidationReport(problems=(NOT_PDF,))
    if not signatures:
        return ValidationReport(problems=(NO_SIGNATURES,))
    try:
        context: ValidationContext | None = runtime.validation_context()
    except runtime.PkiNotReady:
        context = None
    reports = [_one(embedded, context, reader) for embedded in signatures]
    return ValidationReport(signatures=tuple(reports))


def _name(certificate: asn1_x509.Certificate) -> str:
    subject = certificate.subject.native
    return str(subject.get("common_name") or certificate.subject.human_friendly)


def _dss_refs(root: Any, key: str) -> set[tuple[int, int]]:
    try:
        dss = root["/DSS"]
        return {(ref.idnum, ref.generation) for ref in dss.raw_get(key, [])}
    except (KeyError, AttributeError, TypeError):
        return set()


def _long_term(reader: PdfFileReader, embedded: Any, certificate: asn1_x509.Certificate) -> bool:
    """B-LT: validation data for this signer — an OCSP answer about its certificate, or a
    CRL of its issuer — was added to the DSS after the signature. A DSS written for an
    earlier signature does not make a later one long-term."""
    try:
        before = reader.get_historical_root(embedded.signed_revision)
        dss = reader.root["/DSS"]
    except (KeyError, PdfError, ValueError, TypeError):
        return False
    serial = certificate.serial_number
    for ref in dss.raw_get("/OCSPs", []):
        if (ref.idnum, ref.generation) in _dss_refs(before, "/OCSPs"):
            continue
        try:
            response = asn1_ocsp.OCSPResponse.load(ref.get_object().data)
            answers = response["response_bytes"]["response"].parsed["tbs_response_data"]
            if any(r["cert_id"]["serial_number"].native == serial for r in answers["responses"]):
                return True
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    for ref in dss.raw_get("/CRLs", []):
        if (ref.idnum, ref.generation) in _dss_refs(before, "/CRLs"):
            continue
        try:
            issuer = asn1_crl.CertificateList.load(ref.get_object().data).issuer
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if issuer == certificate.issuer:
            return True
    return False


def _one(
    embedded: Any, context: ValidationContext | None, reader: PdfFileReader
) -> SignatureReport:
    field_name = str(getattr(embedded, "field_name", ""))
    try:
        status: PdfSignatureStatus = aio.run(
            async_validate_pdf_signature(
                embedded,
                signer_validation_context=context,
                ts_validation_context=context,
            )
        )
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
        logger.info("signature %s could not be validated: %s", field_name, exc)
        certificate = getattr(embedded, "signer_cert", None)
        return SignatureReport(
            field_name=field_name,
            signer=_name(certificate) if certificate is not None else "",
            signer_serial=f"{certificate.serial_number:x}" if certificate is not None else "",
            issuer=certificate.issuer.human_friendly if certificate is not None else "",
            signing_time=None,
            timestamp_time=None,
            level="",
            intact=False,
            valid=False,
            trusted=False,
            revocation="unknown",
            covers_whole_document=False,
            modified_after="other",
            problems=("Chữ ký hỏng hoặc không đọc được.",),
        )
    certificate = status.signing_cert
    serial = f"{certificate.serial_number:x}"
    timestamp = status.timestamp_validity
    level = B_B
    if timestamp is not None:
        level = B_LT if _long_term(reader, embedded, certificate) else B_T
    revocation = _revocation(certificate, status)
    if revocation == "revoked" and timestamp is not None and timestamp.valid and timestamp.trusted:
        status, revocation = _as_of_timestamp(embedded, certificate, status, timestamp.timestamp)
    coverage = status.coverage.name if status.coverage is not None else ""
    modification = status.modification_level.name if status.modification_level else ""
    if coverage == "ENTIRE_FILE":
        modified = "none"
    elif modification in ("LTA_UPDATES", "FORM_FILLING") and status.docmdp_ok is not False:
        modified = "allowed"
    else:
        modified = "other"
    problems: list[str] = []
    notes: list[str] = []
    if not status.intact:
        problems.append("Nội dung đã bị thay đổi sau khi ký.")
    elif not status.valid:
        problems.append("Chữ ký không khớp với chứng thư số.")
    if revocation == "revoked":
        problems.append("Chứng thư số đã bị thu hồi.")
    elif revocation == "revoked_later":
        notes.append(
            "Chứng thư số bị thu hồi sau thời điểm ký (theo dấu thời gian): chữ ký vẫn có giá trị."
        )
    elif not status.trusted:
        problems.append("Chứng thư số không do tổ chức chứng thực tin cậy cấp hoặc đã hết hạn.")
    if modified == "other":
        problems.append("Tài liệu đã bị sửa đổi sau khi ký (không phải chữ ký hay điền mẫu).")
    if timestamp is not None and not (timestamp.intact and timestamp.valid):
        problems.append("Dấu thời gian không hợp lệ.")
    return SignatureReport(
        field_name=field_name,
        signer=_name(certificate),
        signer_serial=serial,
        issuer=certificate.issuer.human_friendly,
        signing_time=status.signer_reported_dt,
        timestamp_time=timestamp.timestamp if timestamp is not None else None,
        level=level,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        revocation=revocation,
        covers_whole_document=coverage == "ENTIRE_FILE",
        modified_after=modified,
        problems=tuple(problems),
        notes=tuple(notes),
    )


def _as_of_timestamp(
    embedded: Any, certificate: asn1_x509.Certificate, status: PdfSignatureStatus, at: datetime
) -> tuple[PdfSignatureStatus, str]:
    """A certificate revoked after the signature's trusted timestamp (a seal superseded
    by a new one, a leader who left) does not undo the signature: validate as of then."""
    row = Certificate.objects.filter(serial=f"{certificate.serial_number:x}").first()
    if (
        row is None
        or row.revoked_at is None
        or row.revoked_at <= at
        # A compromised key may have signed anything, whenever: no grace for it.
        or row.revocation_reason not in KEY_STILL_TRUSTED
    ):
        return status, "revoked"
    then = aio.run(
        async_validate_pdf_signature(
            embedded,
            signer_validation_context=runtime.validation_context(moment=at),
            ts_validation_context=runtime.validation_context(),
        )
    )
    return (then, "revoked_later") if then.trusted else (status, "revoked")


def _revocation(certificate: asn1_x509.Certificate, status: PdfSignatureStatus) -> str:
    if status.revoked:
        return "revoked"
    row = (
        Certificate.objects.filter(serial=f"{certificate.serial_number:x}")
        .only("status", "der")
        .first()
    )
    if row is None or bytes(row.der) != certificate.dump():
        return "good" if status.trusted else "unknown"
    return "revoked" if row.status == Certificate.Status.REVOKED else "good"


def signed_at(report: SignatureReport) -> datetime | None:
    """The trustworthy time of a signature: its timestamp, else what the signer claimed."""
    return report.timestamp_time or report.signing_time
