"""Analytics: values of data elements and indicators rolled up over periods and units.

Over time, months roll up into quarters, halves, nine months and the year (and any
stored period into those that contain it); over units, the pre-aggregated totals of
``AggregateValue`` serve every unit above the reporting units, so a city total is one
indexed read instead of a scan of its communes. Each data element says how it combines
(``AggregationType``):

| type                 | over time                     | over units           |
|----------------------|-------------------------------|----------------------|
| sum                  | sum                           | sum                  |
| average              | mean of all values            | mean of all values   |
| average_sum_org_unit | mean of the period totals     | sum                  |
| last                 | the latest period's total     | sum                  |
| min / max            | min / max                     | min / max            |

Each figure carries a status: *measured* (computed from the platform's records),
*approved* (every period of it approved at that unit or above) or *provisional*.

The SQL is written by hand because the ORM cannot group by a ``CASE`` over the period
codes without a subquery per period; it is plain SQL that runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from thudo.core.errors import FieldError, InvalidInput
from thudo.core.models import Agency
from thudo.reporting import expressions, hierarchy
from thudo.reporting import periods as pe
from thudo.reporting.contracts import AnalyticsCell, AnalyticsResult, ValueStatus
from thudo.reporting.models import (
    AggregationType,
    Approval,
    DataElement,
    Form,
    Indicator,
    SectionElement,
    UnitClosure,
)

A = AggregationType
PLACES = Decimal("0.0001")
MAX_DX, MAX_PE, MAX_OU = 500, 60, 20_000
# Elements whose per-period totals are needed rather than flat sums.
PER_PERIOD = {A.AVERAGE_SUM_ORG_UNIT, A.LAST}

Key = tuple[int, int, str]  # (element id, unit id, target period code)


@dataclass(frozen=True)
class Request:
    elements: list[DataElement]
    indicators: list[Indicator]
    periods: list[pe.ReportingPeriod]
    units: list[Agency]
    dx_order: list[str]


# --- parsing the request --------------------------------------------------------------------


def _split(value: str | Sequence[str]) -> list[str]:
    items = value.split(";") if isinstance(value, str) else list(value)
    return [i.strip() for i in items if i and i.strip()]


def parse_request(
    *, dx: str | Sequence[str], pe_codes: str | Sequence[str], ou: str | Sequence[str]
) -> Request:
    """Resolve ``dx`` (element or indicator codes), ``pe`` (period codes) and ``ou``
    (unit codes; ``CODE:children`` for the units right below, ``CODE:level-N`` for those
    N levels below) — every unknown item is a field error, nothing is guessed."""
    errors: list[FieldError] = []
    dx_codes, pe_items, ou_items = _split(dx), _split(pe_codes), _split(ou)
    for name, items, limit in (("dx", dx_codes, MAX_DX), ("pe", pe_items, MAX_PE),
                               ("ou", ou_items, MAX_OU)):  # fmt: skip
        if not items:
            errors.append(FieldError(name, "required", _("Cần ít nhất một giá trị.")))
        elif len(items) > limit:
            errors.append(FieldError(name, "too_many", _("Tối đa %(n)d giá trị.") % {"n": limit}))
    if errors:
        raise InvalidInput(errors[0].message, field_errors=errors)
    elements = {e.code: e for e in DataElement.objects.filter(code__in=dx_codes)}
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=dx_codes)}
    for code in dx_codes:
        if code not in elements and code not in indicators:
            message = _("Không có chỉ tiêu hoặc chỉ số %(c)s.") % {"c": code}
            errors.append(FieldError("dx", "unknown_dx", message))
    periods = []
    for code in pe_items:
        try:
            periods.append(pe.parse(code))
        except pe.PeriodError:
            errors.append(FieldError("pe", "unknown_pe",
                                     _("Kỳ %(c)s không hợp lệ.") % {"c": code}))  # fmt: skip
    units = _units(ou_items, errors)
    if errors:
        raise InvalidInput(errors[0].message, field_errors=errors)
    return Request(
        elements=[elements[c] for c in dx_codes if c in elements],
        indicators=[indicators[c] for c in dx_codes if c in indicators],
        periods=list(dict.fromkeys(periods)),
        units=units,
        dx_order=list(dict.fromkeys(dx_codes)),
    )


def _units(items: list[str], errors: list[FieldError]) -> list[Agency]:
    hierarchy.ensure()
    plain = {}
    for item in items:
        plain[item] = item.split(":", 1)
    roots = {code for code, *_rest in plain.values()}
    found = {a.code: a for a in Agency.objects.filter(code__in=roots)}
    units: dict[int, Agency] = {}
    for item, parts in plain.items():
        root = found.get(parts[0])
        if root is None:
            errors.append(FieldError("ou", "unknown_ou",
                                     _("Không có đơn vị %(c)s.") % {"c": parts[0]}))  # fmt: skip
            continue
        if len(parts) == 1:
            units.setdefault(root.pk, root)
            continue
        modifier = parts[1]
        depth = 1 if modifier == "children" else None
        if modifier.startswith("level-") and modifier[6:].isdigit():
            depth = int(modifier[6:])
        if depth is None or not 1 <= depth <= 10:
            errors.append(FieldError("ou", "unknown_ou_modifier",
                                     _("Không hiểu %(c)s (dùng :children hoặc :level-N).")
                                     % {"c": item}))  # fmt: skip
            continue
        below = UnitClosure.objects.filter(ancestor=root, depth=depth).values("descendant_id")
        for agency in Agency.objects.filter(pk__in=below).order_by("code"):
            units.setdefault(agency.pk, agency)
    return list(units.values())


# --- the queries ----------------------------------------------------------------------------


def _layers(targets: Sequence[pe.ReportingPeriod]) -> list[dict[str, list[str]]]:
    """Split the target periods into groups whose contained periods do not overlap, so
    each group is one query with one ``CASE`` (Q1..Q4 together; the year apart)."""
    layers: list[dict[str, list[str]]] = []
    used: list[set[str]] = []
    for target in targets:
        inside = [p.code for p in pe.contained(target)]
        for layer, codes in zip(layers, used, strict=True):
            if not codes & set(inside):
                layer[target.code] = inside
                codes.update(inside)
                break
        else:
            layers.append({target.code: inside})
            used.append(set(inside))
    return layers


def _case(layer: dict[str, list[str]], column: str) -> tuple[str, list[Any], list[str]]:
    whens, params, codes = [], [], []
    for target, inside in layer.items():
        marks = ", ".join(["%s"] * len(inside))
        whens.append(f"WHEN {column} IN ({marks}) THEN %s")
        params.extend([*inside, target])
        codes.extend(inside)
    return f"CASE {' '.join(whens)} END", params, codes


def _in(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


# The SQL texts below hold only placeholders and fixed names; values go as parameters.
def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def element_values(
    elements: Sequence[DataElement],
    targets: Sequence[pe.ReportingPeriod],
    units: Sequence[Agency],
) -> dict[Key, Decimal]:
    """(element id, unit id, target period code) → value, for every combination that
    has data."""
    if not elements or not targets or not units:
        return {}
    above = hierarchy.has_descendants([u.pk for u in units])
    leaves = [u.pk for u in units if u.pk not in above]
    parents = [u.pk for u in units if u.pk in above]
    flat = [e for e in elements if e.aggregation_type not in PER_PERIOD]
    per_period = [e for e in elements if e.aggregation_type in PER_PERIOD]
    kinds = {e.pk: e.aggregation_type for e in elements}
    out: dict[Key, Decimal] = {}
    for layer in _layers(targets):
        for table, unit_ids in (("datavalue", leaves), ("aggregatevalue", parents)):
            if not unit_ids:
                continue
            if flat:
                _flat(out, table, layer, [e.pk for e in flat], unit_ids, kinds)
            if per_period:
                _per_period(out, table, layer, [e.pk for e in per_period], unit_ids, kinds)
    return out


def _source(table: str) -> tuple[str, str, str, str]:
    """Column expressions (sum, count, min, max) of one stored period's rows."""
    if table == "datavalue":
        return "SUM(value)", "COUNT(*)", "MIN(value)", "MAX(value)"
    return "SUM(total)", "SUM(count)", "MIN(minimum)", "MAX(maximum)"


