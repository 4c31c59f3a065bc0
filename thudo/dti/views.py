"""Pages of the DTI module (chỉ số chuyển đổi số): the rounds an official takes part in, a
round with its units and the standing body's steps, a unit's self-assessment saved row by
row with its evidence, the appraisal council's reviews, decision and the appeal on the
same page, the results with their charts and downloads, and the public results once
published.

Each action is a form in, one service call, the page (or, for htmx, its fragment) out.
Fragments showing an error are answered with 200 to htmx, which does not swap 4xx
responses; full pages carry the error status. A round or unit the reader may not see is
404; a refused action is the 403 page: nobody who may not act is shown the button.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from thudo.core.auth import AuthedRequest
from thudo.core.errors import ApplicationError, InvalidInput, NotFound, PermissionDenied
from thudo.core.models import User
from thudo.core.pages import apply_error, htmx_status, is_htmx, official_or_404
from thudo.dti import charts, display, permissions, scoring, selectors, services
from thudo.dti.contracts import Method, RoundResults, RoundStatus, UnitStatus
from thudo.dti.forms import (
    AppealForm,
    ApproveForm,
    CouncilForm,
    EvidenceForm,
    ReturnForm,
    ReviewForm,
    ScoreForm,
    evidence_limit,
    show_error,
)
from thudo.dti.models import CouncilMember, Evidence, Review, Round, RoundUnit

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TICKS = ("0", "0.25", "0.5", "0.75", "1")


# --- addresses ------------------------------------------------------------------------------


def _round(user: User, round_id: int) -> Round:
    found = selectors.round_get_for_user(user=user, pk=round_id)
    if found is None:
        raise NotFound(_("Không có đợt đánh giá này, hoặc bạn không được xem đợt này."))
    return found


def _unit(user: User, round_: Round, code: str) -> RoundUnit:
    found = selectors.unit_get_for_user(user=user, round_=round_, code=code[:35])
    if found is None:
        raise NotFound(_("Không có đơn vị này trong đợt, hoặc bạn không được xem đơn vị này."))
    return found


def _address(request: AuthedRequest, round_id: int, unit_code: str) -> tuple[User, RoundUnit]:
    """The official and the unit an address names, each checked (404 when the official
    may not see it)."""
    user = official_or_404(request)
    return user, _unit(user, _round(user, round_id), unit_code)


def _unit_url(unit: RoundUnit, anchor: str = "") -> str:
    url = reverse("dti:unit", args=[unit.round_id, unit.agency.code])
    return f"{url}#{anchor}" if anchor else url


def _person(user: User | None) -> str:
    if user is None:
        return _("Hệ thống")
    return user.full_name or user.get_username()


def _download(content: bytes, media_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the rounds an official takes part in ---------------------------------------------------


@dataclass(frozen=True)
class UnitEntry:
    unit: RoundUnit
    status_label: str
    self_points: str
    final_points: str
    max_points: str


def _unit_entry(unit: RoundUnit) -> UnitEntry:
    return UnitEntry(
        unit,
        display.label(display.UNIT_STATUS, unit.status),
        display.vn(unit.self_points),
        display.vn(unit.final_points),
        display.vn(unit.max_points),
    )


@dataclass(frozen=True)
class RoundEntry:
    round: Round
    status_label: str
    own: list[UnitEntry]
    member_role: str  # the seat on the council, or ""
    standing: bool
    results: bool


@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    user = official_or_404(request)
    rounds = selectors.rounds_for_user(user=user)
    own = selectors.units_own_for_user(user=user, rounds=rounds)
    entries = []
    for round_ in rounds:
        member = permissions.member_of(user, round_)
        entries.append(
            RoundEntry(
                round_,
                display.label(display.ROUND_STATUS, round_.status),
                [_unit_entry(u) for u in own.get(round_.pk, [])],
                display.label(display.COUNCIL_ROLE, member.role) if member else "",
                permissions.standing(user, round_),
                permissions.view_results(user, round_),
            )
        )
    return render(request, "dti/index.html", {"entries": entries})


# --- a round --------------------------------------------------------------------------------


def _render_round(
    request: AuthedRequest, round_: Round, *, status: int = 200, **extra: Any
) -> HttpResponse:
    user = request.user
    state = round_.status
    can = {
        "open": state == RoundStatus.DRAFT and permissions.round_open(user, round_),
        "close": state == RoundStatus.OPEN and permissions.round_close(user, round_),
        "refresh": state in (RoundStatus.OPEN, RoundStatus.APPRAISAL)
        and permissions.measured_refresh(user, round_),
        "publish": state == RoundStatus.APPRAISAL and permissions.round_publish(user, round_),
        "results": permissions.view_results(user, round_),
    }
    council = [
        (m, display.label(display.COUNCIL_ROLE, m.role))
        for m in selectors.council_of(round_=round_)
    ]
    context = {
        "round": round_,
        "framework": round_.framework,
        "status_label": display.label(display.ROUND_STATUS, state),
        "units": [_unit_entry(u) for u in selectors.units_for_user(user=user, round_=round_)],
        "council": council,
        "quorum": scoring.quorum_needed(members_total=len(council), share=scoring.quorum_share()),
        "can": can,
        "any_action": any(v for k, v in can.items() if k != "results"),
        **extra,
    }
    return render(request, "dti/round.html", context, status=status)


@require_GET
def round_page(request: AuthedRequest, round_id: int) -> HttpResponse:
    user = official_or_404(request)
    return _render_round(request, _round(user, round_id))


# The standing body's steps: the service and what the official is told.
ROUND_ACTIONS: dict[str, tuple[Callable[..., Any], Any]] = {
    "open": (
        services.round_open,
        gettext_lazy("Đã mở đợt đánh giá: các đơn vị bắt đầu tự đánh giá."),
    ),
    "close": (
        services.round_close,
        gettext_lazy("Đã kết thúc tự đánh giá: Hội đồng thẩm định bắt đầu làm việc."),
    ),
    "refresh": (
        services.measured_refresh,
        gettext_lazy("Đã cập nhật số liệu nền tảng đo: %(n)s giá trị."),
    ),
    "publish": (services.round_publish, gettext_lazy("Đã công bố kết quả đánh giá.")),
}


@require_POST
def round_action(request: AuthedRequest, round_id: int, action: str) -> HttpResponse:
    user = official_or_404(request)
    round_ = _round(user, round_id)
    service, notice = ROUND_ACTIONS[action]
    try:
        outcome = service(actor=user, round_=round_)
    except PermissionDenied:
        raise
    except ApplicationError as exc:
        return _render_round(
            request, _round(user, round_id), status=exc.status, error=str(exc.message)
        )
    text = str(notice)
    if isinstance(outcome, int):
        text = text % {"n": outcome}
    messages.success(request, text)
    return redirect("dti:round", round_.pk)


# --- a unit's assessment --------------------------------------------------------------------


@dataclass
class RowState:
    """What a row shows besides its data: its forms as posted, an error, a notice."""

    score_form: ScoreForm | None = None
    evidence_form: EvidenceForm | None = None
    review_form: ReviewForm | None = None
    error: str = ""
    notice: str = ""


@dataclass(frozen=True)
class EvidenceItem:
    evidence: Evidence
    kind: str  # PDF, JPG … or "" for a link


@dataclass(frozen=True)
class ReviewItem:
    review: Review
    member: str
    verdict: str
    points: str


@dataclass
class Row:
    """One sub-index on the page."""

    line: selectors.Line
    dom: str
    index_dom: str
    method: str
    method_label: str
    evidence_label: str
    max_points: str
    max_plain: str
    self_points: str
    value_text: str
    value_unit: str
    target: str
    tiers: list[display.Tier]
    measured: bool
    measured_value: str
    measured_points: str
    tolerance: str
    evidence: list[EvidenceItem]
    reviews: list[ReviewItem]
    proposal: str
    final_points: str
    review_base: str  # what a member confirms: the self-score, or in an appeal the decision
    editable: bool
    can_review: bool
    my_review: ReviewItem | None
    score_form: ScoreForm
    evidence_form: EvidenceForm
    review_form: ReviewForm
    error: str = ""
    notice: str = ""

    @property
    def node(self) -> Any:
        return self.line.node

    @property
    def problem(self) -> str:
        """The first thing wrong with what was posted, for the status line."""
        for form in (self.score_form, self.evidence_form, self.review_form):
            if form.is_bound and form.errors:
                return " ".join(str(m) for messages in form.errors.values() for m in messages)
        return self.error

    @property
    def score(self) -> Any:
        return self.line.score


def _score_initial(line: selectors.Line) -> dict[str, str]:
    score, method = line.score, line.node.method
    value = ""
    if method == Method.YES_NO and score.value is not None:
        value = "yes" if score.value else "no"
    elif method in (Method.RATIO, Method.TIERS):
        value = display.plain(score.value)
    return {
        "points": display.plain(score.self_points) if method == Method.MANUAL else "",
        "value": value,
        "explanation": score.explanation,
    }


def _value_text(line: selectors.Line) -> str:
    score, node = line.score, line.node
    if node.method == Method.MANUAL or score.value is None:
        return ""
    if node.method == Method.YES_NO:
        return _("Có") if score.value else _("Không")
    return f"{display.vn(score.value)} {node.value_unit}".strip()


def _row(
    line: selectors.Line,
    index_dom: str,
    *,
    can: dict[str, bool],
    member: CouncilMember | None,
    stage: int,
    appealed: set[str],
    names: dict[int, str],
    state: RowState | None,
) -> Row:
    node, score = line.node, line.score
    dom = display.dom_id(node.code)
    state = state or RowState()
    reviews = [
        ReviewItem(
            r,
            names.get(r.member_id, ""),
            display.label(display.VERDICT, r.verdict),
            display.vn(r.points),
        )
        for r in line.reviews
    ]
    mine = next(
        (r for r in reviews if member is not None and r.review.member_id == member.pk), None
    )
    may_review = can["review"] and (stage == 1 or node.code in appealed)
    return Row(
        line=line,
        dom=dom,
        index_dom=index_dom,
        method=node.method,
        method_label=display.label(display.METHOD, node.method),
        evidence_label=display.label(display.EVIDENCE, node.evidence),
        max_points=display.vn(node.max_points),
        max_plain=display.plain(node.max_points),
        self_points=display.vn(score.self_points),
        value_text=_value_text(line),
        value_unit=node.value_unit,
        target=display.vn(node.target),
        tiers=display.tiers(node),
        measured=bool(node.measure_source),
        measured_value=display.vn(score.measured_value),
        measured_points=display.vn(score.measured_points),
        tolerance=display.vn(node.tolerance),
        evidence=[EvidenceItem(e, display.MEDIA.get(e.media_type, "")) for e in line.evidence],
        reviews=reviews,
        proposal=display.vn(line.proposal),
        final_points=display.vn(score.final_points),
        review_base=display.vn(
            (score.final_points if stage == 2 else score.self_points) or Decimal(0)
        ),
        editable=can["edit"],
        can_review=may_review and mine is None,
        my_review=mine,
        score_form=state.score_form
        or ScoreForm(initial=_score_initial(line), auto_id=f"s-{dom}_%s"),
        evidence_form=state.evidence_form or EvidenceForm(auto_id=f"e-{dom}_%s"),
        review_form=state.review_form or ReviewForm(auto_id=f"r-{dom}_%s"),
        error=state.error,
        notice=state.notice,
    )


def _unit_can(user: User, unit: RoundUnit, member: CouncilMember | None) -> dict[str, bool]:
    """What the reader may do now: the same checks as the services, which make them again."""
    round_status, status = unit.round.status, unit.status
    opened = round_status == RoundStatus.OPEN
    appraisal = round_status == RoundStatus.APPRAISAL
    waiting = opened and status == UnitStatus.AWAITING_APPROVAL
    undecided = appraisal and status not in (UnitStatus.DECIDED, UnitStatus.FINAL)
    edit = opened and status == UnitStatus.DRAFT and permissions.score_save(user, unit)
    appeal_open = (
        status == UnitStatus.DECIDED
        and unit.appeal_until is not None
        and timezone.localdate() <= unit.appeal_until
    )
    return {
        "edit": edit,
        "send": edit and permissions.unit_send(user, unit),
        "return": waiting and permissions.unit_return(user, unit),
        "approve": waiting and permissions.unit_approve(user, unit),
        "review": undecided and member is not None,
        "decide": undecided
        and status != UnitStatus.APPEALED
        and permissions.decision_record(user, unit),
        "appeal": appeal_open and permissions.appeal_file(user, unit),
        "resolve": appraisal
        and status == UnitStatus.APPEALED
        and permissions.appeal_resolve(user, unit),
    }


def _certificates(user: User) -> list[Any]:
    if not apps.is_installed("thudo.signing"):
        return []
    from thudo.signing import facade as signing

    return list(signing.certificates_of(user=user))


def _council_form(
    assessment: selectors.Assessment,
    council: list[CouncilMember],
    *,
    stage: int,
    appealed: set[str],
    data: Any = None,
) -> CouncilForm:
    lines = []
    for line in assessment.lines():
        if stage == 2 and line.node.code not in appealed:
            continue
        base = line.score.final_points if stage == 2 else line.score.self_points
        prefill = line.proposal if line.proposal is not None else (base or Decimal(0))
        lines.append((line.node.pk, line.node.code, display.plain(prefill)))
    members = [
        (m.pk, f"{_person(m.user)} — {display.label(display.COUNCIL_ROLE, m.role)}")
        for m in council
    ]
    return CouncilForm(
        data,
        members=members,
        lines=lines,
        appeal=stage == 2,
        auto_id=("resolve-" if stage == 2 else "decision-") + "%s",
    )


@dataclass(frozen=True)
class DecisionView:
    stage: int
    points: str
    members_total: int
    participants: list[str]
    agreed: list[str]
    note: str
    recorded_at: Any
    recorded_by: str


def _unit_context(
    request: AuthedRequest,
    unit: RoundUnit,
    *,
    states: dict[str, RowState] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    user = request.user
    round_ = unit.round
    assessment = selectors.assessment(unit=unit)
    council = selectors.council_of(round_=round_)
    names = {m.pk: _person(m.user) for m in council}
    member = next((m for m in council if m.user_id == user.pk), None)
    can = _unit_can(user, unit, member)
    stage = 2 if unit.status == UnitStatus.APPEALED else 1
    appeal = selectors.appeal_of(unit=unit) if unit.status in (
        UnitStatus.APPEALED, UnitStatus.FINAL, UnitStatus.DECIDED
    ) else None  # fmt: skip
    appealed = {n.code for n in appeal.nodes.all()} if appeal is not None else set()
    states = states or {}
    groups = []
    rows: dict[str, Row] = {}
    for group in assessment.groups:
        blocks = []
        for block in group.indices:
            index_dom = display.dom_id(block.node.code)
            block_rows = []
            for line in block.lines:
                row = _row(
                    line,
                    index_dom,
                    can=can,
                    member=member,
                    stage=stage,
                    appealed=appealed,
                    names=names,
                    state=states.get(line.node.code),
                )
                rows[line.node.code] = row
                block_rows.append(row)
            blocks.append(
                {
                    "block": block,
                    "dom": index_dom,
                    "rows": block_rows,
                    "self_points": display.vn(block.self_points),
                    "final_points": display.vn(block.final_points),
                    "max_points": display.vn(block.max_points),
                }
            )
        groups.append({"group": group, "blocks": blocks})
    scored = [ln for ln in assessment.lines() if ln.node.scored]
    done = sum(1 for ln in scored if ln.score.self_points is not None)
    missing = [
        (
            rows[ln.node.code],
            _("chưa chấm điểm") if ln.score.self_points is None else _("thiếu minh chứng bắt buộc"),
        )
        for ln in assessment.missing
    ]
    decisions = [
        DecisionView(
            d.stage,
            display.vn(d.points),
            d.members_total,
            [names.get(m.pk, "") for m in d.participants.all()],
            [names.get(m.pk, "") for m in d.agreed.all()],
            d.note,
            d.recorded_at,
            _person(d.recorded_by) if d.recorded_by_id else _("Hệ thống"),
        )
        for d in assessment.decisions
    ]
    if can["approve"] and "approve_form" not in extra:
        extra["approve_form"] = ApproveForm(certificates=_certificates(user), auto_id="approve-%s")
    if can["decide"] and "decision_form" not in extra:
        extra["decision_form"] = _council_form(assessment, council, stage=1, appealed=appealed)
    if can["resolve"] and "resolve_form" not in extra:
        extra["resolve_form"] = _council_form(assessment, council, stage=2, appealed=appealed)
    if can["appeal"] and "appeal_form" not in extra:
        extra["appeal_form"] = AppealForm(codes=_appeal_codes(assessment), auto_id="appeal-%s")
    extra.setdefault("return_form", ReturnForm(auto_id="return-%s"))
    for name in ("decision", "resolve"):
        council_form = extra.get(f"{name}_form")
        if council_form is not None:
            extra[f"{name}_lines"] = [
                (rows[code], council_form[field_name])
                for field_name, code in council_form.codes.items()
                if code in rows
            ]
    council_shown = round_.status in (RoundStatus.APPRAISAL, RoundStatus.PUBLISHED) or bool(
        decisions
    )
    return {
        "unit": unit,
        "round": round_,
        "framework": round_.framework,
        "status_label": display.label(display.UNIT_STATUS, unit.status),
        "round_status_label": display.label(display.ROUND_STATUS, round_.status),
        "self_points": display.vn(unit.self_points),
        "final_points": display.vn(unit.final_points),
        "max_points": display.vn(unit.max_points),
        "groups": groups,
        "rows": rows,
        "done": done,
        "total": len(scored),
        "missing": missing,
        "can": can,
        "member": member,
        "stage": stage,
        "council_shown": council_shown,
        "council_total": len(council),
        "quorum": scoring.quorum_needed(members_total=len(council), share=scoring.quorum_share()),
        "disagreements": [rows[ln.node.code] for ln in assessment.disagreements],
        "flagged": [rows[ln.node.code] for ln in assessment.flagged],
        "decisions": decisions,
        "appeal": appeal,
        "appealed": [rows[c] for c in rows if c in appealed],
        "appeal_by": _person(appeal.filed_by) if appeal is not None else "",
        "evidence_mb": evidence_limit() // 2**20,
        **extra,
    }


def _appeal_codes(assessment: selectors.Assessment) -> list[tuple[str, str]]:
    return [(ln.node.code, f"{ln.node.code} — {ln.node.name}") for ln in assessment.lines()]


def _render_unit(
    request: AuthedRequest,
    unit: RoundUnit,
    *,
    status: int = 200,
    states: dict[str, RowState] | None = None,
    **extra: Any,
) -> HttpResponse:
    context = _unit_context(request, unit, states=states, **extra)
    return render(request, "dti/unit.html", context, status=status)


@require_GET
def unit_page(request: AuthedRequest, round_id: int, unit_code: str) -> HttpResponse:
    _user, unit = _address(request, round_id, unit_code)
    return _render_unit(request, unit)


# --- a row: its score, evidence and reviews, saved by htmx ----------------------------------


def _row_response(
    request: AuthedRequest,
    round_id: int,
    unit_code: str,
    code: str,
    state: RowState,
    *,
    status: int = 200,
) -> HttpResponse:
    """The row again (htmx) or the whole page with the row as posted (no script)."""
    user = request.user
    unit = _unit(user, _round(user, round_id), unit_code)
    if not is_htmx(request):
        if status < 400:
            messages.success(request, state.notice)
            return redirect(_unit_url(unit, f"sub-{display.dom_id(code)}"))
        return _render_unit(request, unit, status=status, states={code: state})
    context = _unit_context(request, unit, states={code: state})
    row = context["rows"].get(code)
    if row is None:
        raise NotFound(_("Đơn vị không chấm chỉ số %(c)s.") % {"c": code})
    context["row"] = row
    return render(
        request, "dti/unit.html#row_response", context, status=htmx_status(request, status)
    )


def _row_failed(
    request: AuthedRequest,
    round_id: int,
    unit_code: str,
    code: str,
    state: RowState,
    form: Any,
    exc: ApplicationError,
) -> HttpResponse:
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    if not apply_error(form, exc, fallback=False):
        state.error = str(exc.message)
    return _row_response(request, round_id, unit_code, code, state, status=exc.status)


def _invalid(
    request: AuthedRequest, round_id: int, unit_code: str, code: str, state: RowState
) -> HttpResponse:
    return _row_response(request, round_id, unit_code, code, state, status=422)


@require_POST
def score_save(request: AuthedRequest, round_id: int, unit_code: str, code: str) -> HttpResponse:
    """One sub-index, saved as typed: the row again with its points, or the error on the
    field with nothing saved."""
    user, unit = _address(request, round_id, unit_code)
    form = ScoreForm(request.POST, auto_id=f"s-{display.dom_id(code)}_%s")
    state = RowState(score_form=form)
    if not form.is_valid():
        return _invalid(request, round_id, unit_code, code, state)
    data = form.cleaned_data
    try:
        services.score_save(
            actor=user,
            unit=unit,
            code=code,
            value=data["value"],
            points=data["points"],
            explanation=data["explanation"],
        )
    except ApplicationError as exc:
        return _row_failed(request, round_id, unit_code, code, state, form, exc)
    notice = _("Đã lưu chỉ số %(c)s.") % {"c": code}
    return _row_response(request, round_id, unit_code, code, RowState(notice=notice))


@require_POST
def evidence_add(request: AuthedRequest, round_id: int, unit_code: str, code: str) -> HttpResponse:
    user, unit = _address(request, round_id, unit_code)
    form = EvidenceForm(request.POST, request.FILES, auto_id=f"e-{display.dom_id(code)}_%s")
    state = RowState(evidence_form=form)
    if not form.is_valid():
        return _invalid(request, round_id, unit_code, code, state)
    upload = form.cleaned_data["file"]
    try:
        item = services.evidence_add(
            actor=user,
            unit=unit,
            code=code,
            name=upload.name if upload else "",
            content=upload.read() if upload else None,
            url=form.cleaned_data["url"],
        )
    except ApplicationError as exc:
        return _row_failed(request, round_id, unit_code, code, state, form, exc)
    notice = _("Đã thêm minh chứng “%(n)s” cho chỉ số %(c)s.") % {"n": item.name, "c": code}
    return _row_response(request, round_id, unit_code, code, RowState(notice=notice))


@require_POST
def evidence_remove(
    request: AuthedRequest, round_id: int, unit_code: str, code: str, pk: int
) -> HttpResponse:
    user, unit = _address(request, round_id, unit_code)
    state = RowState()
    try:
        services.evidence_remove(actor=user, unit=unit, evidence_id=pk)
    except (PermissionDenied, NotFound):
        raise
    except ApplicationError as exc:
        state.error = str(exc.message)
        return _row_response(request, round_id, unit_code, code, state, status=exc.status)
    state.notice = _("Đã gỡ minh chứng của chỉ số %(c)s.") % {"c": code}
    return _row_response(request, round_id, unit_code, code, state)


@require_POST
def review_give(request: AuthedRequest, round_id: int, unit_code: str, code: str) -> HttpResponse:
    """A council member's proposal on one sub-index: confirm, or adjust with a reason."""
    user, unit = _address(request, round_id, unit_code)
    form = ReviewForm(request.POST, auto_id=f"r-{display.dom_id(code)}_%s")
    state = RowState(review_form=form)
    if not form.is_valid():
        return _invalid(request, round_id, unit_code, code, state)
    data = form.cleaned_data
    try:
        services.review_give(
            actor=user,
            unit=unit,
            code=code,
            verdict=data["verdict"],
            points=data["points"],
            reason=data["reason"],
        )
    except ApplicationError as exc:
        return _row_failed(request, round_id, unit_code, code, state, form, exc)
    notice = _("Đã ghi ý kiến thẩm định chỉ số %(c)s.") % {"c": code}
    return _row_response(request, round_id, unit_code, code, RowState(notice=notice))


