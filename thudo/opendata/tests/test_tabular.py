"""Reading uploaded tables, inferring column types and coercing cells: the exact rows,
the lines errors point at, Vietnamese conventions (semicolons, Windows-1258, 1.234,5 and
31/01/2025), workbooks, and a large file."""

from __future__ import annotations

import io
import random
import unicodedata
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from thudo.opendata import tabular
from thudo.opendata.tabular import Field, RowError, Table, TableError

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258(text: str) -> bytes:
    """Text as Windows writes it in Windows-1258: precomposed letters where the code page
    has them (ê, ơ, ư, ă, đ), tone marks as separate combining bytes."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        kept = "".join(m for m in marks if m not in _TONES)
        tones = "".join(m for m in marks if m in _TONES)
        out += unicodedata.normalize("NFC", base + kept).encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


def table(column: str, values: list[str]) -> Table:
    return Table(
        [Field(column, "text")],
        [(line, [value]) for line, value in enumerate(values, start=2)],
        [],
        "utf-8",
        ",",
    )


def workbook(rows: list[list[Any]], *, start_row: int = 1) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=start_row + offset, column=column, value=value)
    book.create_sheet("Trang 2")["A1"] = "not read"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- CSV


def test_semicolon_csv_from_excel_with_bom_and_crlf() -> None:
    data = (
        "\ufeffTên phường;Dân số;Diện tích (km²)\r\nPhúc Xá;21.700;0,9\r\nTrúc Bạch;9.876;0,52\r\n"
    ).encode()

    result = tabular.read_csv(data)

    assert result == Table(
        fields=[
            Field("Tên phường", "text"),
            Field("Dân số", "text"),
            Field("Diện tích (km²)", "text"),
        ],
        rows=[(2, ["Phúc Xá", "21.700", "0,9"]), (3, ["Trúc Bạch", "9.876", "0,52"])],
        errors=[],
        encoding="utf-8",
        dialect_delimiter=";",
    )
    assert [f.type for f in tabular.infer_types(result)] == ["text", "int", "numeric"]


def test_embedded_newlines_keep_physical_line_numbers() -> None:
    data = b'id,ghi_chu\n1,"dong mot\ndong hai\ndong ba"\n2,ngan\n3,"a\r\nb"\n\n4,cuoi\n'

    result = tabular.read_csv(data)

    assert result.rows == [
        (2, ["1", "dong mot\ndong hai\ndong ba"]),
        (5, ["2", "ngan"]),
        (6, ["3", "a\r\nb"]),
        (9, ["4", "cuoi"]),
    ]
    assert result.errors == []


def test_ragged_rows_are_reported_and_skipped_blank_rows_silently() -> None:
    data = b"a;b;c\n1;2;3\n4;5\n;;\n\n6;7;8;9\n10;11;12;;\n  ;  ; \n13;14;15\n"

    result = tabular.read_csv(data)

    # Trailing empty cells (a separator at the end of the line) carry nothing.
    assert result.rows == [
        (2, ["1", "2", "3"]),
        (7, ["10", "11", "12"]),
        (9, ["13", "14", "15"]),
    ]
    assert result.errors == [
        RowError(3, "", "4;5", "Dòng 3: có 2 cột, tiêu đề có 3 cột."),
        RowError(6, "", "6;7;8;9", "Dòng 6: có 4 cột, tiêu đề có 3 cột."),
    ]


def test_header_is_the_first_non_empty_row() -> None:
    result = tabular.read_csv(b"\n;;\n\nMa;Ten\n1;A\n")

    assert result.fields == [Field("Ma", "text"), Field("Ten", "text")]
    assert result.rows == [(5, ["1", "A"])]


def test_header_names_are_stripped_and_wrapped_names_become_one_line() -> None:
    result = tabular.read_csv('" Tên ";"Dân số\n(người)";Năm;;\r\nA;1;2025\r\n'.encode())

    assert [f.id for f in result.fields] == ["Tên", "Dân số (người)", "Năm"]
    assert result.rows == [(3, ["A", "1", "2025"])]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a,,b", ["cột thứ 2 không có tên"]),
        ("Tên,Dân số,TÊN", ["tên cột 'TÊN' bị trùng (cột thứ 1 và 3)"]),
        ("a, a ", ["tên cột 'a' bị trùng (cột thứ 1 và 2)"]),
        ("_id,b", ["tên cột '_id' bắt đầu bằng '_'"]),
        ("a,_full_text", ["tên cột '_full_text' bắt đầu bằng '_'"]),
        ("x" * 64 + ",b", ["dài 64 byte, tối đa 63 byte"]),
        # 30 letters, but "ố" takes three bytes in UTF-8: 90 bytes.
        ("ố" * 30 + ",b", ["dài 90 byte"]),
        ("a\x01b,c", ["tên cột 'a?b' chứa ký tự điều khiển"]),
        ("_x,,_x", ["cột thứ 2 không có tên", "'_x' bắt đầu bằng '_'", "'_x' bị trùng"]),
    ],
)
def test_bad_headers_name_the_column(header: str, expected: list[str]) -> None:
    with pytest.raises(TableError) as caught:
        tabular.read_csv((header + "\n1,2,3\n").encode())

    assert caught.value.code == "header"
    assert caught.value.message.startswith("Dòng tiêu đề (dòng 1) không hợp lệ: ")
    for part in expected:
        assert part in caught.value.message
    assert str(caught.value) == caught.value.message


def test_63_bytes_is_still_a_name() -> None:
    name = "x" * 63
    assert tabular.read_csv(f"{name},b\n1,2\n".encode()).fields[0].id == name


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\r\n;;;\r\n \r\n", b"\xef\xbb\xbf"])
def test_no_header_is_empty(data: bytes) -> None:
    with pytest.raises(TableError) as caught:
        tabular.read_csv(data)

    assert caught.value.code == "empty"
    assert "không có dữ liệu" in caught.value.message


def test_a_header_without_rows_is_zero_rows() -> None:
    result = tabular.read_csv(b"a;b\r\n\r\n")

    assert result.fields == [Field("a", "text"), Field("b", "text")]
    assert result.rows == []
    assert result.errors == []
    assert [f.type for f in tabular.infer_types(result)] == ["text", "text"]


def test_windows_1258_without_encoding_names_line_and_byte() -> None:
    data = cp1258("Ma;Ten phuong\n1;Phuc Xa\n2;Trúc Bạch\n")
    assert data[28:29] == b"\xfa"  # ú in Windows-1258, not UTF-8

    with pytest.raises(TableError) as caught:
        tabular.read_csv(data)

    assert caught.value.code == "encoding"
    message = caught.value.message
    assert "dòng 3" in message
    assert "vị trí byte 28" in message
    assert "0xFA" in message
    assert "UTF-8" in message
    assert "windows-1258" in message


def test_windows_1258_line_count_with_crlf_and_vietnamese_header() -> None:
    data = cp1258("Tên phường;Dân số\r\n")

    with pytest.raises(TableError) as caught:
        tabular.read_csv(data)

    assert caught.value.code == "encoding"
    assert "dòng 1" in caught.value.message
    assert "vị trí byte 1" in caught.value.message


@pytest.mark.parametrize("name", ["cp1258", "windows-1258", " CP1258 "])
def test_windows_1258_with_encoding_reads_and_normalises_to_nfc(name: str) -> None:
    data = cp1258("Tên phường;Dân số\r\nTrúc Bạch;9.876\r\nLiễu Giai;20.001\r\n")
    # Tone marks are separate combining bytes in the file.
    assert "Trúc Bạch".encode() not in data

    result = tabular.read_csv(data, encoding=name)

    assert result.encoding == "cp1258"
    assert result.fields == [Field("Tên phường", "text"), Field("Dân số", "text")]
    assert result.rows == [(2, ["Trúc Bạch", "9.876"]), (3, ["Liễu Giai", "20.001"])]
    assert unicodedata.is_normalized("NFC", result.fields[0].id)


def test_decomposed_utf8_is_normalised() -> None:
    nfd = unicodedata.normalize("NFD", "Tên phường\nPhúc Xá\n")
    result = tabular.read_csv(nfd.encode())

    assert result.fields[0].id == "Tên phường"
    assert result.rows == [(2, ["Phúc Xá"])]


def test_utf16_with_bom() -> None:
    result = tabular.read_csv("Tên\tSố\r\nHà Nội\t1\r\n".encode("utf-16"))

    assert result.encoding == "utf-16"
    assert result.dialect_delimiter == "\t"
    assert result.rows == [(2, ["Hà Nội", "1"])]


def test_utf8_bom_is_stripped_when_encoding_is_given() -> None:
    result = tabular.read_csv(b"\xef\xbb\xbfa,b\n1,2\n", encoding="utf-8")

    assert result.fields[0].id == "a"


@pytest.mark.parametrize("name", ["khong-co", "base64", "rot13"])
def test_unknown_or_non_text_encoding(name: str) -> None:
    with pytest.raises(TableError) as caught:
        tabular.read_csv(b"a,b\n", encoding=name)

    assert caught.value.code == "encoding"
    assert name in caught.value.message


def test_bytes_invalid_in_the_given_encoding() -> None:
    with pytest.raises(TableError) as caught:
        tabular.read_csv("a,b\n1,é\n".encode("latin-1"), encoding="ascii")

    assert caught.value.code == "encoding"
    assert "bảng mã ascii" in caught.value.message
    assert "dòng 2" in caught.value.message


@pytest.mark.parametrize(
    ("data", "delimiter", "rows"),
    [
        (b"a,b,c\n1,2,3\n", ",", [["1", "2", "3"]]),
        (b"a;b\n1,5;2,25\n", ";", [["1,5", "2,25"]]),
        (b"a\tb\nx, y\tz\n", "\t", [["x, y", "z"]]),
        (b"a|b|c\n1|2|3\n", "|", [["1", "2", "3"]]),
        (b'a,b\n"1;2",3\n', ",", [["1;2", "3"]]),
        (b"ten\nHa Noi\n", ",", [["Ha Noi"]]),
        # A title line above the header does not decide the delimiter.
        ("Danh sách\na;b;c\n1;2;3\n4;5;6\n".encode(), ";", []),
    ],
)
def test_delimiter_is_sniffed(data: bytes, delimiter: str, rows: list[list[str]]) -> None:
    result = tabular.read_csv(data)

    assert result.dialect_delimiter == delimiter
    if rows:
        assert [cells for _line, cells in result.rows] == rows


def test_max_rows() -> None:
    data = b"a\n1\n2\n\n3\n"

    assert len(tabular.read_csv(data, max_rows=3).rows) == 3
    with pytest.raises(TableError) as caught:
        tabular.read_csv(data, max_rows=2)
    assert caught.value.code == "too_large"
    assert "2" in caught.value.message


def test_read_table_dispatches_on_format() -> None:
    tsv = b"a\tb\n1,5\t2;5\n"
    assert tabular.read_table(tsv, format="tsv").rows == [(2, ["1,5", "2;5"])]
    assert tabular.read_table(b"a;b\n1;2\n", format="CSV").dialect_delimiter == ";"
    assert tabular.read_table(workbook([["a"], [1]]), format=" Xlsx ").rows == [(2, ["1"])]

    with pytest.raises(TableError) as caught:
        tabular.read_table(b"a\n", format="ODS")
    assert caught.value.code == "format"
    assert "ODS" in caught.value.message


def test_a_workbook_sent_as_csv_is_a_format_error() -> None:
    with pytest.raises(TableError) as caught:
        tabular.read_table(workbook([["a"]]), format="CSV")

    assert caught.value.code == "format"
    assert "Excel" in caught.value.message


# --------------------------------------------------------------------------- XLSX


def test_xlsx_cells_become_canonical_strings() -> None:
    data = workbook(
        [
            ["Tên phường", "Dân số", "Diện tích", "Ngày lập", "Cập nhật", "Đạt", None, None],
            ["Phúc Xá", 21700, 0.9, date(2025, 1, 31), datetime(2025, 1, 31, 8, 0), True],
            ["Trúc Bạch", 9876.0, 0.000015, datetime(2025, 2, 1), None, False],
            [],
            ["Liễu Giai", 20001, 1e20, None, datetime(2025, 3, 1, 17, 30, 15), None],
        ]
    )

    result = tabular.read_xlsx(data)

    assert result == Table(
        fields=[
            Field("Tên phường", "text"),
            Field("Dân số", "text"),
            Field("Diện tích", "text"),
            Field("Ngày lập", "text"),
            Field("Cập nhật", "text"),
            Field("Đạt", "text"),
        ],
        rows=[
            (2, ["Phúc Xá", "21700", "0.9", "2025-01-31", "2025-01-31T08:00:00", "true"]),
            (3, ["Trúc Bạch", "9876", "0.000015", "2025-02-01", "", "false"]),
            (5, ["Liễu Giai", "20001", "100000000000000000000", "", "2025-03-01T17:30:15", ""]),
        ],
        errors=[],
        encoding="",
        dialect_delimiter="",
    )
    fields = tabular.infer_types(result)
    assert [f.type for f in fields] == ["text", "int", "numeric", "date", "timestamp", "bool"]
    rows, errors = tabular.coerce_rows(result, fields)
    assert errors == []
    assert rows[0] == (
        2,
        ["Phúc Xá", 21700, Decimal("0.9"), date(2025, 1, 31), datetime(2025, 1, 31, 8), True],
    )
    assert rows[2][1][2] == Decimal("100000000000000000000")


def test_xlsx_lines_are_sheet_rows_and_cells_beyond_the_header_are_errors() -> None:
    data = workbook(
        [
            ["Mã", "Tên"],
            [1, "A"],
            [2],
            [3, "C", None, "ghi chú"],
            [None, None, None, None],
            [4, "D"],
        ],
        start_row=3,
    )

    result = tabular.read_xlsx(data)

    assert result.fields == [Field("Mã", "text"), Field("Tên", "text")]
    assert result.rows == [(4, ["1", "A"]), (5, ["2", ""]), (8, ["4", "D"])]
    assert result.errors == [
        RowError(
            6,
            "",
            "3,C,,ghi chú",
            "Dòng 6: có dữ liệu ở cột D (cột thứ 4), tiêu đề chỉ có 2 cột.",
        )
    ]


def test_xlsx_header_problems_and_limits() -> None:
    with pytest.raises(TableError) as caught:
        tabular.read_xlsx(workbook([["a", None, "b"], [1, 2, 3]]))
    assert caught.value.code == "header"
    assert "cột thứ 2 không có tên" in caught.value.message

    with pytest.raises(TableError) as caught:
        tabular.read_xlsx(workbook([]))
    assert caught.value.code == "empty"

    with pytest.raises(TableError) as caught:
        tabular.read_xlsx(workbook([["a"], [1], [2], [3]]), max_rows=2)
    assert caught.value.code == "too_large"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _truncated_workbook() -> bytes:
    whole = workbook([["a"], [1]])
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a workbook at all",
        b"PK\x03\x04broken",
        _truncated_workbook(),
        _zip({"hello.txt": b"x"}),
        _zip({"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"<<<"}),
    ],
    ids=["empty", "text", "zip-magic", "truncated", "zip-without-workbook", "broken-xml"],
)
def test_corrupt_xlsx_is_a_format_error(data: bytes) -> None:
    with pytest.raises(TableError) as caught:
        tabular.read_xlsx(data)

    assert caught.value.code == "format"
    assert caught.value.message == "Tệp không phải là tệp Excel (.xlsx) hợp lệ."


def test_xlsx_declaring_a_huge_size_is_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tabular, "MAX_XLSX_UNCOMPRESSED_BYTES", 1000)

    with pytest.raises(TableError) as caught:
        tabular.read_xlsx(workbook([["a"], [1]]))

    assert caught.value.code == "too_large"


# --------------------------------------------------------------------------- inference


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "-2", "+30", "0", ""], "int"),
        (["2020", "2021"], "int"),
        # Vietnamese thousands: every dot followed by three digits.
        (["1.234.567", "21.700", "950"], "int"),
        (["1.500", "2.250"], "int"),
        # Mixed: 1.234 next to 1234 is no thousands separator; 1.234.567 next to 1234 is
        # no number at all.
        (["1.234", "1234"], "numeric"),
        (["1.234.567", "1234"], "text"),
        (["1234.5", "2", "-0.25", ".5"], "numeric"),
        (["1.5", "2.250"], "numeric"),
        (["1.234,5", "1234,5", "7"], "numeric"),
        (["0,8", "1,25", "2"], "numeric"),
        (["1.5", "2,5"], "text"),
        (["1.23457E+11", "5"], "numeric"),
        (["99999999999999999999"], "numeric"),
        # Leading zeros: codes and phone numbers lose them as numbers.
        (["00001", "00004"], "text"),
        (["0912345678", "1"], "text"),
        (["2025-01-31", "31/01/2025", "1/2/2025"], "date"),
        (["2025-02-30"], "date"),  # a date column with a typo: coercion reports the row
        (["31/13/2025"], "text"),
        (["2025-01-31T08:00:00", "2025-01-31 08:00", "2025-01-31T08:00:00.5+07:00"], "timestamp"),
        (["2025-01-31T08:00:00Z", "2025-01-31"], "timestamp"),
        (["31/01/2025 08:30"], "timestamp"),
        (["true", "FALSE", "Yes", "no", "Có", "KHÔNG"], "bool"),
        (["đúng", "sai"], "bool"),
        (["Phúc Xá", "1"], "text"),
        (["", "  "], "text"),
        ([], "text"),
        (["1", "0"], "int"),
        (["NaN"], "text"),
        (["Infinity"], "text"),
    ],
)
def test_inference(values: list[str], expected: str) -> None:
    fields = tabular.infer_types(table("c", values))

    assert fields == [Field("c", expected)]
    rows, errors = tabular.coerce_rows(table("c", values), fields)
    if expected not in ("text", "date"):
        assert errors == []
        assert len(rows) == len(values)


def test_inferred_values_follow_the_column_style() -> None:
    def typed(values: list[str]) -> list[Any]:
        t = table("c", values)
        rows, errors = tabular.coerce_rows(t, tabular.infer_types(t))
        assert errors == []
        return [cells[0] for _line, cells in rows]

    assert typed(["1.234", "950"]) == [1234, 950]
    assert typed(["1.234", "1234"]) == [Decimal("1.234"), Decimal("1234")]
    assert typed(["1.234,5", "12"]) == [Decimal("1234.5"), Decimal("12")]
    assert typed(["1.234", "0,5"]) == [Decimal("1234"), Decimal("0.5")]
    assert typed(["1.5", "2"]) == [Decimal("1.5"), Decimal("2")]


def test_an_int_override_reads_dots_by_the_column_style() -> None:
    fields = [Field("c", "int")]

    rows, errors = tabular.coerce_rows(table("c", ["1.500", "950"]), fields)
    assert (rows, errors) == ([(2, [1500]), (3, [950])], [])

    # Next to 1.5 a dot is a decimal point: 2.250 is two and a quarter, not an integer.
    rows, errors = tabular.coerce_rows(table("c", ["1.5", "2.250", "7"]), fields)
    assert rows == [(4, [7])]
    assert [(e.line, e.value, e.message) for e in errors] == [
        (2, "1.5", "'1.5' không phải số nguyên"),
        (3, "2.250", "'2.250' không phải số nguyên"),
    ]


def test_overrides_win_and_are_checked() -> None:
    t = Table(
        [Field("Mã", "text"), Field("Dân số", "text"), Field("Ngày", "text")],
        [(2, ["00001", "1.234", "2025-01-31"]), (3, ["00004", "950", "2025-02-01"])],
        [],
        "utf-8",
        ";",
    )

    fields = tabular.infer_types(t, overrides={"Mã": "int", "Dân số": "NUMERIC"})

    assert fields == [Field("Mã", "int"), Field("Dân số", "numeric"), Field("Ngày", "date")]
    rows, errors = tabular.coerce_rows(t, fields)
    assert errors == []
    assert rows == [
        (2, [1, Decimal("1234"), date(2025, 1, 31)]),
        (3, [4, Decimal("950"), date(2025, 2, 1)]),
    ]

    with pytest.raises(ValueError, match="Không có cột 'Dan so'"):
        tabular.infer_types(t, overrides={"Dan so": "int"})
    with pytest.raises(ValueError, match="Kiểu dữ liệu 'integer' không hợp lệ"):
        tabular.infer_types(t, overrides={"Mã": "integer"})


# --------------------------------------------------------------------------- coercion

_PLUS7 = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("", "int", None),
        ("   ", "numeric", None),
        ("", "text", None),
        (" 42 ", "int", 42),
        ("-9223372036854775808", "int", -(2**63)),
        ("9223372036854775807", "int", 2**63 - 1),
        ("1.234.567", "int", 1234567),
        ("1.234", "int", 1234),
        ("007", "int", 7),
        ("1234.5", "numeric", Decimal("1234.5")),
        ("1.234", "numeric", Decimal("1.234")),
        ("1.234,5", "numeric", Decimal("1234.5")),
        ("1234,5", "numeric", Decimal("1234.5")),
        ("1.234.567", "numeric", Decimal("1234567")),
        ("-0,25", "numeric", Decimal("-0.25")),
        ("1.5e3", "numeric", Decimal("1.5e3")),
        ("2025-01-31", "date", date(2025, 1, 31)),
        ("31/01/2025", "date", date(2025, 1, 31)),
        ("1/2/2025", "date", date(2025, 2, 1)),
        ("2025-01-31T08:00:00", "timestamp", datetime(2025, 1, 31, 8)),
        ("2025-01-31 08:00", "timestamp", datetime(2025, 1, 31, 8)),
        ("2025-01-31T08:00:01.25", "timestamp", datetime(2025, 1, 31, 8, 0, 1, 250000)),
        ("2025-01-31T08:00:00Z", "timestamp", datetime(2025, 1, 31, 8, tzinfo=UTC)),
        ("2025-01-31T08:00+07:00", "timestamp", datetime(2025, 1, 31, 8, tzinfo=_PLUS7)),
        ("2025-01-31T08:00:00+0700", "timestamp", datetime(2025, 1, 31, 8, tzinfo=_PLUS7)),
        ("31/01/2025 08:30:05", "timestamp", datetime(2025, 1, 31, 8, 30, 5)),
        ("2025-01-31", "timestamp", datetime(2025, 1, 31)),
        ("TRUE", "bool", True),
        ("có", "bool", True),
        ("Không", "bool", False),
        ("no", "bool", False),
        (" Phúc Xá ", "text", " Phúc Xá "),
    ],
)
def test_coerce(value: str, kind: str, expected: Any) -> None:
    result = tabular.coerce(value, kind)

    assert result == expected
    assert type(result) is type(expected)
    if isinstance(expected, datetime):
        assert result.tzinfo == expected.tzinfo


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ("12.5", "int", "'12.5' không phải số nguyên"),
        ("1,5", "int", "'1,5' không phải số nguyên"),
        ("abc", "int", "'abc' không phải số nguyên"),
        ("9223372036854775808", "int", "'9223372036854775808' vượt quá giới hạn số nguyên 64 bit"),
        ("-9223372036854775809", "int", "vượt quá giới hạn số nguyên 64 bit"),
        ("1" * 30, "int", "không phải số nguyên"),
        ("NaN", "numeric", "'NaN' không phải số"),
        ("Infinity", "numeric", "'Infinity' không phải số"),
        ("-inf", "numeric", "'-inf' không phải số"),
        ("1.5,2.5", "numeric", "không phải số"),
        ("1e999999", "numeric", "'1e999999' nằm ngoài phạm vi số được hỗ trợ"),
        ("12 %", "numeric", "không phải số"),
        ("2025-02-30", "date", "'2025-02-30' không phải ngày có thật"),
        ("31.01.2025", "date", "'31.01.2025' không phải ngày (dạng 2025-01-31 hoặc 31/01/2025)"),
        ("2025-02-29T08:00", "timestamp", "không phải thời điểm có thật"),
        ("08:00", "timestamp", "'08:00' không phải thời điểm"),
        ("maybe", "bool", "'maybe' không phải giá trị đúng/sai"),
        ("a\x00b", "text", "NUL"),
    ],
)
def test_coerce_rejects(value: str, kind: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        tabular.coerce(value, kind)

    assert message in str(caught.value)


def test_coerce_shortens_long_values_in_messages() -> None:
    with pytest.raises(ValueError) as caught:
        tabular.coerce("x" * 500, "int")

    assert len(str(caught.value)) < 200


def test_coerce_unknown_type() -> None:
    with pytest.raises(ValueError, match="Kiểu dữ liệu 'money' không hợp lệ"):
        tabular.coerce("1", "money")


def test_coerce_rows_skips_rows_with_bad_cells_and_reports_each_cell() -> None:
    result = tabular.read_csv(
        "Tên;Dân số;Ngày\n"
        "Phúc Xá;21.700;31/01/2025\n"
        "Trúc Bạch;nhiều;2025-02-30\n"
        "Liễu Giai;;01/03/2025\n"
        "Cống Vị;1.234,5;01/03/2025\n".encode()
    )
    fields = [Field("Tên", "text"), Field("Dân số", "int", "Dân số (người)"), Field("Ngày", "date")]

    rows, errors = tabular.coerce_rows(result, fields)

    assert rows == [
        (2, ["Phúc Xá", 21700, date(2025, 1, 31)]),
        (4, ["Liễu Giai", None, date(2025, 3, 1)]),
    ]
    assert [(e.line, e.column, e.value) for e in errors] == [
        (3, "Dân số", "nhiều"),
        (3, "Ngày", "2025-02-30"),
        (5, "Dân số", "1.234,5"),
    ]
    assert errors[0].message == "'nhiều' không phải số nguyên"
    assert "không phải ngày có thật" in errors[1].message


def test_coerce_rows_wants_the_table_columns() -> None:
    result = tabular.read_csv(b"a,b\n1,2\n")

    with pytest.raises(ValueError):
        tabular.coerce_rows(result, [Field("b", "int"), Field("a", "int")])
    with pytest.raises(ValueError):
        tabular.coerce_rows(result, [Field("a", "int")])


# --------------------------------------------------------------------------- volume


def test_hundred_thousand_rows() -> None:
    rnd = random.Random(2025)
    lines = ["Mã;Tên phường;Dân số;Diện tích;Ngày;Cập nhật;Đạt;Giá;Năm;Ghi chú"]
    for i in range(100_000):
        lines.append(
            f"{i + 1};Phường {i};{rnd.randint(1000, 99999):,}".replace(",", ".")
            + f";{rnd.randint(1, 999)},{rnd.randint(0, 99)}"
            + f";{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/2025"
            + f";2025-01-{rnd.randint(1, 28):02d}T08:{rnd.randint(0, 59):02d}:00"
            + f";{'có' if i % 2 else 'không'};{rnd.random() * 1000:.2f};{2000 + i % 25}"
            + f";ghi chú {i % 7}"
        )
    lines[50_001] = "sai;dòng;này"
    data = ("\r\n".join(lines) + "\r\n").encode()

    result = tabular.read_csv(data)
    fields = tabular.infer_types(result)
    rows, errors = tabular.coerce_rows(result, fields)

    assert result.dialect_delimiter == ";"
    assert len(result.rows) == 99_999
    assert [(e.line, e.column) for e in result.errors] == [(50_002, "")]
    assert [f.type for f in fields] == [
        "int", "text", "int", "numeric", "date", "timestamp", "bool", "numeric", "int", "text",
    ]  # fmt: skip
    assert len(rows) == 99_999
    assert errors == []
