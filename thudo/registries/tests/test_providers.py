"""The national databases as provider systems: what they answer, and to whom."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, date, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import ECKey
from openapi_spec_validator import validate

from thudo.core.identifiers import tax_check_digit
from thudo.registries import facade
from thudo.registries.api import business_api, govreport_api, population_api
from thudo.registries.models import Business, Person
from thudo.registries.services import population_generate
from thudo.registries.tests.factories import (
    assertion_headers,
    business,
    household,
    person,
)

pytestmark = pytest.mark.django_db

PEOPLE = "/registries/population/v1/people"
BUSINESSES = "/registries/business/v1/businesses"
HEAD, WIFE, SON, DAUGHTER = "001085012345", "001187054321", "001212000777", "001315000888"
ELSEWHERE = "036090001234"
TAX_CODE = "0100109106"
RESTRICTED_TAX_CODE = "0101234565"


def business_headers(**kwargs: Any) -> dict[str, str]:
    return assertion_headers(provider=settings.REGISTRIES_BUSINESS_SYSTEM, **kwargs)


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.fixture
def family(hanoi) -> dict[str, Any]:
    """The Nguyễn household of Phường Ba Đình: a restricted daughter, and a namesake of
    the head elsewhere."""
    ba_dinh = hanoi.children.get(code="01004")
    home = household("01-00000001", commune=ba_dinh, address="Số 5, ngõ 12, phố Đội Cấn", head=HEAD)
    person(HEAD, "Nguyễn Văn An", of=home, relation="head", birth_date=date(1985, 3, 2), sex="male")
    person(
        WIFE, "Đỗ Thị Đào", of=home, relation="spouse", birth_date=date(1987, 7, 9), sex="female"
    )
    person(
        SON, "Nguyễn Minh Đức", of=home, relation="child", birth_date=date(2012, 1, 20), sex="male"
    )
    person(
        DAUGHTER,
        "Nguyễn Thu Hà",
        of=home,
        relation="child",
        birth_date=date(2015, 5, 1),
        sex="female",
        restricted=True,
    )
    sontay = hanoi.children.get(code="01619")
    other = household("01-00000002", commune=sontay, address="Xóm 2, thôn Đông", head=ELSEWHERE)
    person(
        ELSEWHERE,
        "Nguyễn Văn An",
        of=other,
        relation="head",
        birth_date=date(1990, 1, 1),
        sex="male",
    )
    business(TAX_CODE, "Công ty TNHH Công nghệ Minh Phát", commune=ba_dinh)
    business(RESTRICTED_TAX_CODE, "Hộ kinh doanh Đỗ Thị Đào", commune=ba_dinh, restricted=True)
    return {"ba_dinh": ba_dinh, "sontay": sontay}


# --- the population database -------------------------------------------------------------


def test_person_found_with_the_disclosable_members_of_the_household(client, family) -> None:
    response = client.get(f"{PEOPLE}/{SON}", headers=assertion_headers(data_subject=SON))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "status": "found",
        "person": {
            "personal_id": SON,
            "full_name": "Nguyễn Minh Đức",
            "family_name": "Nguyễn",
            "middle_name": "Minh",
            "given_name": "Đức",
            "birth_date": "2012-01-20",
            "sex": "male",
            "permanent_address": {
                "line": "Số 5, ngõ 12, phố Đội Cấn",
                "commune_code": "01004",
                "commune_name": "Phường Ba Đình",
                "province_code": "01",
            },
            "household": {
                "code": "01-00000001",
                "relation_to_head": "child",
                # The restricted daughter is left out.
                "members": [
                    {
                        "personal_id": HEAD,
                        "full_name": "Nguyễn Văn An",
                        "relation_to_head": "head",
                        "birth_date": "1985-03-02",
                    },
                    {
                        "personal_id": WIFE,
                        "full_name": "Đỗ Thị Đào",
                        "relation_to_head": "spouse",
                        "birth_date": "1987-07-09",
                    },
                    {
                        "personal_id": SON,
                        "full_name": "Nguyễn Minh Đức",
                        "relation_to_head": "child",
                        "birth_date": "2012-01-20",
                    },
                ],
            },
        },
    }


def test_person_not_found(client, family) -> None:
    missing = "001090000001"
    response = client.get(f"{PEOPLE}/{missing}", headers=assertion_headers(data_subject=missing))
    assert (response.status_code, response.json()) == (404, {"status": "not_found"})
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_person_not_permitted(client, family) -> None:
    response = client.get(f"{PEOPLE}/{DAUGHTER}", headers=assertion_headers(data_subject=DAUGHTER))
    assert (response.status_code, response.json()) == (403, {"status": "not_permitted"})
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_data_subject_must_be_the_person_asked_for(client, family) -> None:
    for subject in (WIFE, ""):
        response = client.get(f"{PEOPLE}/{HEAD}", headers=assertion_headers(data_subject=subject))
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "data_subject_mismatch"
        assert set(body) == {"type", "title", "status", "code", "instance", "detail", "request_id"}
        assert "Nguyễn" not in response.content.decode()


def test_search_by_name_without_accents(client, family) -> None:
    headers = assertion_headers()
    for name in ("nguyen van an", "NGUYỄN  VĂN AN", "Nguyễn Văn An"):
        response = client.get(
            PEOPLE, {"full_name": name, "birth_date": "1985-03-02"}, headers=headers
        )
        assert response.status_code == 200, name
        assert response.json() == {
            "status": "found",
            "people": [
                {
                    "personal_id": HEAD,
                    "full_name": "Nguyễn Văn An",
                    "birth_date": "1985-03-02",
                    "sex": "male",
                    "commune_code": "01004",
                    "commune_name": "Phường Ba Đình",
                }
            ],
        }
    # Đ is a letter of its own, folded to D by hand.
    response = client.get(
        PEOPLE, {"full_name": "do thi dao", "birth_date": "1987-07-09"}, headers=headers
    )
    assert [p["personal_id"] for p in response.json()["people"]] == [WIFE]


def test_search_finds_nobody_else(client, family) -> None:
    headers = assertion_headers()
    for query in (
        {"full_name": "Nguyễn Văn An", "birth_date": "1985-03-03"},
        {"full_name": "Nguyễn Văn", "birth_date": "1985-03-02"},
        # Restricted people are not listed.
        {"full_name": "Nguyễn Thu Hà", "birth_date": "2015-05-01"},
    ):
        response = client.get(PEOPLE, query, headers=headers)
        assert (response.status_code, response.json()) == (404, {"status": "not_found"}), query


# --- the business registration database ------------------------------------------------


def test_business_found(client, family) -> None:
    response = client.get(f"{BUSINESSES}/{TAX_CODE}", headers=business_headers())
    assert response.status_code == 200
    assert response.json() == {
        "status": "found",
        "business": {
            "tax_code": TAX_CODE,
            "name": "Công ty TNHH Công nghệ Minh Phát",
            "kind": "llc_one",
            "kind_name": "Công ty TNHH một thành viên",
            "status": "active",
            "status_name": "Đang hoạt động",
            "registered_on": "2019-04-02",
            "head_office": {
                "line": "Số 12, phố Kim Mã",
                "commune_code": "01004",
                "commune_name": "Phường Ba Đình",
                "province_code": "01",
            },
            "legal_representative": {"personal_id": HEAD, "full_name": "Nguyễn Văn An"},
            "business_lines": [
                {"code": "6201", "name": "Lập trình máy vi tính", "main": True},
                {
                    "code": "6202",
                    "name": "Tư vấn máy vi tính và quản trị hệ thống máy vi tính",
                    "main": False,
                },
            ],
        },
    }


def test_business_not_found_and_not_permitted(client, family) -> None:
    unknown = "01" + "2345678"
    unknown += str(tax_check_digit(unknown))
    response = client.get(f"{BUSINESSES}/{unknown}", headers=business_headers())
    assert (response.status_code, response.json()) == (404, {"status": "not_found"})
    response = client.get(f"{BUSINESSES}/{RESTRICTED_TAX_CODE}", headers=business_headers())
    assert (response.status_code, response.json()) == (403, {"status": "not_permitted"})


# --- who may ask --------------------------------------------------------------------------


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["data_subject"] = DAUGHTER
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def _signed_by_someone_else() -> str:
    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    now = int(time.time())
    claims = {
        "iss": settings.EXCHANGE_ISSUER,
        "aud": settings.REGISTRIES_POPULATION_SYSTEM,
        "iat": now,
        "exp": now + 60,
        "jti": "x",
        "sub": "VN/GOV/000.00.00.H26/MOTCUA",
        "data_subject": HEAD,
    }
    return jwt.encode({"alg": "ES256", "typ": "exchange-assertion+jwt"}, claims, key)


BAD_ASSERTIONS = {
    "missing": lambda: {},
    "empty": lambda: {"X-Exchange-Assertion": ""},
    "garbage": lambda: {"X-Exchange-Assertion": "not.a.jwt"},
    "expired": lambda: assertion_headers(data_subject=HEAD, issued=time.time() - 600),
    "for the business database": lambda: business_headers(data_subject=HEAD),
    "tampered": lambda: {
        "X-Exchange-Assertion": _tampered(
            assertion_headers(data_subject=HEAD)["X-Exchange-Assertion"]
        )
    },
    "signed by someone else": lambda: {"X-Exchange-Assertion": _signed_by_someone_else()},
}


@pytest.mark.parametrize("kind", BAD_ASSERTIONS)
def test_calls_without_a_valid_assertion_get_401_and_no_data(client, family, kind) -> None:
    headers = BAD_ASSERTIONS[kind]()
    for url in (
        f"{PEOPLE}/{HEAD}",
        f"{PEOPLE}/{DAUGHTER}",
        f"{PEOPLE}/123",  # even invalid input is not looked at
        f"{PEOPLE}?full_name=nguyen+van+an&birth_date=1985-03-02",
        f"{PEOPLE}/changes?since=2000-01-01T00:00:00Z",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 401, (kind, url)
        assert response["Content-Type"] == "application/problem+json"
        assert response["WWW-Authenticate"].startswith("ExchangeAssertion")
        body = response.json()
        assert body["code"] == "assertion_invalid"
        assert set(body) <= {"type", "title", "status", "code", "instance", "request_id"}
        assert "Nguyễn" not in response.content.decode()


def test_the_population_assertion_does_not_open_the_business_database(client, family) -> None:
    response = client.get(f"{BUSINESSES}/{TAX_CODE}", headers=assertion_headers())
    assert response.status_code == 401
    assert "Minh Phát" not in response.content.decode()


def test_the_provider_identifier_comes_from_settings(client, family, settings) -> None:
    settings.REGISTRIES_POPULATION_SYSTEM = "VN/GOV/000.00.00.G01/DANCU2"
    headers = assertion_headers(data_subject=HEAD)
    assert client.get(f"{PEOPLE}/{HEAD}", headers=headers).status_code == 200
    settings.REGISTRIES_POPULATION_SYSTEM = "VN/GOV/000.00.00.G01/DANCU"
    assert client.get(f"{PEOPLE}/{HEAD}", headers=headers).status_code == 401


def test_the_gateway_needs_no_platform_login(client, family) -> None:
    # Django's LoginRequiredMiddleware would redirect an anonymous caller to the login page.
    response = client.get(f"{PEOPLE}/{HEAD}")
    assert response.status_code == 401
    response = client.get(f"{PEOPLE}/{HEAD}", headers=assertion_headers(data_subject=HEAD))
    assert response.status_code == 200


# --- validation -------------------------------------------------------------------------


CHANGES = f"{PEOPLE}/changes?since=2020-01-01T00:00:00Z"
FIND = f"{PEOPLE}?birth_date=2020-01-01&full_name="


@pytest.mark.parametrize(
    ("url", "field", "code", "business"),
    [
        (f"{PEOPLE}/12345", "personal_id", "personal_id_format", False),
        (f"{PEOPLE}/999090000001", "personal_id", "personal_id_province", False),
        (
            f"{PEOPLE}?full_name=an&birth_date=2020-13-01",
            "birth_date",
            "date_from_datetime_parsing",
            False,
        ),
        (f"{PEOPLE}?birth_date=2020-01-01", "full_name", "missing", False),
        (f"{FIND}%20%20", "full_name", "full_name_blank", False),
        (f"{FIND}{'a' * 101}", "full_name", "string_too_long", False),
        (f"{PEOPLE}/changes", "since", "missing", False),
        (f"{PEOPLE}/changes?since=yesterday", "since", "datetime_from_date_parsing", False),
        (f"{CHANGES}&limit=1001", "limit", "less_than_equal", False),
        (f"{CHANGES}&limit=0", "limit", "greater_than_equal", False),
        (f"{CHANGES}&cursor=!!", "cursor", "cursor_invalid", False),
        (f"{CHANGES}&cursor=bm9wZQ", "cursor", "cursor_invalid", False),
        (f"{BUSINESSES}/0100109107", "tax_code", "tax_code_check_digit", True),
        (f"{BUSINESSES}/01001091", "tax_code", "tax_code_format", True),
        (f"{BUSINESSES}/changes?since=2020-01-01T00:00:00Z&limit=x", "limit", "int_parsing", True),
    ],
)
def test_invalid_input_is_a_422_problem(client, family, url, field, code, business) -> None:
    headers = business_headers() if business else assertion_headers(data_subject="123")
    response = client.get(url, headers=headers)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_input"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, code)]
    assert all(e["message"] for e in body["errors"])


# --- changes since T --------------------------------------------------------------------


def _pages(client: Client, url: str, headers: dict[str, str], **query: Any) -> list[dict]:
    pages = []
    cursor = None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, params, headers=headers)
        assert response.status_code == 200, response.content
        pages.append(response.json())
        cursor = pages[-1]["next_cursor"]
        if not pages[-1]["has_more"]:
            return pages


@pytest.fixture
def changed(hanoi) -> dict[str, Any]:
    """A generated population in which some people changed later, some at the same
    moment, and some may not be disclosed."""
    population_generate(size=240, seed=5, province_code="01")
    ids = list(Person.objects.order_by("personal_id").values_list("personal_id", flat=True))
    # Later than the generation, which stamped every row with its own time.
    base = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    moments = {}
    for index, personal_id in enumerate(ids[::7]):
        # Three people at each moment: ties are broken by the personal ID.
        moments[personal_id] = base + timedelta(minutes=index // 3, microseconds=index % 2)
    for personal_id, moment in moments.items():
        Person.objects.filter(pk=personal_id).update(updated_at=moment)
    Person.objects.filter(pk__in=ids[3::50]).update(restricted=True)
    withheld = set(Person.objects.filter(restricted=True).values_list("personal_id", flat=True))
    return {"ids": ids, "moments": moments, "base": base, "withheld": withheld}


def test_changes_come_once_each_in_order_across_pages(client, changed) -> None:
    headers = assertion_headers()
    pages = _pages(client, f"{PEOPLE}/changes", headers, since="2000-01-01T00:00:00+07:00", limit=7)
    changes = [c for page in pages for c in page["changes"]]
    expected = list(
        Person.objects.order_by("updated_at", "personal_id").values_list("personal_id", flat=True)
    )
    assert [c["personal_id"] for c in changes] == expected  # every record, once, in order
    assert all(len(page["changes"]) == 7 for page in pages[:-1])
    assert [page["has_more"] for page in pages] == [True] * (len(pages) - 1) + [False]
    for change in changes:
        if change["personal_id"] in changed["withheld"]:
            assert change == {"personal_id": change["personal_id"], "status": "not_permitted"}
        else:
            assert change["status"] == "found"
            assert change["person"]["personal_id"] == change["personal_id"]
            assert set(change["person"]["household"]) == {"code", "relation_to_head"}


def test_changes_since_a_time_and_resuming_later(client, changed) -> None:
    headers = assertion_headers()
    since = changed["base"] + timedelta(minutes=5)
    pages = _pages(client, f"{PEOPLE}/changes", headers, since=since.isoformat(), limit=4)
    got = [c["personal_id"] for page in pages for c in page["changes"]]
    later = sorted((moment, pid) for pid, moment in changed["moments"].items() if moment > since)
    assert got == [pid for _moment, pid in later] and got

    # Nothing new: the same cursor comes back, with nothing after it.
    cursor = pages[-1]["next_cursor"]
    again = client.get(
        f"{PEOPLE}/changes", {"since": since.isoformat(), "cursor": cursor}, headers=headers
    ).json()
    assert again == {"changes": [], "next_cursor": cursor, "has_more": False}

    # One more change: the stored cursor finds exactly it.
    first = changed["ids"][1]
    Person.objects.filter(pk=first).update(updated_at=changed["base"] + timedelta(days=1))
    again = client.get(
        f"{PEOPLE}/changes", {"since": since.isoformat(), "cursor": cursor}, headers=headers
    ).json()
    assert [c["personal_id"] for c in again["changes"]] == [first]


def test_changes_since_a_local_time_without_offset(client, changed) -> None:
    cut = changed["base"] + timedelta(minutes=4)
    # Hanoi is 7 hours ahead of UTC.
    local = (cut.astimezone(UTC) + timedelta(hours=7)).replace(tzinfo=None)
    response = client.get(
        f"{PEOPLE}/changes", {"since": local.isoformat(), "limit": 1000},
        headers=assertion_headers(),
    )  # fmt: skip
    got = {c["personal_id"] for c in response.json()["changes"]}
    assert got == {pid for pid, moment in changed["moments"].items() if moment > cut}


def test_business_changes_page_through_every_business(client, hanoi) -> None:
    population_generate(size=600, seed=8, province_code="01")
    withheld = list(Business.objects.order_by("tax_code").values_list("tax_code", flat=True)[:2])
    Business.objects.filter(pk__in=withheld).update(restricted=True)
    pages = _pages(
        client,
        f"{BUSINESSES}/changes",
        business_headers(),
        since="2000-01-01T00:00:00Z",
        limit=5,
    )
    changes = [c for page in pages for c in page["changes"]]
    expected = list(
        Business.objects.order_by("updated_at", "tax_code").values_list("tax_code", flat=True)
    )
    assert [c["tax_code"] for c in changes] == expected and len(expected) > 10
    stubs = [c for c in changes if c["status"] == "not_permitted"]
    assert stubs == [{"tax_code": code, "status": "not_permitted"} for code in withheld]
    found = next(c for c in changes if c["status"] == "found")
    assert found["business"]["tax_code"] == found["tax_code"]


# --- documents and mounting ----------------------------------------------------------------


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items() for method in item}


def test_openapi_documents_are_valid_and_list_exactly_the_operations(client) -> None:
    population, businesses = facade.population_openapi(), facade.business_openapi()
    for document in (population, businesses):
        validate(document)
        for item in document["paths"].values():
            for operation in item.values():
                assert operation["security"] == [{"HubAssertion": []}]
        scheme = document["components"]["securitySchemes"]["HubAssertion"]
        assert scheme == {
            "type": "apiKey",
            "in": "header",
            "name": "X-Exchange-Assertion",
            "description": scheme["description"],
        }
    assert _operations(population) == {
        ("get", "/people/{personal_id}"),
        ("get", "/people"),
        ("get", "/people/changes"),
    }
    assert _operations(businesses) == {
        ("get", "/businesses/{tax_code}"),
        ("get", "/businesses/changes"),
    }
    assert population["servers"] == [{"url": "/registries/population/v1"}]
    assert businesses["servers"] == [{"url": "/registries/business/v1"}]
    # The documents are served too, without an assertion; no Swagger page.
    served = client.get("/registries/population/v1/openapi.json")
    assert served.status_code == 200 and served.json() == population
    assert client.get("/registries/business/v1/openapi.json").json() == businesses
    assert client.get("/registries/population/v1/docs").status_code != 200


def test_provider_paths_are_where_the_apis_are_served() -> None:
    assert facade.provider_paths() == {
        settings.REGISTRIES_POPULATION_SYSTEM: "/registries/population/v1",
        settings.REGISTRIES_BUSINESS_SYSTEM: "/registries/business/v1",
        settings.REGISTRIES_GOVREPORT_SYSTEM: "/registries/govreport/v1",
    }
    assert reverse("population_api:api-root") == "/registries/population/v1/"
    assert reverse("business_api:api-root") == "/registries/business/v1/"
    assert reverse("govreport_api:api-root") == "/registries/govreport/v1/"


def test_every_operation_requires_the_assertion_and_no_view_a_login() -> None:
    from thudo.registries.urls import urlpatterns

    views = [pattern for resolver in urlpatterns for pattern in resolver.url_patterns]
    assert len(views) == 3 * 2 + 6  # openapi.json and root of each, and 6 operations
    assert [v for v in views if getattr(v.callback, "login_required", True)] == []
    operations = [
        operation
        for api in (population_api, business_api, govreport_api)
        for bound in api._get_bound_routers()
        for path_view in bound.path_operations.values()
        for operation in path_view.operations
    ]
    assert len(operations) == 6
    assert all(operation.auth_callbacks for operation in operations)