# --- the unit's steps: send, return, approve ------------------------------------------------


def _unit_done(request: AuthedRequest, unit: RoundUnit, notice: str, anchor: str) -> HttpResponse:
    messages.success(request, notice)
    return redirect(_unit_url(unit, anchor))


def _unit_failed(
    request: AuthedRequest, user: User, unit: RoundUnit, exc: ApplicationError, **extra: Any
) -> HttpResponse:
    """The page again with the form as posted (its errors on it), or with the service's
    message above the steps when no form was posted."""
    if isinstance(exc, PermissionDenied):
        raise exc
    fresh = _unit(user, _round(user, unit.round_id), unit.agency.code)
    if not extra:
        extra["error"] = str(exc.message)
    return _render_unit(request, fresh, status=exc.status, **extra)


@require_POST
def unit_send(request: AuthedRequest, round_id: int, unit_code: str) -> HttpResponse:
    user, unit = _address(request, round_id, unit_code)
    try:
        services.unit_send(actor=user, unit=unit)
    except ApplicationError as exc:
        return _unit_failed(request, user, unit, exc)
    return _unit_done(
        request, unit, _("Đã gửi bản tự đánh giá để lãnh đạo đơn vị phê duyệt."), "steps"
    )


@require_POST
def unit_return(request: AuthedRequest, round_id: int, unit_code: str) -> HttpResponse:
    user, unit = _address(request, round_id, unit_code)
    form = ReturnForm(request.POST, auto_id="return-%s")
    if not form.is_valid():
        return _unit_failed(request, user, unit, InvalidInput(), return_form=form)
    try:
        services.unit_return(actor=user, unit=unit, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        show_error(form, exc)
        return _unit_failed(request, user, unit, exc, return_form=form)
    return _unit_done(request, unit, _("Đã trả lại bản tự đánh giá để sửa."), "steps")


@require_POST
def unit_approve(request: AuthedRequest, round_id: int, unit_code: str) -> HttpResponse:
    """The leader approves and submits to the council, signing when a certificate is
    chosen."""
    user, unit = _address(request, round_id, unit_code)
    form = ApproveForm(request.POST, certificates=_certificates(user), auto_id="approve-%s")
    if not form.is_valid():
        return _unit_failed(request, user, unit, InvalidInput(), approve_form=form)
    data = form.cleaned_data
    try:
        services.unit_approve(actor=user, unit=unit, serial=data["serial"], pin=data["pin"])
    except ApplicationError as exc:
        if exc.code == "pin_invalid" and not exc.field_errors:
            form.add_error("pin", str(exc.message))
        else:
            show_error(form, exc)
        return _unit_failed(request, user, unit, exc, approve_form=form)
    notice = _("Đã phê duyệt và gửi kết quả tự đánh giá đến Hội đồng thẩm định.")
    return _unit_done(request, unit, notice, "steps")


@require_GET
def signed_pdf(request: AuthedRequest, round_id: int, unit_code: str) -> HttpResponse:
    _user, unit = _address(request, round_id, unit_code)
    if not unit.signed_pdf:
        raise NotFound(_("Bản tự đánh giá này không được ký số."))
    name = f"tu-danh-gia-{unit.agency.code}-{unit.round.year}.pdf"
    return _download(bytes(unit.signed_pdf), PDF, name)


# --- the council: decision, appeal, its answer ----------------------------------------------


def _council_post(
    request: AuthedRequest, round_id: int, unit_code: str, *, stage: int
) -> tuple[User, RoundUnit, CouncilForm]:
    user, unit = _address(request, round_id, unit_code)
    appeal = selectors.appeal_of(unit=unit) if stage == 2 else None
    appealed = {n.code for n in appeal.nodes.all()} if appeal is not None else set()
    form = _council_form(
        selectors.assessment(unit=unit),
        selectors.council_of(round_=unit.round),
        stage=stage,
        appealed=appealed,
        data=request.POST,
    )
    return user, unit, form


@require_POST
def decision_record(request: AuthedRequest, round_id: int, unit_code: str) -> HttpResponse:
    """The council's conclusion: valid only with more than half of its members."""
    user, unit, form = _council_post(request, round_id, unit_code, stage=1)
    if not form.is_valid():
        return _unit_failed(request, user, unit, InvalidInput(), decision_form=form)
    try:
        services.decision_record(
            actor=user,
            unit=unit,
            participants=form.ids("participants"),
            agreed=form.ids("agreed"),
            points=form.points(),
            note=form.cleaned_data["note"],
        )
    except ApplicationError as exc:
        if not isinstance(exc, PermissionDenied):
            show_error(form, exc, aliases=form.aliases())
        return _unit_failed(request, user, unit, exc, decision_form=form)
    return _unit_done(request, unit, _("Đã ghi kết luận của Hội đồng thẩm định."), "council")


@require_POST
def appeal_file(request: AuthedRequest, round_id: int, unit_code: str) -> HttpResponse:
    user, unit = _address(request, round_id, unit_code)
    form = AppealForm(
        request.POST,
        codes=_appeal_codes(selectors.assessment(unit=unit)),
        auto_id="appeal-%s",
    )
    if not form.is_valid():
        return _unit_failed(request, user, unit, InvalidInput(), appeal_form=form)
    try:
        services.appeal_file(
            actor=user,
            unit=unit,
            codes=form.cleaned_data["codes"],
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        if not isinstance(exc, PermissionDenied):
            show_error(form, exc)
        return _unit_failed(request, user, unit, exc, appeal_form=form)
    return _unit_done(request, unit, _("Đã gửi kiến nghị đến Hội đồng thẩm định."), "council")


@require_POST
def appeal_resolve(request: AuthedRequest, round_id: int, unit_code: str) -> HttpResponse:
    user, unit, form = _council_post(request, round_id, unit_code, stage=2)
    if not form.is_valid():
        return _unit_failed(request, user, unit, InvalidInput(), resolve_form=form)
    try:
        services.appeal_resolve(
            actor=user,
            unit=unit,
            participants=form.ids("participants"),
            agreed=form.ids("agreed"),
            points=form.points(),
            resolution=form.cleaned_data["note"],
        )
    except ApplicationError as exc:
        if not isinstance(exc, PermissionDenied):
            show_error(form, exc, aliases=form.aliases())
        return _unit_failed(request, user, unit, exc, resolve_form=form)
    return _unit_done(
        request, unit, _("Đã ghi kết quả xem xét kiến nghị; kết quả của đơn vị đã chốt."), "council"
    )


# --- evidence -------------------------------------------------------------------------------


@require_GET
def evidence_download(request: AuthedRequest, pk: int) -> HttpResponse:
    """An evidence file, always as an attachment of the type sniffed at upload."""
    user = official_or_404(request)
    item = selectors.evidence_get_for_user(user=user, pk=pk)
    if item is None or not item.content:
        raise NotFound(_("Không có minh chứng này, hoặc bạn không được xem minh chứng này."))
    return _download(bytes(item.content), item.media_type or "application/octet-stream", item.name)


# --- results --------------------------------------------------------------------------------


@dataclass
class ResultsView:
    round: Round
    table: display.ResultsTable
    bar_chart: Any
    radars: list[tuple[Any, str, Any]] = field(default_factory=list)
    xlsx_url: str = ""
    pdf_url: str = ""

    @property
    def radars_drawn(self) -> bool:
        return any(svg is not None for _unit, _value, svg in self.radars)


def _results_view(round_: Round, found: RoundResults, *, public: bool) -> ResultsView:
    bars = [charts.Bar(u.unit_name, u.value, display.vn(u.value, 4)) for u in found.units]
    bar = charts.bar_chart(
        bars,
        title=_("Giá trị chỉ số chuyển đổi số của các đơn vị — %(name)s") % {"name": round_.name},
        chart_id=f"chart-values-{round_.pk}",
        ticks=[display.vn(Decimal(t)) for t in TICKS],
    )
    radars = []
    for unit in found.units:
        axes = [
            charts.Axis(
                i.code,
                i.name,
                display.index_share(i),
                f"{display.vn(i.points)}/{display.vn(i.max_points)}",
            )
            for i in unit.indices
        ]
        radar = charts.radar_chart(
            axes,
            title=_("Các chỉ số chính của %(unit)s") % {"unit": unit.unit_name},
            chart_id=f"chart-radar-{round_.pk}-{display.dom_id(unit.unit_code)}",
        )
        radars.append((unit, display.vn(unit.value, 4), radar))
    prefix = "dti:public_" if public else "dti:results_"
    return ResultsView(
        round_,
        display.results_table(found),
        bar,
        radars,
        reverse(prefix + "xlsx", args=[round_.pk]),
        reverse(prefix + "pdf", args=[round_.pk]),
    )


def _results_round(request: AuthedRequest, round_id: int) -> tuple[User, Round]:
    user = official_or_404(request)
    round_ = _round(user, round_id)
    if not permissions.view_results(user, round_):
        raise PermissionDenied(
            _(
                "Kết quả được công khai khi công bố; trước đó chỉ cơ quan thường trực "
                "và Hội đồng xem."
            )
        )
    return user, round_


@require_GET
def results(request: AuthedRequest, round_id: int) -> HttpResponse:
    _user, round_ = _results_round(request, round_id)
    found = selectors.results(round_=round_)
    context = {
        "round": round_,
        "framework": round_.framework,
        "status_label": display.label(display.ROUND_STATUS, round_.status),
        "view": _results_view(round_, found, public=False),
    }
    return render(request, "dti/results.html", context)


def _xlsx(round_: Round, found: RoundResults) -> HttpResponse:
    from thudo.dti import excel

    content = excel.results_workbook(round_, found)
    return _download(content, XLSX, f"ket-qua-dti-{round_.framework.code}-{round_.year}.xlsx")


def _pdf(actor: User | None, round_: Round, found: RoundResults) -> HttpResponse:
    content = services.results_pdf(actor=actor, round_=round_, results=found)
    return _download(content, PDF, f"ket-qua-dti-{round_.framework.code}-{round_.year}.pdf")


@require_GET
def results_xlsx(request: AuthedRequest, round_id: int) -> HttpResponse:
    _user, round_ = _results_round(request, round_id)
    return _xlsx(round_, selectors.results(round_=round_))


@require_GET
def results_pdf(request: AuthedRequest, round_id: int) -> HttpResponse:
    user, round_ = _results_round(request, round_id)
    return _pdf(user, round_, selectors.results(round_=round_))


# --- public results -------------------------------------------------------------------------


@login_not_required
@require_GET
def public_index(request: HttpRequest) -> HttpResponse:
    years: dict[int, list[Round]] = {}
    for round_ in selectors.published_rounds():
        years.setdefault(round_.year, []).append(round_)
    return render(request, "dti/public_index.html", {"years": sorted(years.items(), reverse=True)})


@login_not_required
@require_GET
def public_results(request: HttpRequest, year: int) -> HttpResponse:
    rounds = selectors.published_rounds(year=year)
    if not rounds:
        raise NotFound(_("Chưa có kết quả đánh giá chuyển đổi số được công bố cho năm này."))
    views = [_results_view(r, selectors.results(round_=r), public=True) for r in rounds]
    return render(request, "dti/public_results.html", {"year": year, "views": views})


def _published(round_id: int) -> Round:
    found = selectors.published_round_get(pk=round_id)
    if found is None:
        raise NotFound(_("Kết quả của đợt đánh giá này chưa được công bố."))
    return found


@login_not_required
@require_GET
def public_xlsx(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _published(round_id)
    return _xlsx(round_, selectors.results(round_=round_))


@login_not_required
@require_GET
def public_pdf(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _published(round_id)
    actor = request.user if request.user.is_authenticated else None
    return _pdf(actor, round_, selectors.results(round_=round_))
