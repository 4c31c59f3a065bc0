"""Writes of the reporting module: values (one cell, or a whole form at once and all or
nothing), completion, the approval steps, measured values, metadata and the unit tree.

Every write checks its permission first, runs in one transaction with its audit event,
and keeps the pre-aggregated totals of the units above current in that transaction, so
analytics shows a change as soon as it commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from thudo.core import audit, metrics
from thudo.core.errors import Conflict, FieldError, InvalidInput, invalid
from thudo.core.models import Agency, User
from thudo.reporting import checks, hierarchy, metadata, permissions, selectors
from thudo.reporting import periods as pe
from thudo.reporting.contracts import CellInput, SaveResult
from thudo.reporting.models import (
    AggregateValue,
    Approval,
    ApprovalEvent,
    Completion,
    DataElement,
    DataValue,
    Form,
    Target,
    UnitClosure,
)

Key = tuple[int, str]  # (element id, disaggregation)


def _object_id(form: Form, unit: Agency, period: str) -> str:
    return f"{form.code}/{unit.code}/{period}"


def _period(form: Form, code: str, *, today: date | None = None) -> pe.ReportingPeriod:
    try:
        period = pe.parse(code)
    except pe.PeriodError as exc:
        raise invalid("period", "period_invalid", _("Kỳ báo cáo không hợp lệ.")) from exc
    if period.type is not form.period_kind:
        raise invalid(
            "period",
            "period_type_mismatch",
            _("Biểu %(form)s báo cáo theo kỳ %(kind)s.")
            % {"form": form.code, "kind": pe.PERIOD_TYPE_LABELS[form.period_kind]},
        )
    if period.window_start > (today or timezone.localdate()):
        raise invalid("period", "period_not_open", _("Kỳ báo cáo này chưa bắt đầu."))
    return period


def _require_assigned(form: Form, unit: Agency) -> None:
    if not form.units.filter(pk=unit.pk).exists():
        raise invalid(
            "unit", "unit_not_assigned", _("Đơn vị không thuộc danh sách báo cáo biểu này.")
        )


def _require_unlocked(form: Form, unit: Agency, period: str) -> None:
    approval = selectors.locked_by(form=form, unit=unit, period=period)
    if approval is not None:
        raise Conflict(
            _("Số liệu kỳ %(period)s đã được %(unit)s phê duyệt và bị khóa.")
            % {"period": period, "unit": approval.unit.name},
            data={"code_detail": "period_locked"},
        )


def _form_elements(form: Form) -> dict[str, DataElement]:
    elements = (
        DataElement.objects.filter(section__form=form)
        .prefetch_related("categories__options")
        .distinct()
    )
    return {e.code: e for e in elements}


# --- pre-aggregated totals ------------------------------------------------------------------


def _refresh_aggregates(*, unit_id: int, period: str, element_ids: Iterable[int]) -> None:
    """Recompute the totals of the units above ``unit_id`` (and its own, if units lie
    below it) for these elements and period.

    Recomputed from the values rather than adjusted by a difference: a lock on each total
    row first, then a fresh sum, so concurrent saves in sibling units cannot lose one
    another's change (the sum runs after the other transaction commits)."""
    ancestors = hierarchy.ancestor_ids(unit_id, include_self=False)
    if hierarchy.has_descendants([unit_id]):
        # A unit with units below keeps a total of its own values and theirs.
        ancestors.insert(0, unit_id)
    for element_id in sorted(set(element_ids)):
        for ancestor in ancestors:
            _refresh_one(element_id, ancestor, period)


def _refresh_one(element_id: int, ancestor: int, period: str) -> None:
    row = (
        AggregateValue.objects.select_for_update()
        .filter(element_id=element_id, unit_id=ancestor, period=period)
        .first()
    )
    below = UnitClosure.objects.filter(ancestor_id=ancestor).values("descendant_id")
    figures = DataValue.objects.filter(
        element_id=element_id, period=period, unit_id__in=below
    ).aggregate(total=Sum("value"), count=Count("id"), minimum=Min("value"), maximum=Max("value"))
    if not figures["count"]:
        if row is not None:
            row.delete()
        return
    if row is None:
        try:
            with transaction.atomic():
                AggregateValue.objects.create(
                    element_id=element_id, unit_id=ancestor, period=period, **figures
                )
            return
        except IntegrityError:
            # Another transaction created it meanwhile: lock it and write our sum.
            row = AggregateValue.objects.select_for_update().get(
                element_id=element_id, unit_id=ancestor, period=period
            )
            figures = DataValue.objects.filter(
                element_id=element_id, period=period, unit_id__in=below
            ).aggregate(
                total=Sum("value"), count=Count("id"), minimum=Min("value"), maximum=Max("value")
            )
    for name, value in figures.items():
        setattr(row, name, value)
    row.save(update_fields=["total", "count", "minimum", "maximum"])


