"""Writes of the signing module: the PKI, certificates, signatures.

Keyword-only ``<entity>_<action>`` functions, atomic, one permission check first, the
audit event in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from thudo.core import audit
from thudo.core.errors import ApplicationError, Conflict, NotFound, ServiceUnavailable, invalid
from thudo.core.identifiers import IdentifierError, check_personal_id
from thudo.core.models import Agency, User
from thudo.signing import backends, keystore, pades, permissions, pki, runtime
from thudo.signing.contracts import (
    B_LT,
    LEVELS,
    Appearance,
    CertificateNotUsable,
    PinInvalid,
    PinLocked,
)
from thudo.signing.models import Authority, Certificate

PIN = re.compile(r"[0-9]{6,12}")
# RFC 5280 reason codes by their ASN.1 names ("keyCompromise", "superseded" …);
# removeFromCRL belongs to delta CRLs only.
REASONS = {r.value for r in x509.ReasonFlags} - {"removeFromCRL", "unspecified"}


def _saved(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


def _check_pin(pin: str, field: str = "pin") -> str:
    if not PIN.fullmatch(pin or ""):
        raise invalid(field, "weak_pin", _("Mã PIN gồm 6 đến 12 chữ số."))
    if len(set(pin)) == 1 or pin in "0123456789012" or pin in "9876543210987":
        raise invalid(
            field, "weak_pin", _("Mã PIN quá dễ đoán (các số giống nhau hoặc liên tiếp).")
        )
    return pin


# --- the PKI ----------------------------------------------------------------------------


def _store_authority(
    code: str, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, parent: Any
) -> Authority:
    return Authority.objects.create(
        code=code,
        name=name,
        parent=parent,
        certificate=cert.public_bytes(serialization.Encoding.DER),
        sealed_key=keystore.seal(key),
    )


def _store_certificate(
    cert: x509.Certificate, *, authority: Authority, profile: str, sealed_key: bytes | None,
    holder_name: str, **fields: Any,
) -> Certificate:  # fmt: skip
    der = cert.public_bytes(serialization.Encoding.DER)
    return Certificate.objects.create(
        serial=f"{cert.serial_number:x}",
        fingerprint=hashlib.sha256(der).hexdigest(),
        authority=authority,
        profile=profile,
        subject=cert.subject.rfc4514_string(),
        holder_name=holder_name,
        der=der,
        sealed_key=sealed_key,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        **fields,
    )


@transaction.atomic
def pki_bootstrap(*, actor: User | None) -> list[str]:
    """Create what is missing of the PKI: the root, the two issuing CAs, the TSA.
    Returns the codes created (nothing on a second run)."""
    permissions.require(permissions.pki_bootstrap(actor))
    org = settings.SIGNING_ORGANIZATION
    endpoints = runtime.endpoints()
    created: list[str] = []
    existing = {a.code: a for a in Authority.objects.select_for_update()}
    root_row = existing.get(pki.ROOT)
    if root_row is None:
        root_key = pki.new_key(ec.SECP384R1())
        root_cert = pki.root_certificate(root_key, organization=org)
        root_row = _store_authority(pki.ROOT, f"{org} Root CA", root_cert, root_key, None)
        created.append(pki.ROOT)
    else:
        root_cert = x509.load_der_x509_certificate(bytes(root_row.certificate))
        loaded = keystore.unseal(bytes(root_row.sealed_key))
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        root_key = loaded
    names = {
        pki.OFFICIALS_CA: f"{org} CA cho cơ quan và cán bộ",
        pki.CITIZENS_CA: f"{org} CA cho công dân",
    }
    for code, common_name in names.items():
        if code in existing:
            continue
        key = pki.new_key()
        cert = pki.issuing_certificate(
            key,
            code=code,
            common_name=common_name,
            organization=org,
            root=root_cert,
            root_key=root_key,
            endpoints=endpoints,
        )
        existing[code] = _store_authority(code, common_name, cert, key, root_row)
        created.append(code)
    if not Certificate.objects.filter(
        profile=Certificate.Profile.TSA, status=Certificate.Status.VALID
    ).exists():
        officials = existing[pki.OFFICIALS_CA]
        ca_cert = x509.load_der_x509_certificate(bytes(officials.certificate))
        ca_key = keystore.unseal(bytes(officials.sealed_key))
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = pki.new_key()
        cert = pki.tsa_certificate(
            key.public_key(),
            organization=org,
            ca_code=pki.OFFICIALS_CA,
            ca=ca_cert,
            ca_key=ca_key,
            endpoints=endpoints,
        )
        _store_certificate(
            cert,
            authority=officials,
            profile=Certificate.Profile.TSA,
            sealed_key=keystore.seal(key),
            holder_name=f"{org} TSA",
        )
        created.append(pki.TSA)
    if created:
        audit.record(
            action="signing.pki.bootstrap",
            actor=_saved(actor),
            object_type="signing.authority",
            object_id=",".join(created),
            payload={"created": created},
        )
        transaction.on_commit(runtime.reset)
    return created


def _issue(
    *,
    actor: User | None,
    ca_code: str,
    profile: str,
    subject: x509.Name,
    holder_name: str,
    pin: str | None,
    email: str = "",
    **fields: Any,
) -> Certificate:
    try:
        ca = runtime.authority(ca_code)
    except runtime.PkiNotReady as exc:
        raise ServiceUnavailable(_("Hệ thống chứng thực chưa được khởi tạo.")) from exc
    key = pki.new_key()
    cert = pki.end_entity_certificate(
        key.public_key(),
        profile=profile,
        subject=subject,
        ca_code=ca_code,
        ca=ca.certificate,
        ca_key=ca.key,
        endpoints=runtime.endpoints(),
        days=settings.SIGNING_CERT_DAYS,
        email=email,
    )
    authority = Authority.objects.get(pk=ca.pk)
    # The private key exists unsealed only here, in this process, while it is being made.
    row = _store_certificate(
        cert,
        authority=authority,
        profile=profile,
        sealed_key=keystore.seal(key, pin=pin),
        holder_name=holder_name,
        issued_by=_saved(actor),
        **fields,
    )
    audit.record(
        action=f"signing.certificate.issue_{profile}",
        actor=_saved(actor),
        agency=fields.get("agency"),
        object_type="signing.certificate",
        object_id=row.serial,
        data_subject=fields.get("personal_id", ""),
        payload={"subject": row.subject, "not_after": row.not_after.isoformat()},
    )
    return row


@transaction.atomic
def certificate_issue_seal(*, actor: User | None, agency: Agency) -> Certificate:
    """The agency's seal certificate (con dấu điện tử); the previous one is superseded."""
    permissions.require(permissions.certificate_issue_seal(actor, agency))
    subject = pki.name(
        agency.name,
        organization=agency.name,
        organization_identifier=f"VN-{agency.code}",
        locality=settings.SIGNING_LOCALITY,
    )
    current = list(
        Certificate.objects.select_for_update().filter(
            agency=agency, profile=Certificate.Profile.SEAL, status=Certificate.Status.VALID
        )
    )
    row = _issue(
        actor=actor,
        ca_code=pki.OFFICIALS_CA,
        profile=Certificate.Profile.SEAL,
        subject=subject,
        holder_name=agency.name,
        pin=None,
        agency=agency,
    )
    for old in current:
        _revoke(actor, old, "superseded")
    return row


