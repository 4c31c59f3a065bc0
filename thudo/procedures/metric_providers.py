"""Measured figures of the public-services module for reporting, the DTI and the IOC:
counts of dossiers received, on time, late, online and fully online, the average rating,
and the service index (Decision 766). ``org_unit`` is the competent agency's code."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from thudo.core import metrics
from thudo.core.models import Agency
from thudo.procedures import index
from thudo.procedures.selectors import Figures, figures

PREFIX = "procedures."


def _agency(org_unit: str | None) -> Agency | None:
    if org_unit is None:
        return None
    agency = Agency.objects.filter(code=org_unit).first()
    if agency is None:
        raise metrics.MetricNotApplicable(org_unit)
    return agency


def _figures(period: metrics.Period, org_unit: str | None) -> Figures:
    since, until = index.bounds(period.start, period.end)

    def compute() -> Figures:
        return figures(start=since, end=until, agency=_agency(org_unit))

    # The six counts of one agency and period come from the same figures.
    return metrics.shared(("procedures.figures", since, until, org_unit), compute)


LINEAGE = (
    "procedures_dossier rows of the competent agency (all agencies when none), drafts "
    "excluded; received = submitted_at in the period; finished = finished_at in the period "
    "with a due date, withdrawn and rejected excluded"
)


def _count(field: str) -> metrics.Compute:
    def compute(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
        value = getattr(_figures(period, org_unit), field)
        return Decimal(value), f"{field} = {value}; {LINEAGE}"

    return compute


def _average(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    f = _figures(period, org_unit)
    if f.average_rating is None:
        return Decimal(0), "no rated dossier in the period: 0 by convention"
    value = Decimal(f.average_rating).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return value, f"average of {f.rated} ratings (1–5) of dossiers finished in the period"


def _index(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
    result = index.compute(start=period.start, end=period.end, agency=_agency(org_unit))
    parts = "; ".join(f"{g.code} {g.score}/{g.weight} ({g.detail})" for g in result.groups)
    return Decimal(str(result.total)), f"Decision 766 groups: {parts}"


COUNTS = {
    "received": ("Hồ sơ tiếp nhận", "dossiers"),
    "online": ("Hồ sơ nộp trực tuyến", "dossiers"),
    "fully_online": ("Hồ sơ trực tuyến toàn trình", "dossiers"),
    "finished": ("Hồ sơ đã giải quyết", "dossiers"),
    "on_time": ("Hồ sơ giải quyết đúng hạn", "dossiers"),
    "late": ("Hồ sơ giải quyết quá hạn", "dossiers"),
}


def register() -> None:
    for field, (name, unit) in COUNTS.items():
        metrics.register(
            metrics.MetricProvider(
                code=f"{PREFIX}{field}",
                name=name,
                unit=unit,
                description=name,
                module="procedures",
                compute=_count(field),
            )
        )
    metrics.register(
        metrics.MetricProvider(
            code=f"{PREFIX}satisfaction",
            name="Mức độ hài lòng trung bình",
            unit="points (1–5)",
            description="Điểm đánh giá trung bình của người dân (1–5)",
            module="procedures",
            compute=_average,
        )
    )
    metrics.register(
        metrics.MetricProvider(
            code=f"{PREFIX}service_index",
            name="Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766)",
            unit="points (0–100)",
            description="Tổng điểm năm nhóm chỉ số của Quyết định 766/QĐ-TTg",
            module="procedures",
            compute=_index,
        )
    )