# --- values ---------------------------------------------------------------------------------


def _check_cells(
    form: Form, unit: Agency, period: str, cells: Sequence[CellInput]
) -> tuple[list[tuple[DataElement, str, Decimal | None, CellInput]], list[FieldError]]:
    elements = _form_elements(form)
    checked: list[tuple[DataElement, str, Decimal | None, CellInput]] = []
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for cell in cells:
        name = cell.ref or (
            f"{cell.element}.{cell.disaggregation}" if cell.disaggregation else cell.element
        )
        element = elements.get(cell.element)
        if element is None:
            errors.append(FieldError(name, "element_not_in_form",
                                     _("Chỉ tiêu %(code)s không có trong biểu này.")
                                     % {"code": cell.element}))  # fmt: skip
            continue
        keys = {key for key, _label in checks.disaggregations(element)}
        if cell.disaggregation not in keys:
            errors.append(FieldError(name, "disaggregation_invalid",
                                     _("Phân tổ không hợp lệ cho chỉ tiêu %(code)s.")
                                     % {"code": element.code}))  # fmt: skip
            continue
        if element.is_measured:
            errors.append(FieldError(name, "measured",
                                     _("Chỉ tiêu %(code)s được đo tự động, không nhập tay.")
                                     % {"code": element.code}))  # fmt: skip
            continue
        if (cell.element, cell.disaggregation) in seen:
            errors.append(FieldError(name, "duplicate", _("Ô này được nhập hai lần.")))
            continue
        seen.add((cell.element, cell.disaggregation))
        raw = cell.raw.strip() if isinstance(cell.raw, str) else cell.raw
        if raw in ("", None):
            checked.append((element, cell.disaggregation, None, cell))
            continue
        try:
            value = checks.check_value(element, raw)
        except checks.CellError as exc:
            errors.append(FieldError(name, exc.code, exc.message))
            continue
        if len(cell.comment) > 500:
            errors.append(FieldError(name, "comment_too_long", _("Ghi chú tối đa 500 ký tự.")))
            continue
        checked.append((element, cell.disaggregation, value, cell))
    return checked, errors


def _store(
    *,
    actor: User | None,
    unit: Agency,
    period: str,
    element: DataElement,
    disaggregation: str,
    value: Decimal | None,
    comment: str,
    source: str,
) -> tuple[Decimal | None, Decimal | None]:
    """Write one cell; returns (old, new)."""
    existing = DataValue.objects.filter(
        element=element, unit=unit, period=period, disaggregation=disaggregation
    ).first()
    old = existing.value if existing is not None else None
    if value is None:
        if existing is not None:
            existing.delete()
        return old, None
    if existing is None:
        DataValue.objects.create(
            element=element,
            unit=unit,
            period=period,
            disaggregation=disaggregation,
            value=value,
            comment=comment,
            source=source,
            stored_by=actor,
        )
    elif existing.value != value or existing.comment != comment:
        existing.value = value
        existing.comment = comment
        existing.source = source
        existing.stored_by = actor
        existing.save(update_fields=["value", "comment", "source", "stored_by", "updated_at"])
    return old, value


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


