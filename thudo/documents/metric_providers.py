"""Measured figures of the documents module, for reporting, the DTI and the IOC.

``org_unit`` is an agency code (its own documents), or None for the whole province; a
code that names no agency is not applicable rather than a silent 0. Shares are percents
with two decimals; a share with nothing to divide by is 0, and its lineage says so.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from thudo.core import facade as core
from thudo.core import metrics
from thudo.documents import selectors

ISSUED = "documents.issued"
SIGNED_SHARE = "documents.signed_share"
ELECTRONIC_SHARE = "documents.electronic_share"
INCOMING_ON_TIME = "documents.incoming_on_time"

Ratio = Callable[..., tuple[int, str, int, str]]


def _check(org_unit: str | None) -> None:
    if org_unit is not None and not core.agency_exists(code=org_unit):
        raise metrics.MetricNotApplicable(org_unit)


def _share(ratio: Ratio, period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    _check(org_unit)
    part, part_sql, whole, whole_sql = ratio(
        start=period.start, end=period.end, agency_code=org_unit
    )
    if whole == 0:
        return Decimal("0"), f"no denominator (0 rows), the share is 0 by convention: {whole_sql}"
    value = (Decimal(100) * part / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return value, f"100 * {part} / {whole}; numerator: {part_sql}; denominator: {whole_sql}"


def issued(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    _check(org_unit)
    count, lineage = selectors.issued_count(
        start=period.start, end=period.end, agency_code=org_unit
    )
    return Decimal(count), lineage


def signed_share(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    return _share(selectors.signed_issued_count, period, org_unit)


def electronic_share(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    return _share(selectors.electronic_recipient_count, period, org_unit)


def incoming_on_time(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    return _share(selectors.on_time_assignment_count, period, org_unit)


def register() -> None:
    for code, name, unit, description, compute in (
        (
            ISSUED,
            "Số văn bản đi đã phát hành",
            "văn bản",
            "Outgoing documents issued (numbered, sealed and sent) on a day of the period.",
            issued,
        ),
        (
            SIGNED_SHARE,
            "Tỷ lệ văn bản đi được ký số",
            "%",
            "Of the documents issued in the period, the percent whose PDF carries the "
            "leader's digital signature (a non-empty PDF and a signing step in the trail).",
            signed_share,
        ),
        (
            ELECTRONIC_SHARE,
            "Tỷ lệ văn bản đi gửi nhận dưới dạng điện tử",
            "%",
            "Of the recipients of the documents issued in the period, the percent the "
            "document reached electronically through the exchange (delivery sent).",
            electronic_share,
        ),
        (
            INCOMING_ON_TIME,
            "Tỷ lệ văn bản đến được xử lý đúng hạn",
            "%",
            "Of the assignments of incoming documents due on a day of the period, the "
            "percent done by their due date.",
            incoming_on_time,
        ),
    ):
        metrics.register(
            metrics.MetricProvider(
                code=code,
                name=name,
                unit=unit,
                description=description,
                module="documents",
                compute=compute,
            )
        )
