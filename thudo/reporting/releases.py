"""Approved indicator figures, as the open-data portal publishes them."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from thudo.reporting import analytics, expressions
from thudo.reporting.contracts import IndicatorRelease, ReleasedValue, ValueStatus
from thudo.reporting.models import Approval, DataElement, Indicator, SectionElement

RELEASED = (ValueStatus.APPROVED, ValueStatus.MEASURED)


def indicator_releases(*, codes: Sequence[str] | None = None) -> list[IndicatorRelease]:
    indicators = Indicator.objects.prefetch_related("groups").order_by("code")
    if codes is not None:
        indicators = indicators.filter(code__in=list(codes))
    found: list[IndicatorRelease] = []
    for indicator in indicators:
        refs = {
            r.element
            for r in [
                *expressions.references(indicator.numerator),
                *expressions.references(indicator.denominator or "1"),
            ]
        }
        element_ids = list(DataElement.objects.filter(code__in=refs).values_list("pk", flat=True))
        form_ids = set(
            SectionElement.objects.filter(element_id__in=element_ids).values_list(
                "section__form_id", flat=True
            )
        )
        approvals = list(
            Approval.objects.filter(form_id__in=form_ids)
            .select_related("unit", "approved_by", "form")
            .order_by("period", "unit__code")
        )
        periods = sorted({a.period for a in approvals})[-analytics.MAX_PE :]
        units = sorted({a.unit.code for a in approvals})
        values: list[ReleasedValue] = []
        if periods and units:
            by_key = {(a.period, a.unit.code): a for a in approvals}
            result = analytics.query(dx=indicator.code, pe_codes=periods, ou=units)
            for cell in result.rows:
                if cell.status not in RELEASED:
                    continue
                approval = by_key.get((cell.pe, cell.ou))
                values.append(
                    ReleasedValue(
                        period=cell.pe,
                        period_label=result.names.get(cell.pe, cell.pe),
                        unit_code=cell.ou,
                        unit_name=result.names.get(cell.ou, cell.ou),
                        value=cell.value,
                        status=cell.status.value,
                        approved_at=timezone.localtime(approval.approved_at).isoformat()
                        if approval
                        else "",
                        approved_by=str(approval.approved_by) if approval else "",
                    )
                )
        found.append(
            IndicatorRelease(
                code=indicator.code,
                name=indicator.name,
                description=indicator.description,
                unit_label=indicator.unit_label,
                numerator=indicator.numerator,
                denominator=indicator.denominator,
                factor=indicator.factor,
                decimals=indicator.decimals,
                groups=tuple(g.name for g in indicator.groups.all()),
                forms=tuple(sorted({a.form.code for a in approvals})),
                values=tuple(values),
            )
        )
    return found