@transaction.atomic
def value_save(
    *,
    actor: User,
    form: Form,
    unit: Agency,
    period: str,
    element: str,
    raw: str,
    disaggregation: str = "",
    comment: str = "",
    source: str = DataValue.Source.ENTERED,
) -> SaveResult:
    """Save one cell as typed (empty text clears it) and report the form's rules that
    the change now breaks."""
    permissions.require(permissions.value_save(actor, form, unit))
    _require_assigned(form, unit)
    _period(form, period)
    _require_unlocked(form, unit, period)
    cell = CellInput(element=element, raw=raw, disaggregation=disaggregation, comment=comment)
    checked, errors = _check_cells(form, unit, period, [cell])
    if errors:
        raise InvalidInput(errors[0].message, field_errors=errors)
    [(data_element, disagg, value, _cell)] = checked
    old, new = _store(actor=actor, unit=unit, period=period, element=data_element,
                      disaggregation=disagg, value=value, comment=comment,
                      source=source)  # fmt: skip
    if old != new:
        _refresh_aggregates(unit_id=unit.pk, period=period, element_ids=[data_element.pk])
        audit.record(
            action="reporting.value.save",
            actor=actor,
            agency=unit,
            object_type="reporting.value",
            object_id=_object_id(form, unit, period),
            payload={
                "element": element,
                "disaggregation": disagg,
                "old": _text(old),
                "new": _text(new),
                "source": source,
            },
        )
    found = checks.violations(form, unit.pk, period, touching=[element])
    return SaveResult(value=new, violations=tuple(found))


@transaction.atomic
def values_save_many(
    *,
    actor: User,
    form: Form,
    unit: Agency,
    period: str,
    cells: Sequence[CellInput],
    source: str = DataValue.Source.IMPORTED,
) -> int:
    """Save many cells of one form, unit and period, all or nothing: any bad cell and
    nothing is saved, with an error for each bad cell. Returns the cells changed."""
    permissions.require(permissions.values_save_many(actor, form, unit))
    _require_assigned(form, unit)
    _period(form, period)
    _require_unlocked(form, unit, period)
    checked, errors = _check_cells(form, unit, period, cells)
    if errors:
        raise InvalidInput(
            _("Có %(n)d ô không hợp lệ; chưa lưu ô nào.") % {"n": len(errors)},
            field_errors=errors,
        )
    changed = []
    for element, disagg, value, cell in checked:
        old, new = _store(actor=actor, unit=unit, period=period, element=element,
                          disaggregation=disagg, value=value, comment=cell.comment,
                          source=source)  # fmt: skip
        if old != new:
            changed.append(
                {
                    "element": element.code,
                    "disaggregation": disagg,
                    "old": _text(old),
                    "new": _text(new),
                }
            )
    if changed:
        ids = {e.pk for e, _d, _v, _c in checked}
        _refresh_aggregates(unit_id=unit.pk, period=period, element_ids=ids)
        audit.record(
            action="reporting.values.save",
            actor=actor,
            agency=unit,
            object_type="reporting.value",
            object_id=_object_id(form, unit, period),
            payload={"source": source, "changed": len(changed), "cells": changed[:200]},
        )
    return len(changed)


# --- completion -----------------------------------------------------------------------------


def _completion_upsert(
    actor: User | None, form: Form, unit: Agency, period: pe.ReportingPeriod
) -> Completion:
    existing = Completion.objects.filter(form=form, unit=unit, period=period.code).first()
    if existing is not None:
        return existing
    now = timezone.now()
    deadline = period.deadline(form.deadline_days)
    return Completion.objects.create(
        form=form,
        unit=unit,
        period=period.code,
        completed_at=now,
        completed_by=actor,
        on_time=timezone.localdate(now) <= deadline,
    )


@transaction.atomic
def form_complete(*, actor: User, form: Form, unit: Agency, period: str) -> Completion:
    """The unit has finished the form for the period (timeliness is judged now)."""
    permissions.require(permissions.form_complete(actor, form, unit))
    _require_assigned(form, unit)
    reporting_period = _period(form, period)
    if Completion.objects.filter(form=form, unit=unit, period=period).exists():
        raise Conflict(_("Báo cáo kỳ này đã được đánh dấu hoàn thành."))
    completion = _completion_upsert(actor, form, unit, reporting_period)
    audit.record(
        action="reporting.form.complete",
        actor=actor,
        agency=unit,
        object_type="reporting.form",
        object_id=_object_id(form, unit, period),
        payload={"on_time": completion.on_time},
    )
    return completion