def _flat(
    out: dict[Key, Decimal],
    table: str,
    layer: dict[str, list[str]],
    element_ids: list[int],
    unit_ids: list[int],
    kinds: dict[int, str],
) -> None:
    bucket, bucket_params, codes = _case(layer, "period")
    total, count, low, high = _source(table)
    sql = (
        f"SELECT element_id, unit_id, {bucket}, {total}, {count}, {low}, {high} "  # noqa: S608
        f"FROM reporting_{table} WHERE element_id IN ({_in(element_ids)}) "
        f"AND unit_id IN ({_in(unit_ids)}) AND period IN ({_in(codes)}) GROUP BY 1, 2, 3"
    )
    rows = _fetch(sql, [*bucket_params, *element_ids, *unit_ids, *codes])
    # The hot loop of a large roll-up: PostgreSQL returns numeric sums as Decimals of
    # scale 4 already, which are kept as they are; SQLite returns floats, rounded back.
    for element_id, unit_id, target, s, n, mn, mx in rows:
        kind = kinds[element_id]
        if kind == A.SUM:
            value = s
        elif kind == A.AVERAGE:
            value = (_decimal(s) / _decimal(n)).quantize(PLACES, ROUND_HALF_UP)
        elif kind == A.MIN:
            value = mn
        else:
            value = mx
        if type(value) is not Decimal:
            value = Decimal(str(value)).quantize(PLACES, ROUND_HALF_UP)
        out[(element_id, unit_id, target)] = value


