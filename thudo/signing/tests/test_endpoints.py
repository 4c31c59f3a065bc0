"""The PKI's public endpoints over HTTP: CA certificates, CRLs, OCSP (POST and GET) and the
RFC 3161 TSA — anonymous, CSRF-exempt, bounded, and never a 500 on garbage."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from asn1crypto import core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from django.test import Client

from thudo.core.models import Role
from thudo.core.tests.factories import official
from thudo.signing import runtime, services
from thudo.signing.models import Authority, Certificate
from thudo.signing.tests.factories import PIN
from thudo.signing.views import MAX_PROTOCOL_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous() -> Client:
    # Machines do not send CSRF tokens: the endpoints must not ask for them.
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


@pytest.fixture
def seal(city: Any, pki: None) -> Certificate:
    return services.certificate_issue_seal(actor=city.admin_a, agency=city.commune_a)


def _post(client: Client, url: str, body: bytes, content_type: str) -> Any:
    # ``Client.post`` drops the content type of an empty body; real clients send it.
    return client.generic("POST", url, body, CONTENT_TYPE=content_type)


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code


def _issuer(certificate: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(certificate.authority.certificate))


def _ocsp_request(certificate: x509.Certificate, issuer: x509.Certificate) -> bytes:
    request = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA256())
    return request.build().public_bytes(serialization.Encoding.DER)


def _ocsp_status(response: Any) -> ocsp.OCSPCertStatus:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    return answer.certificate_status


# --- CA certificates and CRLs --------------------------------------------------------------


def test_ca_certificates_are_served_as_der(pki: None, anonymous: Client) -> None:
    rows = {a.code: a for a in Authority.objects.all()}
    assert set(rows) == {"root", "officials", "citizens"}
    root = x509.load_der_x509_certificate(bytes(rows["root"].certificate))
    for code, row in rows.items():
        response = anonymous.get(f"/signing/ca/{code}.crt")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pkix-cert"
        served = x509.load_der_x509_certificate(response.content)
        assert response.content == bytes(row.certificate)
        assert served.issuer == root.subject
        if code != "root":
            served.verify_directly_issued_by(root)
    _problem(anonymous.get("/signing/ca/khong-co.crt"), 404, "not_found")


def test_crl_lists_a_certificate_once_it_is_revoked(
    city: Any, seal: Certificate, anonymous: Client
) -> None:
    issuer = _issuer(seal)
    before = anonymous.get("/signing/crl/officials.crl")
    assert before.status_code == 200
    assert before["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(before.content)
    assert crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(int(seal.serial, 16)) is None

    services.certificate_revoke(actor=city.admin_a, certificate=seal, reason="keyCompromise")

    after = x509.load_der_x509_crl(anonymous.get("/signing/crl/officials.crl").content)
    entry = after.get_revoked_certificate_by_serial_number(int(seal.serial, 16))
    assert entry is not None
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise
    number = after.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    # The citizens' CA has revoked nothing.
    citizens = x509.load_der_x509_crl(anonymous.get("/signing/crl/citizens.crl").content)
    assert len(citizens) == 0
    _problem(anonymous.get("/signing/crl/khong-co.crl"), 404, "not_found")


# --- OCSP ----------------------------------------------------------------------------------


def test_ocsp_answers_good_then_revoked_then_unknown_for_a_made_up_serial(
    city: Any, seal: Certificate, anonymous: Client
) -> None:
    issuer = _issuer(seal)
    own = x509.load_der_x509_certificate(bytes(seal.der))
    body = _ocsp_request(own, issuer)
    post = anonymous.post("/signing/ocsp", body, content_type="application/ocsp-request")
    assert _ocsp_status(post) == ocsp.OCSPCertStatus.GOOD
    encoded = quote(base64.b64encode(body).decode(), safe="")
    assert _ocsp_status(anonymous.get(f"/signing/ocsp/{encoded}")) == ocsp.OCSPCertStatus.GOOD

    services.certificate_revoke(actor=city.admin_a, certificate=seal, reason="superseded")

    post = anonymous.post("/signing/ocsp", body, content_type="application/ocsp-request")
    assert _ocsp_status(post) == ocsp.OCSPCertStatus.REVOKED
    answer = ocsp.load_der_ocsp_response(post.content)
    assert answer.serial_number == int(seal.serial, 16)
    assert answer.revocation_reason == x509.ReasonFlags.superseded
    # The issuing CA answers for itself (RFC 6960 §2.6).
    key = issuer.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert answer.signature_hash_algorithm is not None
    key.verify(
        answer.signature, answer.tbs_response_bytes, ec.ECDSA(answer.signature_hash_algorithm)
    )
    assert _ocsp_status(anonymous.get(f"/signing/ocsp/{encoded}")) == ocsp.OCSPCertStatus.REVOKED

    made_up = (
        x509.CertificateBuilder()
        .subject_name(own.subject)
        .issuer_name(issuer.subject)
        .public_key(own.public_key())
        .serial_number(0x5EED)
        .not_valid_before(own.not_valid_before_utc)
        .not_valid_after(own.not_valid_after_utc)
    )
    fake = made_up.sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
    unknown = anonymous.post(
        "/signing/ocsp", _ocsp_request(fake, issuer), content_type="application/ocsp-request"
    )
    assert _ocsp_status(unknown) == ocsp.OCSPCertStatus.UNKNOWN


def test_ocsp_refuses_garbage_with_protocol_answers(pki: None, anonymous: Client) -> None:
    for body in (b"", b"\x30\x03\x02\x01", os.urandom(300)):
        response = _post(anonymous, "/signing/ocsp", body, "application/ocsp-request")
        assert response.status_code == 200
        answer = ocsp.load_der_ocsp_response(response.content)
        assert answer.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    for path in ("!!not-base64!!", "AAAA", "a/b/c"):
        response = anonymous.get(f"/signing/ocsp/{path}")
        assert response.status_code == 200, path
        answer = ocsp.load_der_ocsp_response(response.content)
        assert answer.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    # A well-formed request about a CA this platform does not run.
    stranger = x509.load_der_x509_certificate(bytes(Authority.objects.get(code="root").certificate))
    body = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            issuer_name_hash=b"\x00" * 32,
            issuer_key_hash=b"\x01" * 32,
            serial_number=stranger.serial_number,
            algorithm=hashes.SHA256(),
        )
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    response = anonymous.post("/signing/ocsp", body, content_type="application/ocsp-request")
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_ocsp_and_tsa_refuse_wrong_types_big_bodies_and_wrong_methods(
    pki: None, anonymous: Client
) -> None:
    for url, kind in (
        ("/signing/ocsp", "application/ocsp-request"),
        ("/signing/tsa", "application/timestamp-query"),
    ):
        _problem(
            anonymous.post(url, b"x", content_type="text/plain"), 415, "unsupported_media_type"
        )
        _problem(
            anonymous.post(url, {"a": "b"}), 415, "unsupported_media_type"
        )  # a form post, with no CSRF token
        big = b"\x30" * (MAX_PROTOCOL_BYTES + 1)
        _problem(anonymous.post(url, big, content_type=kind), 413, "payload_too_large")
        assert anonymous.get(url).status_code == 405
    exact = anonymous.post(
        "/signing/tsa", b"\x30" * MAX_PROTOCOL_BYTES, content_type="application/timestamp-query"
    )
    assert exact.status_code == 200
    assert anonymous.post("/signing/crl/officials.crl").status_code == 405


# --- the timestamp authority ---------------------------------------------------------------


def _query(digest: bytes, *, nonce: int = 424242) -> bytes:
    return tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": digest,
            },
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()


def test_tsa_grants_a_token_over_the_imprint_and_refuses_garbage(
    pki: None, anonymous: Client, tmp_path: Path
) -> None:
    document = "Biên bản họp ngày 02/12/2025".encode()
    digest = hashlib.sha256(document).digest()
    query = _query(digest)
    response = anonymous.post("/signing/tsa", query, content_type="application/timestamp-query")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(response.content)
    assert reply["status"]["status"].native == "granted"
    info = reply["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["nonce"].native == 424242

    for garbage in (b"", b"\x30\x00", os.urandom(500)):
        refused = _post(anonymous, "/signing/tsa", garbage, "application/timestamp-query")
        assert refused.status_code == 200
        # RFC 3161 makes the token OPTIONAL, asn1crypto's TimeStampResp does not: read the
        # status alone.
        outer = core.Sequence.load(refused.content)
        assert len(outer) == 1
        status = tsp.PKIStatusInfo.load(outer[0].dump())
        assert status["status"].native == "rejection"
        assert status["fail_info"].native == {"bad_data_format"}

    openssl = shutil.which("openssl")
    if openssl is None:
        return
    (tmp_path / "doc.txt").write_bytes(document)
    (tmp_path / "reply.tsr").write_bytes(response.content)
    chain = b"".join(
        x509.load_der_x509_certificate(bytes(a.certificate)).public_bytes(
            serialization.Encoding.PEM
        )
        for a in Authority.objects.filter(code__in=["root", "officials"])
    )
    (tmp_path / "chain.pem").write_bytes(chain)
    verified = subprocess.run(
        [openssl, "ts", "-verify", "-in", "reply.tsr", "-data", "doc.txt", "-CAfile", "chain.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Verification: OK" in verified.stdout


# --- before the PKI exists -----------------------------------------------------------------


def test_endpoints_answer_503_before_the_pki_is_bootstrapped(db: None, anonymous: Client) -> None:
    runtime.reset()
    try:
        _problem(anonymous.get("/signing/ca/root.crt"), 503, "pki_not_ready")
        _problem(anonymous.get("/signing/crl/officials.crl"), 503, "pki_not_ready")
        # A well-formed request (garbage is answered malformedRequest without the PKI).
        body = (
            ocsp.OCSPRequestBuilder()
            .add_certificate_by_hash(
                issuer_name_hash=b"\x00" * 32,
                issuer_key_hash=b"\x01" * 32,
                serial_number=1,
                algorithm=hashes.SHA256(),
            )
            .build()
            .public_bytes(serialization.Encoding.DER)
        )
        ocsp_post = _post(anonymous, "/signing/ocsp", body, "application/ocsp-request")
        _problem(ocsp_post, 503, "pki_not_ready")
        encoded = quote(base64.b64encode(body).decode(), safe="")
        _problem(anonymous.get(f"/signing/ocsp/{encoded}"), 503, "pki_not_ready")
        tsa = anonymous.post(
            "/signing/tsa", _query(b"\x00" * 32), content_type="application/timestamp-query"
        )
        _problem(tsa, 503, "pki_not_ready")
        assert tsa["Retry-After"] == "300"
    finally:
        runtime.reset()


def test_an_officials_certificate_is_checked_through_ocsp_too(city: Any, pki: None) -> None:
    """The responder answers for personal certificates as for seals."""
    specialist = official(city.commune_a, role=Role.SPECIALIST, full_name="Lê Văn Cường")
    issued = services.certificate_issue_official(
        actor=city.admin_a, agency=city.commune_a, official=specialist, pin=PIN
    )
    own = x509.load_der_x509_certificate(bytes(issued.der))
    body = _ocsp_request(own, _issuer(issued))
    response = Client().post("/signing/ocsp", body, content_type="application/ocsp-request")
    assert _ocsp_status(response) == ocsp.OCSPCertStatus.GOOD
