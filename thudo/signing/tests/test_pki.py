"""The PKI, checked by OpenSSL as well as by reading the certificates: profiles, the CA
hierarchy, CRLs, OCSP answers, RFC 3161 timestamps and the sealed key store."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms, core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from thudo.core.models import Role
from thudo.core.tests.factories import official
from thudo.signing import keystore, pki, runtime, services
from thudo.signing.models import Authority, Certificate
from thudo.signing.tests.factories import PIN
from thudo.signing.tests.tools import authority_pem, pem, run

BASE = "https://ky.thudo.example.vn"
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
# Name attributes by OID (RFC 5280, X.520).
C, L, ORG = "2.5.4.6", "2.5.4.7", "2.5.4.10"
ORG_ID, TITLE, SERIAL, CN = "2.5.4.97", "2.5.4.12", "2.5.4.5", "2.5.4.3"
PERSON = {"full_name": "Nguyễn Văn An", "birth_date": "1990-05-01", "sex": "male"}


@pytest.fixture
def here(settings: Any, db: None, request: pytest.FixtureRequest) -> None:
    """The PKI created with its public endpoints at ``BASE`` (given with a trailing slash,
    which the URLs must not repeat)."""
    settings.SIGNING_BASE_URL = BASE + "/"
    request.getfixturevalue("pki")


@pytest.fixture
def issued(city: Any, here: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Certificate]:
    """One certificate of each profile, through the services."""
    specialist = official(
        city.commune_a, role=Role.SPECIALIST, full_name="Trần Thị Bình", email="binh@example.vn"
    )
    monkeypatch.setattr(services, "_population_record", lambda personal_id: dict(PERSON))
    return {
        "seal": services.certificate_issue_seal(actor=city.admin_a, agency=city.commune_a),
        "official": services.certificate_issue_official(
            actor=city.admin_a,
            agency=city.commune_a,
            official=specialist,
            pin=PIN,
            title="Chuyên viên",
        ),
        "citizen": services.certificate_issue_citizen(
            actor=city.clerk_a,
            agency=city.commune_a,
            personal_id="001090012345",
            pin=PIN,
            identity_confirmed=True,
            email="an@example.vn",
        ),
    }


def load(row: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(row.der))


def ext(certificate: x509.Certificate, kind: type[Any]) -> x509.Extension[Any]:
    return certificate.extensions.get_extension_for_class(kind)


def access(certificate: x509.Certificate) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in ext(certificate, x509.AuthorityInformationAccess).value:
        key = "ocsp" if item.access_method == AuthorityInformationAccessOID.OCSP else "ca"
        found.setdefault(key, []).append(item.access_location.value)
    return found


def crl_urls(certificate: x509.Certificate) -> list[str]:
    return [
        name.value
        for point in ext(certificate, x509.CRLDistributionPoints).value
        for name in point.full_name or []
    ]


def key_usage(certificate: x509.Certificate) -> tuple[bool, dict[str, bool]]:
    extension = ext(certificate, x509.KeyUsage)
    usage = extension.value
    flags = {
        name: getattr(usage, name)
        for name in (
            "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
            "key_agreement", "key_cert_sign", "crl_sign",
        )
    }  # fmt: skip
    return extension.critical, flags


SIGNER_USAGE = {
    "digital_signature": True,
    "content_commitment": True,
    "key_encipherment": False,
    "data_encipherment": False,
    "key_agreement": False,
    "key_cert_sign": False,
    "crl_sign": False,
}
CA_USAGE = {**SIGNER_USAGE, "content_commitment": False, "key_cert_sign": True, "crl_sign": True}


# --- certificate profiles -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "ca", "policy"),
    [("seal", "officials", ".1"), ("official", "officials", ".2"), ("citizen", "citizens", ".3")],
)
def test_signing_profiles(issued: dict[str, Certificate], profile: str, ca: str, policy: str):
    row = issued[profile]
    certificate = load(row)
    issuer = runtime.authority(ca).certificate

    assert key_usage(certificate) == (True, SIGNER_USAGE)
    constraints = ext(certificate, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca is False
    eku = ext(certificate, x509.ExtendedKeyUsage)
    assert not eku.critical
    assert list(eku.value) == [DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]
    policies = ext(certificate, x509.CertificatePolicies).value
    assert [p.policy_identifier.dotted_string for p in policies] == ["1.3.6.1.4.1.59999.1" + policy]
    assert crl_urls(certificate) == [f"{BASE}/signing/crl/{ca}.crl"]
    assert access(certificate) == {
        "ocsp": [f"{BASE}/signing/ocsp"],
        "ca": [f"{BASE}/signing/ca/{ca}.crt"],
    }
    assert ext(certificate, x509.AuthorityKeyIdentifier).value.key_identifier == (
        ext(issuer, x509.SubjectKeyIdentifier).value.digest
    )
    assert ext(certificate, x509.SubjectKeyIdentifier).value == (
        x509.SubjectKeyIdentifier.from_public_key(certificate.public_key())
    )
    public = certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    assert isinstance(certificate.signature_hash_algorithm, hashes.SHA256)
    certificate.verify_directly_issued_by(issuer)
    assert certificate.issuer == issuer.subject
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == timedelta(
        days=3 * 365
    )
    # The row describes exactly this certificate.
    assert row.serial == f"{certificate.serial_number:x}"
    assert row.fingerprint == hashlib.sha256(bytes(row.der)).hexdigest()
    assert row.subject == certificate.subject.rfc4514_string()
    assert (row.not_before, row.not_after) == (
        certificate.not_valid_before_utc,
        certificate.not_valid_after_utc,
    )
    assert row.authority.code == ca and row.profile == profile


def test_subjects_of_the_profiles(issued: dict[str, Certificate]) -> None:
    def attrs(profile: str) -> list[tuple[str, str]]:
        return [(a.oid.dotted_string, str(a.value)) for a in load(issued[profile]).subject]

    commune = "Ủy ban nhân dân Phường Ba Đình"
    assert attrs("seal") == [
        (C, "VN"),
        (L, "Hà Nội"),
        (ORG, commune),
        (ORG_ID, "VN-000.01.50.H26"),
        (CN, commune),
    ]
    assert attrs("official") == [
        (C, "VN"),
        (L, "Hà Nội"),
        (ORG, commune),
        (ORG_ID, "VN-000.01.50.H26"),
        (TITLE, "Chuyên viên"),
        (CN, "Trần Thị Bình"),
    ]
    assert attrs("citizen") == [
        (C, "VN"),
        (L, "Hà Nội"),
        (ORG, "Công dân"),
        (SERIAL, "CCCD:001090012345"),
        (CN, "Nguyễn Văn An"),
    ]
    assert ext(load(issued["official"]), x509.SubjectAlternativeName).value.get_values_for_type(
        x509.RFC822Name
    ) == ["binh@example.vn"]
    with pytest.raises(x509.ExtensionNotFound):
        ext(load(issued["seal"]), x509.SubjectAlternativeName)
    assert issued["citizen"].personal_id == "001090012345"
    assert issued["citizen"].holder.personal_id == "001090012345"  # type: ignore[union-attr]


def test_root_ca(here: None) -> None:
    root = runtime.authority(pki.ROOT).certificate
    assert root.issuer == root.subject
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Thủ Đô Số Root CA"
    root.verify_directly_issued_by(root)
    constraints = ext(root, x509.BasicConstraints)
    assert constraints.critical and constraints.value == x509.BasicConstraints(
        ca=True, path_length=1
    )
    assert key_usage(root) == (True, CA_USAGE)
    public = root.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp384r1"
    assert isinstance(root.signature_hash_algorithm, hashes.SHA384)
    assert root.not_valid_after_utc - root.not_valid_before_utc == timedelta(days=20 * 365)
    for absent in (x509.CRLDistributionPoints, x509.AuthorityInformationAccess):
        with pytest.raises(x509.ExtensionNotFound):
            ext(root, absent)


@pytest.mark.parametrize("code", ["officials", "citizens"])
def test_issuing_cas(here: None, code: str) -> None:
    certificate = runtime.authority(code).certificate
    root = runtime.authority(pki.ROOT).certificate
    certificate.verify_directly_issued_by(root)
    constraints = ext(certificate, x509.BasicConstraints)
    assert constraints.critical and constraints.value == x509.BasicConstraints(
        ca=True, path_length=0
    )
    assert key_usage(certificate) == (True, CA_USAGE)
    public = certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    assert crl_urls(certificate) == [f"{BASE}/signing/crl/root.crl"]
    assert access(certificate) == {"ca": [f"{BASE}/signing/ca/root.crt"]}
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == timedelta(
        days=10 * 365
    )


def test_tsa_certificate(here: None) -> None:
    row = Certificate.objects.get(profile="tsa")
    certificate = load(row)
    certificate.verify_directly_issued_by(runtime.authority("officials").certificate)
    eku = ext(certificate, x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert key_usage(certificate) == (True, SIGNER_USAGE)
    assert ext(certificate, x509.BasicConstraints).value.ca is False
    assert crl_urls(certificate) == [f"{BASE}/signing/crl/officials.crl"]
    assert access(certificate)["ocsp"] == [f"{BASE}/signing/ocsp"]
    assert row.holder is None and row.agency is None and row.authority.code == "officials"


def test_bootstrap_is_idempotent(here: None) -> None:
    before = list(Authority.objects.values_list("code", "certificate"))
    assert services.pki_bootstrap(actor=None) == []
    assert list(Authority.objects.values_list("code", "certificate")) == before
    assert Certificate.objects.filter(profile="tsa").count() == 1


@pytest.mark.parametrize(("profile", "ca"), [("seal", "officials"), ("official", "officials"),
                                             ("citizen", "citizens")])  # fmt: skip
def test_openssl_verifies_the_chains(
    issued: dict[str, Certificate], tmp_path: Path, profile: str, ca: str
) -> None:
    root = authority_pem("root", tmp_path)
    issuing = authority_pem(ca, tmp_path)
    leaf = pem(load(issued[profile]), tmp_path / "leaf.pem")
    done = run("openssl", "verify", "-x509_strict", "-CAfile", root, "-untrusted", issuing, leaf)
    assert (done.returncode, done.stdout) == (0, f"{leaf}: OK\n"), done.stderr
    # Not a timestamping certificate.
    done = run("openssl", "verify", "-purpose", "timestampsign", "-CAfile", root,
               "-untrusted", issuing, leaf)  # fmt: skip
    assert done.returncode != 0 and "unsuitable certificate purpose" in done.stdout + done.stderr


def test_openssl_rejects_a_chain_through_the_wrong_ca(
    issued: dict[str, Certificate], tmp_path: Path
) -> None:
    root = authority_pem("root", tmp_path)
    officials = authority_pem("officials", tmp_path)
    leaf = pem(load(issued["citizen"]), tmp_path / "leaf.pem")
    done = run("openssl", "verify", "-CAfile", root, "-untrusted", officials, leaf)
    assert done.returncode != 0
    assert "unable to get local issuer certificate" in done.stdout + done.stderr


def test_openssl_verifies_the_tsa_for_timestamping(here: None, tmp_path: Path) -> None:
    root = authority_pem("root", tmp_path)
    issuing = authority_pem("officials", tmp_path)
    leaf = pem(load(Certificate.objects.get(profile="tsa")), tmp_path / "tsa.pem")
    done = run("openssl", "verify", "-x509_strict", "-purpose", "timestampsign", "-CAfile", root,
               "-untrusted", issuing, leaf)  # fmt: skip
    assert (done.returncode, done.stdout) == (0, f"{leaf}: OK\n"), done.stderr


# --- CRL ----------------------------------------------------------------------------------


def crl(code: str) -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl(runtime.crl_der(code))


def crl_number(revocation_list: x509.CertificateRevocationList) -> int:
    return int(revocation_list.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)


@pytest.mark.parametrize(("code", "algorithm"), [("officials", hashes.SHA256),
                                                 ("citizens", hashes.SHA256),
                                                 ("root", hashes.SHA384)])  # fmt: skip
def test_empty_crls(here: None, code: str, algorithm: type[hashes.HashAlgorithm]) -> None:
    revocation_list = crl(code)
    ca = runtime.authority(code).certificate
    assert len(revocation_list) == 0
    assert revocation_list.issuer == ca.subject
    assert revocation_list.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert isinstance(revocation_list.signature_hash_algorithm, algorithm)
    assert revocation_list.next_update_utc is not None
    assert revocation_list.next_update_utc - revocation_list.last_update_utc == timedelta(hours=24)
    assert abs(revocation_list.last_update_utc - datetime.now(UTC)) < timedelta(minutes=1)
    aki = revocation_list.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert aki.value.key_identifier == ext(ca, x509.SubjectKeyIdentifier).value.digest


def test_crl_lists_a_revoked_certificate_with_its_reason(
    issued: dict[str, Certificate], tmp_path: Path
) -> None:
    before = crl("officials")
    seal = services.certificate_revoke(
        actor=None, certificate=issued["seal"], reason="keyCompromise"
    )

    after = crl("officials")
    assert crl_number(after) > crl_number(before)
    [entry] = list(after)
    assert entry.serial_number == int(issued["seal"].serial, 16)
    assert seal.revoked_at is not None
    assert entry.revocation_date_utc == seal.revoked_at.replace(microsecond=0)
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise
    # The other CA's list is not touched.
    assert len(crl("citizens")) == 0

    path = tmp_path / "officials.crl"
    path.write_bytes(runtime.crl_der("officials"))
    issuing = authority_pem("officials", tmp_path)
    done = run("openssl", "crl", "-inform", "DER", "-in", path, "-noout", "-text",
               "-CAfile", issuing)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "verify OK" in done.stderr
    serial = issued["seal"].serial.upper()
    serial = "0" * (len(serial) % 2) + serial  # openssl prints whole bytes
    assert f"Serial Number: {serial}" in done.stdout
    assert "X509v3 CRL Reason Code: \n                Key Compromise" in done.stdout


def test_a_new_seal_supersedes_the_old_one(city: Any, issued: dict[str, Certificate]) -> None:
    old = issued["seal"]
    new = services.certificate_issue_seal(actor=city.admin_a, agency=city.commune_a)
    old.refresh_from_db()
    assert (old.status, old.revocation_reason, new.status) == ("revoked", "superseded", "valid")
    [entry] = list(crl("officials"))
    assert entry.serial_number == int(old.serial, 16)
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.superseded
    )


def test_revocation_reasons_are_checked(issued: dict[str, Certificate]) -> None:
    from thudo.core.errors import InvalidInput

    for reason in ("removeFromCRL", "unspecified", "key_compromise", ""):
        with pytest.raises(InvalidInput, match="Lý do thu hồi không hợp lệ"):
            services.certificate_revoke(actor=None, certificate=issued["seal"], reason=reason)
    issued["seal"].refresh_from_db()
    assert issued["seal"].status == "valid"
    assert len(crl("officials")) == 0


# --- OCSP ---------------------------------------------------------------------------------


def ocsp_request(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    algorithm: hashes.HashAlgorithm | None = None,
    nonce: bytes | None = b"0123456789abcdef",
) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        certificate,
        issuer,
        algorithm or hashes.SHA1(),  # noqa: S303 - openssl's default
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def openssl_ocsp(
    folder: Path, request: bytes, response: bytes, *, leaf: Path, ca: str, sha256: bool = False
) -> str:
    """What openssl makes of our answer: the signature and the nonce against the request,
    then the status of ``leaf``."""
    (folder / "req.der").write_bytes(request)
    (folder / "resp.der").write_bytes(response)
    root, issuing = authority_pem("root", folder), authority_pem(ca, folder)
    signed = run("openssl", "ocsp", "-reqin", folder / "req.der", "-respin", folder / "resp.der",
                 "-issuer", issuing, "-CAfile", root)  # fmt: skip
    assert (signed.returncode, signed.stderr.strip()) == (0, "Response verify OK"), signed.stdout
    digest = ["-sha256"] if sha256 else []
    status = run("openssl", "ocsp", "-respin", folder / "resp.der", "-issuer", issuing,
                 "-CAfile", root, "-no_nonce", *digest, "-cert", leaf, "-resp_text")  # fmt: skip
    assert status.returncode == 0, status.stderr
    return status.stdout


@pytest.mark.parametrize(("profile", "ca"), [("seal", "officials"), ("citizen", "citizens")])
def test_ocsp_good(issued: dict[str, Certificate], tmp_path: Path, profile: str, ca: str) -> None:
    certificate = load(issued[profile])
    issuer = runtime.authority(ca).certificate
    request = ocsp_request(certificate, issuer)
    response = runtime.ocsp_der(request)

    leaf = pem(certificate, tmp_path / "leaf.pem")
    text = openssl_ocsp(tmp_path, request, response, leaf=leaf, ca=ca)
    assert f"{leaf}: good" in text
    assert "Cert Status: good" in text

    parsed = ocsp.load_der_ocsp_response(response)
    assert parsed.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert parsed.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert parsed.serial_number == certificate.serial_number
    assert parsed.responder_key_hash == pki.key_hash(issuer, hashes.SHA1())  # noqa: S303 - RFC 6960
    nonce = parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    assert nonce == b"0123456789abcdef"
    assert parsed.this_update_utc <= datetime.now(UTC) < parsed.next_update_utc  # type: ignore[operator]


def test_ocsp_with_a_sha256_cert_id(issued: dict[str, Certificate], tmp_path: Path) -> None:
    certificate = load(issued["official"])
    request = ocsp_request(certificate, runtime.authority("officials").certificate, hashes.SHA256())
    leaf = pem(certificate, tmp_path / "leaf.pem")
    text = openssl_ocsp(
        tmp_path, request, runtime.ocsp_der(request), leaf=leaf, ca="officials", sha256=True
    )
    assert f"{leaf}: good" in text


def test_ocsp_revoked(issued: dict[str, Certificate], tmp_path: Path) -> None:
    services.certificate_revoke(actor=None, certificate=issued["official"], reason="keyCompromise")
    certificate = load(issued["official"])
    request = ocsp_request(certificate, runtime.authority("officials").certificate)
    response = runtime.ocsp_der(request)

    leaf = pem(certificate, tmp_path / "leaf.pem")
    text = openssl_ocsp(tmp_path, request, response, leaf=leaf, ca="officials")
    assert f"{leaf}: revoked" in text
    assert "Reason: keyCompromise" in text
    parsed = ocsp.load_der_ocsp_response(response)
    issued["official"].refresh_from_db()
    assert issued["official"].revoked_at is not None
    assert parsed.revocation_time_utc == issued["official"].revoked_at.replace(microsecond=0)
    assert parsed.revocation_reason == x509.ReasonFlags.key_compromise


def test_ocsp_unknown_serial(here: None, tmp_path: Path) -> None:
    """A certificate this CA's key signed but the platform never recorded: unknown."""
    ca = runtime.authority("officials")
    stray = pki.end_entity_certificate(
        pki.new_key().public_key(), profile="seal", subject=pki.name("Lạ", organization="Lạ"),
        ca_code="officials", ca=ca.certificate, ca_key=ca.key, endpoints=runtime.endpoints(),
        days=30,
    )  # fmt: skip
    request = ocsp_request(stray, ca.certificate)
    leaf = pem(stray, tmp_path / "leaf.pem")
    text = openssl_ocsp(tmp_path, request, runtime.ocsp_der(request), leaf=leaf, ca="officials")
    assert f"{leaf}: unknown" in text
    assert ocsp.load_der_ocsp_response(runtime.ocsp_der(request)).certificate_status == (
        ocsp.OCSPCertStatus.UNKNOWN
    )


