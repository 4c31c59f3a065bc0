"""In a real browser, signed out: from the portal's home page a visitor searches without
accents, narrows the results by a theme (the results swapped in place by htmx, the
address kept in step), opens a dataset and its table, and pages through the preview."""

from __future__ import annotations

import re
from typing import Any

import pytest

from thudo.opendata.tests import factories
from thudo.opendata.tests.factories import Portal

# The portal's fixtures, where pytest looks for them.
media = factories.media
live_portal = factories.live_portal

pytestmark = pytest.mark.browser


def test_a_visitor_searches_filters_and_pages_a_table_in_the_browser(
    live_server: Any, page: Any, live_portal: Portal
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    page.goto(base + "/opendata/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cổng dữ liệu mở")
    page.get_by_label("Tìm bộ dữ liệu").fill("ha noi")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.locator("#results-h")).to_have_text("3 bộ dữ liệu khớp “ha noi”")
    expect(page.locator("#dataset-q")).to_have_value("ha noi")

    # A facet: the results change in place (the page is not loaded again).
    page.evaluate("window.stillHere = true")
    themes = page.locator("#facet-groups")
    expect(themes.get_by_role("link", name=re.compile("^Dân cư"))).to_contain_text("2")
    themes.get_by_role("link", name=re.compile("^Dân cư")).click()
    expect(page.locator("#results-h")).to_have_text("2 bộ dữ liệu khớp “ha noi”")
    expect(page).to_have_url(re.compile(r"/opendata/dataset/\?q=ha\+noi&groups=dan-cu$"))
    expect(page.locator("#active-filters")).to_contain_text("Chủ đề: Dân cư")
    expect(page.locator("#dataset-filters input[name=groups]")).to_have_value("dan-cu")
    assert page.evaluate("window.stillHere") is True

    page.locator("#dataset-results").get_by_role("link", name="Dân số Hà Nội theo phường").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dân số Hà Nội theo phường")
    expect(page.locator("#frequency")).to_have_text("Hằng năm")

    page.locator("#resources").get_by_role("link", name="Dân số 2025", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dân số 2025")
    caption = page.locator("#preview-caption")
    expect(caption).to_have_text("Dòng 1–50 trong 120")
    resource_url = page.url

    # Paging the preview replaces the table only; the address follows.
    page.evaluate("window.stillHere = true")
    page.get_by_role("link", name="Sau 50 dòng →").click()
    expect(caption).to_have_text("Dòng 51–100 trong 120")
    expect(page.locator("#preview-table tbody tr").first.locator("td").nth(1)).to_have_text("00051")
    expect(page).to_have_url(resource_url + "?page=2")
    assert page.evaluate("window.stillHere") is True
    page.get_by_role("link", name="← Trước 50 dòng").click()
    expect(caption).to_have_text("Dòng 1–50 trong 120")
    expect(page.locator("#preview-table tbody tr")).to_have_count(50)

    # Searching the table.
    page.get_by_label("Tìm trong bảng").fill("phuong so 7")
    page.locator(".od-preview-search").get_by_role("button", name="Tìm").click()
    expect(caption).to_have_text("Dòng 1–1 trong 1 — khớp “phuong so 7”")
