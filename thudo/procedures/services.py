"""Writes of the public-services module: the catalogue, and a dossier from draft to
returned result. Every change of state goes through ``lifecycle.move`` in the
transaction of the change (trail and audit with it); calls to other systems (the
population registry through the hub, PIN-protected signing) happen before a transaction
opens, so no lock is held while they answer."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import filetype
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from thudo.core import audit
from thudo.core.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    invalid,
)
from thudo.core.identifiers import IdentifierError, check_personal_id
from thudo.core.models import Agency, User
from thudo.procedures import (
    catalogue,
    codes,
    deadlines,
    engine,
    forms_pdf,
    lifecycle,
    notices,
    permissions,
    results,
)
from thudo.procedures.contracts import STATUS_LABELS, Status
from thudo.procedures.models import (
    Dossier,
    DossierFile,
    Procedure,
    ProcedureVersion,
    Task,
)

S = Status
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_FORM_BYTES = 64 * 1024


def _saved(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


def _locked(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("version__procedure")
        .get(pk=dossier.pk)
    )


# --- catalogue -------------------------------------------------------------------------------


@transaction.atomic
def catalogue_load(*, actor: User | None = None) -> list[str]:
    """Publish the shipped catalogue; returns the procedures that got a new version."""
    permissions.require(permissions.catalogue_load(actor))
    changed = []
    for entry in catalogue.entries():
        data = entry.data
        procedure, _created = Procedure.objects.update_or_create(
            code=data["code"],
            defaults={
                "slug": data["slug"],
                "name": data["name"],
                "name_en": data.get("name_en", ""),
                "sector": data["sector"],
                "agency_kind": data["agency_kind"],
                "is_active": True,
            },
        )
        latest = procedure.versions.order_by("-version").first()
        if latest is not None and latest.source_digest == entry.digest:
            continue
        deadline = data["deadline"]
        ProcedureVersion.objects.create(
            procedure=procedure,
            version=(latest.version + 1) if latest else int(data["version"]),
            decision=data["decision"],
            service_level=data["service_level"],
            deadline_days=int(deadline.get("working_days") or 0),
            deadline_hours=deadline.get("working_hours"),
            cutoff=entry.cutoff,
            fees=data["fees"],
            exemptions=data["exemptions"],
            components=data["components"],
            form_schema=data["form_schema"],
            result=data["result"],
            legal_basis=data["legal_basis"],
            process=data["process"],
            source_digest=entry.digest,
        )
        audit.record(
            action="procedures.catalogue.publish",
            actor=_saved(actor),
            object_type="procedures.procedure",
            object_id=procedure.code,
            payload={"digest": entry.digest},
        )
        changed.append(procedure.code)
    return changed


def _current_version(procedure: Procedure) -> ProcedureVersion:
    version = procedure.versions.order_by("-version").first()
    if version is None or not procedure.is_active:
        raise NotFound(_("Thủ tục này không còn được áp dụng."))
    return version


# --- once-only: the applicant as the population database knows them -----------------------


def _population(personal_id: str, purpose: str) -> dict[str, Any] | None:
    """The person's record read through the hub, or None when the registry cannot be
    reached (the dossier is marked and the prefill retried later)."""
    from thudo.exchange import facade as exchange
    from thudo.registries.contracts import POPULATION_SERVICE

    service = f"{settings.REGISTRIES_POPULATION_SYSTEM}/{POPULATION_SERVICE}"
    try:
        answer = exchange.call(
            service, f"/people/{personal_id}", purpose=purpose, data_subject=personal_id
        )
    except exchange.ExchangeError:
        return None
    body = answer.json() if answer.body else {}
    if answer.status == 404 or body.get("status") == "not_found":
        raise NotFound(_("Cơ sở dữ liệu dân cư không có người mang số định danh này."))
    if answer.status != 200 or body.get("status") != "found":
        return None
    person = dict(body["person"])
    address = person.get("permanent_address") or {}
    return {
        "personal_id": person["personal_id"],
        "full_name": person["full_name"],
        "birth_date": str(person["birth_date"]),
        "sex": person.get("sex", ""),
        "address": ", ".join(
            p for p in (address.get("line", ""), address.get("commune_name", "")) if p
        ),
        "commune_code": address.get("commune_code", ""),
    }


def _fallback_applicant(user: User) -> dict[str, Any]:
    return {
        "personal_id": user.personal_id or "",
        "full_name": user.get_full_name() or user.username,
        "birth_date": str(user.birth_date) if getattr(user, "birth_date", None) else "",
        "sex": getattr(user, "gender", ""),
        "address": "",
        "commune_code": "",
    }


def _competent(version: ProcedureVersion, agency_code: str) -> Agency:
    agency = Agency.objects.filter(code=(agency_code or "").strip(), is_active=True).first()
    if agency is None or agency.kind != version.procedure.agency_kind:
        raise invalid(
            "agency",
            "not_competent",
            _("Chọn cơ quan có thẩm quyền giải quyết thủ tục này."),
        )
    return agency


def dossier_start(
    *,
    actor: User | None,
    procedure: Procedure,
    agency_code: str,
    personal_id: str = "",
    filed_at: Agency | None = None,
) -> Dossier:
    """A draft dossier with the applicant's identity from the population database.

    Online the applicant is the signed-in citizen; at a counter (``filed_at``: the clerk's
    service centre or agency) the clerk names the citizen by personal ID."""
    version = _current_version(procedure)
    agency = _competent(version, agency_code)
    counter = filed_at is not None
    if counter:
        assert filed_at is not None
        permissions.require(permissions.dossier_start_at_counter(actor, filed_at))
        try:
            personal_id = check_personal_id((personal_id or "").strip())
        except IdentifierError as exc:
            raise invalid("personal_id", "invalid_personal_id", str(exc)) from exc
    else:
        permissions.require(
            permissions.dossier_start(actor),
            _("Công dân cần đăng nhập bằng tài khoản định danh điện tử để nộp hồ sơ."),
        )
        assert actor is not None
        personal_id = actor.personal_id or ""
    person = _population(personal_id, purpose=procedure.code)
    with transaction.atomic():
        if counter:
            from thudo.core import facade as core

            if person is None:
                raise ServiceUnavailable(
                    _("Không tra cứu được Cơ sở dữ liệu quốc gia về dân cư; thử lại sau.")
                )
            applicant = core.citizen_upsert(
                personal_id=personal_id,
                full_name=person["full_name"],
                birth_date=datetime.fromisoformat(person["birth_date"]).date(),
                gender=person["sex"],
                loa=None,
            )
            applicant = User.objects.get(pk=applicant.pk)
        else:
            assert actor is not None
            applicant = actor
        dossier = Dossier.objects.create(
            version=version,
            agency=agency,
            filed_at=filed_at,
            applicant=applicant,
            applicant_data=person or _fallback_applicant(applicant),
            prefill=Dossier.Prefill.DONE if person else Dossier.Prefill.PENDING,
            channel=Dossier.Channel.COUNTER if counter else Dossier.Channel.ONLINE,
            taken_by=actor if counter else None,
        )
        lifecycle.record(dossier, "create", actor, to_status=S.DRAFT)
        if person:
            lifecycle.record(dossier, "prefill", None, note=procedure.code)
    if person is None:
        transaction.on_commit(lambda: _enqueue_prefill(dossier.pk))
    return dossier


def _enqueue_prefill(pk: int) -> None:
    from thudo.procedures.tasks import prefill

    prefill.enqueue(pk)


def dossier_prefill_retry(*, dossier: Dossier) -> bool:
    """Try the population database again for a dossier whose prefill failed."""
    permissions.require(permissions.dossier_prefill_retry(None))
    if dossier.prefill == Dossier.Prefill.DONE:
        return True
    person = _population(
        str(dossier.applicant_data.get("personal_id", "")),
        purpose=dossier.version.procedure.code,
    )
    if person is None:
        return False
    with transaction.atomic():
        locked = _locked(dossier)
        locked.applicant_data = person
        locked.prefill = Dossier.Prefill.DONE
        locked.save(update_fields=["applicant_data", "prefill"])
        lifecycle.record(locked, "prefill", None, note=locked.version.procedure.code)
    return True


# --- the form and the files -------------------------------------------------------------------


def _validate_form(version: ProcedureVersion, data: Any) -> dict[str, Any]:
    """The applicant's form checked against the procedure's JSON Schema: every problem as
    a field error in Vietnamese, nothing stored on failure."""
    if not isinstance(data, Mapping):
        raise invalid("form", "not_an_object", _("Dữ liệu tờ khai phải là một đối tượng."))
    if len(repr(data).encode()) > MAX_FORM_BYTES:
        raise invalid("form", "too_large", _("Tờ khai quá lớn."))
    schema = version.form_schema
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(dict(data)), key=lambda e: list(e.absolute_path))
    if errors:
        raise InvalidInput(
            message=_("Tờ khai chưa hợp lệ."),
            field_errors=[_field_error(schema, e) for e in errors],
        )
    return dict(data)


def _field_error(schema: Mapping[str, Any], error: ValidationError) -> FieldError:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        name = str(error.message).split("'")[1] if "'" in error.message else ""
        path = [*path, name]
    field_name = ".".join(path) or "form"
    prop = schema.get("properties", {}).get(path[0], {}) if path else {}
    title = prop.get("title", field_name)
    messages = {
        "required": _("Hãy nhập %(t)s."),
        "type": _("%(t)s không đúng kiểu dữ liệu."),
        "format": _("%(t)s không đúng định dạng."),
        "pattern": _("%(t)s không đúng định dạng."),
        "maxLength": _("%(t)s quá dài."),
        "minLength": _("%(t)s quá ngắn."),
        "enum": _("Hãy chọn một giá trị của %(t)s trong danh sách."),
        "oneOf": _("Hãy chọn một giá trị của %(t)s trong danh sách."),
        "const": _("Hãy chọn một giá trị của %(t)s trong danh sách."),
        "minimum": _("%(t)s nhỏ hơn mức cho phép."),
        "maximum": _("%(t)s lớn hơn mức cho phép."),
        "additionalProperties": _("Tờ khai có trường không được phép."),
    }
    message = messages.get(str(error.validator), _("%(t)s không hợp lệ.")) % {"t": title}
    return FieldError(field_name, str(error.validator), message)


def dossier_update_form(*, actor: User | None, dossier: Dossier, data: Any) -> Dossier:
    """Save the draft's form (checked in full only when submitted)."""
    permissions.require(permissions.dossier_update_form(actor, dossier))
    if not isinstance(data, Mapping) or len(repr(data).encode()) > MAX_FORM_BYTES:
        raise invalid("form", "not_an_object", _("Dữ liệu tờ khai không hợp lệ."))
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.status != S.DRAFT:
            raise Conflict(_("Hồ sơ đã nộp: không sửa tờ khai được nữa."))
        properties = locked.version.form_schema.get("properties", {})
        locked.form_data = {k: v for k, v in dict(data).items() if k in properties}
        locked.save(update_fields=["form_data"])
    return locked


