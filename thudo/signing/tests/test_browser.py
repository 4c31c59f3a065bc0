"""In a real browser: a clerk issues a citizen's certificate at the one-stop counter, then
the citizen signs a PDF with it and downloads the signed file."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from thudo.core.models import User
from thudo.signing import validation
from thudo.signing.contracts import ValidationReport
from thudo.signing.models import Certificate
from thudo.signing.tests.factories import PIN, sample_pdf
from thudo.signing.tests.test_views import PERSON, population_stub


def _validate_off_the_event_loop(pdf: bytes) -> ValidationReport:
    """pyHanko runs its own event loop; Playwright's sync API already runs one in this
    thread."""

    def run() -> ValidationReport:
        try:
            return validation.validate(pdf)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_clerk_issues_at_the_counter_and_the_citizen_signs_a_pdf(
    live_server: Any,
    live_city: Any,
    pki: None,
    page: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    # The live server runs in a thread of this process: the stub applies there too.
    population_stub(monkeypatch)

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill("clerk.a")
    page.get_by_label("Mật khẩu").fill("correct horse battery")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("heading", name="Cơ quan và vai trò của tôi").wait_for()

    page.goto(live_server.url + "/signing/counter/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cấp chứng thư số cho công dân")
    page.get_by_label("Số định danh cá nhân (số căn cước công dân)").fill(PERSON["personal_id"])
    page.get_by_label("Đã đối chiếu căn cước công dân").check()
    page.get_by_label("Mã PIN", exact=True).fill(PIN)
    page.get_by_label("Nhập lại mã PIN").fill(PIN)
    page.get_by_role("button", name="Cấp chứng thư số").click()
    expect(page.locator("#created")).to_contain_text(
        "Đã cấp chứng thư số cho công dân Nguyễn Văn An."
    )
    certificate = Certificate.objects.get(profile="citizen")
    expect(page.locator("#created")).to_contain_text(certificate.serial)

    # The citizen signs in with VNeID in real life; here their session is made directly.
    person = User.objects.get(personal_id=PERSON["personal_id"])
    client = Client()
    client.force_login(person)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(live_server.url + "/")
    expect(page.locator(".site-header .who")).to_have_text("Nguyễn Văn An")
    page.get_by_role("link", name="Ký số tài liệu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ký số tài liệu")
    page.get_by_label("Tệp PDF cần ký").set_input_files(
        {"name": "don-de-nghi.pdf", "mimeType": "application/pdf", "buffer": sample_pdf()}
    )
    expect(page.get_by_label("Chứng thư số dùng để ký")).to_have_value(certificate.serial)
    page.get_by_label("Mã PIN của chứng thư số").fill(PIN)
    with page.expect_download() as info:
        page.get_by_role("button", name="Ký số và tải về").click()
    download = info.value
    assert download.suggested_filename == "don-de-nghi-signed.pdf"
    target = tmp_path / download.suggested_filename
    download.save_as(target)

    report = _validate_off_the_event_loop(target.read_bytes())
    assert report.ok
    assert [(s.signer, s.level) for s in report.signatures] == [("Nguyễn Văn An", "B-LT")]
