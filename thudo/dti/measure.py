"""Measured sub-indices: the platform's own figure for a unit and a year, with lineage.

A sub-index's ``measure_source`` names where the value comes from:

- ``metric:<code>`` — a metric of the kernel's registry (documents, procedures, …);
- ``ratio:<a>/<b>`` — 100 × metric a / metric b (e.g. dossiers fully online / received);
- ``indicator:<CODE>`` — a reporting indicator's value for the year, as analytics computes
  it (approved, provisional or measured), when the reporting module is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def values(source: str, *, year: int, unit_codes: Sequence[str]) -> dict[str, Measured]:
    """The measured value of ``source`` for each unit and the calendar year; units the
    platform has no figure for (unknown metric, no records, module not installed) are
    left out. Call it within ``metrics.computing()`` to share what providers share."""
    kind, _sep, rest = source.partition(":")
    period = year_period(year)
    found: dict[str, Measured] = {}
    if kind == "indicator":
        if not apps.is_installed("thudo.reporting"):
            return found
        from thudo.reporting import facade as reporting

        for unit, (figure, _status, lineage) in reporting.indicator_values(
            code=rest, period=str(year), unit_codes=unit_codes
        ).items():
            figure = figure.quantize(FOUR)
            found[unit] = Measured(figure, f"{lineage} = {figure}")
        return found
    for unit in unit_codes:
        if kind == "metric":
            metric = _metric(rest, period, unit)
            if metric is not None:
                found[unit] = Measured(metric[0].quantize(FOUR), metric[1])
        elif kind == "ratio":
            top_code, _slash, bottom_code = rest.partition("/")
            top = _metric(top_code, period, unit)
            bottom = _metric(bottom_code, period, unit)
            if top is None or bottom is None or bottom[0] == 0:
                continue
            share = (HUNDRED * top[0] / bottom[0]).quantize(FOUR)
            found[unit] = Measured(share, f"100 × {top[1]} / {bottom[1]} = {share} %")
    return found


def value(source: str, *, year: int, unit_code: str) -> Measured | None:
    """:func:`values` for one unit."""
    return values(source, year=year, unit_codes=[unit_code]).get(unit_code)
