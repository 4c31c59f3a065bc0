"""The service catalogue (danh mục dịch vụ): publishing with an OpenAPI document, updating,
withdrawing, searching without accents."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from thudo.core.errors import Conflict, InvalidInput, PermissionDenied
from thudo.core.models import AuditEvent
from thudo.exchange import openapi, selectors, services, snapshot
from thudo.exchange.models import MemberSystem, Service
from thudo.exchange.tests.factories import login, openapi_document, service, state, system

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(city: Any) -> MemberSystem:
    return system(city.commune_a, "HOTICH", name="Hệ thống hộ tịch Ba Đình")[0]


def publish(provider: MemberSystem, actor: Any = None, **overrides: Any) -> Service:
    fields: dict[str, Any] = {
        "code": "tra-cuu-dan-cu",
        "version": "1",
        "name": "Tra cứu thông tin dân cư",
        "description": "Thông tin công dân theo số định danh",
        "upstream_url": "https://hotich.badinh.hanoi.gov.vn/api/",
        "openapi": openapi_document(),
        "classification": "personal",
        "legal_basis": "Nghị định 278/2025/NĐ-CP",
        "owner": "Phòng Văn hóa - Xã hội",
    }
    return services.service_publish(actor=actor, provider=provider, **{**fields, **overrides})


def test_publishing_stores_the_document_and_a_folded_search_text(
    city: Any, provider: MemberSystem
) -> None:
    version = snapshot.current_version()
    published = publish(provider, actor=city.admin_a, code=" Tra-Cuu-Dan-Cu ")
    stored = Service.objects.get()
    assert (stored.code, stored.provider, stored.is_active) == ("tra-cuu-dan-cu", provider, True)
    assert stored.openapi == openapi_document()
    assert stored.search_text == (
        "tra-cuu-dan-cu tra cuu thong tin dan cu thong tin cong dan theo so dinh danh "
        "he thong ho tich ba dinh vn/gov/000.01.50.h26/hotich uy ban nhan dan phuong ba dinh"
    )
    assert [op.key for op in openapi.operations(published.openapi)] == [
        "POST /echo",
        "GET /households/{code}/members",
        "GET /people/{personal_id}",
    ]
    assert snapshot.current_version() == version + 1
    info = snapshot.load().services[(provider.identifier, "tra-cuu-dan-cu")]
    assert (info.upstream_url, info.personal, info.active) == (
        "https://hotich.badinh.hanoi.gov.vn/api",
        True,
        True,
    )
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.object_id, event.agency) == (
        "exchange.service.publish",
        "VN/GOV/000.01.50.H26/HOTICH/tra-cuu-dan-cu",
        city.commune_a,
    )
    assert event.payload["operations"] == [
        "POST /echo",
        "GET /households/{code}/members",
        "GET /people/{personal_id}",
    ]


def test_documents_may_come_as_json_or_yaml_text(provider: MemberSystem) -> None:
    as_json = publish(provider, code="json-text", openapi=json.dumps(openapi_document()))
    assert as_json.openapi == openapi_document()
    yaml_text = (
        "openapi: 3.1.0\n"
        "info: {title: Hộ tịch, version: 2025-07-01}\n"
        "paths:\n"
        "  /births/{id}:\n"
        "    get:\n"
        "      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n"
        "      responses:\n"
        "        200: {description: Giấy khai sinh}\n"
    )
    as_yaml = publish(provider, code="yaml-text", openapi=yaml_text)
    # Dates stay text and response codes become strings, as in JSON.
    assert as_yaml.openapi["info"] == {"title": "Hộ tịch", "version": "2025-07-01"}
    responses = as_yaml.openapi["paths"]["/births/{id}"]["get"]["responses"]
    assert responses == {"200": {"description": "Giấy khai sinh"}}


def _broken(change: Any) -> dict[str, Any]:
    document = openapi_document()
    change(document)
    return document


@pytest.mark.parametrize(
    ("document", "errors"),
    [
        (
            _broken(lambda d: d["info"].pop("version")),
            [("invalid_openapi", 'info: "version" is a required property')],
        ),
        (
            _broken(lambda d: d["paths"]["/echo"]["post"]["responses"].update({"200": {}})),
            [
                (
                    "invalid_openapi",
                    'paths › /echo › post › responses › 200: "description" is a required property',
                )
            ],
        ),
        (
            _broken(lambda d: d.update({"openapi": "2.0"})),
            [
                (
                    "unsupported_version",
                    "Chỉ nhận tài liệu OpenAPI 3.0, 3.1 hoặc 3.2 (trường 'openapi').",
                )
            ],
        ),
        (
            _broken(
                lambda d: d["paths"]["/echo"]["post"]["responses"].update(
                    {"200": {"$ref": "https://evil.example/r.json"}}
                )
            ),
            [
                (
                    "external_ref",
                    "paths › /echo › post › responses › 200: "
                    "chỉ được tham chiếu ($ref) trong cùng tài liệu.",
                )
            ],
        ),
        (
            _broken(
                lambda d: d["paths"]["/echo"]["post"]["responses"].update(
                    {"200": {"$ref": "#/components/responses/Missing"}}
                )
            ),
            [
                (
                    "unresolvable_ref",
                    "paths › /echo › post › responses › 200: "
                    "không tìm thấy #/components/responses/Missing.",
                )
            ],
        ),
        (
            _broken(lambda d: d.update({"paths": {}})),
            [("no_operations", "Tài liệu OpenAPI phải có ít nhất một thao tác (paths).")],
        ),
        ("{không phải json", [("not_json_or_yaml", None)]),
        ("[1, 2]", [("not_an_object", "Tài liệu OpenAPI phải là một đối tượng.")]),
        ("  ", [("required", "Tài liệu OpenAPI là bắt buộc.")]),
    ],
)
def test_invalid_documents_are_refused_naming_what_is_wrong(
    provider: MemberSystem, document: Any, errors: list[tuple[str, str | None]]
) -> None:
    before = state()
    with pytest.raises(InvalidInput) as caught:
        publish(provider, openapi=document)
    found = [(e.field, e.code, e.message) for e in caught.value.field_errors]
    assert [(f, c) for f, c, _m in found] == [("openapi", code) for code, _msg in errors]
    for (_f, _c, message), (_code, expected) in zip(found, errors, strict=True):
        if expected is not None:
            assert message == expected
    assert state() == before


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://hotich.badinh.vn/",
        "http://user:secret@hotich.badinh.vn/",
        "https://hotich.badinh.vn/api#part",
        "https:///api",
        "javascript:alert(1)",
        "http://hotich.badinh.vn:99999/",
        "http://hotich badinh.vn/",
    ],
)
def test_upstream_url_must_be_plain_http_with_a_host(provider: MemberSystem, url: str) -> None:
    before = state()
    with pytest.raises(InvalidInput) as caught:
        publish(provider, upstream_url=url)
    assert [e.field for e in caught.value.field_errors] == ["upstream_url"]
    assert state() == before


def test_every_field_problem_is_reported_together(provider: MemberSystem) -> None:
    with pytest.raises(InvalidInput) as caught:
        publish(
            provider,
            code="Tra Cứu",
            name="",
            upstream_url="ftp://x",
            classification="secret",
            openapi="[]",
        )
    assert [(e.field, e.code) for e in caught.value.field_errors] == [
        ("code", "invalid"),
        ("name", "required"),
        ("upstream_url", "invalid"),
        ("openapi", "not_an_object"),
        ("classification", "invalid_choice"),
    ]


def test_a_code_is_published_once_per_provider(city: Any, provider: MemberSystem) -> None:
    publish(provider)
    before = state()
    with pytest.raises(Conflict):
        publish(provider, name="Bản khác")
    assert state() == before
    other = system(city.commune_b, "HOTICH")[0]
    assert publish(other).provider == other


def test_another_communes_administrator_cannot_publish_update_or_withdraw(
    city: Any, provider: MemberSystem
) -> None:
    published = publish(provider)
    before = state()
    with pytest.raises(PermissionDenied):
        publish(provider, actor=city.admin_b, code="khac")
    with pytest.raises(PermissionDenied):
        services.service_update(actor=city.admin_b, service=published, name="Đổi tên")
    with pytest.raises(PermissionDenied):
        services.service_withdraw(actor=city.clerk_a, service=published)
    assert state() == before
    assert Service.objects.get().name == "Tra cứu thông tin dân cư"


def test_update_changes_what_is_given_and_the_search_text(
    city: Any, provider: MemberSystem
) -> None:
    published = publish(provider)
    version = snapshot.current_version()
    document = openapi_document()
    del document["paths"]["/echo"]
    updated = services.service_update(
        actor=city.admin_a, service=published, name="Tra cứu hộ tịch", openapi=document, version="2"
    )
    stored = Service.objects.get()
    assert (stored.name, stored.version, stored.classification) == (
        "Tra cứu hộ tịch",
        "2",
        "personal",
    )
    assert stored.search_text.startswith("tra-cuu-dan-cu tra cuu ho tich ")
    assert [op.key for op in openapi.operations(updated.openapi)] == [
        "GET /households/{code}/members",
        "GET /people/{personal_id}",
    ]
    assert snapshot.current_version() == version + 1
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.payload) == (
        "exchange.service.update",
        {"changed": ["name", "openapi", "version"], "version": "2"},
    )
    with pytest.raises(InvalidInput):
        services.service_update(actor=city.admin_a, service=stored, upstream_url="ftp://x")


def test_withdrawn_services_leave_the_catalogue(city: Any, provider: MemberSystem) -> None:
    published = publish(provider)
    version = snapshot.current_version()
    services.service_withdraw(actor=city.admin_a, service=published)
    assert Service.objects.get().is_active is False
    assert list(selectors.catalogue_list()) == []
    assert snapshot.current_version() == version + 1
    assert snapshot.load().services[(provider.identifier, published.code)].active is False
    before = state()
    with pytest.raises(Conflict):
        services.service_withdraw(actor=city.admin_a, service=published)
    with pytest.raises(Conflict):
        services.service_update(actor=city.admin_a, service=published, name="Mới")
    assert state() == before


def test_search_ignores_accents_and_case(city: Any, provider: MemberSystem) -> None:
    publish(provider)
    service(provider, "duong-pho", name="Tên Đường Hà Nội", classification="public")
    business = system(city.justice, "DKDN", name="Đăng ký doanh nghiệp")[0]
    service(business, "doanh-nghiep", name="Thông tin doanh nghiệp", classification="internal")

    def found(q: str, **filters: Any) -> list[str]:
        return [s.code for s in selectors.catalogue_list(q=q, **filters)]

    assert found("dan cu") == ["tra-cuu-dan-cu"]
    assert found("DÂN CƯ") == ["tra-cuu-dan-cu"]
    assert found("duong ha noi") == ["duong-pho"]
    assert found("Đường") == ["duong-pho"]
    assert found("doanh nghiep") == ["doanh-nghiep"]
    assert found("ba dinh") == ["duong-pho", "tra-cuu-dan-cu"]
    assert found("ba dinh", classification="public") == ["duong-pho"]
    assert found("ho tich khong co") == []
    assert found("100%_") == []


def test_api_catalogue_detail_and_document(city: Any, provider: MemberSystem) -> None:
    publish(provider)
    client = login(city.clerk_b)
    listed = client.get("/api/v1/exchange/catalog", {"q": "dân cư"})
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    item = listed.json()["items"][0]
    assert (item["provider"], item["code"], item["classification"]) == (
        "VN/GOV/000.01.50.H26/HOTICH",
        "tra-cuu-dan-cu",
        "personal",
    )
    assert "upstream_url" not in item
    detail = client.get("/api/v1/exchange/catalog/VN/GOV/000.01.50.H26/HOTICH/tra-cuu-dan-cu")
    assert detail.status_code == 200
    assert [(op["method"], op["path"]) for op in detail.json()["operations"]] == [
        ("POST", "/echo"),
        ("GET", "/households/{code}/members"),
        ("GET", "/people/{personal_id}"),
    ]
    assert detail.json()["operations"][1]["parameters"] == [
        {"name": "code", "location": "path", "required": True, "description": ""},
        {"name": "at", "location": "query", "required": False, "description": ""},
    ]
    document = client.get(
        "/api/v1/exchange/catalog/VN/GOV/000.01.50.H26/HOTICH/tra-cuu-dan-cu/openapi"
    )
    assert document.status_code == 200
    assert document.json() == openapi_document()
    missing = client.get("/api/v1/exchange/catalog/VN/GOV/000.01.50.H26/HOTICH/khong-co")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_api_publish_update_withdraw(city: Any, provider: MemberSystem) -> None:
    client = login(city.admin_a)
    payload = {
        "provider": provider.identifier,
        "code": "tra-cuu-dan-cu",
        "name": "Tra cứu thông tin dân cư",
        "upstream_url": "https://hotich.badinh.hanoi.gov.vn/api",
        "openapi": openapi_document(),
        "classification": "personal",
        "legal_basis": "Nghị định 278/2025/NĐ-CP",
    }
    invalid = client.post(
        "/api/v1/exchange/services",
        {**payload, "openapi": {"openapi": "3.1.0", "info": {"title": "x"}, "paths": {}}},
        content_type="application/json",
    )
    assert invalid.status_code == 422
    assert invalid["Content-Type"] == "application/problem+json"
    assert invalid.json()["errors"] == [
        {
            "field": "openapi",
            "code": "invalid_openapi",
            "message": 'info: "version" is a required property',
        }
    ]
    created = client.post("/api/v1/exchange/services", payload, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["upstream_url"] == "https://hotich.badinh.hanoi.gov.vn/api"
    url = f"/api/v1/exchange/services/{provider.identifier}/tra-cuu-dan-cu"
    patched = client.patch(url, {"owner": "Phòng Tư pháp"}, content_type="application/json")
    assert (patched.status_code, patched.json()["owner"]) == (200, "Phòng Tư pháp")
    foreign = login(city.admin_b).post(url + "/withdraw")
    assert (foreign.status_code, foreign.json()["code"]) == (403, "permission_denied")
    withdrawn = client.post(url + "/withdraw")
    assert (withdrawn.status_code, withdrawn.json()["is_active"]) == (200, False)
    assert login(city.clerk_b).get(url.replace("/services/", "/catalog/")).status_code == 404


def test_operator_publishes_from_a_yaml_file(provider: MemberSystem, tmp_path: Path) -> None:
    spec = tmp_path / "ho-tich.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: Hộ tịch, version: '1'}\n"
        "paths:\n  /births:\n    get:\n      responses:\n        '200': {description: ok}\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command(
        "exchange",
        "service",
        "publish",
        "--provider",
        provider.identifier,
        "--code",
        "khai-sinh",
        "--name",
        "Khai sinh",
        "--upstream-url",
        "http://127.0.0.1:8100/",
        "--openapi",
        str(spec),
        "--classification",
        "personal",
        stdout=out,
    )
    assert out.getvalue().strip() == f"published {provider.identifier}/khai-sinh (1 operations)"
    assert Service.objects.get().openapi["info"]["title"] == "Hộ tịch"