def _per_period(
    out: dict[Key, Decimal],
    table: str,
    layer: dict[str, list[str]],
    element_ids: list[int],
    unit_ids: list[int],
    kinds: dict[int, str],
) -> None:
    bucket, bucket_params, codes = _case(layer, "period")
    total = "SUM(value)" if table == "datavalue" else "SUM(total)"
    sql = (
        f"SELECT element_id, unit_id, {bucket}, period, {total} "  # noqa: S608
        f"FROM reporting_{table} WHERE element_id IN ({_in(element_ids)}) "
        f"AND unit_id IN ({_in(unit_ids)}) AND period IN ({_in(codes)}) GROUP BY 1, 2, 3, 4"
    )
    grouped: dict[Key, list[tuple[pe.ReportingPeriod, Decimal]]] = defaultdict(list)
    for element_id, unit_id, target, period, s in _fetch(
        sql, [*bucket_params, *element_ids, *unit_ids, *codes]
    ):
        grouped[(element_id, unit_id, target)].append((pe.parse(period), _decimal(s)))
    for key, series in grouped.items():
        if kinds[key[0]] == A.LAST:
            value = max(series, key=lambda item: (item[0].last_month, item[0].first_month))[1]
        else:
            value = sum((v for _p, v in series), Decimal(0)) / len(series)
        out[key] = value.quantize(PLACES, ROUND_HALF_UP)


def option_values(
    element_ids: Sequence[int],
    targets: Sequence[pe.ReportingPeriod],
    units: Sequence[Agency],
) -> dict[tuple[int, str, int, str], Decimal]:
    """(element id, disaggregation, unit id, target) → sum, for indicator references to
    one disaggregation (summed over the units below, through the closure table)."""
    if not element_ids or not targets or not units:
        return {}
    unit_ids = [u.pk for u in units]
    out: dict[tuple[int, str, int, str], Decimal] = {}
    for layer in _layers(targets):
        bucket, bucket_params, codes = _case(layer, "v.period")
        sql = (
            f"SELECT v.element_id, v.disaggregation, c.ancestor_id, {bucket}, SUM(v.value) "  # noqa: S608
            "FROM reporting_datavalue v JOIN reporting_unitclosure c "
            "ON c.descendant_id = v.unit_id "
            f"WHERE v.element_id IN ({_in(element_ids)}) AND c.ancestor_id IN ({_in(unit_ids)}) "
            f"AND v.period IN ({_in(codes)}) GROUP BY 1, 2, 3, 4"
        )
        for element_id, disagg, unit_id, target, s in _fetch(
            sql, [*bucket_params, *element_ids, *unit_ids, *codes]
        ):
            out[(element_id, disagg, unit_id, target)] = _decimal(s)
    return out


# --- statuses -------------------------------------------------------------------------------


