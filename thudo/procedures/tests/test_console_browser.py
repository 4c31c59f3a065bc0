"""In a real browser: the clerk receives a dossier filed online, the specialist checks it,
and the leader approves it by signing the result with the PIN (a wrong PIN first); the
dossier's page then says the result is ready to hand over."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from thudo.core.models import User
from thudo.procedures.tests.factories import PIN, Registry, make_desk
from thudo.procedures.tests.test_console import submitted


def _as(page: Any, base: str, user: User, url: str) -> None:
    """The official's session, made directly (their password and TOTP login is tested in core)."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    page.goto(base + url)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_dossier_is_received_processed_and_signed_in_the_browser(
    live_server: Any, live_city: Any, pki: None, population: Registry, page: Any
) -> None:
    from playwright.sync_api import expect

    desk = make_desk(live_city, population)
    dossier = submitted(desk)
    base = live_server.url
    url = f"/mot-cua/ho-so/{dossier.code}/"
    status = page.locator("#dossier-status")

    _as(page, base, desk.clerk, "/mot-cua/?tab=waiting")
    page.get_by_role("link", name=dossier.code).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {dossier.code}")
    expect(status).to_have_text("Đã nộp, chờ tiếp nhận")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    expect(status).to_have_text("Đang giải quyết")  # swapped in place by htmx
    expect(page.locator("#issued-forms")).to_contain_text("Mẫu 01")

    _as(page, base, desk.specialist, url)
    page.get_by_role("button", name="Nhận xử lý").click()
    expect(page.locator("#dossier")).to_contain_text("Bạn đã nhận xử lý: Thẩm định hồ sơ.")
    page.get_by_label("Đồng ý").check()
    page.get_by_label("Ý kiến xử lý").fill("Đủ điều kiện đăng ký kết hôn")
    page.get_by_role("button", name="Hoàn thành").click()
    expect(page.locator("#dossier")).to_contain_text("Đã xong: Thẩm định hồ sơ.")

    expect(status).to_have_text("Chờ ký kết quả")

    _as(page, base, desk.leader, url)
    expect(page.get_by_label("Chứng thư số")).to_have_value(desk.serial)
    page.get_by_label("Mã PIN").fill("000000")
    page.get_by_role("button", name="Ký số").click()
    expect(page.locator(".field-error")).to_contain_text("Mã PIN không đúng")
    expect(status).to_have_text("Chờ ký kết quả")
    page.get_by_label("Mã PIN").fill(PIN)
    page.get_by_role("button", name="Ký số").click()
    expect(status).to_have_text("Đã có kết quả, chờ trả")
    expect(page.locator("#signatures-verdict")).to_have_text("Cả 2 chữ ký số đều hợp lệ.")

    page.reload()
    expect(page.locator("#dossier-status")).to_have_text("Đã có kết quả, chờ trả")
    expect(page.locator("#timeline")).to_contain_text("Ký số kết quả")
    dossier.refresh_from_db()
    assert dossier.status == "result_ready"
