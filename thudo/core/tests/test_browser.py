"""An official's main path in a real browser: sign in, open the agency, add a colleague."""

from __future__ import annotations

import re
from typing import Any

import pytest

from thudo.core.models import User

pytestmark = pytest.mark.browser


def test_official_signs_in_and_adds_a_colleague_with_htmx(
    live_server: Any, live_city: Any, page: Any
) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Đăng nhập cán bộ").click()
    page.get_by_label("Tên đăng nhập").fill("admin.a")
    page.get_by_label("Mật khẩu").fill("correct horse battery")
    page.get_by_role("button", name="Đăng nhập").click()

    page.get_by_role("heading", name="Cơ quan và vai trò của tôi").wait_for()
    page.get_by_role("link", name="Ủy ban nhân dân Phường Ba Đình").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ủy ban nhân dân Phường Ba Đình"

    form = page.locator("#add-official-h").locator("xpath=..")
    form.get_by_label("Tên đăng nhập").fill("pham.dung")
    form.get_by_label("Họ và tên").fill("Phạm Thị Dung")
    form.get_by_label("Vai trò").select_option("specialist")
    url_before = page.url
    form.get_by_role("button", name="Tạo tài khoản").click()

    secret = page.locator("#initial-password")
    secret.wait_for()
    assert page.url == url_before  # swapped in place by htmx, no page load
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", secret.inner_text())
    assert page.get_by_role("cell", name="Phạm Thị Dung", exact=True).is_visible()
    assert User.objects.get(username="pham.dung").check_password(secret.inner_text())


def test_an_official_cannot_open_another_communes_page(
    live_server: Any, live_city: Any, page: Any
) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill("clerk.a")
    page.get_by_label("Mật khẩu").fill("correct horse battery")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Cơ quan và vai trò của tôi").wait_for()
    response = page.goto(live_server.url + "/agencies/000.02.50.H26/")
    assert response.status == 404
    assert "Ngọc Hà" not in page.content()
