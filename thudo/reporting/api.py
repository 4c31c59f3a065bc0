"""Reporting API: forms, a unit's values for a period (read; write all or nothing), the
steps of completion and approval, analytics, the metadata as one document, and the
export to the government reporting system (mappings, pushes, the delivery log).

Thin endpoints: a schema in, one service or selector call, a schema out. A unit or
period that does not exist is a field error; one the caller may not see is 404.
"""

from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router

from thudo.core.auth import AuthedRequest
from thudo.core.errors import NotFound, invalid
from thudo.core.models import Agency
from thudo.reporting import checks, selectors, services
from thudo.reporting.contracts import CellInput
from thudo.reporting.models import Form
from thudo.reporting.schemas import (
    AnalyticsOut,
    DeliveryOut,
    ExportIn,
    FormDetailOut,
    FormOut,
    MappingIn,
    MappingOut,
    SavedOut,
    StepIn,
    StepOut,
    ValuesIn,
    ValuesOut,
)

router = Router(tags=["reporting"])


def _form(request: AuthedRequest, code: str) -> Form:
    form = selectors.form_get_for_user(user=request.user, code=code[:50])
    if form is None:
        raise NotFound(_("Không có biểu báo cáo này."))
    return form


def _unit(request: AuthedRequest, form: Form, code: str) -> Agency:
    if selectors.unit_get(code=code) is None:
        raise invalid("unit", "unknown_unit", _("Không có đơn vị %(c)s.") % {"c": code})
    unit = selectors.unit_get_for_user(user=request.user, form=form, code=code)
    if unit is None:
        raise NotFound(_("Không có đơn vị này."))
    return unit


def form_out(form: Form, detail: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": form.code,
        "name": form.name,
        "version": form.version,
        "period_type": form.period_type,
        "deadline_days": form.deadline_days,
        "recipient": form.recipient.code,
        "requires_acceptance": form.requires_acceptance,
    }
    if detail:
        out["units"] = sorted(u.code for u in form.units.all())
        out["sections"] = [
            {
                "name": section.name,
                "elements": [
                    {
                        "code": row.element.code,
                        "name": row.element.name,
                        "value_type": row.element.value_type,
                        "aggregation_type": row.element.aggregation_type,
                        "unit_label": row.element.unit_label,
                        "measured": row.element.is_measured,
                        "disaggregations": [k for k, _l in checks.disaggregations(row.element)],
                    }
                    for row in section.rows.select_related("element")
                ],
            }
            for section in form.sections.all()
        ]
    return out


@router.get(
    "/reporting/forms", response=list[FormOut], summary="Forms the caller reports or receives"
)
def form_list(request: AuthedRequest) -> Any:
    return [form_out(f) for f in selectors.forms_for_user(user=request.user)]


@router.get("/reporting/forms/{code}", response=FormDetailOut, summary="One form with its rows")
def form_get(request: AuthedRequest, code: str) -> Any:
    return form_out(_form(request, code), detail=True)


def _values_out(form: Form, unit: Agency, period: str) -> dict[str, Any]:
    grid = selectors.entry_grid(form=form, unit=unit, period=period)
    values = [
        {
            "element": row.element.code,
            "disaggregation": cell.key,
            "value": format(cell.value.normalize(), "f"),
            "source": cell.source,
            "comment": cell.comment,
            "lineage": cell.lineage,
        }
        for section in grid.sections
        for row in section.rows
        for cell in row.cells
        if cell.value is not None
    ]
    return {
        "unit": unit.code,
        "period": period,
        "locked": grid.locked_by is not None,
        "completed": grid.completion is not None,
        "approval": grid.approval.state if grid.approval else None,
        "values": values,
    }


def _period(period: str) -> str:
    from thudo.reporting import periods

    if not periods.is_code(period):
        raise invalid("period", "period_invalid", _("Kỳ báo cáo không hợp lệ."))
    return period


@router.get("/reporting/forms/{code}/values", response=ValuesOut, summary="A unit's values")
def values_get(
    request: AuthedRequest,
    code: str,
    unit: str = Query(..., max_length=35),
    period: str = Query(..., max_length=8),
) -> Any:
    form = _form(request, code)
    return _values_out(form, _unit(request, form, unit), _period(period))


@router.post(
    "/reporting/forms/{code}/values",
    response=SavedOut,
    summary="Save a unit's values for a period, all or nothing",
)
def values_save(request: AuthedRequest, code: str, payload: ValuesIn) -> Any:
    form = _form(request, code)
    unit = _unit(request, form, payload.unit)
    cells = [
        CellInput(
            element=item.element,
            disaggregation=item.disaggregation,
            raw="" if item.value is None else str(item.value),
            comment=item.comment,
            ref=f"values[{index}]",
        )
        for index, item in enumerate(payload.values)
    ]
    changed = services.values_save_many(
        actor=request.user, form=form, unit=unit, period=payload.period, cells=cells,
        source="api",
    )  # fmt: skip
    return {"changed": changed}


