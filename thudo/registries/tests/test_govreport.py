"""The Government reporting system as a provider system: what it accepts, what it refuses
and why, and to whom it listens."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from openapi_spec_validator import validate

from thudo.registries import facade
from thudo.registries.tests.factories import assertion_headers

pytestmark = pytest.mark.django_db

SUBMISSIONS = "/registries/govreport/v1/submissions"
SDMX = "application/vnd.sdmx.structurespecificdata+xml"
WARD = "000.01.50.H26"

DOCUMENT: dict[str, Any] = {
    "version": 1,
    "recipient": "bccp",
    "sender": WARD,
    "sender_name": "Ủy ban nhân dân Phường Ba Đình",
    "period": "2026Q1",
    "generated_at": "2026-04-01T08:00:00+07:00",
    "values": [
        {"external_code": "0101", "value": "21", "status": "approved", "period": "2026Q1",
         "unit": WARD},
        {"external_code": "0205", "value": "1250.5", "status": "provisional",
         "period": "2026Q1", "unit": WARD},
    ],
}  # fmt: skip

SERIES = """
    <Series INDICATOR="0101" REF_AREA="000.01.50.H26">
      <Obs TIME_PERIOD="2026-Q1" OBS_VALUE="21" OBS_STATUS="A"/>
    </Series>
    <Series INDICATOR="0205" REF_AREA="000.01.50.H26">
      <Obs TIME_PERIOD="2026-Q1" OBS_VALUE="1250.5" OBS_STATUS="P"/>
    </Series>
    <Series INDICATOR="0310" REF_AREA="000.01.50.H26">
      <Obs TIME_PERIOD="2026-Q1" OBS_VALUE="40" OBS_STATUS="A"/>
    </Series>"""


def sdmx_message(series: str = SERIES, *, prolog: str = "") -> bytes:
    """A StructureSpecificData message of the structure the reporting system publishes,
    written by hand as another province's software would send it."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>{prolog}
<mes:StructureSpecificData
    xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
    xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
    xmlns:ss="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific">
  <mes:Header>
    <mes:ID>BC-0001</mes:ID>
    <mes:Test>false</mes:Test>
    <mes:Prepared>2026-04-01T08:00:00+07:00</mes:Prepared>
    <mes:Sender id="000-01-50-H26"/>
    <mes:Structure structureID="BCCP_DATA" dimensionAtObservation="TIME_PERIOD">
      <com:Structure>
        <Ref id="BCCP_DATA" version="1.0" agencyID="VPCP" package="datastructure"
             class="DataStructure"/>
      </com:Structure>
    </mes:Structure>
  </mes:Header>
  <mes:DataSet structureRef="BCCP_DATA">{series}
  </mes:DataSet>
</mes:StructureSpecificData>
""".encode()


def hub() -> dict[str, str]:
    """The assertion the hub's gateway adds when the platform pushes a report."""
    return assertion_headers(
        provider=settings.REGISTRIES_GOVREPORT_SYSTEM,
        consumer="VN/GOV/000.00.00.H26/THUDO",
        service="tiep-nhan-bao-cao",
        purpose="Báo cáo Chính phủ theo Nghị định 09/2019/NĐ-CP",
    )


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def post(client: Client, body: bytes, content_type: str, **headers: str) -> Any:
    return client.generic(
        "POST", SUBMISSIONS, data=body, content_type=content_type, headers=headers or hub()
    )


def problem(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["title"] == "Dữ liệu không hợp lệ"
    assert all(e["message"] for e in body["errors"])
    return [(e["field"], e["code"]) for e in body["errors"]]


# --- accepted ---------------------------------------------------------------------------


def test_a_json_report_gets_a_receipt_of_its_digest(client) -> None:
    body = json.dumps(DOCUMENT, ensure_ascii=False).encode()
    response = post(client, body, "application/json")
    assert response.status_code == 202, response.content
    assert response.json() == {"receipt": hashlib.sha256(body).hexdigest(), "values": 2}


@pytest.mark.parametrize("content_type", [SDMX, f"{SDMX};version=2.1", "application/xml"])
def test_an_sdmx_report_is_read_back_and_counted(client, content_type) -> None:
    body = sdmx_message()
    response = post(client, body, content_type)
    assert response.status_code == 202, response.content
    assert response.json() == {"receipt": hashlib.sha256(body).hexdigest(), "values": 3}


@pytest.mark.parametrize("period", ["2026", "2026-03", "2026-Q4", "2026-S2", "2026-01-01/P9M"])
def test_every_decree_09_period_in_sdmx_time_format_is_accepted(client, period) -> None:
    series = SERIES.replace('TIME_PERIOD="2026-Q1"', f'TIME_PERIOD="{period}"')
    assert post(client, sdmx_message(series), SDMX).status_code == 202


# --- refused ----------------------------------------------------------------------------


def _with(**changes: Any) -> bytes:
    return json.dumps({**DOCUMENT, **changes}).encode()


def _value(**changes: Any) -> bytes:
    return _with(values=[{**DOCUMENT["values"][0], **changes}])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (b"{not json", [("body", "json_invalid")]),
        (b"[]", [("body", "model_attributes_type")]),
        (_with(version=2), [("version", "literal_error")]),
        (_with(values=[]), [("values", "too_short")]),
        (_with(sender="H26"), [("sender", "agency_code_format")]),
        (_with(period="2026M13"), [("period", "string_pattern_mismatch")]),
        (_with(generated_at="hôm qua"), [("generated_at", "datetime_from_date_parsing")]),
        (_with(extra="x"), [("extra", "extra_forbidden")]),
        (_value(value="1,5"), [("values.0.value", "string_pattern_mismatch")]),
        (_value(value=1.5), [("values.0.value", "string_type")]),
        (_value(status="draft"), [("values.0.status", "literal_error")]),
        (_value(external_code=""), [("values.0.external_code", "string_too_short")]),
        (_value(unit="000.01.50"), [("values.0.unit", "agency_code_format")]),
        (_with(values=[DOCUMENT["values"][0]] * 2), [("values.1", "duplicate_value")]),
    ],
)
def test_a_json_report_that_does_not_conform_is_a_422_problem(client, body, errors) -> None:
    assert problem(post(client, body, "application/json")) == errors


