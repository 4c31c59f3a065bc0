"""The platform's public-key infrastructure, as pure functions over ``cryptography``.

Hierarchy (offline-style root, online issuing CAs, as national CAs are run):

    Root CA (P-384, 20 years, signs only the issuing CAs and their CRLs)
     ├── CA for officials and agencies (P-256): agency seals, officials, the TSA
     └── CA for citizens (P-256): citizens' certificates issued at one-stop counters

End-entity certificates carry key usage digitalSignature + nonRepudiation (content
commitment) — what a signature with legal effect needs — and point to the CRL, the OCSP
responder and the issuer's certificate on the platform. The issuing CAs answer OCSP
themselves (RFC 6960 §2.6, the CA as responder), so no delegated responder key is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from thudo.signing.contracts import CITIZEN, OFFICIAL, SEAL

ROOT, OFFICIALS_CA, CITIZENS_CA = "root", "officials", "citizens"
TSA = "tsa"
# RFC 9336 id-kp-documentSigning; emailProtection too, which NSS (poppler's pdfsig) and
# Adobe expect of document signers.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
# A policy OID arc for the platform (a deployment registers its own).
POLICY_ARC = "1.3.6.1.4.1.59999.1"
TSA_POLICY = f"{POLICY_ARC}.9"
PROFILE_POLICIES = {
    SEAL: f"{POLICY_ARC}.1",
    OFFICIAL: f"{POLICY_ARC}.2",
    CITIZEN: f"{POLICY_ARC}.3",
}

_KU_CA = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
    encipher_only=False, decipher_only=False,
)  # fmt: skip
_KU_SIGNER = x509.KeyUsage(
    digital_signature=True, content_commitment=True, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
    encipher_only=False, decipher_only=False,
)  # fmt: skip


@dataclass(frozen=True)
class Endpoints:
    """Where relying parties fetch revocation data and issuer certificates."""

    base_url: str

    def crl(self, ca_code: str) -> str:
        return f"{self.base_url}/signing/crl/{ca_code}.crl"

    def ca_certificate(self, ca_code: str) -> str:
        return f"{self.base_url}/signing/ca/{ca_code}.crt"

    @property
    def ocsp(self) -> str:
        return f"{self.base_url}/signing/ocsp"


def new_key(curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve or ec.SECP256R1())


def name(
    common_name: str,
    *,
    organization: str,
    unit: str = "",
    title: str = "",
    serial_number: str = "",
    organization_identifier: str = "",
    locality: str = "",
) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if locality:
        parts.append(x509.NameAttribute(NameOID.LOCALITY_NAME, locality))
    parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]))
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit[:64]))
    if organization_identifier:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, organization_identifier))
    if title:
        parts.append(x509.NameAttribute(NameOID.TITLE, title[:64]))
    if serial_number:
        parts.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]))
    return x509.Name(parts)


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    not_before: datetime,
    days: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )


def root_certificate(
    key: ec.EllipticCurvePrivateKey, *, organization: str, now: datetime | None = None
) -> x509.Certificate:
    now = now or datetime.now(UTC)
    subject = name(f"{organization} Root CA", organization=organization)
    return (
        _builder(subject, subject, key.public_key(), key, not_before=now, days=20 * 365)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_KU_CA, critical=True)
        .sign(key, hashes.SHA384())
    )


def issuing_certificate(
    key: ec.EllipticCurvePrivateKey,
    *,
    code: str,
    common_name: str,
    organization: str,
    root: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    endpoints: Endpoints,
    now: datetime | None = None,
) -> x509.Certificate:
    now = now or datetime.now(UTC)
    subject = name(common_name, organization=organization)
    return (
        _builder(subject, root.subject, key.public_key(), root_key, not_before=now, days=10 * 365)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_KU_CA, critical=True)
        .add_extension(_crl_points(endpoints.crl(ROOT)), critical=False)
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(endpoints.ca_certificate(ROOT)),
                    )
                ]
            ),
            critical=False,
        )
        .sign(root_key, hashes.SHA384())
    )


def _crl_points(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )


def _aia(endpoints: Endpoints, ca_code: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                x509.AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier(endpoints.ocsp),
            ),
            x509.AccessDescription(
                x509.AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(endpoints.ca_certificate(ca_code)),
            ),
        ]
    )


def end_entity_certificate(
    public_key: ec.EllipticCurvePublicKey,
    *,
    profile: str,
    subject: x509.Name,
    ca_code: str,
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    endpoints: Endpoints,
    days: int,
    email: str = "",
    now: datetime | None = None,
) -> x509.Certificate:
    """A signing certificate of one of the profiles (seal, official, citizen)."""
    now = now or datetime.now(UTC)
    builder = (
        _builder(subject, ca.subject, public_key, ca_key, not_before=now, days=days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_KU_SIGNER, critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(
            x509.CertificatePolicies(
                [x509.PolicyInformation(ObjectIdentifier(PROFILE_POLICIES[profile]), None)]
            ),
            critical=False,
        )
        .add_extension(_crl_points(endpoints.crl(ca_code)), critical=False)
        .add_extension(_aia(endpoints, ca_code), critical=False)
    )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    return builder.sign(ca_key, hashes.SHA256())


def tsa_certificate(
    public_key: ec.EllipticCurvePublicKey,
    *,
    organization: str,
    ca_code: str,
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    endpoints: Endpoints,
    now: datetime | None = None,
) -> x509.Certificate:
    """The timestamping authority's certificate: timeStamping as its only, critical EKU
    (RFC 3161 §2.3)."""
    now = now or datetime.now(UTC)
    subject = name(f"{organization} Time-Stamping Authority", organization=organization)
    return (
        _builder(subject, ca.subject, public_key, ca_key, not_before=now, days=5 * 365)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_KU_SIGNER, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(_crl_points(endpoints.crl(ca_code)), critical=False)
        .add_extension(_aia(endpoints, ca_code), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


@dataclass(frozen=True)
class Revoked:
    serial: int
    revoked_at: datetime
    reason: x509.ReasonFlags | None = None


def crl(
    *,
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    number: int,
    revoked: Iterable[Revoked],
    now: datetime | None = None,
    hours: int = 24,
) -> x509.CertificateRevocationList:
    now = now or datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(now)
        .next_update(now + timedelta(hours=hours))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    for entry in revoked:
        item = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(entry.revoked_at)
        )
        if entry.reason is not None:
            item = item.add_extension(x509.CRLReason(entry.reason), critical=False)
        builder = builder.add_revoked_certificate(item.build())
    algorithm = hashes.SHA384() if isinstance(ca_key.curve, ec.SECP384R1) else hashes.SHA256()
    return builder.sign(ca_key, algorithm)


def key_hash(certificate: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    """Hash of the certificate's public key bits, as OCSP CertIDs carry it."""
    public = certificate.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    digest = hashes.Hash(algorithm)
    digest.update(public)
    return digest.finalize()


def name_hash(certificate: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(certificate.subject.public_bytes())
    return digest.finalize()


def ocsp_response(
    request: ocsp.OCSPRequest,
    *,
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    status: str,
    revoked_at: datetime | None = None,
    reason: x509.ReasonFlags | None = None,
    now: datetime | None = None,
) -> ocsp.OCSPResponse:
    """A signed answer about the certificate the request names: ``good``, ``revoked`` or
    ``unknown`` (a serial this CA never issued)."""
    now = now or datetime.now(UTC)
    cert_status = {
        "good": ocsp.OCSPCertStatus.GOOD,
        "revoked": ocsp.OCSPCertStatus.REVOKED,
        "unknown": ocsp.OCSPCertStatus.UNKNOWN,
    }[status]
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number,
        algorithm=request.hash_algorithm,
        cert_status=cert_status,
        this_update=now,
        next_update=now + timedelta(hours=1),
        revocation_time=revoked_at if status == "revoked" else None,
        revocation_reason=reason if status == "revoked" else None,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca)
    nonce = _nonce(request)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def _nonce(request: ocsp.OCSPRequest) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


def ocsp_error(status: ocsp.OCSPResponseStatus) -> ocsp.OCSPResponse:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status)
