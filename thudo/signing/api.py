"""Signing API: my certificates, revocation, signing a PDF, validating any PDF.

Thin endpoints: a schema in, one service or selector call, a schema out. Signing answers
the signed PDF itself (``application/pdf``); validation is public, like its page.
"""

from typing import Any, Literal

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import File, Form, Router
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate

from thudo.core.auth import AuthedRequest
from thudo.core.errors import NotFound
from thudo.core.pagination import Pagination
from thudo.signing import selectors, services, validation
from thudo.signing.contracts import PdfInvalid
from thudo.signing.forms import read_pdf, signed_file_name
from thudo.signing.models import Certificate
from thudo.signing.pades import MAX_PDF_BYTES
from thudo.signing.schemas import CertificateOut, RevokeIn, SignIn, ValidationReportOut

router = Router(tags=["signing"])

PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "The signed PDF (an incremental update of the one sent)",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _pdf(file: UploadedFile) -> bytes:
    if (file.size or 0) > MAX_PDF_BYTES:
        raise HttpError(413, _("Tệp lớn hơn 50 MB."))
    return read_pdf(file)


def _usable(user: Any, serial: str) -> Certificate:
    """One of the certificates ``user`` may sign with; others do not exist for them."""
    for certificate in selectors.certificates_usable_by(user=user):
        if certificate.serial == serial.strip().lower():
            return certificate
    raise NotFound(_("Bạn không có chứng thư số đang hiệu lực với số hiệu này."))


@router.get(
    "/certificates",
    response=list[CertificateOut],
    summary="My certificates, and my agencies' when I administer them",
)
@paginate(Pagination)
def certificate_list(
    request: AuthedRequest, status: Literal["valid", "revoked"] | None = None
) -> Any:
    return selectors.certificate_list_for_user(user=request.user, status=status)


@router.post(
    "/certificates/{serial}/revoke",
    response=CertificateOut,
    summary="Revoke a certificate: listed on the CRL and answered 'revoked' by OCSP at once",
)
def certificate_revoke(request: AuthedRequest, serial: str, payload: RevokeIn) -> Any:
    certificate = selectors.certificate_get_for_user(user=request.user, serial=serial)
    return services.certificate_revoke(
        actor=request.user, certificate=certificate, reason=payload.reason
    )


@router.post(
    "/sign",
    response={200: None},
    summary="Sign a PDF (PAdES) with one of my certificates; answers the signed PDF",
    openapi_extra=PDF_RESPONSE,
)
def pdf_sign(
    request: AuthedRequest, payload: Form[SignIn], file: File[UploadedFile]
) -> HttpResponse:
    # Not inside a transaction of ours: a wrong PIN must stay counted.
    signed = services.pdf_sign(
        actor=request.user,
        certificate=_usable(request.user, payload.serial),
        pdf=_pdf(file),
        pin=payload.pin or None,
        level=payload.level,
        reason=payload.reason,
        purpose=_("Ký số tài liệu qua API"),
    )
    response = HttpResponse(signed, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, signed_file_name(file.name))
    return response


@router.post(
    "/verify",
    auth=None,
    response=ValidationReportOut,
    summary="Validate the signatures of any PDF (public)",
)
def pdf_validate(request: Any, file: File[UploadedFile]) -> Any:
    report = validation.validate(_pdf(file))
    if not report.signatures and validation.NOT_PDF in report.problems:
        raise PdfInvalid()
    return report
