"""What other modules may call in the signing module (chữ ký số)."""

from __future__ import annotations

from typing import Any

from thudo.core.models import User
from thudo.signing import selectors, services, validation, xmldsig
from thudo.signing.contracts import (
    B_LT,
    Appearance,
    CertificateInfo,
    CertificateNotUsable,
    PdfInvalid,
    PinInvalid,
    PinLocked,
    SignatureReport,
    ValidationReport,
)

__all__ = [
    "Appearance",
    "CertificateInfo",
    "CertificateNotUsable",
    "PdfInvalid",
    "PinInvalid",
    "PinLocked",
    "SignatureReport",
    "ValidationReport",
    "XmlSignatureReport",
    "certificates_of",
    "provision_official",
    "provision_pki",
    "provision_seal",
    "seal_of",
    "sign_pdf",
    "sign_xml",
    "validate_pdf",
    "verify_xml",
]

XmlSignatureReport = xmldsig.XmlSignatureReport


def validate_pdf(pdf: bytes) -> ValidationReport:
    """Every signature of ``pdf``: intact, valid, trusted, revoked, modified after."""
    return validation.validate(pdf)


def certificates_of(*, user: User) -> list[CertificateInfo]:
    """The certificates ``user`` may sign with (their own, their agencies' seals)."""
    return [selectors.info(c) for c in selectors.certificates_usable_by(user=user)]


def seal_of(*, agency_code: str) -> CertificateInfo | None:
    found = selectors.seal_of(agency_code=agency_code)
    return selectors.info(found) if found is not None else None


def sign_pdf(
    pdf: bytes,
    *,
    actor: User | None,
    serial: str,
    pin: str | None = None,
    level: str = B_LT,
    appearance: Appearance | None = None,
    reason: str = "",
    purpose: str = "",
    **extra: Any,
) -> bytes:
    """``pdf`` with one more PAdES signature by the certificate ``serial``. Raises
    PinInvalid, PinLocked, CertificateNotUsable, PdfInvalid or PermissionDenied. Call it
    before opening a transaction of your own: a wrong PIN must stay counted."""
    return services.pdf_sign(
        actor=actor,
        certificate=selectors.certificate_get(serial=serial),
        pdf=pdf,
        pin=pin,
        level=level,
        appearance=appearance,
        reason=reason,
        purpose=purpose,
        **extra,
    )


def sign_xml(xml: bytes, *, actor: User | None, agency_code: str) -> bytes:
    """``xml`` with the agency seal's enveloped XML signature. The caller must have
    parsed ``xml`` safely (no DTD); raises NotFound when the agency has no seal."""
    from thudo.core.errors import NotFound

    seal = selectors.seal_of(agency_code=agency_code)
    if seal is None:
        raise NotFound(f"agency {agency_code} has no seal certificate")
    return services.xml_sign(actor=actor, certificate=seal, xml=xml)


def verify_xml(xml: bytes) -> XmlSignatureReport:
    """The XML signature of a safely parsed document: valid, trusted, revoked, who."""
    from lxml import etree

    try:
        root = etree.fromstring(xml, parser=xmldsig.PARSER)
    except etree.XMLSyntaxError:
        return XmlSignatureReport(False, False, False, "", "", "", "not XML")
    return xmldsig.verify(root)


# --- the operator's idempotent set-up (demo builder, deployment scripts) ------------------


def provision_pki() -> list[str]:
    """Create the CAs and the TSA if missing; returns what was created."""
    from thudo.signing import provision

    return provision.pki()


def provision_seal(*, agency_code: str) -> str:
    """The agency's seal certificate, issued if missing; returns its serial."""
    from thudo.signing import provision

    return provision.seal(agency_code=agency_code)


def provision_official(*, username: str, agency_code: str, pin: str, title: str = "") -> str:
    """An official's certificate opened by ``pin`` (issued if needed); returns its serial."""
    from thudo.signing import provision

    return provision.official(username=username, agency_code=agency_code, pin=pin, title=title)
