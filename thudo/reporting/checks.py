"""Checking reported figures: a cell's text against its element, and the validation
rules of a form over one unit's values for one period."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from itertools import product
from typing import Any

from django.utils.translation import gettext as _

from thudo.reporting import expressions
from thudo.reporting.contracts import Violation
from thudo.reporting.models import DataElement, DataValue, Form, ValidationRule, ValueType

_MAX_ABS = Decimal("1e15")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:[.\s]\d{3})+(?:,\d+)?$")


class CellError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_number(raw: Any) -> Decimal:
    """A number as people type it: ``1234.5``, ``1234,5``, ``1.234.567`` or
    ``1 234 567,5`` (Vietnamese groups thousands with dots or spaces and writes the
    decimal comma). A single dot is a decimal point, as spreadsheets write it."""
    if isinstance(raw, bool):
        raise CellError("not_a_number", _("Giá trị phải là một số."))
    if isinstance(raw, int | float | Decimal):
        text = str(raw)
    else:
        text = str(raw).strip().replace("\u00a0", " ")
    if _GROUPED.match(text):
        text = text.replace(".", "").replace(" ", "").replace(",", ".")
    elif text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    text = text.replace(" ", "")
    if not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", text):
        raise CellError("not_a_number", _("Giá trị phải là một số."))
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise CellError("not_a_number", _("Giá trị phải là một số.")) from exc
    if not value.is_finite() or abs(value) >= _MAX_ABS:
        raise CellError("out_of_range", _("Giá trị quá lớn."))
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise CellError("too_precise", _("Tối đa 4 chữ số thập phân."))
    return value


def check_value(element: DataElement, raw: Any) -> Decimal:
    value = parse_number(raw)
    kind = element.value_type
    if kind in (ValueType.INTEGER, ValueType.POSITIVE_INTEGER) and value != value.to_integral():
        raise CellError("not_an_integer", _("Giá trị phải là số nguyên."))
    if kind == ValueType.POSITIVE_INTEGER and value < 0:
        raise CellError("negative", _("Giá trị không được âm."))
    if kind == ValueType.PERCENTAGE and not Decimal(0) <= value <= Decimal(100):
        raise CellError("out_of_range", _("Tỷ lệ phải từ 0 đến 100."))
    if element.min_value is not None and value < element.min_value:
        raise CellError(
            "below_minimum",
            _("Giá trị phải từ %(min)s trở lên.") % {"min": _plain(element.min_value)},
        )
    if element.max_value is not None and value > element.max_value:
        raise CellError(
            "above_maximum",
            _("Giá trị không được vượt quá %(max)s.") % {"max": _plain(element.max_value)},
        )
    return value


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def disaggregations(element: DataElement) -> list[tuple[str, str]]:
    """(key, label) of each disaggregation of the element; ``[("", "")]`` when it has
    none. Keys join the option codes of its categories (in category code order) by
    ``_``, as expressions write them: ``#{DAN_SO.NAM_THANHTHI}``."""
    categories = sorted(element.categories.all(), key=lambda c: c.code)
    if not categories:
        return [("", "")]
    options = [list(c.options.all()) for c in categories]
    return [
        ("_".join(o.code for o in combo), " – ".join(o.name for o in combo))
        for combo in product(*options)
    ]


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def lookup_for(values: Iterable[tuple[str, str, Decimal]]) -> expressions.Lookup:
    """A lookup over (element code, disaggregation, value) rows: totals and options."""
    totals: dict[str, Decimal] = {}
    parts: dict[tuple[str, str], Decimal] = {}
    for code, disagg, value in values:
        totals[code] = totals.get(code, Decimal(0)) + value
        parts[(code, disagg)] = value

    def lookup(ref: expressions.Reference) -> Decimal | None:
        if ref.option:
            return parts.get((ref.element, ref.option))
        return totals.get(ref.element)

    return lookup


def rule_violations(rules: Iterable[ValidationRule], lookup: expressions.Lookup) -> list[Violation]:
    """Rules whose two sides both have a value and compare false. A side with no value
    at all is skipped, as DHIS2 does by default (nothing to compare yet)."""
    found = []
    for rule in rules:
        left = expressions.parse(rule.left).evaluate(lookup)
        right = expressions.parse(rule.right).evaluate(lookup)
        if left is None or right is None:
            continue
        if not _OPS[rule.operator](left, right):
            found.append(Violation(rule.code, rule.name, rule.importance, left,
                                   rule.operator, right))  # fmt: skip
    return found


def violations(
    form: Form, unit_id: int, period: str, *, touching: Iterable[str] | None = None
) -> list[Violation]:
    """The form's rules broken by the unit's values for the period; with ``touching``,
    only the rules that reference one of those element codes."""
    rules = list(form.rules.all())
    if touching is not None:
        codes = set(touching)
        rules = [
            r
            for r in rules
            if codes & {ref.element for ref in expressions.references(r.left)}
            | codes & {ref.element for ref in expressions.references(r.right)}
        ]
    if not rules:
        return []
    rows = DataValue.objects.filter(unit_id=unit_id, period=period).values_list(
        "element__code", "disaggregation", "value"
    )
    return rule_violations(rules, lookup_for(rows))
