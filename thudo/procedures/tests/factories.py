"""Test data of the public-services module: the catalogue loaded, the staff of a commune
(clerk, specialist, leader with a certificate, the seal), a service centre, citizens the
population database knows, and dossiers at each step.

The population database is the registries module behind the hub; these unit tests put a
stand-in in its place (``population``) so that each test says exactly what the registry
answers; the end-to-end tests in ``tests/`` use the real hub and registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from thudo.core.models import Agency, Role, User
from thudo.core.tests.factories import agency, citizen, official
from thudo.procedures import services
from thudo.procedures.models import Procedure
from thudo.signing import facade as signing

PIN = "135790"
PASSWORD = "correct horse battery"
BRIDE = "001190012345"
GROOM = "001089054321"
PEOPLE = {
    BRIDE: {
        "personal_id": BRIDE,
        "full_name": "Nguyễn Thị Ánh Tuyết",
        "birth_date": "1990-05-12",
        "sex": "female",
        "address": "Số 5 phố Đội Cấn, Phường Ba Đình",
        "commune_code": "00004",
    },
    GROOM: {
        "personal_id": GROOM,
        "full_name": "Đặng Văn Minh",
        "birth_date": "1989-11-02",
        "sex": "male",
        "address": "Số 12 phố Kim Mã, Phường Ba Đình",
        "commune_code": "00004",
    },
}


@dataclass
class Registry:
    """What the population database answers: a person, None (down), or not found."""

    people: dict[str, dict[str, Any]] = field(default_factory=lambda: dict(PEOPLE))
    down: bool = False
    asked: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, personal_id: str, purpose: str) -> dict[str, Any] | None:
        from thudo.core.errors import NotFound

        self.asked.append((personal_id, purpose))
        if self.down:
            return None
        if personal_id not in self.people:
            raise NotFound("Cơ sở dữ liệu dân cư không có người mang số định danh này.")
        return dict(self.people[personal_id])


@dataclass
class Desk:
    city: Any
    commune: Agency  # competent for commune-level procedures
    centre: Agency  # the city's service centre
    clerk: User
    specialist: User
    leader: User
    centre_clerk: User
    bride: User
    groom: User
    serial: str  # the leader's certificate
    registry: Registry


@pytest.fixture
def population(monkeypatch: pytest.MonkeyPatch) -> Registry:
    registry = Registry()
    monkeypatch.setattr(services, "_population", registry)
    return registry


def make_desk(city: Any, registry: Registry, *, certificates: bool = True) -> Desk:
    services.catalogue_load(actor=None)
    centre = agency(
        "000.00.30.H26",
        "Trung tâm Phục vụ hành chính công Thành phố Hà Nội",
        unit=city.hanoi,
        kind="service_centre",
        parent=city.city_pc,
    )
    desk = Desk(
        city=city,
        commune=city.commune_a,
        centre=centre,
        clerk=city.clerk_a,
        specialist=official(city.commune_a, role=Role.SPECIALIST, username="tuphap.a",
                            full_name="Dương Thị Ngọc"),
        leader=official(city.commune_a, role=Role.LEADER, username="chutich.a",
                        full_name="Đặng Thị Hương"),
        centre_clerk=official(centre, role=Role.CLERK, username="motcua.tt",
                              full_name="Hoàng Thị Mai"),
        bride=citizen(BRIDE, full_name=PEOPLE[BRIDE]["full_name"], email="tuyet@example.vn"),
        groom=citizen(GROOM, full_name=PEOPLE[GROOM]["full_name"]),
        serial="",
        registry=registry,
    )  # fmt: skip
    if certificates:
        signing.provision_seal(agency_code=city.commune_a.code)
        desk.serial = signing.provision_official(
            username="chutich.a", agency_code=city.commune_a.code, pin=PIN, title="Chủ tịch"
        )
    return desk


@pytest.fixture
def desk(city: Any, pki: None, population: Registry) -> Desk:
    return make_desk(city, population)


def procedure(slug: str) -> Procedure:
    return Procedure.objects.get(slug=slug)


def login(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client
