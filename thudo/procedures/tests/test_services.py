"""The dossier life cycle through the services: filing with the applicant's data from the
population database, the one-stop desk, the BPMN tasks, the supplement that stops the
clock, signing in sequence, return, and the faults around them."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from thudo.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from thudo.core.models import AuditEvent
from thudo.procedures import selectors, services
from thudo.procedures.models import Dossier, DossierEvent, DossierFile, Notice, Task
from thudo.procedures.tests.factories import GROOM, PIN, Desk, procedure
from thudo.signing.facade import validate_pdf
from thudo.signing.tests.factories import sample_pdf

FORM = {
    "ho_ten_ben_kia": "Đặng Văn Minh",
    "so_dinh_danh_ben_kia": GROOM,
    "ngay_sinh_ben_kia": "1989-11-02",
    "noi_cu_tru_ben_kia": "Số 12 phố Kim Mã, Phường Ba Đình",
    "tinh_trang_hon_nhan": "chua_ket_hon",
    "tinh_trang_hon_nhan_ben_kia": "chua_ket_hon",
    "tu_nguyen": True,
}


def marriage_form() -> dict[str, Any]:
    schema = procedure("ket-hon").versions.first().form_schema  # type: ignore[union-attr]
    required = schema.get("required", [])
    form = {k: v for k, v in FORM.items() if k in schema["properties"]}
    missing = [k for k in required if k not in form]
    assert not missing, f"the test's marriage form lacks {missing}"
    return form


def filed(desk: Desk) -> Dossier:
    dossier = services.dossier_start(
        actor=desk.bride, procedure=procedure("ket-hon"), agency_code=desk.commune.code
    )
    services.dossier_update_form(actor=desk.bride, dossier=dossier, data=marriage_form())
    services.dossier_attach(
        actor=desk.bride, dossier=dossier, component="to-khai", name="to-khai.pdf",
        content=sample_pdf("Tờ khai đăng ký kết hôn"),
    )  # fmt: skip
    return services.dossier_submit(actor=desk.bride, dossier=dossier)


def task(dossier: Dossier, spec: str) -> Task:
    return Task.objects.get(dossier=dossier, spec=spec, state__in=["ready", "claimed"])


def test_filing_fetches_the_applicant_from_the_population_database(desk: Desk) -> None:
    dossier = filed(desk)
    assert dossier.applicant_data["full_name"] == "Nguyễn Thị Ánh Tuyết"
    assert dossier.prefill == "done"
    assert desk.registry.asked == [(desk.bride.personal_id, "1.000894")]
    assert re.fullmatch(r"000\.01\.50\.H26-\d{6}-0001", dossier.code or "")
    assert dossier.status == "submitted"
    assert Notice.objects.filter(user=desk.bride, dossier=dossier).count() == 1


def test_the_whole_marriage_path(desk: Desk) -> None:
    dossier = filed(desk)
    dossier = services.dossier_receive(actor=desk.clerk, dossier=dossier)
    assert dossier.status == "processing"
    assert dossier.due_at is not None
    receipt = validate_pdf(bytes(dossier.receipt_pdf or b""))
    assert receipt.ok, receipt
    assert DossierFile.objects.filter(dossier=dossier, kind="form", component="mau-01").count() == 1

    review = task(dossier, "review")
    assert (review.role, review.name) == ("specialist", "Thẩm định hồ sơ")
    services.task_claim(actor=desk.specialist, task=review)
    services.task_complete(actor=desk.specialist, task=review, data={"decision": "approve"})
    dossier.refresh_from_db()
    assert dossier.status == "signing"
    approval = task(dossier, "approve_leader")
    assert approval.role == "leader"
    with pytest.raises(Conflict):
        services.task_complete(actor=desk.leader, task=approval, data={"decision": "approve"})

    dossier = services.dossier_sign(actor=desk.leader, dossier=dossier, serial=desk.serial, pin=PIN)
    assert dossier.status == "result_ready"
    report = validate_pdf(bytes(dossier.result_pdf or b""))
    assert report.ok, report
    assert [s.signer for s in report.signatures] == ["Đặng Thị Hương", desk.commune.name]

    handover = task(dossier, "handover")
    services.task_complete(actor=desk.specialist, task=handover, data={})
    dossier.refresh_from_db()
    assert dossier.status == "returned"
    assert list(selectors.wallet_of(user=desk.bride)) == [dossier]
    actions = list(DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True))
    assert actions == [
        "create", "prefill", "submit", "receive", "task", "to_signing", "sign", "task", "task",
        "return",
    ]  # fmt: skip
    assert AuditEvent.objects.filter(action="procedures.dossier.sign").count() == 1
    services.dossier_rate(actor=desk.bride, dossier=dossier, rating=5, comment="Nhanh gọn")
    with pytest.raises(Conflict):
        services.dossier_rate(actor=desk.bride, dossier=dossier, rating=4)


def test_refusal_needs_a_reason_and_ends_the_dossier(desk: Desk) -> None:
    dossier = services.dossier_receive(actor=desk.clerk, dossier=filed(desk))
    review = task(dossier, "review")
    with pytest.raises(InvalidInput):
        services.task_complete(actor=desk.specialist, task=review, data={"decision": "refuse"})
    services.task_complete(
        actor=desk.specialist, task=review,
        data={"decision": "refuse", "refusal_reason": "Bên kia đang có vợ"},
    )  # fmt: skip
    dossier.refresh_from_db()
    assert (dossier.status, dossier.note) == ("refused", "Bên kia đang có vợ")


def test_a_supplement_stops_the_clock_and_the_time_left_is_given_back(desk: Desk) -> None:
    dossier = services.dossier_receive(actor=desk.clerk, dossier=filed(desk))
    due = dossier.due_at
    services.task_complete(
        actor=desk.specialist, task=task(dossier, "review"),
        data={"decision": "supplement", "note": "Bổ sung giấy xác nhận tình trạng hôn nhân"},
    )  # fmt: skip
    dossier.refresh_from_db()
    assert dossier.status == "supplement"
    assert dossier.paused_at is not None
    assert DossierFile.objects.filter(dossier=dossier, component="mau-02").exists()
    Dossier.objects.filter(pk=dossier.pk).update(paused_at=dossier.paused_at - timedelta(days=7))
    services.dossier_supply(actor=desk.bride, dossier=dossier, note="Đã bổ sung")
    dossier.refresh_from_db()
    assert dossier.status == "processing"
    assert dossier.due_at is not None and due is not None and dossier.due_at > due
    assert task(dossier, "review").role == "specialist"


def test_an_official_of_another_commune_cannot_act(desk: Desk) -> None:
    dossier = filed(desk)
    with pytest.raises(PermissionDenied):
        services.dossier_receive(actor=desk.city.clerk_b, dossier=dossier)
    with pytest.raises(PermissionDenied):
        services.dossier_receive(actor=desk.specialist, dossier=dossier)


def test_invalid_form_data_changes_nothing(desk: Desk) -> None:
    dossier = services.dossier_start(
        actor=desk.bride, procedure=procedure("ket-hon"), agency_code=desk.commune.code
    )
    services.dossier_update_form(
        actor=desk.bride, dossier=dossier, data={**marriage_form(), "so_dinh_danh_ben_kia": "12"}
    )
    with pytest.raises(InvalidInput) as caught:
        services.dossier_submit(actor=desk.bride, dossier=dossier)
    assert [e.field for e in caught.value.field_errors] == ["so_dinh_danh_ben_kia"]
    dossier.refresh_from_db()
    assert (dossier.status, dossier.code) == ("draft", None)


def test_a_file_of_the_wrong_type_is_refused(desk: Desk) -> None:
    dossier = services.dossier_start(
        actor=desk.bride, procedure=procedure("ket-hon"), agency_code=desk.commune.code
    )
    with pytest.raises(InvalidInput) as caught:
        services.dossier_attach(
            actor=desk.bride, dossier=dossier, component="to-khai", name="to-khai.pdf",
            content=b"MZ\x90\x00" + b"\x00" * 200,
        )  # fmt: skip
    assert caught.value.field_errors[0].code == "wrong_type"
    assert not DossierFile.objects.filter(dossier=dossier).exists()


def test_a_registry_outage_still_lets_the_citizen_file(desk: Desk) -> None:
    desk.registry.down = True
    dossier = services.dossier_start(
        actor=desk.bride, procedure=procedure("ket-hon"), agency_code=desk.commune.code
    )
    assert dossier.prefill == "pending"
    assert dossier.applicant_data["personal_id"] == desk.bride.personal_id
    desk.registry.down = False
    assert services.dossier_prefill_retry(dossier=dossier)
    dossier.refresh_from_db()
    assert (dossier.prefill, dossier.applicant_data["full_name"]) == (
        "done",
        "Nguyễn Thị Ánh Tuyết",
    )


def test_an_unknown_personal_id_at_the_counter_is_refused(desk: Desk) -> None:
    with pytest.raises(NotFound):
        services.dossier_start(
            actor=desk.centre_clerk, procedure=procedure("ket-hon"),
            agency_code=desk.commune.code, personal_id="001099999999", filed_at=desk.centre,
        )  # fmt: skip


def test_the_counter_files_for_a_citizen_and_routes_to_the_competent_commune(desk: Desk) -> None:
    dossier = services.dossier_start(
        actor=desk.centre_clerk, procedure=procedure("ket-hon"),
        agency_code=desk.commune.code, personal_id=GROOM, filed_at=desk.centre,
    )  # fmt: skip
    assert (dossier.channel, dossier.agency, dossier.filed_at) == (
        "counter",
        desk.commune,
        desk.centre,
    )
    assert dossier.applicant == desk.groom


def test_two_officials_completing_the_same_task_at_once(desk: Desk) -> None:
    dossier = services.dossier_receive(actor=desk.clerk, dossier=filed(desk))
    review = task(dossier, "review")
    services.task_complete(actor=desk.specialist, task=review, data={"decision": "approve"})
    with pytest.raises(Conflict):
        services.task_complete(actor=desk.specialist, task=review, data={"decision": "approve"})


@pytest.mark.django_db(transaction=True)
def test_codes_are_gapless_under_concurrency(city: Any, pki: None, population: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race is PostgreSQL's")
    from thudo.procedures.tests.factories import make_desk

    desk = make_desk(city, population, certificates=False)
    drafts = []
    for _ in range(12):
        d = services.dossier_start(
            actor=desk.bride, procedure=procedure("ket-hon"), agency_code=desk.commune.code
        )
        services.dossier_update_form(actor=desk.bride, dossier=d, data=marriage_form())
        services.dossier_attach(
            actor=desk.bride, dossier=d, component="to-khai", name="a.pdf", content=sample_pdf()
        )
        drafts.append(d)
    errors: list[BaseException] = []

    def submit(d: Dossier) -> None:
        try:
            services.dossier_submit(actor=desk.bride, dossier=d)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(int((d.code or "").rsplit("-", 1)[1]) for d in Dossier.objects.all())
    assert numbers == list(range(1, 13))


def test_the_deadline_status(desk: Desk) -> None:
    dossier = services.dossier_receive(actor=desk.clerk, dossier=filed(desk))
    assert selectors.timeliness(dossier) in ("in_time", "late")
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() - timedelta(hours=1))
    dossier.refresh_from_db()
    assert selectors.timeliness(dossier) == "late"


@pytest.mark.django_db
def test_the_applicant_form_keeps_its_fields_in_the_catalogue_s_order() -> None:
    from thudo.procedures import catalogue
    from thudo.procedures.models import ProcedureVersion

    services.catalogue_load(actor=None)
    for entry in catalogue.entries():
        stored = ProcedureVersion.objects.filter(procedure__code=entry.data["code"]).get()
        # PostgreSQL's jsonb would sort the keys by length: the form would be shuffled.
        assert list(stored.form_schema["properties"]) == list(
            entry.data["form_schema"]["properties"]
        ), entry.data["code"]
