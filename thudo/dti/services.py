"""Writes of the DTI module: frameworks, rounds, self-assessment, the council, appeals.

Each service checks one permission, changes rows in one transaction and records the
change in the audit chain in that same transaction. Scores are locked by state: a unit's
self-assessment is editable only while it is a draft of an open round; the council's
decision fixes the final points; after the appeal (or its deadline) a unit is final and
nothing of it changes again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from thudo.core import audit
from thudo.core.calendar import get_calendar
from thudo.core.errors import Conflict, FieldError, InvalidInput, NotFound, invalid
from thudo.core.models import Agency, User
from thudo.dti import bulk, measure, permissions, scoring
from thudo.dti import frameworks as fw
from thudo.dti.contracts import CouncilRole, Level, Method, ReviewVerdict, RoundStatus
from thudo.dti.contracts import UnitStatus as U
from thudo.dti.models import (
    Appeal,
    CouncilMember,
    Decision,
    Evidence,
    Framework,
    Node,
    Review,
    Round,
    RoundUnit,
    Score,
)

EVIDENCE_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
EDITABLE = (U.DRAFT,)


def _quorum() -> Decimal:
    return scoring.quorum_share()


def _today() -> Any:
    return timezone.localdate()


def _audit(
    action: str, actor: User | None, agency: Agency | None, obj: Any, **payload: Any
) -> None:
    audit.record(
        action=f"dti.{action}",
        actor=actor,
        agency=agency,
        object_type=f"dti.{type(obj).__name__.lower()}",
        object_id=obj.pk,
        payload=payload,
    )


def _locked_unit(unit: RoundUnit) -> RoundUnit:
    return (
        RoundUnit.objects.select_for_update(of=("self",))
        .select_related("round", "agency")
        .get(pk=unit.pk)
    )


# --- frameworks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    framework: Framework
    created: bool


def framework_import(*, actor: User | None, parsed: fw.Parsed) -> Imported:
    """A checked framework stored as a new version when it differs from the latest of its
    code and year (rounds keep the version they were opened with); unchanged → nothing."""
    permissions.require(permissions.framework_import(actor))
    digest = parsed.digest()
    with transaction.atomic():
        latest = (
            Framework.objects.select_for_update()
            .filter(code=parsed.code, year=parsed.year)
            .order_by("-version")
            .first()
        )
        if latest is not None and latest.digest == digest:
            return Imported(latest, False)
        framework = Framework.objects.create(
            code=parsed.code,
            year=parsed.year,
            version=(latest.version + 1) if latest else 1,
            name=parsed.name,
            legal_basis=parsed.legal_basis,
            applies_to=parsed.applies_to,
            peer_group=parsed.peer_group,
            sample=parsed.sample,
            note=parsed.note,
            max_points=parsed.max_points,
            digest=digest,
            document=parsed.document(),
        )
        position = 0
        nodes: list[Node] = []
        for group in parsed.groups:
            position += 1
            g = Node(
                framework=framework,
                level=Level.GROUP,
                code=group.code,
                name=group.name,
                position=position,
            )
            g.max_points = sum((i.max_points for i in group.indices), Decimal(0))
            g.save()
            for index in group.indices:
                position += 1
                i = Node.objects.create(
                    framework=framework,
                    parent=g,
                    level=Level.INDEX,
                    code=index.code,
                    name=index.name,
                    position=position,
                    max_points=index.max_points,
                )
                for sub in index.subs:
                    position += 1
                    nodes.append(
                        Node(
                            framework=framework,
                            parent=i,
                            level=Level.SUB,
                            code=sub.code,
                            name=sub.name,
                            position=position,
                            max_points=sub.max_points,
                            method=sub.method,
                            target=sub.target,
                            tiers=sub.tiers,
                            value_unit=sub.unit,
                            evidence=sub.evidence,
                            applies_to=sub.applies_to,
                            measure_source=sub.measure,
                            tolerance=sub.tolerance,
                            guidance=sub.guidance,
                        )
                    )
        Node.objects.bulk_create(nodes)
        _audit(
            "framework_imported",
            actor,
            None,
            framework,
            code=framework.code,
            year=framework.year,
            version=framework.version,
            digest=digest,
        )
    return Imported(framework, True)


def framework_import_document(*, actor: User | None, document: Any) -> Imported:
    """:func:`framework_import` of a document as received (JSON, or loaded YAML): who may
    not import learns that before anything about the document."""
    permissions.require(permissions.framework_import_document(actor))
    return framework_import(actor=actor, parsed=fw.parse_document(document))


# --- rounds ---------------------------------------------------------------------------------


def round_create(
    *,
    actor: User | None,
    framework: Framework,
    year: int,
    name: str,
    standing_body: Agency,
    unit_codes: Sequence[str] | None = None,
    self_deadline_days: int = 20,
    appeal_days: int = 5,
) -> Round:
    """A round of ``framework`` for ``year`` over the units in scope: the given agencies,
    or every active agency of the kinds the framework applies to."""
    permissions.require(permissions.round_create(actor, standing_body))
    name = (name or "").strip()
    if not name:
        raise invalid("name", "required", _("Cần tên đợt đánh giá."))
    if not 0 < self_deadline_days <= 120:
        raise invalid(
            "self_deadline_days", "range", _("Thời hạn tự đánh giá: 1–120 ngày làm việc.")
        )
    if not 0 < appeal_days <= 30:
        raise invalid("appeal_days", "range", _("Thời hạn kiến nghị: 1–30 ngày làm việc."))
    if unit_codes is not None:
        units = list(Agency.objects.filter(code__in=unit_codes, is_active=True))
        missing = sorted(set(unit_codes) - {a.code for a in units})
        if missing:
            raise invalid(
                "units", "unknown", _("Không có cơ quan: %(c)s.") % {"c": ", ".join(missing)}
            )
        outside = [
            a.code for a in units if framework.applies_to and a.kind not in framework.applies_to
        ]
        if outside:
            raise invalid(
                "units",
                "out_of_scope",
                _("Bộ chỉ số không áp dụng cho: %(c)s.") % {"c": ", ".join(outside)},
            )
    else:
        units = list(Agency.objects.filter(kind__in=framework.applies_to, is_active=True))
    if not units:
        raise invalid("units", "empty", _("Đợt đánh giá không có đơn vị nào."))
    with transaction.atomic():
        if Round.objects.filter(framework__code=framework.code, year=year).exists():
            raise Conflict(_("Đã có đợt đánh giá năm %(y)s cho bộ chỉ số này.") % {"y": year})
        round_ = Round.objects.create(
            framework=framework,
            year=year,
            name=name,
            standing_body=standing_body,
            self_deadline_days=self_deadline_days,
            appeal_days=appeal_days,
        )
        maxima = _unit_max(framework)
        RoundUnit.objects.bulk_create(
            RoundUnit(round=round_, agency=a, max_points=maxima(a.kind)) for a in units
        )
        _audit("round_created", actor, standing_body, round_, year=year, units=len(units))
    return round_


def _unit_max(framework: Framework) -> Any:
    """kind → the maximum a unit of that kind can score (its applicable sub-indices)."""
    subs = list(
        Node.objects.filter(framework=framework, level=Level.SUB).select_related("framework")
    )
    cache: dict[str, Decimal] = {}

    def maximum(kind: str) -> Decimal:
        if kind not in cache:
            cache[kind] = sum((n.max_points for n in subs if n.applies(kind)), Decimal(0))
        return cache[kind]

    return maximum


@dataclass(frozen=True)
class Seat:
    username: str
    role: str = CouncilRole.MEMBER.value
    title: str = ""


def council_set(*, actor: User | None, round_: Round, seats: Sequence[Seat]) -> list[CouncilMember]:
    """The council of the round (replaces the list while no member has reviewed)."""
    permissions.require(permissions.council_set(actor, round_))
    if not seats:
        raise invalid("members", "empty", _("Hội đồng cần ít nhất một thành viên."))
    roles = Counter(s.role for s in seats)
    if any(r not in {c.value for c in CouncilRole} for r in roles):
        raise invalid("members", "unknown_role", _("Vai trò trong hội đồng không đúng."))
    if roles[CouncilRole.CHAIR] != 1:
        raise invalid("members", "one_chair", _("Hội đồng có đúng một Chủ tịch."))
    names = [s.username for s in seats]
    if len(set(names)) != len(names):
        raise invalid("members", "duplicate", _("Một người chỉ ngồi một ghế trong hội đồng."))
    users = {
        u.username: u for u in User.objects.filter(username__in=names, kind=User.Kind.OFFICIAL)
    }
    missing = [n for n in names if n not in users]
    if missing:
        raise invalid(
            "members", "unknown_official", _("Không có cán bộ: %(u)s.") % {"u": ", ".join(missing)}
        )
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if (
            locked.status == RoundStatus.PUBLISHED
            or Review.objects.filter(member__round=locked).exists()
        ):
            raise Conflict(_("Hội đồng đã làm việc: không thay đổi thành phần được nữa."))
        CouncilMember.objects.filter(round=locked).delete()
        CouncilMember.objects.bulk_create(
            CouncilMember(
                round=locked, user=users[s.username], role=s.role, title=s.title[:255], position=n
            )
            for n, s in enumerate(seats)
        )
        _audit("council_set", actor, locked.standing_body, locked, members=names)
    return list(CouncilMember.objects.filter(round=round_))


def round_open(*, actor: User | None, round_: Round) -> Round:
    """Self-assessment starts: a score row per unit and applicable sub-index, the deadline
    in working days, the platform's measured values filled in."""
    permissions.require(permissions.round_open(actor, round_))
    with transaction.atomic():
        locked = Round.objects.select_for_update().select_related("framework").get(pk=round_.pk)
        if locked.status != RoundStatus.DRAFT:
            raise Conflict(_("Đợt đánh giá đã mở."))
        subs = list(
            Node.objects.filter(framework=locked.framework, level=Level.SUB).select_related(
                "framework"
            )
        )
        rows: list[Score] = []
        for unit in RoundUnit.objects.filter(round=locked).select_related("agency"):
            rows.extend(Score(unit=unit, node=n) for n in subs if n.applies(unit.agency.kind))
        Score.objects.bulk_create(rows, batch_size=2000)
        locked.status = RoundStatus.OPEN
        locked.opened_at = timezone.now()
        locked.self_deadline = get_calendar().add_working_days(_today(), locked.self_deadline_days)
        locked.save(update_fields=["status", "opened_at", "self_deadline"])
        _audit(
            "round_opened", actor, locked.standing_body, locked, deadline=str(locked.self_deadline)
        )
    measured_refresh(actor=actor, round_=locked)
    return locked


