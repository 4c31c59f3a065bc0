"""The signing API: my certificates, revocation, signing a PDF (answered as the PDF) and
public validation; errors are problem+json with stable codes."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from thudo.core.models import AuditEvent, Role, User
from thudo.core.tests.factories import official
from thudo.signing import services, validation
from thudo.signing.models import Certificate
from thudo.signing.tests.factories import PIN, sample_pdf
from thudo.signing.tests.test_views import PERSON, issue_citizen, issue_official, login, state

pytestmark = pytest.mark.django_db


def pdf_file(content: bytes, name: str = "to-trinh.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def test_certificates_lists_mine_paginated(city: Any, pki: None) -> None:
    seal = services.certificate_issue_seal(actor=city.admin_a, agency=city.commune_a)
    own = issue_official(city)
    mine = login(city.clerk_a).get("/api/v1/signing/certificates")
    assert mine.status_code == 200
    body = mine.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert {
        k: item[k] for k in ("serial", "profile", "holder_name", "agency_code", "authority")
    } == {
        "serial": own.serial,
        "profile": "official",
        "holder_name": city.clerk_a.full_name,
        "agency_code": "000.01.50.H26",
        "authority": "officials",
    }
    assert item["status"] == "valid" and item["revoked_at"] is None
    assert item["fingerprint"] == own.fingerprint
    admin = login(city.admin_a).get("/api/v1/signing/certificates", {"limit": 1})
    assert admin.json()["count"] == 2
    assert len(admin.json()["items"]) == 1
    revoked = login(city.admin_a).get("/api/v1/signing/certificates", {"status": "revoked"})
    assert revoked.json() == {"items": [], "count": 0}
    assert seal.serial in login(city.admin_a).get("/api/v1/signing/certificates").content.decode()
    _problem(Client().get("/api/v1/signing/certificates"), 401, "not_authenticated")


def test_revoke_once_and_refuse_others(city: Any, pki: None) -> None:
    certificate = issue_official(city)
    url = f"/api/v1/signing/certificates/{certificate.serial}/revoke"
    before = state()
    outsider = login(city.admin_b).post(
        url, {"reason": "keyCompromise"}, content_type="application/json"
    )
    _problem(outsider, 404, "not_found")
    bad = login(city.admin_a).post(
        url, {"reason": "removeFromCRL"}, content_type="application/json"
    )
    assert _problem(bad, 422, "invalid_input")["errors"][0]["field"] == "reason"
    assert state() == before

    done = login(city.clerk_a).post(
        url, {"reason": "keyCompromise"}, content_type="application/json"
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["revocation_reason"]) == ("revoked", "keyCompromise")
    again = login(city.clerk_a).post(
        url, {"reason": "keyCompromise"}, content_type="application/json"
    )
    _problem(again, 409, "conflict")
    certificate.refresh_from_db()
    assert certificate.revoked_by_id == city.clerk_a.pk


def test_sign_answers_the_signed_pdf(city: Any, pki: None, monkeypatch: pytest.MonkeyPatch) -> None:
    certificate = issue_citizen(city, monkeypatch)
    person = User.objects.get(personal_id=PERSON["personal_id"])
    response = login(person).post(
        "/api/v1/signing/sign",
        {"file": pdf_file(sample_pdf()), "serial": certificate.serial, "pin": PIN, "level": "B-T"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="to-trinh-signed.pdf"'
    report = validation.validate(response.content)
    assert report.ok
    assert [(s.signer, s.level) for s in report.signatures] == [("Nguyễn Văn An", "B-T")]


def test_sign_errors_are_problems_and_wrong_pins_count(city: Any, pki: None) -> None:
    own = issue_official(city)
    someone_elses = issue_official(city, official(city.commune_a, role=Role.SPECIALIST))
    client = login(city.clerk_a)

    def sign(**fields: Any) -> Any:
        data = {"file": pdf_file(sample_pdf()), "serial": own.serial, "pin": PIN, **fields}
        return client.post("/api/v1/signing/sign", data)

    _problem(sign(pin="135792"), 422, "pin_invalid")
    own.refresh_from_db()
    assert own.pin_failures == 1
    _problem(sign(serial=someone_elses.serial), 404, "not_found")
    _problem(sign(file=pdf_file(b"%PDF-1.7 broken")), 422, "pdf_invalid")
    _problem(sign(level="B-LTA"), 422, "invalid_input")
    assert not AuditEvent.objects.filter(action="signing.pdf.sign").exists()
    # The browser session needs its CSRF token, like every unsafe call.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(city.clerk_a)
    refused = strict.post(
        "/api/v1/signing/sign",
        {"file": pdf_file(sample_pdf()), "serial": own.serial, "pin": PIN},
    )
    _problem(refused, 403, "permission_denied")
    _problem(
        Client().post("/api/v1/signing/sign", {"file": pdf_file(sample_pdf())}),
        401,
        "not_authenticated",
    )


def test_verify_is_public_and_reports_json(city: Any, pki: None) -> None:
    seal = services.certificate_issue_seal(actor=city.admin_a, agency=city.commune_a)
    signed = services.pdf_sign(actor=city.clerk_a, certificate=seal, pdf=sample_pdf())
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post("/api/v1/signing/verify", {"file": pdf_file(signed)})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["problems"] == []
    [signature] = body["signatures"]
    assert {k: signature[k] for k in ("signer", "signer_serial", "level", "revocation")} == {
        "signer": "Ủy ban nhân dân Phường Ba Đình",
        "signer_serial": seal.serial,
        "level": "B-LT",
        "revocation": "good",
    }
    assert signature["intact"] and signature["valid"] and signature["trusted"]
    assert signature["timestamp_time"] is not None

    unsigned = anonymous.post("/api/v1/signing/verify", {"file": pdf_file(sample_pdf())})
    assert unsigned.json() == {
        "ok": False,
        "signatures": [],
        "problems": [validation.NO_SIGNATURES],
    }
    _problem(
        anonymous.post("/api/v1/signing/verify", {"file": pdf_file(b"garbage")}),
        422,
        "pdf_invalid",
    )
    missing = anonymous.post("/api/v1/signing/verify", {})
    assert _problem(missing, 422, "invalid_input")["errors"][0]["field"] == "file"
    assert Certificate.objects.filter(status="valid", profile="seal").count() == 1
