"""``thudo units import``: load administrative units (đơn vị hành chính).

Without a file the current units (since the two-tier reform of 1 July 2025) come from the
PyPI package ``vietnam-provinces``; ``--csv FILE`` loads anything else, such as the
province → district → commune units in force before the reform. Both go through
``services.units_import``, which checks every row before writing and saves all or nothing;
this command only turns the input into rows and the outcome into a report.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from thudo.core import services
from thudo.core.contracts import UnitRow
from thudo.core.errors import FieldError, InvalidInput

# Two-tier local government (no districts) since this day: the package lists the units
# in force from it.
REFORM_DAY = date(2025, 7, 1)
COLUMNS = ("code", "name", "kind", "level", "parent_code", "valid_from", "valid_to")
# date.fromisoformat also takes "20250701" and week dates; official lists write YYYY-MM-DD.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class _Parsed:
    rows: list[UnitRow]
    lines: list[int]  # file line of each row, for the report
    errors: list[FieldError]


class Command(BaseCommand):
    help = "Administrative units: import the current list or a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "import",
            help="Load units (all or nothing; running it again changes nothing).",
        )
        load.add_argument(
            "--csv",
            metavar="FILE",
            help="CSV (UTF-8) with the header " + ",".join(COLUMNS) + "; without it, the "
            "units in force since 2025-07-01 from the vietnam-provinces package.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "import":  # pragma: no cover - argparse enforces the choice
            raise CommandError(f"unknown action {options['action']}")
        if options["csv"]:
            path = Path(options["csv"])
            parsed = _read_csv(path)
            if parsed.errors:
                self._report(parsed.errors, {})
            rows, lines, source = parsed.rows, parsed.lines, f"csv:{path.name}"
        else:
            rows, source = _package_rows()
            lines = []
        try:
            result = services.units_import(actor=None, rows=rows, source=source)
        except InvalidInput as exc:
            self._report(list(exc.field_errors), dict(enumerate(lines, start=1)))
        if options["verbosity"] == 0:
            return
        self.stdout.write(
            _(
                "Đã nhập %(total)d đơn vị (%(source)s): %(created)d tạo mới, %(updated)d cập nhật, "
                "%(unchanged)d không đổi."
            )
            % {
                "total": len(rows),
                "source": source,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }
        )

    def _report(self, errors: list[FieldError], line_of_row: dict[int, int]) -> NoReturn:
        """Write one line per error to stderr and stop with a non-zero exit status."""
        for error in errors:
            self.stderr.write(f"{_where(error.field, line_of_row)}: {error.message} [{error.code}]")
        raise CommandError(
            ngettext(
                "Có %(count)d lỗi; chưa có gì được lưu.",
                "Có %(count)d lỗi; chưa có gì được lưu.",
                len(errors),
            )
            % {"count": len(errors)},
            returncode=1,
        )


def _where(field: str, line_of_row: dict[int, int]) -> str:
    # The service names rows by position ("row 3"); people fix files by line number.
    kind, _sep, number = field.partition(" ")
    if kind == "row" and number.isdigit() and int(number) in line_of_row:
        return f"{field} (line {line_of_row[int(number)]})"
    return field


def _package_rows() -> tuple[list[UnitRow], str]:
    from vietnam_provinces import Province, Ward

    try:
        source = f"vietnam-provinces {version('vietnam-provinces')}"
    except PackageNotFoundError:  # pragma: no cover - installed from a checkout
        source = "vietnam-provinces"
    # Codes are integers in the package; GSO codes are zero-padded strings. The division
    # types are the Vietnamese names ("phường", "đặc khu"…) the service already knows.
    rows = [
        UnitRow(
            code=f"{int(p.code):02d}",
            name=p.name,
            kind=p.division_type.value,
            valid_from=REFORM_DAY,
        )
        for p in Province.iter_all()
    ]
    rows += [
        UnitRow(
            code=f"{int(w.code):05d}",
            name=w.name,
            kind=w.division_type.value,
            parent_code=f"{int(w.province_code):02d}",
            valid_from=REFORM_DAY,
        )
        for w in Ward.iter_all()
    ]
    return rows, source


def _read_csv(path: Path) -> _Parsed:
    """Rows of a units CSV, or every problem found in it, named by row and line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(
            _("Không đọc được tệp %(path)s: %(error)s")
            % {"path": path, "error": exc.strerror or exc}
        ) from None
    text, bad_lines = _decode(data)
    if bad_lines:
        return _Parsed(
            [],
            [],
            [
                FieldError(
                    f"line {line}",
                    "encoding",
                    _("Dòng %(line)d không phải văn bản UTF-8.") % {"line": line},
                )
                for line in bad_lines
            ],
        )
    # newline="": the csv module handles line ends itself (and newlines inside quotes).
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[UnitRow] = []
    lines: list[int] = []
    errors: list[FieldError] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # blank lines, including a trailing one, carry nothing
            if header is None:
                header = [cell.strip().lower() for cell in record]
                errors += _check_header(header, reader.line_num)
                if errors:
                    return _Parsed([], [], errors)
                continue
            # Numbered like the service numbers the rows it is given: data rows from 1.
            where = f"row {len(lines) + 1} (line {reader.line_num})"
            row, error = _parse_row(header, record, where)
            lines.append(reader.line_num)
            if error is not None:
                errors.append(error)
            elif row is not None:
                rows.append(row)
    except csv.Error as exc:
        errors.append(
            FieldError(
                f"line {reader.line_num}", "csv", _("Dòng CSV hỏng: %(error)s") % {"error": exc}
            )
        )
    if header is None:
        errors.append(FieldError("file", "empty", _("Tệp rỗng.")))
    elif not lines:
        errors.append(
            FieldError("file", "empty", _("Tệp chỉ có dòng tiêu đề, không có đơn vị nào."))
        )
    return _Parsed(rows, lines, errors)


