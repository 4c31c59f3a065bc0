"""The process engine and the catalogue's BPMN processes, without the database."""

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from lxml import etree

from thudo.procedures import engine
from thudo.procedures.engine import EngineError, FormField

CATALOGUE = engine.CATALOGUE_DIR
YAMLS = sorted(CATALOGUE.glob("*.yaml"))
KEYS = {
    "code", "slug", "name", "name_en", "sector", "agency_kind", "version", "decision",
    "service_level", "deadline", "fees", "exemptions", "components", "form_schema",
    "result", "legal_basis", "process",
}  # fmt: skip
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
}
DOSSIER = {"code": "HS-000001", "channel": "online"}

# Forms that satisfy every catalogue process's conditions; a large house takes the
# site-inspection branch.
LARGE_HOUSE = {"tong_dien_tich_san": 320.0, "so_tang": 4}
SMALL_HOUSE = {"tong_dien_tich_san": 120.0, "so_tang": 2}


def _entry(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _process_files() -> list[str]:
    return [_entry(p)["process"] for p in YAMLS]


def _start(process_file: str, form: dict[str, Any] | None = None) -> engine.Instance:
    return engine.start(process_file, {"form": form or dict(LARGE_HOUSE), "dossier": DOSSIER})


def _answer(task: engine.ReadyTask, decision: str) -> dict[str, Any]:
    """Data for a task: the wanted decision where offered, the first choice elsewhere."""
    data: dict[str, Any] = {}
    for field in task.form_fields:
        if field.choices:
            data[field.name] = decision if decision in field.choices else field.choices[0]
        elif field.required:
            data[field.name] = "ok"
    return data


def _only(instance: engine.Instance) -> engine.ReadyTask:
    tasks = instance.ready_tasks()
    assert len(tasks) == 1, tasks
    return tasks[0]


def _walk(instance: engine.Instance, decision: str, limit: int = 20) -> list[str]:
    seen: list[str] = []
    for _ in range(limit):
        if instance.is_completed():
            return seen
        task = _only(instance)
        seen.append(task.spec)
        instance.complete(task.id, _answer(task, decision))
    raise AssertionError(f"not completed after {seen}")


# --- the catalogue files ------------------------------------------------------------------


def test_catalogue_has_the_nine_procedures():
    assert [p.stem for p in YAMLS] == [
        "chung-thuc-ban-sao",
        "giay-phep-xay-dung",
        "ho-kinh-doanh",
        "ket-hon",
        "khai-sinh",
        "khai-tu",
        "ly-lich-tu-phap",
        "thuong-tru",
        "trich-luc-ho-tich",
    ]
    assert sorted(p.name for p in CATALOGUE.glob("*.bpmn")) == sorted(_process_files())


@pytest.mark.parametrize("path", YAMLS, ids=lambda p: p.stem)
def test_entry_is_well_formed(path):
    data = _entry(path)

    assert set(data) == KEYS
    assert data["slug"] == path.stem
    assert re.fullmatch(r"[a-z0-9-]+", data["slug"])
    assert re.fullmatch(r"[12]\.\d{6}", data["code"])
    assert data["agency_kind"] in {"commune_committee", "department", "provincial_committee"}
    assert data["service_level"] in {"full_online", "partial"}
    assert set(data["deadline"]) == {"working_days", "working_hours", "cutoff"}
    assert isinstance(data["deadline"]["working_days"], int)
    for fee in data["fees"]:
        assert set(fee) == {"code", "name", "amount"}
        assert isinstance(fee["amount"], int) and fee["amount"] >= 0
    props = data["form_schema"]["properties"]
    for exemption in data["exemptions"]:
        assert props[exemption["field"]]["type"] == "boolean"
    for component in data["components"]:
        assert component["source"] in {"upload", "population", "wallet"}
        assert isinstance(component["required"], bool)
    assert data["legal_basis"]
    assert data["process"] == f"{path.stem}.bpmn"


@pytest.mark.parametrize("path", YAMLS, ids=lambda p: p.stem)
def test_form_schema_is_valid_json_schema(path):
    schema = _entry(path)["form_schema"]

    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert 5 <= len(schema["properties"]) <= 12
    assert set(schema["required"]) <= set(schema["properties"])
    for name, prop in schema["properties"].items():
        assert prop.get("title"), name
        if prop.get("type") == "string" and "format" not in prop and "pattern" not in prop:
            assert "maxLength" in prop, name
        for option in prop.get("oneOf", []):
            assert set(option) == {"const", "title"}, name
        # The applicant's identity comes from the population registry, not the form.
        assert name not in {"ho_ten", "ngay_sinh_nguoi_nop", "so_dinh_danh"}


def test_personal_ids_are_twelve_digits():
    for path in YAMLS:
        for name, prop in _entry(path)["form_schema"]["properties"].items():
            if name.startswith("so_dinh_danh"):
                assert prop["pattern"] == "^[0-9]{12}$", (path.stem, name)


def test_marriage_form_asks_for_the_other_spouse():
    schema = _entry(CATALOGUE / "ket-hon.yaml")["form_schema"]
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    form = {
        "ho_ten_ben_kia": "Trần Thị Mai",
        "so_dinh_danh_ben_kia": "001199012345",
        "ngay_sinh_ben_kia": "1999-04-12",
        "noi_cu_tru_ben_kia": "Phường Hoàn Kiếm, Hà Nội",
        "tinh_trang_hon_nhan": "chua_ket_hon",
        "tinh_trang_hon_nhan_ben_kia": "chua_ket_hon",
        "tu_nguyen": True,
    }

    assert list(validator.iter_errors(form)) == []
    assert not validator.is_valid({**form, "so_dinh_danh_ben_kia": "12345"})
    assert not validator.is_valid({**form, "tu_nguyen": False})
    assert not validator.is_valid({k: v for k, v in form.items() if k != "ho_ten_ben_kia"})


# --- the BPMN files -----------------------------------------------------------------------


@pytest.mark.parametrize("process_file", _process_files())
def test_process_parses_and_validates(process_file):
    spec = engine.load_spec(process_file)

    assert spec.name
    assert engine.load_spec(process_file) is spec  # parsed once


@pytest.mark.parametrize("process_file", _process_files())
def test_process_has_a_diagram_of_every_element(process_file):
    tree = etree.parse(str(CATALOGUE / process_file))
    process = tree.find("bpmn:process", NS)
    elements = {
        el.get("id")
        for el in process.iter()
        if etree.QName(el).localname
        in {"startEvent", "endEvent", "userTask", "serviceTask", "exclusiveGateway"}
    }
    flows = {el.get("id") for el in process.iterfind("bpmn:sequenceFlow", NS)}
    lanes = {el.get("id") for el in process.iterfind("bpmn:laneSet/bpmn:lane", NS)}
    shapes = {s.get("bpmnElement"): s for s in tree.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement") for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}

    assert tree.find("bpmndi:BPMNDiagram", NS) is not None
    assert elements | lanes <= set(shapes)
    assert flows == edges
    for element_id in elements:
        assert shapes[element_id].find("dc:Bounds", NS) is not None


@pytest.mark.parametrize("process_file", _process_files())
def test_lanes_are_roles_and_hold_every_user_task(process_file):
    tree = etree.parse(str(CATALOGUE / process_file))
    lanes = tree.findall(".//bpmn:lane", NS)
    in_lane = {ref.text for lane in lanes for ref in lane.iterfind("bpmn:flowNodeRef", NS)}
    user_tasks = {t.get("id") for t in tree.iterfind(".//bpmn:userTask", NS)}

    assert {lane.get("name") for lane in lanes} <= engine.ROLES
    assert user_tasks <= in_lane
    for task_spec in engine.load_spec(process_file).task_specs.values():
        if getattr(task_spec, "manual", False):
            assert task_spec.lane in engine.ROLES
            assert task_spec.documentation.startswith("fields: ")


@pytest.mark.parametrize("process_file", _process_files())
def test_process_calls_platform_services(process_file):
    topics = {getattr(s, "topic", None) for s in engine.load_spec(process_file).task_specs.values()}

    assert {"fee.compute", "result.prepare"} <= topics


# --- running the processes ----------------------------------------------------------------


@pytest.mark.parametrize("process_file", _process_files())
def test_approving_every_step_issues_the_result(process_file):
    instance = _start(process_file)

    _walk(instance, "approve")

    assert instance.is_completed()
    assert instance.outcome == "approve"
    assert instance.data["decision"] == "approve"
    assert instance.data["form"] == LARGE_HOUSE
    assert instance.data["dossier"] == DOSSIER
    assert instance.ready_tasks() == []


@pytest.mark.parametrize("process_file", _process_files())
def test_refusing_at_review_ends_in_refuse(process_file):
    instance = _start(process_file, SMALL_HOUSE)
    task = _only(instance)
    assert task.spec == "review"

    instance.complete(
        task.id, {"decision": "refuse", "refusal_reason": "Thiếu giấy tờ", "note": "x"}
    )

    assert instance.is_completed()
    assert instance.outcome == "refuse"
    assert instance.data["decision"] == "refuse"
    assert instance.data["refusal_reason"] == "Thiếu giấy tờ"


def test_marriage_step_by_step():
    instance = _start("ket-hon.bpmn", {"ho_ten_ben_kia": "Trần Thị Mai"})

    task = _only(instance)
    assert (task.spec, task.name, task.role) == ("review", "Thẩm định hồ sơ", "specialist")
    assert task.form_fields == (
        FormField("decision", ("approve", "refuse", "supplement"), True),
        FormField("refusal_reason", (), False),
        FormField("note", (), False),
    )
    assert task.hint.startswith("Chuyên viên kiểm tra")
    instance.complete(task.id, {"decision": "approve", "note": "Đủ điều kiện kết hôn"})

    task = _only(instance)
    assert (task.spec, task.name, task.role) == ("approve_leader", "Phê duyệt", "leader")
    assert instance.data["note"] == "Đủ điều kiện kết hôn"
    instance.complete(task.id, {"decision": "approve"})

    task = _only(instance)
    assert (task.spec, task.name, task.role) == (
        "handover",
        "Trao Giấy chứng nhận kết hôn",
        "specialist",
    )
    assert task.form_fields == (FormField("note", (), False),)
    assert not instance.is_completed()
    instance.complete(task.id, {"note": "Hai bên đã ký Sổ hộ tịch"})

    assert instance.is_completed()
    assert instance.outcome == "approve"
    assert instance.data["decision"] == "approve"
    assert instance.data["form"] == {"ho_ten_ben_kia": "Trần Thị Mai"}


def test_supplement_goes_through_the_desk_and_back_to_review():
    instance = _start("khai-sinh.bpmn")
    review = _only(instance)
    instance.complete(review.id, {"decision": "supplement", "note": "Thiếu giấy chứng sinh"})

    desk = _only(instance)
    assert (desk.spec, desk.name, desk.role) == ("supplement", "Tiếp nhận hồ sơ bổ sung", "clerk")
    instance.complete(desk.id, {"note": "Đã bổ sung"})

    again = _only(instance)
    assert again.spec == "review"
    assert again.id != review.id
    assert _walk(instance, "approve") == ["review", "approve_leader"]
    assert instance.outcome == "approve"


def test_leader_can_send_the_dossier_back_to_review():
    instance = _start("ly-lich-tu-phap.bpmn")
    assert _walk_until(instance, "approve_leader") == ["review", "check_head"]

    instance.complete(_only(instance).id, {"decision": "rework", "note": "Xác minh lại"})

    assert _only(instance).spec == "review"
    assert instance.data["decision"] == "rework"


def test_leader_refusal_ends_in_refuse():
    instance = _start("ho-kinh-doanh.bpmn")
    _walk_until(instance, "approve_head")

    instance.complete(_only(instance).id, {"decision": "refuse", "refusal_reason": "Trùng tên"})

    assert instance.outcome == "refuse"
    assert instance.data["refusal_reason"] == "Trùng tên"


def _walk_until(instance: engine.Instance, spec: str) -> list[str]:
    seen = []
    while (task := _only(instance)).spec != spec:
        seen.append(task.spec)
        instance.complete(task.id, _answer(task, "approve"))
    return seen


def test_large_house_is_inspected_on_site_and_small_house_is_not():
    large = _start("giay-phep-xay-dung.bpmn", LARGE_HOUSE)
    small = _start("giay-phep-xay-dung.bpmn", SMALL_HOUSE)
    three_floors = _start("giay-phep-xay-dung.bpmn", {"tong_dien_tich_san": 180, "so_tang": 3})

    visit = _only(large)
    assert (visit.spec, visit.name, visit.role) == ("site_visit", "Kiểm tra thực địa", "specialist")
    assert _only(three_floors).spec == "site_visit"
    assert _walk(small, "approve") == ["review", "check_head", "approve_leader"]
    assert _walk(large, "approve") == ["site_visit", "review", "check_head", "approve_leader"]


def test_save_midway_and_continue():
    instance = _start("ket-hon.bpmn")
    instance.complete(_only(instance).id, {"decision": "approve"})
    waiting = _only(instance)

    text = instance.dumps()
    json.loads(text)
    restored = engine.loads("ket-hon.bpmn", text)

    assert restored.ready_tasks() == [waiting]
    assert restored.data == instance.data
    restored.complete(waiting.id, {"decision": "approve"})
    restored = engine.loads("ket-hon.bpmn", restored.dumps())
    restored.complete(_only(restored).id, {})
    assert restored.outcome == "approve"


def test_saved_instance_of_another_process_is_refused():
    text = _start("khai-sinh.bpmn").dumps()

    with pytest.raises(EngineError, match="not 'KetHon'"):
        engine.loads("ket-hon.bpmn", text)
    with pytest.raises(EngineError, match="Not a saved process instance"):
        engine.loads("ket-hon.bpmn", "{}")


def test_completing_an_unknown_task_raises():
    instance = _start("khai-sinh.bpmn")
    before = instance.dumps()

    with pytest.raises(EngineError, match="Unknown task"):
        instance.complete("00000000-0000-4000-8000-000000000000", {"decision": "approve"})
    with pytest.raises(EngineError, match="Unknown task"):
        instance.complete("not-a-uuid", {"decision": "approve"})
    assert json.loads(instance.dumps()) == json.loads(before)


def test_completing_a_finished_task_raises():
    instance = _start("khai-sinh.bpmn")
    review = _only(instance)
    instance.complete(review.id, {"decision": "approve"})

    with pytest.raises(EngineError, match="is not waiting"):
        instance.complete(review.id, {"decision": "approve"})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "decision is required"),
        ({"decision": "maybe"}, "decision must be one of"),
        ({"decision": "approve", "form": {}}, "cannot change"),
    ],
)
def test_task_data_is_checked_against_the_declared_fields(data, message):
    instance = _start("khai-sinh.bpmn")
    review = _only(instance)

    with pytest.raises(EngineError, match=message):
        instance.complete(review.id, data)
    assert _only(instance) == review


