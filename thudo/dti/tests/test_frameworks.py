"""Frameworks as data: YAML and CSV parsed into a checked tree (every mistake reported at
its place, nothing written), versioned imports, and the shipped frameworks' structure."""

from __future__ import annotations

import copy
import csv
import io
from decimal import Decimal
from typing import Any

import pytest

from thudo.core.errors import InvalidInput, PermissionDenied
from thudo.core.models import AuditEvent
from thudo.core.tests.factories import City
from thudo.dti import frameworks, services
from thudo.dti.models import Framework, Node, Round, Score
from thudo.dti.tests.factories import DOCUMENT, YEAR, Dti

D = Decimal


def document(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOCUMENT)
    doc.update(changes)
    return doc


def errors_of(caught: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in caught.value.field_errors]


def shipped(code: str) -> frameworks.Parsed:
    [path] = [p for p in frameworks.shipped() if frameworks.parse_yaml(p.read_bytes()).code == code]
    return frameworks.parse_yaml(path.read_bytes())


# --- parsing ----------------------------------------------------------------------------------


def test_the_test_framework_parses_into_its_tree() -> None:
    parsed = frameworks.parse_document(DOCUMENT)
    assert (parsed.code, parsed.year, parsed.max_points, parsed.applies_to, parsed.sample) == (
        "TEST-XA", YEAR, D(100), ["commune_committee"], True
    )  # fmt: skip
    assert [(g.code, [(i.code, i.max_points) for i in g.indices]) for g in parsed.groups] == [
        ("A", [("1", D(30))]),
        ("B", [("2", D(70))]),
    ]
    subs = {s.code: s for s in parsed.subs()}
    assert [(s.code, s.method, s.max_points, s.evidence) for s in subs.values()] == [
        ("1.1", "yes_no", D(10), "required"),
        ("1.2", "manual", D(20), "optional"),
        ("2.1", "tiers", D(30), "none"),
        ("2.2", "ratio", D(40), "none"),
    ]
    assert subs["2.1"].tiers == [[80.0, 30.0], [50.0, 20.0], [20.0, 10.0]]
    assert (subs["2.1"].unit, subs["2.1"].measure, subs["2.1"].tolerance) == (
        "%", "ratio:procedures.fully_online/procedures.received", D(5)
    )  # fmt: skip
    assert (subs["2.2"].target, subs["2.2"].unit, subs["2.2"].measure) == (
        D(90), "%", "metric:test.signed_share"
    )  # fmt: skip


def test_tiers_in_any_order_are_kept_highest_first() -> None:
    doc = document()
    doc["groups"][1]["indices"][0]["sub_indices"][0]["tiers"] = [[20, 10], [80, 30], [50, 20]]
    parsed = frameworks.parse_document(doc)
    assert next(s for s in parsed.subs() if s.code == "2.1").tiers == [
        [80.0, 30.0], [50.0, 20.0], [20.0, 10.0]
    ]  # fmt: skip
    assert parsed.digest() == frameworks.parse_document(DOCUMENT).digest()


BROKEN_YAML = """\
code: test-xa
year: 1999
name: ""
applies_to: [commune_committee, village]
groups:
  - code: A
    name: Nền tảng
    indices:
      - code: "1"
        name: Nhận thức số
        max_points: 30
        sub_indices:
          - {code: "1.1", name: Kế hoạch, max_points: 10, method: vote}
          - {code: "1.1", name: Tuyên truyền, max_points: -5}
          - {code: "1.3", name: Bậc, max_points: 10, method: tiers, tiers: [[80, 12], [50]]}
          - {code: "1.4", name: Tỷ lệ, max_points: 10.555, method: ratio, target: 0}
          - {code: "1.5", name: Có/không, max_points: 5, method: yes_no, evidence: maybe,
             measure: {source: "metric:test.x"}}
          - {code: "1.6", name: Đo, max_points: 5, method: ratio,
             measure: {source: "sql:drop table", tolerance: abc}}
      - code: "2"
        name: Thể chế số
        max_points: 40
        sub_indices:
          - {code: "2.1", name: Quy chế, max_points: 15}
          - {code: "2.2", name: Kinh phí, max_points: 20, applies_to: [ward_council]}
      - {code: "3", name: Hạ tầng số, max_points: 10, sub_indices: []}
      - {code: "4", name: Nhân lực số, max_points: 10}
"""