@transaction.atomic
def form_uncomplete(*, actor: User, form: Form, unit: Agency, period: str) -> None:
    permissions.require(permissions.form_uncomplete(actor, form, unit))
    _require_unlocked(form, unit, period)
    deleted, _rows = Completion.objects.filter(form=form, unit=unit, period=period).delete()
    if not deleted:
        raise Conflict(_("Báo cáo kỳ này chưa hoàn thành."))
    audit.record(
        action="reporting.form.uncomplete",
        actor=actor,
        agency=unit,
        object_type="reporting.form",
        object_id=_object_id(form, unit, period),
    )


# --- approval -------------------------------------------------------------------------------


def _reporting_units_below(form: Form, unit: Agency) -> list[int]:
    below = UnitClosure.objects.filter(ancestor=unit, depth__gt=0).values("descendant_id")
    return list(form.units.filter(pk__in=below).values_list("pk", flat=True))


def _approval_scope(form: Form, unit: Agency) -> tuple[bool, list[int]]:
    """(is it a reporting unit of the form, the form's reporting units below it)."""
    hierarchy.ensure()
    is_reporting = form.units.filter(pk=unit.pk).exists()
    below = _reporting_units_below(form, unit)
    if not is_reporting and not below:
        raise invalid(
            "unit", "unit_not_in_form", _("Đơn vị không báo cáo và không tổng hợp biểu này.")
        )
    return is_reporting, below


def _step(action: str, actor: User, form: Form, unit: Agency, period: str, comment: str) -> None:
    if len(comment) > 500:
        raise invalid("comment", "comment_too_long", _("Ý kiến tối đa 500 ký tự."))
    ApprovalEvent.objects.create(form=form, unit=unit, period=period, action=action,
                                 actor=actor, comment=comment, at=timezone.now())  # fmt: skip
    audit.record(
        action=f"reporting.approval.{action}",
        actor=actor,
        agency=unit,
        object_type="reporting.form",
        object_id=_object_id(form, unit, period),
        payload={"comment": comment},
    )


def _locked_approval(form: Form, unit: Agency, period: str) -> Approval | None:
    return Approval.objects.select_for_update().filter(form=form, unit=unit, period=period).first()


def _require_no_approval_above(form: Form, unit: Agency, period: str) -> None:
    above = hierarchy.ancestor_ids(unit.pk, include_self=False)
    if Approval.objects.filter(form=form, period=period, unit_id__in=above).exists():
        raise Conflict(
            _("Cấp trên đã phê duyệt kỳ này; cần cấp trên hủy phê duyệt trước."),
            data={"code_detail": "approved_above"},
        )


@transaction.atomic
def approval_approve(
    *, actor: User, form: Form, unit: Agency, period: str, comment: str = ""
) -> Approval:
    """Approve the unit's data for the period and lock it. Above the reporting units,
    only once every reporting unit below is approved (and accepted, if the form asks)."""
    is_reporting, below = _approval_scope(form, unit)
    permissions.require(
        permissions.approval_approve(actor, form, unit, reporting_unit=is_reporting)
    )
    reporting_period = _period(form, period)
    if _locked_approval(form, unit, period) is not None:
        raise Conflict(_("Số liệu kỳ này đã được phê duyệt."))
    if below:
        ready = Approval.objects.filter(form=form, period=period, unit_id__in=below)
        if form.requires_acceptance:
            ready = ready.filter(state=Approval.State.ACCEPTED)
        missing = len(below) - ready.count()
        if missing:
            raise Conflict(
                _("Còn %(n)d đơn vị cấp dưới chưa được phê duyệt%(accepted)s.")
                % {
                    "n": missing,
                    "accepted": _(" và tiếp nhận") if form.requires_acceptance else "",
                },
                data={"code_detail": "children_not_approved", "missing": missing},
            )
    if is_reporting:
        _completion_upsert(actor, form, unit, reporting_period)
    approval = Approval.objects.create(form=form, unit=unit, period=period, approved_by=actor,
                                       approved_at=timezone.now(), comment=comment)  # fmt: skip
    _step(ApprovalEvent.Action.APPROVE, actor, form, unit, period, comment)
    return approval


