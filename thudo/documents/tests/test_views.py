"""Officials' pages of the documents module: the list with its tabs and live search, the
draft form, and a document's page with the actions its reader may take — shown only to
who may take them, refused without a change to anyone else."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from thudo.core.models import AuditEvent
from thudo.core.tests.factories import citizen
from thudo.documents import services
from thudo.documents.models import Assignment, Attachment, Document, Recipient, TrailEvent
from thudo.documents.tests.docs_factories import (
    BODY,
    HTMX,
    PIN,
    SUMMARY,
    Staff,
    approved,
    arrived,
    draft,
    issued,
    login,
    signed,
    submitted,
    text,
)

pytestmark = pytest.mark.django_db


def _buttons(body: str) -> list[str]:
    """The action buttons of a document's page, by their visible text."""
    actions = body.split('id="actions-h"', 1)
    if len(actions) == 1:
        return []
    section = actions[1].split("</section>", 1)[0]
    return [
        re.sub(r"<[^>]+>.*", "", b).strip()
        for b in re.findall(r"<button[^>]*>(.*?)</button>", section, flags=re.S)
    ] + re.findall(r'class="button button-secondary" href="[^"]+">([^<]+)</a>', section)


def _state(document: Document) -> tuple[Any, ...]:
    document.refresh_from_db()
    return (
        document.status,
        document.number,
        document.notation,
        TrailEvent.objects.filter(document=document).count(),
        AuditEvent.objects.count(),
    )


# --- who gets the pages ----------------------------------------------------------------------


def test_citizens_get_404_and_anonymous_visitors_the_login_page(
    docs_staff_without_pki: Staff,
) -> None:
    document = draft(docs_staff_without_pki)
    person = Client()
    person.force_login(citizen())
    for url in ("/documents/", "/documents/new/", f"/documents/{document.pk}/"):
        assert person.get(url).status_code == 404
        anonymous = Client().get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")
    assert person.post(f"/documents/{document.pk}/submit/").status_code == 404
    assert Document.objects.get(pk=document.pk).status == "draft"


def test_another_communes_documents_are_not_there(docs_staff_without_pki: Staff) -> None:
    staff = docs_staff_without_pki
    document = draft(staff)
    other = login(staff.clerk_b)
    assert document.summary not in text(other.get("/documents/?tab=out"))
    assert other.get(f"/documents/{document.pk}/").status_code == 404
    assert other.get(f"/documents/{document.pk}/edit/").status_code == 404
    assert other.post(f"/documents/{document.pk}/submit/").status_code == 404
    assert Document.objects.get(pk=document.pk).status == "draft"


def test_the_official_home_page_links_to_documents(docs_staff_without_pki: Staff) -> None:
    body = text(login(docs_staff_without_pki.clerk).get("/"))
    assert '<a href="/documents/">Văn bản</a>' in body
    assert 'href="/documents/?tab=mine"' in body


# --- the list --------------------------------------------------------------------------------


def test_the_list_has_tabs_filters_and_a_bounded_query_count(
    docs_staff_without_pki: Staff, django_assert_max_num_queries: Any
) -> None:
    staff = docs_staff_without_pki
    for n in range(12):
        draft(staff, summary=f"Công văn số {n} về việc báo cáo", type_code="CV")
    decision = draft(staff)
    arrived(staff)
    arrived(
        staff,
        agency=staff.city.commune_a,
        sender_code=staff.city.commune_b.code,
        sender_name=staff.city.commune_b.name,
        summary="Về việc phối hợp tuyên truyền",
        package_id="p-a",
    )
    client = login(staff.drafter)
    with django_assert_max_num_queries(8):
        page = client.get("/documents/")
    assert page.status_code == 200
    body = text(page)
    assert "<h1>Văn bản</h1>" in body
    assert 'href="/documents/?tab=out" aria-current="page"' in body
    assert "13 văn bản" in body
    assert f'href="/documents/{decision.pk}/">{SUMMARY}</a>' in body
    assert "Ủy ban nhân dân Phường Ngọc Hà" in body  # the recipient column
    assert "Về việc phối hợp tuyên truyền" not in body  # incoming ones have their own tab
    assert "Về việc phối hợp tuyên truyền" in text(client.get("/documents/", {"tab": "in"}))
    with django_assert_max_num_queries(8):
        only = client.get("/documents/", {"type_code": "QD", "status": "draft"})
    assert "1 văn bản" in text(only) and SUMMARY in text(only)
    # A status of the other direction is not an error page: it is left out.
    assert "13 văn bản" in text(client.get("/documents/", {"status": "received"}))

    incoming = login(staff.clerk_b).get("/documents/", {"tab": "in"})
    body = text(incoming)
    assert 'href="/documents/?tab=in" aria-current="page"' in body
    assert "Về việc tổ chức Ngày chuyển đổi số phường" in body
    assert "Ủy ban nhân dân Phường Ba Đình" in body  # the sender column
    assert 'id="documents-sender"' in body
    by_sender = login(staff.clerk_b).get("/documents/", {"tab": "in", "sender": "Ngọc Hà"})
    assert "0 văn bản" in text(by_sender)
    by_sender = login(staff.clerk_b).get("/documents/", {"tab": "in", "sender": "Ba Đình"})
    assert "1 văn bản" in text(by_sender)


