"""Test data of the DTI module: a small framework for wards with every scoring method and
a measured sub-index, the small city's two wards in a round, a standing body (the
Department of Science and Technology) and a council of 13."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from thudo.core.models import Agency, Role, User
from thudo.core.tests.factories import City, agency, official
from thudo.dti import frameworks, services
from thudo.dti.contracts import CouncilRole
from thudo.dti.models import CouncilMember, Framework, Round, RoundUnit

YEAR = 2026

DOCUMENT: dict[str, Any] = {
    "code": "TEST-XA",
    "year": YEAR,
    "name": "Bộ chỉ số chuyển đổi số cấp xã (thử nghiệm)",
    "applies_to": ["commune_committee"],
    "peer_group": "Xã, phường",
    "sample": True,
    "groups": [
        {"code": "A", "name": "Nền tảng", "indices": [
            {"code": "1", "name": "Nhận thức số", "max_points": 30, "sub_indices": [
                {"code": "1.1", "name": "Ban hành kế hoạch chuyển đổi số năm",
                 "max_points": 10, "method": "yes_no", "evidence": "required"},
                {"code": "1.2", "name": "Tuyên truyền về chuyển đổi số",
                 "max_points": 20, "method": "manual", "evidence": "optional"},
            ]},
        ]},
        {"code": "B", "name": "Hoạt động", "indices": [
            {"code": "2", "name": "Chính quyền số", "max_points": 70, "sub_indices": [
                {"code": "2.1", "name": "Tỷ lệ hồ sơ trực tuyến toàn trình",
                 "max_points": 30, "method": "tiers", "tiers": [[80, 30], [50, 20], [20, 10]],
                 "evidence": "none",
                 "measure": {"source": "ratio:procedures.fully_online/procedures.received",
                             "tolerance": 5}},
                {"code": "2.2", "name": "Tỷ lệ văn bản đi được ký số",
                 "max_points": 40, "method": "ratio", "target": 90, "evidence": "none",
                 "measure": {"source": "metric:test.signed_share", "tolerance": 5}},
            ]},
        ]},
    ],
}  # fmt: skip


@dataclass
class Dti:
    city: City
    framework: Framework
    round: Round
    standing_body: Agency
    standing_head: User  # opens, closes, publishes
    assessor_a: User  # fills ward A's self-assessment
    leader_a: User  # approves and submits it, appeals
    assessor_b: User
    leader_b: User
    council: list[CouncilMember] = field(default_factory=list)  # 13, the chair first

    @property
    def unit_a(self) -> RoundUnit:
        return RoundUnit.objects.get(round=self.round, agency=self.city.commune_a)

    @property
    def unit_b(self) -> RoundUnit:
        return RoundUnit.objects.get(round=self.round, agency=self.city.commune_b)

    @property
    def chair(self) -> CouncilMember:
        return self.council[0]

    def members(self, n: int) -> list[int]:
        """Ids of the first ``n`` members."""
        return [m.pk for m in self.council[:n]]


def register_test_metric(value: Decimal = Decimal("72.5")) -> None:
    """A metric the framework's 2.2 is bound to, with a fixed value per ward."""
    from thudo.core import metrics

    def compute(period: metrics.Period, org_unit: str | None) -> tuple[Decimal, str]:
        return value, f"test: {org_unit} {period.code}"

    metrics._registry["test.signed_share"] = metrics.MetricProvider(
        "test.signed_share", "Tỷ lệ văn bản ký số (thử)", "%", "", "tests", compute
    )


def build(*, open_round: bool = True) -> Dti:
    city = City()
    standing_body = agency(
        "000.00.18.H26", "Sở Khoa học và Công nghệ", unit=city.hanoi, parent=city.city_pc
    )
    head = official(standing_body, role=Role.HEAD, username="dti.head")
    register_test_metric()
    framework = services.framework_import(
        actor=None, parsed=frameworks.parse_document(DOCUMENT)
    ).framework
    round_ = services.round_create(
        actor=head,
        framework=framework,
        year=YEAR,
        name="Đánh giá chuyển đổi số cấp xã năm 2026",
        standing_body=standing_body,
    )
    seats = [services.Seat("city.leader", CouncilRole.CHAIR, "Phó Chủ tịch UBND Thành phố")]
    official(city.city_pc, role=Role.LEADER, username="council.vice")
    seats.append(services.Seat("council.vice", CouncilRole.VICE_CHAIR))
    seats.append(services.Seat("dti.head", CouncilRole.STANDING))
    for n in range(10):
        official(standing_body, role=Role.SPECIALIST, username=f"council.{n}")
        seats.append(services.Seat(f"council.{n}", CouncilRole.MEMBER))
    council = services.council_set(actor=head, round_=round_, seats=seats)
    if open_round:
        round_ = services.round_open(actor=head, round_=round_)
    return Dti(
        city=city,
        framework=framework,
        round=round_,
        standing_body=standing_body,
        standing_head=head,
        assessor_a=official(city.commune_a, role=Role.SPECIALIST, username="assessor.a"),
        leader_a=official(city.commune_a, role=Role.LEADER, username="leader.a"),
        assessor_b=official(city.commune_b, role=Role.SPECIALIST, username="assessor.b"),
        leader_b=official(city.commune_b, role=Role.LEADER, username="leader.b"),
        council=council,
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fill(dti: Dti, unit: RoundUnit, actor: User, *, online: str = "85", signed: str = "72") -> None:
    """A complete self-assessment: every sub-index scored, required evidence attached."""
    services.score_save(actor=actor, unit=unit, code="1.1", value="yes")
    services.evidence_add(actor=actor, unit=unit, code="1.1", name="ke-hoach.pdf", content=PDF)
    services.score_save(actor=actor, unit=unit, code="1.2", points="15", explanation="12 tin bài")
    services.score_save(actor=actor, unit=unit, code="2.1", value=online)
    services.score_save(actor=actor, unit=unit, code="2.2", value=signed)


def submit(dti: Dti, unit: RoundUnit, assessor: User, leader: User) -> RoundUnit:
    fill(dti, unit, assessor)
    services.unit_send(actor=assessor, unit=unit)
    return services.unit_approve(actor=leader, unit=unit)


@pytest.fixture
def dti(db: Any) -> Dti:
    return build()


# --- helpers of the service and results tests (appended) -----------------------------------


def on(day: Any) -> Any:
    """The DTI services' today is ``day`` (deadlines in working days count from it)."""
    from unittest import mock

    return mock.patch("thudo.dti.services._today", return_value=day)


def close(dti: Dti) -> Round:
    """Self-assessment ends; the council appraises."""
    return services.round_close(actor=dti.standing_head, round_=dti.round)


def decide(
    dti: Dti, unit: RoundUnit, *, members: int = 7, points: dict[str, str] | None = None
) -> Any:
    """The council's decision, recorded by its chair with ``members`` taking part."""
    return services.decision_record(
        actor=dti.chair.user,
        unit=unit,
        participants=dti.members(members),
        agreed=[],
        points=points,
    )


def variant(code: str, **changes: Any) -> Framework:
    """The test framework under another code (and other top-level fields), imported."""
    import copy

    document = copy.deepcopy(DOCUMENT)
    document.update(code=code, **changes)
    return services.framework_import(
        actor=None, parsed=frameworks.parse_document(document)
    ).framework
