"""The metrics registry: providers by code, and what one computation run shares."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from thudo.core import metrics


def test_a_period_ends_after_it_starts() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        metrics.Period(date(2026, 3, 14), date(2026, 2, 15))


def test_a_code_is_registered_by_one_module_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_registry", dict(metrics._registry))  # left as it was

    def one(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
        return Decimal(1), "one"

    def other(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
        return Decimal(2), "other"

    first = metrics.MetricProvider("test.one", "Một", "items", "", "tests", one)
    metrics.register(first)
    metrics.register(first)  # the same provider again (a second ready()) is fine
    with pytest.raises(ValueError, match="already registered by tests"):
        metrics.register(metrics.MetricProvider("test.one", "Một", "items", "", "x", other))
    value = first.value(metrics.Period(date(2026, 2, 15), date(2026, 3, 14), "2026M03"), "A")
    assert (value.code, value.value, value.org_unit, value.lineage) == (
        "test.one", Decimal(1), "A", "one",
    )  # fmt: skip


def test_what_providers_share_is_computed_once_per_run_and_never_kept() -> None:
    calls: list[str] = []

    def compute() -> int:
        calls.append("x")
        return len(calls)

    assert metrics.shared("k", compute) == 1
    assert metrics.shared("k", compute) == 2  # outside a run: computed at every call
    with metrics.computing():
        assert metrics.shared("k", compute) == 3
        assert metrics.shared("k", compute) == 3
        assert metrics.shared("other", compute) == 4
    with metrics.computing():  # a new run starts afresh
        assert metrics.shared("k", compute) == 5
    assert len(calls) == 5