@transaction.atomic
def certificate_issue_official(
    *, actor: User | None, agency: Agency, official: User, pin: str, title: str = ""
) -> Certificate:
    """An official's signing certificate for their agency, protected by their PIN."""
    permissions.require(permissions.certificate_issue_official(actor, agency))
    membership = official.memberships.filter(agency=agency, revoked_at__isnull=True).first()
    if membership is None:
        raise invalid("official", "not_member", _("Người này không thuộc cơ quan."))
    pin = _check_pin(pin)
    title = (title or membership.title or "").strip()[:100]
    name = official.full_name or official.get_username()
    subject = pki.name(
        name,
        organization=agency.name,
        title=title,
        organization_identifier=f"VN-{agency.code}",
        locality=settings.SIGNING_LOCALITY,
    )
    return _issue(
        actor=actor,
        ca_code=pki.OFFICIALS_CA,
        profile=Certificate.Profile.OFFICIAL,
        subject=subject,
        holder_name=name,
        pin=pin,
        email=official.email or "",
        holder=official,
        agency=agency,
        title=title,
    )


def _population_record(personal_id: str) -> dict[str, Any]:
    """The person as the national population database knows them, read through the hub
    (once-only: the counter does not retype what the state holds)."""
    from thudo.exchange import facade as exchange
    from thudo.registries.contracts import POPULATION_SERVICE

    service = f"{settings.REGISTRIES_POPULATION_SYSTEM}/{POPULATION_SERVICE}"
    try:
        answer = exchange.call(
            service,
            f"/people/{personal_id}",
            purpose=_("Xác minh danh tính để cấp chứng thư số cho công dân"),
            data_subject=personal_id,
        )
    except exchange.ExchangeError as exc:
        raise ServiceUnavailable(
            _("Không tra cứu được Cơ sở dữ liệu quốc gia về dân cư: %(e)s") % {"e": exc}
        ) from exc
    body = answer.json() if answer.body else {}
    if answer.status == 404 or body.get("status") == "not_found":
        raise NotFound(_("Cơ sở dữ liệu dân cư không có người mang số định danh này."))
    if answer.status == 403 or body.get("status") == "not_permitted":
        raise ApplicationError(
            _(
                "Cơ sở dữ liệu dân cư không cung cấp thông tin người này; "
                "đề nghị xác minh trực tiếp."
            )
        )
    if answer.status != 200 or body.get("status") != "found":
        raise ServiceUnavailable(_("Cơ sở dữ liệu dân cư trả lời không đúng định dạng."))
    return dict(body["person"])


