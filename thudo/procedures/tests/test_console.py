"""The officials' one-stop console: the queues of an agency, a dossier's page with the
actions its reader may take (shown only to who may take them, refused without a change
to anyone else), signing the result with a PIN, and counter mode."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from thudo.core.models import AuditEvent, User
from thudo.core.tests.factories import official
from thudo.procedures import services
from thudo.procedures.models import Dossier, DossierEvent, DossierFile, Task
from thudo.procedures.tests.factories import GROOM, PEOPLE, PIN, Desk, login, procedure
from thudo.signing import facade as signing
from thudo.signing.tests.factories import sample_pdf

pytestmark = pytest.mark.django_db

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
FORM = {
    "ho_ten_ben_kia": PEOPLE[GROOM]["full_name"],
    "so_dinh_danh_ben_kia": GROOM,
    "ngay_sinh_ben_kia": "1989-11-02",
    "noi_cu_tru_ben_kia": PEOPLE[GROOM]["address"],
    "tinh_trang_hon_nhan": "chua_ket_hon",
    "tinh_trang_hon_nhan_ben_kia": "chua_ket_hon",
    "tu_nguyen": True,
}


def submitted(desk: Desk, applicant: User | None = None) -> Dossier:
    """A marriage registration filed online by the bride, waiting at the desk."""
    applicant = applicant or desk.bride
    dossier = services.dossier_start(
        actor=applicant, procedure=procedure("ket-hon"), agency_code=desk.commune.code
    )
    dossier = services.dossier_update_form(actor=applicant, dossier=dossier, data=FORM)
    services.dossier_attach(
        actor=applicant, dossier=dossier, component="to-khai", name="to-khai.pdf",
        content=sample_pdf("Tờ khai đăng ký kết hôn"),
    )  # fmt: skip
    return services.dossier_submit(actor=applicant, dossier=dossier)


def received(desk: Desk) -> Dossier:
    return services.dossier_receive(actor=desk.clerk, dossier=submitted(desk))


def open_task(dossier: Dossier) -> Task:
    return Task.objects.get(dossier=dossier, state__in=[Task.State.READY, Task.State.CLAIMED])


def complete(dossier: Dossier, actor: User, decision: str = "approve", note: str = "") -> None:
    task = open_task(dossier)
    data = {"note": note}
    if "decision" in _field_names(task):
        data["decision"] = decision
    services.task_complete(actor=actor, task=task, data=data)


def _field_names(task: Task) -> list[str]:
    from thudo.procedures.forms_console import task_fields

    return [f.name for f in task_fields(task)]


def to_signing(desk: Desk) -> Dossier:
    """Received and checked by the specialist: the leader's approval is the signature."""
    dossier = received(desk)
    for _step in range(5):
        dossier.refresh_from_db()
        if dossier.status != "processing":
            break
        task = open_task(dossier)
        complete(dossier, desk.leader if task.role == "leader" else desk.specialist)
    dossier.refresh_from_db()
    assert dossier.status == "signing"
    return dossier


def _buttons(body: str) -> list[str]:
    actions = body.split('id="actions-h"', 1)
    if len(actions) == 1:
        return []
    section = actions[1].split("</section>", 1)[0]
    return [
        re.sub(r"<[^>]+>.*", "", b, flags=re.S).strip()
        for b in re.findall(r"<button[^>]*>(.*?)</button>", section, flags=re.S)
    ]


def _state(dossier: Dossier) -> tuple[Any, ...]:
    dossier.refresh_from_db()
    return (
        dossier.status,
        DossierEvent.objects.filter(dossier=dossier).count(),
        DossierFile.objects.filter(dossier=dossier).count(),
        AuditEvent.objects.count(),
    )


# --- the queues ------------------------------------------------------------------------------


def test_the_queues_show_the_agencys_dossiers_with_their_counts(desk: Desk) -> None:
    waiting = submitted(desk)
    working = received(desk)
    other = submitted(desk, applicant=desk.groom)
    client = login(desk.clerk)

    page = client.get("/mot-cua/?tab=waiting")
    assert page.status_code == 200
    body = page.content.decode()
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', body))
    assert counts == {
        "mine": "0", "waiting": "2", "received_today": "1", "due_soon": "1",
        "late": "0", "signing": "0", "result": "0", "all": "3",
    }  # fmt: skip
    rows = re.findall(r'<tr id="dossier-([^"]+)">', body)
    assert rows == [waiting.code, other.code]
    assert PEOPLE[waiting.applicant_data["personal_id"]]["full_name"] in body

    specialist = login(desk.specialist).get("/mot-cua/?tab=mine", **HTMX)
    assert specialist.status_code == 200
    assert re.findall(r'<tr id="dossier-([^"]+)">', specialist.content.decode()) == [working.code]
    assert "Thẩm định hồ sơ" in specialist.content.decode()
    assert "<html" not in specialist.content.decode()  # only the fragment for htmx