@transaction.atomic
def approval_unapprove(
    *, actor: User, form: Form, unit: Agency, period: str, comment: str = ""
) -> None:
    """Take an approval back (the data opens again), while nothing above rests on it."""
    is_reporting, _below = _approval_scope(form, unit)
    permissions.require(
        permissions.approval_unapprove(actor, form, unit, reporting_unit=is_reporting)
    )
    approval = _locked_approval(form, unit, period)
    if approval is None:
        raise Conflict(_("Số liệu kỳ này chưa được phê duyệt."))
    if approval.state == Approval.State.ACCEPTED:
        raise Conflict(_("Cấp trên đã tiếp nhận; cần hủy tiếp nhận trước."))
    _require_no_approval_above(form, unit, period)
    approval.delete()
    _step(ApprovalEvent.Action.UNAPPROVE, actor, form, unit, period, comment)


@transaction.atomic
def approval_accept(
    *, actor: User, form: Form, unit: Agency, period: str, comment: str = ""
) -> Approval:
    """The level above acknowledges the approved data (two-step approval)."""
    permissions.require(permissions.approval_accept(actor, form, unit))
    if not form.requires_acceptance:
        raise Conflict(_("Biểu này không có bước tiếp nhận."))
    approval = _locked_approval(form, unit, period)
    if approval is None:
        raise Conflict(_("Số liệu kỳ này chưa được phê duyệt."))
    if approval.state == Approval.State.ACCEPTED:
        raise Conflict(_("Số liệu kỳ này đã được tiếp nhận."))
    approval.state = Approval.State.ACCEPTED
    approval.accepted_by = actor
    approval.accepted_at = timezone.now()
    approval.save(update_fields=["state", "accepted_by", "accepted_at"])
    _step(ApprovalEvent.Action.ACCEPT, actor, form, unit, period, comment)
    return approval


@transaction.atomic
def approval_unaccept(
    *, actor: User, form: Form, unit: Agency, period: str, comment: str = ""
) -> Approval:
    permissions.require(permissions.approval_unaccept(actor, form, unit))
    approval = _locked_approval(form, unit, period)
    if approval is None or approval.state != Approval.State.ACCEPTED:
        raise Conflict(_("Số liệu kỳ này chưa được tiếp nhận."))
    _require_no_approval_above(form, unit, period)
    approval.state = Approval.State.APPROVED
    approval.accepted_by = None
    approval.accepted_at = None
    approval.save(update_fields=["state", "accepted_by", "accepted_at"])
    _step(ApprovalEvent.Action.UNACCEPT, actor, form, unit, period, comment)
    return approval


# --- measured values ------------------------------------------------------------------------


@transaction.atomic
def measured_compute(
    *, actor: User | None = None, period: str, forms: Iterable[Form] | None = None
) -> int:
    """Compute every measured element of the forms of ``period``'s type for each of
    their units from the metrics registry, with lineage. Approved (locked) data is left
    as it was approved. Returns the values written."""
    permissions.require(permissions.measured_compute(actor))
    reporting_period = pe.parse(period)
    selected = list(forms) if forms is not None else list(Form.objects.filter(is_active=True))
    selected = [f for f in selected if f.period_kind is reporting_period.type]
    window = metrics.Period(
        reporting_period.window_start, reporting_period.window_end, reporting_period.code
    )
    with metrics.computing():
        written = _measure(selected, period, window)
    audit.record(
        action="reporting.measured.compute",
        actor=actor,
        object_type="reporting.period",
        object_id=period,
        payload={"values": written, "forms": [f.code for f in selected]},
    )
    return written


def _measure(selected: Sequence[Form], period: str, window: metrics.Period) -> int:
    written = 0
    for form in selected:
        measured = [e for e in _form_elements(form).values() if e.is_measured]
        if not measured:
            continue
        for unit in form.units.all():
            if selectors.locked_by(form=form, unit=unit, period=period) is not None:
                continue
            changed = []
            for element in measured:
                provider = metrics.get(element.metric_code)
                if provider is None:
                    continue
                try:
                    value = provider.value(window, unit.code)
                except metrics.MetricNotApplicable:
                    continue
                lineage = {
                    "metric": provider.code,
                    "name": provider.name,
                    "module": provider.module,
                    "window": [window.start.isoformat(), window.end.isoformat()],
                    "computed_at": value.computed_at.isoformat(),
                    "query": value.lineage,
                }
                DataValue.objects.update_or_create(
                    element=element,
                    unit=unit,
                    period=period,
                    disaggregation="",
                    defaults={
                        "value": value.value,
                        "source": DataValue.Source.MEASURED,
                        "lineage": lineage,
                        "stored_by": None,
                    },
                )
                changed.append(element.pk)
                written += 1
            if changed:
                _refresh_aggregates(unit_id=unit.pk, period=period, element_ids=changed)
    return written


