"""Reads of the reporting module: forms for a user, the entry grid, the work list, the
approval tree with completeness and timeliness, analytics within a user's units."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from thudo.core import rules as core_rules
from thudo.core.calendar import get_calendar
from thudo.core.errors import PermissionDenied
from thudo.core.models import Agency, Membership
from thudo.reporting import analytics, checks, hierarchy, permissions
from thudo.reporting import periods as pe
from thudo.reporting.contracts import AnalyticsResult, Violation
from thudo.reporting.models import (
    Approval,
    ApprovalEvent,
    Completion,
    DataElement,
    DataValue,
    Form,
    UnitClosure,
)


def _agency_ids(user: Any) -> list[int]:
    if not core_rules.is_official(user):
        return []
    return list(
        Membership.objects.filter(user=user, revoked_at__isnull=True).values_list(
            "agency_id", flat=True
        )
    )


def forms_for_user(*, user: Any) -> QuerySet[Form]:
    """Forms the user's agencies report or receive (all for a platform administrator)."""
    forms = Form.objects.filter(is_active=True).select_related("recipient")
    if core_rules.is_platform_admin(user):
        return forms.order_by("code")
    ids = _agency_ids(user)
    return forms.filter(Q(units__in=ids) | Q(recipient_id__in=ids)).distinct().order_by("code")


def form_get(*, code: str) -> Form | None:
    return Form.objects.select_related("recipient").filter(code=code).first()


def form_get_for_user(*, user: Any, code: str) -> Form | None:
    return forms_for_user(user=user).filter(code=code).first()


def unit_get(*, code: str) -> Agency | None:
    return Agency.objects.filter(code=code).first()


def unit_get_for_user(*, user: Any, form: Form | None, code: str) -> Agency | None:
    unit = unit_get(code=code)
    if unit is None or not permissions.view_unit(user, form, unit):
        return None
    return unit


def visible_unit_ids(*, user: Any) -> set[int] | None:
    """Units whose figures the user may see: their agencies and everything below them,
    and the units of the forms their agencies receive. None means all."""
    if core_rules.is_platform_admin(user):
        return None
    ids = _agency_ids(user)
    hierarchy.ensure()
    below = set(
        UnitClosure.objects.filter(ancestor_id__in=ids).values_list("descendant_id", flat=True)
    )
    received = set(
        Form.objects.filter(recipient_id__in=ids).values_list("units__id", flat=True)
    ) - {None}
    above_received = set(
        UnitClosure.objects.filter(descendant_id__in=received, depth__gt=0).values_list(
            "ancestor_id", flat=True
        )
    )
    return below | received | above_received | set(ids)


def analytics_for_user(
    *, user: Any, dx: str | Sequence[str], pe_codes: str | Sequence[str], ou: str | Sequence[str]
) -> AnalyticsResult:
    request = analytics.parse_request(dx=dx, pe_codes=pe_codes, ou=ou)
    visible = visible_unit_ids(user=user)
    if visible is not None:
        hidden = [u.code for u in request.units if u.pk not in visible]
        if hidden:
            raise PermissionDenied(
                _("Bạn không được xem số liệu của đơn vị: %(units)s.")
                % {"units": ", ".join(hidden[:5])},
                data={"units": hidden[:50]},
            )
    return analytics.run(request)


# --- the entry grid -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    key: str  # disaggregation key
    label: str
    value: Decimal | None
    comment: str = ""
    source: str = ""
    lineage: dict[str, Any] | None = None


@dataclass(frozen=True)
class Row:
    element: DataElement
    cells: tuple[Cell, ...]

    @property
    def measured(self) -> bool:
        return self.element.is_measured


@dataclass(frozen=True)
class SectionRows:
    name: str
    rows: tuple[Row, ...]
    columns: tuple[str, ...]  # labels of the disaggregation columns ("" = a single value)


@dataclass(frozen=True)
class Grid:
    form: Form
    unit: Agency
    period: pe.ReportingPeriod
    sections: tuple[SectionRows, ...]
    deadline: date
    completion: Completion | None
    approval: Approval | None  # the unit's own approval
    locked_by: Approval | None  # own or above
    violations: tuple[Violation, ...] = ()
    filled: int = 0
    total: int = 0
    history: tuple[ApprovalEvent, ...] = field(default_factory=tuple)

    @property
    def late(self) -> bool:
        return self.completion is None and timezone.localdate() > self.deadline


def locked_by(*, form: Form, unit: Agency, period: str) -> Approval | None:
    """The approval that locks the unit's data for the period (its own or one above)."""
    ancestors = hierarchy.ancestor_ids(unit.pk) or [unit.pk]
    return (
        Approval.objects.filter(form=form, period=period, unit_id__in=ancestors)
        .select_related("unit")
        .first()
    )