def test_live_search_answers_only_the_table_fragment(docs_staff_without_pki: Staff) -> None:
    staff = docs_staff_without_pki
    decision = draft(staff)
    draft(staff, summary="Kế hoạch tổ chức hội nghị", type_code="KH")
    client = login(staff.drafter)
    page = text(client.get("/documents/"))
    assert 'hx-get="/documents/"' in page and 'hx-target="#documents-results"' in page
    fragment = client.get("/documents/", {"q": "quyet dinh"}, headers=HTMX)
    body = text(fragment)
    assert fragment.status_code == 200
    assert body.lstrip().startswith('<section id="documents-results"')
    assert "<html" not in body
    assert "1 văn bản khớp “quyet dinh”" in body
    assert f'href="/documents/{decision.pk}/"' in body
    assert "Kế hoạch tổ chức hội nghị" not in body


def test_my_assignments_show_the_deadline_and_overdue_in_words(
    docs_staff_without_pki: Staff,
) -> None:
    staff = docs_staff_without_pki
    late = arrived(staff, summary="Về việc rà soát hộ nghèo", package_id="p1")
    soon = arrived(staff, summary="Về việc tiêm chủng mở rộng", package_id="p2")
    today = timezone.localdate()
    Assignment.objects.create(
        document=late,
        assignee=staff.handler_b,
        working_days=3,
        due_on=today - timedelta(days=2),
        instructions="Rà soát, báo cáo",
    )
    Assignment.objects.create(
        document=soon, assignee=staff.handler_b, working_days=5, due_on=today + timedelta(days=4)
    )
    body = text(login(staff.handler_b).get("/documents/", {"tab": "mine"}))
    assert "2 việc được giao" in body
    rows = re.findall(r'<tr id="assignment-\d+">(.*?)</tr>', body, flags=re.S)
    assert len(rows) == 2
    assert "Về việc rà soát hộ nghèo" in rows[0] and "Quá hạn 2 ngày" in rows[0]
    assert "Rà soát, báo cáo" in rows[0]
    assert "Về việc tiêm chủng mở rộng" in rows[1] and "Quá hạn" not in rows[1]
    assert (today + timedelta(days=4)).strftime("%d/%m/%Y") in rows[1]
    # Nobody else's assignments.
    assert "0 việc được giao" in text(login(staff.clerk_b).get("/documents/", {"tab": "mine"}))


# --- drafting --------------------------------------------------------------------------------


def _fields(staff: Staff, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "agency": staff.city.commune_a.code,
        "type_code": "QD",
        "summary": SUMMARY,
        "body": BODY,
        "recipients": [staff.city.commune_b.code, staff.city.justice.code],
        "urgency": "urgent",
        "signer": str(staff.leader.pk),
        "signer_authority": "TM. ỦY BAN NHÂN DÂN",
        "signer_position": "CHỦ TỊCH",
    }
    values.update(changes)
    return values


def test_the_draft_page_offers_the_decree_30_choices(docs_staff_without_pki: Staff) -> None:
    staff = docs_staff_without_pki
    body = text(login(staff.drafter).get("/documents/new/"))
    types = re.search(r'<select name="type_code"[^>]*>(.*?)</select>', body, flags=re.S)
    assert types is not None and types.group(1).count("<option") == 29
    assert '<option value="QD">Quyết định</option>' in types.group(1)
    recipients = re.search(
        r'<select name="recipients"[^>]*multiple[^>]*>(.*?)</select>', body, re.S
    )
    assert recipients is not None
    assert "Ủy ban nhân dân Phường Ngọc Hà" in recipients.group(1)
    assert "Sở Tư pháp" in recipients.group(1)
    assert "Ủy ban nhân dân Phường Ba Đình" not in recipients.group(1)  # not to itself
    signer = re.search(r'<select name="signer"[^>]*>(.*?)</select>', body, flags=re.S)
    assert signer is not None
    names = re.findall(r">([^<]+)</option>", signer.group(1))
    assert names[0] == "— Chọn sau —"
    assert sorted(names[1:]) == sorted(["Đặng Thị Hương", "Ngô Phó"])  # the leaders only
    assert '<datalist id="authority-suggestions">' in body
    assert '<option value="KT. CHỦ TỊCH">' in body
    assert 'type="file" name="attachments"' in body and "multiple" in body