# --- metadata, the unit tree, targets -------------------------------------------------------


@transaction.atomic
def metadata_import(*, actor: User | None, document: Mapping[str, Any]) -> dict[str, int]:
    """Load categories, data elements, indicators, forms and rules from a document (the
    JSON of :func:`metadata.export`, or CSV converted by :mod:`metadata`). Everything is
    checked first; any error and nothing is loaded. Existing codes are updated."""
    permissions.require(permissions.metadata_import(actor))
    counts = metadata.apply(document)
    hierarchy.rebuild()
    audit.record(
        action="reporting.metadata.import",
        actor=actor,
        object_type="reporting.metadata",
        payload=counts,
    )
    return counts


@transaction.atomic
def hierarchy_refresh(*, actor: User | None = None) -> int:
    permissions.require(permissions.hierarchy_refresh(actor))
    return hierarchy.rebuild()


# Pre-aggregation in one statement per database: a set-based rebuild is what makes it fast.
_REBUILD_SQL = """
INSERT INTO reporting_aggregatevalue (element_id, unit_id, period, total, count, minimum, maximum)
SELECT v.element_id, c.ancestor_id, v.period, SUM(v.value), COUNT(*), MIN(v.value), MAX(v.value)
FROM reporting_datavalue v
JOIN reporting_unitclosure c ON c.descendant_id = v.unit_id
WHERE c.ancestor_id IN (SELECT ancestor_id FROM reporting_unitclosure WHERE depth > 0)
GROUP BY v.element_id, c.ancestor_id, v.period
"""


@transaction.atomic
def aggregates_rebuild(*, actor: User | None = None) -> int:
    """Rebuild every pre-aggregated total from the values (after a change of the unit
    tree, or a bulk load that bypassed the services)."""
    permissions.require(permissions.aggregates_rebuild(actor))
    from django.db import connection

    hierarchy.rebuild()
    AggregateValue.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(_REBUILD_SQL)
    rows = AggregateValue.objects.count()
    audit.record(
        action="reporting.aggregates.rebuild",
        actor=actor,
        object_type="reporting.aggregate",
        payload={"rows": rows},
    )
    return rows


@transaction.atomic
def target_set(
    *, actor: User | None, indicator_code: str, unit: Agency, year: int, value: Any
) -> Target:
    from thudo.reporting.models import Indicator

    permissions.require(permissions.target_set(actor))
    indicator = Indicator.objects.filter(code=indicator_code).first()
    if indicator is None:
        raise invalid("indicator", "unknown_indicator", _("Không có chỉ số này."))
    try:
        number = checks.parse_number(value)
    except checks.CellError as exc:
        raise invalid("value", exc.code, exc.message) from exc
    target, _created = Target.objects.update_or_create(
        indicator=indicator, unit=unit, year=year, defaults={"value": number}
    )
    audit.record(
        action="reporting.target.set",
        actor=actor,
        agency=unit,
        object_type="reporting.target",
        object_id=f"{indicator.code}/{unit.code}/{year}",
        payload={"value": _text(number)},
    )
    return target


# --- Excel ----------------------------------------------------------------------------------


def excel_import(*, actor: User, form: Form, unit: Agency, data: bytes) -> int:
    """Save a filled-in workbook of the form (downloaded from the entry page): all or
    nothing, errors named by Excel cell. The workbook must be the unit's own."""
    from thudo.reporting import excel

    permissions.require(permissions.excel_import(actor, form, unit))
    upload = excel.read(form, data)
    if upload.unit_code != unit.code:
        raise invalid(
            "file",
            "template_wrong_unit",
            _("Tệp này là biểu của đơn vị khác (%(code)s).") % {"code": upload.unit_code},
        )
    return values_save_many(
        actor=actor,
        form=form,
        unit=unit,
        period=upload.period,
        cells=upload.cells,
        source=DataValue.Source.IMPORTED,
    )


