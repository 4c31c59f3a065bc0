"""The demo city: what `make demo` builds, and that building it again is safe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from thudo.core.models import Agency, AuditEvent, User
from thudo.demo import builder, city
from thudo.registries import facade as registries


@pytest.mark.django_db
def test_build_twice_keeps_logins_and_changes_nothing(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    said: list[str] = []
    first = builder.build(base_url="http://127.0.0.1:8000", say=said.append)

    data = json.loads((tmp_path / "demo" / "credentials.json").read_text())
    assert data["base_url"] == "http://127.0.0.1:8000"
    assert data["eid_issuer"] == "http://127.0.0.1:8000/eid"
    assert {s["username"] for s in data["staff"]} == {seat.username for seat in city.STAFF}
    assert all({"username", "password", "agency_code", "role"} <= set(s) for s in data["staff"])
    assert len(data["citizens"]) == city.DEMO_CITIZENS
    assert (tmp_path / "demo" / "credentials.json").stat().st_mode & 0o777 == 0o600

    # Hà Nội: the City People's Committee, 15 departments, the centre and 126 communes;
    # the two ministries whose national databases the hub connects, and the Government
    # Office, whose reporting system receives the city's reports.
    assert Agency.objects.count() == 1 + 15 + 1 + 126 + 3
    assert set(Agency.objects.filter(kind="central_agency").values_list("code", flat=True)) == {
        "000.00.00.G01",
        "000.00.00.G09",
        "000.00.00.G22",
    }
    assert registries.population_count(province_code="01") == city.POPULATION_SIZE
    for seat in data["staff"]:
        user = User.objects.get(username=seat["username"])
        assert user.check_password(seat["password"])
        assert user.memberships.filter(agency__code=seat["agency_code"], role=seat["role"]).exists()

    last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    second = builder.build(base_url="http://127.0.0.1:8000", say=said.append)
    assert second.staff == first.staff and second.citizens == first.citizens
    assert second.extra["exchange_clients"] == first.extra["exchange_clients"]
    # Leaders keep their certificates and PINs; the decision to sign is the same one.
    assert second.extra["signing"] == first.extra["signing"]
    assert second.extra["documents"] == first.extra["documents"]
    # Reporting: the commune's statistician fills the open month, its chairwoman approves,
    # the Department of Finance approves the city's total; a second run adds no figure.
    reporting = first.extra["reporting"]
    assert second.extra["reporting"] == reporting
    assert reporting["main_path"]["form"] == "BC-KTXH-XA"
    assert reporting["main_path"]["fill"]["user"] == "thongke.phuong"
    assert reporting["main_path"]["approve_unit"]["user"] == "chutich.phuong"
    assert reporting["main_path"]["approve_total"]["user"] == "truongphong.stc"
    assert len(reporting["forms"]) == 10 and len(reporting["export"]["indicators"]) == 8
    runs = [line.strip() for line in said if line.strip().endswith(" approvals")]
    assert len(runs) == 2 and runs[1] == "0 figures, 0 measured values, 0 completions, 0 approvals"
    leaders = {s.username for s in city.STAFF if s.role == "leader"}
    assert {c["username"] for c in first.extra["signing"]["certificates"]} == leaders
    assert all(len(c["pin"]) == 6 for c in first.extra["signing"]["certificates"])
    assert Agency.objects.count() == 1 + 15 + 1 + 126 + 3
    assert User.objects.filter(kind="official").count() == len(city.STAFF)
    # Re-running writes only the population replacement: nothing about staff, agencies,
    # member systems (no secret rotated), services or grants.
    assert (
        not AuditEvent.objects.filter(seq__gt=last_seq)
        .exclude(action__startswith="registries.")
        .exists()
    )


@pytest.mark.django_db
def test_a_demo_official_signs_in_and_sees_their_agency(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    credentials = builder.build(base_url="http://127.0.0.1:8000", say=lambda _: None)
    clerk = next(s for s in credentials.staff if s["username"] == "motcua.phuong")
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": clerk["username"], "password": clerk["password"]}
    )
    assert response.status_code == 302
    assert "Ủy ban nhân dân Phường Ba Đình" in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_demo_hub_has_the_national_databases_and_two_consumers(
    settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    credentials = builder.build(base_url="http://127.0.0.1:8000", say=lambda _: None)
    data = json.loads((tmp_path / "demo" / "credentials.json").read_text())
    hub = data["exchange"]
    assert hub == {
        "token_url": "http://127.0.0.1:8000/oauth/token",
        "jwks_url": "http://127.0.0.1:8000/exchange/jwks.json",
        "catalog_url": "http://127.0.0.1:8000/exchange/catalog/",
    }
    granted, stranger = data["exchange_clients"]
    citizen = credentials.citizens[0]["personal_id"]
    assert granted["system"] == granted["client_id"] == "VN/GOV/000.00.30.H26/MOTCUA"
    assert stranger["system"] == "VN/GOV/000.00.08.H26/CSDL"
    assert granted["client_secret"].startswith("lgs_") and stranger["client_secret"]
    assert granted["example_path"] == (
        f"/x/VN/GOV/000.00.00.G01/DANCU/tra-cuu-cong-dan/people/{citizen}"
    )
    assert granted["example_headers"]["X-Data-Subject"] == citizen

    client = Client()
    admin = next(s for s in data["staff"] if s["username"] == "quantri")
    signed_in = client.post(
        "/accounts/login/", {"username": admin["username"], "password": admin["password"]}
    )
    assert signed_in.status_code == 302
    catalogue = client.get("/api/v1/exchange/catalog").json()["items"]
    assert {(s["provider"], s["code"], s["classification"]) for s in catalogue} == {
        ("VN/GOV/000.00.00.G01/DANCU", "tra-cuu-cong-dan", "personal"),
        ("VN/GOV/000.00.00.G09/DKDN", "tra-cuu-doanh-nghiep", "internal"),
        ("VN/GOV/000.00.00.G22/BCCP", "tiep-nhan-bao-cao", "internal"),
        ("VN/GOV/000.00.00.H26/QLVB", "van-ban-dien-tu", "internal"),
    }

    # The granted consumer may read one person and search; the other holds nothing; the
    # platform's own system holds both services whole, with the secret its settings keep.
    grants = {
        (g["consumer"], g["service"]): sorted(f"{o['method']} {o['path']}" for o in g["operations"])
        for g in client.get("/api/v1/exchange/grants/incoming?status=approved").json()["items"]
    }
    assert grants == {
        (granted["system"], "tra-cuu-cong-dan"): [
            "GET /people",
            "GET /people/{personal_id}",
        ],
        (settings.EXCHANGE_PLATFORM_SYSTEM, "tra-cuu-cong-dan"): [
            "GET /people",
            "GET /people/changes",
            "GET /people/{personal_id}",
        ],
        (settings.EXCHANGE_PLATFORM_SYSTEM, "tra-cuu-doanh-nghiep"): [
            "GET /businesses/changes",
            "GET /businesses/{tax_code}",
        ],
        # Reports are pushed to the Government reporting system, nothing else.
        (settings.EXCHANGE_PLATFORM_SYSTEM, "tiep-nhan-bao-cao"): ["POST /submissions"],
        (settings.EXCHANGE_PLATFORM_SYSTEM, "van-ban-dien-tu"): [
            "POST /packages",
            "POST /statuses",
        ],
    }
    token = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": settings.EXCHANGE_PLATFORM_SYSTEM,
            "client_secret": settings.EXCHANGE_PLATFORM_SECRET,
        },
        secure=True,
    )
    assert token.status_code == 200, token.content