def test_drafting_on_the_page_with_two_attachments(docs_staff_without_pki: Staff) -> None:
    staff = docs_staff_without_pki
    files = [
        SimpleUploadedFile("phu-luc.pdf", b"%PDF-1.7 phu luc", content_type="application/pdf"),
        SimpleUploadedFile("danh-sach.png", b"\x89PNG danh sach", content_type="image/png"),
    ]
    client = login(staff.drafter)
    response = client.post("/documents/new/", {**_fields(staff), "attachments": files})
    assert response.status_code == 302
    document = Document.objects.get()
    assert response["Location"] == f"/documents/{document.pk}/"
    assert (document.status, document.type_code, document.summary, document.urgency) == (
        "draft",
        "QD",
        SUMMARY,
        "urgent",
    )
    assert (document.drafted_by, document.signer, document.signer_authority) == (
        staff.drafter,
        staff.leader,
        "TM. ỦY BAN NHÂN DÂN",
    )
    assert sorted(document.recipients.values_list("agency_code", flat=True)) == sorted(
        [staff.city.commune_b.code, staff.city.justice.code]
    )
    assert [(a.name, a.content_type, bytes(a.content)) for a in document.attachments.all()] == [
        ("phu-luc.pdf", "application/pdf", b"%PDF-1.7 phu luc"),
        ("danh-sach.png", "image/png", b"\x89PNG danh sach"),
    ]
    page = text(client.get(response["Location"]))
    assert "Đã lưu dự thảo." in page
    assert "<h1>Dự thảo quyết định</h1>" in page


def test_a_refused_draft_shows_the_errors_and_creates_nothing(
    docs_staff_without_pki: Staff,
) -> None:
    staff = docs_staff_without_pki
    client = login(staff.drafter)
    empty = client.post("/documents/new/", _fields(staff, summary=""))
    assert empty.status_code == 422
    assert 'class="error-summary"' in text(empty)
    assert '<a href="#id_summary">Trích yếu:' in text(empty)
    wrong_file = client.post(
        "/documents/new/",
        {**_fields(staff), "attachments": [SimpleUploadedFile("a.txt", b"x", "text/plain")]},
    )
    # The draft and its files are one piece of work: nothing is left behind.
    assert wrong_file.status_code == 422
    assert "Kiểu tệp không được nhận." in text(wrong_file)
    not_leader = client.post("/documents/new/", _fields(staff, signer=str(staff.clerk.pk)))
    assert not_leader.status_code == 422
    assert Document.objects.count() == 0 and Attachment.objects.count() == 0


def test_editing_is_possible_while_draft_or_returned_only(docs_staff_without_pki: Staff) -> None:
    staff = docs_staff_without_pki
    document = draft(staff)
    client = login(staff.drafter)
    form = text(client.get(f"/documents/{document.pk}/edit/"))
    assert SUMMARY in form and "<h1>Sửa dự thảo</h1>" in form
    changed = client.post(
        f"/documents/{document.pk}/edit/",
        _fields(staff, summary="Về việc kiện toàn Tổ công tác (sửa)", recipients=[]),
    )
    assert changed.status_code == 302
    document.refresh_from_db()
    assert document.summary == "Về việc kiện toàn Tổ công tác (sửa)"
    assert document.recipients.count() == 0
    assert login(staff.clerk).get(f"/documents/{document.pk}/edit/").status_code == 403
    services.document_submit(actor=staff.drafter, document=document)
    assert client.get(f"/documents/{document.pk}/edit/").status_code == 404
    refused = client.post(f"/documents/{document.pk}/edit/", _fields(staff, summary="Khác"))
    assert refused.status_code == 404
    document.refresh_from_db()
    assert document.summary == "Về việc kiện toàn Tổ công tác (sửa)"


# --- a document's page: actions for who may take them ------------------------------------------


