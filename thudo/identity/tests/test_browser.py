"""A citizen signs in with VNeID in a real browser and sees who used their data."""

from __future__ import annotations

import re
from typing import Any

import pytest

from thudo.identity.tests.conftest import PASSWORD, Provider, seed_person


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_citizen_signs_in_with_vneid_and_sees_the_sign_in_recorded(
    provider: Provider, page: Any
) -> None:
    from playwright.sync_api import expect

    seed_person(
        full_name="Nguyễn Thị Minh Khai",
        personal_id="001190012345",
        birth_date="1990-11-01",
        gender="female",
    )
    page.goto(provider.base + "/")
    page.get_by_role("link", name="Đăng nhập bằng VNeID").click()

    expect(page.get_by_text("Mô phỏng VNeID — chỉ dùng cho thử nghiệm")).to_be_visible()
    page.get_by_label("Số định danh cá nhân").fill("001190012345")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("đề nghị nhận thông tin")
    page.get_by_role("button", name="Đồng ý").click()

    expect(page).to_have_url(provider.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Xin chào, Nguyễn Thị Minh Khai")
    expect(page.locator(".site-header .who")).to_have_text("Nguyễn Thị Minh Khai")

    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Ai đã dùng dữ liệu của tôi"
    ).click()
    expect(page).to_have_url(re.compile(r"/identity/my-data/$"))
    row = page.get_by_role("row").filter(has_text="Đăng nhập bằng định danh điện tử quốc gia")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Chính bạn")
