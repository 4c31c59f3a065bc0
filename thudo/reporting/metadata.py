"""Metadata as one document (danh mục hệ thống chỉ tiêu): categories, data elements,
indicator groups, indicators, forms with their sections and rules, and targets.

:func:`apply` checks the whole document before it writes anything, so a file with one
bad row loads nothing and every problem is reported at once, each under a path such as
``data_elements[3].value_type``. Codes are the keys: an existing code is updated and its
links (categories, groups, units, sections, rules) replaced by those of the document.
:func:`export` writes the same format sorted by code, so a database can be rebuilt from
it. :func:`from_csv` / :func:`to_csv` carry the two long lists (data elements,
indicators) as spreadsheets.

Documents arrive from files and the API: any JSON value at all must end in success or
:class:`InvalidInput`, never in another exception.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

from django.db.models import Model, Prefetch
from django.utils.translation import gettext as _

from thudo.core import metrics
from thudo.core.errors import FieldError, InvalidInput, invalid
from thudo.core.models import Agency
from thudo.reporting import checks, expressions
from thudo.reporting.models import (
    CODE_MAX,
    AggregationType,
    Category,
    CategoryOption,
    DataElement,
    Form,
    Indicator,
    IndicatorGroup,
    Section,
    SectionElement,
    Target,
    ValidationRule,
    ValueType,
)
from thudo.reporting.periods import PeriodType

VERSION = 1
MAX_ITEMS = 20_000
KINDS = ("categories", "data_elements", "indicator_groups", "indicators", "forms", "targets")

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "data_elements": (
        "code",
        "name",
        "short_name",
        "description",
        "value_type",
        "aggregation_type",
        "unit_label",
        "min_value",
        "max_value",
        "categories",
        "metric_code",
    ),
    "indicators": (
        "code",
        "name",
        "description",
        "numerator",
        "denominator",
        "factor",
        "decimals",
        "unit_label",
        "groups",
    ),
}
_CSV_REQUIRED = {
    "data_elements": ("code", "name", "value_type", "aggregation_type"),
    "indicators": ("code", "name", "numerator"),
}
_CSV_LISTS = frozenset({"categories", "groups"})

_FIELDS = {
    "category": ("code", "name", "options"),
    "option": ("code", "name"),
    "data_element": CSV_COLUMNS["data_elements"],
    "indicator_group": ("code", "name"),
    "indicator": CSV_COLUMNS["indicators"],
    "form": (
        "code",
        "name",
        "description",
        "legal_basis",
        "version",
        "period_type",
        "deadline_days",
        "recipient",
        "units",
        "requires_acceptance",
        "sections",
        "rules",
    ),
    "section": ("name", "elements"),
    "rule": ("code", "name", "left", "operator", "right", "importance"),
    "target": ("indicator", "unit", "year", "value"),
}

_CODE = re.compile(r"[A-Za-z0-9_\-]{1,50}")
_INTEGER = re.compile(r"\s*[+-]?[0-9]{1,18}\s*")
_DOT_DECIMAL = re.compile(r"\s*[+-]?[0-9]+\.[0-9]+\s*")
_AGENCY_MAX = 35
_EXPRESSION_MAX = 2000
# Evaluation walks the tree recursively; deeper nesting than any real formula would
# overflow the stack later, in analytics, instead of being refused here.
_EXPRESSION_DEPTH = 100
_FACTOR_MAX = Decimal("1e8")  # Indicator.factor has 12 digits, 4 of them decimals
# Codes per IN (...) query: SQLite limits the parameters of one statement.
_BATCH = 500

T = TypeVar("T")
M = TypeVar("M", bound=Model)


# --- reading and checking -------------------------------------------------------------------


@dataclass
class _References:
    """Codes the document names, checked against the document and the database once the
    whole document has been read."""

    categories: list[tuple[str, str]] = field(default_factory=list)  # (path, code)
    elements: list[tuple[str, str]] = field(default_factory=list)
    options: list[tuple[str, str, str]] = field(default_factory=list)  # (path, element, key)
    groups: list[tuple[str, str]] = field(default_factory=list)
    indicators: list[tuple[str, str]] = field(default_factory=list)
    agencies: list[tuple[str, str]] = field(default_factory=list)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _label(key: Any) -> str:
    """A key of the document as it may appear in a field path: hostile keys (control
    characters, lone surrogates, whole paragraphs) are escaped and shortened."""
    if isinstance(key, str) and _CODE.fullmatch(key):
        return key
    return json.dumps(str(key)[:50])


def _shown(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


def _clean(value: str) -> bool:
    # PostgreSQL refuses NUL in text and lone surrogates cannot be encoded in UTF-8:
    # either would fail at write time instead of being reported.
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _decimal(raw: Any) -> Decimal:
    """A number of the document through :func:`checks.parse_number`. A single dot is a
    decimal point here: JSON numbers and :func:`export` write it so, while parse_number
    would take ``1.234`` for one thousand two hundred thirty-four."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise checks.CellError("not_a_number", _("Giá trị phải là một số."))
    if isinstance(raw, int) and abs(raw) >= 10**15:
        raise checks.CellError("out_of_range", _("Giá trị quá lớn."))
    text = raw if isinstance(raw, str) else str(raw)
    if not isinstance(raw, str) or _DOT_DECIMAL.fullmatch(text):
        text = text.replace(".", ",")
    return checks.parse_number(text)


def _plain(value: Decimal | None) -> str | None:
    if value is None:
        return None
    if value == 0:
        return "0"  # never "-0" or "0E-4"
    return format(value.normalize(), "f")


def _too_deep(tree: ast.AST) -> bool:
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > _EXPRESSION_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return False


def _not_finite(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Constant)
        and isinstance(node.value, float)
        and not math.isfinite(node.value)
        for node in ast.walk(tree)
    )


