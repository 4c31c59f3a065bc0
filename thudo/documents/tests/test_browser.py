"""In a real browser: a specialist drafts a decision and submits it; the leader approves
it and signs it with the PIN (a wrong PIN first); the clerk issues it; the document's page
shows it issued, numbered 01/…, with two valid signatures."""

from __future__ import annotations

import re
from typing import Any

import pytest

from thudo.documents.models import Document
from thudo.documents.tests.docs_factories import PASSWORD, PIN, make_staff


def _sign_in(page: Any, base: str, username: str, then: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/?next={then}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(re.escape(then) + r"$"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_decision_is_drafted_approved_signed_and_issued_in_the_browser(
    live_server: Any, live_city: Any, pki: None, page: Any
) -> None:
    from playwright.sync_api import expect

    staff = make_staff(live_city)
    base = live_server.url

    _sign_in(page, base, "cv.a", "/documents/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Soạn văn bản mới")
    page.get_by_label("Loại văn bản").select_option(label="Quyết định")
    page.get_by_label("Trích yếu").fill("Về việc kiện toàn Tổ công tác chuyển đổi số cộng đồng")
    page.get_by_label("Nội dung").fill("Căn cứ Luật Tổ chức chính quyền địa phương;\n\nĐiều 1.")
    page.get_by_label("Nơi nhận").select_option(label="Ủy ban nhân dân Phường Ngọc Hà")
    page.get_by_label(re.compile(r"^Người ký")).select_option(label="Đặng Thị Hương")
    page.get_by_label("Thẩm quyền ký").fill("TM. ỦY BAN NHÂN DÂN")
    page.get_by_label("Chức vụ người ký").fill("CHỦ TỊCH")
    page.get_by_role("button", name="Lưu dự thảo").click()

    expect(page.get_by_text("Đã lưu dự thảo.")).to_be_visible()
    document = Document.objects.get()
    url = f"/documents/{document.pk}/"
    assert page.url == base + url
    status = page.locator("#document-status")
    expect(status).to_have_text("Dự thảo")
    page.get_by_role("button", name="Trình duyệt").click()
    expect(status).to_have_text("Chờ duyệt")  # swapped in place by htmx
    expect(page.get_by_role("button", name="Trình duyệt")).to_have_count(0)

    _sign_in(page, base, "ct.a", url)
    page.get_by_role("button", name="Duyệt", exact=True).click()
    expect(status).to_have_text("Đã duyệt, chờ ký")
    expect(page.get_by_label("Chứng thư số")).to_have_value(staff.serial)
    page.get_by_label("Mã PIN").fill("135790")
    page.get_by_role("button", name="Ký số").click()
    expect(page.locator(".field-error")).to_contain_text("Mã PIN không đúng.")
    expect(status).to_have_text("Đã duyệt, chờ ký")
    page.get_by_label("Mã PIN").fill(PIN)
    page.get_by_role("button", name="Ký số").click()
    expect(status).to_have_text("Lãnh đạo đã ký, chờ phát hành")
    expect(page.get_by_role("button", name="Ký số")).to_have_count(0)

    _sign_in(page, base, "clerk.a", url)
    page.get_by_role("button", name="Cấp số, đóng dấu và phát hành").click()
    expect(status).to_have_text("Đã phát hành")
    expect(page.locator("#document-notation")).to_have_text(re.compile(r"^01/QĐ-UBND$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Quyết định số 01/QĐ-UBND")
    expect(page.locator("#signatures-verdict")).to_have_text("Cả 2 chữ ký số đều hợp lệ.")
    signatures = page.locator("#signatures tbody tr")
    expect(signatures).to_have_count(2)
    expect(signatures.nth(0)).to_contain_text("Đặng Thị Hương")
    expect(signatures.nth(1)).to_contain_text("Ủy ban nhân dân Phường Ba Đình")
    expect(page.locator("#signatures").get_by_text("✓ Hợp lệ")).to_have_count(2)

    # The page after a reload says the same (not only the htmx fragment).
    page.reload()
    expect(page.locator("#document-status")).to_have_text("Đã phát hành")
    expect(page.locator("#trail")).to_contain_text("Cấp số, đóng dấu và phát hành")
    document.refresh_from_db()
    assert (document.status, document.number, document.notation) == ("issued", 1, "01/QĐ-UBND")
