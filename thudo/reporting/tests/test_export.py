"""Export to the Government reporting system: the mapping of indicators to its codes, the
JSON and SDMX-ML documents, the push through the hub with its delivery log, and the
receiving simulator reading what is pushed."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from thudo.core.errors import InvalidInput, PermissionDenied
from thudo.core.models import AuditEvent, Role, User
from thudo.core.tests.factories import City, official
from thudo.exchange import facade as exchange
from thudo.exchange.contracts import ExchangeResponse, ForwardedCall
from thudo.registries.contracts import GOVREPORT_PATH
from thudo.reporting import export, services
from thudo.reporting.models import (
    Approval,
    DataElement,
    DataValue,
    ExportDelivery,
    ExportMapping,
    Form,
    Indicator,
    Section,
    SectionElement,
)

pytestmark = pytest.mark.django_db

PERIOD = "2026M03"
SERVICE = "VN/GOV/000.00.00.G22/BCCP/tiep-nhan-bao-cao"
SDMX = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
GENERATED = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


@dataclass
class Setup:
    city: City
    leader_a: User  # may push the ward's report
    clerk_b: User  # a ward B clerk: may not push ward A's


def _element(code: str, name: str, **extra: Any) -> DataElement:
    return DataElement.objects.create(code=code, name=name, **extra)


def _indicator(code: str, numerator: str, denominator: str = "1", **extra: Any) -> Indicator:
    return Indicator.objects.create(
        code=code, name=code, numerator=numerator, denominator=denominator, **extra
    )


def _form(code: str, city: City, *elements: DataElement) -> Form:
    form = Form.objects.create(code=code, name=code, period_type="monthly", recipient=city.justice)
    form.units.set([city.commune_a, city.commune_b])
    section = Section.objects.create(form=form, name="Phần I")
    for order, element in enumerate(elements):
        SectionElement.objects.create(section=section, element=element, sort_order=order)
    return form


@pytest.fixture
def setup(city: City) -> Setup:
    """Two monthly forms of the two wards for March 2026: the first approved by ward A,
    the second not; a measured element; indicators mapped to the receiver's codes, one
    of them without data, and one indicator left unmapped."""
    new = _element("DN_MOI", "Số doanh nghiệp thành lập mới", value_type="positive_integer")
    active = _element("DN_HOATDONG", "Số doanh nghiệp đang hoạt động", aggregation_type="last")
    budget = _element("THU_NGAN_SACH", "Thu ngân sách trên địa bàn")
    dossiers = _element("HS_TIEPNHAN", "Hồ sơ tiếp nhận", metric_code="procedures.received")
    _indicator("SL_DN_MOI", "#{DN_MOI}", decimals=0)
    _indicator("TL_DN_MOI", "#{DN_MOI}", "#{DN_HOATDONG}", factor=100, decimals=2)
    _indicator("THU", "#{THU_NGAN_SACH}", decimals=1)
    _indicator("HS", "#{HS_TIEPNHAN}", decimals=0)
    _indicator("TRONG", "#{DN_MOI}", "0")  # never a value: division by zero
    _indicator("KHONG_GUI", "#{DN_MOI}")
    economy = _form("BC01", city, new, active, dossiers)
    _form("BC02", city, budget)
    figures = {
        city.commune_a: {new: "3", active: "103", budget: "1250.5", dossiers: "40"},
        city.commune_b: {new: "6", active: "60", budget: "800", dossiers: "25"},
    }
    for unit, values in figures.items():
        for element, value in values.items():
            DataValue.objects.create(
                element=element,
                unit=unit,
                period=PERIOD,
                value=Decimal(value),
                source="measured" if element.is_measured else "entered",
            )
    leader_a = official(city.commune_a, role=Role.LEADER, username="chutich.a")
    Approval.objects.create(
        form=economy, unit=city.commune_a, period=PERIOD, approved_by=leader_a,
        approved_at=timezone.now(),
    )  # fmt: skip
    services.aggregates_rebuild(actor=None)
    for indicator, code in (("SL_DN_MOI", "0101"), ("TL_DN_MOI", "0101.TL"), ("THU", "0205"),
                            ("HS", "0310"), ("TRONG", "0999")):  # fmt: skip
        services.mapping_set(
            actor=city.platform_admin, recipient="bccp", indicator_code=indicator,
            external_code=code,
        )  # fmt: skip
    return Setup(city=city, leader_a=leader_a, clerk_b=city.clerk_b)


def ward_a_values() -> list[dict[str, str]]:
    ward = "000.01.50.H26"
    return [
        {"external_code": "0101", "value": "3", "status": "approved", "period": PERIOD,
         "unit": ward},
        # 100 × 3 / 103, two decimals.
        {"external_code": "0101.TL", "value": "2.91", "status": "approved", "period": PERIOD,
         "unit": ward},
        # Its form is not approved.
        {"external_code": "0205", "value": "1250.5", "status": "provisional",
         "period": PERIOD, "unit": ward},
        {"external_code": "0310", "value": "40", "status": "measured", "period": PERIOD,
         "unit": ward},
    ]  # fmt: skip


# --- the mapping --------------------------------------------------------------------------


def test_a_mapping_is_created_changed_and_audited(setup: Setup) -> None:
    admin = setup.city.platform_admin
    mapping = ExportMapping.objects.get(recipient="bccp", indicator__code="SL_DN_MOI")
    assert mapping.external_code == "0101"

    def events() -> Any:
        return AuditEvent.objects.filter(
            action="reporting.mapping.set", object_id="bccp/SL_DN_MOI"
        ).order_by("seq")

    assert [(e.actor, e.payload) for e in events()] == [(admin, {"old": None, "new": "0101"})]

    changed = services.mapping_set(
        actor=admin, recipient="bccp", indicator_code="SL_DN_MOI", external_code=" 0101.SL "
    )
    assert changed.pk == mapping.pk and changed.external_code == "0101.SL"
    assert ExportMapping.objects.filter(indicator__code="SL_DN_MOI").count() == 1
    assert [e.payload for e in events()][1:] == [{"old": "0101", "new": "0101.SL"}]

    # The same code again changes nothing and records nothing.
    services.mapping_set(
        actor=admin, recipient="bccp", indicator_code="SL_DN_MOI", external_code="0101.SL"
    )
    assert events().count() == 2


@pytest.mark.parametrize(
    ("recipient", "indicator", "code", "errors"),
    [
        ("tong-cuc", "KHONG_GUI", "0500", [("recipient", "recipient_unknown")]),
        ("bccp", "KHONG_CO", "0500", [("indicator", "unknown_indicator")]),
        ("bccp", "KHONG_GUI", "", [("external_code", "external_code_format")]),
        ("bccp", "KHONG_GUI", "05 00", [("external_code", "external_code_format")]),
        ("bccp", "KHONG_GUI", "-0500", [("external_code", "external_code_format")]),
        ("bccp", "KHONG_GUI", "Mã_số", [("external_code", "external_code_format")]),
        ("bccp", "KHONG_GUI", "0" * 101, [("external_code", "external_code_format")]),
        # Another indicator holds the code: the receiver could not tell them apart.
        ("bccp", "KHONG_GUI", "0101", [("external_code", "external_code_taken")]),
        ("x", "KHONG_CO", "", [("recipient", "recipient_unknown"),
                               ("indicator", "unknown_indicator"),
                               ("external_code", "external_code_format")]),
    ],
)  # fmt: skip
def test_a_bad_mapping_is_refused_and_nothing_is_written(
    setup: Setup, recipient: str, indicator: str, code: str, errors: list[tuple[str, str]]
) -> None:
    before = list(
        ExportMapping.objects.values_list("recipient", "indicator__code", "external_code")
    )
    audited = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as caught:
        services.mapping_set(
            actor=setup.city.platform_admin, recipient=recipient, indicator_code=indicator,
            external_code=code,
        )  # fmt: skip
    assert [(e.field, e.code) for e in caught.value.field_errors] == errors
    assert all(e.message for e in caught.value.field_errors)
    after = list(ExportMapping.objects.values_list("recipient", "indicator__code", "external_code"))
    assert after == before and AuditEvent.objects.count() == audited


def test_only_the_platform_administrator_maps_indicators(setup: Setup) -> None:
    audited = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.mapping_set(
            actor=setup.leader_a, recipient="bccp", indicator_code="KHONG_GUI",
            external_code="0500",
        )  # fmt: skip
    assert not ExportMapping.objects.filter(indicator__code="KHONG_GUI").exists()
    assert AuditEvent.objects.count() == audited


# --- the values and the documents -----------------------------------------------------------


def test_the_payload_holds_the_mapped_indicators_with_a_value(setup: Setup) -> None:
    # KHONG_GUI is not mapped; TRONG is mapped but has no value.
    assert export.payload("bccp", PERIOD, setup.city.commune_a) == ward_a_values()


def test_the_payload_of_the_city_adds_up_its_wards(setup: Setup) -> None:
    city = setup.city.city_pc.code
    # Ward A's approval does not cover the city's total.
    assert export.payload("bccp", PERIOD, setup.city.city_pc) == [
        {"external_code": "0101", "value": "9", "status": "provisional", "period": PERIOD,
         "unit": city},
        # 100 × 9 / 163, the latest stock of both wards.
        {"external_code": "0101.TL", "value": "5.52", "status": "provisional",
         "period": PERIOD, "unit": city},
        {"external_code": "0205", "value": "2050.5", "status": "provisional",
         "period": PERIOD, "unit": city},
        {"external_code": "0310", "value": "65", "status": "measured", "period": PERIOD,
         "unit": city},
    ]  # fmt: skip


def test_no_mapping_no_payload(setup: Setup) -> None:
    assert export.payload("tong-cuc", PERIOD, setup.city.commune_a) == []


def test_the_json_document(setup: Setup) -> None:
    unit = setup.city.commune_a
    body = export.to_json(
        ward_a_values(), recipient="bccp", period=PERIOD, unit=unit, generated_at=GENERATED
    )
    assert "Ủy ban nhân dân Phường Ba Đình".encode() in body  # UTF-8, not \\u escapes
    assert json.loads(body) == {
        "version": 1,
        "recipient": "bccp",
        "sender": "000.01.50.H26",
        "sender_name": "Ủy ban nhân dân Phường Ba Đình",
        "period": PERIOD,
        "generated_at": "2026-04-01T08:00:00+07:00",
        "values": ward_a_values(),
    }


def test_the_sdmx_document_reads_back_series_by_series(setup: Setup) -> None:
    import sdmx
    from sdmx.message import DataMessage

    unit = setup.city.commune_a
    body = export.to_sdmx(
        ward_a_values(),
        recipient="bccp",
        period=PERIOD,
        unit=unit,
        generated_at=GENERATED,
        message_id="BC-0001",
    )
    assert b'<Obs OBS_STATUS="P" OBS_VALUE="1250.5" TIME_PERIOD="2026-03"/>' in body
    message = sdmx.read_sdmx(io.BytesIO(body), structure=export.structure())
    assert isinstance(message, DataMessage)
    header = message.header
    assert header.prepared and header.sender and header.receiver
    assert (header.id, header.prepared.isoformat()) == ("BC-0001", "2026-04-01T08:00:00+07:00")
    assert (header.sender.id, str(header.sender.name)) == (
        "000-01-50-H26",
        "Ủy ban nhân dân Phường Ba Đình",
    )
    assert header.receiver.id == "BCCP"
    [dataset] = message.data
    assert dataset.structured_by.id == "BCCP_DATA"
    series = {
        tuple(key.get_values()): [
            (
                obs.dimension.values["TIME_PERIOD"].value,
                obs.value,
                obs.attached_attribute["OBS_STATUS"].value,
            )
            for obs in observations
        ]
        for key, observations in dataset.series.items()
    }
    ward = "000.01.50.H26"
    assert series == {
        ("0101", ward): [("2026-03", "3", "A")],
        ("0101.TL", ward): [("2026-03", "2.91", "A")],
        ("0205", ward): [("2026-03", "1250.5", "P")],
        # Measured from the platform's records: a normal value to SDMX.
        ("0310", ward): [("2026-03", "40", "A")],
    }


@pytest.mark.parametrize(
    ("code", "sdmx"),
    [("2026M03", "2026-03"), ("2026M12", "2026-12"), ("2026Q1", "2026-Q1"),
     ("2026S2", "2026-S2"), ("2026N9", "2026-01-01/P9M"), ("2026", "2026")],
)  # fmt: skip
def test_period_codes_in_sdmx_time_format(code: str, sdmx: str) -> None:
    assert export.sdmx_period(code) == sdmx


def test_the_default_service_is_the_simulated_government_reporting_system() -> None:
    from thudo.registries.contracts import GOVREPORT_SERVICE

    assert export.service_of("bccp") == SERVICE
    assert f"{settings.REGISTRIES_GOVREPORT_SYSTEM}/{GOVREPORT_SERVICE}" == SERVICE
    assert export.service_of("tong-cuc") is None


# --- the push -----------------------------------------------------------------------------


class Hub:
    """Stands in for the exchange hub: records each call and answers as told."""

    def __init__(self, answer: ExchangeResponse | Exception) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def __call__(self, service: str, path: str, **kwargs: Any) -> ExchangeResponse:
        self.calls.append({"service": service, "path": path, **kwargs})
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(answer: ExchangeResponse | Exception) -> Hub:
        hub = Hub(answer)
        monkeypatch.setattr(exchange, "call", hub)
        return hub

    return install


@pytest.mark.parametrize("fmt", ["json", "sdmx"])
def test_a_push_is_sent_through_the_hub_and_logged_delivered(setup, stand_in, fmt) -> None:
    hub = stand_in(ExchangeResponse(202, {}, b'{"receipt": "r", "values": 4}', "req-1", "sig"))
    unit = setup.city.commune_a
    delivery = services.export_push(
        actor=setup.leader_a, recipient="bccp", period=PERIOD, unit=unit, fmt=fmt
    )

    [call] = hub.calls
    body = call.pop("body")
    assert call == {
        "service": SERVICE,
        "path": "/submissions",
        "purpose": "Báo cáo Chính phủ theo Nghị định 09/2019/NĐ-CP",
        "method": "POST",
        "content_type": "application/json" if fmt == "json" else SDMX,
    }
    if fmt == "json":
        assert json.loads(body)["values"] == ward_a_values()
    else:
        assert body.startswith(b"<?xml") and b'INDICATOR="0310"' in body
    delivery.refresh_from_db()
    assert (delivery.recipient, delivery.period, delivery.unit, delivery.format) == (
        "bccp", PERIOD, unit, fmt,
    )  # fmt: skip
    assert (delivery.status, delivery.values, delivery.actor) == ("delivered", 4, setup.leader_a)
    assert delivery.digest == hashlib.sha256(body).hexdigest()
    assert delivery.response == '{"receipt": "r", "values": 4}'
    event = AuditEvent.objects.get(action="reporting.export.push")
    assert (event.actor, event.agency, event.object_id, event.purpose) == (
        setup.leader_a, unit, f"bccp/{unit.code}/{PERIOD}",
        "Báo cáo Chính phủ theo Nghị định 09/2019/NĐ-CP",
    )  # fmt: skip
    assert event.payload == {
        "delivery": delivery.pk, "status": "delivered", "format": fmt, "values": 4,
        "digest": delivery.digest,
    }  # fmt: skip


def _unchanged(setup: Setup) -> Any:
    """What a push must leave as it was, to compare after."""
    return (
        list(DataValue.objects.order_by("pk").values_list("pk", "value")),
        list(ExportMapping.objects.order_by("pk").values_list("pk", "external_code")),
        list(Approval.objects.values_list("pk", "state")),
    )


def test_a_hub_failure_is_logged_as_a_failed_delivery(setup, stand_in) -> None:
    hub = stand_in(exchange.ExchangeError("the hub refused the call: no_grant", status=403,
                                          code="no_grant"))  # fmt: skip
    before = _unchanged(setup)
    delivery = services.export_push(
        actor=setup.leader_a, recipient="bccp", period=PERIOD, unit=setup.city.commune_a
    )
    assert len(hub.calls) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.values, delivery.format) == ("failed", 4, "json")
    assert delivery.digest == hashlib.sha256(hub.calls[0]["body"]).hexdigest()
    assert delivery.response == "no_grant (403): the hub refused the call: no_grant"
    assert ExportDelivery.objects.count() == 1
    assert AuditEvent.objects.get(action="reporting.export.push").payload["status"] == "failed"
    assert _unchanged(setup) == before


def test_a_refusal_of_the_receiver_is_a_failed_delivery_with_its_answer(setup, stand_in) -> None:
    problem = json.dumps({"code": "invalid_input", "detail": "x" * 3000}).encode()
    stand_in(ExchangeResponse(422, {}, problem, "req-1", "sig"))
    delivery = services.export_push(
        actor=None, recipient="bccp", period=PERIOD, unit=setup.city.commune_a, fmt="sdmx"
    )
    assert (delivery.status, delivery.actor) == ("failed", None)
    assert delivery.response.startswith('HTTP 422: {"code": "invalid_input"')
    assert len(delivery.response) == 2000


def test_who_may_not_push_writes_nothing_and_calls_nobody(setup, stand_in) -> None:
    hub = stand_in(ExchangeResponse(202, {}, b"{}", "req-1", "sig"))
    audited = AuditEvent.objects.count()
    before = _unchanged(setup)
    for actor in (setup.clerk_b, setup.city.clerk_a):  # another ward; a clerk of ward A
        with pytest.raises(PermissionDenied):
            services.export_push(
                actor=actor, recipient="bccp", period=PERIOD, unit=setup.city.commune_a
            )
    assert hub.calls == []
    assert not ExportDelivery.objects.exists()
    assert AuditEvent.objects.count() == audited
    assert _unchanged(setup) == before


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"fmt": "xml"}, [("fmt", "format_unknown")]),
        ({"recipient": "tong-cuc"}, [("recipient", "recipient_unknown")]),
        ({"period": "2026M13"}, [("period", "period_invalid")]),
        ({"period": "2099M01"}, [("period", "period_not_open")]),
        # Nothing mapped has a value for that period.
        ({"period": "2026M01"}, [("period", "nothing_to_export")]),
        ({"fmt": "pdf", "period": "03/2026"}, [("fmt", "format_unknown"),
                                               ("period", "period_invalid")]),
    ],
)  # fmt: skip
def test_a_bad_push_is_refused_before_the_hub(setup, stand_in, changes, errors) -> None:
    hub = stand_in(ExchangeResponse(202, {}, b"{}", "req-1", "sig"))
    arguments = {"recipient": "bccp", "period": PERIOD, "fmt": "json", **changes}
    with pytest.raises(InvalidInput) as caught:
        services.export_push(actor=setup.leader_a, unit=setup.city.commune_a, **arguments)
    assert [(e.field, e.code) for e in caught.value.field_errors] == errors
    assert all(e.message for e in caught.value.field_errors)
    assert hub.calls == []
    assert not ExportDelivery.objects.exists()


# --- what the Government reporting system makes of it ---------------------------------------


@pytest.mark.parametrize("fmt", ["json", "sdmx"])
def test_the_simulated_reporting_system_accepts_what_is_pushed(setup, monkeypatch, fmt) -> None:
    """The hub's stand-in forwards the call to the simulator with the hub's assertion, as
    the gateway does: the receiver reads the document and its receipt is our digest."""
    client = Client(raise_request_exception=False)

    def forward(service: str, path: str, **kwargs: Any) -> ExchangeResponse:
        provider, _slash, code = service.rpartition("/")
        call = ForwardedCall(
            request_id="req-1",
            consumer=settings.EXCHANGE_PLATFORM_SYSTEM,
            consumer_agency=settings.EXCHANGE_PLATFORM_SYSTEM.split("/")[2],
            provider=provider,
            service=code,
            purpose=kwargs["purpose"],
            data_subject="",
        )
        answer = client.generic(
            kwargs["method"],
            GOVREPORT_PATH + path,
            data=kwargs["body"],
            content_type=kwargs["content_type"],
            headers=exchange.forwarded_headers(call),
        )
        return ExchangeResponse(answer.status_code, {}, answer.content, "req-1", "sig")

    monkeypatch.setattr(exchange, "call", forward)
    delivery = services.export_push(
        actor=setup.leader_a, recipient="bccp", period=PERIOD, unit=setup.city.commune_a, fmt=fmt
    )
    assert delivery.status == "delivered", delivery.response
    assert json.loads(delivery.response) == {"receipt": delivery.digest, "values": 4}


def test_the_export_api_pushes_and_lists_deliveries(setup: Setup, stand_in: Any) -> None:
    stand_in(ExchangeResponse(202, {}, b'{"receipt": "r", "values": 4}', "req-2", "sig"))
    ward = setup.city.commune_a.code
    client = Client(raise_request_exception=False)
    client.force_login(setup.leader_a)
    response = client.post(
        "/api/v1/reporting/exports",
        json.dumps({"recipient": "bccp", "unit": ward, "period": PERIOD, "format": "json"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["values"], body["unit"], body["format"]) == (
        "delivered", 4, ward, "json",
    )  # fmt: skip
    assert [d["digest"] for d in client.get("/api/v1/reporting/exports").json()] == [body["digest"]]
    # A forged unit is a field error; another ward's clerk does not see ward A at all.
    forged = client.post(
        "/api/v1/reporting/exports",
        json.dumps({"recipient": "bccp", "unit": "000.88.88.H26", "period": PERIOD}),
        content_type="application/json",
    )
    assert (forged.status_code, forged.json()["errors"][0]["field"]) == (422, "unit")
    other = Client(raise_request_exception=False)
    other.force_login(setup.clerk_b)
    hidden = other.post(
        "/api/v1/reporting/exports",
        json.dumps({"recipient": "bccp", "unit": ward, "period": PERIOD}),
        content_type="application/json",
    )
    assert hidden.status_code == 404
    assert other.get("/api/v1/reporting/exports").json() == []
    assert ExportDelivery.objects.count() == 1


def test_the_mapping_api_lists_and_sets_for_the_platform_administrator(setup: Setup) -> None:
    def stored() -> str:
        return ExportMapping.objects.get(
            recipient="bccp", indicator__code="TL_DN_MOI"
        ).external_code

    admin = Client(raise_request_exception=False)
    admin.force_login(setup.city.platform_admin)
    listed = admin.get("/api/v1/reporting/export-mappings").json()
    before = [(m["recipient"], m["indicator"], m["external_code"]) for m in listed]
    assert ("bccp", "TL_DN_MOI", "0101.TL") in before
    answer = admin.put(
        "/api/v1/reporting/export-mappings",
        json.dumps({"recipient": "bccp", "indicator": "TL_DN_MOI", "external_code": "CT09"}),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["external_code"] == "CT09"
    assert stored() == "CT09"
    # A bad code is a field error; an official who is not the administrator may not map.
    bad = admin.put(
        "/api/v1/reporting/export-mappings",
        json.dumps({"recipient": "bccp", "indicator": "TL_DN_MOI", "external_code": "CT 10"}),
        content_type="application/json",
    )
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "external_code")
    clerk = Client(raise_request_exception=False)
    clerk.force_login(setup.clerk_b)
    refused = clerk.put(
        "/api/v1/reporting/export-mappings",
        json.dumps({"recipient": "bccp", "indicator": "TL_DN_MOI", "external_code": "CT11"}),
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert stored() == "CT09"