def test_every_mistake_is_reported_with_its_place_and_nothing_is_written(db: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        frameworks.parse_yaml(BROKEN_YAML.encode())
    s = "groups[0].indices[0].sub_indices"
    assert errors_of(caught) == [
        ("code", "invalid"),
        ("year", "invalid"),
        ("name", "required"),
        ("applies_to", "unknown_kind"),
        (f"{s}[0].method", "unknown_method"),
        (f"{s}[1].max_points", "negative"),
        (f"{s}[1].code", "duplicate"),
        (f"{s}[2].tiers[1]", "invalid"),
        (f"{s}[2].tiers", "above_max"),
        (f"{s}[3].max_points", "precision"),
        (f"{s}[3].target", "invalid"),
        (f"{s}[4].evidence", "invalid"),
        (f"{s}[4].measure", "not_measurable"),
        (f"{s}[5].measure.source", "invalid"),
        (f"{s}[5].measure.tolerance", "not_a_number"),
        ("groups[0].indices[1].sub_indices[1].applies_to", "unknown_kind"),
        ("groups[0].indices[1].max_points", "sum_mismatch"),  # 15 + 20 ≠ 40
        ("groups[0].indices[2].max_points", "sum_mismatch"),  # no sub-index for 10 points
        ("groups[0].indices[3].sub_indices", "required"),
    ]
    assert caught.value.message == "Bộ chỉ số có 19 lỗi; chưa có gì được ghi."
    assert Framework.objects.count() == 0


def test_sub_indices_must_add_up_to_their_index() -> None:
    doc = document()
    doc["groups"][0]["indices"][0]["max_points"] = 35
    with pytest.raises(InvalidInput) as caught:
        frameworks.parse_document(doc)
    assert errors_of(caught) == [("groups[0].indices[0].max_points", "sum_mismatch")]
    assert caught.value.field_errors[0].message == (
        "Tổng điểm các chỉ số thành phần (30) khác điểm của chỉ số (35)."
    )


def test_a_framework_without_points_is_refused() -> None:
    doc = {"code": "ZERO", "year": YEAR, "name": "Không điểm", "groups": [
        {"code": "A", "name": "A", "indices": [
            {"code": "1", "name": "Đô thị thông minh", "max_points": 0, "sub_indices": [
                {"code": "1.1", "name": "Đề án", "max_points": 0}]}]}]}  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        frameworks.parse_document(doc)
    assert errors_of(caught) == [("groups", "no_points")]


@pytest.mark.parametrize(
    ("content", "field", "code"),
    [
        (b"code: [a\n b: c: d", "line 2", "syntax"),
        (b"- just\n- a list\n", "", "invalid"),
    ],
)
def test_unreadable_yaml_is_reported(content: bytes, field: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        frameworks.parse_yaml(content)
    assert errors_of(caught) == [(field, code)]


def test_files_too_large_or_not_utf8_are_refused() -> None:
    with pytest.raises(InvalidInput, match="2 MB"):
        frameworks.parse_yaml(b"#" * (2 * 2**20 + 1))
    with pytest.raises(InvalidInput, match="UTF-8"):
        frameworks.parse_csv(b"level,code,name\nframework,X,B\xe9 ch\xec s\xf4\n")  # Latin-1


# --- CSV --------------------------------------------------------------------------------------


def as_csv(parsed: frameworks.Parsed, delimiter: str) -> bytes:
    rows = list(csv.reader(io.StringIO(frameworks.to_csv(parsed).removeprefix("\ufeff"))))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_is_the_same_tree_whatever_the_delimiter(delimiter: str) -> None:
    parsed = frameworks.parse_document(DOCUMENT)
    again = frameworks.parse_csv(as_csv(parsed, delimiter))
    assert again.document() == parsed.document()
    assert again.digest() == parsed.digest()


def test_yaml_round_trips_through_export() -> None:
    parsed = frameworks.parse_document(DOCUMENT)
    assert frameworks.parse_yaml(frameworks.to_yaml(parsed)).digest() == parsed.digest()


BROKEN_CSV = """\
level,code,parent,name,max_points,method,tiers,year
framework,TEST-XA,,Bộ chỉ số thử,,,,2o26
group,A,,Nền tảng,,,,
index,1,A,Nhận thức số,30,,,
sub,1.1,1,Kế hoạch,10,yes_no,,
sub,1.2,9,Chỉ số mồ côi,10,manual,,
sub,1.3,1,Bậc,20,tiers,80:30|x:1,
section,Z,,Cấp lạ,,,,
group,B,,Hoạt động,,,,
index,2,B,Chính quyền số,15,,,
sub,2.1,2,,10,manual,,
index,3,C,Kinh tế số,10,,,
"""


def test_csv_mistakes_are_reported_at_their_lines_all_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        frameworks.parse_csv(BROKEN_CSV.encode())
    assert errors_of(caught) == [
        ("line 6: parent", "unknown_parent"),
        ("line 8: level", "invalid"),
        ("line 12: parent", "unknown_parent"),
        ("line 2: year", "invalid"),
        ("line 7: tiers[1]", "not_a_number"),
        ("line 7: tiers", "above_max"),
        ("line 11: name", "required"),
        ("line 10: max_points", "sum_mismatch"),
    ]


def test_a_csv_without_the_needed_columns_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        frameworks.parse_csv(b"code,name\nA,B\n")
    assert errors_of(caught) == [("header", "missing_columns")]


def test_parse_file_picks_the_format_by_name() -> None:
    parsed = frameworks.parse_document(DOCUMENT)
    by_csv = frameworks.parse_file("KHUNG.CSV", as_csv(parsed, ";"))
    by_yaml = frameworks.parse_file("khung.yaml", frameworks.to_yaml(parsed).encode())
    assert by_csv.digest() == by_yaml.digest() == parsed.digest()


# --- importing and versions -------------------------------------------------------------------


def test_an_import_stores_the_tree_and_is_audited(db: Any) -> None:
    imported = services.framework_import(actor=None, parsed=frameworks.parse_document(DOCUMENT))
    fw = imported.framework
    assert imported.created is True
    assert (fw.code, fw.year, fw.version, fw.max_points, fw.applies_to, fw.peer_group) == (
        "TEST-XA", YEAR, 1, D(100), ["commune_committee"], "Xã, phường"
    )  # fmt: skip
    nodes = list(Node.objects.filter(framework=fw).order_by("position"))
    tree = [(n.level, n.code, n.max_points, n.parent.code if n.parent else None) for n in nodes]
    assert tree == [
        ("group", "A", D(30), None),
        ("index", "1", D(30), "A"),
        ("sub", "1.1", D(10), "1"),
        ("sub", "1.2", D(20), "1"),
        ("group", "B", D(70), None),
        ("index", "2", D(70), "B"),
        ("sub", "2.1", D(30), "2"),
        ("sub", "2.2", D(40), "2"),
    ]  # fmt: skip
    tiered = next(n for n in nodes if n.code == "2.1")
    assert (tiered.method, tiered.tiers, tiered.value_unit, tiered.evidence) == (
        "tiers", [[80.0, 30.0], [50.0, 20.0], [20.0, 10.0]], "%", "none"
    )  # fmt: skip
    assert (tiered.measure_source, tiered.tolerance) == (
        "ratio:procedures.fully_online/procedures.received", D(5)
    )  # fmt: skip
    event = AuditEvent.objects.get(action="dti.framework_imported")
    assert (event.object_type, event.object_id) == ("dti.framework", str(fw.pk))
    assert event.payload == {"code": "TEST-XA", "year": YEAR, "version": 1, "digest": fw.digest}


def test_the_same_file_again_changes_nothing(db: Any) -> None:
    first = services.framework_import(actor=None, parsed=frameworks.parse_document(DOCUMENT))
    # The same tree in the other format is the same framework.
    again = services.framework_import(
        actor=None, parsed=frameworks.parse_csv(as_csv(frameworks.parse_document(DOCUMENT), ";"))
    )
    assert (again.created, again.framework.pk) == (False, first.framework.pk)
    assert Framework.objects.count() == 1
    assert Node.objects.count() == 8
    assert AuditEvent.objects.filter(action="dti.framework_imported").count() == 1


def test_a_changed_file_is_version_two_and_an_existing_round_keeps_version_one(dti: Dti) -> None:
    v1 = dti.framework
    scores_before = set(
        Score.objects.filter(unit__round=dti.round).values_list("node_id", flat=True)
    )
    changed = document()
    changed["groups"][0]["indices"][0]["sub_indices"][1]["name"] = "Tuyên truyền, phổ biến"
    imported = services.framework_import(actor=None, parsed=frameworks.parse_document(changed))

    v2 = imported.framework
    assert (imported.created, v2.code, v2.year, v2.version) == (True, "TEST-XA", YEAR, 2)
    assert v2.digest != v1.digest
    assert Node.objects.get(framework=v2, code="1.2").name == "Tuyên truyền, phổ biến"
    assert Node.objects.get(framework=v1, code="1.2").name == "Tuyên truyền về chuyển đổi số"
    round_ = Round.objects.get(pk=dti.round.pk)
    assert round_.framework_id == v1.pk
    assert set(Score.objects.filter(unit__round=round_).values_list("node_id", flat=True)) == (
        scores_before
    )
    used = Node.objects.filter(pk__in=scores_before).values_list("framework_id", flat=True)
    assert set(used) == {v1.pk}
    # Version 1 imported again is not "unchanged": the latest is version 2, so it is version 3.
    back = services.framework_import(actor=None, parsed=frameworks.parse_document(DOCUMENT))
    assert (back.created, back.framework.version) == (True, 3)
    assert services.framework_import(
        actor=None, parsed=frameworks.parse_document(DOCUMENT)
    ).created is False  # fmt: skip


def test_only_the_platform_administrator_imports(db: Any) -> None:
    city = City()
    with pytest.raises(PermissionDenied):
        services.framework_import(
            actor=city.city_leader, parsed=frameworks.parse_document(DOCUMENT)
        )
    assert Framework.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="dti.").exists()
    imported = services.framework_import(
        actor=city.platform_admin, parsed=frameworks.parse_document(DOCUMENT)
    )
    assert imported.created is True
    assert AuditEvent.objects.get(action="dti.framework_imported").actor == city.platform_admin


# --- the shipped frameworks -------------------------------------------------------------------

DECISION_922 = [
    # (group, main index, sub-indices, points) as in DOMAIN.md
    ("A", "Nhận thức số", 10, D(100)),
    ("A", "Thể chế số", 11, D(100)),
    ("A", "Hạ tầng số", 7, D(100)),
    ("A", "Nhân lực số", 13, D(100)),
    ("A", "An toàn thông tin mạng", 12, D(100)),
    ("A", "Đô thị thông minh", 3, D(0)),
    ("B", "Chính quyền số", 22, D(200)),
    ("B", "Kinh tế số", 12, D(150)),
    ("B", "Xã hội số", 8, D(150)),
]


def test_decision_922_has_9_main_indices_98_sub_indices_and_1000_points() -> None:
    parsed = shipped("QD922-TINH")
    assert (parsed.max_points, parsed.applies_to) == (D(1000), ["provincial_committee"])
    indices = [(g.code, i) for g in parsed.groups for i in g.indices]
    assert [(g, i.name, len(i.subs), i.max_points) for g, i in indices] == DECISION_922
    assert len(list(parsed.subs())) == 98
    smart_city = indices[5][1]
    assert {s.max_points for s in smart_city.subs} == {D(0)}  # listed, not scored


@pytest.mark.parametrize(
    ("code", "kind", "indices", "subs"),
    [("HN-SO", "department", 9, 34), ("HN-XA", "commune_committee", 8, 47)],
)
def test_hanoi_frameworks(code: str, kind: str, indices: int, subs: int) -> None:
    parsed = shipped(code)
    assert (parsed.year, parsed.max_points, parsed.applies_to) == (2026, D(1000), [kind])
    assert sum(len(g.indices) for g in parsed.groups) == indices
    assert len(list(parsed.subs())) == subs
    for group in parsed.groups:
        for index in group.indices:
            assert sum((s.max_points for s in index.subs), D(0)) == index.max_points


def test_the_shipped_frameworks_import_with_their_counts(db: Any) -> None:
    stored = {}
    for path in frameworks.shipped():
        imported = services.framework_import(
            actor=None, parsed=frameworks.parse_yaml(path.read_bytes())
        )
        stored[imported.framework.code] = imported.framework
    assert sorted(stored) == ["HN-SO", "HN-XA", "QD922-TINH"]
    for code, (indices, subs) in {
        "QD922-TINH": (9, 98), "HN-SO": (9, 34), "HN-XA": (8, 47)
    }.items():  # fmt: skip
        fw = stored[code]
        assert fw.max_points == D(1000)
        assert Node.objects.filter(framework=fw, level="index").count() == indices
        assert Node.objects.filter(framework=fw, level="sub").count() == subs
    points = list(
        Node.objects.filter(framework=stored["QD922-TINH"], level="index")
        .order_by("position")
        .values_list("max_points", flat=True)
    )
    assert points == [p for _g, _n, _c, p in DECISION_922]
