"""Public-services API: the public catalogue, filing a dossier (with Idempotency-Key),
a dossier for its applicant or the competent agency, and the actions on it.

Thin endpoints: a schema in, one service or selector call, a schema out.
"""

import base64
import binascii
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Header, Query, Router
from ninja.pagination import paginate

from thudo.core.auth import AuthedRequest
from thudo.core.errors import NotFound, invalid
from thudo.core.pagination import Pagination
from thudo.procedures import selectors, services
from thudo.procedures.models import Dossier, Procedure, Task
from thudo.procedures.schemas import (
    DossierIn,
    DossierOut,
    ProcedureDetailOut,
    ProcedureOut,
    RateIn,
    ReasonIn,
    SignIn,
    SupplyIn,
    TaskIn,
)

router = Router(tags=["procedures"])


def deadline_text(version: Any) -> str:
    if version.deadline_hours:
        return _("%(n)s giờ làm việc") % {"n": version.deadline_hours}
    if not version.deadline_days:
        if version.cutoff:
            return _("Trong ngày; sau %(h)s trả vào ngày làm việc tiếp theo") % {
                "h": version.cutoff.strftime("%H:%M")
            }
        return _("Trong ngày")
    return ngettext("%(n)s ngày làm việc", "%(n)s ngày làm việc", version.deadline_days) % {
        "n": version.deadline_days
    }


def procedure_out(procedure: Procedure, detail: bool = False) -> dict[str, Any]:
    version = selectors.version_current(procedure)
    if version is None:
        raise NotFound(_("Không có thủ tục này."))
    out: dict[str, Any] = {
        "code": procedure.code,
        "name": procedure.name,
        "sector": procedure.sector,
        "service_level": version.service_level,
        "deadline": {
            "working_days": version.deadline_days,
            "working_hours": version.deadline_hours,
            "cutoff": version.cutoff.strftime("%H:%M") if version.cutoff else None,
            "text": deadline_text(version),
        },
        "fees": version.fees,
    }
    if detail:
        out |= {
            "version": version.version,
            "decision": version.decision,
            "agency_kind": procedure.agency_kind,
            "exemptions": version.exemptions,
            "components": [
                {"formats": ["pdf"], "source": "upload", **c} for c in version.components
            ],
            "form_schema": version.form_schema,
            "result": version.result,
            "legal_basis": version.legal_basis,
        }
    return out


def dossier_out(dossier: Dossier) -> dict[str, Any]:
    return {
        "code": dossier.code or "",
        "procedure": dossier.version.procedure.code,
        "procedure_name": dossier.version.procedure.name,
        "agency": dossier.agency.code,
        "status": dossier.status,
        "channel": dossier.channel,
        "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "finished_at": dossier.finished_at,
        "timeliness": selectors.timeliness(dossier),
        "fee_amount": dossier.fee_amount,
        "fee_status": dossier.fee_status,
        "prefill": dossier.prefill,
        "applicant": dossier.applicant_data,
        "form": dossier.form_data,
        "events": selectors.timeline(dossier),
        "tasks": [
            {"id": t.pk, "name": t.name, "role": t.role, "state": t.state, "fields": t.fields}
            for t in selectors.open_tasks(dossier)
        ],
        "has_result": bool(dossier.result_pdf),
    }


@router.get(
    "/procedures", response=list[ProcedureOut], auth=None, summary="The public procedure catalogue"
)
@paginate(Pagination)
def procedure_list(
    request: Any,
    q: str | None = Query(
        None, max_length=200, description="code, name or sector; accents optional"
    ),
    sector: str | None = Query(None, max_length=100),
) -> Any:
    return [procedure_out(p) for p in selectors.procedure_list(query=q or "", sector=sector or "")]


@router.get("/procedures/{code}", response=ProcedureDetailOut, auth=None, summary="One procedure")
def procedure_get(request: Any, code: str) -> Any:
    procedure = selectors.procedure_get(code=code[:60])
    if procedure is None:
        raise NotFound(_("Không có thủ tục này."))
    return procedure_out(procedure, detail=True)


@router.post(
    "/dossiers", response={200: DossierOut, 201: DossierOut}, summary="File a dossier online"
)
def dossier_file(
    request: AuthedRequest,
    payload: DossierIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
) -> Any:
    procedure = selectors.procedure_get(code=payload.procedure)
    if procedure is None:
        raise NotFound(_("Không có thủ tục này."))
    files = []
    for index, item in enumerate(payload.files):
        try:
            content = base64.b64decode(item.content, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise invalid(
                f"files.{index}.content", "not_base64", _("Tệp phải được mã hóa base64.")
            ) from exc
        files.append((item.component, item.name, content))
    dossier, created = services.dossier_file(
        actor=request.user,
        procedure=procedure,
        agency_code=payload.agency,
        form=payload.form,
        files=files,
        idempotency_key=idempotency_key,
    )
    return (201 if created else 200), dossier_out(_fresh(dossier.code or ""))


def _fresh(code: str) -> Dossier:
    dossier = selectors.dossier_get(code=code)
    if dossier is None:
        raise NotFound(_("Không có hồ sơ này."))
    return dossier


def _dossier(request: AuthedRequest, code: str) -> Dossier:
    dossier = selectors.dossier_get_for_user(user=request.user, code=code[:60])
    if dossier is None:
        raise NotFound(_("Không có hồ sơ này."))
    return dossier


def _task(dossier: Dossier, task_id: int) -> Task:
    task = dossier.tasks.filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("Không có việc này."))
    return task


