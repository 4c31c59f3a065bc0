"""One permission check per service of the signing module, with the service's name.

``actor=None`` is the operator (command line, demo builder), who already holds the server.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core import rules as core_rules
from thudo.core.errors import PermissionDenied
from thudo.core.models import Agency, Role
from thudo.signing.models import Certificate


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Bạn không có quyền thực hiện thao tác này."))


def _has_role(actor: Any, agency: Agency | None, *roles: str) -> bool:
    if agency is None or not core_rules.is_official(actor):
        return False
    return bool(
        actor.memberships.filter(agency=agency, role__in=roles, revoked_at__isnull=True).exists()
    )


def _administers(actor: Any, agency: Agency | None) -> bool:
    return actor is None or bool(
        core_rules.is_platform_admin(actor) or core_rules.is_agency_admin(actor, agency)
    )


def pki_bootstrap(actor: Any) -> bool:
    return actor is None or bool(core_rules.is_platform_admin(actor))


def certificate_issue_seal(actor: Any, agency: Agency) -> bool:
    return _administers(actor, agency)


def certificate_issue_official(actor: Any, agency: Agency) -> bool:
    return _administers(actor, agency)


def certificate_issue_citizen(actor: Any, agency: Agency) -> bool:
    # A one-stop counter's clerk, after checking the citizen's identity in person.
    return actor is None or bool(
        core_rules.is_platform_admin(actor) or _has_role(actor, agency, Role.CLERK)
    )


def certificate_revoke(actor: Any, certificate: Certificate) -> bool:
    if actor is None or (certificate.holder_id is not None and actor.pk == certificate.holder_id):
        return True
    if core_rules.is_platform_admin(actor):
        return True
    if certificate.profile == Certificate.Profile.CITIZEN:
        return (
            core_rules.is_official(actor)
            and actor.memberships.filter(role=Role.CLERK, revoked_at__isnull=True).exists()
        )
    return bool(core_rules.is_agency_admin(actor, certificate.agency))


def certificate_pin_change(actor: Any, certificate: Certificate) -> bool:
    return actor is not None and certificate.holder_id == actor.pk


def pdf_sign(actor: Any, certificate: Certificate) -> bool:
    if certificate.profile == Certificate.Profile.SEAL:
        # The seal is applied by the agency's clerks (văn thư), leaders and administrators.
        return actor is None or _has_role(
            actor, certificate.agency, Role.CLERK, Role.LEADER, Role.AGENCY_ADMIN
        )
    if certificate.profile in (Certificate.Profile.OFFICIAL, Certificate.Profile.CITIZEN):
        # Only the holder, with the PIN; the operator may not sign in a person's name.
        return actor is not None and certificate.holder_id == actor.pk
    return False


def xml_sign(actor: Any, certificate: Certificate) -> bool:
    # edXML packages are signed with the agency's seal only, as the agency's act.
    return certificate.profile == Certificate.Profile.SEAL and pdf_sign(actor, certificate)