ENTITY = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (b"not xml", [("body", "xml_malformed")]),
        (sdmx_message(prolog=ENTITY), [("body", "xml_forbidden")]),
        (b"<report><value>1</value></report>", [("body", "sdmx_invalid")]),
        (sdmx_message(""), [("body", "sdmx_no_data")]),
        (
            sdmx_message(SERIES.replace(' REF_AREA="000.01.50.H26"', "", 1)),
            [("data.0.series.0.REF_AREA", "missing")],
        ),
        (
            sdmx_message(SERIES.replace('REF_AREA="000.01.50.H26"', 'REF_AREA="01"', 1)),
            [("data.0.series.0.REF_AREA", "agency_code_format")],
        ),
        (
            sdmx_message(SERIES.replace('"2026-Q1"', '"2026Q1"', 1)),
            [("data.0.series.0.obs.0.TIME_PERIOD", "time_period_invalid")],
        ),
        (
            sdmx_message(SERIES.replace(' OBS_VALUE="21"', "", 1)),
            [("data.0.series.0.obs.0.OBS_VALUE", "value_invalid")],
        ),
        (
            sdmx_message(SERIES.replace('OBS_VALUE="21"', 'OBS_VALUE="NaN"', 1)),
            [("data.0.series.0.obs.0.OBS_VALUE", "value_invalid")],
        ),
        (
            sdmx_message(SERIES.replace('OBS_STATUS="A"', 'OBS_STATUS="X"', 1)),
            [("data.0.series.0.obs.0.OBS_STATUS", "obs_status_invalid")],
        ),
        # A component the structure does not have: the reader itself refuses it.
        (
            sdmx_message(SERIES.replace("<Series ", '<Series FREQ="Q" ', 1)),
            [("body", "sdmx_invalid")],
        ),
    ],
)
def test_an_sdmx_report_that_does_not_conform_is_a_422_problem(client, body, errors) -> None:
    assert problem(post(client, body, SDMX)) == errors


def test_two_values_for_the_same_indicator_unit_and_period_are_refused(client) -> None:
    twice = SERIES.replace('INDICATOR="0205"', 'INDICATOR="0101"')
    # Two series with one key are one series to the reader: it holds both observations.
    assert problem(post(client, sdmx_message(twice), SDMX)) == [
        ("data.0.series.0.obs.1", "duplicate_value")
    ]


def test_other_formats_and_oversized_reports_are_refused(client) -> None:
    response = post(client, b"0101;21", "text/plain")
    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "unsupported_media_type"

    response = post(client, b" " * (2 * 1024 * 1024 + 1), "application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


# --- who may send -------------------------------------------------------------------------


def test_only_the_hub_may_send_a_report(client) -> None:
    body = json.dumps(DOCUMENT).encode()
    for headers in (
        {},
        {"X-Exchange-Assertion": "not.a.jwt"},
        assertion_headers(),  # the hub's word, but for the population database
    ):
        response = client.generic(
            "POST", SUBMISSIONS, data=body, content_type="application/json", headers=headers
        )
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response["WWW-Authenticate"].startswith("ExchangeAssertion")
        assert response.json()["code"] == "assertion_invalid"


def test_the_provider_identifier_comes_from_settings(client, settings) -> None:
    body = json.dumps(DOCUMENT).encode()
    settings.REGISTRIES_GOVREPORT_SYSTEM = "VN/GOV/000.00.00.G22/BCCP2"
    headers = hub()
    assert post(client, body, "application/json", **headers).status_code == 202
    settings.REGISTRIES_GOVREPORT_SYSTEM = "VN/GOV/000.00.00.G22/BCCP"
    assert post(client, body, "application/json", **headers).status_code == 401


def test_the_openapi_document_lists_the_one_operation_and_both_formats(client) -> None:
    document = facade.govreport_openapi()
    validate(document)
    assert document["servers"] == [{"url": "/registries/govreport/v1"}]
    [(path, item)] = document["paths"].items()
    assert path == "/submissions" and list(item) == ["post"]
    operation = item["post"]
    assert operation["security"] == [{"HubAssertion": []}]
    assert set(operation["responses"]) == {"202", "401", "413", "415", "422"}
    assert set(operation["requestBody"]["content"]) == {
        "application/json",
        SDMX,
        "application/xml",
        "text/xml",
    }
    schemas = document["components"]["schemas"]
    assert schemas["SubmissionIn"]["required"] == [
        "version", "recipient", "sender", "sender_name", "period", "generated_at", "values"
    ]  # fmt: skip
    assert schemas["SubmissionValueIn"]["properties"]["status"]["enum"] == [
        "approved",
        "provisional",
        "measured",
    ]
    served = client.get("/registries/govreport/v1/openapi.json")
    assert served.status_code == 200 and served.json() == document
