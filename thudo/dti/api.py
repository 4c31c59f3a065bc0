"""DTI API (chỉ số chuyển đổi số): frameworks (list, read as JSON or CSV, import), the
rounds a caller may see, a round's results with the ranking, a unit's assessment, and
the self-assessment of one sub-index.

Thin endpoints: a schema in, one service or selector call, a schema out. A round or unit
the caller may not see is 404. Results are public once the round is published, so that
endpoint also answers anonymous callers (signed-in ones keep their identity).
"""

from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Body, Query, Router, Status

from thudo.core.api_auth import API_AUTH
from thudo.core.auth import AuthedRequest
from thudo.core.errors import NotFound, PermissionDenied
from thudo.core.models import User
from thudo.core.rules import is_official
from thudo.dti import frameworks, selectors, services
from thudo.dti.contracts import RoundResults
from thudo.dti.models import Framework, Node, Round, RoundUnit, Score
from thudo.dti.schemas import (
    AssessmentOut,
    FrameworkImportedOut,
    FrameworkOut,
    RoundOut,
    RoundResultsOut,
    ScoreIn,
    ScoreOut,
)

router = Router(tags=["dti"])

CSV_RESPONSE = {
    "responses": {
        200: {
            "description": "The framework document (JSON), or its CSV form with format=csv",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    }
}


def _anyone(request: HttpRequest) -> bool:
    """Lets anonymous callers through, after the real authenticators had their turn."""
    return True


PUBLIC_WHEN_PUBLISHED = [*API_AUTH, _anyone]


def _official(request: AuthedRequest) -> User:
    if not is_official(request.user):
        raise PermissionDenied(_("Chỉ cán bộ, công chức được dùng chức năng này."))
    return request.user


def _number(value: Decimal | None) -> str | None:
    """Points and reported values without trailing zeros (``"87.5"``)."""
    return None if value is None else format(value.normalize(), "f")


def _value(value: Decimal | None) -> str | None:
    """Index values 0–1 with their four decimals (``"0.8750"``)."""
    return None if value is None else format(value, "f")


def _round(request: AuthedRequest, round_id: int) -> Round:
    found = selectors.round_get_for_user(user=request.user, pk=round_id)
    if found is None:
        raise NotFound(_("Không có đợt đánh giá này."))
    return found


def _unit(request: AuthedRequest, round_id: int, unit_code: str) -> RoundUnit:
    found = selectors.unit_get_for_user(
        user=request.user, round_=_round(request, round_id), code=unit_code[:35]
    )
    if found is None:
        raise NotFound(_("Không có đơn vị này trong đợt đánh giá."))
    return found


# --- frameworks -----------------------------------------------------------------------------


def framework_out(framework: Framework) -> dict[str, Any]:
    return {
        "code": framework.code,
        "year": framework.year,
        "version": framework.version,
        "name": framework.name,
        "sample": framework.sample,
        "max_points": _number(framework.max_points),
    }


@router.get("/frameworks", response=list[FrameworkOut], summary="The imported frameworks")
def framework_list(request: AuthedRequest) -> Any:
    _official(request)
    return [framework_out(f) for f in selectors.frameworks_list()]


@router.get(
    "/frameworks/{code}/{year}",
    response=dict[str, Any],
    summary="A framework as its document (JSON), or as CSV",
    description="The latest version unless `version` is given; `format=csv` answers the "
    "CSV form (one row per node, see the framework format).",
    openapi_extra=CSV_RESPONSE,
)
def framework_get(
    request: AuthedRequest,
    code: str,
    year: int,
    version: int | None = Query(None, ge=1),
    fmt: Literal["json", "csv"] = Query("json", alias="format"),
) -> Any:
    _official(request)
    found = selectors.framework_get(code=code[:30], year=year, version=version)
    if found is None:
        raise NotFound(_("Không có bộ chỉ số này."))
    if fmt == "json":
        return found.document
    text = frameworks.to_csv(frameworks.parse_document(found.document))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    name = f"{found.code}-{found.year}-v{found.version}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.post(
    "/frameworks",
    response={200: FrameworkImportedOut, 201: FrameworkImportedOut},
    summary="Import a framework document (platform administrators)",
    description="Checked whole before anything is written; every mistake is a field error "
    "with where it is (`groups[0].indices[1].max_points`). A document that differs from "
    "the latest version of its code and year becomes a new version (201); the same "
    "document again changes nothing (200).",
)
def framework_import(request: AuthedRequest, payload: Body[dict[str, Any]]) -> Any:
    _official(request)
    imported = services.framework_import_document(actor=request.user, document=payload)
    out = framework_out(imported.framework)
    out.update(digest=imported.framework.digest, created=imported.created)
    return Status(201 if imported.created else 200, out)


