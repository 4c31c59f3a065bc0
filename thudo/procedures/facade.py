"""What other modules (and the demo builder) may call in the public-services module."""

from __future__ import annotations

from typing import Any

from thudo.procedures import selectors, services
from thudo.procedures.contracts import DossierInfo
from thudo.procedures.models import Dossier, Procedure

__all__ = ["catalogue_load", "demo_examples", "dossier_info", "fee_paid_online"]


def catalogue_load() -> list[str]:
    """Publish the shipped procedure catalogue (idempotent)."""
    return services.catalogue_load(actor=None)


def _info(d: Dossier) -> DossierInfo:
    return DossierInfo(
        code=d.code or "",
        procedure_code=d.version.procedure.code,
        procedure_name=d.version.procedure.name,
        agency_code=d.agency.code,
        status=d.status,
        channel=d.channel,
        submitted_at=d.submitted_at,
        received_at=d.received_at,
        due_at=d.due_at,
        finished_at=d.finished_at,
    )


def dossier_info(*, code: str) -> DossierInfo | None:
    found = Dossier.objects.select_related("version__procedure", "agency").filter(code=code).first()
    return _info(found) if found else None


def fee_paid_online(*, code: str, reference: str) -> DossierInfo:
    """The payments module confirms an online payment of a dossier's fee."""
    dossier = Dossier.objects.get(code=code)
    return _info(services.fee_paid_online(dossier=dossier, reference=reference))


def demo_examples(
    *,
    agency_code: str,
    applicants: list[dict[str, Any]],
    clerk: str,
    specialist: str,
    leader: str,
    serial: str,
    pin: str,
) -> list[str]:
    """Dossiers of a few citizens at the agency, walked through the real services to
    returned (one late), refused and in progress, so that the service index has figures.
    Only when the agency has none yet; returns their codes."""
    from datetime import timedelta

    from django.utils import timezone

    from thudo.core import facade as core
    from thudo.core.models import Agency, User
    from thudo.procedures.models import Task

    agency = Agency.objects.get(code=agency_code)
    if Dossier.objects.filter(agency=agency).exists():
        return [d.code or "" for d in Dossier.objects.filter(agency=agency, code__isnull=False)]
    staff = {u.username: u for u in User.objects.filter(username__in=[clerk, specialist, leader])}
    procedure = Procedure.objects.get(slug="khai-sinh")
    version = selectors.version_current(procedure)
    assert version is not None
    form = _example_form(version.form_schema)
    codes = []
    plans = ["returned", "returned", "late", "refused", "processing"]
    for person, plan in zip(applicants, plans, strict=False):
        citizen = core.citizen_upsert(
            personal_id=person["personal_id"],
            full_name=person["full_name"],
            birth_date=person.get("birth_date"),
            gender=person.get("gender", ""),
            loa=2,
        )
        dossier = services.dossier_start(
            actor=citizen, procedure=procedure, agency_code=agency_code
        )
        services.dossier_update_form(actor=citizen, dossier=dossier, data=form)
        for component in version.components:
            if component.get("required") and component.get("source", "upload") == "upload":
                services.dossier_attach(
                    actor=citizen, dossier=dossier, component=component["code"],
                    name=f"{component['code']}.pdf", content=_example_pdf(component["name"]),
                )  # fmt: skip
        dossier = services.dossier_submit(actor=citizen, dossier=dossier)
        codes.append(dossier.code or "")
        dossier = services.dossier_receive(actor=staff[clerk], dossier=dossier)
        if plan == "processing":
            continue
        review = Task.objects.get(dossier=dossier, spec="review", state="ready")
        if plan == "refused":
            services.task_complete(
                actor=staff[specialist], task=review,
                data={"decision": "refuse", "refusal_reason": "Giấy chứng sinh không hợp lệ"},
            )  # fmt: skip
            continue
        services.task_complete(actor=staff[specialist], task=review, data={"decision": "approve"})
        if plan == "late":
            Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() - timedelta(hours=2))
        dossier = services.dossier_sign(
            actor=staff[leader], dossier=dossier, serial=serial, pin=pin
        )
        dossier = services.dossier_return(actor=staff[clerk], dossier=dossier)
        services.dossier_rate(
            actor=citizen, dossier=dossier, rating=3 if plan == "late" else 5,
            comment="Trả kết quả chậm" if plan == "late" else "Nhanh, rõ ràng",
        )  # fmt: skip
    return codes


def _example_form(schema: dict[str, Any]) -> dict[str, Any]:
    """A valid answer to a procedure's form (the first choice, a plausible text)."""
    form: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if name not in schema.get("required", []):
            continue
        if "oneOf" in prop:
            form[name] = prop["oneOf"][0]["const"]
        elif "enum" in prop:
            form[name] = prop["enum"][0]
        elif prop.get("type") == "boolean":
            form[name] = True
        elif prop.get("type") in ("integer", "number"):
            form[name] = max(int(prop.get("minimum", 1)), 1)
        elif prop.get("format") == "date":
            form[name] = "2026-11-20"
        elif "pattern" in prop and "[0-9]{12}" in prop["pattern"]:
            form[name] = "001226000001"
        else:
            form[name] = "Nguyễn Minh Khang"[: int(prop.get("maxLength", 100))]
    return form


def _example_pdf(title: str) -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)
    page.drawString(72, 760, "Scan")
    page.save()
    return buffer.getvalue()