def certificate_issue_citizen(
    *,
    actor: User | None,
    agency: Agency,
    personal_id: str,
    pin: str,
    identity_confirmed: bool,
    email: str = "",
) -> Certificate:
    """A citizen's certificate at a one-stop counter: the clerk has checked the citizen's
    ID card in person (``identity_confirmed``); the name comes from the population
    database; the citizen chooses the PIN that seals the key.

    The population database is asked before the transaction opens: no write lock is held
    while the hub answers (on SQLite the hub's own message log would wait for it)."""
    permissions.require(permissions.certificate_issue_citizen(actor, agency))
    try:
        personal_id = check_personal_id((personal_id or "").strip())
    except IdentifierError as exc:
        raise invalid("personal_id", "invalid_personal_id", str(exc)) from exc
    pin = _check_pin(pin)
    if not identity_confirmed:
        raise invalid(
            "identity_confirmed",
            "required",
            _("Cán bộ phải xác nhận đã đối chiếu căn cước của công dân."),
        )
    person = _population_record(personal_id)
    with transaction.atomic():
        return _issue_citizen(actor, agency, personal_id, person, pin, email)


def _issue_citizen(
    actor: User | None,
    agency: Agency,
    personal_id: str,
    person: dict[str, Any],
    pin: str,
    email: str,
) -> Certificate:
    from thudo.core import facade as core

    citizen = core.citizen_upsert(
        personal_id=personal_id,
        full_name=str(person["full_name"]),
        birth_date=datetime.fromisoformat(str(person["birth_date"])).date(),
        gender=str(person.get("sex", "")),
        loa=None,
    )
    if Certificate.objects.filter(
        holder=citizen, profile=Certificate.Profile.CITIZEN, status=Certificate.Status.VALID
    ).exists():
        raise Conflict(
            _("Công dân đã có chứng thư số đang hiệu lực; hãy thu hồi trước khi cấp mới.")
        )
    subject = pki.name(
        str(person["full_name"]),
        organization=_("Công dân"),
        serial_number=f"CCCD:{personal_id}",
        locality=settings.SIGNING_LOCALITY,
    )
    return _issue(
        actor=actor,
        ca_code=pki.CITIZENS_CA,
        profile=Certificate.Profile.CITIZEN,
        subject=subject,
        holder_name=str(person["full_name"]),
        pin=pin,
        email=email,
        holder=citizen,
        personal_id=personal_id,
        agency=agency,
    )