def entry_grid(*, form: Form, unit: Agency, period: str) -> Grid:
    reporting_period = pe.parse(period)
    values = {
        (v.element_id, v.disaggregation): v
        for v in DataValue.objects.filter(unit=unit, period=period)
    }
    sections = []
    filled = total = 0
    for section in form.sections.prefetch_related("rows__element__categories__options"):
        rows = []
        widest: list[str] = []
        for row in section.rows.all():
            element = row.element
            cells = []
            for key, label in checks.disaggregations(element):
                stored = values.get((element.pk, key))
                cells.append(
                    Cell(
                        key=key,
                        label=label,
                        value=stored.value if stored else None,
                        comment=stored.comment if stored else "",
                        source=stored.source if stored else "",
                        lineage=stored.lineage if stored else None,
                    )
                )
                total += 1
                filled += stored is not None
            if len(cells) > len(widest):
                widest = [c.label for c in cells]
            rows.append(Row(element=element, cells=tuple(cells)))
        sections.append(SectionRows(section.name, tuple(rows), tuple(widest)))
    return Grid(
        form=form,
        unit=unit,
        period=reporting_period,
        sections=tuple(sections),
        deadline=reporting_period.deadline(form.deadline_days),
        completion=Completion.objects.filter(form=form, unit=unit, period=period).first(),
        approval=Approval.objects.filter(form=form, unit=unit, period=period).first(),
        locked_by=locked_by(form=form, unit=unit, period=period),
        violations=tuple(checks.violations(form, unit.pk, period)),
        filled=filled,
        total=total,
        history=tuple(
            ApprovalEvent.objects.filter(form=form, unit=unit, period=period).select_related(
                "actor"
            )
        ),
    )


# --- the work list and the approval tree ----------------------------------------------------


@dataclass(frozen=True)
class UnitStatus:
    unit: Agency
    depth: int  # 0 for the reporting units; 1, 2 … for the units above them
    reporting: bool
    values: int
    completion: Completion | None
    approval: Approval | None

    @property
    def state(self) -> str:
        if self.approval is not None:
            return self.approval.state
        if self.completion is not None:
            return "completed"
        return "started" if self.values else "empty"


@dataclass(frozen=True)
class Overview:
    form: Form
    period: pe.ReportingPeriod
    deadline: date
    units: tuple[UnitStatus, ...]
    expected: int
    completed: int
    on_time: int

    @property
    def completeness(self) -> float:
        return 100.0 * self.completed / self.expected if self.expected else 0.0

    @property
    def timeliness(self) -> float:
        return 100.0 * self.on_time / self.expected if self.expected else 0.0


def overview(*, form: Form, period: str) -> Overview:
    """Every reporting unit of the form and every unit above them, with completion and
    approval for the period; completeness and timeliness (DHIS2's reporting rates)."""
    hierarchy.ensure()
    reporting_period = pe.parse(period)
    reporting_ids = list(form.units.values_list("pk", flat=True))
    above: dict[int, int] = {}
    for ancestor_id, depth in UnitClosure.objects.filter(
        descendant_id__in=reporting_ids, depth__gt=0
    ).values_list("ancestor_id", "depth"):
        above[ancestor_id] = max(above.get(ancestor_id, 0), depth)
    ids = set(reporting_ids) | set(above)
    units = {a.pk: a for a in Agency.objects.filter(pk__in=ids)}
    completions = {
        c.unit_id: c for c in Completion.objects.filter(form=form, period=period, unit_id__in=ids)
    }
    approvals = {a.unit_id: a for a in Approval.objects.filter(form=form, period=period)}
    counts: dict[int, int] = {}
    for unit_id in DataValue.objects.filter(
        unit_id__in=reporting_ids, period=period, element__section__form=form
    ).values_list("unit_id", flat=True):
        counts[unit_id] = counts.get(unit_id, 0) + 1
    rows = [
        UnitStatus(
            unit=units[pk],
            depth=0 if pk in reporting_ids else above[pk],
            reporting=pk in reporting_ids,
            values=counts.get(pk, 0),
            completion=completions.get(pk),
            approval=approvals.get(pk),
        )
        for pk in ids
    ]
    rows.sort(key=lambda r: (-r.depth, r.unit.code))
    done = [completions[pk] for pk in reporting_ids if pk in completions]
    return Overview(
        form=form,
        period=reporting_period,
        deadline=reporting_period.deadline(form.deadline_days),
        units=tuple(rows),
        expected=len(reporting_ids),
        completed=len(done),
        on_time=sum(1 for c in done if c.on_time),
    )


