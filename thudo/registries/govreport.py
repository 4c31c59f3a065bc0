"""The Government reporting information system (Hệ thống thông tin báo cáo Chính phủ) of
the Government Office, simulated: provinces push their reports to it under Decree
09/2019/NĐ-CP through the exchange hub, as JSON or as SDMX-ML 2.1 structure-specific data.

It checks a report as the real system would before accepting it, and answers with a
receipt: the SHA-256 of the document exactly as it arrived, and the number of values.
Nothing is kept; the sender's delivery log holds the same digest.

The SDMX structure is the one this system publishes (``BCCP_DATA``, Government Office,
1.0): series keyed by INDICATOR (its indicator code) and REF_AREA (the agency code of the
reporting unit), observations at TIME_PERIOD in SDMX time format with OBS_VALUE and
OBS_STATUS (SDMX's CL_OBS_STATUS codes).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _
from pydantic import ValidationError

from thudo.core import problems
from thudo.core.errors import FieldError, InvalidInput
from thudo.core.identifiers import IdentifierError, check_agency_code
from thudo.registries import schemas
from thudo.registries.contracts import PayloadTooLarge, UnsupportedMediaType

logger = logging.getLogger("thudo.registries")

MAX_BYTES = 2 * 1024 * 1024  # under Django's 2.5 MB limit of request bodies
JSON_TYPES = ("application/json",)
SDMX_TYPE = "application/vnd.sdmx.structurespecificdata+xml"
SDMX_TYPES = (SDMX_TYPE, "application/xml", "text/xml")

STRUCTURE = ("VPCP", "BCCP_DATA", "1.0")  # maintainer, id, version
SERIES_DIMENSIONS = ("INDICATOR", "REF_AREA")
# The forms of TIME_PERIOD a Decree 09 period takes: year, month, quarter, half, nine months.
TIME_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4]|-S[12]|-01-01/P9M)?$")
OBS_STATUSES = {"A", "P", "E", "F"}  # normal, provisional, estimated, forecast


@dataclass(frozen=True)
class Receipt:
    receipt: str
    values: int


def receive(body: bytes, media_type: str) -> Receipt:
    """Check a report and give its receipt; InvalidInput names what is wrong in it."""
    if len(body) > MAX_BYTES:
        raise PayloadTooLarge()
    if media_type in JSON_TYPES:
        count = json_values(body)
    elif media_type in SDMX_TYPES:
        count = sdmx_values(body)
    else:
        raise UnsupportedMediaType()
    return Receipt(receipt=hashlib.sha256(body).hexdigest(), values=count)


def _invalid(errors: list[FieldError]) -> InvalidInput:
    return InvalidInput(_("Báo cáo không hợp lệ."), field_errors=errors[:50])


def json_values(body: bytes) -> int:
    try:
        document = schemas.SubmissionIn.model_validate_json(body)
    except ValidationError as exc:
        raise _invalid(problems.field_errors_from_pydantic(exc.errors())) from None
    seen: set[tuple[str, str, str]] = set()
    errors = []
    for index, value in enumerate(document.values):
        key = (value.external_code, value.period, value.unit)
        if key in seen:
            message = _("Chỉ tiêu %(code)s có hai giá trị cho cùng kỳ và đơn vị.") % {
                "code": value.external_code
            }
            errors.append(FieldError(f"values.{index}", "duplicate_value", message))
        seen.add(key)
    if errors:
        raise _invalid(errors)
    return len(document.values)


def structure() -> Any:
    """The data structure definition this system publishes."""
    # sdmx1 pulls in pandas (over a second): imported only when a report is read.
    from sdmx.model import common, v21

    maintainer, structure_id, version = STRUCTURE
    dsd = v21.DataStructureDefinition(
        id=structure_id, maintainer=common.Agency(id=maintainer), version=version
    )
    for dimension in SERIES_DIMENSIONS:
        dsd.dimensions.getdefault(dimension)
    dsd.dimensions.getdefault("TIME_PERIOD", cls=v21.TimeDimension)
    dsd.measures.getdefault("OBS_VALUE")
    dsd.attributes.getdefault("OBS_STATUS", related_to=v21.PrimaryMeasureRelationship())
    return dsd


def _safe_xml(body: bytes) -> None:
    """What arrives is hostile until parsed: no DTD, entity or external reference reaches
    the SDMX reader (no XXE, no billion laughs)."""
    try:
        SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise _invalid([FieldError("body", "xml_forbidden", _("XML có cấu trúc bị cấm."))]) from exc
    except (SafeET.ParseError, LookupError, ValueError) as exc:
        raise _invalid([FieldError("body", "xml_malformed", _("XML không hợp lệ."))]) from exc


def sdmx_values(body: bytes) -> int:
    import sdmx
    from sdmx.message import DataMessage

    _safe_xml(body)
    try:
        message = sdmx.read_sdmx(io.BytesIO(body), structure=structure())
    except Exception as exc:  # the reader raises many kinds for documents it cannot read
        logger.info("govreport: unreadable SDMX-ML: %s", exc)
        raise _invalid(
            [FieldError("body", "sdmx_invalid", _("Không đọc được dữ liệu SDMX-ML 2.1."))]
        ) from None
    if not isinstance(message, DataMessage) or not message.data:
        raise _invalid([FieldError("body", "sdmx_no_data", _("Không có tập dữ liệu (DataSet)."))])
    errors: list[FieldError] = []
    seen: set[tuple[str, ...]] = set()
    count = 0
    for ds_index, dataset in enumerate(message.data):
        for s_index, (key, observations) in enumerate(dataset.series.items()):
            where = f"data.{ds_index}.series.{s_index}"
            dims = {name: str(kv.value) for name, kv in key.values.items()}
            errors += _series_errors(where, dims)
            for o_index, obs in enumerate(observations):
                count += 1
                found = _observation_errors(f"{where}.obs.{o_index}", obs)
                errors += found
                period = str(obs.dimension.values["TIME_PERIOD"].value) if not found else ""
                point = (*(dims.get(d, "") for d in SERIES_DIMENSIONS), period)
                if not found and point in seen:
                    errors.append(
                        FieldError(
                            f"{where}.obs.{o_index}",
                            "duplicate_value",
                            _("Giá trị lặp lại cho cùng chỉ tiêu, đơn vị và kỳ."),
                        )
                    )
                seen.add(point)
        if dataset.obs and not dataset.series:
            errors.append(
                FieldError(
                    f"data.{ds_index}",
                    "sdmx_not_series",
                    _("Quan sát phải nằm trong chuỗi (Series)."),
                )
            )
    if not count and not errors:
        errors.append(FieldError("body", "sdmx_no_data", _("Không có giá trị nào.")))
    if errors:
        raise _invalid(errors)
    return count


def _series_errors(where: str, dims: dict[str, str]) -> list[FieldError]:
    errors = []
    for name in SERIES_DIMENSIONS:
        if not dims.get(name):
            errors.append(
                FieldError(f"{where}.{name}", "missing", _("Thiếu chiều %(d)s.") % {"d": name})
            )
    if dims.get("REF_AREA"):
        try:
            check_agency_code(dims["REF_AREA"])
        except IdentifierError as exc:
            errors.append(FieldError(f"{where}.REF_AREA", exc.code, str(exc.message)))
    return errors


def _observation_errors(where: str, obs: Any) -> list[FieldError]:
    errors = []
    dimension = obs.dimension.values.get("TIME_PERIOD") if obs.dimension else None
    if dimension is None or not TIME_PERIOD.fullmatch(str(dimension.value)):
        errors.append(
            FieldError(
                f"{where}.TIME_PERIOD",
                "time_period_invalid",
                _("Kỳ (TIME_PERIOD) không đúng định dạng SDMX."),
            )
        )
    try:
        number = Decimal(str(obs.value)) if obs.value is not None else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors.append(
            FieldError(
                f"{where}.OBS_VALUE", "value_invalid", _("Giá trị (OBS_VALUE) phải là một số.")
            )
        )
    status = obs.attached_attribute.get("OBS_STATUS")
    if status is None or str(status.value) not in OBS_STATUSES:
        errors.append(
            FieldError(
                f"{where}.OBS_STATUS",
                "obs_status_invalid",
                _("Tình trạng (OBS_STATUS) phải là A, P, E hoặc F."),
            )
        )
    return errors