def _revoke(actor: User | None, certificate: Certificate, reason: str) -> Certificate:
    now = timezone.now()
    certificate.status = Certificate.Status.REVOKED
    certificate.revoked_at = now
    certificate.revocation_reason = reason
    certificate.revoked_by = _saved(actor)
    certificate.save(update_fields=["status", "revoked_at", "revocation_reason", "revoked_by"])
    Authority.objects.filter(pk=certificate.authority_id).update(crl_number=F("crl_number") + 1)
    audit.record(
        action="signing.certificate.revoke",
        actor=_saved(actor),
        agency=certificate.agency,
        object_type="signing.certificate",
        object_id=certificate.serial,
        data_subject=certificate.personal_id,
        payload={"reason": reason},
    )
    transaction.on_commit(lambda: backends.forget(certificate.serial))
    return certificate


@transaction.atomic
def certificate_revoke(*, actor: User | None, certificate: Certificate, reason: str) -> Certificate:
    """Thu hồi: the certificate is listed on the CRL and OCSP answers "revoked" at once."""
    permissions.require(permissions.certificate_revoke(actor, certificate))
    if reason not in REASONS:
        raise invalid("reason", "invalid_choice", _("Lý do thu hồi không hợp lệ."))
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.status == Certificate.Status.REVOKED:
        raise Conflict(_("Chứng thư số đã bị thu hồi."))
    return _revoke(actor, locked, reason)


def _usable(certificate: Certificate) -> None:
    now = timezone.now()
    if (
        certificate.status != Certificate.Status.VALID
        or not certificate.not_before <= now < certificate.not_after
    ):
        raise CertificateNotUsable()


def _open_signer(certificate: Certificate, pin: str | None) -> Any:
    """The pyHanko signer, counting wrong PINs: after SIGNING_PIN_ATTEMPTS the key is
    locked for SIGNING_PIN_LOCK_MINUTES (the counter is committed even though the
    signing request fails)."""
    needs = keystore.needs_pin(bytes(certificate.sealed_key or b""))
    now = timezone.now()
    if needs and certificate.locked_until is not None and certificate.locked_until > now:
        raise PinLocked()
    try:
        signer = backends.for_certificate(certificate).signer(
            certificate, pin=pin if needs else None
        )
    except keystore.WrongSecret as exc:
        if not needs:
            raise
        _pin_failed(certificate.pk)
        raise PinInvalid(message=_("Mã PIN không đúng.")) from exc
    if needs and (certificate.pin_failures or certificate.locked_until is not None):
        # A right PIN clears the count and a lock that has run out.
        Certificate.objects.filter(pk=certificate.pk).update(pin_failures=0, locked_until=None)
    return signer


def _pin_failed(pk: int) -> None:
    """Count a wrong PIN in its own (sub)transaction. Callers sign before they open a
    transaction of their own, so a failed signing request does not roll the count back
    (the documents module signs first, then records)."""
    with transaction.atomic():
        row = Certificate.objects.select_for_update().get(pk=pk)
        row.pin_failures += 1
        if row.pin_failures >= settings.SIGNING_PIN_ATTEMPTS:
            row.locked_until = timezone.now() + timedelta(minutes=settings.SIGNING_PIN_LOCK_MINUTES)
            row.pin_failures = 0
        row.save(update_fields=["pin_failures", "locked_until"])
        audit.record(
            action="signing.certificate.pin_failure",
            object_type="signing.certificate",
            object_id=row.serial,
            payload={"locked": row.locked_until is not None and row.pin_failures == 0},
        )


