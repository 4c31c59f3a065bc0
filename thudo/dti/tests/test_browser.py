"""In a real browser: a ward's specialist fills the self-assessment row by row (each row
saved by htmx as the focus leaves it, the points shown at once), attaches the plan as
evidence and sends it; the ward's chairman approves it; the standing body finds the ward
in the ranking with its chart."""

from __future__ import annotations

from typing import Any

import pytest

from thudo.dti.contracts import UnitStatus
from thudo.dti.models import Evidence, RoundUnit
from thudo.dti.tests.factories import PDF, build

pytestmark = pytest.mark.browser


def _sign_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("correct horse battery")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("heading", name="Cơ quan và vai trò của tôi").wait_for()


@pytest.mark.django_db(transaction=True)
def test_a_ward_fills_sends_and_approves_its_assessment_in_the_browser(
    live_server: Any, page: Any
) -> None:
    from playwright.sync_api import expect

    d = build()
    base = live_server.url
    ward = d.city.commune_a
    page.on("dialog", lambda dialog: dialog.accept())  # "send? approve?" — yes

    # The specialist: from the DTI index to the ward's self-assessment.
    _sign_in(page, base, "assessor.a")
    page.goto(base + "/chuyen-doi-so/")
    page.get_by_role("link", name="Tự đánh giá: Ủy ban nhân dân Phường Ba Đình").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ủy ban nhân dân Phường Ba Đình")
    expect(page.locator("#progress-count")).to_have_text("0 / 4 chỉ số đã chấm")
    url_before = page.url

    # Manual points: saved when the focus leaves the field.
    points = page.locator("#sub-1-2").get_by_label("Điểm tự chấm (0 – 20)")
    points.fill("15")
    points.press("Tab")
    expect(page.locator("#sub-1-2-points")).to_have_text("15")
    expect(page.locator("#unit-self-points")).to_have_text("15")
    expect(page.locator("#sub-1-2-notice")).to_contain_text("Đã lưu chỉ số 1.2.")

    # A ratio: the points follow from the value (40 × 72,5 / 90).
    ratio = page.locator("#sub-2-2").get_by_label("Giá trị kê khai (%)")
    ratio.fill("72.5")
    ratio.press("Tab")
    expect(page.locator("#sub-2-2-points")).to_have_text("32,22")
    tiers = page.locator("#sub-2-1").get_by_label("Giá trị kê khai (%)")
    tiers.fill("85")
    tiers.press("Tab")
    expect(page.locator("#sub-2-1-points")).to_have_text("30")

    # Yes/no, then the required evidence for it.
    page.locator("#sub-1-1").get_by_label("Có", exact=True).check()
    expect(page.locator("#sub-1-1-points")).to_have_text("10")
    page.locator("#sub-1-1").get_by_label("Tệp", exact=True).set_input_files(
        {"name": "ke-hoach.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator("#sub-1-1").get_by_role("button", name="Thêm minh chứng").click()
    expect(page.locator("#sub-1-1-evidence")).to_contain_text("ke-hoach.pdf")
    expect(page.locator("#progress-count")).to_have_text("4 / 4 chỉ số đã chấm")
    expect(page.locator("#missing-none")).to_be_visible()
    expect(page.locator("#unit-self-points")).to_have_text("87,22")
    assert page.url == url_before  # every row saved in place by htmx

    page.get_by_role("button", name="Gửi lãnh đạo phê duyệt").click()
    expect(page.locator("#unit-status")).to_have_text("Chờ lãnh đạo phê duyệt")
    expect(page.locator("#sub-1-2").get_by_label("Điểm tự chấm (0 – 20)")).to_have_count(0)

    # The chairman approves and submits to the council.
    _sign_in(page, base, "leader.a")
    page.goto(base + url_before.removeprefix(base))
    page.get_by_role("button", name="Phê duyệt và gửi Hội đồng").click()
    expect(page.locator("#unit-status")).to_have_text("Đã gửi Hội đồng")

    # The standing body: the ranking, with the ward first and its chart.
    _sign_in(page, base, "dti.head")
    page.goto(base + f"/chuyen-doi-so/{d.round.pk}/ket-qua/")
    first = page.locator(f"#ranking-{d.round.pk} tbody tr").first
    expect(first).to_have_attribute("data-unit", ward.code)
    expect(first.locator("[data-value]")).to_have_text("0,8722")
    chart = page.locator(f"svg#chart-values-{d.round.pk}")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator("title").first).to_contain_text("Giá trị chỉ số chuyển đổi số")

    unit = RoundUnit.objects.get(round=d.round, agency=ward)
    assert unit.status == UnitStatus.SUBMITTED
    assert unit.approved_by == d.leader_a
    assert Evidence.objects.get(score__unit=unit).content == PDF
