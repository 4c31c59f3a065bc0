"""Approved reporting indicators published as open data: a dataset per indicator with a
table of its approved figures and its lineage; provisional figures stay out; publishing
again changes nothing until the figures do."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from thudo.core.errors import PermissionDenied
from thudo.core.models import AuditEvent
from thudo.core.tests.factories import City
from thudo.opendata import datastore, selectors, services
from thudo.opendata.models import Dataset, Datastore
from thudo.reporting import services as reporting
from thudo.reporting.tests.factories import PERIOD, Reporting
from thudo.reporting.tests.factories import build as reporting_build

pytestmark = pytest.mark.django_db


def _report(r: Reporting, unit: Any, clerk: Any, new: str, active: str) -> None:
    for element, raw in (("DN_MOI", new), ("DN_HOATDONG", active)):
        reporting.value_save(
            actor=clerk, form=r.form, unit=unit, period=PERIOD, element=element, raw=raw
        )


def _approve(r: Reporting, unit: Any, clerk: Any, leader: Any) -> None:
    reporting.form_complete(actor=clerk, form=r.form, unit=unit, period=PERIOD)
    reporting.approval_approve(actor=leader, form=r.form, unit=unit, period=PERIOD)


def _rows(ds: Dataset) -> list[tuple[Any, ...]]:
    store = Datastore.objects.get(resource__dataset=ds)
    result = datastore.search_table(store, limit=100)
    return [
        (x["Mã kỳ"], x["Mã đơn vị"], x["Giá trị"], x["Trạng thái"], x["Người phê duyệt"])
        for x in result["records"]
    ]


def test_approved_figures_are_published_with_their_lineage(city: City) -> None:
    r = reporting_build(city)
    _report(r, city.commune_a, r.clerk_a, "12", "48")
    _approve(r, city.commune_a, r.clerk_a, r.leader_a)
    _report(r, city.commune_b, r.clerk_b, "5", "50")  # entered, not approved

    published = services.indicators_publish(actor=None)

    assert [d.name for d in published] == ["chi-so-tl-dn-moi"]
    ds = published[0]
    record = selectors.package_show(ds)
    assert record["title"] == "Tỷ lệ doanh nghiệp mới trên doanh nghiệp hoạt động"
    assert record["organization"]["title"] == city.city_pc.name
    assert record["in_open_data_list"] is True
    assert record["state"] == "active"
    assert [g["name"] for g in record["groups"]] == ["chi-so-thong-ke"]
    assert {t["name"] for t in record["tags"]} == {"chỉ số", "báo cáo thống kê", "Kinh tế"}
    assert record["resources"][0]["datastore_active"] is True
    assert _rows(ds) == [(PERIOD, city.commune_a.code, 25, "approved", str(r.leader_a))]
    lineage = ds.lineage
    assert lineage is not None
    assert (lineage["indicator"], lineage["forms"], lineage["approved_values"]) == (
        "TL_DN_MOI",
        ["BC01-KT"],
        1,
    )
    assert lineage["definition"] == "100.0000 × (#{DN_MOI}) / (#{DN_HOATDONG})"
    assert "Công thức: 100.0000 × (#{DN_MOI}) / (#{DN_HOATDONG})" in ds.notes
    assert AuditEvent.objects.filter(action="opendata.indicator_publish").count() == 1


def test_publishing_again_changes_nothing_until_the_figures_do(city: City) -> None:
    r = reporting_build(city)
    _report(r, city.commune_a, r.clerk_a, "12", "48")
    _approve(r, city.commune_a, r.clerk_a, r.leader_a)
    first = services.indicators_publish(actor=None)[0]
    revision = Dataset.objects.get(pk=first.pk).revision

    again = services.indicators_publish(actor=None)
    assert [d.pk for d in again] == [first.pk]
    assert Dataset.objects.get(pk=first.pk).revision == revision
    assert AuditEvent.objects.filter(action="opendata.indicator_publish").count() == 1

    _report(r, city.commune_b, r.clerk_b, "5", "50")
    _approve(r, city.commune_b, r.clerk_b, r.leader_b)
    services.indicators_publish(actor=None)
    ds = Dataset.objects.get(pk=first.pk)
    assert ds.revision > revision
    assert _rows(ds) == [
        (PERIOD, city.commune_a.code, 25, "approved", str(r.leader_a)),
        (PERIOD, city.commune_b.code, 10, "approved", str(r.leader_b)),
    ]
    assert Dataset.objects.filter(source="indicator").count() == 1
    old = selectors.package_version(ds, revision)
    assert old is not None and old["revision"] == revision


def test_nothing_approved_publishes_nothing(city: City) -> None:
    r = reporting_build(city)
    _report(r, city.commune_a, r.clerk_a, "12", "48")
    assert services.indicators_publish(actor=None) == []
    assert Dataset.objects.count() == 0


def test_only_the_platform_publishes_indicators(city: City) -> None:
    reporting_build(city)
    with pytest.raises(PermissionDenied):
        services.indicators_publish(actor=city.city_leader)
    assert Dataset.objects.count() == 0


def test_values_keep_their_decimals(city: City) -> None:
    r = reporting_build(city)
    _report(r, city.commune_a, r.clerk_a, "1", "3")
    _approve(r, city.commune_a, r.clerk_a, r.leader_a)
    ds = services.indicators_publish(actor=None)[0]
    assert _rows(ds)[0][2] == float(Decimal("33.33"))