def test_ocsp_nonce_is_that_of_the_request(issued: dict[str, Certificate], tmp_path: Path) -> None:
    """openssl notices an answer to another request (the check above is live)."""
    certificate = load(issued["seal"])
    issuer = runtime.authority("officials").certificate
    answer = runtime.ocsp_der(ocsp_request(certificate, issuer, nonce=b"first request 01"))
    (tmp_path / "req.der").write_bytes(ocsp_request(certificate, issuer, nonce=b"other request 2"))
    (tmp_path / "resp.der").write_bytes(answer)
    done = run("openssl", "ocsp", "-reqin", tmp_path / "req.der", "-respin", tmp_path / "resp.der",
               "-issuer", authority_pem("officials", tmp_path),
               "-CAfile", authority_pem("root", tmp_path))  # fmt: skip
    assert done.returncode != 0 and "Nonce Verify error" in done.stdout + done.stderr
    # Without a nonce in the request, none in the answer.
    plain = ocsp.load_der_ocsp_response(
        runtime.ocsp_der(ocsp_request(certificate, issuer, nonce=None))
    )
    with pytest.raises(x509.ExtensionNotFound):
        plain.extensions.get_extension_for_class(x509.OCSPNonce)


@pytest.mark.parametrize("garbage", [b"", b"not der", b"\x30\x03\x02\x01\x01"])
def test_ocsp_garbage_is_a_malformed_request(here: None, tmp_path: Path, garbage: bytes) -> None:
    response = runtime.ocsp_der(garbage)
    assert ocsp.load_der_ocsp_response(response).response_status == (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    (tmp_path / "resp.der").write_bytes(response)
    done = run("openssl", "ocsp", "-respin", tmp_path / "resp.der", "-noverify", "-resp_text")
    assert "Responder Error: malformedrequest (1)" in done.stdout + done.stderr


def test_ocsp_for_another_ca_is_unauthorized(here: None) -> None:
    key = pki.new_key()
    stranger = pki.root_certificate(key, organization="CA khác")
    leaf = pki.end_entity_certificate(
        pki.new_key().public_key(), profile="seal", subject=pki.name("X", organization="X"),
        ca_code="x", ca=stranger, ca_key=key, endpoints=runtime.endpoints(), days=30,
    )  # fmt: skip
    response = ocsp.load_der_ocsp_response(runtime.ocsp_der(ocsp_request(leaf, stranger)))
    assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


# --- TSA ----------------------------------------------------------------------------------


def ts_query(folder: Path, *options: str) -> bytes:
    run("openssl", "ts", "-query", "-data", folder / "doc.txt", *options,
        "-out", folder / "req.tsq", check=True)  # fmt: skip
    return (folder / "req.tsq").read_bytes()


class TimeStampResp(core.Sequence):
    """RFC 3161's TimeStampResp, whose token is optional (absent in refusals); asn1crypto's
    own class requires it."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def ts_answer(folder: Path, request: bytes) -> TimeStampResp:
    answer = runtime.timestamper().authority.answer(request)
    (folder / "resp.tsr").write_bytes(answer)
    return TimeStampResp.load(answer)


@pytest.fixture
def document(here: None, tmp_path: Path) -> Path:
    path = tmp_path / "doc.txt"
    path.write_text("Quyết định số 123/QĐ-UBND, bản để lấy dấu thời gian.\n")
    return path


@pytest.mark.parametrize("digest", ["-sha256", "-sha384", "-sha512"])
def test_openssl_verifies_our_timestamps(document: Path, tmp_path: Path, digest: str) -> None:
    response = ts_answer(tmp_path, ts_query(tmp_path, digest, "-cert"))
    assert response["status"]["status"].native == "granted"
    root, issuing = authority_pem("root", tmp_path), authority_pem("officials", tmp_path)

    done = run("openssl", "ts", "-verify", "-data", document, "-in", tmp_path / "resp.tsr",
               "-CAfile", root, "-untrusted", issuing)  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "Verification: OK\n"), done.stderr
    # Against the request too: the imprint and the nonce must be the request's.
    done = run("openssl", "ts", "-verify", "-queryfile", tmp_path / "req.tsq",
               "-in", tmp_path / "resp.tsr", "-CAfile", root, "-untrusted", issuing)  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "Verification: OK\n"), done.stderr

    text = run("openssl", "ts", "-reply", "-in", tmp_path / "resp.tsr", "-text", check=True).stdout
    assert "Status: Granted." in text
    assert "Policy OID: 1.3.6.1.4.1.59999.1.9" in text
    assert f"Hash Algorithm: {digest[1:]}" in text
    assert "Accuracy: 0x01 seconds" in text
    info = response["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert abs(info["gen_time"].native - datetime.now(UTC)) < timedelta(seconds=5)
    request = tsp.TimeStampReq.load((tmp_path / "req.tsq").read_bytes())
    assert info["nonce"].native == request["nonce"].native is not None


def test_openssl_rejects_a_timestamp_of_other_data(document: Path, tmp_path: Path) -> None:
    ts_answer(tmp_path, ts_query(tmp_path, "-sha256", "-cert"))
    other = tmp_path / "other.txt"
    other.write_text("Một văn bản khác.\n")
    done = run("openssl", "ts", "-verify", "-data", other, "-in", tmp_path / "resp.tsr",
               "-CAfile", authority_pem("root", tmp_path),
               "-untrusted", authority_pem("officials", tmp_path))  # fmt: skip
    assert done.returncode != 0 and "Verification: FAILED" in done.stdout


def test_timestamp_without_certificates_when_not_asked(document: Path, tmp_path: Path) -> None:
    response = ts_answer(tmp_path, ts_query(tmp_path, "-sha256"))
    signed = response["time_stamp_token"]["content"]
    assert len(signed["certificates"]) == 0
    tsa = pem(load(Certificate.objects.get(profile="tsa")), tmp_path / "tsa.pem")
    untrusted = tmp_path / "chain.pem"
    untrusted.write_bytes(tsa.read_bytes() + authority_pem("officials", tmp_path).read_bytes())
    done = run("openssl", "ts", "-verify", "-data", document, "-in", tmp_path / "resp.tsr",
               "-CAfile", authority_pem("root", tmp_path), "-untrusted", untrusted)  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "Verification: OK\n"), done.stderr


def rejection(response: TimeStampResp) -> tuple[str, set[str]]:
    status = response["status"]
    assert response["time_stamp_token"].native is None
    return status["status"].native, set(status["fail_info"].native)


def test_sha1_request_is_refused(document: Path, tmp_path: Path) -> None:
    response = ts_answer(tmp_path, ts_query(tmp_path, "-sha1", "-cert"))
    assert rejection(response) == ("rejection", {"bad_alg"})
    text = run("openssl", "ts", "-reply", "-in", tmp_path / "resp.tsr", "-text", check=True).stdout
    assert "Status: Rejected." in text
    assert "Failure info: unrecognized or unsupported algorithm identifier" in text
    assert "TST info:\nNot included." in text


def test_unoffered_policy_is_refused(document: Path, tmp_path: Path) -> None:
    response = ts_answer(tmp_path, ts_query(tmp_path, "-sha256", "-tspolicy", "1.2.3.4"))
    assert rejection(response) == ("rejection", {"unaccepted_policy"})


@pytest.mark.parametrize("garbage", [b"", b"garbage", b"\x30\x03\x02\x01\x01"])
def test_garbage_is_refused(here: None, tmp_path: Path, garbage: bytes) -> None:
    response = ts_answer(tmp_path, garbage)
    assert rejection(response) == ("rejection", {"bad_data_format"})
    text = run("openssl", "ts", "-reply", "-in", tmp_path / "resp.tsr", "-text", check=True).stdout
    assert "Failure info: the data submitted has the wrong format" in text


# --- the key store ------------------------------------------------------------------------


def private_numbers(key: Any) -> int:
    return int(key.private_numbers().private_value)


def test_a_sealed_key_opens_only_with_its_pin(settings: Any) -> None:
    key = pki.new_key()
    sealed = keystore.seal(key, pin=PIN)
    assert keystore.needs_pin(sealed)
    assert private_numbers(keystore.unseal(sealed, pin=PIN)) == private_numbers(key)
    for wrong in ("135792", PIN + "0", None):
        with pytest.raises(keystore.WrongSecret):
            keystore.unseal(sealed, pin=wrong)
    server_held = keystore.seal(key)
    assert not keystore.needs_pin(server_held)
    assert private_numbers(keystore.unseal(server_held)) == private_numbers(key)
    with pytest.raises(keystore.WrongSecret):
        keystore.unseal(server_held, pin=PIN)
    # A new seal each time: fresh salt and nonce.
    assert keystore.seal(key, pin=PIN) != sealed


def test_another_kek_opens_nothing(settings: Any, issued: dict[str, Certificate]) -> None:
    key = pki.new_key()
    personal, server_held = keystore.seal(key, pin=PIN), keystore.seal(key)
    stored = bytes(issued["official"].sealed_key)  # type: ignore[arg-type]
    original = settings.SIGNING_KEK
    settings.SIGNING_KEK = "another-platform-key-encryption-key-0123456789"
    keystore.reset_cache()
    try:
        with pytest.raises(keystore.WrongSecret):
            keystore.unseal(personal, pin=PIN)
        with pytest.raises(keystore.WrongSecret):
            keystore.unseal(server_held)
        with pytest.raises(keystore.WrongSecret):
            keystore.unseal(stored, pin=PIN)
    finally:
        settings.SIGNING_KEK = original
        keystore.reset_cache()
    assert private_numbers(keystore.unseal(personal, pin=PIN)) == private_numbers(key)
    keystore.unseal(stored, pin=PIN)


def test_a_tampered_seal_does_not_open() -> None:
    sealed = bytearray(keystore.seal(pki.new_key(), pin=PIN))
    sealed[-1] ^= 0x01
    with pytest.raises(keystore.WrongSecret):
        keystore.unseal(bytes(sealed), pin=PIN)
    with pytest.raises(ValueError, match="unknown key-store format"):
        keystore.unseal(b"k9" + bytes(sealed[2:]), pin=PIN)


def test_rows_hold_no_raw_private_key(issued: dict[str, Certificate]) -> None:
    rows = [*issued.values(), Certificate.objects.get(profile="tsa")]
    for row in rows:
        pin = PIN if keystore.needs_pin(bytes(row.sealed_key)) else None  # type: ignore[arg-type]
        key = keystore.unseal(bytes(row.sealed_key), pin=pin)  # type: ignore[arg-type]
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        secrets = [
            key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
            private_numbers(key).to_bytes(32, "big"),
        ]  # fmt: skip
        stored = Certificate.objects.filter(pk=row.pk).values().get()
        for name, value in stored.items():
            blob = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
            for secret in secrets:
                assert secret not in blob, f"{row.profile}.{name} holds the private key"
    for authority in Authority.objects.all():
        key = keystore.unseal(bytes(authority.sealed_key))
        raw = key.private_numbers().private_value.to_bytes(48, "big").lstrip(b"\0")  # type: ignore[union-attr]
        assert raw not in bytes(authority.sealed_key)
        assert raw not in bytes(authority.certificate)