def test_drafter_submits_and_only_heads_and_leaders_review(docs_staff_without_pki: Staff) -> None:
    staff = docs_staff_without_pki
    document = draft(staff)
    url = f"/documents/{document.pk}/"
    page = text(login(staff.drafter).get(url))
    assert _buttons(page) == ["Trình duyệt", "Sửa dự thảo"]
    assert "Gửi khi phát hành" in page  # recipients get nothing before issue
    assert _buttons(text(login(staff.clerk).get(url))) == []

    before = _state(document)
    refused = login(staff.clerk).post(url + "submit/")
    assert refused.status_code == 403
    assert _state(document) == before

    done = login(staff.drafter).post(url + "submit/")
    assert done.status_code == 302
    assert Document.objects.get(pk=document.pk).status == "review"
    assert _buttons(text(login(staff.drafter).get(url))) == []
    assert _buttons(text(login(staff.leader).get(url))) == ["Duyệt", "Trả lại để sửa"]

    before = _state(document)
    assert (
        login(staff.drafter).post(url + "review/", {"review-decision": "approve"}).status_code
        == 403
    )
    assert _state(document) == before


def test_returning_a_draft_needs_a_note_which_the_trail_keeps(
    docs_staff_without_pki: Staff,
) -> None:
    staff = docs_staff_without_pki
    document = submitted(staff)
    url = f"/documents/{document.pk}/"
    client = login(staff.leader)
    before = _state(document)
    missing = client.post(url + "review/", {"review-decision": "return", "review-note": ""})
    assert missing.status_code == 422
    assert "Ghi rõ nội dung cần sửa khi trả lại." in text(missing)
    assert _state(document) == before
    returned = client.post(
        url + "review/", {"review-decision": "return", "review-note": "Bổ sung căn cứ pháp lý"}
    )
    assert returned.status_code == 302
    document.refresh_from_db()
    assert document.status == "returned"
    page = text(login(staff.drafter).get(url))
    assert "Trả lại để sửa</strong> · Đặng Thị Hương" in page
    assert "Bổ sung căn cứ pháp lý" in page
    assert _buttons(page) == ["Trình duyệt", "Sửa dự thảo"]


