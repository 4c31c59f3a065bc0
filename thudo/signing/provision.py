"""Idempotent set-up of the PKI and certificates by the operator (demo builder,
deployment scripts): what exists and still works is kept."""

from __future__ import annotations

from django.db import transaction

from thudo.core.models import Agency, User
from thudo.signing import keystore, services
from thudo.signing.models import Certificate


def pki() -> list[str]:
    return services.pki_bootstrap(actor=None)


def seal(*, agency_code: str) -> str:
    """The agency's valid seal certificate (issued if missing); returns its serial."""
    agency = Agency.objects.get(code=agency_code)
    current = Certificate.objects.filter(
        agency=agency, profile=Certificate.Profile.SEAL, status=Certificate.Status.VALID
    ).first()
    if current is not None:
        return current.serial
    return services.certificate_issue_seal(actor=None, agency=agency).serial


@transaction.atomic
def official(*, username: str, agency_code: str, pin: str, title: str = "") -> str:
    """The official's valid certificate that ``pin`` opens (a new one, and the unusable
    old one revoked, when the PIN does not open it); returns its serial."""
    agency = Agency.objects.get(code=agency_code)
    user = User.objects.get(username=username)
    for current in Certificate.objects.filter(
        holder=user, agency=agency, profile=Certificate.Profile.OFFICIAL, status="valid"
    ):
        try:
            keystore.unseal(bytes(current.sealed_key or b""), pin=pin)
        except keystore.WrongSecret:
            services.certificate_revoke(actor=None, certificate=current, reason="superseded")
            continue
        return current.serial
    return services.certificate_issue_official(
        actor=None, agency=agency, official=user, pin=pin, title=title
    ).serial
