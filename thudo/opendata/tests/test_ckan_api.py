"""The CKAN Action API, through the real ``ckanapi`` client against a live server and
through Django's test client for the exact envelopes and status codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import ckanapi
import pytest
from django.test import Client

from thudo.core.auth import API_TOKEN_PREFIX, hash_token
from thudo.core.models import ApiToken, AuditEvent, Role
from thudo.core.tests.factories import City, official
from thudo.opendata import services
from thudo.opendata.models import Dataset, Resource

POPULATION = (
    "Mã đơn vị;Tên đơn vị;Dân số\r\n"
    + "".join(f"{n:05d};Phường số {n};{1000 + n}\r\n" for n in range(1, 121))
    + "00999;Dòng thiếu\r\n"
).encode("utf-8-sig")


def _token(user: Any, name: str = "ckan") -> str:
    secret = f"{API_TOKEN_PREFIX}{name[:8]:0<8}_{'x' * 40}"
    ApiToken.objects.create(user=user, name=name, prefix=name[:8], token_hash=hash_token(secret))
    return secret


class Portal:
    """A small portal: two publishers, themes, three public datasets (one with a loaded
    table), a private one."""

    def __init__(self) -> None:
        self.city = City()
        self.leader = official(self.city.justice, role=Role.LEADER, username="giamdoc.stp")
        self.editor = official(self.city.justice, role=Role.SPECIALIST, username="chuyenvien.stp")
        self.justice = services.organization_ensure(
            actor=None, agency=self.city.justice, name="so-tu-phap"
        )
        self.committee = services.organization_ensure(
            actor=None, agency=self.city.city_pc, name="ubnd-thanh-pho"
        )
        services.group_create(actor=None, name="dan-cu", title="Dân cư", eu_theme="SOCI")
        services.group_create(actor=None, name="giao-thong", title="Giao thông", eu_theme="TRAN")
        self.population = services.dataset_create(
            actor=None,
            data={
                "name": "dan-so-ha-noi",
                "title": "Dân số Hà Nội theo phường",
                "owner_org": "ubnd-thanh-pho",
                "notes": "Dân số từng phường của Thành phố Hà Nội.",
                "tags": ["dân số", "thống kê"],
                "groups": [{"name": "dan-cu"}],
                "frequency": "annual",
                "spatial": ["01"],
            },
        )
        self.table = services.resource_create(
            actor=None,
            dataset=self.population,
            data={"name": "Dân số 2025"},
            upload=("dan-so.csv", POPULATION),
        )
        assert services.datastore_load_run(actor=None, resource_id=str(self.table.pk)) == "complete"
        self.civil = services.dataset_create(
            actor=None,
            data={
                "name": "ho-tich",
                "title": "Đăng ký hộ tịch",
                "owner_org": "so-tu-phap",
                "notes": "Khai sinh, kết hôn theo tháng.",
                "tags": ["hộ tịch", "dân số"],
                "groups": [{"name": "dan-cu"}],
                "license_id": "cc-zero",
                "resources": [{"url": "https://example.org/ho-tich.json", "format": "JSON"}],
            },
        )
        self.buses = services.dataset_create(
            actor=None,
            data={
                "name": "tuyen-xe-buyt",
                "title": "Tuyến xe buýt",
                "owner_org": "ubnd-thanh-pho",
                "tags": ["giao thông"],
                "groups": [{"name": "giao-thong"}],
            },
        )
        self.private = services.dataset_create(
            actor=None,
            data={
                "name": "dat-dai-noi-bo",
                "title": "Đất đai nội bộ",
                "owner_org": "so-tu-phap",
                "private": True,
                "tags": ["dân số"],
            },
        )


@pytest.fixture
def portal(db: None) -> Portal:
    return Portal()


@pytest.fixture
def live_portal(transactional_db: None) -> Portal:
    return Portal()


def _call(
    client: Client, action: str, *, token: str = "", method: str = "get", **params: Any
) -> tuple[int, dict[str, Any]]:
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": token} if token else {}
    url = f"/opendata/api/3/action/{action}"
    if method == "get":
        response = client.get(url, params, **headers)
    else:
        response = client.post(url, json.dumps(params), content_type="application/json", **headers)
    return response.status_code, response.json()


# --- through the real ckanapi client ---------------------------------------------------------


def test_ckanapi_client_reads_and_writes_against_a_live_server(
    live_server: Any, live_portal: Portal
) -> None:
    site = ckanapi.RemoteCKAN(f"{live_server.url}/opendata", user_agent="thudo-tests")
    assert site.action.status_show()["ckan_version"].startswith("2.")
    assert site.action.site_read() is True
    assert site.action.package_list() == ["dan-so-ha-noi", "ho-tich", "tuyen-xe-buyt"]
    found = site.action.package_search(q="ha noi", **{"facet.field": ["organization", "tags"]})
    # The title hit ranks above the dataset whose publisher is the city ("… Hà Nội").
    assert [p["name"] for p in found["results"]] == ["dan-so-ha-noi", "tuyen-xe-buyt"]
    assert found["facets"]["tags"] == {"dân số": 1, "giao thông": 1, "thống kê": 1}
    assert found["facets"]["organization"] == {"ubnd-thanh-pho": 2}
    everyone = site.action.package_search(q="dan so", fq='organization:"so-tu-phap"')
    assert [p["name"] for p in everyone["results"]] == ["ho-tich"]
    assert site.action.organization_list() == ["so-tu-phap", "ubnd-thanh-pho"]
    assert site.action.group_show(id="dan-cu")["package_count"] == 2
    assert "giao thông" in site.action.tag_list()
    assert [lic["id"] for lic in site.action.license_list()][:2] == ["cc-by-4.0", "cc-by-sa-4.0"]
    table = site.action.datastore_search(
        resource_id=str(live_portal.table.pk), limit=50, offset=100
    )
    assert table["total"] == 120
    assert [r["Dân số"] for r in table["records"]][:3] == [1101, 1102, 1103]
    assert len(table["records"]) == 20
    summed = site.action.datastore_search_sql(
        sql=f'SELECT count(*) AS n, sum("Dân số") AS total FROM "{live_portal.table.pk}"'
    )
    assert summed["records"] == [{"n": 120, "total": sum(1000 + n for n in range(1, 121))}]
    with pytest.raises(ckanapi.NotFound):
        site.action.package_show(id="khong-co")
    with pytest.raises(ckanapi.NotFound):
        site.action.package_show(id="dat-dai-noi-bo")
    with pytest.raises(ckanapi.SearchQueryError):
        site.action.package_search(fq="organization:(a OR b)")
    with pytest.raises(ckanapi.ValidationError):
        site.action.datastore_search_sql(sql="DROP TABLE core_user")
    with pytest.raises(ckanapi.NotAuthorized):
        site.action.package_create(name="khong-khoa", owner_org="so-tu-phap")

    publisher = ckanapi.RemoteCKAN(f"{live_server.url}/opendata", apikey=_token(live_portal.leader))
    created = publisher.action.package_create(
        name="bao-cao-tu-phap",
        title="Báo cáo tư pháp",
        owner_org="so-tu-phap",
        tags=[{"name": "tư pháp"}],
    )
    assert created["organization"]["name"] == "so-tu-phap"
    assert created["revision"] == 1
    patched = publisher.action.package_patch(id="bao-cao-tu-phap", notes="Số liệu năm 2025")
    assert (patched["notes"], patched["revision"]) == ("Số liệu năm 2025", 2)
    assert publisher.action.package_show(id="bao-cao-tu-phap", revision=1)["notes"] == ""
    with pytest.raises(ckanapi.ValidationError) as duplicate:
        publisher.action.package_create(name="bao-cao-tu-phap", owner_org="so-tu-phap")
    assert duplicate.value.error_dict["name"] == ["Tên định danh này đã được dùng."]
    content = "Năm,Số vụ\r\n2024,10\r\n2025,12\r\n".encode()
    upload = publisher.action.resource_create(
        package_id="bao-cao-tu-phap", name="Bảng", upload=("bang.csv", io.BytesIO(content))
    )
    assert (upload["format"], upload["size"], upload["url_type"]) == ("CSV", len(content), "upload")
    store = publisher.action.datastore_create(
        resource={"package_id": "bao-cao-tu-phap", "name": "Theo quận"},
        fields=[{"id": "Mã", "type": "text"}, {"id": "Số vụ", "type": "int"}],
        primary_key=["Mã"],
        records=[{"Mã": "A", "Số vụ": 1}, {"Mã": "B", "Số vụ": 2}],
    )
    publisher.action.datastore_upsert(
        resource_id=store["resource_id"], records=[{"Mã": "B", "Số vụ": 5}, {"Mã": "C", "Số vụ": 7}]
    )
    rows = site.action.datastore_search(resource_id=store["resource_id"], sort="Mã asc")["records"]
    assert [(r["Mã"], r["Số vụ"]) for r in rows] == [("A", 1), ("B", 5), ("C", 7)]


def test_ckanapi_command_line_searches_the_portal(live_server: Any, live_portal: Portal) -> None:
    tool = Path(sys.executable).with_name("ckanapi")
    done = subprocess.run(
        [str(tool), "action", "package_search", "-r", f"{live_server.url}/opendata", "q=dan"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout)
    # "dan" is a word of "dân số" and of the city's committee, "Ủy ban nhân dân".
    assert result["count"] == 3
    assert result["results"][0]["name"] == "dan-so-ha-noi"


# --- envelopes and errors, exactly ------------------------------------------------------------


def test_success_envelope_carries_help_and_result(portal: Portal, api_client: Client) -> None:
    status, body = _call(api_client, "package_show", id="dan-so-ha-noi")
    assert status == 200
    assert body["success"] is True
    assert body["help"] == "http://testserver/opendata/api/3/action/help_show?name=package_show"
    record = body["result"]
    assert record["title"] == "Dân số Hà Nội theo phường"
    assert record["num_resources"] == 1
    assert record["resources"][0]["datastore_active"] is True
    assert record["spatial"] == [{"code": "01", "name": "Thành phố Hà Nội"}]


def test_unknown_ids_give_ckans_not_found(portal: Portal, api_client: Client) -> None:
    for action, params in [
        ("package_show", {"id": "khong-co"}),
        ("resource_show", {"id": "00000000-0000-0000-0000-000000000000"}),
        ("organization_show", {"id": "khong-co"}),
        ("datastore_search", {"resource_id": "khong-phai-uuid"}),
    ]:
        status, body = _call(api_client, action, **params)
        assert status == 404, action
        assert body["success"] is False
        assert body["error"]["__type"] == "Not Found Error"


def test_unknown_action_and_bad_json(portal: Portal, api_client: Client) -> None:
    status, body = _call(api_client, "package_explode")
    assert status == 400
    assert body["error"]["message"] == "Bad request - Action name not known: package_explode"
    response = api_client.post(
        "/opendata/api/3/action/package_search", "{nope", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["__type"] == "Bad request"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"fq": "organization:(a OR b)"}, "fq"),
        ({"fq": "colour:blue"}, "fq"),
        ({"fq": 'tags:"unterminated'}, "fq"),
        ({"sort": "name sideways"}, "sort"),
        ({"sort": "password asc"}, "sort"),
    ],
)
def test_malformed_search_parameters_are_search_query_errors(
    portal: Portal, api_client: Client, params: dict[str, str], field: str
) -> None:
    status, body = _call(api_client, "package_search", **params)
    assert status == 409
    assert body["error"]["__type"] == "Search Query Error"


def test_rows_out_of_range_is_a_validation_error(portal: Portal, api_client: Client) -> None:
    status, body = _call(api_client, "package_search", rows="5000")
    assert status == 409
    assert body["error"]["__type"] == "Validation Error"
    assert "rows" in body["error"]


def test_search_is_accent_insensitive_ranked_and_faceted(
    portal: Portal, api_client: Client
) -> None:
    status, body = _call(
        api_client,
        "package_search",
        q="DÂN SỐ",
        **{"facet.field": '["organization","groups","res_format","license_id"]'},
    )
    result = body["result"]
    assert status == 200
    assert [p["name"] for p in result["results"]] == ["dan-so-ha-noi", "ho-tich"]
    assert result["facets"]["organization"] == {"so-tu-phap": 1, "ubnd-thanh-pho": 1}
    assert result["facets"]["res_format"] == {"CSV": 1, "JSON": 1}
    assert result["facets"]["license_id"] == {"cc-by-4.0": 1, "cc-zero": 1}
    items = result["search_facets"]["organization"]["items"]
    assert {i["display_name"] for i in items} == {"Sở Tư pháp", "Ủy ban nhân dân Thành phố Hà Nội"}
    _status, negated = _call(api_client, "package_search", q="dan so", fq="-tags:thống\\ kê")
    assert [p["name"] for p in negated["result"]["results"]] == ["ho-tich"]


def test_private_datasets_only_for_their_editors(portal: Portal, api_client: Client) -> None:
    _s, anonymous = _call(api_client, "package_search", q="dan so", include_private="true")
    assert anonymous["result"]["count"] == 2
    token = _token(portal.editor)
    _s, editor = _call(
        api_client, "package_search", q="dan so", include_private="true", token=token
    )
    assert editor["result"]["count"] == 3
    _s, shown = _call(api_client, "package_show", id="dat-dai-noi-bo", token=token)
    assert shown["result"]["private"] is True


def test_writes_need_a_token_and_post(portal: Portal, api_client: Client) -> None:
    before = Dataset.objects.count()
    status, body = _call(
        api_client, "package_create", method="post", name="moi", owner_org="so-tu-phap"
    )
    assert (status, body["error"]["__type"]) == (403, "Authorization Error")
    status, body = _call(
        api_client,
        "package_create",
        name="moi",
        owner_org="so-tu-phap",
        token=_token(portal.leader),
    )
    assert status == 400
    status, body = _call(
        api_client,
        "package_create",
        method="post",
        name="moi",
        owner_org="so-tu-phap",
        token="thd_sai",
    )
    assert (status, body["error"]["__type"]) == (403, "Authorization Error")
    assert Dataset.objects.count() == before


def test_an_editor_may_keep_drafts_but_not_publish(portal: Portal, api_client: Client) -> None:
    token = _token(portal.editor)
    status, body = _call(
        api_client,
        "package_create",
        method="post",
        token=token,
        name="cong-khai",
        owner_org="so-tu-phap",
    )
    assert (status, body["error"]["__type"]) == (403, "Authorization Error")
    status, body = _call(
        api_client,
        "package_create",
        method="post",
        token=token,
        name="ban-nhap",
        owner_org="so-tu-phap",
        state="draft",
    )
    assert status == 200
    assert body["result"]["state"] == "draft"
    _s, other = _call(
        api_client,
        "package_create",
        method="post",
        token=token,
        name="cua-ubnd",
        owner_org="ubnd-thanh-pho",
        state="draft",
    )
    assert other["error"]["__type"] == "Authorization Error"


def test_validation_errors_name_every_field_and_create_nothing(
    portal: Portal, api_client: Client
) -> None:
    before = (Dataset.objects.count(), AuditEvent.objects.count())
    status, body = _call(
        api_client,
        "package_create",
        method="post",
        token=_token(portal.leader),
        name="Tên Sai!",
        owner_org="khong-co",
        license_id="gpl",
        maintainer_email="khong-phai-email",
        temporal_start="2025-12-31",
        temporal_end="2025-01-01",
        spatial=["99999"],
        frequency="hourly",
    )
    assert status == 409
    error = body["error"]
    assert error["__type"] == "Validation Error"
    assert set(error) >= {
        "name",
        "owner_org",
        "license_id",
        "maintainer_email",
        "temporal_end",
        "spatial",
        "frequency",
    }
    assert (Dataset.objects.count(), AuditEvent.objects.count()) == before


def test_patch_keeps_every_version_readable(portal: Portal, api_client: Client) -> None:
    token = _token(portal.leader)
    _call(
        api_client, "package_patch", method="post", token=token, id="ho-tich", title="Hộ tịch (sửa)"
    )
    _s, versions = _call(api_client, "package_activity_list", id="ho-tich")
    assert [v["revision"] for v in versions["result"]] == [2, 1]
    _s, old = _call(api_client, "package_show", id="ho-tich", revision="1")
    assert old["result"]["title"] == "Đăng ký hộ tịch"
    _s, missing = _call(api_client, "package_show", id="ho-tich", revision="9")
    assert missing["error"]["__type"] == "Not Found Error"


def test_datastore_search_filters_q_sort_fields(portal: Portal, api_client: Client) -> None:
    rid = str(portal.table.pk)
    _s, body = _call(
        api_client, "datastore_search", resource_id=rid, filters='{"Mã đơn vị": "00007"}'
    )
    assert [r["Tên đơn vị"] for r in body["result"]["records"]] == ["Phường số 7"]
    _s, body = _call(
        api_client, "datastore_search", resource_id=rid, q="phuong so 12", fields="Mã đơn vị,Dân số"
    )
    assert body["result"]["records"] == [{"Mã đơn vị": "00012", "Dân số": 1012}]
    assert body["result"]["fields"] == [
        {"id": "Mã đơn vị", "type": "text"},
        {"id": "Dân số", "type": "int"},
    ]
    _s, body = _call(api_client, "datastore_search", resource_id=rid, sort="Dân số desc", limit="2")
    assert [r["_id"] for r in body["result"]["records"]] == [120, 119]
    for params in (
        {"filters": '{"màu": "x"}'},
        {"sort": "màu asc"},
        {"limit": "-1"},
        {"fields": "màu"},
        {"filters": '{"Dân số": "nhiều"}'},
    ):
        status, err = _call(api_client, "datastore_search", resource_id=rid, **params)
        assert (status, err["error"]["__type"]) == (409, "Validation Error"), params


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE opendata_dataset",
        "SELECT * FROM core_user",
        "SELECT 1; DELETE FROM opendata_dataset",
        "SELECT * FROM pg_catalog.pg_tables",
        "SELECT * FROM sqlite_master",
        "UPDATE opendata_dataset SET title = 'x'",
    ],
)
def test_datastore_sql_refuses_anything_but_select_on_tables(
    portal: Portal, api_client: Client, sql: str
) -> None:
    before = Dataset.objects.values_list("title", flat=True).order_by("name")
    titles = list(before)
    status, body = _call(api_client, "datastore_search_sql", sql=sql)
    assert (status, body["error"]["__type"]) == (409, "Validation Error")
    assert list(Dataset.objects.values_list("title", flat=True).order_by("name")) == titles


def test_datastore_upsert_is_all_or_nothing(portal: Portal, api_client: Client) -> None:
    token = _token(portal.leader)
    _s, made = _call(
        api_client,
        "datastore_create",
        method="post",
        token=token,
        resource={"package_id": "ho-tich", "name": "Theo tháng"},
        fields=[{"id": "Tháng", "type": "date"}, {"id": "Khai sinh", "type": "int"}],
        primary_key="Tháng",
        records=[{"Tháng": "2025-01-01", "Khai sinh": 10}],
    )
    rid = made["result"]["resource_id"]
    status, body = _call(
        api_client,
        "datastore_upsert",
        method="post",
        token=token,
        resource_id=rid,
        records=[
            {"Tháng": "2025-02-01", "Khai sinh": 11},
            {"Tháng": "không phải ngày", "Khai sinh": 1},
        ],
    )
    assert (status, body["error"]["__type"]) == (409, "Validation Error")
    _s, rows = _call(api_client, "datastore_search", resource_id=rid)
    assert [(r["Tháng"], r["Khai sinh"]) for r in rows["result"]["records"]] == [("2025-01-01", 10)]
    assert Resource.objects.get(pk=rid).dataset.revision == 2


def test_oversized_upload_is_refused(portal: Portal, api_client: Client, settings: Any) -> None:
    settings.OPENDATA_MAX_UPLOAD_BYTES = 10
    before = Resource.objects.count()
    response = api_client.post(
        "/opendata/api/3/action/resource_create",
        {"package_id": "ho-tich", "upload": _file("lon.csv", b"a,b\r\n1,2\r\n3,4\r\n")},
        HTTP_AUTHORIZATION=_token(portal.leader),
    )
    assert response.status_code == 409
    assert "upload" in response.json()["error"]
    assert Resource.objects.count() == before


def _file(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_api_root_says_version_3(api_client: Client, db: None) -> None:
    assert api_client.get("/opendata/api/3").json() == {"version": 3}


def test_package_search_costs_the_same_queries_for_more_results(
    portal: Portal, api_client: Client, django_assert_num_queries: Any
) -> None:
    params = {"q": "dan so", "rows": "50", "facet.field": '["organization","groups","tags"]'}
    _call(api_client, "package_search", **params)  # warm the session and caches
    with django_assert_num_queries(10) as few:
        _call(api_client, "package_search", **params)
    for n in range(15):
        services.dataset_create(
            actor=None,
            data={"name": f"dan-so-{n}", "owner_org": "so-tu-phap", "tags": [f"dân số {n}"],
                  "groups": [{"name": "dan-cu"}], "spatial": ["01"],
                  "resources": [{"url": f"https://example.org/{n}.csv"}]},
        )  # fmt: skip
    with django_assert_num_queries(len(few.captured_queries)):
        _s, body = _call(api_client, "package_search", **params)
    assert body["result"]["count"] == 17