def measured_refresh(*, actor: User | None, round_: Round, unit: RoundUnit | None = None) -> int:
    """The platform's own figure for every measured sub-index (of one unit or all), with
    its lineage; a self-value further from it than the tolerance is flagged. Final units
    are not touched. Returns how many values were measured."""
    permissions.require(permissions.measured_refresh(actor, round_))
    from thudo.core import metrics

    scores = (
        Score.objects.filter(unit__round=round_)
        .exclude(node__measure_source="")
        .exclude(unit__status=U.FINAL)
        .select_related("node", "unit__agency")
    )
    if unit is not None:
        scores = scores.filter(unit=unit)
    measured = 0
    now = timezone.now()
    with metrics.computing(), transaction.atomic():
        changed = list(scores)
        units_of: dict[str, list[str]] = {}
        for score in changed:
            units_of.setdefault(score.node.measure_source, []).append(score.unit.agency.code)
        figures = {
            source: measure.values(source, year=round_.year, unit_codes=sorted(set(codes)))
            for source, codes in units_of.items()
        }
        for score in changed:
            found = figures[score.node.measure_source].get(score.unit.agency.code)
            score.measured_value = found.value if found else None
            score.measured_lineage = found.lineage if found else ""
            score.measured_points = scoring.node_points(score.node, score.measured_value)
            score.measured_at = now
            score.flagged = scoring.discrepancy(
                score.value, score.measured_value, score.node.tolerance
            )
            measured += found is not None
        bulk.update_rows(
            changed,
            ["measured_value", "measured_lineage", "measured_points", "measured_at", "flagged"],
        )
        _audit("measured_refreshed", actor, round_.standing_body, round_, values=measured)
    return measured