def certificate_pin_change(
    *, actor: User | None, certificate: Certificate, old_pin: str, new_pin: str
) -> Certificate:
    """The key resealed under a new PIN. The old PIN is checked before the transaction
    opens: a wrong one must stay counted, or this would be an unlimited PIN oracle."""
    permissions.require(permissions.certificate_pin_change(actor, certificate))
    new_pin = _check_pin(new_pin, "new_pin")
    current = Certificate.objects.get(pk=certificate.pk)
    _usable(current)
    _open_signer(current, old_pin)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        _usable(locked)
        try:
            locked.sealed_key = keystore.reseal(
                bytes(locked.sealed_key or b""), old_pin=old_pin, new_pin=new_pin
            )
        except keystore.WrongSecret as exc:  # changed meanwhile by another request
            raise PinInvalid(message=_("Mã PIN không đúng.")) from exc
        locked.save(update_fields=["sealed_key"])
        audit.record(
            action="signing.certificate.pin_change",
            actor=_saved(actor),
            agency=locked.agency,
            object_type="signing.certificate",
            object_id=locked.serial,
        )
    return locked


def pdf_sign(
    *,
    actor: User | None,
    certificate: Certificate,
    pdf: bytes,
    pin: str | None = None,
    level: str = B_LT,
    appearance: Appearance | None = None,
    reason: str = "",
    location: str = "",
    purpose: str = "",
) -> bytes:
    """``pdf`` signed by ``certificate`` (PAdES, incremental); audited."""
    permissions.require(permissions.pdf_sign(actor, certificate))
    if level not in LEVELS:
        raise invalid("level", "invalid_choice", _("Mức chữ ký không hợp lệ."))
    certificate = Certificate.objects.select_related("authority", "agency").get(pk=certificate.pk)
    _usable(certificate)
    signer = _open_signer(certificate, pin)
    issuer = runtime.authority(certificate.authority.code)
    context = None
    if level == B_LT:
        own = x509.load_der_x509_certificate(bytes(certificate.der))
        context = runtime.validation_context(ocsps=[runtime.ocsp_for(own, issuer)])
    signed = pades.sign(
        pdf,
        signer=signer,
        level=level,
        holder_name=certificate.holder_name,
        appearance=appearance,
        timestamper=runtime.timestamper() if level != "B-B" else None,
        validation_context=context,
        reason=reason,
        location=location or settings.SIGNING_LOCALITY,
    )
    with transaction.atomic():
        audit.record(
            action="signing.pdf.sign",
            actor=_saved(actor),
            agency=certificate.agency,
            object_type="signing.certificate",
            object_id=certificate.serial,
            data_subject=certificate.personal_id,
            purpose=purpose,
            payload={
                "level": level,
                "document_sha256": hashlib.sha256(signed).hexdigest(),
                "reason": reason,
            },
        )
    return signed


def xml_sign(*, actor: User | None, certificate: Certificate, xml: bytes) -> bytes:
    """An edXML (or any XML) document with the agency seal's enveloped XMLDSig."""
    permissions.require(permissions.xml_sign(actor, certificate))
    from thudo.signing import xmldsig

    certificate = Certificate.objects.select_related("authority", "agency").get(pk=certificate.pk)
    _usable(certificate)
    signer = _open_signer(certificate, None)
    key = serialization.load_der_private_key(signer.signing_key.dump(), password=None)
    root = etree.fromstring(xml, parser=xmldsig.PARSER)
    signed = xmldsig.sign(root, certificate, key)
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
