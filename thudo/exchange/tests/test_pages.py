"""Pages of the exchange hub: catalogue with live search and OpenAPI viewer, member
systems, access grants decided in place (htmx); one path in a real browser."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from thudo.core.tests.factories import citizen
from thudo.exchange import credentials
from thudo.exchange.models import AccessGrant, MemberSystem
from thudo.exchange.tests.factories import grant, login, service, state, system

HTMX = {"HX-Request": "true"}


def _text(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def hub(city: Any) -> dict[str, Any]:
    provider = system(city.commune_b, "DANCU", name="Cổng dữ liệu Ngọc Hà")[0]
    consumer = system(city.commune_a, "MOTCUA", name="Một cửa Ba Đình")[0]
    lookup = service(provider, "tra-cuu-dan-cu", name="Tra cứu thông tin dân cư")
    streets = service(
        provider,
        "duong-pho",
        name="Danh mục đường phố",
        classification="public",
        upstream_url="https://duongpho.ngocha.hanoi.gov.vn/",
    )
    return {"provider": provider, "consumer": consumer, "lookup": lookup, "streets": streets}


# --- catalogue -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_catalogue_page_and_its_live_search_fragment(
    city: Any, hub: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = login(city.clerk_a)
    with django_assert_max_num_queries(8):
        page = client.get("/exchange/catalog/")
    assert page.status_code == 200
    body = _text(page)
    assert "<h1>Danh mục dịch vụ chia sẻ dữ liệu</h1>" in body
    assert 'hx-get="/exchange/catalog/"' in body
    assert "tra-cuu-dan-cu" in body and "duong-pho" in body
    fragment = client.get("/exchange/catalog/", {"q": "dan cu"}, headers=HTMX)
    assert fragment.status_code == 200
    text = _text(fragment)
    assert text.lstrip().startswith('<section id="catalog-results"')
    assert "<html" not in text
    assert "1 dịch vụ khớp “dan cu”" in text
    assert "/exchange/catalog/VN/GOV/000.02.50.H26/DANCU/tra-cuu-dan-cu/" in text
    assert "duong-pho" not in text
    public = client.get("/exchange/catalog/", {"classification": "public"}, headers=HTMX)
    assert "duong-pho" in _text(public) and "tra-cuu-dan-cu" not in _text(public)


@pytest.mark.django_db
def test_service_page_lists_operations_and_offers_the_document(
    city: Any, hub: dict[str, Any]
) -> None:
    url = "/exchange/catalog/VN/GOV/000.02.50.H26/DANCU/duong-pho/"
    reader = login(city.clerk_a).get(url)
    assert reader.status_code == 200
    body = _text(reader)
    assert "<h1>Danh mục đường phố</h1>" in body
    rows = re.findall(r'<td class="mono">(GET|POST)</td>\s*<td class="mono">([^<]+)</td>', body)
    assert rows == [
        ("POST", "/echo"),
        ("GET", "/households/{code}/members"),
        ("GET", "/people/{personal_id}"),
    ]
    assert "Thông tin một công dân" in body
    assert '<span class="mono">at</span> (query)' in body
    assert '<span class="mono">personal_id</span> (path, bắt buộc): Số định danh cá nhân' in body
    assert f'href="{url}openapi.json" download' in body
    # The upstream address is the provider's business.
    assert "duongpho.ngocha.hanoi.gov.vn" not in body
    assert "duongpho.ngocha.hanoi.gov.vn" in _text(login(city.admin_b).get(url))

    document = login(city.clerk_a).get(url + "openapi.json")
    assert document.status_code == 200
    assert document["Content-Disposition"] == (
        'attachment; filename="VN-GOV-000.02.50.H26-DANCU-duong-pho.openapi.json"'
    )
    assert json.loads(document.content) == hub["streets"].openapi
    missing = login(city.clerk_a).get("/exchange/catalog/VN/GOV/000.02.50.H26/DANCU/khong-co/")
    assert missing.status_code == 404


@pytest.mark.django_db
def test_citizens_and_anonymous_visitors_get_no_exchange_pages(city: Any) -> None:
    person = Client()
    person.force_login(citizen())
    for url in ("/exchange/catalog/", "/exchange/systems/", "/exchange/grants/"):
        assert person.get(url).status_code == 404
        anonymous = Client().get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")


# --- member systems --------------------------------------------------------------------------


@pytest.mark.django_db
def test_registering_on_the_page_shows_the_secret_once(city: Any) -> None:
    client = login(city.admin_a)
    page = client.get("/exchange/systems/")
    assert page.status_code == 200
    assert 'id="register-h"' in _text(page)
    response = client.post(
        "/exchange/systems/register/",
        {
            "agency": "000.01.50.H26",
            "member_class": "GOV",
            "code": "MOTCUA",
            "name": "Một cửa Ba Đình",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    text = _text(response)
    assert text.lstrip().startswith('<section id="systems"')
    secret = re.search(r'<code class="secret" id="new-secret">([^<]+)</code>', text)
    assert secret is not None
    stored = MemberSystem.objects.get()
    assert credentials.secret_matches(stored, secret.group(1))
    assert secret.group(1) not in _text(client.get("/exchange/systems/"))


@pytest.mark.django_db
def test_register_errors_are_shown_in_the_fragment(city: Any) -> None:
    system(city.commune_a, "MOTCUA")
    client = login(city.admin_a)
    before = state()
    fields = {"agency": "000.01.50.H26", "member_class": "GOV", "code": "MOTCUA", "name": "X"}
    duplicate = client.post("/exchange/systems/register/", fields, headers=HTMX)
    assert duplicate.status_code == 200  # htmx swaps only 2xx answers
    assert 'class="error-summary"' in _text(duplicate)
    assert "Mã hệ thống đã được dùng." in _text(duplicate)
    full_page = client.post("/exchange/systems/register/", {**fields, "code": ""})
    assert full_page.status_code == 422
    assert "<html" in _text(full_page)
    # Only agencies the official administers are offered.
    foreign = client.post("/exchange/systems/register/", {**fields, "agency": "000.02.50.H26"})
    assert foreign.status_code == 422
    assert state() == before


@pytest.mark.django_db
def test_rotate_and_revoke_in_place(city: Any) -> None:
    mine, old = system(city.commune_a, "MOTCUA")
    theirs, _ = system(city.commune_b, "MOTCUA")
    client = login(city.admin_a)
    page = _text(client.get("/exchange/systems/"))
    assert mine.identifier in page and theirs.identifier not in page
    rotated = client.post(f"/exchange/systems/{mine.identifier}/rotate/", headers=HTMX)
    secret = re.search(r'id="new-secret">([^<]+)<', _text(rotated))
    assert rotated.status_code == 200 and secret is not None
    mine.refresh_from_db()
    assert credentials.secret_matches(mine, secret.group(1))
    assert not credentials.secret_matches(mine, old)

    no_reason = client.post(
        f"/exchange/systems/{mine.identifier}/revoke/", {"reason": ""}, headers=HTMX
    )
    assert "Cần ghi lý do thu hồi hệ thống VN/GOV/000.01.50.H26/MOTCUA." in _text(no_reason)
    mine.refresh_from_db()
    assert mine.is_active
    revoked = client.post(
        f"/exchange/systems/{mine.identifier}/revoke/", {"reason": "Thay hệ thống"}, headers=HTMX
    )
    assert "Đã thu hồi hệ thống VN/GOV/000.01.50.H26/MOTCUA." in _text(revoked)
    mine.refresh_from_db()
    assert not mine.is_active

    before = state()
    assert client.post(f"/exchange/systems/{theirs.identifier}/rotate/").status_code == 404
    clerk = login(city.clerk_a).post(f"/exchange/systems/{theirs.identifier}/rotate/")
    assert clerk.status_code == 404
    refused = login(city.clerk_a).post(f"/exchange/systems/{mine.identifier}/rotate/")
    assert refused.status_code == 403
    assert "Bạn không có quyền thực hiện thao tác này." in _text(refused)
    assert state() == before


# --- access grants ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_grants_page_shows_incoming_with_actions_for_the_provider_only(
    city: Any, hub: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    pending = grant(hub["consumer"], hub["lookup"], approved=False)
    for n in range(4):  # more rows, same number of queries
        grant(system(city.commune_a, f"HT{n}")[0], hub["streets"], approved=n % 2 == 0)
    provider_side = login(city.admin_b)
    with django_assert_max_num_queries(15):
        page = provider_side.get("/exchange/grants/")
    body = _text(page)
    assert f'<tr id="grant-{pending.pk}">' in body
    assert f"/exchange/grants/{pending.pk}/approve/" in body
    assert f"/exchange/grants/{pending.pk}/refuse/" in body
    clerk = _text(login(city.clerk_b).get("/exchange/grants/"))
    assert f'<tr id="grant-{pending.pk}">' in clerk
    assert f"/exchange/grants/{pending.pk}/approve/" not in clerk
    consumer_side = _text(login(city.admin_a).get("/exchange/grants/"))
    assert f'<tr id="outgoing-{pending.pk}">' in consumer_side
    assert f'<tr id="grant-{pending.pk}">' not in consumer_side


@pytest.mark.django_db
def test_approving_and_refusing_swap_the_row(city: Any, hub: dict[str, Any]) -> None:
    pending = grant(hub["consumer"], hub["lookup"], approved=False)
    client = login(city.admin_b)
    refused_without_note = client.post(
        f"/exchange/grants/{pending.pk}/refuse/", {"note": ""}, headers=HTMX
    )
    assert refused_without_note.status_code == 200
    row = _text(refused_without_note)
    assert row.lstrip().startswith(f'<tr id="grant-{pending.pk}">')
    assert "Cần ghi rõ lý do từ chối." in row
    assert AccessGrant.objects.get().status == "requested"
    approved = client.post(
        f"/exchange/grants/{pending.pk}/approve/", {"note": "Đồng ý"}, headers=HTMX
    )
    row = _text(approved)
    assert row.lstrip().startswith(f'<tr id="grant-{pending.pk}">')
    assert f'<span class="tag" id="grant-{pending.pk}-status">Đã cấp</span>' in row
    assert f"Đã cấp quyền truy cập #{pending.pk}." in row
    assert f"/exchange/grants/{pending.pk}/revoke/" in row
    assert AccessGrant.objects.get().status == "approved"
    again = client.post(f"/exchange/grants/{pending.pk}/approve/")
    assert again.status_code == 302  # no htmx: back to the page with a message
    assert AccessGrant.objects.get().status == "approved"


@pytest.mark.django_db
def test_another_commune_cannot_decide_on_the_page(city: Any, hub: dict[str, Any]) -> None:
    pending = grant(hub["consumer"], hub["lookup"], approved=False)
    before = state()
    response = login(city.admin_a).post(f"/exchange/grants/{pending.pk}/approve/", headers=HTMX)
    assert "Bạn không có quyền thực hiện thao tác này." in _text(response)
    assert state() == before
    assert AccessGrant.objects.get().status == "requested"


@pytest.mark.django_db
def test_request_form_offers_the_services_operations(city: Any, hub: dict[str, Any]) -> None:
    client = login(city.admin_a)
    operations = client.get(
        "/exchange/grants/operations/", {"service": hub["lookup"].pk}, headers=HTMX
    )
    text = _text(operations)
    assert text.lstrip().startswith('<div id="request-operations"')
    assert re.findall(r'value="([^"]+)"', text) == [
        "POST /echo",
        "GET /households/{code}/members",
        "GET /people/{personal_id}",
    ]
    fields = {
        "consumer": hub["consumer"].identifier,
        "service": hub["lookup"].pk,
        "purpose": "Kiểm tra hồ sơ",
        "legal_basis": "Nghị định 278/2025/NĐ-CP",
        "valid_until": "2099-12-31",
    }
    missing = client.post("/exchange/grants/request/", fields)
    assert missing.status_code == 422
    assert "Chọn ít nhất một thao tác của dịch vụ cần dùng." in _text(missing)
    assert 'value="GET /people/{personal_id}"' in _text(missing)
    done = client.post(
        "/exchange/grants/request/", {**fields, "operations": ["GET /people/{personal_id}"]}
    )
    assert done.status_code == 302
    made = AccessGrant.objects.get()
    assert (made.consumer, made.service, made.operations, made.status) == (
        hub["consumer"],
        hub["lookup"],
        [{"method": "GET", "path": "/people/{personal_id}"}],
        "requested",
    )
    assert made.valid_until is not None
    assert made.valid_until == datetime(2100, 1, 1, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


# --- in a real browser -----------------------------------------------------------------------


@pytest.mark.browser
def test_provider_admin_approves_a_pending_request_in_place(
    live_server: Any, live_city: Any, page: Any
) -> None:
    provider = system(live_city.commune_b, "DANCU")[0]
    consumer = system(live_city.commune_a, "MOTCUA", name="Một cửa Ba Đình")[0]
    pending = grant(consumer, service(provider, "tra-cuu-dan-cu"), approved=False)

    page.goto(live_server.url + "/accounts/login/?next=/exchange/grants/")
    page.get_by_label("Tên đăng nhập").fill("admin.b")
    page.get_by_label("Mật khẩu").fill("correct horse battery")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("heading", name="Yêu cầu đến dịch vụ của cơ quan tôi").wait_for()

    row = page.locator(f"#grant-{pending.pk}")
    assert "Một cửa Ba Đình" in row.inner_text()
    assert row.locator(f"#grant-{pending.pk}-status").inner_text() == "Đang chờ duyệt"
    url_before = page.url
    row.get_by_label(f"Ghi chú cho yêu cầu #{pending.pk}").fill("Đồng ý cấp")
    row.get_by_role("button", name=f"Duyệt yêu cầu #{pending.pk}").click()

    page.get_by_text(f"Đã cấp quyền truy cập #{pending.pk}.").wait_for()
    assert page.url == url_before  # swapped in place by htmx, no page load
    assert page.locator(f"#grant-{pending.pk}-status").inner_text() == "Đã cấp"
    stored = AccessGrant.objects.get(pk=pending.pk)
    assert (stored.status, stored.decision_note, stored.decided_by) == (
        "approved",
        "Đồng ý cấp",
        live_city.admin_b,
    )
