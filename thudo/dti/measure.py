"""Measured sub-indices: the platform's own figure for a unit and a year, with lineage.

A sub-index's ``measure_source`` names where the value comes from:

- ``metric:<code>`` — a metric of the kernel's registry (documents, procedures, …);
- ``ratio:<a>/<b>`` — 100 × metric a / metric b (e.g. dossiers fully online / received);
- ``indicator:<CODE>`` — a reporting indicator's value for the year, as analytics computes
  it (approved, provisional or measured), when the reporting module is installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.apps import apps

from thudo.core import metrics

HUNDRED = Decimal(100)
FOUR = Decimal("0.0001")


@dataclass(frozen=True)
class Measured:
    value: Decimal
    lineage: str


def year_period(year: int) -> metrics.Period:
    return metrics.Period(date(year, 1, 1), date(year, 12, 31), str(year))


def _metric(code: str, period: metrics.Period, unit: str) -> tuple[Decimal, str] | None:
    provider = metrics.get(code)
    if provider is None:
        return None
    try:
        found = provider.value(period, unit)
    except metrics.MetricNotApplicable:
        return None
    return found.value, f"{provider.name} ({code}) = {found.value} {provider.unit}: {found.lineage}"


def value(source: str, *, year: int, unit_code: str) -> Measured | None:
    """The measured value of ``source`` for the unit and the calendar year, or None when
    the platform has no figure (unknown metric, no records, module not installed)."""
    kind, _sep, rest = source.partition(":")
    period = year_period(year)
    if kind == "metric":
        found = _metric(rest, period, unit_code)
        if found is None:
            return None
        return Measured(found[0].quantize(FOUR), found[1])
    if kind == "ratio":
        top_code, _slash, bottom_code = rest.partition("/")
        top = _metric(top_code, period, unit_code)
        bottom = _metric(bottom_code, period, unit_code)
        if top is None or bottom is None or bottom[0] == 0:
            return None
        share = (HUNDRED * top[0] / bottom[0]).quantize(FOUR)
        return Measured(share, f"100 × {top[1]} / {bottom[1]} = {share} %")
    if kind == "indicator":
        if not apps.is_installed("thudo.reporting"):
            return None
        from thudo.reporting import facade as reporting

        found_indicator = reporting.indicator_value(
            code=rest, period=str(year), unit_code=unit_code
        )
        if found_indicator is None:
            return None
        figure, _status, lineage = found_indicator
        return Measured(figure.quantize(FOUR), f"{lineage} = {figure.quantize(FOUR)}")
    return None
