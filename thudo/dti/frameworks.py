"""Frameworks as data: a YAML or CSV document (see frameworks/FORMAT.md) parsed into a
checked tree, and the tree written back as either form.

Everything is checked before anything is written; every mistake is reported with where it
is (``groups[0].indices[2].sub_indices[1].max_points``, ``line 7: tiers``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _

from thudo.core.errors import FieldError, InvalidInput
from thudo.core.models import Agency
from thudo.dti.contracts import Method

SHIPPED = Path(__file__).resolve().parent / "frameworks"
CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,29}$")
NODE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,19}$")
SOURCE = re.compile(r"^(metric:[a-z0-9_.]+|ratio:[a-z0-9_.]+/[a-z0-9_.]+|indicator:[A-Z0-9_]+)$")
KINDS = {k.value for k in Agency.Kind}
EVIDENCE = ("required", "optional", "none")
CSV_COLUMNS = [
    "level",
    "code",
    "parent",
    "name",
    "max_points",
    "method",
    "target",
    "tiers",
    "unit",
    "evidence",
    "applies_to",
    "measure",
    "tolerance",
    "guidance",
    "year",
    "legal_basis",
    "peer_group",
    "sample",
    "note",
]
MAX_BYTES = 2 * 2**20


@dataclass
class Sub:
    code: str
    name: str
    max_points: Decimal
    method: str = Method.MANUAL.value
    target: Decimal | None = None
    tiers: list[list[float]] = field(default_factory=list)
    unit: str = ""
    evidence: str = "optional"
    applies_to: list[str] = field(default_factory=list)
    measure: str = ""
    tolerance: Decimal | None = None
    guidance: str = ""


@dataclass
class Index:
    code: str
    name: str
    max_points: Decimal
    subs: list[Sub] = field(default_factory=list)


@dataclass
class Group:
    code: str
    name: str
    indices: list[Index] = field(default_factory=list)


@dataclass
class Parsed:
    code: str
    year: int
    name: str
    legal_basis: str = ""
    applies_to: list[str] = field(default_factory=list)
    peer_group: str = ""
    sample: bool = False
    note: str = ""
    groups: list[Group] = field(default_factory=list)

    @property
    def max_points(self) -> Decimal:
        return sum((i.max_points for g in self.groups for i in g.indices), Decimal(0))

    def subs(self) -> Iterator[Sub]:
        for group in self.groups:
            for index in group.indices:
                yield from index.subs

    def document(self) -> dict[str, Any]:
        """The canonical YAML/JSON form (what export writes, what the digest covers)."""

        def number(value: Decimal | None) -> Any:
            if value is None:
                return None
            return int(value) if value == value.to_integral() else float(value)

        def sub(s: Sub) -> dict[str, Any]:
            out: dict[str, Any] = {
                "code": s.code,
                "name": s.name,
                "max_points": number(s.max_points),
                "method": s.method,
            }
            if s.target is not None:
                out["target"] = number(s.target)
            if s.tiers:
                out["tiers"] = [[t, p] for t, p in s.tiers]
            if s.unit:
                out["unit"] = s.unit
            out["evidence"] = s.evidence
            if s.applies_to:
                out["applies_to"] = list(s.applies_to)
            if s.measure:
                out["measure"] = {"source": s.measure, "tolerance": number(s.tolerance)}
            if s.guidance:
                out["guidance"] = s.guidance
            return out

        return {
            "code": self.code,
            "year": self.year,
            "name": self.name,
            "legal_basis": self.legal_basis,
            "applies_to": list(self.applies_to),
            "peer_group": self.peer_group,
            "sample": self.sample,
            "note": self.note,
            "groups": [
                {
                    "code": g.code,
                    "name": g.name,
                    "indices": [
                        {
                            "code": i.code,
                            "name": i.name,
                            "max_points": number(i.max_points),
                            "sub_indices": [sub(s) for s in i.subs],
                        }
                        for i in g.indices
                    ],
                }
                for g in self.groups
            ],
        }

    def digest(self) -> str:
        canonical = json.dumps(self.document(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, where: str, code: str, message: str) -> None:
        self.items.append(FieldError(where, code, message))

    def raise_if_any(self) -> None:
        if self.items:
            count = len(self.items)
            raise InvalidInput(
                message=_("Bộ chỉ số có %(n)d lỗi; chưa có gì được ghi.") % {"n": count},
                field_errors=self.items,
            )


def _text(raw: Any, where: str, errors: _Errors, *, required: bool = True, limit: int = 500) -> str:
    text = "" if raw is None else str(raw).strip()
    if required and not text:
        errors.add(where, "required", _("Bắt buộc."))
    elif len(text) > limit:
        errors.add(where, "too_long", _("Dài quá %(n)d ký tự.") % {"n": limit})
    return text[:limit]


def _decimal(raw: Any, where: str, errors: _Errors, *, required: bool = False) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors.add(where, "required", _("Bắt buộc."))
        return None
    if isinstance(raw, bool):
        errors.add(where, "not_a_number", _("Không phải là số."))
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        errors.add(where, "not_a_number", _("Không phải là số."))
        return None
    if not value.is_finite() or value < 0:
        errors.add(where, "negative", _("Phải là số không âm."))
        return None
    if value != value.quantize(Decimal("0.01")):
        errors.add(where, "precision", _("Tối đa 2 chữ số thập phân."))
        return None
    return value


def _kinds(raw: Any, where: str, errors: _Errors) -> list[str]:
    if raw is None or raw == "":
        return []
    items = raw.split("|") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        errors.add(where, "not_a_list", _("Phải là danh sách loại cơ quan."))
        return []
    kinds = [str(k).strip() for k in items if str(k).strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        errors.add(
            where,
            "unknown_kind",
            _("Loại cơ quan không có: %(k)s (có: %(all)s).")
            % {"k": ", ".join(unknown), "all": ", ".join(sorted(KINDS))},
        )
    return [k for k in kinds if k in KINDS]


def _tiers(raw: Any, where: str, errors: _Errors) -> list[list[float]]:
    if isinstance(raw, str):
        pairs: list[Any] = [p.split(":") for p in raw.split("|") if p.strip()]
    elif isinstance(raw, list):
        pairs = raw
    else:
        errors.add(where, "required", _("Bậc điểm: danh sách [ngưỡng, điểm]."))
        return []
    tiers = []
    for n, pair in enumerate(pairs):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            errors.add(f"{where}[{n}]", "invalid", _("Mỗi bậc là [ngưỡng, điểm]."))
            continue
        threshold = _decimal(pair[0], f"{where}[{n}]", errors, required=True)
        points = _decimal(pair[1], f"{where}[{n}]", errors, required=True)
        if threshold is not None and points is not None:
            tiers.append([float(threshold), float(points)])
    if not tiers and not any(e.field.startswith(where) for e in errors.items):
        errors.add(where, "required", _("Cần ít nhất một bậc điểm."))
    return sorted(tiers, key=lambda t: t[0], reverse=True)


def _sub(raw: Any, where: str, errors: _Errors) -> Sub | None:
    if not isinstance(raw, dict):
        errors.add(where, "invalid", _("Phải là một chỉ số thành phần."))
        return None
    code = _text(raw.get("code"), f"{where}.code", errors, limit=20)
    if code and not NODE_CODE.match(code):
        errors.add(f"{where}.code", "invalid", _("Mã chỉ gồm chữ, số, dấu chấm, gạch ngang."))
    max_points = _decimal(raw.get("max_points"), f"{where}.max_points", errors, required=True)
    method = str(raw.get("method") or Method.MANUAL.value)
    if method not in {m.value for m in Method}:
        errors.add(
            f"{where}.method",
            "unknown_method",
            _("Phương pháp chấm không có: %(m)s (có: manual, yes_no, ratio, tiers).")
            % {"m": method},
        )
    sub = Sub(
        code=code,
        name=_text(raw.get("name"), f"{where}.name", errors),
        max_points=max_points or Decimal(0),
        method=method,
        unit=_text(raw.get("unit"), f"{where}.unit", errors, required=False, limit=30),
        guidance=_text(
            raw.get("guidance"), f"{where}.guidance", errors, required=False, limit=4000
        ),
        applies_to=_kinds(raw.get("applies_to"), f"{where}.applies_to", errors),
    )
    evidence = str(raw.get("evidence") or "optional")
    if evidence not in EVIDENCE:
        errors.add(f"{where}.evidence", "invalid", _("Minh chứng: required, optional hoặc none."))
    sub.evidence = evidence
    if method == Method.RATIO:
        sub.target = _decimal(raw.get("target"), f"{where}.target", errors)
        if sub.target is not None and sub.target <= 0:
            errors.add(f"{where}.target", "invalid", _("Mục tiêu phải lớn hơn 0."))
        sub.unit = sub.unit or "%"
    elif method == Method.TIERS:
        sub.tiers = _tiers(raw.get("tiers"), f"{where}.tiers", errors)
        sub.unit = sub.unit or "%"
        if max_points is not None and any(Decimal(str(p)) > max_points for _t, p in sub.tiers):
            errors.add(
                f"{where}.tiers", "above_max", _("Điểm một bậc lớn hơn điểm tối đa của chỉ số.")
            )
    measure = raw.get("measure")
    if measure:
        if not isinstance(measure, dict):
            measure = {"source": measure}
        source = str(measure.get("source") or "").strip()
        if not SOURCE.match(source):
            errors.add(
                f"{where}.measure.source",
                "invalid",
                _("Nguồn đo: metric:<mã>, ratio:<mã>/<mã> hoặc indicator:<MÃ>."),
            )
        elif method in (Method.MANUAL, Method.YES_NO):
            errors.add(
                f"{where}.measure",
                "not_measurable",
                _("Chỉ số chấm theo tỷ lệ hoặc bậc mới gắn được với số liệu đo."),
            )
        sub.measure = source
        sub.tolerance = _decimal(measure.get("tolerance"), f"{where}.measure.tolerance", errors)
    return sub


def _list(raw: Any, where: str, errors: _Errors) -> list[Any]:
    if raw is None:
        errors.add(where, "required", _("Bắt buộc."))
        return []
    if not isinstance(raw, list):
        errors.add(where, "not_a_list", _("Phải là một danh sách."))
        return []
    return raw


def parse_document(raw: Any) -> Parsed:
    """A framework from its YAML/JSON form; raises InvalidInput with every mistake."""
    errors = _Errors()
    if not isinstance(raw, dict):
        errors.add("", "invalid", _("Tệp không phải là một bộ chỉ số."))
        errors.raise_if_any()
    code = _text(raw.get("code"), "code", errors, limit=30)
    if code and not CODE.match(code):
        errors.add("code", "invalid", _("Mã bộ chỉ số: chữ in hoa, số, gạch ngang (2–30)."))
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        try:
            year = int(str(year))
            if not 2000 <= year <= 2100:
                raise ValueError
        except ValueError:
            errors.add("year", "invalid", _("Năm không đúng."))
            year = 0
    parsed = Parsed(
        code=code,
        year=int(year),
        name=_text(raw.get("name"), "name", errors, limit=255),
        legal_basis=_text(raw.get("legal_basis"), "legal_basis", errors, required=False),
        applies_to=_kinds(raw.get("applies_to"), "applies_to", errors),
        peer_group=_text(raw.get("peer_group"), "peer_group", errors, required=False, limit=100),
        sample=bool(raw.get("sample") in (True, "true", "1", 1, "yes")),
        note=_text(raw.get("note"), "note", errors, required=False, limit=4000),
    )
    seen: set[str] = set()

    def unique(node_code: str, where: str) -> None:
        if node_code and node_code in seen:
            errors.add(
                where, "duplicate", _("Mã %(c)s đã dùng trong bộ chỉ số.") % {"c": node_code}
            )
        seen.add(node_code)

    for g, raw_group in enumerate(_list(raw.get("groups"), "groups", errors)):
        where = f"groups[{g}]"
        if not isinstance(raw_group, dict):
            errors.add(where, "invalid", _("Phải là một nhóm chỉ số."))
            continue
        group = Group(
            code=_text(raw_group.get("code"), f"{where}.code", errors, limit=20),
            name=_text(raw_group.get("name"), f"{where}.name", errors),
        )
        unique(group.code, f"{where}.code")
        for i, raw_index in enumerate(_list(raw_group.get("indices"), f"{where}.indices", errors)):
            iwhere = f"{where}.indices[{i}]"
            if not isinstance(raw_index, dict):
                errors.add(iwhere, "invalid", _("Phải là một chỉ số chính."))
                continue
            index = Index(
                code=_text(raw_index.get("code"), f"{iwhere}.code", errors, limit=20),
                name=_text(raw_index.get("name"), f"{iwhere}.name", errors),
                max_points=_decimal(
                    raw_index.get("max_points"), f"{iwhere}.max_points", errors, required=True
                )
                or Decimal(0),
            )
            unique(index.code, f"{iwhere}.code")
            raw_subs = _list(raw_index.get("sub_indices"), f"{iwhere}.sub_indices", errors)
            for s, raw_sub in enumerate(raw_subs):
                swhere = f"{iwhere}.sub_indices[{s}]"
                sub = _sub(raw_sub, swhere, errors)
                if sub is not None:
                    unique(sub.code, f"{swhere}.code")
                    index.subs.append(sub)
            total = sum((s.max_points for s in index.subs), Decimal(0))
            if isinstance(raw_index.get("sub_indices"), list) and total != index.max_points:
                errors.add(
                    f"{iwhere}.max_points",
                    "sum_mismatch",
                    _("Tổng điểm các chỉ số thành phần (%(sum)s) khác điểm của chỉ số (%(max)s).")
                    % {"sum": total, "max": index.max_points},
                )
            group.indices.append(index)
        parsed.groups.append(group)
    if not errors.items and parsed.max_points <= 0:
        errors.add("groups", "no_points", _("Bộ chỉ số không có điểm nào."))
    errors.raise_if_any()
    return parsed


def parse_yaml(content: bytes | str) -> Parsed:
    if isinstance(content, bytes):
        if len(content) > MAX_BYTES:
            raise InvalidInput(message=_("Tệp lớn quá 2 MB."))
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(message=_("Tệp không phải UTF-8.")) from exc
    try:
        raw = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(
            message=_("Tệp YAML không đọc được."),
            field_errors=[FieldError(where, "syntax", str(getattr(exc, "problem", exc)))],
        ) from exc
    return parse_document(raw)


# --- CSV: the same tree, one row per node --------------------------------------------------


def parse_csv(content: bytes | str) -> Parsed:
    if isinstance(content, bytes):
        if len(content) > MAX_BYTES:
            raise InvalidInput(message=_("Tệp lớn quá 2 MB."))
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(message=_("Tệp không phải UTF-8.")) from exc
    content = content.removeprefix("\ufeff")
    sample = content[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(content), dialect=dialect)
    missing = [c for c in ("level", "code", "name") if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(
            message=_("Thiếu cột: %(c)s.") % {"c": ", ".join(missing)},
            field_errors=[FieldError("header", "missing_columns", ", ".join(missing))],
        )
    document: dict[str, Any] = {"groups": []}
    groups: dict[str, dict[str, Any]] = {}
    indices: dict[str, dict[str, Any]] = {}
    places: dict[str, int] = {}  # where in the tree → line of the file, for the errors
    where_of: dict[int, str] = {}  # id of a group's or an index's dict → where in the tree
    errors = _Errors()
    for line, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        level = row.get("level", "")
        if level == "framework":
            places[""] = line
            document.update(
                code=row.get("code"),
                year=row.get("year"),
                name=row.get("name"),
                legal_basis=row.get("legal_basis", ""),
                applies_to=row.get("applies_to", ""),
                peer_group=row.get("peer_group", ""),
                sample=row.get("sample", "").lower() in ("1", "true", "yes", "x"),
                note=row.get("note", ""),
            )
        elif level == "group":
            group: dict[str, Any] = {"code": row["code"], "name": row["name"], "indices": []}
            where_of[id(group)] = f"groups[{len(document['groups'])}]"
            places[where_of[id(group)]] = line
            groups[row["code"]] = group
            document["groups"].append(group)
        elif level == "index":
            parent = groups.get(row.get("parent", ""))
            if parent is None:
                errors.add(f"line {line}: parent", "unknown_parent", _("Không có nhóm cha này."))
                continue
            index: dict[str, Any] = {
                "code": row["code"],
                "name": row["name"],
                "max_points": row.get("max_points"),
                "sub_indices": [],
            }
            indices[row["code"]] = index
            where_of[id(index)] = f"{where_of[id(parent)]}.indices[{len(parent['indices'])}]"
            places[where_of[id(index)]] = line
            parent["indices"].append(index)
        elif level == "sub":
            parent = indices.get(row.get("parent", ""))
            if parent is None:
                errors.add(
                    f"line {line}: parent", "unknown_parent", _("Không có chỉ số chính cha này.")
                )
                continue
            sub: dict[str, Any] = {
                k: row.get(k)
                for k in ("code", "name", "max_points", "method", "target", "unit", "guidance")
                if row.get(k)
            }
            if row.get("tiers"):
                sub["tiers"] = row["tiers"]
            if row.get("evidence"):
                sub["evidence"] = row["evidence"]
            if row.get("applies_to"):
                sub["applies_to"] = row["applies_to"]
            if row.get("measure"):
                sub["measure"] = {"source": row["measure"], "tolerance": row.get("tolerance")}
            places[f"{where_of[id(parent)]}.sub_indices[{len(parent['sub_indices'])}]"] = line
            parent["sub_indices"].append(sub)
        else:
            errors.add(
                f"line {line}: level",
                "invalid",
                _("Cấp: framework, group, index hoặc sub."),
            )
    # The tree's own checks too, so that every mistake of the file is reported at once,
    # each at its line.
    try:
        parsed = parse_document(document)
    except InvalidInput as exc:
        errors.items.extend(_at_line(e, places) for e in exc.field_errors)
        errors.raise_if_any()
        raise
    errors.raise_if_any()
    return parsed


def _at_line(error: FieldError, places: dict[str, int]) -> FieldError:
    """``groups[0].indices[1].max_points`` → ``line 5: max_points`` (the CSV's row)."""
    for where in sorted(places, key=len, reverse=True):
        if where and error.field != where and not error.field.startswith(f"{where}."):
            continue
        if not where and error.field.startswith("groups"):
            continue
        rest = error.field[len(where) :].lstrip(".")
        field_name = f"line {places[where]}: {rest}" if rest else f"line {places[where]}"
        return FieldError(field_name, error.code, error.message)
    return error


def to_csv(parsed: Parsed) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(
        {
            "level": "framework",
            "code": parsed.code,
            "name": parsed.name,
            "year": parsed.year,
            "legal_basis": parsed.legal_basis,
            "applies_to": "|".join(parsed.applies_to),
            "peer_group": parsed.peer_group,
            "sample": "true" if parsed.sample else "",
            "note": parsed.note,
        }
    )
    for group in parsed.groups:
        writer.writerow({"level": "group", "code": group.code, "name": group.name})
        for index in group.indices:
            writer.writerow(
                {
                    "level": "index",
                    "code": index.code,
                    "parent": group.code,
                    "name": index.name,
                    "max_points": index.max_points,
                }
            )
            for s in index.subs:
                writer.writerow(
                    {
                        "level": "sub",
                        "code": s.code,
                        "parent": index.code,
                        "name": s.name,
                        "max_points": s.max_points,
                        "method": s.method,
                        "target": "" if s.target is None else s.target,
                        "tiers": "|".join(f"{_num(t)}:{_num(p)}" for t, p in s.tiers),
                        "unit": s.unit,
                        "evidence": s.evidence,
                        "applies_to": "|".join(s.applies_to),
                        "measure": s.measure,
                        "tolerance": "" if s.tolerance is None else s.tolerance,
                        "guidance": s.guidance,
                    }
                )
    return "\ufeff" + out.getvalue()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def to_yaml(parsed: Parsed) -> str:
    return yaml.safe_dump(parsed.document(), allow_unicode=True, sort_keys=False, width=100)


def parse_file(name: str, content: bytes) -> Parsed:
    return parse_csv(content) if name.lower().endswith(".csv") else parse_yaml(content)


def shipped() -> Iterable[Path]:
    return sorted(SHIPPED.glob("*.yaml"))
