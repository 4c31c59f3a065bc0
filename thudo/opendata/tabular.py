"""Uploaded tables (CSV, TSV, XLSX) for the datastore: reading them, inferring the
column types and turning cells into typed values.

A bad row must not fail a whole load: reading sets aside rows with the wrong number of
cells, coercion sets aside rows with a cell that does not fit its column's type, and
both report them as :class:`RowError` with the line a person sees in an editor. Only a
file that cannot be read at all (wrong encoding, unusable header, too large, not the
format it claims) raises :class:`TableError`, and then nothing may be loaded.

Pure Python, no database: the datastore calls :func:`read_table`, then
:func:`infer_types` (the publisher may override types), then :func:`coerce_rows`.

Numbers are written two ways in Vietnam: ``1.234.567,5`` (the Vietnamese convention,
and Excel's with a Vietnamese locale) and ``1234567.5``. One value such as ``1.234`` is
ambiguous, so the style is decided per column: a column whose every value is written in
one style is read in that style, and a column mixing styles stays text.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

FIELD_TYPES = ("text", "int", "numeric", "date", "timestamp", "bool")

# PostgreSQL truncates longer identifiers (NAMEDATALEN - 1 bytes), so two long headers
# could silently become the same column.
MAX_NAME_BYTES = 63
# A 100,000-row sheet is some tens of MB of XML; the declared sizes bound what zipfile
# will inflate, so a small file that claims gigabytes is refused before parsing.
MAX_XLSX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024

_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 50
_DELIMITERS = (",", ";", "\t", "|")
_PREVIEW_CHARS = 200
_MESSAGE_VALUE_CHARS = 100

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# PostgreSQL numeric: up to 131072 digits before the point and 16383 after.
_NUMERIC_MAX_ADJUSTED = 131071
_NUMERIC_MIN_EXPONENT = -16383


@dataclass(frozen=True)
class Field:
    id: str
    type: str
    label: str = ""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str


class TableError(Exception):
    """The whole file is unusable; nothing from it may be loaded."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Table:
    fields: list[Field]
    rows: list[tuple[int, list[str]]]
    errors: list[RowError]
    encoding: str
    dialect_delimiter: str


# ---------------------------------------------------------------------------------------
# Patterns. Inference matches these against each distinct value of a column, so no
# exception is raised per cell. Digits are ASCII only: \d would accept other scripts.

# Values with a leading zero ("00123", a ward code or phone number) are kept as text:
# reading them as numbers would lose the zeros.
_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]{0,17})")
# Dots as thousands separators, groups of three; at most 18 digits, so int64 holds it.
_VN_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]{0,2}(?:\.[0-9]{3}){0,5})")
_EN_NUMERIC = re.compile(
    r"[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?"
)
_VN_NUMERIC = re.compile(r"[+-]?(?:0|[1-9][0-9]{0,2}(?:\.[0-9]{3})+|[1-9][0-9]*)(?:,[0-9]+)?")

_ISO_DATE = r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_VN_DATE = r"(0?[1-9]|[12][0-9]|3[01])/(0?[1-9]|1[0-2])/([0-9]{4})"
_CLOCK = r"([01]?[0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9])(?:[.,]([0-9]{1,6}))?)?"
_ZONE = r"(Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)"
_ISO_DATE_RE = re.compile(_ISO_DATE)
_VN_DATE_RE = re.compile(_VN_DATE)
_ISO_TIMESTAMP_RE = re.compile(_ISO_DATE + r"[T ]" + _CLOCK + _ZONE + "?", re.IGNORECASE)
_VN_TIMESTAMP_RE = re.compile(_VN_DATE + r" " + _CLOCK)

