"""The identity module's measured figure: citizens' eID sign-ins in a period."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from thudo.core import facade as core
from thudo.core import metrics
from thudo.identity import facade

pytestmark = pytest.mark.django_db
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def _record_at(monkeypatch: Any, moment: datetime, action: str = "identity.eid.signin") -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)
    with transaction.atomic():
        core.audit_record(
            action=action,
            object_type="core.user",
            object_id="eid-x",
            data_subject="001090012345",
            purpose="test",
        )


def test_citizen_signins_counts_the_period_in_local_time(monkeypatch: Any) -> None:
    for moment in [
        datetime(2026, 2, 28, 23, 59, 59, tzinfo=HANOI),  # before March
        datetime(2026, 3, 1, 0, 0, 0, tzinfo=HANOI),  # first instant
        datetime(2026, 3, 15, 9, 30, tzinfo=HANOI),
        datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=HANOI),  # last instant
        datetime(2026, 4, 1, 0, 0, 0, tzinfo=HANOI),  # after March
    ]:
        _record_at(monkeypatch, moment)
    _record_at(monkeypatch, datetime(2026, 3, 10, tzinfo=HANOI), action="core.citizen.create")
    monkeypatch.undo()

    provider = metrics.get("identity.citizen_signins")
    assert provider is not None
    assert (provider.name, provider.unit, provider.module) == (
        "Số lượt công dân đăng nhập bằng định danh điện tử",
        "lượt",
        "identity",
    )
    value = provider.value(metrics.Period(date(2026, 3, 1), date(2026, 3, 31), "2026M03"))
    assert value.value == Decimal(3)
    assert value.org_unit is None
    assert value.lineage.startswith("SELECT COUNT(*) FROM (SELECT")
    assert "core_auditevent" in value.lineage and "identity.eid.signin" in value.lineage
    assert provider.value(metrics.Period(date(2026, 3, 1), date(2026, 3, 1))).value == 1
    assert facade.citizen_signin_count(start=date(2026, 2, 1), end=date(2026, 4, 30)) == 5


def test_citizen_signins_is_province_wide_only() -> None:
    provider = metrics.get("identity.citizen_signins")
    assert provider is not None
    with pytest.raises(metrics.MetricNotApplicable):
        provider.value(metrics.Period(date(2026, 3, 1), date(2026, 3, 31)), "000.00.16.H26")
