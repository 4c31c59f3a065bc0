"""Reads of the signing module."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography import x509
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from thudo.core import rules as core_rules
from thudo.core.errors import NotFound
from thudo.core.models import Agency, User
from thudo.signing.contracts import CertificateInfo
from thudo.signing.models import Authority, Certificate


def _certificates() -> QuerySet[Certificate]:
    return Certificate.objects.select_related("authority", "agency", "holder").exclude(
        profile=Certificate.Profile.TSA
    )


def certificate_list_for_user(*, user: Any, status: str | None = None) -> QuerySet[Certificate]:
    """The user's own certificates, and those of the agencies they administer."""
    if core_rules.is_platform_admin(user):
        certificates = _certificates()
    else:
        administered = [
            m.agency_id
            for m in user.memberships.filter(revoked_at__isnull=True, role="agency_admin")
        ]
        certificates = _certificates().filter(
            Q(holder=user) | Q(agency_id__in=administered, profile__in=["seal", "official"])
        )
    if status:
        certificates = certificates.filter(status=status)
    return certificates.order_by("-created_at")


def certificate_get_for_user(*, user: Any, serial: str) -> Certificate:
    found = certificate_list_for_user(user=user).filter(serial=serial.lower()).first()
    if found is None:
        raise NotFound(_("Không tìm thấy chứng thư số."))
    return found


def certificates_usable_by(*, user: Any) -> list[Certificate]:
    """What ``user`` may sign with: their own certificates and their agencies' seals
    (for clerks, leaders and administrators), valid ones only."""
    from thudo.signing import permissions

    own = list(_certificates().filter(holder=user, status=Certificate.Status.VALID))
    agencies = [m.agency_id for m in user.memberships.filter(revoked_at__isnull=True)]
    seals = [
        c
        for c in _certificates().filter(
            agency_id__in=agencies,
            profile=Certificate.Profile.SEAL,
            status=Certificate.Status.VALID,
        )
        if permissions.pdf_sign(user, c)
    ]
    return own + seals


def certificate_get(*, serial: str) -> Certificate:
    found = _certificates().filter(serial=serial.lower()).first()
    if found is None:
        raise NotFound(_("Không tìm thấy chứng thư số."))
    return found


def seal_of(*, agency_code: str) -> Certificate | None:
    return (
        _certificates()
        .filter(
            agency__code=agency_code,
            profile=Certificate.Profile.SEAL,
            status=Certificate.Status.VALID,
        )
        .first()
    )


# --- for the operator at the command line (``thudo signing …``) --------------------------


def agency_get(*, code: str) -> Agency:
    agency = Agency.objects.filter(is_active=True, code=(code or "").strip().upper()).first()
    if agency is None:
        raise NotFound(_("Không tìm thấy cơ quan %(code)s.") % {"code": code})
    return agency


def user_get(*, username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(_("Không tìm thấy tài khoản %(name)s.") % {"name": username})
    return user


def personal_certificate_of(*, user: User) -> Certificate | None:
    """The newest valid personal certificate (official or citizen) ``user`` holds."""
    return (
        _certificates()
        .filter(
            holder=user,
            profile__in=[Certificate.Profile.OFFICIAL, Certificate.Profile.CITIZEN],
            status=Certificate.Status.VALID,
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def authority_list() -> QuerySet[Authority]:
    return Authority.objects.order_by("pk")


def authority_certificate(*, code: str) -> bytes:
    found = Authority.objects.filter(code=code).only("certificate").first()
    if found is None:
        raise NotFound(_("Không có tổ chức chứng thực này."))
    return bytes(found.certificate)


def info(certificate: Certificate) -> CertificateInfo:
    cert = x509.load_der_x509_certificate(bytes(certificate.der))
    return CertificateInfo(
        serial=certificate.serial,
        profile=certificate.profile,
        subject=certificate.subject,
        holder_name=certificate.holder_name,
        title=certificate.title,
        agency_code=certificate.agency.code if certificate.agency else "",
        agency_name=certificate.agency.name if certificate.agency else "",
        issuer=cert.issuer.rfc4514_string(),
        not_before=certificate.not_before,
        not_after=certificate.not_after,
        status=certificate.status,
        revoked_at=certificate.revoked_at,
        fingerprint_sha256=hashlib.sha256(bytes(certificate.der)).hexdigest(),
    )


# --- for the pages ------------------------------------------------------------------------


def agencies_where(*, user: Any, roles: tuple[str, ...]) -> list[Agency]:
    """The agencies where ``user`` holds one of ``roles`` (active memberships), by name."""
    if not core_rules.is_official(user):
        return []
    found = {
        m.agency.pk: m.agency
        for m in user.memberships.filter(revoked_at__isnull=True, role__in=roles)
        .select_related("agency")
        .order_by("agency__name")
    }
    return list(found.values())


def agency_members(*, agency: Agency) -> list[User]:
    """Active officials with an active role in ``agency``, by name (each once)."""
    return list(
        User.objects.filter(
            kind=User.Kind.OFFICIAL,
            is_active=True,
            memberships__agency=agency,
            memberships__revoked_at__isnull=True,
        )
        .distinct()
        .order_by("full_name", "username")
    )