class _Reader:
    """Reads a document into its normalised form (the form :func:`export` writes),
    collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.refs = _References()
        # Kinds ("data_elements", "options", …) of which the document may define a code
        # that could not be read: a list or an item of the wrong shape, a code that is
        # missing, malformed or given twice.
        self.uncertain: set[str] = set()

    def fail(self, path: str, code: str, message: Any) -> None:
        self.errors.append(FieldError(path, code, str(message)))

    # -- shapes --

    def record(self, raw: Any, path: str, fields: Collection[str]) -> Mapping[str, Any] | None:
        if not isinstance(raw, Mapping):
            self.fail(path or "document", "wrong_type", _("Phải là một đối tượng JSON."))
            return None
        for key in raw:
            if not isinstance(key, str) or key not in fields:
                self.fail(
                    _join(path, _label(key)), "unknown_field", _("Trường này không được hỗ trợ.")
                )
        return raw

    def listing(
        self, item: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> list[tuple[str, Any]] | None:
        """The entries of a list with their paths; None when absent or not a list."""
        here = _join(path, key)
        raw = item.get(key)
        if raw is None:
            if required:
                self.fail(here, "required", _("Bắt buộc phải có."))
            return None
        if not isinstance(raw, list | tuple):
            self.fail(here, "wrong_type", _("Phải là một danh sách."))
            return None
        if len(raw) > MAX_ITEMS:
            self.fail(here, "too_many", _("Tối đa %(max)d phần tử.") % {"max": MAX_ITEMS})
            return None
        return [(f"{here}[{index}]", entry) for index, entry in enumerate(raw)]

    # -- values --

    def string(self, raw: Any, here: str, *, max_length: int | None, required: bool) -> str:
        if not isinstance(raw, str):
            self.fail(here, "wrong_type", _("Phải là một chuỗi ký tự."))
            return ""
        value = raw.strip()
        if not _clean(value):
            self.fail(here, "invalid_character", _("Chứa ký tự không hợp lệ."))
            return ""
        if required and not value:
            self.fail(here, "required", _("Bắt buộc phải có."))
        elif max_length is not None and len(value) > max_length:
            self.fail(here, "too_long", _("Tối đa %(max)d ký tự.") % {"max": max_length})
        return value

    def text(
        self,
        item: Mapping[str, Any],
        key: str,
        path: str,
        *,
        max_length: int | None,
        required: bool = False,
    ) -> str:
        here = _join(path, key)
        raw = item.get(key)
        if raw is None:
            if required:
                self.fail(here, "required", _("Bắt buộc phải có."))
            return ""
        return self.string(raw, here, max_length=max_length, required=required)

    def code(self, raw: Any, here: str) -> str | None:
        if raw is None:
            self.fail(here, "required", _("Bắt buộc phải có."))
            return None
        if not isinstance(raw, str):
            self.fail(here, "wrong_type", _("Phải là một chuỗi ký tự."))
            return None
        value = raw.strip()
        if not _CODE.fullmatch(value):
            self.fail(
                here,
                "invalid_code",
                _(
                    "Mã chỉ gồm chữ cái không dấu, chữ số, dấu gạch dưới, gạch ngang "
                    "và dài tối đa 50 ký tự."
                ),
            )
            return None
        return value

    def unique_code(self, item: Mapping[str, Any], path: str, seen: set[str], kind: str) -> str:
        here = _join(path, "code")
        code = self.code(item.get("code"), here)
        if code is None:
            self.uncertain.add(kind)
            return ""
        if code in seen:
            self.fail(here, "duplicate", _("Mã %(code)s bị trùng trong tài liệu.") % {"code": code})
            self.uncertain.add(kind)
        seen.add(code)
        return code

    def entries(
        self, document: Mapping[str, Any], kind: str, fields: Collection[str]
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """The items of one of the document's lists that are objects, with their paths."""
        listed = self.listing(document, kind, "")
        if listed is None and document.get(kind) is not None:
            self.uncertain.add(kind)
        for path, raw in listed or []:
            item = self.record(raw, path, fields)
            if item is None:
                self.uncertain.add(kind)
                continue
            yield path, item

    def codes(
        self, item: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> list[tuple[str, str]]:
        """A list of codes, each once, with their paths."""
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        for here, raw in self.listing(item, key, path, required=required) or []:
            code = self.code(raw, here)
            if code is None:
                continue
            if code in seen:
                self.fail(
                    here, "duplicate", _("Mã %(code)s đã có trong danh sách.") % {"code": code}
                )
                continue
            seen.add(code)
            found.append((here, code))
        return found

    def agency(self, raw: Any, here: str) -> str:
        if raw is None:
            self.fail(here, "required", _("Bắt buộc phải có."))
            return ""
        if not isinstance(raw, str):
            self.fail(here, "wrong_type", _("Phải là một chuỗi ký tự."))
            return ""
        value = raw.strip()
        if not value or len(value) > _AGENCY_MAX or not _clean(value):
            self.fail(here, "unknown_agency", _("Không có cơ quan với mã này."))
            return ""
        self.refs.agencies.append((here, value))
        return value

    def choice(
        self,
        item: Mapping[str, Any],
        key: str,
        path: str,
        choices: Sequence[str],
        *,
        default: str | None = None,
    ) -> str:
        here = _join(path, key)
        raw = item.get(key)
        if raw is None:
            if default is None:
                self.fail(here, "required", _("Bắt buộc phải có."))
                return ""
            return default
        if not isinstance(raw, str):
            self.fail(here, "wrong_type", _("Phải là một chuỗi ký tự."))
            return ""
        value = raw.strip()
        if value not in choices:
            self.fail(
                here,
                "invalid_choice",
                _("Giá trị không hợp lệ; chọn một trong: %(choices)s.")
                % {"choices": ", ".join(choices)},
            )
        return value

    def number(
        self, item: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> Decimal | None:
        here = _join(path, key)
        raw = item.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.fail(here, "required", _("Bắt buộc phải có."))
            return None
        try:
            return _decimal(raw)
        except checks.CellError as exc:
            self.fail(here, exc.code, exc.message)
        except ValueError:  # an integer too long to even print
            self.fail(here, "not_a_number", _("Giá trị phải là một số."))
        return None

    def integer(
        self,
        item: Mapping[str, Any],
        key: str,
        path: str,
        *,
        low: int,
        high: int,
        default: int | None,
    ) -> int:
        here = _join(path, key)
        raw = item.get(key)
        if raw is None:
            if default is None:
                self.fail(here, "required", _("Bắt buộc phải có."))
                return 0
            return default
        value: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, str) and _INTEGER.fullmatch(raw):
            value = int(raw)
        if value is None:
            self.fail(here, "not_an_integer", _("Phải là một số nguyên."))
            return 0
        if not low <= value <= high:
            self.fail(
                here,
                "out_of_range",
                _("Phải từ %(low)d đến %(high)d.") % {"low": low, "high": high},
            )
        return value

    def boolean(self, item: Mapping[str, Any], key: str, path: str) -> bool:
        raw = item.get(key)
        if raw is None:
            return False
        if not isinstance(raw, bool):
            self.fail(_join(path, key), "wrong_type", _("Phải là true hoặc false."))
            return False
        return raw

    def expression(
        self, item: Mapping[str, Any], key: str, path: str, *, default: str | None = None
    ) -> str:
        here = _join(path, key)
        raw = item.get(key)
        if default is not None and (raw is None or (isinstance(raw, str) and not raw.strip())):
            return default
        if raw is None:
            self.fail(here, "required", _("Bắt buộc phải có."))
            return ""
        source = self.string(raw, here, max_length=_EXPRESSION_MAX, required=True)
        if not source or len(source) > _EXPRESSION_MAX:
            return source
        try:
            parsed = expressions.parse(source)
            if _too_deep(parsed.tree) or _not_finite(parsed.tree):
                raise expressions.ExpressionError(source)
        except (ValueError, RecursionError):
            self.fail(
                here,
                "invalid_expression",
                _(
                    "Biểu thức không hợp lệ: chỉ gồm #{MÃ} hoặc #{MÃ.PHÂN_TỔ}, số, "
                    "các phép + - * / và dấu ngoặc."
                ),
            )
            return source
        for ref in parsed.references:
            self.refs.elements.append((here, ref.element))
            if ref.option:
                self.refs.options.append((here, ref.element, ref.option))
        return source

    # -- kinds --

    def categories(self, document: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = []
        seen: set[str] = set()
        for path, item in self.entries(document, "categories", _FIELDS["category"]):
            code = self.unique_code(item, path, seen, "categories")
            name = self.text(item, "name", path, max_length=200, required=True)
            options = []
            option_codes: set[str] = set()
            entries = self.listing(item, "options", path, required=True)
            if entries == []:
                self.fail(_join(path, "options"), "empty", _("Cần ít nhất một phương án phân tổ."))
            elif entries is None:
                self.uncertain.add("options")
            for option_path, option_raw in entries or []:
                option = self.record(option_raw, option_path, _FIELDS["option"])
                if option is None:
                    self.uncertain.add("options")
                    continue
                options.append(
                    {
                        "code": self.unique_code(option, option_path, option_codes, "options"),
                        "name": self.text(
                            option, "name", option_path, max_length=200, required=True
                        ),
                    }
                )
            found.append({"code": code, "name": name, "options": options})
        return found

    def data_elements(self, document: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = []
        seen: set[str] = set()
        for path, item in self.entries(document, "data_elements", _FIELDS["data_element"]):
            code = self.unique_code(item, path, seen, "data_elements")
            low = self.number(item, "min_value", path)
            high = self.number(item, "max_value", path)
            if low is not None and high is not None and low > high:
                self.fail(
                    _join(path, "min_value"),
                    "min_above_max",
                    _("Giá trị nhỏ nhất lớn hơn giá trị lớn nhất."),
                )
            categories = self.codes(item, "categories", path)
            self.refs.categories.extend(categories)
            metric = self.text(item, "metric_code", path, max_length=100)
            if metric and metrics.get(metric) is None:
                self.fail(
                    _join(path, "metric_code"),
                    "unknown_metric",
                    _("Không có số liệu đo tự động mã %(code)s.") % {"code": _shown(metric)},
                )
            found.append(
                {
                    "code": code,
                    "name": self.text(item, "name", path, max_length=300, required=True),
                    "short_name": self.text(item, "short_name", path, max_length=100),
                    "description": self.text(item, "description", path, max_length=None),
                    "value_type": self.choice(item, "value_type", path, ValueType.values),
                    "aggregation_type": self.choice(
                        item, "aggregation_type", path, AggregationType.values
                    ),
                    "unit_label": self.text(item, "unit_label", path, max_length=50),
                    "min_value": _plain(low),
                    "max_value": _plain(high),
                    "categories": sorted(code for _path, code in categories),
                    "metric_code": metric,
                }
            )
        return found

    def indicator_groups(self, document: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = []
        seen: set[str] = set()
        for path, item in self.entries(document, "indicator_groups", _FIELDS["indicator_group"]):
            found.append(
                {
                    "code": self.unique_code(item, path, seen, "indicator_groups"),
                    "name": self.text(item, "name", path, max_length=200, required=True),
                }
            )
        return found

    def indicators(self, document: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = []
        seen: set[str] = set()
        for path, item in self.entries(document, "indicators", _FIELDS["indicator"]):
            code = self.unique_code(item, path, seen, "indicators")
            factor = self.number(item, "factor", path)
            if factor is not None and abs(factor) >= _FACTOR_MAX:
                self.fail(_join(path, "factor"), "out_of_range", _("Hệ số quá lớn."))
            groups = self.codes(item, "groups", path)
            self.refs.groups.extend(groups)
            found.append(
                {
                    "code": code,
                    "name": self.text(item, "name", path, max_length=300, required=True),
                    "description": self.text(item, "description", path, max_length=None),
                    "numerator": self.expression(item, "numerator", path),
                    "denominator": self.expression(item, "denominator", path, default="1"),
                    "factor": _plain(Decimal(1) if factor is None else factor),
                    "decimals": self.integer(item, "decimals", path, low=0, high=10, default=1),
                    "unit_label": self.text(item, "unit_label", path, max_length=50),
                    "groups": sorted(code for _path, code in groups),
                }
            )
        return found

    def forms(self, document: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = []
        seen: set[str] = set()
        for path, item in self.entries(document, "forms", _FIELDS["form"]):
            code = self.unique_code(item, path, seen, "forms")
            units = []
            unit_codes: set[str] = set()
            for here, unit_raw in self.listing(item, "units", path, required=True) or []:
                unit = self.agency(unit_raw, here)
                if unit and unit in unit_codes:
                    self.fail(here, "duplicate", _("Đơn vị đã có trong danh sách."))
                unit_codes.add(unit)
                units.append(unit)
            found.append(
                {
                    "code": code,
                    "name": self.text(item, "name", path, max_length=300, required=True),
                    "description": self.text(item, "description", path, max_length=None),
                    "legal_basis": self.text(item, "legal_basis", path, max_length=300),
                    "version": self.integer(
                        item, "version", path, low=1, high=2_147_483_647, default=1
                    ),
                    "period_type": self.choice(
                        item, "period_type", path, [p.value for p in PeriodType]
                    ),
                    "deadline_days": self.integer(
                        item, "deadline_days", path, low=0, high=365, default=2
                    ),
                    "recipient": self.agency(item.get("recipient"), _join(path, "recipient")),
                    "units": sorted(units),
                    "requires_acceptance": self.boolean(item, "requires_acceptance", path),
                    "sections": self._sections(item, path),
                    "rules": self._rules(item, path),
                }
            )
        return found

    def _sections(self, form: Mapping[str, Any], path: str) -> list[dict[str, Any]]:
        sections = []
        in_form: set[str] = set()  # an element appears once in a form: one row, one value
        for here, raw in self.listing(form, "sections", path, required=True) or []:
            section = self.record(raw, here, _FIELDS["section"])
            if section is None:
                continue
            elements = []
            for element_path, code in self.codes(section, "elements", here, required=True):
                if code in in_form:
                    self.fail(
                        element_path,
                        "duplicate",
                        _("Chỉ tiêu %(code)s đã có trong biểu.") % {"code": code},
                    )
                in_form.add(code)
                self.refs.elements.append((element_path, code))
                elements.append(code)
            sections.append(
                {
                    "name": self.text(section, "name", here, max_length=200, required=True),
                    "elements": elements,
                }
            )
        return sections

    def _rules(self, form: Mapping[str, Any], path: str) -> list[dict[str, Any]]:
        rules = []
        seen: set[str] = set()  # rule codes are unique within their form
        for here, raw in self.listing(form, "rules", path) or []:
            rule = self.record(raw, here, _FIELDS["rule"])
            if rule is None:
                continue
            rules.append(
                {
                    "code": self.unique_code(rule, here, seen, "rules"),
                    "name": self.text(rule, "name", here, max_length=300, required=True),
                    "left": self.expression(rule, "left", here),
                    "operator": self.choice(rule, "operator", here, ValidationRule.Operator.values),
                    "right": self.expression(rule, "right", here),
                    "importance": self.choice(
                        rule,
                        "importance",
                        here,
                        ValidationRule.Importance.values,
                        default=ValidationRule.Importance.MEDIUM.value,
                    ),
                }
            )
        return sorted(rules, key=lambda r: str(r["code"]))

    def targets(self, document: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = []
        seen: set[tuple[str, str, int]] = set()
        for path, item in self.entries(document, "targets", _FIELDS["target"]):
            indicator = self.code(item.get("indicator"), _join(path, "indicator"))
            if indicator is not None:
                self.refs.indicators.append((_join(path, "indicator"), indicator))
            unit = self.agency(item.get("unit"), _join(path, "unit"))
            year = self.integer(item, "year", path, low=1900, high=2100, default=None)
            value = self.number(item, "value", path, required=True)
            key = (indicator or "", unit, year)
            if indicator and unit and key in seen:
                self.fail(path, "duplicate", _("Kế hoạch này đã có trong tài liệu."))
            seen.add(key)
            found.append(
                {"indicator": indicator or "", "unit": unit, "year": year, "value": _plain(value)}
            )
        return found


def _chunks(items: Sequence[T], size: int = _BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _codes_in_db(model: type[Model], codes: Collection[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(codes)):
        found.update(model._default_manager.filter(code__in=chunk).values_list("code", flat=True))
    return found


def _is_key(key: str, option_sets: Sequence[Collection[str]]) -> bool:
    """Whether ``key`` joins one option of each category, in order, by ``_``. An option
    code may itself contain ``_``, so every split is tried (never the whole product of
    the options, which can be huge)."""
    if not option_sets:
        return False
    starts = {0}
    for options in option_sets:
        starts = {
            end + 1
            for start in starts
            for end in range(start + 1, min(len(key), start + CODE_MAX) + 1)
            if key[start:end] in options and (end == len(key) or key[end] == "_")
        }
        if not starts:
            return False
    return len(key) + 1 in starts


def _resolve(reader: _Reader, document: Mapping[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Check every code the document names against the document itself and the
    database; return the ids of the agencies named. A code is unknown only when the
    document certainly does not define it: where a list or one of its codes could not
    be read, references of that kind are left for the next attempt, as they would only
    repeat the mistake already reported."""
    refs = reader.refs

    def checked(kind: str, found: Sequence[T]) -> Sequence[T]:
        return () if kind in reader.uncertain else found

    doc_categories = {c["code"]: [o["code"] for o in c["options"]] for c in document["categories"]}
    doc_elements = {e["code"]: e["categories"] for e in document["data_elements"]}
    doc_groups = {g["code"] for g in document["indicator_groups"]}
    doc_indicators = {i["code"] for i in document["indicators"]}

    db_categories = _codes_in_db(Category, {c for _p, c in refs.categories} - doc_categories.keys())
    for path, name in checked("categories", refs.categories):
        if name not in doc_categories and name not in db_categories:
            reader.fail(
                path,
                "unknown_category",
                _("Không có tiêu chí phân tổ mã %(code)s.") % {"code": name},
            )

    # Elements the document names but does not define: their categories as stored.
    db_elements: dict[str, list[str]] = {}
    wanted = sorted({e for _p, e in refs.elements} - doc_elements.keys())
    for chunk in _chunks(wanted):
        rows = DataElement.objects.filter(code__in=chunk).values_list("code", "categories__code")
        for element, category in rows:
            db_elements.setdefault(element, [])
            if category is not None:
                db_elements[element].append(category)
    for path, name in checked("data_elements", refs.elements):
        if name not in doc_elements and name not in db_elements:
            reader.fail(
                path,
                "unknown_element",
                _("Không có chỉ tiêu mã %(code)s.") % {"code": _shown(name)},
            )

    db_groups = _codes_in_db(IndicatorGroup, {g for _p, g in refs.groups} - doc_groups)
    for path, name in checked("indicator_groups", refs.groups):
        if name not in doc_groups and name not in db_groups:
            reader.fail(
                path, "unknown_group", _("Không có nhóm chỉ số mã %(code)s.") % {"code": name}
            )
    db_indicators = _codes_in_db(Indicator, {i for _p, i in refs.indicators} - doc_indicators)
    for path, name in checked("indicators", refs.indicators):
        if name not in doc_indicators and name not in db_indicators:
            reader.fail(
                path, "unknown_indicator", _("Không có chỉ số mã %(code)s.") % {"code": name}
            )

    # Option keys follow the element's categories as the document leaves them.
    def categories_of(element: str) -> list[str] | None:
        if element in doc_elements:
            return list(doc_elements[element])
        return db_elements.get(element)

    needed = {
        category
        for _p, element, _k in refs.options
        for category in categories_of(element) or []
        if category not in doc_categories
    }
    db_options: dict[str, list[str]] = {}
    for chunk in _chunks(sorted(needed)):
        stored = CategoryOption.objects.filter(category__code__in=chunk).values_list(
            "category__code", "code"
        )
        for category, option in stored:
            db_options.setdefault(category, []).append(option)
    for path, element, key in checked("options", refs.options):
        categories = categories_of(element)
        if categories is None:
            continue  # the element itself is unknown, reported above
        option_sets: list[set[str]] = []
        for category in sorted(categories):
            options = doc_categories.get(category, db_options.get(category))
            if options is None:
                break  # an unknown category, reported above
            option_sets.append(set(options))
        else:
            if not _is_key(key, option_sets):
                reader.fail(
                    path,
                    "unknown_option",
                    _("Chỉ tiêu %(element)s không có phân tổ %(option)s.")
                    % {"element": element, "option": _shown(key)},
                )

    agencies: dict[str, int] = {}
    for chunk in _chunks(sorted({a for _p, a in refs.agencies})):
        agencies.update(Agency.objects.filter(code__in=chunk).values_list("code", "pk"))
    for path, name in refs.agencies:
        if name not in agencies:
            reader.fail(
                path, "unknown_agency", _("Không có cơ quan mã %(code)s.") % {"code": _shown(name)}
            )
    return agencies


def _raise(errors: Sequence[FieldError]) -> NoReturn:
    raise InvalidInput(
        message=_("Dữ liệu danh mục có %(count)d lỗi; chưa nạp gì.") % {"count": len(errors)},
        field_errors=list(errors),
    )


def _check(document: Any) -> tuple[dict[str, Any], dict[str, int]]:
    reader = _Reader()
    item = reader.record(document, "", ("version", *KINDS))
    if item is None:
        _raise(reader.errors)
    version = item.get("version")
    if version is None:
        reader.fail("version", "required", _("Bắt buộc phải có."))
    elif isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
        reader.fail(
            "version",
            "unsupported_version",
            _("Chỉ hỗ trợ tài liệu phiên bản %(version)d.") % {"version": VERSION},
        )
    normalised: dict[str, Any] = {
        "version": VERSION,
        "categories": reader.categories(item),
        "data_elements": reader.data_elements(item),
        "indicator_groups": reader.indicator_groups(item),
        "indicators": reader.indicators(item),
        "forms": reader.forms(item),
        "targets": reader.targets(item),
    }
    agencies = _resolve(reader, normalised)
    if reader.errors:
        _raise(reader.errors)
    for kind in KINDS:
        if kind == "targets":
            normalised[kind].sort(key=lambda t: (t["indicator"], t["unit"], t["year"]))
        else:
            normalised[kind].sort(key=lambda x: x["code"])
    return normalised, agencies


def normalise(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document checked and in the form :func:`export` writes it (every field, the
    defaults filled in, numbers as plain strings, lists sorted by code), or
    :class:`InvalidInput` with every problem. Reads the database, writes nothing."""
    return _check(document)[0]


# --- writing ----------------------------------------------------------------------------


def _by_code(model: type[M], codes: Sequence[str]) -> dict[str, M]:
    found: dict[str, M] = {}
    for chunk in _chunks(sorted(codes)):
        found.update((row.code, row) for row in model._default_manager.filter(code__in=chunk))  # type: ignore[attr-defined]
    return found


def _upsert(
    model: type[M],
    items: Sequence[dict[str, Any]],
    values: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, int]:
    """Create or update rows by code; the ids of the items by code."""
    codes = [item["code"] for item in items]
    existing = _by_code(model, codes)
    new: list[M] = []
    changed: list[M] = []
    names: list[str] = []
    for item in items:
        data = values(item)
        names = list(data)
        row = existing.get(item["code"])
        if row is None:
            new.append(model(code=item["code"], **data))
        elif any(getattr(row, k) != v for k, v in data.items()):
            for k, v in data.items():
                setattr(row, k, v)
            changed.append(row)
    manager = model._default_manager
    manager.bulk_create(new, batch_size=_BATCH)
    if changed:
        manager.bulk_update(changed, names, batch_size=_BATCH)
    return {code: row.pk for code, row in _by_code(model, codes).items()}


def _ids(model: type[Model], codes: Collection[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(codes)):
        found.update(model._default_manager.filter(code__in=chunk).values_list("code", "pk"))
    return found


def _replace_links(
    through: type[Model], owner: str, target: str, links: Mapping[int, Collection[int]]
) -> None:
    """Make the rows of an automatic many-to-many table exactly ``links`` for these
    owners, leaving the owners whose links did not change untouched."""
    current: dict[int, set[int]] = {pk: set() for pk in links}
    owners = sorted(links)
    manager = through._default_manager
    for chunk in _chunks(owners):
        rows = manager.filter(**{f"{owner}_id__in": chunk}).values_list(
            f"{owner}_id", f"{target}_id"
        )
        for source, destination in rows:
            current[source].add(destination)
    stale = [pk for pk in owners if current[pk] != set(links[pk])]
    for chunk in _chunks(stale):
        manager.filter(**{f"{owner}_id__in": chunk}).delete()
    manager.bulk_create(
        [
            through(**{f"{owner}_id": pk, f"{target}_id": destination})
            for pk in stale
            for destination in sorted(links[pk])
        ],
        batch_size=_BATCH,
    )


def _write_categories(items: Sequence[dict[str, Any]]) -> None:
    existing = _by_code(Category, [c["code"] for c in items])
    for item in items:
        category = existing.get(item["code"])
        if category is None:
            category = Category.objects.create(code=item["code"], name=item["name"])
        elif category.name != item["name"]:
            category.name = item["name"]
            category.save(update_fields=["name"])
        current = {option.code: option for option in category.options.all()}
        wanted = {option["code"] for option in item["options"]}
        stale = [option.pk for code, option in current.items() if code not in wanted]
        for chunk in _chunks(stale):
            CategoryOption.objects.filter(pk__in=chunk).delete()
        new, changed = [], []
        for order, option in enumerate(item["options"]):
            row = current.get(option["code"])
            if row is None:
                new.append(
                    CategoryOption(
                        category=category,
                        code=option["code"],
                        name=option["name"],
                        sort_order=order,
                    )
                )
            elif (row.name, row.sort_order) != (option["name"], order):
                row.name, row.sort_order = option["name"], order
                changed.append(row)
        CategoryOption.objects.bulk_create(new, batch_size=_BATCH)
        CategoryOption.objects.bulk_update(changed, ["name", "sort_order"], batch_size=_BATCH)


def _decimal_or_none(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _write_elements(items: Sequence[dict[str, Any]]) -> None:
    ids = _upsert(
        DataElement,
        items,
        lambda e: {
            "name": e["name"],
            "short_name": e["short_name"],
            "description": e["description"],
            "value_type": e["value_type"],
            "aggregation_type": e["aggregation_type"],
            "unit_label": e["unit_label"],
            "min_value": _decimal_or_none(e["min_value"]),
            "max_value": _decimal_or_none(e["max_value"]),
            "metric_code": e["metric_code"],
        },
    )
    categories = _ids(Category, {c for e in items for c in e["categories"]})
    _replace_links(
        DataElement.categories.through,
        "dataelement",
        "category",
        {ids[e["code"]]: [categories[c] for c in e["categories"]] for e in items},
    )


def _write_indicators(items: Sequence[dict[str, Any]]) -> None:
    ids = _upsert(
        Indicator,
        items,
        lambda i: {
            "name": i["name"],
            "description": i["description"],
            "numerator": i["numerator"],
            "denominator": i["denominator"],
            "factor": Decimal(i["factor"]),
            "decimals": i["decimals"],
            "unit_label": i["unit_label"],
        },
    )
    groups = _ids(IndicatorGroup, {g for i in items for g in i["groups"]})
    _replace_links(
        Indicator.groups.through,
        "indicator",
        "indicatorgroup",
        {ids[i["code"]]: [groups[g] for g in i["groups"]] for i in items},
    )


def _write_form(form: Form, item: dict[str, Any], agencies: Mapping[str, int]) -> None:
    form.units.set([agencies[code] for code in item["units"]])
    # Sections have no code: they are matched by position, so re-loading the same
    # document keeps them as they are.
    sections = list(form.sections.all())
    kept = []
    for order, wanted in enumerate(item["sections"]):
        if order < len(sections):
            section = sections[order]
            if (section.name, section.sort_order) != (wanted["name"], order):
                section.name, section.sort_order = wanted["name"], order
                section.save(update_fields=["name", "sort_order"])
        else:
            section = Section.objects.create(form=form, name=wanted["name"], sort_order=order)
        kept.append(section)
    Section.objects.filter(pk__in=[s.pk for s in sections[len(kept) :]]).delete()
    elements = _ids(DataElement, {code for s in item["sections"] for code in s["elements"]})
    rows = [
        (section.pk, elements[code], order)
        for section, wanted in zip(kept, item["sections"], strict=True)
        for order, code in enumerate(wanted["elements"])
    ]
    current = list(
        SectionElement.objects.filter(section__form=form)
        .order_by("section__sort_order", "section_id", "sort_order", "pk")
        .values_list("section_id", "element_id", "sort_order")
    )
    if current != rows:
        SectionElement.objects.filter(section__form=form).delete()
        SectionElement.objects.bulk_create(
            [SectionElement(section_id=s, element_id=e, sort_order=o) for s, e, o in rows],
            batch_size=_BATCH,
        )
    rules = {rule.code: rule for rule in form.rules.all()}
    wanted_codes = {rule["code"] for rule in item["rules"]}
    stale = [rule.pk for code, rule in rules.items() if code not in wanted_codes]
    for chunk in _chunks(stale):
        ValidationRule.objects.filter(pk__in=chunk).delete()
    fields = ["name", "left", "operator", "right", "importance"]
    new, changed = [], []
    for wanted in item["rules"]:
        row = rules.get(wanted["code"])
        if row is None:
            new.append(
                ValidationRule(form=form, code=wanted["code"], **{k: wanted[k] for k in fields})
            )
        elif any(getattr(row, k) != wanted[k] for k in fields):
            for k in fields:
                setattr(row, k, wanted[k])
            changed.append(row)
    ValidationRule.objects.bulk_create(new, batch_size=_BATCH)
    ValidationRule.objects.bulk_update(changed, fields, batch_size=_BATCH)


def _write_forms(items: Sequence[dict[str, Any]], agencies: Mapping[str, int]) -> None:
    existing = _by_code(Form, [f["code"] for f in items])
    for item in items:
        form = existing.get(item["code"]) or Form(code=item["code"])
        form.name = item["name"]
        form.description = item["description"]
        form.legal_basis = item["legal_basis"]
        form.version = item["version"]
        form.period_type = item["period_type"]
        form.deadline_days = item["deadline_days"]
        form.recipient_id = agencies[item["recipient"]]
        form.requires_acceptance = item["requires_acceptance"]
        form.save()
        _write_form(form, item, agencies)


def _write_targets(items: Sequence[dict[str, Any]], agencies: Mapping[str, int]) -> None:
    indicators = _ids(Indicator, {t["indicator"] for t in items})
    existing: dict[tuple[int, int, int], Target] = {}
    for chunk in _chunks(sorted(set(indicators.values()))):
        for target in Target.objects.filter(indicator_id__in=chunk):
            existing[(target.indicator_id, target.unit_id, target.year)] = target
    new, changed = [], []
    for item in items:
        key = (indicators[item["indicator"]], agencies[item["unit"]], item["year"])
        value = Decimal(item["value"])
        row = existing.get(key)
        if row is None:
            new.append(Target(indicator_id=key[0], unit_id=key[1], year=key[2], value=value))
        elif row.value != value:
            row.value = value
            changed.append(row)
    Target.objects.bulk_create(new, batch_size=_BATCH)
    Target.objects.bulk_update(changed, ["value"], batch_size=_BATCH)


def apply(document: Mapping[str, Any]) -> dict[str, int]:
    """Check the whole document, then create or update everything it names by code.
    Runs inside the caller's transaction (:func:`services.metadata_import`)."""
    normalised, agencies = _check(document)
    _write_categories(normalised["categories"])
    _write_elements(normalised["data_elements"])
    _upsert(IndicatorGroup, normalised["indicator_groups"], lambda g: {"name": g["name"]})
    _write_indicators(normalised["indicators"])
    _write_forms(normalised["forms"], agencies)
    _write_targets(normalised["targets"], agencies)
    return {
        "categories": len(normalised["categories"]),
        "data_elements": len(normalised["data_elements"]),
        "indicators": len(normalised["indicators"]),
        "indicator_groups": len(normalised["indicator_groups"]),
        "forms": len(normalised["forms"]),
        "rules": sum(len(f["rules"]) for f in normalised["forms"]),
        "targets": len(normalised["targets"]),
    }


# --- export -----------------------------------------------------------------------------

# Sorted in Python, not by the database: PostgreSQL's collation orders "_" and "-" in
# codes differently from SQLite, and the export must be the same on both.


def _export_categories() -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "code": c.code,
                "name": c.name,
                "options": [{"code": o.code, "name": o.name} for o in c.options.all()],
            }
            for c in Category.objects.prefetch_related("options")
        ),
        key=lambda c: c["code"],
    )


def _export_elements() -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "code": e.code,
                "name": e.name,
                "short_name": e.short_name,
                "description": e.description,
                "value_type": e.value_type,
                "aggregation_type": e.aggregation_type,
                "unit_label": e.unit_label,
                "min_value": _plain(e.min_value),
                "max_value": _plain(e.max_value),
                "categories": sorted(c.code for c in e.categories.all()),
                "metric_code": e.metric_code,
            }
            for e in DataElement.objects.prefetch_related("categories")
        ),
        key=lambda e: e["code"],
    )


def _export_indicators() -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "code": i.code,
                "name": i.name,
                "description": i.description,
                "numerator": i.numerator,
                "denominator": i.denominator,
                "factor": _plain(i.factor),
                "decimals": i.decimals,
                "unit_label": i.unit_label,
                "groups": sorted(g.code for g in i.groups.all()),
            }
            for i in Indicator.objects.prefetch_related("groups")
        ),
        key=lambda i: i["code"],
    )


def _export_forms() -> list[dict[str, Any]]:
    forms = Form.objects.select_related("recipient").prefetch_related(
        "units",
        "rules",
        "sections",
        Prefetch("sections__rows", queryset=SectionElement.objects.select_related("element")),
    )
    return sorted(
        (
            {
                "code": f.code,
                "name": f.name,
                "description": f.description,
                "legal_basis": f.legal_basis,
                "version": f.version,
                "period_type": f.period_type,
                "deadline_days": f.deadline_days,
                "recipient": f.recipient.code,
                "units": sorted(u.code for u in f.units.all()),
                "requires_acceptance": f.requires_acceptance,
                "sections": [
                    {"name": s.name, "elements": [row.element.code for row in s.rows.all()]}
                    for s in f.sections.all()
                ],
                "rules": sorted(
                    (
                        {
                            "code": r.code,
                            "name": r.name,
                            "left": r.left,
                            "operator": r.operator,
                            "right": r.right,
                            "importance": r.importance,
                        }
                        for r in f.rules.all()
                    ),
                    key=lambda r: r["code"],
                ),
            }
            for f in forms
        ),
        key=lambda f: f["code"],
    )


def export() -> dict[str, Any]:
    """All metadata in the format :func:`apply` loads."""
    targets = Target.objects.select_related("indicator", "unit")
    return {
        "version": VERSION,
        "categories": _export_categories(),
        "data_elements": _export_elements(),
        "indicator_groups": sorted(
            ({"code": g.code, "name": g.name} for g in IndicatorGroup.objects.all()),
            key=lambda g: g["code"],
        ),
        "indicators": _export_indicators(),
        "forms": _export_forms(),
        "targets": sorted(
            (
                {
                    "indicator": t.indicator.code,
                    "unit": t.unit.code,
                    "year": t.year,
                    "value": _plain(t.value),
                }
                for t in targets
            ),
            key=lambda t: (t["indicator"], t["unit"], t["year"]),
        ),
    }


# --- CSV --------------------------------------------------------------------------------


def _kind(kind: Any) -> str:
    if kind not in CSV_COLUMNS:
        raise invalid(
            "kind",
            "invalid_choice",
            _("Loại danh mục không hợp lệ; chọn một trong: %(choices)s.")
            % {"choices": ", ".join(CSV_COLUMNS)},
        )
    return str(kind)


def _on_line(error: FieldError, kind: str, lines: Sequence[int]) -> FieldError:
    match = re.fullmatch(rf"{kind}\[(\d+)\](?:\.(.*))?", error.field)
    if match is None:
        return error
    line = f"line {lines[int(match[1])]}"
    return FieldError(f"{line}: {match[2]}" if match[2] else line, error.code, error.message)


def from_csv(kind: str, text: str) -> dict[str, Any]:
    """A document with the one list ``kind`` read from CSV text with a header row, as
    Excel writes it: a UTF-8 byte-order mark is accepted, cells are separated by ``,``,
    ``;`` or tabs (whichever the header uses), lists of codes by ``;``. The rows are
    checked in full, against the database too, so that errors name CSV lines
    (``line 4: value_type``)."""
    kind = _kind(kind)
    if not isinstance(text, str):
        raise invalid("text", "wrong_type", _("Phải là một chuỗi ký tự."))
    text = text.removeprefix("\ufeff")
    if not _clean(text):
        raise invalid("line 1", "invalid_character", _("Tệp chứa ký tự không hợp lệ."))
    header_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    errors: list[FieldError] = []
    try:
        header = next(reader, None)
    except csv.Error:
        header = None
    if header is None or not any(cell.strip() for cell in header):
        raise invalid("line 1", "missing_header", _("Thiếu dòng tiêu đề (tên các cột)."))
    columns = [cell.strip().lower() for cell in header]
    allowed = CSV_COLUMNS[kind]
    for index, column in enumerate(columns):
        if column not in allowed:
            errors.append(
                FieldError(
                    f"line 1: {_label(column)}",
                    "unknown_column",
                    _("Cột không được hỗ trợ; các cột: %(columns)s.")
                    % {"columns": ", ".join(allowed)},
                )
            )
        elif column in columns[:index]:
            errors.append(FieldError(f"line 1: {column}", "duplicate_column", _("Cột bị trùng.")))
    for column in _CSV_REQUIRED[kind]:
        if column not in columns:
            errors.append(
                FieldError(f"line 1: {column}", "missing_column", _("Thiếu cột bắt buộc."))
            )
    if errors:
        _raise(errors)

    items: list[dict[str, Any]] = []
    lines: list[int] = []
    next_line = reader.line_num + 1
    try:
        for row in reader:
            line, next_line = next_line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(items) == MAX_ITEMS:
                errors.append(
                    FieldError(
                        f"line {line}",
                        "too_many",
                        _("Tối đa %(max)d dòng.") % {"max": MAX_ITEMS},
                    )
                )
                break
            if any(cell.strip() for cell in row[len(columns) :]):
                errors.append(
                    FieldError(
                        f"line {line}", "extra_cells", _("Dòng có nhiều ô hơn dòng tiêu đề.")
                    )
                )
                continue
            item: dict[str, Any] = {}
            for column, cell in zip(columns, row, strict=False):
                value = cell.strip()
                if not value:
                    continue
                if column in _CSV_LISTS:
                    item[column] = [part.strip() for part in value.split(";") if part.strip()]
                else:
                    item[column] = value
            items.append(item)
            lines.append(line)
    except csv.Error:
        errors.append(
            FieldError(f"line {next_line}", "malformed_csv", _("Không đọc được dòng CSV này."))
        )
    if errors:
        _raise(errors)
    try:
        normalised = normalise({"version": VERSION, kind: items})
    except InvalidInput as exc:
        raise InvalidInput(
            message=exc.message, field_errors=[_on_line(e, kind, lines) for e in exc.field_errors]
        ) from None
    return {"version": VERSION, kind: normalised[kind]}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def to_csv(kind: str) -> str:
    """The data elements or indicators as CSV that :func:`from_csv` reads back: text
    starting with a byte-order mark (so Excel reads the Vietnamese as UTF-8 once the
    caller encodes it so), comma-separated, CRLF line ends, lists joined by ``;``."""
    kind = _kind(kind)
    items = _export_elements() if kind == "data_elements" else _export_indicators()
    columns = CSV_COLUMNS[kind]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    for item in items:
        writer.writerow([_cell(item[column]) for column in columns])
    return out.getvalue()