_STEPS = {
    "approve": services.approval_approve,
    "unapprove": services.approval_unapprove,
    "accept": services.approval_accept,
    "unaccept": services.approval_unaccept,
}


@router.post(
    "/reporting/forms/{code}/steps",
    response=StepOut,
    summary="Complete, approve, accept (or take back) a unit's report for a period",
)
def step(request: AuthedRequest, code: str, payload: StepIn) -> Any:
    form = _form(request, code)
    unit = _unit(request, form, payload.unit)
    period = _period(payload.period)
    if payload.action == "complete":
        services.form_complete(actor=request.user, form=form, unit=unit, period=period)
    elif payload.action == "uncomplete":
        services.form_uncomplete(actor=request.user, form=form, unit=unit, period=period)
    else:
        _STEPS[payload.action](
            actor=request.user, form=form, unit=unit, period=period, comment=payload.comment
        )
    out = _values_out(form, unit, period)
    return {k: out[k] for k in ("unit", "period", "completed", "approval")}


@router.get(
    "/reporting/analytics",
    response=AnalyticsOut,
    summary="Values rolled up over periods and units, with their status",
    description=(
        "`dx`, `pe` and `ou` are lists separated by `;`. `dx`: data element or indicator "
        "codes; `pe`: period codes of any type (months roll up into quarters, halves, nine "
        "months and years); `ou`: unit codes, `CODE:children` for the units right below, "
        "`CODE:level-N` for those N levels below."
    ),
)
def analytics(
    request: AuthedRequest,
    dx: str = Query(..., max_length=20000),
    pe: str = Query(..., max_length=2000),
    ou: str = Query(..., max_length=200000),
) -> Any:
    result = selectors.analytics_for_user(user=request.user, dx=dx, pe_codes=pe, ou=ou)
    return {
        "rows": [
            {"dx": r.dx, "pe": r.pe, "ou": r.ou, "value": format(r.value.normalize(), "f"),
             "status": r.status.value}
            for r in result.rows
        ],
        "names": result.names,
    }  # fmt: skip


@router.get(
    "/reporting/metadata",
    response=dict[str, Any],
    summary="All metadata (categories, elements, indicators, forms, rules, targets) as JSON",
)
def metadata_get(request: AuthedRequest) -> Any:
    return selectors.metadata_export()


@router.post(
    "/reporting/metadata",
    response=dict[str, int],
    summary="Load metadata (platform administrators): all or nothing, codes upserted",
)
def metadata_post(request: AuthedRequest, payload: dict[str, Any]) -> Any:
    return services.metadata_import(actor=request.user, document=payload)


def delivery_out(delivery: Any) -> dict[str, Any]:
    return {
        "recipient": delivery.recipient,
        "unit": delivery.unit.code,
        "period": delivery.period,
        "format": delivery.format,
        "status": delivery.status,
        "values": delivery.values,
        "digest": delivery.digest,
        "response": delivery.response,
        "at": delivery.at.isoformat(),
    }


def mapping_out(mapping: Any) -> dict[str, Any]:
    return {
        "recipient": mapping.recipient,
        "indicator": mapping.indicator.code,
        "indicator_name": mapping.indicator.name,
        "external_code": mapping.external_code,
    }


@router.get(
    "/reporting/export-mappings",
    response=list[MappingOut],
    summary="Indicators mapped to the receiving systems' codes",
)
def mapping_list(request: AuthedRequest) -> Any:
    return [mapping_out(m) for m in selectors.mappings_list()]


@router.put(
    "/reporting/export-mappings",
    response=MappingOut,
    summary="Map an indicator to a receiving system's code (platform administrator)",
)
def mapping_set(request: AuthedRequest, payload: MappingIn) -> Any:
    mapping = services.mapping_set(
        actor=request.user,
        recipient=payload.recipient,
        indicator_code=payload.indicator,
        external_code=payload.external_code,
    )
    return mapping_out(mapping)


@router.post(
    "/reporting/exports",
    response=DeliveryOut,
    summary="Push a unit's mapped indicators to the government reporting system",
)
def export_push(request: AuthedRequest, payload: ExportIn) -> Any:
    if selectors.unit_get(code=payload.unit) is None:
        raise invalid("unit", "unknown_unit", _("Không có đơn vị %(c)s.") % {"c": payload.unit})
    unit = selectors.unit_get_for_user(user=request.user, form=None, code=payload.unit)
    if unit is None:
        raise NotFound(_("Không có đơn vị này."))
    delivery = services.export_push(
        actor=request.user,
        recipient=payload.recipient,
        period=payload.period,
        unit=unit,
        fmt=payload.format,
    )
    return delivery_out(delivery)


@router.get("/reporting/exports", response=list[DeliveryOut], summary="The delivery log")
def export_list(request: AuthedRequest) -> Any:
    return [delivery_out(d) for d in selectors.deliveries_for_user(user=request.user)]
