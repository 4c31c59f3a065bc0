"""``manage.py dti``: the shipped frameworks in and out again (YAML and CSV give the same
framework), a broken file stops the whole import with status 2, measured values."""

from __future__ import annotations

import copy
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from thudo.core.models import AuditEvent
from thudo.dti import frameworks
from thudo.dti.models import Framework
from thudo.dti.tests.factories import DOCUMENT, Dti

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("dti", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _shipped() -> list[tuple[Path, frameworks.Parsed]]:
    return [(p, frameworks.parse_yaml(p.read_bytes())) for p in frameworks.shipped()]


def test_the_shipped_frameworks_go_in_once_and_come_out_the_same(tmp_path: Path) -> None:
    shipped = _shipped()
    assert [p.code for _path, p in shipped] == ["HN-SO", "HN-XA", "QD922-TINH"]
    out, _err = run("shipped")
    assert out.splitlines() == [
        f"created {p.code} {p.year} v1 ({p.name}) from {path.name}" for path, p in shipped
    ]
    out, _err = run("shipped")
    assert out.splitlines() == [
        f"unchanged {p.code} {p.year} v1 ({p.name}) from {path.name}" for path, p in shipped
    ]
    assert Framework.objects.count() == 3

    exported = []
    for _path, parsed in shipped:
        stored = Framework.objects.get(code=parsed.code, year=parsed.year)
        assert stored.digest == parsed.digest()
        as_yaml = tmp_path / f"{parsed.code}.yaml"
        as_csv = tmp_path / f"{parsed.code}.csv"
        out, _err = run("framework-export", parsed.code, str(parsed.year), "--output", str(as_yaml))
        assert out == f"{parsed.code} {parsed.year} v1 → {as_yaml}\n"
        run("framework-export", parsed.code, str(parsed.year), "--version", "1",
            "--format", "csv", "--output", str(as_csv))  # fmt: skip
        assert as_yaml.read_text(encoding="utf-8") == frameworks.to_yaml(parsed)
        assert as_csv.read_bytes().startswith("\ufeff".encode())  # for Excel
        from_yaml = frameworks.parse_file(as_yaml.name, as_yaml.read_bytes())
        from_csv = frameworks.parse_file(as_csv.name, as_csv.read_bytes())
        assert from_yaml.digest() == from_csv.digest() == stored.digest
        assert from_csv.document() == stored.document
        exported += [as_yaml, as_csv]

    out, _err = run("framework-import", *map(str, exported))
    assert [line.split(" (")[0] for line in out.splitlines()] == [
        f"unchanged {p.code} {p.year} v1" for _path, p in shipped for _form in ("yaml", "csv")
    ]
    assert Framework.objects.count() == 3


def test_export_to_the_terminal_and_a_missing_framework(tmp_path: Path) -> None:
    path = tmp_path / "test.yaml"
    path.write_text(yaml.safe_dump(DOCUMENT, allow_unicode=True), encoding="utf-8")
    out, _err = run("framework-import", str(path))
    assert (
        out
        == "created TEST-XA 2026 v1 (Bộ chỉ số chuyển đổi số cấp xã (thử nghiệm)) from test.yaml\n"
    )
    parsed = frameworks.parse_document(DOCUMENT)
    assert run("framework-export", "TEST-XA", "2026")[0] == frameworks.to_yaml(parsed)
    csv, _err = run("framework-export", "TEST-XA", "2026", "--format", "csv")
    assert csv == frameworks.to_csv(parsed).removeprefix("\ufeff")
    assert frameworks.parse_csv(csv).digest() == parsed.digest()
    with pytest.raises(CommandError, match=r"^no framework TEST-XA 2025$"):
        run("framework-export", "TEST-XA", "2025")
    with pytest.raises(CommandError, match=r"^no framework TEST-XA 2026 v2$"):
        run("framework-export", "TEST-XA", "2026", "--version", "2")


def test_a_changed_file_is_a_new_version(tmp_path: Path) -> None:
    path = tmp_path / "test.yaml"
    path.write_text(yaml.safe_dump(DOCUMENT, allow_unicode=True), encoding="utf-8")
    run("framework-import", str(path))
    changed = copy.deepcopy(DOCUMENT)
    changed["groups"][0]["indices"][0]["sub_indices"][1]["name"] = "Tuyên truyền, phổ biến"
    path.write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    out, _err = run("framework-import", str(path))
    assert out.startswith("created TEST-XA 2026 v2 ")
    assert list(Framework.objects.values_list("version", flat=True)) == [2, 1]


def test_a_broken_file_stops_the_whole_import_with_status_2(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(DOCUMENT, allow_unicode=True), encoding="utf-8")
    wrong_sum = copy.deepcopy(DOCUMENT)
    wrong_sum["code"] = "TEST-XA2"
    wrong_sum["groups"][0]["indices"][0]["max_points"] = 35
    summed = tmp_path / "sum.yaml"
    summed.write_text(yaml.safe_dump(wrong_sum, allow_unicode=True), encoding="utf-8")
    orphan = tmp_path / "orphan.csv"
    text = frameworks.to_csv(frameworks.parse_document({**DOCUMENT, "code": "TEST-XA3"}))
    assert "\nsub,1.1,1," in text
    orphan.write_text(text.replace("\nsub,1.1,1,", "\nsub,1.1,9,"), encoding="utf-8")
    syntax = tmp_path / "syntax.yaml"
    syntax.write_text("code: [TEST\nyear: 2026\n", encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    other = tmp_path / "notes.txt"
    other.write_text("code: X", encoding="utf-8")
    before = (Framework.objects.count(), AuditEvent.objects.count())
    err = StringIO()
    with pytest.raises(CommandError, match=r"^nothing was imported$") as raised:
        call_command(
            "dti", "framework-import", *map(str, (good, summed, orphan, syntax, missing, other)),
            stdout=StringIO(), stderr=err,
        )  # fmt: skip
    assert raised.value.returncode == 2
    lines = err.getvalue().splitlines()
    assert lines[:6] == [
        f"{summed}: Bộ chỉ số có 1 lỗi; chưa có gì được ghi.",
        f"{summed}: groups[0].indices[0].max_points: Tổng điểm các chỉ số thành phần (30) "
        "khác điểm của chỉ số (35). [sum_mismatch]",
        f"{orphan}: Bộ chỉ số có 2 lỗi; chưa có gì được ghi.",
        f"{orphan}: line 5: parent: Không có chỉ số chính cha này. [unknown_parent]",
        f"{orphan}: line 4: max_points: Tổng điểm các chỉ số thành phần (20) khác điểm của "
        "chỉ số (30). [sum_mismatch]",
        f"{syntax}: Tệp YAML không đọc được.",
    ]
    assert lines[6].startswith(f"{syntax}: line 2: ") and lines[6].endswith(" [syntax]")
    assert lines[7:] == [
        f"{missing}: No such file or directory",
        f"{other}: the file name must end in .yaml, .yml, .json, .csv",
    ]
    assert (Framework.objects.count(), AuditEvent.objects.count()) == before


def test_measured_values_are_refreshed_for_a_round(dti: Dti) -> None:
    out, _err = run("measure", str(dti.round.pk))
    # 2.2 is measured for both wards; 2.1's dossiers do not exist in the test city.
    assert out == "2 measured values in Đánh giá chuyển đổi số cấp xã năm 2026\n"
    with pytest.raises(CommandError, match=r"^no round 999999$"):
        run("measure", "999999")
