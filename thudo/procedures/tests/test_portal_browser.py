"""In a real browser: a citizen finds marriage registration by typing without accents,
starts a dossier, is sent to the error summary by keyboard after an incomplete "continue",
fills the declaration, checks the answers, submits, and sees the dossier code and its
timeline."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from thudo.core.models import User
from thudo.procedures.models import Dossier
from thudo.procedures.tests.factories import GROOM, Registry, make_desk
from thudo.signing.tests.factories import sample_pdf


def _as(page: Any, base: str, user: User, url: str) -> None:
    """The citizen's session, made directly (their eID sign-in is tested in identity)."""
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
def test_a_citizen_files_a_marriage_registration_online(
    live_server: Any, live_city: Any, pki: None, population: Registry, page: Any
) -> None:
    from playwright.sync_api import expect

    desk = make_desk(live_city, population, certificates=False)
    _as(page, live_server.url, desk.bride, "/dich-vu-cong/")

    # Live search: typed without accents, the results change in place.
    page.get_by_label("Tìm thủ tục").fill("ket hon")
    results = page.locator("#procedures-results")
    expect(results.get_by_role("link")).to_have_count(1)
    results.get_by_role("link", name="Đăng ký kết hôn").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký kết hôn")
    expect(page.locator("#components")).to_contain_text("Tờ khai đăng ký kết hôn")
    page.get_by_label("Cơ quan giải quyết").select_option(desk.commune.code)
    page.get_by_role("button", name="Nộp hồ sơ trực tuyến").click()
    expect(page.locator("#applicant")).to_contain_text("Nguyễn Thị Ánh Tuyết")

    # Keyboard only: Enter in a field submits with "Tiếp tục"; the error summary takes focus.
    name = page.get_by_label("Họ, chữ đệm và tên của bên kia")
    name.focus()
    page.keyboard.type("Đặng Văn Minh")
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Hãy nhập Số định danh cá nhân của bên kia.")
    page.keyboard.press("Tab")
    first = summary.get_by_role("link").first
    expect(first).to_be_focused()
    expect(first).to_have_attribute("href", "#id_so_dinh_danh_ben_kia")
    page.keyboard.press("Enter")
    assert page.url.endswith("#id_so_dinh_danh_ben_kia")
    expect(name).to_have_value("Đặng Văn Minh")  # what was typed is kept

    page.get_by_label("Số định danh cá nhân của bên kia").fill(GROOM)
    page.get_by_label("Ngày sinh của bên kia").fill("1989-11-02")
    page.get_by_label("Nơi cư trú của bên kia").fill("Số 12 phố Kim Mã, Phường Ba Đình")
    page.get_by_role("group", name="Tình trạng hôn nhân của người nộp").get_by_label(
        "Chưa đăng ký kết hôn lần nào"
    ).check()
    page.get_by_role("group", name="Tình trạng hôn nhân của bên kia").get_by_label(
        "Chưa đăng ký kết hôn lần nào"
    ).check()
    page.get_by_label("Hai bên tự nguyện kết hôn và cam đoan đủ điều kiện kết hôn").check()
    page.get_by_label("Tờ khai đăng ký kết hôn").set_input_files(
        {"name": "to-khai.pdf", "mimeType": "application/pdf", "buffer": sample_pdf("Tờ khai")}
    )
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra thông tin trước khi nộp")
    answers = page.locator("#answers")
    expect(answers).to_contain_text("02/11/1989")
    expect(answers).to_contain_text("Chưa đăng ký kết hôn lần nào")
    expect(page.locator("#files")).to_contain_text("to-khai.pdf")
    page.get_by_role("button", name="Nộp hồ sơ").click()

    dossier = Dossier.objects.get()
    assert dossier.status == "submitted" and dossier.code
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {dossier.code}")
    expect(page.locator(".messages")).to_contain_text(f"Mã hồ sơ của bạn: {dossier.code}")
    expect(page.locator("#dossier-status")).to_have_text("Đã nộp, chờ tiếp nhận")
    expect(page.locator("#timeline li")).to_have_count(3)
    expect(page.locator("#timeline")).to_contain_text("Nộp hồ sơ")
