"""The PKI as loaded in a process: authorities' certificates, their keys once unsealed,
the TSA, and fresh revocation data — built once and kept, since signing and validating
thousands of documents must not unseal keys or rebuild chains each time."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from django.conf import settings
from pyhanko_certvalidator import ValidationContext

from thudo.signing import keystore, pki
from thudo.signing.models import Authority, Certificate
from thudo.signing.tsa import LocalTimeStamper, TimestampAuthority

CRL_SECONDS = 600  # how long a built CRL is reused (revocations rebuild it at once)
_lock = threading.RLock()


class PkiNotReady(Exception):
    """The platform's CAs have not been created (``thudo signing bootstrap``)."""


@dataclass(frozen=True)
class LoadedAuthority:
    code: str
    pk: int
    certificate: x509.Certificate
    asn1: asn1_x509.Certificate
    key: ec.EllipticCurvePrivateKey


def asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


@cache
def _authorities() -> dict[str, LoadedAuthority]:
    loaded = {}
    for row in Authority.objects.all():
        certificate = x509.load_der_x509_certificate(bytes(row.certificate))
        key = keystore.unseal(bytes(row.sealed_key))
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        loaded[row.code] = LoadedAuthority(row.code, row.pk, certificate, asn1(certificate), key)
    if pki.ROOT not in loaded:
        raise PkiNotReady()
    return loaded


_seen: tuple[int, ...] = ()


def _fresh() -> None:
    """Load again when the authorities in the database are not the ones loaded (created,
    replaced, or — in tests — rolled back): one small query against a stale cache."""
    global _seen
    current = tuple(Authority.objects.order_by("pk").values_list("pk", flat=True))
    if current != _seen:
        _authorities.cache_clear()
        _timestamper.cache_clear()
        _crls.clear()
        _seen = current


def authority(code: str) -> LoadedAuthority:
    with _lock:
        _fresh()
        found = _authorities().get(code)
    if found is None:
        raise PkiNotReady(code)
    return found


def authorities() -> dict[str, LoadedAuthority]:
    with _lock:
        _fresh()
        return dict(_authorities())


def root() -> asn1_x509.Certificate:
    return authority(pki.ROOT).asn1


def issuing() -> list[asn1_x509.Certificate]:
    return [a.asn1 for code, a in authorities().items() if code != pki.ROOT]


@cache
def _timestamper() -> LocalTimeStamper:
    row = Certificate.objects.filter(
        profile=Certificate.Profile.TSA, status=Certificate.Status.VALID
    ).latest("created_at")
    certificate = x509.load_der_x509_certificate(bytes(row.der))
    key = keystore.unseal(bytes(row.sealed_key or b""))
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    chain = [authority(row.authority.code).asn1, root()]
    return LocalTimeStamper(TimestampAuthority(asn1(certificate), key, chain))


def timestamper() -> LocalTimeStamper:
    with _lock:
        _fresh()
        try:
            return _timestamper()
        except Certificate.DoesNotExist as exc:
            raise PkiNotReady("tsa") from exc


def endpoints() -> pki.Endpoints:
    return pki.Endpoints(settings.SIGNING_BASE_URL.rstrip("/"))


# --- revocation data ----------------------------------------------------------------------

_crls: dict[str, tuple[int, float, bytes]] = {}


def crl_der(code: str) -> bytes:
    """The authority's current CRL (DER), rebuilt after every revocation."""
    loaded = authority(code)
    row = Authority.objects.only("crl_number").get(pk=loaded.pk)
    with _lock:
        cached = _crls.get(code)
        if cached and cached[0] == row.crl_number and time.monotonic() - cached[1] < CRL_SECONDS:
            return cached[2]
    revoked = [
        pki.Revoked(int(c.serial, 16), c.revoked_at, _reason(c.revocation_reason))
        for c in Certificate.objects.filter(
            authority_id=loaded.pk, status=Certificate.Status.REVOKED
        ).only("serial", "revoked_at", "revocation_reason")
        if c.revoked_at is not None
    ]
    # The CRL number must grow with every CRL issued: the revocation count, then time.
    number = row.crl_number * 1_000_000_000 + int(time.time()) % 1_000_000_000
    der = pki.crl(ca=loaded.certificate, ca_key=loaded.key, number=number, revoked=revoked)
    der_bytes = der.public_bytes(serialization.Encoding.DER)
    with _lock:
        _crls[code] = (row.crl_number, time.monotonic(), der_bytes)
    return der_bytes


def _reason(text: str) -> x509.ReasonFlags | None:
    try:
        return x509.ReasonFlags(text) if text else None
    except ValueError:
        return None


def ocsp_der(request_der: bytes) -> bytes:
    """The answer of the issuing CA named in an OCSP request (DER)."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return _der(pki.ocsp_error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST))
    algorithm = request.hash_algorithm
    for loaded in authorities().values():
        if pki.key_hash(loaded.certificate, algorithm) == request.issuer_key_hash:
            break
    else:
        return _der(pki.ocsp_error(ocsp.OCSPResponseStatus.UNAUTHORIZED))
    row = (
        Certificate.objects.filter(authority_id=loaded.pk, serial=f"{request.serial_number:x}")
        .only("status", "revoked_at", "revocation_reason")
        .first()
    )
    if row is None:
        status, revoked_at, reason = "unknown", None, None
    elif row.status == Certificate.Status.REVOKED:
        status, revoked_at, reason = "revoked", row.revoked_at, _reason(row.revocation_reason)
    else:
        status, revoked_at, reason = "good", None, None
    response = pki.ocsp_response(
        request,
        ca=loaded.certificate,
        ca_key=loaded.key,
        status=status,
        revoked_at=revoked_at,
        reason=reason,
    )
    return _der(response)


def _der(response: ocsp.OCSPResponse) -> bytes:
    return response.public_bytes(serialization.Encoding.DER)


def ocsp_for(certificate: x509.Certificate, issuer: LoadedAuthority) -> asn1_ocsp.OCSPResponse:
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, issuer.certificate, hashes.SHA256())
        .build()
    )
    return asn1_ocsp.OCSPResponse.load(ocsp_der(request.public_bytes(serialization.Encoding.DER)))


def validation_context(
    *,
    ocsps: list[asn1_ocsp.OCSPResponse] | None = None,
    hard_fail: bool = True,
    moment: datetime | None = None,
) -> ValidationContext:
    """Trust in the platform's root, with every CRL of the platform's CAs at hand and no
    network: revocation is answered from the database, not fetched from ourselves.
    ``moment``: validate as of then (a signature's trusted timestamp)."""
    crls = [asn1_crl.CertificateList.load(crl_der(code)) for code in authorities()]
    return ValidationContext(
        moment=moment,
        retroactive_revinfo=moment is not None,
        trust_roots=[root()],
        other_certs=issuing(),
        crls=crls,
        ocsps=ocsps or [],
        allow_fetching=False,
        revocation_mode="hard-fail" if hard_fail else "soft-fail",
    )


def reset() -> None:
    """Forget what was loaded (after the PKI is created or replaced, and in tests)."""
    global _seen
    with _lock:
        _authorities.cache_clear()
        _timestamper.cache_clear()
        _crls.clear()
        _seen = ()
    keystore.reset_cache()