# --- export to the Government reporting system ----------------------------------------------

# Here rather than in the import block above, which others edit.
from thudo.reporting.models import ExportDelivery, ExportMapping  # noqa: E402


@transaction.atomic
def mapping_set(
    *, actor: User | None, recipient: str, indicator_code: str, external_code: str
) -> ExportMapping:
    """Map an indicator to the receiving system's code for it (upsert): the receiver must
    be a configured one, the indicator must exist, and no other indicator of the same
    receiver may hold the code."""
    import re

    from django.conf import settings

    from thudo.reporting.models import Indicator

    permissions.require(permissions.mapping_set(actor))
    recipient, external_code = (recipient or "").strip(), (external_code or "").strip()
    errors = []
    if recipient not in settings.REPORTING_EXPORT_SERVICES:
        message = _("Không có hệ thống nhận %(r)s.") % {"r": recipient}
        errors.append(FieldError("recipient", "recipient_unknown", message))
    indicator = Indicator.objects.filter(code=(indicator_code or "").strip()).first()
    if indicator is None:
        message = _("Không có chỉ số %(c)s.") % {"c": indicator_code}
        errors.append(FieldError("indicator", "unknown_indicator", message))
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}", external_code):
        message = _(
            "Mã bên nhận gồm 1–100 chữ cái không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới."
        )
        errors.append(FieldError("external_code", "external_code_format", message))
    elif (
        ExportMapping.objects.filter(recipient=recipient, external_code=external_code)
        .exclude(indicator=indicator)
        .exists()
    ):
        message = _("Mã %(c)s đã được gán cho chỉ số khác.") % {"c": external_code}
        errors.append(FieldError("external_code", "external_code_taken", message))
    if errors:
        raise InvalidInput(errors[0].message, field_errors=errors)
    assert indicator is not None
    existing = (
        ExportMapping.objects.select_for_update()
        .filter(recipient=recipient, indicator=indicator)
        .first()
    )
    old = existing.external_code if existing is not None else None
    if existing is None:
        mapping = ExportMapping.objects.create(
            recipient=recipient, indicator=indicator, external_code=external_code
        )
    else:
        mapping = existing
        if old != external_code:
            mapping.external_code = external_code
            mapping.save(update_fields=["external_code"])
    if old != external_code:
        audit.record(
            action="reporting.mapping.set",
            actor=actor,
            object_type="reporting.mapping",
            object_id=f"{recipient}/{indicator.code}",
            payload={"old": old, "new": external_code},
        )
    return mapping


def export_push(
    *, actor: User | None, recipient: str, period: str, unit: Agency, fmt: str = "json"
) -> ExportDelivery:
    """Push the unit's mapped indicators for the period to the receiving system through
    the exchange hub, as JSON or SDMX-ML, and return the logged delivery.

    Not one transaction: the hub may take seconds to answer, and no lock is held while it
    does; the delivery row and its audit event are written together afterwards. A hub or
    receiver failure comes back as a delivery with status ``failed``, not an error."""
    from django.conf import settings

    from thudo.reporting import export

    permissions.require(permissions.export_push(actor, unit))
    errors = []
    if fmt not in export.FORMATS:
        message = _("Định dạng phải là json hoặc sdmx.")
        errors.append(FieldError("fmt", "format_unknown", message))
    if recipient not in settings.REPORTING_EXPORT_SERVICES:
        message = _("Không có hệ thống nhận %(r)s.") % {"r": recipient}
        errors.append(FieldError("recipient", "recipient_unknown", message))
    try:
        reporting_period = pe.parse(period)
    except pe.PeriodError:
        message = _("Kỳ báo cáo không hợp lệ.")
        errors.append(FieldError("period", "period_invalid", message))
    else:
        if reporting_period.window_start > timezone.localdate():
            message = _("Kỳ báo cáo này chưa bắt đầu.")
            errors.append(FieldError("period", "period_not_open", message))
    if errors:
        raise InvalidInput(errors[0].message, field_errors=errors)
    return export.push(actor=actor, recipient=recipient, period=period, unit=unit, fmt=fmt)