def round_close(*, actor: User | None, round_: Round) -> Round:
    """Self-assessment ends; the council appraises what was submitted."""
    permissions.require(permissions.round_close(actor, round_))
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if locked.status != RoundStatus.OPEN:
            raise Conflict(_("Chỉ đóng được đợt đang mở tự đánh giá."))
        if not CouncilMember.objects.filter(round=locked).exists():
            raise Conflict(_("Chưa có Hội đồng thẩm định cho đợt này."))
        locked.status = RoundStatus.APPRAISAL
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        late = RoundUnit.objects.filter(round=locked).exclude(status=U.SUBMITTED).count()
        _audit("round_closed", actor, locked.standing_body, locked, not_submitted=late)
    return locked


def round_publish(*, actor: User | None, round_: Round) -> Round:
    """Results become public. Every unit must be decided; decided units past their appeal
    deadline become final; an open appeal stops publication."""
    permissions.require(permissions.round_publish(actor, round_))
    today = _today()
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if locked.status != RoundStatus.APPRAISAL:
            raise Conflict(_("Chỉ công bố được đợt đang thẩm định."))
        units = list(RoundUnit.objects.select_for_update().filter(round=locked))
        undecided = [u for u in units if u.status not in (U.DECIDED, U.FINAL)]
        if undecided:
            raise Conflict(
                _("Còn %(n)d đơn vị chưa có kết luận của Hội đồng.") % {"n": len(undecided)}
            )
        waiting = [u for u in units if u.status == U.DECIDED and u.appeal_until >= today]
        if waiting:
            raise Conflict(_("Còn %(n)d đơn vị trong thời hạn kiến nghị.") % {"n": len(waiting)})
        now = timezone.now()
        for unit in units:
            if unit.status == U.DECIDED:
                unit.status = U.FINAL
                unit.locked_at = now
        bulk.update_rows(units, ["status", "locked_at"])
        locked.status = RoundStatus.PUBLISHED
        locked.published_at = now
        locked.save(update_fields=["status", "published_at"])
        _audit("round_published", actor, locked.standing_body, locked, units=len(units))
    return locked