def test_start_needs_form_and_dossier():
    with pytest.raises(EngineError, match="'form' and a 'dossier'"):
        engine.start("khai-sinh.bpmn", {"form": {}})


def test_unknown_process_file_raises():
    with pytest.raises(EngineError, match="not found"):
        engine.load_spec("khong-co.bpmn")
    with pytest.raises(EngineError, match="Not a catalogue process file"):
        engine.load_spec("../engine.py")


@pytest.fixture
def restore_services():
    saved = dict(engine._SERVICES)
    yield
    engine._SERVICES.clear()
    engine._SERVICES.update(saved)


@pytest.mark.usefixtures("restore_services")
def test_registered_service_is_called_with_the_data_and_its_result_merged():
    calls: list[dict[str, Any]] = []

    def fee(data: dict[str, Any]) -> dict[str, Any]:
        calls.append(copy.deepcopy(data))
        data["form"] = "changed"  # a copy: the process keeps its own data
        return {"fee_total": 8000}

    def prepare(data: dict[str, Any]) -> None:
        calls.append(data)

    engine.register_service("fee.compute", fee)
    engine.register_service("result.prepare", prepare)
    instance = _start("trich-luc-ho-tich.bpmn", {"so_ban_sao": 1})

    assert calls == [{"form": {"so_ban_sao": 1}, "dossier": DOSSIER}]
    assert instance.data["fee_total"] == 8000
    assert instance.data["form"] == {"so_ban_sao": 1}

    instance.complete(_only(instance).id, {"decision": "approve"})
    assert calls[1]["decision"] == "approve"
    assert calls[1]["fee_total"] == 8000


