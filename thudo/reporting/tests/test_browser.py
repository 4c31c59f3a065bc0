"""In a real browser: a commune's statistician fills March's form cell by cell with the
keyboard (each cell saved as the focus leaves it, a broken rule shown at once) and
completes it; the commune's chairman approves it; with the other commune approved too,
the department head sees every unit complete, approves the city's aggregate, and finds
the two communes summed up in analytics."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from thudo.reporting import services
from thudo.reporting.models import Approval, DataValue
from thudo.reporting.tests.factories import PERIOD, build

pytestmark = pytest.mark.browser


def _sign_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("correct horse battery")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("heading", name="Cơ quan và vai trò của tôi").wait_for()


def _enter(page: Any, value: str) -> None:
    """Type into the focused cell and press Enter, as a person working down a column."""
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


@pytest.mark.django_db(transaction=True)
def test_a_month_is_entered_approved_and_summed_up_in_the_browser(
    live_server: Any, live_city: Any, page: Any
) -> None:
    from playwright.sync_api import expect

    r = build(live_city)
    base = live_server.url
    city, a, b = live_city.city_pc, live_city.commune_a, live_city.commune_b
    grid = f"/bao-cao/{r.form.code}/{a.code}/{PERIOD}/"

    # The statistician of commune A: from the work list to the form.
    _sign_in(page, base, "thongke.a")
    page.get_by_role("link", name="Báo cáo", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Báo cáo của tôi")
    # The period being reported comes last, after the late ones still open.
    rows = page.locator("#worklist tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Quá hạn")
    rows.last.get_by_role("link", name="Nhập số liệu").click()
    expect(page.locator(".lead").first).to_contain_text("Ủy ban nhân dân Phường Ba Đình")
    page.goto(base + grid)  # March, long past its deadline
    expect(page.locator("#grid-state")).to_have_text("Đang báo cáo")
    expect(page.locator("#grid")).to_contain_text("Quá hạn")

    new = page.get_by_label("Số doanh nghiệp thành lập mới")
    active = page.get_by_label("Số doanh nghiệp đang hoạt động")
    men = page.get_by_label("Số lao động được tạo việc làm – Nam")
    women = page.get_by_label("Số lao động được tạo việc làm – Nữ")
    rate = page.get_by_label("Tỷ lệ thu thuế đúng hạn")
    budget = page.get_by_label("Thu ngân sách trên địa bàn")
    url_before = page.url

    new.focus()
    _enter(page, "12")
    expect(active).to_be_focused()  # Enter goes down the column
    expect(page.locator("#cell-v-DN_MOI")).to_contain_text("Đã lưu")
    _enter(page, "10")
    expect(page.locator("#cell-v-DN_HOATDONG")).to_contain_text("Đã lưu")
    violation = page.locator("#violation-R1")
    expect(violation).to_contain_text("Doanh nghiệp mới không vượt số đang hoạt động")
    expect(violation).to_contain_text("12")
    expect(page.locator("#validation-verdict")).to_contain_text("Có 1 quy tắc kiểm tra bị vi phạm")
    expect(men).to_be_focused()
    _enter(page, "5")
    expect(rate).to_be_focused()
    _enter(page, "150")
    expect(budget).to_be_focused()
    rate_cell = page.locator("#cell-v-TY_LE_THU")
    expect(rate_cell).to_contain_text("Tỷ lệ phải từ 0 đến 100.")
    expect(rate).to_have_attribute("aria-invalid", "true")
    page.keyboard.press("Shift+Enter")  # back up to correct it
    expect(rate).to_be_focused()
    _enter(page, "95,5")
    expect(rate_cell).to_contain_text("Đã lưu")
    expect(rate).not_to_have_attribute("aria-invalid", "true")
    expect(budget).to_be_focused()
    _enter(page, "1234.5")
    expect(budget).to_have_value("1.234,5")  # shown back the Vietnamese way
    expect(women).to_be_focused()  # past the last row: the top of the next column
    _enter(page, "7")
    expect(page.locator("#cell-v-LAO_DONG-NU")).to_contain_text("Đã lưu")
    # The broken rule, mended.
    active.focus()
    _enter(page, "120")
    expect(page.locator("#validation-verdict")).to_have_text(
        "✓ Không có quy tắc kiểm tra nào bị vi phạm."
    )
    assert page.url == url_before  # every cell saved in place by htmx

    page.reload()
    expect(budget).to_have_value("1.234,5")
    expect(page.locator("#grid-filled")).to_have_text("6/7 ô")
    page.get_by_role("button", name="Hoàn thành báo cáo").click()
    expect(page.locator("#grid-state")).to_have_text("Đã hoàn thành")
    expect(page.locator("#grid-completion")).to_contain_text("quá hạn")

    # The chairman approves; the figures lock.
    _sign_in(page, base, "chutich.a")
    page.goto(base + grid)
    page.get_by_label("Ý kiến").fill("Số liệu khớp sổ sách")
    page.get_by_role("button", name="Phê duyệt", exact=True).click()
    expect(page.locator("#locked-banner")).to_contain_text(
        "Số liệu kỳ này đã được Ủy ban nhân dân Phường Ba Đình phê duyệt"
    )
    expect(new).to_be_disabled()
    expect(page.locator("#history")).to_contain_text("Số liệu khớp sổ sách")

    # Commune B reports and approves by its own means (the API, an Excel upload …).
    for element, value in (("DN_MOI", "3"), ("DN_HOATDONG", "40")):
        services.value_save(actor=r.clerk_b, form=r.form, unit=b, period=PERIOD,
                            element=element, raw=value)  # fmt: skip
    services.approval_approve(actor=r.leader_b, form=r.form, unit=b, period=PERIOD)

    # The department head: every commune in, the city's aggregate approved.
    _sign_in(page, base, "truongphong.stp")
    page.get_by_role("link", name="Báo cáo", exact=True).click()
    page.get_by_role("link", name="Tổng hợp, phê duyệt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tổng hợp biểu BC01-KT")
    page.goto(base + f"/bao-cao/{r.form.code}/{PERIOD}/tong-hop/")
    expect(page.locator("#completeness")).to_have_text("100,0%")
    page.get_by_label("Ý kiến — Ủy ban nhân dân Thành phố Hà Nội").fill("Gửi UBND Thành phố")
    city_row = page.locator(f'[id="unit-{city.code}"]')
    city_row.get_by_role("button", name="Phê duyệt").click()
    expect(page.locator("#overview .notice")).to_have_text(
        "Đã phê duyệt số liệu của Ủy ban nhân dân Thành phố Hà Nội; số liệu đã được khóa."
    )
    expect(city_row.locator("[data-unit-state]")).to_have_text("Đã phê duyệt")

    # Analytics for the city: the two communes summed up, approved.
    page.get_by_role("link", name="Phân tích số liệu của biểu").click()
    page.get_by_label("Chỉ tiêu, chỉ số").select_option(["DN_MOI"])
    page.get_by_label("Loại kỳ").select_option("monthly")
    page.get_by_label("Từ kỳ").fill(PERIOD)
    page.get_by_label("Đến kỳ").fill(PERIOD)
    expect(page.get_by_label("Đơn vị", exact=True)).to_have_value(city.code)
    page.get_by_label("Kèm các đơn vị trực thuộc").check()
    page.get_by_role("button", name="Xem số liệu").click()
    table = page.locator("#pivot-DN_MOI")
    city_total = table.locator(f'tr[data-ou="{city.code}"]')
    expect(city_total).to_contain_text("15")
    expect(city_total).to_contain_text("đã phê duyệt")
    expect(table.locator(f'tr[data-ou="{a.code}"]')).to_contain_text("12")
    expect(table.locator(f'tr[data-ou="{b.code}"]')).to_contain_text("3")
    expect(table.locator("svg title")).to_have_text("Biểu đồ Số doanh nghiệp thành lập mới theo kỳ")

    assert Approval.objects.filter(form=r.form, period=PERIOD).count() == 3
    assert DataValue.objects.get(element__code="THU_NGAN_SACH", unit=a).value == Decimal("1234.5")