def _component(version: ProcedureVersion, code: str) -> dict[str, Any]:
    for component in version.components:
        if component["code"] == code:
            return dict(component)
    raise invalid("component", "unknown_component", _("Thành phần hồ sơ không đúng."))


def dossier_attach(
    *, actor: User | None, dossier: Dossier, component: str, name: str, content: bytes
) -> DossierFile:
    """An uploaded component: its type sniffed from the bytes (not the name), its size
    capped, only the formats the procedure accepts."""
    permissions.require(permissions.dossier_attach(actor, dossier))
    spec = _component(dossier.version, component)
    if not content:
        raise invalid("file", "empty", _("Tệp rỗng."))
    if len(content) > settings.PROCEDURES_MAX_FILE_BYTES:
        raise invalid(
            "file",
            "too_large",
            _("Tệp lớn hơn %(n)s MB.") % {"n": settings.PROCEDURES_MAX_FILE_BYTES // 2**20},
        )
    kind = filetype.guess(content)
    accepted = {MEDIA_TYPES[f] for f in spec.get("formats", ["pdf"]) if f in MEDIA_TYPES}
    media_type = kind.mime if kind else ""
    if media_type == "application/zip" and name.lower().endswith((".docx", ".xlsx")):
        media_type = MEDIA_TYPES[name.lower().rsplit(".", 1)[1]]
    if media_type not in accepted:
        raise invalid(
            "file",
            "wrong_type",
            _("Tệp không đúng định dạng cho phép (%(f)s).")
            % {"f": ", ".join(spec.get("formats", ["pdf"]))},
        )
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.status not in (S.DRAFT, S.SUPPLEMENT):
            raise Conflict(_("Hồ sơ đã nộp: chỉ bổ sung tệp khi được yêu cầu."))
        attached = DossierFile.objects.create(
            dossier=locked,
            component=component,
            name=(name or "tep")[-200:],
            media_type=media_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
        )
    return attached


def dossier_attach_from_wallet(
    *, actor: User | None, dossier: Dossier, component: str, source_code: str
) -> DossierFile:
    """Attach by reference a signed result the applicant already holds (an earlier
    returned dossier of theirs): nothing is uploaded again."""
    permissions.require(permissions.dossier_attach_from_wallet(actor, dossier))
    _component(dossier.version, component)
    source = Dossier.objects.filter(
        code=source_code, applicant=dossier.applicant, status=S.RETURNED
    ).first()
    if source is None or not source.result_pdf:
        raise invalid("source", "not_in_wallet", _("Không có kết quả này trong kho dữ liệu."))
    content = bytes(source.result_pdf)
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.status not in (S.DRAFT, S.SUPPLEMENT):
            raise Conflict(_("Hồ sơ đã nộp: chỉ bổ sung tệp khi được yêu cầu."))
        return DossierFile.objects.create(
            dossier=locked,
            component=component,
            name=f"{source.version.procedure.name} {source.code}.pdf",
            media_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            from_dossier=source,
        )


def _missing_components(dossier: Dossier) -> list[FieldError]:
    have = set(
        dossier.files.filter(kind=DossierFile.Kind.COMPONENT).values_list("component", flat=True)
    )
    return [
        FieldError(
            f"component.{c['code']}",
            "required",
            _("Thiếu thành phần hồ sơ: %(n)s.") % {"n": c["name"]},
        )
        for c in dossier.version.components
        if c.get("required")
        and c.get("source", "upload") in ("upload", "wallet")
        and c["code"] not in have
    ]


def _fee_for(version: ProcedureVersion, form: Mapping[str, Any]) -> tuple[int, bool]:
    """The fee of a dossier: the procedure version's fees, unless an exemption applies
    (an exemption names the yes/no form field that grants it)."""
    total = sum(int(f.get("amount") or 0) for f in version.fees)
    exempt = any(bool(form.get(e.get("field", ""))) for e in version.exemptions if e.get("field"))
    return (0, True) if exempt and total else (total, False)


def dossier_submit(
    *, actor: User | None, dossier: Dossier, idempotency_key: str | None = None
) -> Dossier:
    """Nộp: the form checked in full, the components complete, a gapless code of the
    competent agency's day, the fee computed; the competent agency is told."""
    permissions.require(permissions.dossier_submit(actor, dossier))
    dossier = Dossier.objects.select_related("version__procedure", "agency").get(pk=dossier.pk)
    form = _validate_form(dossier.version, dossier.form_data)
    missing = _missing_components(dossier)
    if missing:
        raise InvalidInput(message=_("Hồ sơ chưa đủ thành phần."), field_errors=missing)
    try:
        with transaction.atomic():
            locked = _locked(dossier)
            if (
                locked.status == S.SUBMITTED
                and idempotency_key
                and locked.idempotency_key == idempotency_key
            ):
                return locked
            lifecycle.move(locked, "submit", actor)
            now = timezone.now()
            locked.code = codes.take(locked.agency, timezone.localdate(now))
            locked.submitted_at = now
            locked.idempotency_key = idempotency_key or ""
            amount, exempt = _fee_for(locked.version, form)
            locked.fee_amount = amount
            locked.fee_status = (
                Dossier.FeeStatus.EXEMPT
                if exempt
                else Dossier.FeeStatus.UNPAID
                if amount
                else Dossier.FeeStatus.NONE
            )
            locked.save()
            notices.dossier_changed(locked)
    except IntegrityError as exc:
        existing = Dossier.objects.filter(
            applicant=dossier.applicant, idempotency_key=idempotency_key
        ).first()
        if idempotency_key and existing is not None:
            return existing
        raise Conflict(_("Hồ sơ vừa được nộp ở nơi khác.")) from exc
    return locked


def dossier_file(
    *,
    actor: User | None,
    procedure: Procedure,
    agency_code: str,
    form: Any,
    files: list[tuple[str, str, bytes]] | None = None,
    idempotency_key: str | None = None,
) -> tuple[Dossier, bool]:
    """A whole online dossier in one call (the API): start, form, files
    (``(component, name, content)``), submit. The same ``Idempotency-Key`` returns the
    same dossier; a failed filing leaves nothing behind. Returns ``(dossier, created)``."""
    permissions.require(permissions.dossier_file(actor))
    if idempotency_key and actor is not None:
        existing = Dossier.objects.filter(applicant=actor, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    version = _current_version(procedure)
    _validate_form(version, form)
    dossier = dossier_start(actor=actor, procedure=procedure, agency_code=agency_code)
    try:
        dossier = dossier_update_form(actor=actor, dossier=dossier, data=form)
        for component, name, content in files or []:
            dossier_attach(
                actor=actor, dossier=dossier, component=component, name=name, content=content
            )
        return dossier_submit(actor=actor, dossier=dossier, idempotency_key=idempotency_key), True
    except BaseException:
        Dossier.objects.filter(pk=dossier.pk, status=S.DRAFT).delete()
        raise


# --- the one-stop desk -----------------------------------------------------------------------


def _form_pdf(dossier: Dossier, form: str, actor: User | None, **extra: Any) -> bytes:
    agency = dossier.agency
    parent = agency.parent.name if agency.parent is not None else "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI"
    person = dossier.applicant_data
    context = forms_pdf.FormContext(
        form=form,
        agency_name=agency.name,
        parent_agency_name=parent.upper(),
        place=settings.SIGNING_LOCALITY,
        dossier_code=dossier.code or "",
        procedure_name=dossier.version.procedure.name,
        applicant_name=str(person.get("full_name", "")),
        applicant_id=str(person.get("personal_id", "")),
        applicant_address=str(person.get("address", "")),
        applicant_phone=str(dossier.form_data.get("so_dien_thoai", "")),
        applicant_email=dossier.applicant.email or "",
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        new_due_at=extra.get("new_due_at"),
        components=tuple(
            forms_pdf.Component(f.name)
            for f in dossier.files.filter(kind=DossierFile.Kind.COMPONENT)
        ),
        reason=str(extra.get("reason", "")),
        official_name=(actor.get_full_name() if actor else "") or "",
        official_title=_("Cán bộ tiếp nhận"),
        channel=dossier.channel,
        steps=(),
        rows=(),
        issued_at=timezone.now(),
    )
    return forms_pdf.render(context)


def _keep_form(dossier: Dossier, form: str, pdf: bytes) -> DossierFile:
    return DossierFile.objects.create(
        dossier=dossier,
        kind=DossierFile.Kind.FORM,
        component=f"mau-{form}",
        name=f"Mẫu {form} - {dossier.code}.pdf",
        media_type="application/pdf",
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        content=pdf,
    )


def _sealed(dossier: Dossier, pdf: bytes, actor: User | None, box: Any, reason: str) -> bytes:
    from thudo.signing import facade as signing

    seal = signing.seal_of(agency_code=dossier.agency.code)
    if seal is None:
        raise Conflict(_("Cơ quan chưa có chứng thư số con dấu."))
    return signing.sign_pdf(
        pdf,
        actor=actor,
        serial=seal.serial,
        appearance=signing.Appearance(
            page=0,
            box=(int(box[0]), int(box[1]), int(box[2]), int(box[3])),
            name=dossier.agency.name,
        ),
        reason=reason,
    )


def _sync_tasks(dossier: Dossier, instance: engine.Instance) -> None:
    ready = {t.id: t for t in instance.ready_tasks()}
    open_tasks = Task.objects.filter(
        dossier=dossier, state__in=[Task.State.READY, Task.State.CLAIMED]
    )
    for task in open_tasks:
        if task.engine_id not in ready:
            task.state = Task.State.CANCELLED
            task.save(update_fields=["state"])
    known = set(Task.objects.filter(dossier=dossier).values_list("engine_id", flat=True))
    for ready_task in ready.values():
        if ready_task.id in known:
            continue
        Task.objects.create(
            dossier=dossier,
            engine_id=ready_task.id,
            spec=ready_task.spec,
            name=ready_task.name,
            role=ready_task.role,
            fields=[f.name for f in ready_task.form_fields],
            agency=dossier.agency,
        )


def _workflow_data(dossier: Dossier) -> dict[str, Any]:
    return {
        "form": dict(dossier.form_data),
        "dossier": {"code": dossier.code, "channel": dossier.channel},
        "applicant": dict(dossier.applicant_data),
    }


def dossier_receive(*, actor: User | None, dossier: Dossier) -> Dossier:
    """Tiếp nhận: the dossier is valid; the clock starts, the BPMN process starts, and
    the receipt with the appointment date (form 01) leaves sealed by the agency."""
    permissions.require(permissions.dossier_receive(actor, dossier))
    with transaction.atomic():
        locked = _locked(dossier)
        lifecycle.move(locked, "receive", actor)
        now = timezone.now()
        locked.received_at = now
        locked.due_at = deadlines.due(locked.version, now)
        instance = engine.start(locked.version.process, _workflow_data(locked))
        locked.workflow = instance.dumps()
        locked.save()
        _sync_tasks(locked, instance)
        receipt = _form_pdf(locked, "01", actor)
        # Sealed by the platform for the competent agency: a service centre's clerk who
        # takes the dossier does not hold that agency's seal.
        receipt = _sealed(locked, receipt, None, forms_pdf.SEAL_BOX_01, _("Tiếp nhận hồ sơ"))
        locked.receipt_pdf = receipt
        locked.save(update_fields=["receipt_pdf"])
        _keep_form(locked, "01", receipt)
        notices.dossier_changed(locked)
    return locked


def _reason(reason: str, field_name: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise invalid(field_name, "required", _("Hãy ghi rõ lý do."))
    if len(text) > 4000:
        raise invalid(field_name, "too_long", _("Nội dung quá dài."))
    return text


def dossier_request_supplement(*, actor: User | None, dossier: Dossier, reason: str) -> Dossier:
    """Yêu cầu bổ sung (form 02), once and in full: the clock stops until the applicant
    answers."""
    permissions.require(permissions.dossier_request_supplement(actor, dossier))
    text = _reason(reason)
    with transaction.atomic():
        locked = _locked(dossier)
        lifecycle.move(locked, "request_supplement", actor, note=text)
        locked.paused_at = timezone.now()
        locked.note = text
        locked.save()
        _keep_form(locked, "02", _form_pdf(locked, "02", actor, reason=text))
        notices.dossier_changed(locked, note=text)
    return locked


def dossier_supply(*, actor: User | None, dossier: Dossier, note: str = "") -> Dossier:
    """The applicant has added what was asked: back to the desk (not yet received) or to
    processing with the time that was left on the clock."""
    permissions.require(permissions.dossier_supply(actor, dossier))
    with transaction.atomic():
        locked = _locked(dossier)
        target = S.PROCESSING if locked.received_at else S.SUBMITTED
        lifecycle.move(locked, "supply", actor, note=(note or "")[:4000], target=target)
        now = timezone.now()
        if locked.received_at and locked.due_at and locked.paused_at:
            locked.due_at = deadlines.resumed(locked.due_at, locked.paused_at, now)
        locked.paused_at = None
        locked.save()
        _supplied_in_engine(locked, actor, (note or "").strip()[:4000])
        notices.dossier_changed(locked)
    return locked


def dossier_reject(*, actor: User | None, dossier: Dossier, reason: str) -> Dossier:
    """Từ chối tiếp nhận (form 03), with the written reason."""
    permissions.require(permissions.dossier_reject(actor, dossier))
    text = _reason(reason)
    with transaction.atomic():
        locked = _locked(dossier)
        lifecycle.move(locked, "reject", actor, note=text)
        locked.finished_at = timezone.now()
        locked.note = text
        locked.save()
        _keep_form(locked, "03", _form_pdf(locked, "03", actor, reason=text))
        notices.dossier_changed(locked, note=text)
    return locked


def dossier_withdraw(*, actor: User | None, dossier: Dossier, reason: str = "") -> Dossier:
    permissions.require(permissions.dossier_withdraw(actor, dossier))
    with transaction.atomic():
        locked = _locked(dossier)
        lifecycle.move(locked, "withdraw", actor, note=(reason or "")[:4000])
        locked.finished_at = timezone.now()
        locked.save()
        Task.objects.filter(
            dossier=locked, state__in=[Task.State.READY, Task.State.CLAIMED]
        ).update(state=Task.State.CANCELLED)
        notices.dossier_changed(locked)
    return locked


def dossier_stop(*, actor: User | None, dossier: Dossier, reason: str) -> Dossier:
    """Dừng giải quyết (form 05), with the reason."""
    permissions.require(permissions.dossier_stop(actor, dossier))
    text = _reason(reason)
    with transaction.atomic():
        locked = _locked(dossier)
        lifecycle.move(locked, "stop", actor, note=text)
        locked.finished_at = timezone.now()
        locked.note = text
        locked.save()
        Task.objects.filter(
            dossier=locked, state__in=[Task.State.READY, Task.State.CLAIMED]
        ).update(state=Task.State.CANCELLED)
        _keep_form(locked, "05", _form_pdf(locked, "05", actor, reason=text))
        notices.dossier_changed(locked, note=text)
    return locked


def dossier_postpone(
    *, actor: User | None, dossier: Dossier, new_due: datetime, reason: str
) -> Dossier:
    """A late dossier: the apology and new return date (form 04)."""
    permissions.require(permissions.dossier_postpone(actor, dossier))
    text = _reason(reason)
    if timezone.is_naive(new_due) or new_due <= timezone.now():
        raise invalid("new_due", "in_the_past", _("Ngày hẹn mới phải ở tương lai."))
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.due_at and new_due <= locked.due_at:
            raise invalid("new_due", "not_later", _("Ngày hẹn mới phải sau ngày hẹn cũ."))
        current = Status(locked.status)
        lifecycle.move(locked, "postpone", actor, note=text, target=current)
        _keep_form(locked, "04", _form_pdf(locked, "04", actor, reason=text, new_due_at=new_due))
        locked.due_at = new_due
        locked.save(update_fields=["due_at"])
        notices.dossier_changed(locked, note=text)
    return locked


def dossier_pay_at_counter(*, actor: User | None, dossier: Dossier) -> Dossier:
    """The fee paid at the counter. (Online payment plugs in at ``fee_paid_online``.)"""
    permissions.require(permissions.dossier_pay_at_counter(actor, dossier))
    return _paid(actor, dossier, Dossier.FeeStatus.PAID_COUNTER)


def fee_paid_online(*, dossier: Dossier, reference: str) -> Dossier:
    """The seam for the payments module: a confirmed online payment of the dossier's fee."""
    permissions.require(permissions.fee_paid_online(None))
    return _paid(None, dossier, Dossier.FeeStatus.PAID_ONLINE, reference=reference)


def _paid(actor: User | None, dossier: Dossier, status: str, reference: str = "") -> Dossier:
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.fee_status != Dossier.FeeStatus.UNPAID:
            raise Conflict(_("Hồ sơ không có khoản phí chờ nộp."))
        locked.fee_status = status
        locked.save(update_fields=["fee_status"])
        lifecycle.record(locked, "pay", actor, note=reference, amount=locked.fee_amount)
    return locked


# --- BPMN tasks ------------------------------------------------------------------------------


def task_claim(*, actor: User | None, task: Task) -> Task:
    permissions.require(permissions.task_claim(actor, task))
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.state != Task.State.READY:
            if locked.state == Task.State.CLAIMED and locked.assignee_id == getattr(
                actor, "pk", None
            ):
                return locked
            raise Conflict(_("Việc này đã có người nhận hoặc đã xong."))
        locked.state = Task.State.CLAIMED
        locked.assignee = actor
        locked.save(update_fields=["state", "assignee"])
    return locked


# The approval tasks that are done by signing the result (their "approve" is the signature).
SIGN_TASKS = frozenset({"approve_leader", "approve_head"})
# The task where the one-stop desk takes in what the applicant supplied.
SUPPLEMENT_TASK = "supplement"


def _task_data(task: Task, data: Mapping[str, Any]) -> dict[str, Any]:
    """The official's answer, limited to the fields the BPMN task declares (the engine
    checks their choices); a refusal or a request for more must say why."""
    clean: dict[str, Any] = {}
    for name in task.fields or []:
        value = data.get(name, "")
        if not isinstance(value, str | bool | int):
            raise invalid(name, "invalid", _("Giá trị không hợp lệ."))
        clean[name] = value.strip()[:4000] if isinstance(value, str) else value
        if clean[name] == "":
            del clean[name]
    decision = clean.get("decision")
    if "decision" in (task.fields or []) and not decision:
        raise invalid("decision", "required", _("Hãy chọn kết quả xử lý."))
    if decision == "refuse" and not (clean.get("refusal_reason") or clean.get("note")):
        raise invalid("refusal_reason", "required", _("Hãy ghi rõ lý do từ chối."))
    if decision in ("supplement", "return", "rework") and not clean.get("note"):
        raise invalid("note", "required", _("Hãy ghi rõ nội dung cần bổ sung, hoàn thiện."))
    if decision == "refuse" and not clean.get("refusal_reason"):
        clean["refusal_reason"] = clean.get("note", "")
    return clean


def _run_task(
    dossier: Dossier,
    instance: engine.Instance,
    task: Task,
    data: dict[str, Any],
    actor: User | None,
) -> None:
    try:
        instance.complete(task.engine_id, data)
    except engine.EngineError as exc:
        raise Conflict(_("Không hoàn thành được việc: %(e)s") % {"e": exc}) from exc
    task.state = Task.State.DONE
    task.assignee = actor if getattr(actor, "pk", None) else task.assignee
    task.completed_at = timezone.now()
    task.data = data
    task.save()
    note = data.get("refusal_reason") or data.get("note") or ""
    lifecycle.record(dossier, "task", actor, note=f"{task.name}: {note}".strip(": "))


def _after_engine(
    dossier: Dossier, instance: engine.Instance, actor: User | None, *, signed: bool = False
) -> None:
    """Bring the dossier's state in line with where its process now waits or ended
    (``signed``: the approval was just given by signing; the desk returns the result)."""
    dossier.workflow = instance.dumps()
    _sync_tasks(dossier, instance)
    status = Status(dossier.status)
    if instance.is_completed():
        outcome = instance.outcome or str(instance.data.get("decision", "approve"))
        dossier.outcome = outcome
        if outcome == "refuse":
            reason = str(
                instance.data.get("refusal_reason") or instance.data.get("note") or ""
            ) or _("Không đủ điều kiện giải quyết.")
            lifecycle.move(dossier, "refuse", actor, note=reason)
            dossier.finished_at = timezone.now()
            dossier.note = reason
        elif status == S.PROCESSING:
            lifecycle.move(dossier, "to_signing", actor)
        elif status == S.RESULT_READY and not signed:
            # The process's last step handed the result over (e.g. the marriage
            # certificate given to both spouses at the office).
            if dossier.fee_status == Dossier.FeeStatus.UNPAID:
                raise Conflict(_("Hồ sơ chưa nộp phí, lệ phí."))
            lifecycle.move(dossier, "return", actor)
            dossier.returned_at = timezone.now()
        dossier.save()
        notices.dossier_changed(dossier)
        return
    waiting = {t.spec for t in instance.ready_tasks()}
    if status == S.PROCESSING and waiting & SIGN_TASKS:
        lifecycle.move(dossier, "to_signing", actor)
        notices.dossier_changed(dossier)
    elif status == S.SIGNING and not waiting & SIGN_TASKS:
        lifecycle.move(dossier, "send_back", actor)
    dossier.save()


def task_complete(*, actor: User | None, task: Task, data: Mapping[str, Any]) -> Task:
    """Complete a BPMN user task and let the process move on. "Supplement" asks the
    applicant for more (form 02, the clock stops); the approval task is completed by
    signing the result. Two officials completing the same task at once: the second is
    told it is done (the dossier row serialises them)."""
    permissions.require(permissions.task_complete(actor, task))
    clean = _task_data(task, data)
    with transaction.atomic():
        dossier = _locked(task.dossier)
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.state not in (Task.State.READY, Task.State.CLAIMED):
            raise Conflict(_("Việc này đã được xử lý."))
        if locked.state == Task.State.CLAIMED and locked.assignee_id != getattr(actor, "pk", None):
            raise Conflict(_("Việc này đang do cán bộ khác xử lý."))
        if dossier.status not in (S.PROCESSING, S.SIGNING, S.RESULT_READY):
            raise Conflict(
                _("Hồ sơ đang ở trạng thái “%(s)s”.") % {"s": STATUS_LABELS[Status(dossier.status)]}
            )
        if locked.spec in SIGN_TASKS and clean.get("decision") == "approve":
            raise Conflict(_("Phê duyệt bằng cách ký số kết quả (“Ký số kết quả”)."))
        if locked.spec == SUPPLEMENT_TASK:
            raise Conflict(_("Việc này hoàn thành khi công dân bổ sung hồ sơ."))
        instance = engine.loads(dossier.version.process, dossier.workflow)
        _run_task(dossier, instance, locked, clean, actor)
        if clean.get("decision") == "supplement":
            text = str(clean["note"])
            lifecycle.move(dossier, "request_supplement", actor, note=text)
            dossier.paused_at = timezone.now()
            dossier.note = text
            _keep_form(dossier, "02", _form_pdf(dossier, "02", actor, reason=text))
            notices.dossier_changed(dossier, note=text)
        _after_engine(dossier, instance, actor)
    return locked


def _supplied_in_engine(dossier: Dossier, actor: User | None, note: str) -> None:
    """The desk's "take in the supplement" task of the process, done by the supply."""
    if not dossier.workflow:
        return
    task = Task.objects.filter(
        dossier=dossier, spec=SUPPLEMENT_TASK, state__in=[Task.State.READY, Task.State.CLAIMED]
    ).first()
    if task is None:
        return
    instance = engine.loads(dossier.version.process, dossier.workflow)
    _run_task(dossier, instance, task, {"note": note} if note else {}, actor)
    _after_engine(dossier, instance, actor)


# --- the result: signed in sequence, returned ---------------------------------------------------


def dossier_sign(*, actor: User | None, dossier: Dossier, serial: str, pin: str) -> Dossier:
    """The leader signs the result with their own certificate, then the agency's seal is
    applied (two PAdES signatures in sequence). The PIN-protected signature is made before
    the transaction, so a wrong PIN stays counted."""
    from thudo.signing import facade as signing

    permissions.require(permissions.dossier_sign(actor, dossier))
    dossier = Dossier.objects.select_related("version__procedure", "agency").get(pk=dossier.pk)
    if dossier.status != S.SIGNING:
        raise Conflict(_("Hồ sơ chưa đến bước ký kết quả."))
    assert actor is not None
    own = {c.serial for c in signing.certificates_of(user=actor) if c.profile != "seal"}
    if (serial or "").strip().lower() not in own:
        raise invalid(
            "serial", "not_own_certificate", _("Chọn một chứng thư số cá nhân của bạn để ký.")
        )
    title = _title_of(actor, dossier.agency)
    pdf, layout = results.render(
        results.Result(
            title=str(dossier.version.result.get("title", dossier.version.procedure.name)),
            procedure=dossier.version.procedure.name,
            dossier_code=dossier.code or "",
            agency_name=dossier.agency.name,
            parent_agency_name=(dossier.agency.parent.name if dossier.agency.parent else ""),
            place=settings.SIGNING_LOCALITY,
            applicant=dict(dossier.applicant_data),
            form=dict(dossier.form_data),
            labels={
                k: str(v.get("title", k))
                for k, v in dossier.version.form_schema.get("properties", {}).items()
            },
            signer_name=actor.get_full_name() or actor.username,
            signer_title=title,
            issued_at=timezone.now(),
        )
    )
    signed = signing.sign_pdf(
        pdf,
        actor=actor,
        serial=serial,
        pin=pin,
        appearance=signing.Appearance(
            page=layout.page,
            box=layout.signature,
            authority="",
            position=title.upper(),
            name=actor.get_full_name() or actor.username,
        ),
        reason=_("Ký kết quả giải quyết thủ tục hành chính"),
    )
    with transaction.atomic():
        locked = _locked(dossier)
        sealed = _sealed(locked, signed, actor, layout.seal, _("Đóng dấu kết quả"))
        lifecycle.move(locked, "sign", actor)
        locked.result_pdf = sealed
        locked.finished_at = timezone.now()
        locked.save()
        approval = Task.objects.filter(
            dossier=locked, spec__in=SIGN_TASKS, state__in=[Task.State.READY, Task.State.CLAIMED]
        ).first()
        if approval is not None and locked.workflow:
            instance = engine.loads(locked.version.process, locked.workflow)
            _run_task(locked, instance, approval, {"decision": "approve"}, actor)
            _after_engine(locked, instance, actor, signed=True)
        notices.dossier_changed(locked)
    return locked


def _title_of(actor: User, agency: Agency) -> str:
    membership = actor.memberships.filter(agency=agency, revoked_at__isnull=True).first()
    return (membership.title if membership and membership.title else "") or _("Lãnh đạo")


def dossier_return(*, actor: User | None, dossier: Dossier) -> Dossier:
    """Trả kết quả: the signed result is the applicant's, in their data wallet."""
    permissions.require(permissions.dossier_return(actor, dossier))
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.fee_status == Dossier.FeeStatus.UNPAID:
            raise Conflict(_("Hồ sơ chưa nộp phí, lệ phí."))
        lifecycle.move(locked, "return", actor)
        locked.returned_at = timezone.now()
        locked.save()
        # Handing the result over at the desk is the process's last step too.
        Task.objects.filter(
            dossier=locked, state__in=[Task.State.READY, Task.State.CLAIMED]
        ).update(state=Task.State.CANCELLED)
        notices.dossier_changed(locked)
    return locked


def dossier_rate(
    *, actor: User | None, dossier: Dossier, rating: Any, comment: str = ""
) -> Dossier:
    """Đánh giá: 1–5 and a comment, once, after the dossier is finished."""
    permissions.require(permissions.dossier_rate(actor, dossier))
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise invalid("rating", "out_of_range", _("Hãy chọn mức đánh giá từ 1 đến 5."))
    with transaction.atomic():
        locked = _locked(dossier)
        if Status(locked.status) not in (S.RETURNED, S.REFUSED, S.REJECTED, S.STOPPED):
            raise Conflict(_("Chỉ đánh giá khi hồ sơ đã giải quyết xong."))
        if locked.rating is not None:
            raise Conflict(_("Bạn đã đánh giá hồ sơ này."))
        locked.rating = value
        locked.rating_comment = (comment or "").strip()[:2000]
        locked.save(update_fields=["rating", "rating_comment"])
        lifecycle.record(locked, "rate", actor, note=str(value))
    return locked


def remind_due(*, now: datetime, within: Any) -> int:
    """Remind the holders of open tasks (or, unclaimed, every official of the lane's role)
    of dossiers due within ``within`` of working time; once per task and day."""
    permissions.require(permissions.remind_due(None))
    from thudo.core.calendar import get_calendar
    from thudo.core.models import Membership

    calendar = get_calendar()
    horizon = calendar.add_working_hours(now, within)
    sent = 0
    tasks = Task.objects.filter(
        state__in=[Task.State.READY, Task.State.CLAIMED],
        dossier__status=S.PROCESSING,
        dossier__due_at__lte=horizon,
    ).select_related("dossier__version__procedure", "assignee")
    today = timezone.localdate(now).isoformat()
    with transaction.atomic():
        for task in tasks:
            if task.data.get("reminded") == today:
                continue
            if task.assignee is not None:
                people = [task.assignee]
            else:
                people = [
                    m.user
                    for m in Membership.objects.filter(
                        agency=task.agency, role=task.role, revoked_at__isnull=True
                    ).select_related("user")
                ]
            late = task.dossier.due_at is not None and task.dossier.due_at < now
            text = (
                _("Hồ sơ %(c)s đã quá hạn: %(t)s.")
                if late
                else _("Hồ sơ %(c)s sắp đến hạn: %(t)s.")
            ) % {
                "c": task.dossier.code,
                "t": task.name,
            }
            for person in people:
                notices.notify(person, text, task.dossier)
                sent += 1
            task.data = {**task.data, "reminded": today}
            task.save(update_fields=["data"])
    return sent