# Lenient forms for coercing a single value whose column style is not known.
_ANY_INT = re.compile(r"[+-]?[0-9]{1,19}")
_ANY_VN_INT = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3}){1,6}")
_ANY_EN_NUMERIC = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ANY_VN_NUMERIC = re.compile(r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")

_TRUE = frozenset({"true", "yes", "có", "đúng"})
_FALSE = frozenset({"false", "no", "không", "sai"})

_VN, _EN = "vn", "en"


# ---------------------------------------------------------------------------------------
# Reading


def read_table(
    data: bytes, *, format: str, encoding: str | None = None, max_rows: int | None = None
) -> Table:
    """Read an uploaded table; ``format`` is "CSV", "TSV" or "XLSX" in any case."""
    kind = format.strip().upper()
    if kind == "CSV":
        return read_csv(data, encoding=encoding, max_rows=max_rows)
    if kind == "TSV":
        return _read_text(data, encoding=encoding, max_rows=max_rows, delimiter="\t")
    if kind == "XLSX":
        return read_xlsx(data, max_rows=max_rows)
    raise TableError(
        _("Không đọc được định dạng %(format)s; chỉ nhận CSV, TSV và XLSX.") % {"format": format},
        code="format",
    )


def read_csv(data: bytes, *, encoding: str | None = None, max_rows: int | None = None) -> Table:
    """Read delimited text; the delimiter is sniffed among ``, ; TAB |``."""
    return _read_text(data, encoding=encoding, max_rows=max_rows, delimiter=None)


def _read_text(
    data: bytes, *, encoding: str | None, max_rows: int | None, delimiter: str | None
) -> Table:
    if data.startswith(b"PK\x03\x04"):
        raise TableError(_("Tệp là bảng tính Excel (.xlsx), không phải tệp CSV."), code="format")
    text, used = _decode(data, encoding)
    if delimiter is None:
        delimiter = _sniff(text)
    builder = _Builder(max_rows=max_rows, pad_short=False, delimiter=delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous = 0
    try:
        for cells in reader:
            # line_num counts physical lines read so far, so a record with newlines inside
            # quotes starts on the line after the previous record ended.
            start, previous = previous + 1, reader.line_num
            builder.add(start, cells)
    except csv.Error as exc:
        raise TableError(
            _("Không đọc được dòng %(line)s của tệp CSV: %(error)s")
            % {"line": previous + 1, "error": exc},
            code="format",
        ) from exc
    return builder.table(encoding=used, delimiter=delimiter)


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """The text and the name of the codec that decoded it.

    Without an explicit encoding only UTF-8 and BOM-marked UTF-16/32 are accepted: a
    single-byte code page decodes any bytes at all, so guessing one would load garbage
    without anyone noticing.
    """
    if encoding is not None:
        try:
            name = codecs.lookup(encoding.strip()).name
        except LookupError:
            raise TableError(
                _("Không biết bảng mã '%(encoding)s'.") % {"encoding": encoding},
                code="encoding",
            ) from None
        skip = len(codecs.BOM_UTF8) if name == "utf-8" and data.startswith(codecs.BOM_UTF8) else 0
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        name, skip = "utf-32", 0
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        name, skip = "utf-16", 0
    else:
        name = "utf-8"
        skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[skip:].decode(name)
    except LookupError:
        # bytes-to-bytes codecs (base64, zlib...) are found by lookup but decode no text.
        raise TableError(
            _("'%(encoding)s' không phải bảng mã văn bản.") % {"encoding": encoding},
            code="encoding",
        ) from None
    except UnicodeDecodeError as exc:
        raise _encoding_error(data, skip, exc, name, explicit=encoding is not None) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return _nfc(text), name


def _nfc(text: str) -> str:
    # Windows-1258 spells most Vietnamese letters with combining tone marks and macOS
    # often writes NFD; one spelling per letter keeps headers and search consistent.
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _encoding_error(
    data: bytes, skip: int, exc: UnicodeDecodeError, name: str, *, explicit: bool
) -> TableError:
    offset = skip + exc.start
    prefix = data[skip:offset].decode(name, errors="replace")
    line = prefix.count("\n") + prefix.count("\r") - prefix.count("\r\n") + 1
    params = {"line": line, "offset": offset, "byte": f"{data[offset]:02X}", "encoding": name}
    if explicit:
        message = _(
            "Tệp không đúng bảng mã %(encoding)s: byte 0x%(byte)s ở dòng %(line)s "
            "(vị trí byte %(offset)s) không hợp lệ. Hãy kiểm tra lại bảng mã của tệp."
        )
    else:
        message = _(
            "Tệp không phải văn bản UTF-8: byte 0x%(byte)s ở dòng %(line)s "
            "(vị trí byte %(offset)s) không hợp lệ. Hãy lưu tệp dưới dạng “CSV UTF-8”, "
            "hoặc cho biết bảng mã của tệp (ví dụ windows-1258 hay cp1252)."
        )
    return TableError(message % params, code="encoding")


def _sniff(text: str) -> str:
    """The delimiter that splits the first records into the same, largest, number of
    cells; "," when nothing splits them (a one-column file)."""
    sample = text[:_SNIFF_CHARS]
    truncated = len(text) > len(sample)
    best, best_score = ",", (0.0, 1)
    for delimiter in _DELIMITERS:
        if delimiter not in sample:
            continue
        widths: list[int] = []
        try:
            for cells in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                if "".join(cells).strip():
                    widths.append(len(cells))
                if len(widths) > _SNIFF_RECORDS:
                    break
        except csv.Error:
            continue
        if truncated and len(widths) > 1:
            # The last record may be cut off in the middle of the sample.
            widths.pop()
        if not widths:
            # Nothing but separators and spaces (";;;" lines): blank under this delimiter.
            return delimiter
        # The most common width, not the first record's: a title line above the header
        # should not decide the delimiter.
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = (count / len(widths), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


class _Builder:
    """Header, blank and ragged rows, and the row limit, the same for every format."""

    def __init__(self, *, max_rows: int | None, pad_short: bool, delimiter: str) -> None:
        self.max_rows = max_rows
        # A sheet has no ragged rows: a short row just has empty cells at its end.
        self.pad_short = pad_short
        self.delimiter = delimiter
        self.fields: list[Field] | None = None
        self.width = 0
        self.count = 0
        self.rows: list[tuple[int, list[str]]] = []
        self.errors: list[RowError] = []

    def add(self, line: int, cells: list[str]) -> None:
        if not "".join(cells).strip():
            return
        if self.fields is None:
            self.fields = _header(line, cells)
            self.width = len(self.fields)
            return
        self.count += 1
        if self.max_rows is not None and self.count > self.max_rows:
            raise TableError(
                _("Tệp có hơn %(max)s dòng dữ liệu, quá giới hạn cho phép.")
                % {"max": self.max_rows},
                code="too_large",
            )
        width = self.width
        got = len(cells)
        if got > width and not "".join(cells[width:]).strip():
            # Trailing separators or formatted empty cells carry nothing.
            cells, got = cells[:width], width
        if got < width and self.pad_short:
            cells, got = cells + [""] * (width - got), width
        if got != width:
            if self.pad_short:
                extra = _last_filled(cells)
                message = _(
                    "Dòng %(line)s: có dữ liệu ở cột %(letter)s (cột thứ %(got)s), "
                    "tiêu đề chỉ có %(want)s cột."
                ) % {"line": line, "letter": get_column_letter(extra), "got": extra, "want": width}
            else:
                message = _("Dòng %(line)s: có %(got)s cột, tiêu đề có %(want)s cột.") % {
                    "line": line,
                    "got": got,
                    "want": width,
                }
            self.errors.append(RowError(line, "", _preview(self.delimiter, cells), message))
            return
        self.rows.append((line, cells))

    def table(self, *, encoding: str, delimiter: str) -> Table:
        if self.fields is None:
            raise TableError(_("Tệp không có dữ liệu: không thấy dòng tiêu đề."), code="empty")
        return Table(self.fields, self.rows, self.errors, encoding, delimiter)


def _last_filled(cells: list[str]) -> int:
    return max(i for i, cell in enumerate(cells, 1) if cell.strip())


def _preview(delimiter: str, cells: list[str]) -> str:
    text = (delimiter or ",").join(cells)
    return text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 1] + "…"


def _header(line: int, cells: list[str]) -> list[Field]:
    # Wrapped header cells (Alt+Enter in Excel) are common; one space stands for any run
    # of whitespace so the name can be typed in a query.
    names = [" ".join(cell.split()) for cell in cells]
    while names and not names[-1]:
        names.pop()
    problems: list[str] = []
    seen: dict[str, int] = {}
    reported: set[str] = set()
    for position, name in enumerate(names, 1):
        if not name:
            problems.append(_("cột thứ %(n)s không có tên") % {"n": position})
            continue
        if name.startswith("_"):
            problems.append(
                _("tên cột '%(name)s' bắt đầu bằng '_', dành riêng cho hệ thống") % {"name": name}
            )
        size = len(name.encode("utf-8"))
        if size > MAX_NAME_BYTES:
            problems.append(
                _(
                    "tên cột '%(name)s' dài %(size)s byte, tối đa %(max)s byte "
                    "(chữ có dấu chiếm 2–3 byte)"
                )
                % {"name": name, "size": size, "max": MAX_NAME_BYTES}
            )
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            shown = "".join("?" if unicodedata.category(ch) == "Cc" else ch for ch in name)
            problems.append(_("tên cột '%(name)s' chứa ký tự điều khiển") % {"name": shown})
        key = name.casefold()
        if key in seen:
            if key not in reported:
                reported.add(key)
                problems.append(
                    _("tên cột '%(name)s' bị trùng (cột thứ %(first)s và %(n)s)")
                    % {"name": name, "first": seen[key], "n": position}
                )
        else:
            seen[key] = position
    if problems:
        raise TableError(
            _("Dòng tiêu đề (dòng %(line)s) không hợp lệ: %(problems)s.")
            % {"line": line, "problems": "; ".join(problems)},
            code="header",
        )
    return [Field(name, "text") for name in names]


def read_xlsx(data: bytes, *, max_rows: int | None = None) -> Table:
    """Read the first worksheet; cells become the strings a CSV export would hold."""
    _check_zip(data)
    if not openpyxl.DEFUSEDXML:
        # Without defusedxml openpyxl expands XML entities: refuse rather than risk it.
        raise RuntimeError("openpyxl must use defusedxml to read uploaded workbooks")
    try:
        with warnings.catch_warnings():
            # Unknown extensions and styles only warn; they mean nothing to the uploader.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
    except Exception as exc:
        # A malformed part surfaces as any of a dozen exception types from zipfile, the
        # XML parser and openpyxl; to the uploader they are all one thing.
        raise _not_xlsx() from exc
    builder = _Builder(max_rows=max_rows, pad_short=True, delimiter="")
    try:
        if not book.worksheets:
            raise TableError(_("Tệp Excel không có trang tính nào."), code="empty")
        sheet = book.worksheets[0]
        # Read-only mode trusts the sheet's declared dimensions, which some producers get
        # wrong (cutting rows short) or make huge (padding every row to 16,384 cells).
        sheet.reset_dimensions()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Rows are yielded from row 1, empty ones included, so the count is the row
            # number a person sees in Excel.
            for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                builder.add(line, [_cell_text(value) for value in values])
    except TableError:
        raise
    except Exception as exc:
        raise _not_xlsx() from exc
    finally:
        book.close()
    return builder.table(encoding="", delimiter="")


def _not_xlsx() -> TableError:
    return TableError(_("Tệp không phải là tệp Excel (.xlsx) hợp lệ."), code="format")


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        raise _not_xlsx() from exc
    if declared > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise TableError(
            _("Tệp Excel quá lớn khi giải nén (hơn %(mb)s MB).")
            % {"mb": MAX_XLSX_UNCOMPRESSED_BYTES // (1024 * 1024)},
            code="too_large",
        )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _nfc(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # repr is the shortest string that reads back as the same float; Decimal writes
        # it without an exponent (1.5e-05 -> 0.000015), as the cell shows it.
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime):
        # Excel stores a date as a day count, so a date cell reads back as midnight.
        if value.tzinfo is None and value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


# ---------------------------------------------------------------------------------------
# Types


def infer_types(table: Table, *, overrides: Mapping[str, str] | None = None) -> list[Field]:
    """A type for every column, from all its non-empty values; ``overrides`` (column id
    to type) win. An unknown column or type in ``overrides`` raises ValueError."""
    chosen: dict[str, str] = {}
    ids = {field.id for field in table.fields}
    for column, kind in (overrides or {}).items():
        if column not in ids:
            raise ValueError(_("Không có cột '%(column)s' trong bảng.") % {"column": column})
        chosen[column] = _check_type(kind)
    result = []
    for index, field in enumerate(table.fields):
        kind = chosen.get(field.id) or _infer(_distinct(table, index))
        result.append(Field(field.id, kind, field.label))
    return result


def _check_type(kind: str) -> str:
    normal = kind.strip().lower() if isinstance(kind, str) else kind
    if normal not in FIELD_TYPES:
        raise ValueError(
            _("Kiểu dữ liệu '%(type)s' không hợp lệ; các kiểu: %(types)s.")
            % {"type": kind, "types": ", ".join(FIELD_TYPES)}
        )
    return str(normal)


def _distinct(table: Table, index: int) -> set[str]:
    raw = {cells[index] for _line, cells in table.rows}
    values = {value.strip() for value in raw}
    values.discard("")
    return values


def _all(pattern: re.Pattern[str], values: Iterable[str]) -> bool:
    match = pattern.fullmatch
    return all(match(value) for value in values)


def _number_style(values: set[str]) -> str | None:
    """How the column writes numbers: "vn" (1.234,5), "en" (1234.5), or None."""
    if _all(_VN_INT, values) and any("." in value for value in values):
        # Every dot is followed by exactly three digits: thousands, not decimals.
        return _VN
    if _all(_EN_NUMERIC, values):
        return _EN
    if _all(_VN_NUMERIC, values) and any("," in value for value in values):
        return _VN
    return None


def _infer(values: set[str]) -> str:
    if not values:
        return "text"
    if _all(_INT, values):
        return "int"
    style = _number_style(values)
    if style == _VN and _all(_VN_INT, values):
        return "int"
    if style is not None:
        return "numeric"
    if all(_ISO_DATE_RE.fullmatch(v) or _VN_DATE_RE.fullmatch(v) for v in values):
        return "date"
    if all(
        _ISO_TIMESTAMP_RE.fullmatch(v)
        or _VN_TIMESTAMP_RE.fullmatch(v)
        or _ISO_DATE_RE.fullmatch(v)
        or _VN_DATE_RE.fullmatch(v)
        for v in values
    ):
        # A mix of dates and timestamps is a timestamp column whose dates are midnight.
        return "timestamp"
    if all(value.casefold() in _TRUE or value.casefold() in _FALSE for value in values):
        return "bool"
    return "text"


def coerce(value: str, type: str) -> Any:
    """The Python value of one cell: None for an empty cell; ValueError, with a message
    for the uploader, when the cell does not fit the type.

    Without the rest of the column a lone ``1.234`` reads as 1.234 for "numeric" (an
    integer cannot have decimals, so for "int" it is 1234); :func:`coerce_rows` decides
    such values by the style of the whole column.
    """
    return _converter(_check_type(type), None)(value)


def coerce_rows(
    table: Table, fields: Sequence[Field]
) -> tuple[list[tuple[int, list[Any]]], list[RowError]]:
    """Typed rows, and a RowError for every cell that does not fit; a row with any bad
    cell is left out whole. ``fields`` are the table's columns in order (their types may
    differ). The errors are those of coercion only, not ``table.errors``."""
    if [field.id for field in fields] != [field.id for field in table.fields]:
        raise ValueError("fields must be the table's columns, in the same order")
    converters = []
    for index, field in enumerate(fields):
        kind = _check_type(field.type)
        style = _number_style(_distinct(table, index)) if kind in ("int", "numeric") else None
        converters.append(_converter(kind, style))
    good: list[tuple[int, list[Any]]] = []
    errors: list[RowError] = []
    columns = [field.id for field in fields]
    for line, cells in table.rows:
        typed: list[Any] = []
        failed = False
        for convert, column, raw in zip(converters, columns, cells, strict=True):
            try:
                typed.append(convert(raw))
            except ValueError as exc:
                failed = True
                errors.append(RowError(line, column, raw, str(exc)))
        if not failed:
            good.append((line, typed))
    return good, errors


def _shown(value: str) -> str:
    return value if len(value) <= _MESSAGE_VALUE_CHARS else value[:_MESSAGE_VALUE_CHARS] + "…"


def _converter(kind: str, style: str | None) -> Callable[[str], Any]:
    if kind == "text":
        return _to_text
    if kind == "int":
        return {_VN: _to_int_vn, _EN: _to_int_en}.get(style or "", _to_int)
    if kind == "numeric":
        return {_VN: _to_numeric_vn, _EN: _to_numeric_en}.get(style or "", _to_numeric)
    if kind == "date":
        return _to_date
    if kind == "timestamp":
        return _to_timestamp
    return _to_bool


def _to_text(value: str) -> str | None:
    if not value.strip():
        return None
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL; one such cell would fail the whole load.
        raise ValueError(_("Ô chứa ký tự NUL (mã 0), không lưu được."))
    return value


def _int_in_range(value: str, digits: str) -> int:
    number = int(digits)
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(
            _("'%(value)s' vượt quá giới hạn số nguyên 64 bit") % {"value": _shown(value)}
        )
    return number


def _not_int(value: str) -> ValueError:
    return ValueError(_("'%(value)s' không phải số nguyên") % {"value": _shown(value)})


def _to_int(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if _ANY_INT.fullmatch(text):
        return _int_in_range(value, text)
    if _ANY_VN_INT.fullmatch(text):
        return _int_in_range(value, text.replace(".", ""))
    raise _not_int(value)


def _to_int_en(value: str) -> int | None:
    # The column writes 1.5 and 2.250 as decimals, so a dot never groups thousands here.
    text = value.strip()
    if not text:
        return None
    if _ANY_INT.fullmatch(text):
        return _int_in_range(value, text)
    raise _not_int(value)


def _to_int_vn(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if _ANY_VN_INT.fullmatch(text) or _ANY_INT.fullmatch(text):
        return _int_in_range(value, text.replace(".", ""))
    raise _not_int(value)


def _decimal(value: str, text: str) -> Decimal:
    number = Decimal(text)
    exponent = number.as_tuple().exponent
    if (
        not number.is_finite()
        or not isinstance(exponent, int)
        or exponent < _NUMERIC_MIN_EXPONENT
        or number.adjusted() > _NUMERIC_MAX_ADJUSTED
    ):
        raise ValueError(
            _("'%(value)s' nằm ngoài phạm vi số được hỗ trợ") % {"value": _shown(value)}
        )
    return number


def _not_numeric(value: str) -> ValueError:
    return ValueError(_("'%(value)s' không phải số") % {"value": _shown(value)})


def _to_numeric(value: str) -> Decimal | None:
    text = value.strip()
    if not text:
        return None
    if _ANY_EN_NUMERIC.fullmatch(text):
        return _decimal(value, text)
    if _ANY_VN_NUMERIC.fullmatch(text) and ("," in text or text.count(".") > 1):
        return _decimal(value, text.replace(".", "").replace(",", "."))
    raise _not_numeric(value)


def _to_numeric_en(value: str) -> Decimal | None:
    text = value.strip()
    if not text:
        return None
    if _ANY_EN_NUMERIC.fullmatch(text):
        return _decimal(value, text)
    raise _not_numeric(value)


def _to_numeric_vn(value: str) -> Decimal | None:
    text = value.strip()
    if not text:
        return None
    if _ANY_VN_NUMERIC.fullmatch(text):
        return _decimal(value, text.replace(".", "").replace(",", "."))
    raise _not_numeric(value)


def _date_parts(text: str) -> tuple[int, int, int] | None:
    match = _ISO_DATE_RE.fullmatch(text)
    if match:
        return int(match[1]), int(match[2]), int(match[3])
    match = _VN_DATE_RE.fullmatch(text)
    if match:
        return int(match[3]), int(match[2]), int(match[1])
    return None


def _to_date(value: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    parts = _date_parts(text)
    if parts is None:
        raise ValueError(
            _("'%(value)s' không phải ngày (dạng 2025-01-31 hoặc 31/01/2025)")
            % {"value": _shown(value)}
        )
    try:
        return date(*parts)
    except ValueError:
        raise ValueError(
            _("'%(value)s' không phải ngày có thật") % {"value": _shown(value)}
        ) from None


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + (int(digits[2:]) if len(digits) > 2 else 0)
    return timezone(sign * timedelta(minutes=minutes))


def _moment(
    y: str, mo: str, d: str, h: str, mi: str, s: str | None, frac: str | None, zone: str | None
) -> datetime:
    micro = int((frac or "").ljust(6, "0"))
    return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), micro, _zone(zone))


def _to_timestamp(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    try:
        match = _ISO_TIMESTAMP_RE.fullmatch(text)
        if match:
            y, mo, d, h, mi, s, frac, zone = match.groups()
            return _moment(y, mo, d, h, mi, s, frac, zone)
        match = _VN_TIMESTAMP_RE.fullmatch(text)
        if match:
            d, mo, y, h, mi, s, frac = match.groups()
            return _moment(y, mo, d, h, mi, s, frac, None)
        parts = _date_parts(text)
        if parts is not None:
            return datetime(*parts)
    except ValueError:
        raise ValueError(
            _("'%(value)s' không phải thời điểm có thật") % {"value": _shown(value)}
        ) from None
    raise ValueError(
        _("'%(value)s' không phải thời điểm (dạng 2025-01-31T08:00:00)") % {"value": _shown(value)}
    )


def _to_bool(value: str) -> bool | None:
    text = value.strip().casefold()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(
        _("'%(value)s' không phải giá trị đúng/sai (true/false, có/không)")
        % {"value": _shown(value)}
    )
