"""Test data of the reporting module: a monthly form of two wards of the small city,
received by a department, with a disaggregated element, a percentage, a stock figure
("last"), an average, a measured element and an indicator over them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from thudo.core.models import Role, User
from thudo.core.tests.factories import City, official
from thudo.reporting import services
from thudo.reporting.models import Form

PERIOD = "2026M03"

DOCUMENT: dict[str, Any] = {
    "version": 1,
    "categories": [
        {"code": "GIOITINH", "name": "Giới tính",
         "options": [{"code": "NAM", "name": "Nam"}, {"code": "NU", "name": "Nữ"}]},
    ],
    "data_elements": [
        {"code": "DN_MOI", "name": "Số doanh nghiệp thành lập mới",
         "value_type": "positive_integer", "aggregation_type": "sum", "unit_label": "doanh nghiệp"},
        {"code": "LAO_DONG", "name": "Số lao động được tạo việc làm",
         "value_type": "positive_integer", "aggregation_type": "sum", "unit_label": "người",
         "categories": ["GIOITINH"]},
        {"code": "DN_HOATDONG", "name": "Số doanh nghiệp đang hoạt động",
         "value_type": "positive_integer", "aggregation_type": "last",
         "unit_label": "doanh nghiệp"},
        {"code": "TY_LE_THU", "name": "Tỷ lệ thu thuế đúng hạn", "value_type": "percentage",
         "aggregation_type": "average", "unit_label": "%"},
        {"code": "THU_NGAN_SACH", "name": "Thu ngân sách trên địa bàn", "value_type": "number",
         "aggregation_type": "sum", "unit_label": "triệu đồng", "min_value": "0",
         "max_value": "1000000"},
        {"code": "HS_TIEPNHAN", "name": "Hồ sơ thủ tục hành chính tiếp nhận",
         "value_type": "positive_integer", "aggregation_type": "sum", "unit_label": "hồ sơ",
         "metric_code": "procedures.received"},
    ],
    "indicator_groups": [{"code": "KT", "name": "Kinh tế"}],
    "indicators": [
        {"code": "TL_DN_MOI", "name": "Tỷ lệ doanh nghiệp mới trên doanh nghiệp hoạt động",
         "numerator": "#{DN_MOI}", "denominator": "#{DN_HOATDONG}", "factor": "100",
         "decimals": 2, "unit_label": "%", "groups": ["KT"]},
        {"code": "TL_LD_NU", "name": "Tỷ lệ lao động nữ được tạo việc làm",
         "numerator": "#{LAO_DONG.NU}", "denominator": "#{LAO_DONG}", "factor": "100",
         "decimals": 1, "unit_label": "%", "groups": ["KT"]},
    ],
    "forms": [],  # filled in by the fixture: it needs the city's agency codes
}  # fmt: skip


@dataclass
class Reporting:
    city: City
    form: Form
    clerk_a: User  # enters commune A's data
    leader_a: User  # approves it
    clerk_b: User
    leader_b: User
    head_justice: User  # the recipient department approves the city's aggregate


def document(city: City, *, requires_acceptance: bool = False) -> dict[str, Any]:
    form = {
        "code": "BC01-KT",
        "name": "Báo cáo tình hình kinh tế - xã hội hằng tháng",
        "period_type": "monthly",
        "deadline_days": 2,
        "recipient": city.justice.code,
        "units": [city.commune_a.code, city.commune_b.code],
        "requires_acceptance": requires_acceptance,
        "sections": [
            {"name": "Doanh nghiệp", "elements": ["DN_MOI", "DN_HOATDONG"]},
            {"name": "Lao động, thu ngân sách",
             "elements": ["LAO_DONG", "TY_LE_THU", "THU_NGAN_SACH", "HS_TIEPNHAN"]},
        ],
        "rules": [
            {"code": "R1", "name": "Doanh nghiệp mới không vượt số đang hoạt động",
             "left": "#{DN_MOI}", "operator": "<=", "right": "#{DN_HOATDONG}",
             "importance": "high"},
        ],
    }  # fmt: skip
    return {**DOCUMENT, "forms": [form]}


def build(city: City, *, requires_acceptance: bool = False) -> Reporting:
    services.metadata_import(
        actor=None, document=document(city, requires_acceptance=requires_acceptance)
    )
    return Reporting(
        city=city,
        form=Form.objects.get(code="BC01-KT"),
        clerk_a=official(city.commune_a, role=Role.SPECIALIST, username="thongke.a"),
        leader_a=official(city.commune_a, role=Role.LEADER, username="chutich.a"),
        clerk_b=official(city.commune_b, role=Role.SPECIALIST, username="thongke.b"),
        leader_b=official(city.commune_b, role=Role.LEADER, username="chutich.b"),
        head_justice=official(city.justice, role=Role.HEAD, username="truongphong.stp"),
    )


@pytest.fixture
def reporting(city: City) -> Reporting:
    return build(city)