# --- rounds ---------------------------------------------------------------------------------


def round_out(round_: Round) -> dict[str, Any]:
    return {
        "id": round_.pk,
        "name": round_.name,
        "year": round_.year,
        "status": round_.status,
        "framework": round_.framework.code,
        "framework_version": round_.framework.version,
        "framework_name": round_.framework.name,
        "standing_body": round_.standing_body.code,
        "self_deadline": round_.self_deadline,
        "published_at": round_.published_at,
    }


@router.get("/rounds", response=list[RoundOut], summary="The assessment rounds I take part in")
def round_list(request: AuthedRequest) -> Any:
    return [round_out(r) for r in selectors.rounds_for_user(user=request.user)]


def results_out(results: RoundResults) -> dict[str, Any]:
    return {
        "round_id": results.round_id,
        "year": results.year,
        "framework": results.framework,
        "name": results.name,
        "peer_group": results.peer_group,
        "published": results.published,
        "units": [
            {
                "rank": u.rank,
                "unit_code": u.unit_code,
                "unit_name": u.unit_name,
                "points": _number(u.points),
                "max_points": _number(u.max_points),
                "value": _value(u.value),
                "previous_value": _value(u.previous_value),
                "change": _value(u.change),
                "indices": [
                    {
                        "code": t.code,
                        "name": t.name,
                        "points": _number(t.points),
                        "max_points": _number(t.max_points),
                    }
                    for t in u.indices
                ],
            }
            for u in results.units
        ],
    }


def _results_round(user: Any, round_id: int) -> Round:
    found = selectors.round_get_for_results(user=user, pk=round_id)
    if found is None:
        raise NotFound(_("Không có kết quả của đợt đánh giá này."))
    return found


@router.get(
    "/rounds/{round_id}/results",
    response=RoundResultsOut,
    auth=PUBLIC_WHEN_PUBLISHED,
    summary="A round's results and ranking (public once published)",
    description="Before publication only the standing body and the council see them, "
    "with self-assessed points until the council decides; anyone else gets 404.",
)
def round_results(request: HttpRequest, round_id: int) -> Any:
    return results_out(selectors.results(round_=_results_round(request.user, round_id)))


# --- a unit's assessment --------------------------------------------------------------------


def score_out(score: Score, node: Node) -> dict[str, Any]:
    return {
        "code": node.code,
        "name": node.name,
        "method": node.method,
        "max_points": _number(node.max_points),
        "value": _number(score.value),
        "self_points": _number(score.self_points),
        "explanation": score.explanation,
        "measured_value": _number(score.measured_value),
        "measured_points": _number(score.measured_points),
        "measured_lineage": score.measured_lineage,
        "flagged": score.flagged,
        "final_points": _number(score.final_points),
        "final_reason": score.final_reason,
    }


@router.get(
    "/rounds/{round_id}/units/{unit_code}",
    response=AssessmentOut,
    summary="A unit's assessment: every sub-index, self-assessed, measured, decided",
)
def unit_assessment(request: AuthedRequest, round_id: int, unit_code: str) -> Any:
    found = selectors.assessment(unit=_unit(request, round_id, unit_code))
    unit = found.unit
    return {
        "round_id": unit.round_id,
        "unit_code": unit.agency.code,
        "unit_name": unit.agency.name,
        "status": unit.status,
        "self_points": _number(unit.self_points),
        "final_points": _number(unit.final_points),
        "max_points": _number(unit.max_points),
        "scores": [score_out(line.score, line.node) for line in found.lines()],
    }


@router.put(
    "/rounds/{round_id}/units/{unit_code}/scores/{code}",
    response=ScoreOut,
    summary="Self-assess one sub-index of the unit's draft",
    description="A value for ratio, tiers and yes_no sub-indices (their points are "
    "computed), points for manual ones; only the unit's officials, while the draft is "
    "open.",
)
def score_save(
    request: AuthedRequest, round_id: int, unit_code: str, code: str, payload: ScoreIn
) -> Any:
    score = services.score_save(
        actor=request.user,
        unit=_unit(request, round_id, unit_code),
        code=code[:20],
        value=payload.value,
        points=payload.points,
        explanation=payload.explanation,
    )
    return score_out(score, score.node)