class _Statuses:
    """Approved when every open period of each form holding the element, inside the
    target period, is approved at the unit or above; measured elements are measured."""

    def __init__(
        self,
        element_ids: Iterable[int],
        targets: Sequence[pe.ReportingPeriod],
        units: Sequence[Agency],
    ) -> None:
        self.forms_of: dict[int, list[Form]] = defaultdict(list)
        rows = SectionElement.objects.filter(element_id__in=list(element_ids)).select_related(
            "section__form"
        )
        for row in rows:
            form = row.section.form
            if form not in self.forms_of[row.element_id]:
                self.forms_of[row.element_id].append(form)
        unit_ids = [u.pk for u in units]
        self.ancestors: dict[int, list[int]] = defaultdict(list)
        for ancestor, descendant in UnitClosure.objects.filter(
            descendant_id__in=unit_ids
        ).values_list("ancestor_id", "descendant_id"):
            self.ancestors[descendant].append(ancestor)
        today = timezone.localdate()
        self.required: dict[tuple[int, str], list[str]] = {}
        codes: set[str] = set()
        forms = {f.pk: f for fs in self.forms_of.values() for f in fs}
        for form in forms.values():
            for target in targets:
                inside = [
                    p.code
                    for p in pe.contained(target)
                    if p.type is form.period_kind and p.window_start <= today
                ]
                self.required[(form.pk, target.code)] = inside
                codes.update(inside)
        everyone = {a for ids in self.ancestors.values() for a in ids} | set(unit_ids)
        self.approved = set(
            Approval.objects.filter(
                form_id__in=list(forms), period__in=codes, unit_id__in=everyone
            ).values_list("form_id", "unit_id", "period")
        )
        self._cache: dict[tuple[int, int, str], bool] = {}

    def _form_approved(self, form: Form, unit_id: int, target: str) -> bool:
        key = (form.pk, unit_id, target)
        if key not in self._cache:
            needed = self.required.get((form.pk, target), [])
            up = self.ancestors.get(unit_id, [unit_id])
            self._cache[key] = bool(needed) and all(
                any((form.pk, a, p) in self.approved for a in up) for p in needed
            )
        return self._cache[key]

    def of(self, elements: Sequence[DataElement], unit_id: int, target: str) -> ValueStatus:
        if elements and all(e.is_measured for e in elements):
            return ValueStatus.MEASURED
        for element in elements:
            if element.is_measured:
                continue
            forms = self.forms_of.get(element.pk, [])
            if not forms or not all(self._form_approved(f, unit_id, target) for f in forms):
                return ValueStatus.PROVISIONAL
        return ValueStatus.APPROVED


# --- the whole query ------------------------------------------------------------------------


def indicator_value(indicator: Indicator, lookup: expressions.Lookup) -> Decimal | None:
    numerator = expressions.parse(indicator.numerator).evaluate(lookup)
    denominator = expressions.parse(indicator.denominator or "1").evaluate(lookup)
    if numerator is None or denominator is None or denominator == 0:
        return None
    value = numerator * indicator.factor / denominator
    return value.quantize(Decimal(1).scaleb(-indicator.decimals), ROUND_HALF_UP)


def run(request: Request) -> AnalyticsResult:
    refs = {
        i.code: [
            *expressions.references(i.numerator),
            *expressions.references(i.denominator or "1"),
        ]
        for i in request.indicators
    }
    needed_codes = {r.element for rs in refs.values() for r in rs}
    referenced = {e.code: e for e in DataElement.objects.filter(code__in=needed_codes)}
    elements = {e.code: e for e in request.elements} | referenced
    values = element_values(list(elements.values()), request.periods, request.units)
    option_ids = sorted({elements[r.element].pk for rs in refs.values() for r in rs
                         if r.option and r.element in elements})  # fmt: skip
    options = option_values(option_ids, request.periods, request.units)
    statuses = _Statuses([e.pk for e in elements.values()], request.periods, request.units)
    rows: list[AnalyticsCell] = []
    by_code = {e.code: e for e in request.elements}
    indicators = {i.code: i for i in request.indicators}
    for dx in request.dx_order:
        for target in request.periods:
            for unit in request.units:
                if dx in by_code:
                    element = by_code[dx]
                    value = values.get((element.pk, unit.pk, target.code))
                    used = [element]
                else:
                    indicator = indicators[dx]
                    used = [elements[r.element] for r in refs[dx] if r.element in elements]

                    def lookup(
                        ref: expressions.Reference, unit_id: int = unit.pk, t: str = target.code
                    ) -> Decimal | None:
                        element = elements.get(ref.element)
                        if element is None:
                            return None
                        if ref.option:
                            return options.get((element.pk, ref.option, unit_id, t))
                        return values.get((element.pk, unit_id, t))

                    value = indicator_value(indicator, lookup)
                if value is None:
                    continue
                rows.append(
                    AnalyticsCell(
                        dx, target.code, unit.code, value, statuses.of(used, unit.pk, target.code)
                    )
                )
    names = {e.code: e.name for e in request.elements}
    names |= {i.code: i.name for i in request.indicators}
    names |= {p.code: p.label for p in request.periods}
    names |= {u.code: u.name for u in request.units}
    return AnalyticsResult(rows=tuple(rows), names=names)


def query(
    *, dx: str | Sequence[str], pe_codes: str | Sequence[str], ou: str | Sequence[str]
) -> AnalyticsResult:
    return run(parse_request(dx=dx, pe_codes=pe_codes, ou=ou))