def _decode(data: bytes) -> tuple[str, list[int]]:
    """The text, or the numbers of the lines that are not UTF-8."""
    try:
        # utf-8-sig: Excel and Windows Notepad start UTF-8 files with a byte-order mark.
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        bad = []
        for line, raw in enumerate(data.split(b"\n"), start=1):
            try:
                raw.decode("utf-8-sig" if line == 1 else "utf-8")
            except UnicodeDecodeError:
                bad.append(line)
        return "", bad


def _check_header(header: list[str], line: int) -> list[FieldError]:
    where = f"header (line {line})"
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    repeated = sorted({c for c in header if header.count(c) > 1})
    errors = []
    if missing:
        errors.append(
            FieldError(
                where,
                "missing_columns",
                _("Thiếu cột: %(columns)s.") % {"columns": ", ".join(missing)},
            )
        )
    if unknown:
        # A misspelt "valid_to" would otherwise be dropped and the unit left open-ended.
        errors.append(
            FieldError(
                where,
                "unknown_columns",
                _("Cột không xác định: %(columns)s.") % {"columns": ", ".join(unknown)},
            )
        )
    if repeated:
        errors.append(
            FieldError(
                where,
                "repeated_columns",
                _("Cột lặp lại: %(columns)s.") % {"columns": ", ".join(repeated)},
            )
        )
    return errors


def _parse_row(
    header: list[str], record: list[str], where: str
) -> tuple[UnitRow | None, FieldError | None]:
    if len(record) != len(header):
        return None, FieldError(
            where,
            "column_count",
            _("Dòng có %(found)d cột, tiêu đề có %(expected)d.")
            % {"found": len(record), "expected": len(header)},
        )
    values = {column: cell.strip() for column, cell in zip(header, record, strict=True)}
    dates: dict[str, date | None] = {}
    for column in ("valid_from", "valid_to"):
        raw = values[column]
        if not raw and column == "valid_to":
            dates[column] = None  # still in force
            continue
        try:
            if not _ISO_DATE.fullmatch(raw):
                raise ValueError(raw)
            dates[column] = date.fromisoformat(raw)
        except ValueError:
            return None, FieldError(
                where,
                "invalid_date",
                _("%(column)s phải là ngày dạng YYYY-MM-DD, không phải “%(value)s”.")
                % {"column": column, "value": raw},
            )
    valid_from = dates["valid_from"]
    assert valid_from is not None  # required above
    return UnitRow(
        code=values["code"],
        name=values["name"],
        kind=values["kind"],
        level=values["level"],
        parent_code=values["parent_code"],
        valid_from=valid_from,
        valid_to=dates["valid_to"],
    ), None