@dataclass(frozen=True)
class Work:
    form: Form
    unit: Agency
    period: pe.ReportingPeriod
    deadline: date
    state: str
    receiving: bool  # the user's agency receives this form (approves the aggregate)


OVERDUE_LOOKBACK = 3  # earlier periods still shown while they are not completed


def worklist_for_user(*, user: Any, today: date | None = None) -> list[Work]:
    """What the user's agencies have to report now, and what they receive: the period
    being reported, and up to three earlier ones still not completed (late)."""
    today = today or timezone.localdate()
    ids = set(_agency_ids(user))
    calendar = get_calendar()
    items = []
    for form in forms_for_user(user=user).prefetch_related("units"):
        current = pe.current_open(form.period_kind, today, form.deadline_days, calendar)
        earlier = [current.previous()]
        while len(earlier) < OVERDUE_LOOKBACK:
            earlier.append(earlier[-1].previous())
        receiving = form.recipient_id in ids
        units = [u for u in form.units.all() if u.pk in ids]
        if receiving and not units:
            units = [form.recipient]
        for unit in units:
            states = _states(form, unit, [current, *earlier])
            for period in [*reversed(earlier), current]:
                state = states.get(period.code, "open")
                if period is not current and (state != "open" or receiving):
                    continue
                deadline = period.deadline(form.deadline_days, calendar)
                items.append(Work(form, unit, period, deadline, state, receiving))
    return items


def _states(form: Form, unit: Agency, periods: list[pe.ReportingPeriod]) -> dict[str, str]:
    codes = [p.code for p in periods]
    done = Completion.objects.filter(form=form, unit=unit, period__in=codes)
    states = dict.fromkeys(done.values_list("period", flat=True), "completed")
    approvals = Approval.objects.filter(form=form, unit=unit, period__in=codes)
    for code, state in approvals.values_list("period", "state"):
        states[code] = state
    return states


def metadata_export() -> dict[str, Any]:
    """All metadata as one document (the format :func:`services.metadata_import` loads)."""
    from thudo.reporting import metadata

    return metadata.export()


# --- look-ups of the pages ------------------------------------------------------------------


def dx_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Data elements and indicators by code, grouped, for the analytics form."""
    from thudo.reporting.models import Indicator

    elements = [
        (code, f"{code} — {name}")
        for code, name in DataElement.objects.order_by("code").values_list("code", "name")
    ]
    indicators = [
        (code, f"{code} — {name}")
        for code, name in Indicator.objects.order_by("code").values_list("code", "name")
    ]
    return [(str(_("Chỉ tiêu")), elements), (str(_("Chỉ số")), indicators)]


def reporting_unit_get_for_user(*, user: Any, form: Form, code: str) -> Agency | None:
    """A reporting unit of the form that the user may see; None for any other unit."""
    unit = unit_get_for_user(user=user, form=form, code=code)
    if unit is None or not form.units.filter(pk=unit.pk).exists():
        return None
    return unit


def overview_for_user(*, user: Any, form: Form, period: str) -> Overview | None:
    """The form's overview for those who may see its recipient's figures (the recipient's
    officials, those above it, the platform administrator); None for anyone else: the
    overview shows every reporting unit, not only the reader's own."""
    if not permissions.view_unit(user, form, form.recipient):
        return None
    return overview(form=form, period=period)


def analytics_units_for_user(*, user: Any) -> list[Agency]:
    """The units whose figures the user may see, the top of the tree first."""
    from django.db.models import Count

    visible = visible_unit_ids(user=user)
    hierarchy.ensure()
    units = Agency.objects.filter(is_active=True)
    closure = UnitClosure.objects.all()
    if visible is not None:
        units = units.filter(pk__in=visible)
        closure = closure.filter(descendant_id__in=visible)
    depth = dict(
        closure.values("descendant_id")
        .annotate(n=Count("id"))
        .values_list("descendant_id", "n")
        .order_by()
    )
    return sorted(units, key=lambda a: (depth.get(a.pk, 0), a.code))


def mappings_list() -> list[Any]:
    """Every indicator mapped to a receiving system's code, by receiver and code."""
    from thudo.reporting.models import ExportMapping

    return list(ExportMapping.objects.select_related("indicator"))


def deliveries_for_user(*, user: Any, limit: int = 100) -> list[Any]:
    """The delivery log of pushes to the government reporting system, for the units the
    user may see."""
    from thudo.reporting.models import ExportDelivery

    rows = ExportDelivery.objects.select_related("unit").order_by("-at", "-pk")
    visible = visible_unit_ids(user=user)
    if visible is not None:
        rows = rows.filter(unit_id__in=visible)
    return list(rows[:limit])