# --- self-assessment ------------------------------------------------------------------------


def _editable(unit: RoundUnit) -> RoundUnit:
    locked = _locked_unit(unit)
    if locked.round.status != RoundStatus.OPEN:
        raise Conflict(_("Đợt đánh giá không mở tự đánh giá."))
    if locked.status not in EDITABLE:
        raise Conflict(_("Bản tự đánh giá đã gửi: không sửa được nữa."))
    return locked


def _score(unit: RoundUnit, code: str) -> Score:
    score = Score.objects.select_related("node").filter(unit=unit, node__code=code).first()
    if score is None:
        raise NotFound(_("Đơn vị không chấm chỉ số %(c)s.") % {"c": code})
    return score


def _number(raw: Any, field_name: str) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, Decimal):
        value = raw
    else:
        try:
            value = Decimal(str(raw).strip().replace(" ", "").replace(",", "."))
        except ArithmeticError as exc:
            raise invalid(field_name, "not_a_number", _("Không phải là số.")) from exc
    if not value.is_finite():
        raise invalid(field_name, "not_a_number", _("Không phải là số."))
    if value < 0:
        raise invalid(field_name, "negative", _("Không được âm."))
    return value


def score_save(
    *,
    actor: User | None,
    unit: RoundUnit,
    code: str,
    value: Any = None,
    points: Any = None,
    explanation: str = "",
) -> Score:
    """One sub-index of the unit's draft: a value (ratio/tiers), yes/no, or points
    (manual). Points are computed by the framework's method, never trusted from the
    caller except for manual sub-indices, and never above the maximum."""
    permissions.require(permissions.score_save(actor, unit))
    explanation = (explanation or "").strip()
    if len(explanation) > 4000:
        raise invalid("explanation", "too_long", _("Giải trình dài quá 4.000 ký tự."))
    with transaction.atomic():
        locked = _editable(unit)
        score = _score(locked, code)
        node = score.node
        if node.method == Method.MANUAL:
            earned = _number(points, "points")
            if earned is not None:
                if earned > node.max_points:
                    raise invalid(
                        "points",
                        "above_max",
                        _("Điểm tối đa của chỉ số là %(m)s.") % {"m": _fmt(node.max_points)},
                    )
                if earned != earned.quantize(scoring.CENT):
                    raise invalid("points", "precision", _("Tối đa 2 chữ số thập phân."))
            score.value = None
            score.self_points = earned
        elif node.method == Method.YES_NO:
            text = "" if value is None else str(value).strip().lower()
            if text in ("", "none"):
                score.value = None
            elif text in ("1", "true", "yes", "co", "có", "on"):
                score.value = Decimal(1)
            elif text in ("0", "false", "no", "khong", "không", "off"):
                score.value = Decimal(0)
            else:
                raise invalid("value", "yes_no", _("Chọn Có hoặc Không."))
            score.self_points = scoring.node_points(node, score.value)
        else:
            number = _number(value, "value")
            if number is not None and node.value_unit == "%" and number > 100:
                raise invalid("value", "above_100", _("Tỷ lệ không quá 100%."))
            if number is not None and number >= Decimal("1e9"):
                raise invalid("value", "too_large", _("Giá trị quá lớn."))
            score.value = number.quantize(measure.FOUR) if number is not None else None
            score.self_points = scoring.node_points(node, score.value)
        score.explanation = explanation
        score.flagged = scoring.discrepancy(score.value, score.measured_value, node.tolerance)
        score.updated_at = timezone.now()
        score.updated_by = actor if actor is not None and actor.pk else None
        score.save()
        _total(locked)
        _audit(
            "score_saved",
            actor,
            locked.agency,
            score,
            unit=locked.agency.code,
            code=code,
            value=None if score.value is None else str(score.value),
            points=None if score.self_points is None else str(score.self_points),
        )
    return score


def _fmt(points: Decimal) -> str:
    return f"{points.normalize():f}".replace(".", ",")


def _total(unit: RoundUnit) -> None:
    total = Score.objects.filter(unit=unit).aggregate(s=Sum("self_points"))["s"] or Decimal(0)
    RoundUnit.objects.filter(pk=unit.pk).update(self_points=total)
    unit.self_points = total