@router.get(
    "/dossiers/{code}", response=DossierOut, summary="One dossier (applicant or competent agency)"
)
def dossier_get(request: AuthedRequest, code: str) -> Any:
    return dossier_out(_dossier(request, code))


@router.get(
    "/dossiers/{code}/result",
    summary="The signed result (PDF)",
    openapi_extra={
        "responses": {
            200: {
                "description": "PAdES-signed result",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def dossier_result(request: AuthedRequest, code: str) -> HttpResponse:
    dossier = _dossier(request, code)
    if not dossier.result_pdf:
        raise NotFound(_("Hồ sơ chưa có kết quả."))
    response = HttpResponse(bytes(dossier.result_pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{dossier.code}.pdf"'
    return response


def _act(fn: Any, request: AuthedRequest, code: str, **kwargs: Any) -> Any:
    dossier = fn(actor=request.user, dossier=_dossier(request, code), **kwargs)
    return dossier_out(_fresh(dossier.code or ""))


@router.post(
    "/dossiers/{code}/supply", response=DossierOut, summary="Applicant: supplement supplied"
)
def dossier_supply(request: AuthedRequest, code: str, payload: SupplyIn) -> Any:
    return _act(services.dossier_supply, request, code, note=payload.note)


@router.post("/dossiers/{code}/withdraw", response=DossierOut, summary="Applicant: withdraw")
def dossier_withdraw(request: AuthedRequest, code: str, payload: SupplyIn) -> Any:
    return _act(services.dossier_withdraw, request, code, reason=payload.note)


@router.post("/dossiers/{code}/rating", response=DossierOut, summary="Applicant: rate (1–5)")
def dossier_rate(request: AuthedRequest, code: str, payload: RateIn) -> Any:
    return _act(
        services.dossier_rate, request, code, rating=payload.rating, comment=payload.comment
    )


@router.post("/dossiers/{code}/receive", response=DossierOut, summary="Desk: receive as valid")
def dossier_receive(request: AuthedRequest, code: str) -> Any:
    return _act(services.dossier_receive, request, code)


@router.post("/dossiers/{code}/supplement", response=DossierOut, summary="Ask for a supplement")
def dossier_request_supplement(request: AuthedRequest, code: str, payload: ReasonIn) -> Any:
    return _act(services.dossier_request_supplement, request, code, reason=payload.reason)


@router.post("/dossiers/{code}/reject", response=DossierOut, summary="Desk: refuse to accept")
def dossier_reject(request: AuthedRequest, code: str, payload: ReasonIn) -> Any:
    return _act(services.dossier_reject, request, code, reason=payload.reason)


@router.post("/dossiers/{code}/stop", response=DossierOut, summary="Stop processing")
def dossier_stop(request: AuthedRequest, code: str, payload: ReasonIn) -> Any:
    return _act(services.dossier_stop, request, code, reason=payload.reason)


@router.post("/dossiers/{code}/tasks/{task_id}/claim", response=DossierOut, summary="Claim a task")
def task_claim(request: AuthedRequest, code: str, task_id: int) -> Any:
    dossier = _dossier(request, code)
    services.task_claim(actor=request.user, task=_task(dossier, task_id))
    return dossier_out(_fresh(code))


@router.post(
    "/dossiers/{code}/tasks/{task_id}/complete", response=DossierOut, summary="Complete a task"
)
def task_complete(request: AuthedRequest, code: str, task_id: int, payload: TaskIn) -> Any:
    dossier = _dossier(request, code)
    services.task_complete(actor=request.user, task=_task(dossier, task_id), data=payload.data)
    return dossier_out(_fresh(code))


@router.post("/dossiers/{code}/sign", response=DossierOut, summary="Leader: sign the result")
def dossier_sign(request: AuthedRequest, code: str, payload: SignIn) -> Any:
    return _act(services.dossier_sign, request, code, serial=payload.serial, pin=payload.pin)


@router.post("/dossiers/{code}/return", response=DossierOut, summary="Desk: return the result")
def dossier_return(request: AuthedRequest, code: str) -> Any:
    return _act(services.dossier_return, request, code)


@router.post("/dossiers/{code}/pay", response=DossierOut, summary="Desk: fee paid at the counter")
def dossier_pay(request: AuthedRequest, code: str) -> Any:
    return _act(services.dossier_pay_at_counter, request, code)