def test_htmx_actions_answer_the_document_fragment(docs_staff_without_pki: Staff) -> None:
    staff = docs_staff_without_pki
    document = submitted(staff)
    response = login(staff.leader).post(
        f"/documents/{document.pk}/review/", {"review-decision": "approve"}, headers=HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<div id="document">')
    assert "<html" not in body
    assert 'role="status">Đã duyệt dự thảo.</p>' in body
    assert '<strong class="tag" id="document-status">Đã duyệt, chờ ký</strong>' in body
    # An error answered to htmx is still swapped: 200, with the error in the fragment.
    again = login(staff.leader).post(
        f"/documents/{document.pk}/review/", {"review-decision": "approve"}, headers=HTMX
    )
    assert again.status_code == 200
    assert "Văn bản đang ở trạng thái “Đã duyệt, chờ ký”" in text(again)


def test_the_named_leader_signs_with_the_pin_a_wrong_pin_is_a_form_error(
    docs_staff: Staff,
) -> None:
    staff = docs_staff
    document = approved(staff)
    url = f"/documents/{document.pk}/"
    page = text(login(staff.leader).get(url))
    assert _buttons(page) == ["Ký số"]
    options = re.search(r'<select name="sign-serial"[^>]*>(.*?)</select>', page, flags=re.S)
    assert options is not None
    # Their own certificate only: not the vice's, not the agency's seal.
    assert re.findall(r'value="([0-9a-f]+)"', options.group(1)) == [staff.serial]
    assert _buttons(text(login(staff.vice).get(url))) == []  # another leader was named
    assert _buttons(text(login(staff.clerk).get(url))) == []

    before = _state(document)
    wrong = login(staff.leader).post(
        url + "sign/", {"sign-serial": staff.serial, "sign-pin": "111111"}
    )
    assert wrong.status_code == 422
    assert "Mã PIN không đúng." in text(wrong)
    assert 'href="#id_sign-pin"' in text(wrong)
    assert _state(document)[:4] == before[:4]
    failures = AuditEvent.objects.filter(
        action="signing.certificate.pin_failure", object_id=staff.serial
    )
    assert failures.count() == 1

    vice = login(staff.vice).post(
        url + "sign/", {"sign-serial": staff.vice_serial, "sign-pin": PIN}
    )
    assert vice.status_code == 409  # another leader was named to sign
    assert Document.objects.get(pk=document.pk).status == "approved"

    done = login(staff.leader).post(url + "sign/", {"sign-serial": staff.serial, "sign-pin": PIN})
    assert done.status_code == 302
    document.refresh_from_db()
    assert (document.status, document.number) == ("signed", None)
    page = text(login(staff.clerk).get(url))
    assert _buttons(page) == ["Cấp số, đóng dấu và phát hành"]
    assert "<caption>1 chữ ký số</caption>" in page
    assert "<td>Đặng Thị Hương</td>" in page


def test_the_clerk_issues_the_page_shows_the_number_and_two_valid_signatures(
    docs_staff: Staff,
) -> None:
    staff = docs_staff
    document = signed(staff)
    url = f"/documents/{document.pk}/"
    before = _state(document)
    assert login(staff.leader).post(url + "issue/").status_code == 403
    assert _state(document) == before

    done = login(staff.clerk).post(url + "issue/")
    assert done.status_code == 302
    document.refresh_from_db()
    assert (document.status, document.number, document.notation) == ("issued", 1, "01/QĐ-UBND")
    page = text(login(staff.drafter).get(url))
    assert "<h1>Quyết định số 01/QĐ-UBND</h1>" in page
    assert '<strong class="tag" id="document-status">Đã phát hành</strong>' in page
    assert "Cả 2 chữ ký số đều hợp lệ." in page
    signers = re.findall(r"<tr>\s*<td>([^<]+)</td>", page.split('id="signatures"')[1])
    assert signers[:2] == ["Đặng Thị Hương", "Ủy ban nhân dân Phường Ba Đình"]
    assert page.count("✓ Hợp lệ") == 2
    # Not yet delivered in this test (the task runs after commit, in the end-to-end test).
    recipient = re.search(r'<tr id="recipient-\d+">(.*?)</tr>', page, flags=re.S)
    assert recipient is not None and "Chờ gửi" in recipient.group(1)
    assert "Cấp số, đóng dấu và phát hành</strong> · " in page  # the trail

    pdf = login(staff.drafter).get(url + "pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("inline; ")
    assert "01_Q%C4%90-UBND.pdf" in pdf["Content-Disposition"]
    assert bytes(pdf.content) == bytes(document.pdf or b"")
    download = login(staff.drafter).get(url + "pdf/?download=1")
    assert download["Content-Disposition"].startswith("attachment;")
    assert login(staff.clerk_b).get(url + "pdf/").status_code == 404


def test_failed_recipients_can_be_sent_again_by_the_clerk(docs_staff: Staff) -> None:
    staff = docs_staff
    document = issued(staff)
    url = f"/documents/{document.pk}/"
    assert "Gửi lại" not in _buttons(text(login(staff.clerk).get(url)))
    Recipient.objects.filter(document=document).update(
        delivery="failed", attempts=12, last_error="404: không có cơ quan nhận"
    )
    page = text(login(staff.clerk).get(url))
    assert _buttons(page) == ["Gửi lại"]
    assert "Gửi không được" in page and "404: không có cơ quan nhận" in page
    assert _buttons(text(login(staff.drafter).get(url))) == []
    assert login(staff.drafter).post(url + "resend/").status_code == 403
    assert Recipient.objects.get(document=document).delivery == "failed"
    assert login(staff.clerk).post(url + "resend/").status_code == 302
    recipient = Recipient.objects.get(document=document)
    assert (recipient.delivery, recipient.attempts, recipient.last_error) == ("pending", 0, "")


def test_an_incoming_document_is_accepted_assigned_and_done_on_the_page(
    docs_staff_without_pki: Staff,
) -> None:
    staff = docs_staff_without_pki
    document = arrived(staff)
    url = f"/documents/{document.pk}/"
    assert _buttons(text(login(staff.clerk_b).get(url))) == [
        "Tiếp nhận và vào sổ",
        "Trả lại nơi gửi",
    ]
    assert _buttons(text(login(staff.handler_b).get(url))) == []
    before = _state(document)
    assert login(staff.handler_b).post(url + "accept/").status_code == 403
    assert _state(document) == before

    assert login(staff.clerk_b).post(url + "accept/").status_code == 302
    document.refresh_from_db()
    assert (document.status, document.arrival_number) == ("registered", 1)
    page = text(login(staff.leader_b).get(url))
    assert _buttons(page) == ["Phân công"]
    assert "Mã trạng thái edXML 03: Đã tiếp nhận" in page
    assert "Mã trạng thái edXML 01: Đã đến" in page
    members = re.search(r'<select name="assign-assignee"[^>]*>(.*?)</select>', page, re.S)
    assert members is not None and "Trịnh Xử Lý" in members.group(1)

    bad = login(staff.leader_b).post(
        url + "assign/", {"assign-assignee": str(staff.handler_b.pk), "assign-working_days": "0"}
    )
    assert bad.status_code == 422 and Assignment.objects.count() == 0
    outsider = login(staff.leader_b).post(
        url + "assign/",
        {"assign-assignee": str(staff.drafter.pk), "assign-working_days": "3"},
    )
    assert outsider.status_code == 422 and Assignment.objects.count() == 0
    done = login(staff.leader_b).post(
        url + "assign/",
        {
            "assign-assignee": str(staff.handler_b.pk),
            "assign-working_days": "3",
            "assign-instructions": "Chuẩn bị kế hoạch",
        },
    )
    assert done.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.assignee, assignment.working_days, assignment.instructions) == (
        staff.handler_b,
        3,
        "Chuẩn bị kế hoạch",
    )
    assert Document.objects.get(pk=document.pk).status == "assigned"

    mine = text(login(staff.handler_b).get(url))
    assert f'id="my-assignment-{assignment.pk}"' in mine
    assert f'id="my-assignment-{assignment.pk}"' not in text(login(staff.leader_b).get(url))
    progress = f"/documents/assignments/{assignment.pk}/progress/"
    complete = f"/documents/assignments/{assignment.pk}/complete/"
    assert (
        login(staff.leader_b).post(progress, {f"progress-{assignment.pk}-note": "x"}).status_code
        == 404
    )
    assert (
        login(staff.handler_b)
        .post(progress, {f"progress-{assignment.pk}-note": "Đã họp"})
        .status_code
        == 302
    )
    assert Document.objects.get(pk=document.pk).status == "in_progress"
    empty = login(staff.handler_b).post(complete, {f"complete-{assignment.pk}-result": ""})
    assert empty.status_code == 422
    finished = login(staff.handler_b).post(
        complete, {f"complete-{assignment.pk}-result": "Đã ban hành kế hoạch"}
    )
    assert finished.status_code == 302
    assignment.refresh_from_db()
    assert (assignment.status, assignment.result) == ("done", "Đã ban hành kế hoạch")
    page = text(login(staff.clerk_b).get(url))
    assert '<strong class="tag" id="document-status">Hoàn thành</strong>' in page
    assert "Mã trạng thái edXML 06: Hoàn thành" in page
    assert _buttons(page) == []


def test_a_wrongly_addressed_document_goes_back_with_a_reason(
    docs_staff_without_pki: Staff,
) -> None:
    staff = docs_staff_without_pki
    document = arrived(staff)
    url = f"/documents/{document.pk}/"
    before = _state(document)
    missing = login(staff.clerk_b).post(url + "return/", {"return-reason": ""})
    assert missing.status_code == 422
    assert '<a href="#id_return-reason">Lý do trả lại:' in text(missing)
    assert _state(document) == before
    done = login(staff.clerk_b).post(url + "return/", {"return-reason": "Không thuộc thẩm quyền"})
    assert done.status_code == 302
    document.refresh_from_db()
    assert document.status == "rejected"
    page = text(login(staff.clerk_b).get(url))
    assert "Mã trạng thái edXML 02: Từ chối tiếp nhận" in page
    assert "Không thuộc thẩm quyền" in page


def test_attachments_are_downloaded_only_from_their_document(
    docs_staff_without_pki: Staff,
) -> None:
    staff = docs_staff_without_pki
    document = draft(staff)
    other = draft(staff, summary="Văn bản khác")
    attachment = services.document_attach(
        actor=staff.drafter,
        document=document,
        name="phu-luc.pdf",
        content_type="application/pdf",
        content=b"%PDF-1.7 x",
    )
    client = login(staff.drafter)
    page = text(client.get(f"/documents/{document.pk}/"))
    assert f'href="/documents/{document.pk}/attachments/{attachment.pk}/">phu-luc.pdf</a>' in page
    response = client.get(f"/documents/{document.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="phu-luc.pdf"'
    assert response.content == b"%PDF-1.7 x"
    assert client.get(f"/documents/{other.pk}/attachments/{attachment.pk}/").status_code == 404
    assert (
        login(staff.clerk_b)
        .get(f"/documents/{document.pk}/attachments/{attachment.pk}/")
        .status_code
        == 404
    )
    assert client.get(f"/documents/{document.pk}/pdf/").status_code == 404  # no PDF yet