@pytest.mark.usefixtures("restore_services")
def test_service_of_a_restored_instance_is_looked_up_when_it_runs():
    instance = _start("khai-tu.bpmn")
    text = instance.dumps()
    engine.register_service("result.prepare", lambda data: {"result_ref": "TL-1"})

    restored = engine.loads("khai-tu.bpmn", text)
    restored.complete(_only(restored).id, {"decision": "approve"})

    assert restored.data["result_ref"] == "TL-1"


def test_fields_are_parsed_from_the_documentation_convention():
    fields, hint = engine.parse_fields("fields: decision=approve|rework, note?\nXem xét.")

    assert fields == (
        FormField("decision", ("approve", "rework"), True),
        FormField("note", (), False),
    )
    assert hint == "Xem xét."
    assert engine.parse_fields("Chỉ mô tả") == ((), "Chỉ mô tả")
    assert engine.parse_fields(None) == ((), "")
    assert json.loads(json.dumps(list(fields))) == [
        ["decision", ["approve", "rework"], True],
        ["note", [], False],
    ]


BROKEN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D"
    targetNamespace="t">
  <bpmn:process id="Broken" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:notAnElement id="x" />
  </bpmn:process>
</bpmn:definitions>
"""

NO_LANE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D"
    targetNamespace="t">
  <bpmn:process id="NoLane" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Thẩm định hồ sơ">
      <bpmn:documentation>fields: decision=approve</bpmn:documentation>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="approve"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="approve" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize(("text", "message"), [(BROKEN, "notAnElement"), (NO_LANE, "lane")])
def test_broken_process_file_fails_loudly(tmp_path, monkeypatch, text, message):
    (tmp_path / "broken.bpmn").write_text(text, encoding="utf-8")
    monkeypatch.setattr(engine, "CATALOGUE_DIR", tmp_path)
    engine.load_spec.cache_clear()
    try:
        with pytest.raises(EngineError, match=message):
            engine.load_spec("broken.bpmn")
    finally:
        engine.load_spec.cache_clear()
