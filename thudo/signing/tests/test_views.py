"""Pages of the signing module: validation for anyone, signing for anyone signed in, and
for officials their certificates, issuance by agency administrators and the one-stop
counter. The population database is replaced by a stub here (the gateway path is tested
with the exchange hub)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from thudo.core.errors import NotFound, ServiceUnavailable
from thudo.core.models import AuditEvent, Role, User
from thudo.core.tests.factories import citizen, official
from thudo.signing import services, validation
from thudo.signing.models import Certificate
from thudo.signing.tests.factories import PIN, sample_pdf

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
PERSON = {
    "personal_id": "001090054321",
    "full_name": "Nguyễn Văn An",
    "birth_date": "1990-05-17",
    "sex": "male",
}


def login(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


def upload(content: bytes, name: str = "quyet-dinh.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def population_stub(monkeypatch: pytest.MonkeyPatch, person: dict[str, str] = PERSON) -> None:
    monkeypatch.setattr(services, "_population_record", lambda personal_id: dict(person))


def issue_citizen(city: Any, monkeypatch: pytest.MonkeyPatch) -> Certificate:
    population_stub(monkeypatch)
    return services.certificate_issue_citizen(
        actor=city.clerk_a,
        agency=city.commune_a,
        personal_id=PERSON["personal_id"],
        pin=PIN,
        identity_confirmed=True,
    )


def issue_official(city: Any, user: User | None = None) -> Certificate:
    return services.certificate_issue_official(
        actor=city.admin_a, agency=city.commune_a, official=user or city.clerk_a, pin=PIN
    )


def state() -> tuple[list[tuple[str, str, str]], int]:
    """What a refused change must leave as it was: certificates and the audit log."""
    rows = list(Certificate.objects.order_by("serial").values_list("serial", "status", "profile"))
    return rows, AuditEvent.objects.count()


# --- validation, for anyone ----------------------------------------------------------------


def test_verify_page_is_public_and_reports_a_valid_signature(city: Any, pki: None) -> None:
    certificate = issue_official(city)
    signed = services.pdf_sign(
        actor=city.clerk_a, certificate=certificate, pdf=sample_pdf(), pin=PIN
    )
    anonymous = Client()
    page = anonymous.get("/signing/verify/")
    assert page.status_code == 200
    assert "<h1>Kiểm tra chữ ký số trên tài liệu PDF</h1>" in text(page)
    assert 'enctype="multipart/form-data"' in text(page)

    response = anonymous.post("/signing/verify/", {"file": upload(signed)})
    assert response.status_code == 200
    body = text(response)
    assert "Tài liệu có 1 chữ ký số, tất cả đều hợp lệ." in body
    assert "Chữ ký 1: Cán bộ" in body and "— Chữ ký hợp lệ" in body
    assert f'<dd class="signer">{city.clerk_a.full_name}</dd>' in body
    assert "<dd>PAdES B-LT</dd>" in body
    assert "Chữ ký không hợp lệ" not in body
    for sentence in (
        "<strong>Toàn vẹn:</strong> Nội dung đã ký không bị thay đổi.",
        "<strong>Chữ ký:</strong> Chữ ký khớp với chứng thư số của người ký.",
        "<strong>Tin cậy:</strong> Chứng thư số do tổ chức chứng thực tin cậy cấp",
        "<strong>Thu hồi:</strong> Chứng thư số chưa bị thu hồi.",
        # B-LT adds the validation data after the signature, an allowed change.
        "<strong>Sửa đổi sau khi ký:</strong> Sau khi ký chỉ có thay đổi được phép",
    ):
        assert sentence in body
    # Icons are hidden from screen readers, which read the state in words.
    assert '<span aria-hidden="true">✔</span> <span class="visually-hidden">Đạt:</span>' in body
    report = validation.validate(signed)
    stamp = report.signatures[0].timestamp_time
    assert stamp is not None
    shown = stamp.astimezone(HANOI).strftime("%d/%m/%Y %H:%M:%S")
    assert f">{shown}</time> (giờ Việt Nam)" in body
    assert f'datetime="{stamp.astimezone(HANOI).isoformat()}"' in body


def test_verify_page_tells_unsigned_tampered_and_revoked_documents_apart(
    city: Any, pki: None
) -> None:
    anonymous = Client()
    unsigned = anonymous.post("/signing/verify/", {"file": upload(sample_pdf())})
    assert unsigned.status_code == 200
    assert "Tài liệu không có chữ ký số nào." in text(unsigned)
    assert '<span aria-hidden="true">⚠</span>' in text(unsigned)

    certificate = issue_official(city)
    signed = services.pdf_sign(
        actor=city.clerk_a, certificate=certificate, pdf=sample_pdf(), pin=PIN
    )
    tampered = signed.replace(b"ReportLab Generated", b"ReportLab generated", 1)
    assert tampered != signed
    body = text(anonymous.post("/signing/verify/", {"file": upload(tampered)}))
    assert "Tài liệu có 1 chữ ký số, trong đó 1 chữ ký không hợp lệ." in body
    assert "<strong>Toàn vẹn:</strong> Nội dung đã bị thay đổi sau khi ký." in body
    assert "— Chữ ký không hợp lệ" in body
    assert "<li>Nội dung đã bị thay đổi sau khi ký.</li>" in body  # the problems list

    services.certificate_revoke(actor=city.admin_a, certificate=certificate, reason="keyCompromise")
    body = text(anonymous.post("/signing/verify/", {"file": upload(signed)}))
    assert "<strong>Thu hồi:</strong> Chứng thư số đã bị thu hồi." in body
    assert "trong đó 1 chữ ký không hợp lệ." in body


def test_verify_page_refuses_garbage_in_the_form(db: None) -> None:
    anonymous = Client(raise_request_exception=False)
    garbage = anonymous.post("/signing/verify/", {"file": upload(b"\x00\x01 not a pdf", "x.pdf")})
    assert garbage.status_code == 400
    body = text(garbage)
    assert '<div class="error-summary" role="alert" tabindex="-1">' in body
    assert '<a href="#id_file">Tệp PDF cần kiểm tra: Tệp không phải PDF' in body
    assert "Kết quả kiểm tra" not in body
    broken = anonymous.post("/signing/verify/", {"file": upload(b"%PDF-1.7\n garbage")})
    assert broken.status_code == 400
    assert validation.NOT_PDF in text(broken)
    empty = anonymous.post("/signing/verify/", {})
    assert empty.status_code == 400
    assert "Chọn tệp PDF." in text(empty)
    # htmx swaps only the section, with 200 so that htmx 2 swaps it.
    fragment = anonymous.post("/signing/verify/", {"file": upload(b"junk")}, headers=HTMX)
    assert fragment.status_code == 200
    assert text(fragment).lstrip().startswith('<section id="verify"')
    assert "<html" not in text(fragment)


# --- signing -------------------------------------------------------------------------------


def test_citizen_signs_with_the_pin_and_downloads_the_signed_pdf(
    city: Any, pki: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificate = issue_citizen(city, monkeypatch)
    person = User.objects.get(personal_id=PERSON["personal_id"])
    client = login(person)
    page = client.get("/signing/sign/")
    assert page.status_code == 200
    assert certificate.serial[:12] in text(page)
    assert 'name="pin"' in text(page)
    response = client.post(
        "/signing/sign/",
        {
            "file": upload(sample_pdf(), "Đơn đề nghị.pdf"),
            "certificate": certificate.serial,
            "level": "B-LT",
            "visible": "on",
            "pin": PIN,
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%C4%90%C6%A1n%20%C4%91%E1%BB%81%20ngh%E1%BB%8B-signed.pdf"
    )
    report = validation.validate(response.content)
    assert report.ok
    assert [(s.signer, s.level) for s in report.signatures] == [("Nguyễn Văn An", "B-LT")]
    event = AuditEvent.objects.filter(action="signing.pdf.sign").get()
    assert event.actor_id == person.pk
    assert event.object_id == certificate.serial


def test_wrong_pins_are_counted_then_the_key_is_locked(city: Any, pki: None, settings: Any) -> None:
    certificate = issue_official(city)
    client = login(city.clerk_a)
    settings.SIGNING_PIN_ATTEMPTS = 2

    def attempt(pin: str) -> Any:
        return client.post(
            "/signing/sign/",
            {
                "file": upload(sample_pdf()),
                "certificate": certificate.serial,
                "level": "B-T",
                "pin": pin,
            },
        )

    wrong = attempt("135792")
    assert wrong.status_code == 422
    assert "Mã PIN của chứng thư số: Mã PIN không đúng." in text(wrong)
    certificate.refresh_from_db()
    assert certificate.pin_failures == 1
    assert attempt("135792").status_code == 422
    certificate.refresh_from_db()
    assert certificate.locked_until is not None and certificate.locked_until > timezone.now()
    locked = attempt(PIN)
    assert locked.status_code == 423
    assert "Mã PIN bị khóa tạm thời do nhập sai nhiều lần" in text(locked)
    assert not AuditEvent.objects.filter(action="signing.pdf.sign").exists()
    assert AuditEvent.objects.filter(action="signing.certificate.pin_failure").count() == 2


def test_a_seal_needs_no_pin_and_the_pin_field_follows_the_choice(city: Any, pki: None) -> None:
    seal = services.certificate_issue_seal(actor=city.admin_a, agency=city.commune_a)
    own = issue_official(city)
    client = login(city.clerk_a)
    fragment = client.get("/signing/sign/pin-field/", {"certificate": seal.serial}, headers=HTMX)
    assert fragment.status_code == 200
    assert text(fragment).lstrip().startswith('<div id="pin-field"')
    assert "không cần mã PIN" in text(fragment) and 'name="pin"' not in text(fragment)
    personal = client.get("/signing/sign/pin-field/", {"certificate": own.serial}, headers=HTMX)
    assert 'name="pin"' in text(personal)
    assert "(không bắt buộc)" not in text(personal)

    response = client.post(
        "/signing/sign/",
        {
            "file": upload(sample_pdf(), "cong-van.pdf"),
            "certificate": seal.serial,
            "level": "B-T",
            "authority": "TM. Ủy ban nhân dân",
            "pin": "ignored",
        },
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="cong-van-signed.pdf"'
    report = validation.validate(response.content)
    assert [(s.signer, s.level, s.ok) for s in report.signatures] == [
        ("Ủy ban nhân dân Phường Ba Đình", "B-T", True)
    ]


def test_sign_form_errors_sign_nothing(city: Any, pki: None) -> None:
    own = issue_official(city)
    someone_elses = issue_official(city, official(city.commune_a, role=Role.SPECIALIST))
    client = login(city.clerk_a)
    before = state()
    no_pin = client.post(
        "/signing/sign/",
        {"file": upload(sample_pdf()), "certificate": own.serial, "level": "B-LT"},
    )
    assert no_pin.status_code == 422
    assert "Nhập mã PIN của chứng thư số." in text(no_pin)
    not_pdf = client.post(
        "/signing/sign/", {"file": upload(b"hello"), "certificate": own.serial, "pin": PIN}
    )
    assert not_pdf.status_code == 422
    assert "Tệp không phải PDF" in text(not_pdf)
    foreign = client.post(
        "/signing/sign/",
        {"file": upload(sample_pdf()), "certificate": someone_elses.serial, "pin": PIN},
    )
    assert foreign.status_code == 422
    assert "Chứng thư số dùng để ký: Chọn một chứng thư số trong danh sách." in text(foreign)
    assert someone_elses.serial[:12] not in text(foreign)
    assert state() == before


def test_sign_page_without_a_certificate_says_where_to_get_one(db: None) -> None:
    body = text(login(citizen()).get("/signing/sign/"))
    assert "Mang căn cước công dân đến bộ phận một cửa" in body
    assert '<form method="post" action="/signing/sign/"' not in body


# --- my certificates -------------------------------------------------------------------------


def test_certificates_page_shows_mine_and_my_agencys(
    city: Any, pki: None, django_assert_max_num_queries: Any
) -> None:
    seal = services.certificate_issue_seal(actor=city.admin_a, agency=city.commune_a)
    clerks = issue_official(city)
    other = services.certificate_issue_seal(actor=city.admin_b, agency=city.commune_b)
    admin = login(city.admin_a)
    with django_assert_max_num_queries(12):
        page = admin.get("/signing/certificates/")
    assert page.status_code == 200
    body = text(page)
    assert "<h1>Chứng thư số</h1>" in body
    assert "2 chứng thư số" in body
    assert f'<tr id="certificate-{seal.serial}">' in body
    assert f'<tr id="certificate-{clerks.serial}">' in body
    assert other.serial not in body
    assert f"/signing/certificates/{clerks.serial}/revoke/" in body
    # Only the holder changes a PIN; a seal has none.
    assert f"/signing/certificates/{clerks.serial}/pin/" not in body
    mine = text(login(city.clerk_a).get("/signing/certificates/"))
    assert "1 chứng thư số" in mine
    assert f"/signing/certificates/{clerks.serial}/pin/" in mine
    assert seal.serial not in mine


def test_citizens_and_anonymous_visitors_get_no_officials_pages(db: None) -> None:
    person = login(citizen())
    for url in ("/signing/certificates/", "/signing/issue/", "/signing/counter/"):
        assert person.get(url).status_code == 404
        anonymous = Client().get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")
    assert Client().get("/signing/sign/")["Location"].startswith("/accounts/login/")


def test_revoking_on_the_page_and_refusing_others(city: Any, pki: None) -> None:
    certificate = issue_official(city)
    outsider = login(city.admin_b)
    before = state()
    assert outsider.get(f"/signing/certificates/{certificate.serial}/revoke/").status_code == 404
    refused = outsider.post(
        f"/signing/certificates/{certificate.serial}/revoke/", {"reason": "keyCompromise"}
    )
    assert refused.status_code == 404
    assert (
        login(citizen())
        .post(f"/signing/certificates/{certificate.serial}/revoke/", {"reason": "keyCompromise"})
        .status_code
        == 404
    )
    assert state() == before

    admin = login(city.admin_a)
    confirm = admin.get(f"/signing/certificates/{certificate.serial}/revoke/")
    assert confirm.status_code == 200
    assert '<option value="keyCompromise">' in text(confirm)
    assert '<option value="removeFromCRL">' not in text(confirm)
    missing = admin.post(f"/signing/certificates/{certificate.serial}/revoke/", {"reason": ""})
    assert missing.status_code == 422
    assert state() == before
    done = admin.post(
        f"/signing/certificates/{certificate.serial}/revoke/", {"reason": "affiliationChanged"}
    )
    assert done.status_code == 302
    assert done["Location"] == "/signing/certificates/"
    certificate.refresh_from_db()
    assert (certificate.status, certificate.revocation_reason, certificate.revoked_by_id) == (
        "revoked",
        "affiliationChanged",
        city.admin_a.pk,
    )
    listing = text(admin.get("/signing/certificates/"))
    assert f"Đã thu hồi chứng thư số {certificate.serial[:12]}…" in listing
    assert "Thay đổi cơ quan, đơn vị công tác" in listing
    assert f'<span class="tag" id="certificate-{certificate.serial}-status">Đã thu hồi' in listing
    again = text(admin.get(f"/signing/certificates/{certificate.serial}/revoke/"))
    assert "Chứng thư số này đã bị thu hồi." in again


def test_holder_changes_the_pin_and_wrong_old_pins_are_counted(city: Any, pki: None) -> None:
    certificate = issue_official(city)
    assert (
        login(city.admin_a).get(f"/signing/certificates/{certificate.serial}/pin/").status_code
        == 404
    )
    client = login(city.clerk_a)
    url = f"/signing/certificates/{certificate.serial}/pin/"
    mismatch = client.post(url, {"old_pin": PIN, "new_pin": "975310", "new_pin_repeat": "975311"})
    assert mismatch.status_code == 422
    assert "Hai lần nhập mã PIN không khớp." in text(mismatch)
    weak = client.post(url, {"old_pin": PIN, "new_pin": "111111", "new_pin_repeat": "111111"})
    assert weak.status_code == 422
    assert "Mã PIN mới: Mã PIN quá dễ đoán" in text(weak)
    wrong = client.post(url, {"old_pin": "864200", "new_pin": "975310", "new_pin_repeat": "975310"})
    assert wrong.status_code == 422
    assert "Mã PIN hiện tại: Mã PIN không đúng." in text(wrong)
    certificate.refresh_from_db()
    assert certificate.pin_failures == 1

    done = client.post(url, {"old_pin": PIN, "new_pin": "975310", "new_pin_repeat": "975310"})
    assert done.status_code == 302
    certificate.refresh_from_db()
    assert certificate.pin_failures == 0
    signed = services.pdf_sign(
        actor=city.clerk_a, certificate=certificate, pdf=sample_pdf(), pin="975310"
    )
    assert validation.validate(signed).ok


# --- issuance by agency administrators -----------------------------------------------------


def test_administrator_issues_the_seal_and_replaces_it_only_when_confirmed(
    city: Any, pki: None
) -> None:
    admin = login(city.admin_a)
    page = admin.get("/signing/issue/")
    assert page.status_code == 200
    assert "Cơ quan chưa có con dấu điện tử." in text(page)
    first = admin.post("/signing/issue/seal/", {"agency": city.commune_a.code})
    assert first.status_code == 200
    seal = Certificate.objects.get(profile="seal", status="valid")
    assert seal.agency_id == city.commune_a.pk
    assert "Đã cấp chứng thư số cho Ủy ban nhân dân Phường Ba Đình." in text(first)
    before = state()
    unconfirmed = admin.post("/signing/issue/seal/", {"agency": city.commune_a.code})
    assert unconfirmed.status_code == 422
    assert "Đánh dấu để xác nhận thay thế con dấu điện tử hiện tại." in text(unconfirmed)
    assert state() == before
    admin.post("/signing/issue/seal/", {"agency": city.commune_a.code, "replace": "on"})
    seal.refresh_from_db()
    assert (seal.status, seal.revocation_reason) == ("revoked", "superseded")
    assert Certificate.objects.filter(profile="seal", status="valid").count() == 1
    # Another commune's agency is not the administrator's to choose.
    foreign = admin.post("/signing/issue/seal/", {"agency": city.commune_b.code})
    assert foreign.status_code == 404


def test_administrator_issues_an_officials_certificate(city: Any, pki: None) -> None:
    specialist = official(city.commune_a, role=Role.SPECIALIST, full_name="Trần Thị Bình")
    admin = login(city.admin_a)
    page = text(admin.get("/signing/issue/"))
    assert f'<option value="{specialist.username}">Trần Thị Bình ({specialist.username})' in page
    assert city.clerk_b.username not in page
    data = {"agency": city.commune_a.code, "official": specialist.username, "title": "Chuyên viên"}
    before = state()
    mismatch = admin.post("/signing/issue/official/", {**data, "pin": PIN, "pin_repeat": "1"})
    assert mismatch.status_code == 422
    weak = admin.post("/signing/issue/official/", {**data, "pin": "123456", "pin_repeat": "123456"})
    assert weak.status_code == 422
    assert "Mã PIN: Mã PIN quá dễ đoán" in text(weak)
    outsider = admin.post(
        "/signing/issue/official/",
        {**data, "official": city.clerk_b.username, "pin": PIN, "pin_repeat": PIN},
    )
    assert outsider.status_code == 422
    assert state() == before
    done = admin.post("/signing/issue/official/", {**data, "pin": PIN, "pin_repeat": PIN})
    assert done.status_code == 200
    assert "Đã cấp chứng thư số cho Trần Thị Bình." in text(done)
    issued = Certificate.objects.get(holder=specialist)
    assert (issued.profile, issued.title, issued.agency_id) == (
        "official",
        "Chuyên viên",
        city.commune_a.pk,
    )
    # Clerks and specialists do not issue.
    assert login(city.clerk_a).get("/signing/issue/").status_code == 403
    assert login(city.clerk_a).post("/signing/issue/seal/", {"agency": "x"}).status_code == 403


# --- the one-stop counter ------------------------------------------------------------------


def _counter(**extra: str) -> dict[str, str]:
    return {
        "agency": "000.01.50.H26",
        "personal_id": PERSON["personal_id"],
        "identity_confirmed": "on",
        "pin": PIN,
        "pin_repeat": PIN,
        **extra,
    }


def test_clerk_issues_a_citizens_certificate_with_the_registrys_name(
    city: Any, pki: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    population_stub(monkeypatch)
    clerk = login(city.clerk_a)
    page = clerk.get("/signing/counter/")
    assert page.status_code == 200
    assert "<h1>Cấp chứng thư số cho công dân</h1>" in text(page)
    # One counter: the agency is not asked.
    assert '<input type="hidden" name="agency" value="000.01.50.H26"' in text(page)
    response = clerk.post("/signing/counter/", _counter(email="an@example.vn"))
    assert response.status_code == 200
    body = text(response)
    assert "Đã cấp chứng thư số cho công dân Nguyễn Văn An." in body
    issued = Certificate.objects.get(profile="citizen")
    assert f'<dd class="mono">{issued.serial}</dd>' in body
    assert (issued.holder_name, issued.personal_id, issued.issued_by_id) == (
        "Nguyễn Văn An",
        PERSON["personal_id"],
        city.clerk_a.pk,
    )
    assert issued.holder is not None and issued.holder.kind == "citizen"
    assert PIN not in body
    # The form is blank again for the next person.
    assert f'value="{PERSON["personal_id"]}"' not in body
    again = clerk.post("/signing/counter/", _counter())
    assert again.status_code == 409
    assert "Công dân đã có chứng thư số đang hiệu lực" in text(again)


def test_counter_errors_issue_nothing(
    city: Any, pki: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = login(city.clerk_a)
    before = state()
    unconfirmed = clerk.post("/signing/counter/", _counter(identity_confirmed=""))
    assert unconfirmed.status_code == 422
    assert (
        '<a href="#id_identity_confirmed">Đã đối chiếu căn cước công dân: '
        "Cần xác nhận đã đối chiếu căn cước công dân của người đề nghị.</a>"
    ) in text(unconfirmed)
    bad_id = clerk.post("/signing/counter/", _counter(personal_id="123"))
    assert bad_id.status_code == 422
    assert "Số định danh cá nhân phải gồm đúng 12 chữ số." in text(bad_id)

    def missing(personal_id: str) -> dict[str, Any]:
        raise NotFound("Cơ sở dữ liệu dân cư không có người mang số định danh này.")

    monkeypatch.setattr(services, "_population_record", missing)
    absent = clerk.post("/signing/counter/", _counter())
    assert absent.status_code == 404
    assert (
        '<a href="#id_personal_id">Số định danh cá nhân (số căn cước công dân): '
        "Cơ sở dữ liệu dân cư không có người mang số định danh này.</a>"
    ) in text(absent)

    def down(personal_id: str) -> dict[str, Any]:
        raise ServiceUnavailable("Không tra cứu được Cơ sở dữ liệu quốc gia về dân cư: timeout")

    monkeypatch.setattr(services, "_population_record", down)
    unavailable = clerk.post("/signing/counter/", _counter())
    assert unavailable.status_code == 503
    assert "<li>Không tra cứu được Cơ sở dữ liệu quốc gia về dân cư: timeout</li>" in text(
        unavailable
    )
    assert state() == before
    assert not User.objects.filter(personal_id=PERSON["personal_id"]).exists()
    # Only clerks work at the counter.
    assert login(city.admin_a).get("/signing/counter/").status_code == 403


def test_home_pages_link_to_signing(city: Any) -> None:
    assert 'href="/signing/sign/">Ký số tài liệu</a>' in text(login(citizen()).get("/"))
    official_home = text(login(city.clerk_a).get("/"))
    assert 'href="/signing/sign/">Ký số tài liệu</a>' in official_home
    assert 'href="/signing/certificates/">' in official_home


def test_expired_and_locked_certificates_are_marked_on_the_list(city: Any, pki: None) -> None:
    certificate = issue_official(city)
    Certificate.objects.filter(pk=certificate.pk).update(
        locked_until=timezone.now() + timedelta(minutes=10)
    )
    body = text(login(city.clerk_a).get("/signing/certificates/"))
    assert "Mã PIN tạm khóa đến" in body
    Certificate.objects.filter(pk=certificate.pk).update(
        not_after=timezone.now() - timedelta(days=1)
    )
    body = text(login(city.clerk_a).get("/signing/certificates/"))
    assert re.search(rf'id="certificate-{certificate.serial}-status">Hết hạn</span>', body)
    assert f"/signing/certificates/{certificate.serial}/revoke/" not in body
