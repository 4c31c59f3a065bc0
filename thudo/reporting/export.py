"""Export to the Government reporting system (hệ thống thông tin báo cáo Chính phủ).

Indicators are mapped, per receiving system, to that system's own codes
(``ExportMapping``). A push takes the mapped indicators' values of one unit and period
from analytics, writes them as a document, sends it through the exchange hub (the
platform's only way out) and logs the delivery (``ExportDelivery``) with the SHA-256 of
exactly the bytes sent. Which hub service a receiving system is, is the setting
``REPORTING_EXPORT_SERVICES``.

Two formats. **JSON** (``application/json``), version 1::

    {"version": 1,
     "recipient": "bccp",                   # the receiving system, as in the setting
     "sender": "000.01.50.H26",             # agency code of the reporting unit
     "sender_name": "Ủy ban nhân dân Phường Ba Đình",
     "period": "2026M03",                   # period code of Decree 09 (periods.py)
     "generated_at": "2026-04-01T08:00:00+07:00",
     "values": [{"external_code": "CT01",   # the receiver's indicator code
                 "value": "2.91",           # decimal text, the indicator's decimals
                 "status": "approved",      # approved | provisional | measured
                 "period": "2026M03", "unit": "000.01.50.H26"}]}

Values are decimal text, never floats, so no figure changes on the way; they are ordered
by ``external_code``; an indicator without a value for the period is left out.

**SDMX-ML 2.1** structure-specific data (``application/vnd.sdmx.structurespecificdata+xml``)
of the structure the receiver publishes, ``BCCP_DATA`` of the Government Office (VPCP),
version 1.0: one series per indicator keyed by INDICATOR (the receiver's code) and
REF_AREA (the unit's agency code), its observation at TIME_PERIOD in SDMX time format
with OBS_VALUE and OBS_STATUS. Structure-specific rather than generic: sdmx1 writes a
generic data set under a structure-specific root element, which no reader accepts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from thudo.core import audit
from thudo.core.errors import invalid
from thudo.core.models import Agency, User
from thudo.exchange import facade as exchange
from thudo.reporting import analytics
from thudo.reporting import periods as pe
from thudo.reporting.contracts import ValueStatus
from thudo.reporting.models import ExportDelivery, ExportMapping

logger = logging.getLogger("thudo.reporting")

PURPOSE = "Báo cáo Chính phủ theo Nghị định 09/2019/NĐ-CP"
SUBMISSIONS = "/submissions"
JSON_TYPE = "application/json"
SDMX_TYPE = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
FORMATS = {"json": JSON_TYPE, "sdmx": SDMX_TYPE}
JSON_VERSION = 1
RESPONSE_MAX = 2000

STRUCTURE = ("VPCP", "BCCP_DATA", "1.0")  # maintainer, id, version: as the receiver publishes
OBS_STATUS = {
    ValueStatus.APPROVED: "A",  # SDMX CL_OBS_STATUS: normal value
    ValueStatus.PROVISIONAL: "P",
    # Computed from the platform's own records, not estimated (E): a normal value.
    ValueStatus.MEASURED: "A",
}
_SDMX_ID = re.compile(r"[^A-Za-z0-9_@$-]")

Values = list[dict[str, str]]


def service_of(recipient: str) -> str | None:
    """The hub service (``<provider system>/<service code>``) of a receiving system."""
    services: dict[str, str] = settings.REPORTING_EXPORT_SERVICES
    return services.get(recipient)


def payload(recipient: str, period: str, unit: Agency) -> Values:
    """The mapped indicators' values of the unit for the period, by the receiver's code."""
    codes = dict(
        ExportMapping.objects.filter(recipient=recipient).values_list(
            "indicator__code", "external_code"
        )
    )
    if not codes:
        return []
    result = analytics.run(
        analytics.parse_request(dx=list(codes), pe_codes=[period], ou=[unit.code])
    )
    rows = [
        {
            "external_code": codes[cell.dx],
            "value": format(cell.value, "f"),
            "status": cell.status.value,
            "period": cell.pe,
            "unit": cell.ou,
        }
        for cell in result.rows
    ]
    return sorted(rows, key=lambda row: (row["external_code"], row["unit"]))


def to_json(
    values: Sequence[dict[str, str]],
    *,
    recipient: str,
    period: str,
    unit: Agency,
    generated_at: datetime,
) -> bytes:
    """The JSON document (version 1, see the module's docstring), UTF-8."""
    document = {
        "version": JSON_VERSION,
        "recipient": recipient,
        "sender": unit.code,
        "sender_name": unit.name,
        "period": period,
        "generated_at": timezone.localtime(generated_at).isoformat(),
        "values": [dict(v) for v in values],
    }
    return json.dumps(document, ensure_ascii=False).encode()


def sdmx_period(code: str) -> str:
    """A Decree 09 period code in SDMX time format: 2026M03 → 2026-03, 2026Q1 → 2026-Q1,
    2026S1 → 2026-S1, 2026 → 2026; nine months, which SDMX has no reporting period for,
    as the time range 2026-01-01/P9M (from its first day, nine months)."""
    period = pe.parse(code)
    kind, year = period.type, period.year
    if kind is pe.PeriodType.MONTHLY:
        return f"{year}-{period.first_month:02d}"
    if kind is pe.PeriodType.QUARTERLY:
        return f"{year}-Q{(period.first_month - 1) // 3 + 1}"
    if kind is pe.PeriodType.SIX_MONTHLY:
        return f"{year}-S{1 if period.first_month == 1 else 2}"
    if kind is pe.PeriodType.NINE_MONTH:
        return f"{year}-01-01/P9M"
    return str(year)


def _sdmx_id(text: str) -> str:
    # SDMX identifiers take no dots: the sender 000.01.50.H26 is named 000-01-50-H26 in the
    # header (REF_AREA carries the code itself).
    return _SDMX_ID.sub("-", text)


def structure() -> Any:
    """The receiver's data structure definition, as sdmx1 model objects."""
    # sdmx1 pulls in pandas (over a second): imported only when a document is built.
    from sdmx.model import common, v21

    maintainer, structure_id, version = STRUCTURE
    dsd = v21.DataStructureDefinition(
        id=structure_id, maintainer=common.Agency(id=maintainer), version=version
    )
    dsd.dimensions.getdefault("INDICATOR")
    dsd.dimensions.getdefault("REF_AREA")
    dsd.dimensions.getdefault("TIME_PERIOD", cls=v21.TimeDimension)
    dsd.measures.getdefault("OBS_VALUE")
    dsd.attributes.getdefault("OBS_STATUS", related_to=v21.PrimaryMeasureRelationship())
    return dsd


def to_sdmx(
    values: Sequence[dict[str, str]],
    *,
    recipient: str,
    period: str,
    unit: Agency,
    generated_at: datetime,
    message_id: str | None = None,
) -> bytes:
    """The SDMX-ML 2.1 StructureSpecificData message (see the module's docstring)."""
    import sdmx
    from sdmx import message
    from sdmx.model import common, v21

    dsd = structure()
    measure = dsd.measures.get("OBS_VALUE")
    status = dsd.attributes.get("OBS_STATUS")
    dataset = v21.StructureSpecificDataSet(structured_by=dsd)
    for row in values:
        key = dsd.make_key(
            v21.SeriesKey, {"INDICATOR": row["external_code"], "REF_AREA": row["unit"]}
        )
        observation = v21.Observation(
            series_key=key,
            dimension=dsd.make_key(common.Key, {"TIME_PERIOD": sdmx_period(row["period"])}),
            value_for=measure,
            value=row["value"],
            attached_attribute={
                "OBS_STATUS": common.AttributeValue(
                    value_for=status, value=OBS_STATUS[ValueStatus(row["status"])]
                )
            },
        )
        dataset.add_obs([observation], series_key=key)
    header = message.Header(
        id=message_id or f"THUDO-{uuid.uuid4().hex}",
        prepared=timezone.localtime(generated_at),
        sender=common.Agency(id=_sdmx_id(unit.code), name={"vi": unit.name}),
        receiver=common.Agency(id=_sdmx_id(recipient.upper())),
    )
    document = message.DataMessage(
        header=header, data=[dataset], observation_dimension=dsd.dimensions.get("TIME_PERIOD")
    )
    return bytes(sdmx.to_xml(document, pretty_print=True))


def push(
    *, actor: User | None, recipient: str, period: str, unit: Agency, fmt: str
) -> ExportDelivery:
    """Send the unit's mapped values for the period to the receiver and log the delivery.

    The caller has checked permission and input (``services.export_push``). A failure of
    the hub or a refusal of the receiver is not raised: the delivery is logged as failed,
    with what the hub or receiver said, and returned for the caller to show. Runs outside
    any transaction, so no lock is held while the hub answers."""
    service = service_of(recipient)
    if service is None:
        raise invalid("recipient", "recipient_unknown", _("Không có hệ thống nhận này."))
    if fmt not in FORMATS:
        raise invalid("fmt", "format_unknown", _("Định dạng phải là json hoặc sdmx."))
    values = payload(recipient, period, unit)
    if not values:
        raise invalid(
            "period",
            "nothing_to_export",
            _("Đơn vị chưa có số liệu của chỉ số nào đã ánh xạ cho kỳ %(p)s.") % {"p": period},
        )
    generated_at = timezone.now()
    build = to_json if fmt == "json" else to_sdmx
    body = build(values, recipient=recipient, period=period, unit=unit, generated_at=generated_at)
    digest = hashlib.sha256(body).hexdigest()
    try:
        answer = exchange.call(
            service,
            SUBMISSIONS,
            purpose=PURPOSE,
            method="POST",
            body=body,
            content_type=FORMATS[fmt],
        )
    except exchange.ExchangeError as exc:
        delivered = False
        response = f"{exc.code or 'exchange_error'} ({exc.status or '-'}): {exc}"
    else:
        delivered = answer.status in (200, 201, 202)
        text = answer.body.decode("utf-8", "replace")
        response = text if delivered else f"HTTP {answer.status}: {text}"
    if not delivered:
        logger.warning(
            "export to %s of %s/%s failed: %s", recipient, unit.code, period, response[:300]
        )
    with transaction.atomic():
        delivery = ExportDelivery.objects.create(
            recipient=recipient,
            period=period,
            unit=unit,
            format=fmt,
            status=ExportDelivery.Status.DELIVERED if delivered else ExportDelivery.Status.FAILED,
            values=len(values),
            digest=digest,
            response=response[:RESPONSE_MAX],
            actor=actor,
            at=timezone.now(),
        )
        audit.record(
            action="reporting.export.push",
            actor=actor,
            agency=unit,
            object_type="reporting.export",
            object_id=f"{recipient}/{unit.code}/{period}",
            purpose=PURPOSE,
            payload={
                "delivery": delivery.pk,
                "status": delivery.status,
                "format": fmt,
                "values": len(values),
                "digest": digest,
            },
        )
    return delivery