def test_citizens_and_officials_without_an_agency_get_403(desk: Desk) -> None:
    assert login(desk.bride).get("/mot-cua/").status_code == 403
    assert login(official(None, username="nobody")).get("/mot-cua/").status_code == 403
    assert login(desk.bride).get("/mot-cua/chi-so-phuc-vu/").status_code == 403


# --- one dossier -----------------------------------------------------------------------------


def test_the_clerk_receives_a_dossier_from_its_page(desk: Desk) -> None:
    dossier = submitted(desk)
    client = login(desk.clerk)
    page = client.get(f"/mot-cua/ho-so/{dossier.code}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert _buttons(body)[0] == "Tiếp nhận hồ sơ"
    assert "Họ, chữ đệm và tên của bên kia" in body and PEOPLE[GROOM]["full_name"] in body
    assert "Chưa đăng ký kết hôn lần nào" in body
    assert "to-khai.pdf" in body

    answer = client.post(f"/mot-cua/ho-so/{dossier.code}/tiep-nhan/")
    assert answer.status_code == 302
    assert answer["Location"] == f"/mot-cua/ho-so/{dossier.code}/"
    dossier.refresh_from_db()
    assert dossier.status == "processing"
    receipt = DossierFile.objects.get(dossier=dossier, kind="form")
    assert receipt.component == "mau-01"
    assert bytes(receipt.content).startswith(b"%PDF")

    body = client.get(answer["Location"]).content.decode()
    assert "Tiếp nhận hồ sơ" not in _buttons(body)
    assert f"/mot-cua/ho-so/{dossier.code}/tep/{receipt.pk}/" in body
    assert "Tiếp nhận hồ sơ hợp lệ" in body  # the timeline
    download = client.get(f"/mot-cua/ho-so/{dossier.code}/tep/{receipt.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"


def test_a_specialist_claims_and_completes_the_task_and_the_next_one_appears(
    desk: Desk,
) -> None:
    dossier = received(desk)
    task = open_task(dossier)
    client = login(desk.specialist)
    body = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Nhận xử lý" in _buttons(body)

    answer = client.post(f"/mot-cua/ho-so/{dossier.code}/viec/{task.pk}/nhan/", **HTMX)
    assert answer.status_code == 200
    task.refresh_from_db()
    assert (task.state, task.assignee_id) == ("claimed", desk.specialist.pk)
    assert "Nhận xử lý" not in _buttons(answer.content.decode())

    missing = client.post(
        f"/mot-cua/ho-so/{dossier.code}/viec/{task.pk}/xong/", {f"task-{task.pk}-note": ""}, **HTMX
    )
    assert missing.status_code == 200
    assert 'class="field-error"' in missing.content.decode()
    task.refresh_from_db()
    assert task.state == "claimed"

    answer = client.post(
        f"/mot-cua/ho-so/{dossier.code}/viec/{task.pk}/xong/",
        {f"task-{task.pk}-decision": "approve", f"task-{task.pk}-note": "Đủ điều kiện"},
    )
    assert answer.status_code == 302
    task.refresh_from_db()
    assert (task.state, task.data["decision"]) == ("done", "approve")
    following = open_task(dossier)
    assert (following.name, following.role) == ("Phê duyệt", "leader")
    leader_page = login(desk.leader).get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Phê duyệt" in leader_page and "Nhận xử lý" in _buttons(leader_page)


def test_the_leader_signs_the_result_with_the_pin(desk: Desk) -> None:
    dossier = to_signing(desk)
    client = login(desk.leader)
    body = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Ký số" in _buttons(body)
    assert 'autocomplete="off"' in body

    answer = client.post(
        f"/mot-cua/ho-so/{dossier.code}/ky/",
        {"sign-serial": desk.serial, "sign-pin": PIN},
        **HTMX,
    )
    assert answer.status_code == 200
    assert "Đã có kết quả, chờ trả" in answer.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == "result_ready"
    assert dossier.result_pdf is not None
    report = signing.validate_pdf(bytes(dossier.result_pdf))
    assert report.ok
    assert len(report.signatures) == 2
    assert "Đặng Thị Hương" in report.signatures[0].signer
    assert desk.commune.name in report.signatures[1].signer
    result = client.get(f"/mot-cua/ho-so/{dossier.code}/ket-qua/?download=1")
    assert result.status_code == 200
    assert result.content == bytes(dossier.result_pdf)


def test_a_wrong_pin_is_shown_on_the_pin_field_and_nothing_is_signed(desk: Desk) -> None:
    dossier = to_signing(desk)
    client = login(desk.leader)
    answer = client.post(
        f"/mot-cua/ho-so/{dossier.code}/ky/", {"sign-serial": desk.serial, "sign-pin": "000000"}
    )
    assert answer.status_code == 422
    body = answer.content.decode()
    pin_field = body.split('for="id_sign-pin"', 1)[1].split("</div>", 1)[0]
    assert 'class="field-error"' in pin_field
    assert "Mã PIN không đúng" in pin_field
    dossier.refresh_from_db()
    assert (dossier.status, dossier.result_pdf) == ("signing", None)


def test_an_official_of_another_commune_gets_404(desk: Desk) -> None:
    dossier = submitted(desk)
    before = _state(dossier)
    client = login(desk.city.clerk_b)
    assert client.get(f"/mot-cua/ho-so/{dossier.code}/").status_code == 404
    assert client.post(f"/mot-cua/ho-so/{dossier.code}/tiep-nhan/").status_code == 404
    assert _state(dossier) == before


def test_a_specialist_cannot_receive(desk: Desk) -> None:
    dossier = submitted(desk)
    before = _state(dossier)
    client = login(desk.specialist)
    body = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Tiếp nhận hồ sơ" not in _buttons(body)
    answer = client.post(f"/mot-cua/ho-so/{dossier.code}/tiep-nhan/")
    assert answer.status_code == 403
    assert "Bạn không có quyền thực hiện thao tác này." in answer.content.decode()
    assert _state(dossier) == before


# --- counter mode ----------------------------------------------------------------------------


def _counter(client: Any, desk_code: str, desk: Desk) -> tuple[Dossier, str]:
    answer = client.post(
        "/mot-cua/tiep-nhan/",
        {
            "desk": desk_code,
            "procedure": procedure("ket-hon").code,
            "agency": desk.commune.code,
            "personal_id": GROOM,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    draft = Dossier.objects.get(channel="counter")
    assert answer["Location"] == f"/mot-cua/tiep-nhan/{draft.pk}/"
    return draft, answer["Location"]


def _typed() -> dict[str, Any]:
    return {f"form-{k}": ("on" if v is True else v) for k, v in FORM.items()}


def _scan() -> SimpleUploadedFile:
    return SimpleUploadedFile("to-khai.pdf", sample_pdf("Tờ khai"), "application/pdf")


def test_the_service_centre_takes_a_paper_dossier_for_the_commune(desk: Desk) -> None:
    client = login(desk.centre_clerk)
    assert client.get("/mot-cua/tiep-nhan/").status_code == 200
    draft, url = _counter(client, desk.centre.code, desk)
    assert (draft.channel, draft.filed_at_id, draft.agency_id, draft.taken_by_id) == (
        "counter", desk.centre.pk, desk.commune.pk, desk.centre_clerk.pk,
    )  # fmt: skip
    assert draft.applicant.personal_id == GROOM
    assert draft.applicant_data["full_name"] == PEOPLE[GROOM]["full_name"]
    fill = client.get(url)
    assert fill.status_code == 200
    assert "Họ, chữ đệm và tên của bên kia" in fill.content.decode()

    incomplete = client.post(url, {**_typed(), "action": "submit"})
    assert incomplete.status_code == 422
    assert '<a href="#id_form-file_to-khai">Tờ khai đăng ký kết hôn:' in incomplete.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"

    saved = client.post(url, {**_typed(), "form-file_to-khai": _scan(), "action": "save"})
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert draft.form_data == FORM
    assert list(draft.files.values_list("component", flat=True)) == ["to-khai"]
    # Another clerk does not get the draft.
    assert login(desk.clerk).get(url).status_code == 404


def test_the_service_centre_files_and_receives_at_the_counter(desk: Desk) -> None:
    client = login(desk.centre_clerk)
    draft, url = _counter(client, desk.centre.code, desk)
    done = client.post(url, {**_typed(), "form-file_to-khai": _scan(), "action": "submit"})
    assert done.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.filed_at_id, draft.agency_id) == (
        "processing", desk.centre.pk, desk.commune.pk,
    )  # fmt: skip


def test_the_communes_clerk_files_and_receives_at_the_counter(desk: Desk) -> None:
    client = login(desk.clerk)
    draft, url = _counter(client, desk.commune.code, desk)
    done = client.post(url, {**_typed(), "form-file_to-khai": _scan(), "action": "submit"})
    assert done.status_code == 302
    assert done["Location"] == url
    draft.refresh_from_db()
    assert (draft.status, draft.channel, draft.filed_at_id) == (
        "processing", "counter", desk.commune.pk,
    )  # fmt: skip
    assert draft.code is not None
    assert draft.code.startswith(desk.commune.code + "-")
    assert draft.form_data["tinh_trang_hon_nhan"] == "chua_ket_hon"
    assert draft.form_data["tu_nguyen"] is True
    assert DossierFile.objects.filter(dossier=draft, component="mau-01").count() == 1
    receipt = client.get(url).content.decode()
    assert f"Đã tiếp nhận hồ sơ {draft.code}" in receipt
    assert f"/mot-cua/ho-so/{draft.code}/giay-tiep-nhan/" in receipt
    pdf = client.get(f"/mot-cua/ho-so/{draft.code}/giay-tiep-nhan/")
    assert pdf.status_code == 200
    assert draft.receipt_pdf is not None
    assert pdf.content == bytes(draft.receipt_pdf)


def test_a_specialist_cannot_take_dossiers_at_the_counter(desk: Desk) -> None:
    assert login(desk.specialist).get("/mot-cua/tiep-nhan/").status_code == 403
