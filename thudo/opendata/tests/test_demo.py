"""The demo's open data on the small city: themes, datasets with loaded tables (one bad row
reported), the Decree 47 list with something overdue, a private draft, and a second run
that adds nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from thudo.core.tests.factories import City, agency
from thudo.opendata import demo, search, selectors
from thudo.opendata.models import Dataset, Datastore, Group, Organization

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 3)


def _codes(city: City) -> dict[str, str]:
    departments = {
        key: agency(f"000.00.{n}.H26", name, unit=city.hanoi, parent=city.city_pc).code
        for key, n, name in [
            ("11", 41, "Sở Giáo dục và Đào tạo"),
            ("12", 42, "Sở Y tế"),
            ("07", 43, "Sở Nông nghiệp và Môi trường"),
            ("06", 44, "Sở Xây dựng"),
            ("04", 45, "Sở Tài chính"),
        ]
    }
    return {"city": city.city_pc.code, "03": city.justice.code, "centre": city.justice.code,
            **departments}  # fmt: skip


def test_the_demo_portal(city: City) -> None:
    said: list[str] = []
    info: dict[str, Any] = demo.build(
        codes=_codes(city), say=said.append, officials={"publisher": "city.leader"}, today=TODAY
    )
    assert info["publisher"] == "city.leader"
    assert Group.objects.count() == 8
    assert Organization.objects.count() == 7
    public = selectors.package_names()
    assert len(public) == 8
    assert "ban-do-su-dung-dat" not in public  # the private draft
    draft = Dataset.objects.get(name="ban-do-su-dung-dat")
    assert (draft.state, draft.private) == ("draft", True)
    assert said == ["   open data: 9 datasets published",
                    "   open data: 0 reporting indicators published as datasets"]  # fmt: skip

    population = Datastore.objects.get(resource__dataset__name="dan-so-theo-phuong-xa")
    assert population.status == "complete"
    assert population.row_count == 2  # the small city's two wards
    assert [e["line"] for e in population.errors] == [4]  # the short row, after the two wards
    assert [f["type"] for f in population.fields] == ["text", "text", "int", "numeric", "int"]
    enterprises = Datastore.objects.get(resource__dataset__name="doanh-nghiep-thanh-lap-moi")
    assert (enterprises.row_count, enterprises.fields[0]["type"]) == (12, "date")
    assert Datastore.objects.filter(status="complete").count() == 7

    found = search.run(search.Query(q="dan so"))
    names = [d["name"] for d in selectors.package_dicts(found.ids)]
    assert names[:2] == ["dan-so-theo-phuong-xa", "dang-ky-ho-tich"]

    overdue = {
        o.dataset.name: o for o in selectors.dashboard(user=city.platform_admin, today=TODAY)
    }
    assert overdue["tuyen-xe-buyt"].review_late is True  # reviewed 240 days ago
    assert overdue["chat-luong-khong-khi"].update_late is True  # no data for 130 days
    assert not overdue["truong-hoc-cong-lap"].review_late
    assert not overdue["truong-hoc-cong-lap"].update_late

    before = (Dataset.objects.count(), Datastore.objects.count())
    demo.build(codes=_codes_again(city), officials={}, today=TODAY)
    assert (Dataset.objects.count(), Datastore.objects.count()) == before


def _codes_again(city: City) -> dict[str, str]:
    from thudo.core.models import Agency

    names = {"11": 41, "12": 42, "07": 43, "06": 44, "04": 45}
    found = {k: Agency.objects.get(code=f"000.00.{n}.H26").code for k, n in names.items()}
    return {"city": city.city_pc.code, "03": city.justice.code, "centre": city.justice.code,
            **found}  # fmt: skip