def evidence_add(
    *,
    actor: User | None,
    unit: RoundUnit,
    code: str,
    name: str = "",
    content: bytes | None = None,
    url: str = "",
) -> Evidence:
    """A file (its type sniffed from the bytes, size capped) or a link as evidence."""
    permissions.require(permissions.evidence_add(actor, unit))
    url = (url or "").strip()
    if bool(content) == bool(url):
        raise invalid("file", "one_of", _("Gửi một tệp hoặc một đường dẫn."))
    media_type = ""
    if content:
        limit = int(getattr(settings, "DTI_MAX_EVIDENCE_BYTES", 10 * 2**20))
        if len(content) > limit:
            raise invalid("file", "too_large", _("Tệp lớn hơn %(n)s MB.") % {"n": limit // 2**20})
        kind = filetype.guess(content)
        media_type = kind.mime if kind else ""
        lower = (name or "").lower()
        if media_type == "application/zip" and lower.endswith((".docx", ".xlsx")):
            media_type = next(t for t, ext in EVIDENCE_TYPES.items() if lower.endswith(ext))
        if media_type not in EVIDENCE_TYPES:
            raise invalid(
                "file", "wrong_type", _("Minh chứng là tệp PDF, ảnh JPG/PNG, DOCX hoặc XLSX.")
            )
    else:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError as exc:
            raise invalid(
                "url", "invalid", _("Đường dẫn không đúng (http:// hoặc https://).")
            ) from exc
    with transaction.atomic():
        locked = _editable(unit)
        score = _score(locked, code)
        if score.node.evidence == "none":
            raise invalid("file", "not_needed", _("Chỉ số này không nhận minh chứng."))
        if Evidence.objects.filter(score=score).count() >= 20:
            raise invalid("file", "too_many", _("Tối đa 20 minh chứng cho một chỉ số."))
        item = Evidence.objects.create(
            score=score,
            name=((name or "").strip() or url or "minh-chung")[-200:],
            url=url,
            media_type=media_type,
            size=len(content or b""),
            sha256=hashlib.sha256(content).hexdigest() if content else "",
            content=content or None,
            added_by=actor if actor is not None and actor.pk else None,
        )
        _audit(
            "evidence_added",
            actor,
            locked.agency,
            item,
            unit=locked.agency.code,
            code=code,
            sha256=item.sha256,
            url=url,
        )
    return item


def evidence_remove(*, actor: User | None, unit: RoundUnit, evidence_id: int) -> None:
    permissions.require(permissions.evidence_remove(actor, unit))
    with transaction.atomic():
        locked = _editable(unit)
        item = Evidence.objects.filter(pk=evidence_id, score__unit=locked).first()
        if item is None:
            raise NotFound(_("Không có minh chứng này."))
        _audit("evidence_removed", actor, locked.agency, item, sha256=item.sha256, url=item.url)
        item.delete()


def _missing(unit: RoundUnit) -> list[str]:
    """Sub-indices still lacking a score, or required evidence."""
    missing = []
    scores = Score.objects.filter(unit=unit).select_related("node").prefetch_related("evidence")
    for score in scores:
        if not score.node.scored:
            continue
        if score.self_points is None or (
            score.node.evidence == "required" and not score.evidence.all()
        ):
            missing.append(score.node.code)
    return missing


def unit_send(*, actor: User | None, unit: RoundUnit) -> RoundUnit:
    """The assessor sends the complete draft to the unit's leader for approval."""
    permissions.require(permissions.unit_send(actor, unit))
    with transaction.atomic():
        locked = _editable(unit)
        missing = _missing(locked)
        if missing:
            raise InvalidInput(
                message=_("Còn %(n)d chỉ số chưa chấm điểm hoặc thiếu minh chứng bắt buộc: %(c)s.")
                % {
                    "n": len(missing),
                    "c": ", ".join(missing[:10]) + ("…" if len(missing) > 10 else ""),
                },
                data={"missing": missing},
            )
        locked.status = U.AWAITING_APPROVAL
        locked.sent_at = timezone.now()
        locked.sent_by = actor if actor is not None and actor.pk else None
        locked.save(update_fields=["status", "sent_at", "sent_by"])
        _audit("unit_sent", actor, locked.agency, locked, points=str(locked.self_points))
    return locked


def unit_return(*, actor: User | None, unit: RoundUnit, reason: str) -> RoundUnit:
    """The leader sends the draft back to the assessor."""
    permissions.require(permissions.unit_return(actor, unit))
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", "required", _("Cần nêu lý do trả lại."))
    with transaction.atomic():
        locked = _locked_unit(unit)
        if locked.status != U.AWAITING_APPROVAL or locked.round.status != RoundStatus.OPEN:
            raise Conflict(_("Chỉ trả lại được bản đang chờ phê duyệt."))
        locked.status = U.DRAFT
        locked.save(update_fields=["status"])
        _audit("unit_returned", actor, locked.agency, locked, reason=reason[:1000])
    return locked


def unit_approve(
    *, actor: User | None, unit: RoundUnit, serial: str = "", pin: str = ""
) -> RoundUnit:
    """The leader approves and submits to the council; with a certificate and its PIN the
    submission is also signed (a PAdES PDF of the self-assessment kept with the unit)."""
    permissions.require(permissions.unit_approve(actor, unit))
    current = _locked_unit_read(unit)
    if current.status != U.AWAITING_APPROVAL or current.round.status != RoundStatus.OPEN:
        raise Conflict(_("Chỉ phê duyệt được bản đang chờ phê duyệt của đợt đang mở."))
    signed: bytes | None = None
    if serial:
        from django.apps import apps

        if not apps.is_installed("thudo.signing"):
            raise invalid("serial", "no_signing", _("Nền tảng chưa có chữ ký số."))
        from thudo.dti import pdf
        from thudo.signing import facade as signing

        # Signed before the transaction: a wrong PIN stays counted (signing's rule).
        signed = signing.sign_pdf(
            pdf.self_assessment(current, signer_name=actor.full_name if actor else ""),
            actor=actor,
            serial=serial,
            pin=pin,
            reason=_("Phê duyệt kết quả tự đánh giá chỉ số chuyển đổi số"),
            purpose="dti.self_assessment",
        )
    with transaction.atomic():
        locked = _locked_unit(unit)
        if locked.status != U.AWAITING_APPROVAL or locked.round.status != RoundStatus.OPEN:
            raise Conflict(_("Chỉ phê duyệt được bản đang chờ phê duyệt của đợt đang mở."))
        locked.status = U.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.approved_by = actor if actor is not None and actor.pk else None
        if signed is not None:
            locked.signed_pdf = signed
        locked.save(update_fields=["status", "submitted_at", "approved_by", "signed_pdf"])
        _audit(
            "unit_submitted",
            actor,
            locked.agency,
            locked,
            points=str(locked.self_points),
            signed=signed is not None,
            sha256=hashlib.sha256(signed).hexdigest() if signed else "",
        )
    return locked


def _locked_unit_read(unit: RoundUnit) -> RoundUnit:
    return RoundUnit.objects.select_related("round", "agency").get(pk=unit.pk)


# --- the council ----------------------------------------------------------------------------


def _stage(unit: RoundUnit) -> int:
    if unit.round.status != RoundStatus.APPRAISAL:
        raise Conflict(_("Đợt đánh giá không ở giai đoạn thẩm định."))
    if unit.status == U.APPEALED:
        return 2
    if unit.status in (U.DECIDED, U.FINAL):
        raise Conflict(_("Hội đồng đã kết luận về đơn vị này: điểm đã khóa."))
    return 1


def review_give(
    *,
    actor: User | None,
    unit: RoundUnit,
    code: str,
    verdict: str,
    points: Any = None,
    reason: str = "",
) -> Review:
    """A member's proposal on one sub-index: confirm the self-score, or adjust it with a
    reason. Once per member and stage; only members of this round's council."""
    permissions.require(
        permissions.review_give(actor, unit), _("Bạn không phải thành viên Hội đồng của đợt này.")
    )
    member = permissions.member_of(actor, unit.round)
    assert member is not None
    reason = (reason or "").strip()
    if verdict not in {v.value for v in ReviewVerdict}:
        raise invalid("verdict", "invalid", _("Chọn xác nhận hoặc điều chỉnh."))
    if len(reason) > 4000:
        raise invalid("reason", "too_long", _("Lý do dài quá 4.000 ký tự."))
    with transaction.atomic():
        locked = _locked_unit(unit)
        stage = _stage(locked)
        score = _score(locked, code)
        if stage == 2 and not Appeal.objects.filter(unit=locked, nodes=score.node).exists():
            raise Conflict(_("Đơn vị không kiến nghị về chỉ số này."))
        base = score.final_points if stage == 2 else score.self_points
        if verdict == ReviewVerdict.CONFIRM:
            proposed = base if base is not None else Decimal(0)
        else:
            proposed_raw = _number(points, "points")
            if proposed_raw is None:
                raise invalid("points", "required", _("Cần điểm đề xuất."))
            proposed = proposed_raw
            if not reason:
                raise invalid("reason", "required", _("Điều chỉnh điểm cần nêu lý do."))
        if proposed > score.node.max_points:
            raise invalid(
                "points",
                "above_max",
                _("Điểm tối đa của chỉ số là %(m)s.") % {"m": _fmt(score.node.max_points)},
            )
        if proposed != proposed.quantize(scoring.CENT):
            raise invalid("points", "precision", _("Tối đa 2 chữ số thập phân."))
        if Review.objects.filter(score=score, member=member, stage=stage).exists():
            raise Conflict(_("Bạn đã cho ý kiến về chỉ số này."))
        review = Review.objects.create(
            score=score, member=member, stage=stage, verdict=verdict, points=proposed, reason=reason
        )
        _audit(
            "review_given",
            actor,
            locked.agency,
            review,
            unit=locked.agency.code,
            code=code,
            verdict=verdict,
            points=str(proposed),
            stage=stage,
        )
    return review


def _members(round_: Round, ids: Iterable[int], field_name: str) -> list[CouncilMember]:
    wanted = {int(i) for i in ids}
    found = list(CouncilMember.objects.filter(round=round_, pk__in=wanted))
    if len(found) != len(wanted):
        raise invalid(field_name, "not_a_member", _("Có người không phải thành viên Hội đồng."))
    return found


def _proposal(score: Score, stage: int) -> Decimal | None:
    return scoring.proposal([r.points for r in score.reviews.all() if r.stage == stage])


def _decide(
    *,
    actor: User | None,
    unit: RoundUnit,
    stage: int,
    participants: Iterable[int],
    agreed: Iterable[int],
    points: Mapping[str, Any],
    reasons: Mapping[str, str],
    note: str,
) -> Decision:
    locked = _locked_unit(unit)
    if _stage(locked) != stage:
        raise Conflict(
            _("Đơn vị đang kiến nghị: Hội đồng xem xét kiến nghị.")
            if stage == 1
            else _("Đơn vị không có kiến nghị đang chờ.")
        )
    total = CouncilMember.objects.filter(round=locked.round).count()
    took_part = _members(locked.round, participants, "participants")
    agreeing = _members(locked.round, agreed, "agreed")
    present = {m.pk for m in took_part} | {m.pk for m in agreeing}
    if not scoring.quorum_met(members_total=total, participants=len(present), share=_quorum()):
        needed = scoring.quorum_needed(members_total=total, share=_quorum())
        raise InvalidInput(
            message=_(
                "Chưa đủ điều kiện: kết luận chỉ có giá trị khi trên %(share)s số thành viên "
                "Hội đồng (ít nhất %(need)d/%(total)d) tham dự hoặc nhất trí; mới có %(n)d."
            )
            % {
                "share": scoring.share_words(_quorum()),
                "need": needed,
                "total": total,
                "n": len(present),
            },
            field_errors=[FieldError("participants", "no_quorum", _("Không đủ túc số."))],
        )
    scores = list(
        Score.objects.filter(unit=locked).select_related("node").prefetch_related("reviews")
    )
    by_code = {s.node.code: s for s in scores}
    unknown = sorted(set(points) - set(by_code))
    if unknown:
        raise invalid("points", "unknown", _("Không có chỉ số: %(c)s.") % {"c": ", ".join(unknown)})
    appealed: set[str] = set()
    if stage == 2:
        appealed = {n.code for n in locked.appeal.nodes.all()}
        outside = sorted(c for c in points if c not in appealed)
        if outside:
            raise invalid(
                "points",
                "not_appealed",
                _("Chỉ xem lại các chỉ số được kiến nghị: %(c)s.") % {"c": ", ".join(outside)},
            )
    errors: list[FieldError] = []
    for score in scores:
        if stage == 2 and score.node.code not in appealed:
            continue
        raw = points.get(score.node.code)
        chosen = _number(raw, f"points.{score.node.code}") if raw not in (None, "") else None
        if chosen is None:
            chosen = _proposal(score, stage)
        if chosen is None:
            chosen = (score.final_points if stage == 2 else score.self_points) or Decimal(0)
        if chosen != chosen.quantize(scoring.CENT):
            errors.append(
                FieldError(
                    f"points.{score.node.code}", "precision", _("Tối đa 2 chữ số thập phân.")
                )
            )
            continue
        if chosen > score.node.max_points:
            errors.append(
                FieldError(
                    f"points.{score.node.code}",
                    "above_max",
                    _("Điểm tối đa của chỉ số %(c)s là %(m)s.")
                    % {"c": score.node.code, "m": _fmt(score.node.max_points)},
                )
            )
            continue
        reason = (reasons.get(score.node.code) or "").strip()
        previous = score.final_points if stage == 2 else score.self_points
        if chosen != (previous or Decimal(0)) and not reason:
            reason = "; ".join(
                r.reason for r in score.reviews.all() if r.stage == stage and r.reason
            )[:2000]
        score.final_points = chosen.quantize(scoring.CENT)
        score.final_reason = reason[:2000]
    if errors:
        raise InvalidInput(message=_("Điểm kết luận không hợp lệ."), field_errors=errors)
    bulk.update_rows(scores, ["final_points", "final_reason"])
    final = sum((s.final_points or Decimal(0) for s in scores), Decimal(0))
    decision = Decision.objects.create(
        unit=locked,
        stage=stage,
        members_total=total,
        points=final,
        note=(note or "").strip()[:4000],
        recorded_by=actor if actor is not None and actor.pk else None,
    )
    decision.participants.set(took_part)
    decision.agreed.set(agreeing)
    now = timezone.now()
    locked.final_points = final
    locked.decided_at = now
    if stage == 1:
        locked.status = U.DECIDED
        locked.appeal_until = get_calendar().add_working_days(_today(), locked.round.appeal_days)
    else:
        locked.status = U.FINAL
        locked.locked_at = now
    locked.save(update_fields=["final_points", "decided_at", "status", "appeal_until", "locked_at"])
    _audit(
        "decision_recorded" if stage == 1 else "appeal_resolved",
        actor,
        locked.agency,
        decision,
        unit=locked.agency.code,
        points=str(final),
        participants=sorted(m.pk for m in took_part),
        agreed=sorted(m.pk for m in agreeing),
        members_total=total,
    )
    return decision


def decision_record(
    *,
    actor: User | None,
    unit: RoundUnit,
    participants: Iterable[int],
    agreed: Iterable[int],
    points: Mapping[str, Any] | None = None,
    reasons: Mapping[str, str] | None = None,
    note: str = "",
) -> Decision:
    """The council's conclusion on a unit: who took part, who agreed, the final points
    (given, else what the reviews propose, else the self-score). Valid only when more than
    half of the members took part or agreed; then the appeal period starts."""
    permissions.require(permissions.decision_record(actor, unit))
    with transaction.atomic():
        return _decide(
            actor=actor,
            unit=unit,
            stage=1,
            participants=participants,
            agreed=agreed,
            points=points or {},
            reasons=reasons or {},
            note=note,
        )


def appeal_file(
    *, actor: User | None, unit: RoundUnit, codes: Sequence[str], reason: str
) -> Appeal:
    """The unit's leader asks the council to look again at some sub-indices, within the
    round's appeal period (working days after the decision)."""
    permissions.require(permissions.appeal_file(actor, unit))
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", "required", _("Cần nêu nội dung kiến nghị."))
    if not codes:
        raise invalid("codes", "required", _("Chọn chỉ số kiến nghị."))
    with transaction.atomic():
        locked = _locked_unit(unit)
        if locked.status != U.DECIDED:
            raise Conflict(_("Chỉ kiến nghị được sau kết luận của Hội đồng, một lần."))
        if locked.appeal_until is None or _today() > locked.appeal_until:
            raise Conflict(
                _("Đã hết thời hạn kiến nghị (%(d)s).")
                % {"d": locked.appeal_until.strftime("%d/%m/%Y") if locked.appeal_until else "—"}
            )
        nodes = list(
            Node.objects.filter(
                framework=locked.round.framework, level=Level.SUB, code__in=set(codes)
            )
        )
        scored = set(
            Score.objects.filter(unit=locked, node__in=nodes).values_list("node__code", flat=True)
        )
        unknown = sorted(set(codes) - scored)
        if unknown:
            raise invalid(
                "codes", "unknown", _("Không có chỉ số: %(c)s.") % {"c": ", ".join(unknown)}
            )
        appeal = Appeal.objects.create(unit=locked, reason=reason[:4000], filed_by=actor)
        appeal.nodes.set(nodes)
        locked.status = U.APPEALED
        locked.save(update_fields=["status"])
        _audit(
            "appeal_filed",
            actor,
            locked.agency,
            appeal,
            unit=locked.agency.code,
            codes=sorted(scored),
        )
    return appeal


def appeal_resolve(
    *,
    actor: User | None,
    unit: RoundUnit,
    participants: Iterable[int],
    agreed: Iterable[int],
    points: Mapping[str, Any] | None = None,
    reasons: Mapping[str, str] | None = None,
    resolution: str,
) -> Decision:
    """The council's answer to the appeal, with the same quorum; the unit is then final."""
    permissions.require(permissions.appeal_resolve(actor, unit))
    resolution = (resolution or "").strip()
    if not resolution:
        raise invalid("resolution", "required", _("Cần nêu kết quả xem xét kiến nghị."))
    with transaction.atomic():
        decision = _decide(
            actor=actor,
            unit=unit,
            stage=2,
            participants=participants,
            agreed=agreed,
            points=points or {},
            reasons=reasons or {},
            note=resolution,
        )
        Appeal.objects.filter(unit=unit).update(
            status=Appeal.Status.RESOLVED, resolution=resolution[:4000], resolved_at=timezone.now()
        )
    return decision


# --- documents out ---------------------------------------------------------------------------


def results_pdf(*, actor: User | None, round_: Round, results: Any) -> bytes:
    """The round's results as a PDF, sealed by the standing body (PAdES) when the signing
    module is installed and the body has a seal; unsigned otherwise."""
    permissions.require(permissions.results_pdf(actor, round_))
    from django.apps import apps

    from thudo.dti import pdf

    content = pdf.results(round_, results)
    if not apps.is_installed("thudo.signing"):
        return content
    from thudo.signing import facade as signing

    seal = signing.seal_of(agency_code=round_.standing_body.code)
    if seal is None:
        return content
    # The platform applies the standing body's seal to what it publishes.
    return signing.sign_pdf(
        content,
        actor=None,
        serial=seal.serial,
        reason=_("Kết quả đánh giá chỉ số chuyển đổi số"),
        purpose="dti.results",
    )
