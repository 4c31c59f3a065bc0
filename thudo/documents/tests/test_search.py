"""Accent-insensitive search of documents, the same on PostgreSQL (full text, and parts
of a notation by substring) and SQLite: by number and symbol, summary, a word of the
body, the sender; never another agency's documents."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from thudo.documents import selectors
from thudo.documents.models import Document
from thudo.documents.tests.docs_factories import Staff, arrived, draft, issued, login, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(docs_staff: Staff) -> dict[str, Any]:
    staff = docs_staff
    decision = issued(staff)  # 01/QĐ-UBND, "Quyết định về việc kiện toàn …"
    plan = draft(
        staff,
        type_code="KH",
        summary="Kế hoạch tổ chức hội nghị tổng kết năm",
        body="Thành phần: lãnh đạo các phòng, ban.",
    )
    # Commune B has the same words in its own documents: commune A never finds them.
    theirs = draft(
        staff,
        summary="Quyết định về việc kiện toàn Ban chỉ đạo",
        body="Căn cứ Luật Tổ chức chính quyền địa phương;",
    )
    Document.objects.filter(pk=theirs.pk).update(agency=staff.city.commune_b)
    arrived_here = arrived(
        staff,
        agency=staff.city.commune_a,
        sender_code=staff.city.commune_b.code,
        sender_name=staff.city.commune_b.name,
        notation="05/TB-UBND",
        summary="Thông báo lịch tiếp công dân",
        package_id="p-tb",
    )
    return {
        "staff": staff,
        "decision": decision,
        "plan": plan,
        "theirs": theirs,
        "tb": arrived_here,
    }


def _found(library: dict[str, Any], q: str, user: Any = None) -> list[int]:
    user = user or library["staff"].drafter
    return sorted(d.pk for d in selectors.document_list_for_user(user=user, q=q))


@pytest.mark.parametrize(
    "q",
    [
        "quyet dinh",
        "QUYẾT ĐỊNH",
        "Quyết định",
        "kiện toàn tổ công tác",
        "01/QĐ-UBND",
        "01/qd-ubnd",
        "qd-ubnd",
        "QĐ-UBND",
        "dia phuong",  # a word of the body only
        "ĐỊA PHƯƠNG",
        "cong dong",
    ],
)
def test_the_decision_is_found_however_it_is_typed(library: dict[str, Any], q: str) -> None:
    assert _found(library, q) == [library["decision"].pk], connection.vendor


def test_other_documents_are_found_by_their_own_words(library: dict[str, Any]) -> None:
    assert _found(library, "hoi nghi tong ket") == [library["plan"].pk]
    assert _found(library, "phong, ban") == [library["plan"].pk]  # the body, with a comma
    assert _found(library, "05/tb-ubnd") == [library["tb"].pk]
    assert _found(library, "ngoc ha") == [library["tb"].pk]  # the sender
    assert _found(library, "nghi quyet") == []
    assert _found(library, "   ") == sorted(
        [library["decision"].pk, library["plan"].pk, library["tb"].pk]
    )


def test_another_agencys_documents_are_never_found(library: dict[str, Any]) -> None:
    staff = library["staff"]
    assert library["theirs"].pk not in _found(library, "ban chi dao")
    assert _found(library, "ban chi dao") == []
    # …while commune B's clerk finds theirs, and none of commune A's.
    assert _found(library, "kien toan", user=staff.clerk_b) == [library["theirs"].pk]
    assert _found(library, "qd-ubnd", user=staff.clerk_b) == []


def test_the_page_and_the_api_search_the_same_way(library: dict[str, Any]) -> None:
    client = login(library["staff"].drafter)
    page = text(client.get("/documents/", {"q": "quyet dinh"}))
    assert "1 văn bản khớp “quyet dinh”" in page
    assert f'href="/documents/{library["decision"].pk}/"' in page
    assert "Ban chỉ đạo" not in page
    api = client.get("/api/v1/documents/", {"q": "qd-ubnd"}).json()
    assert [d["notation"] for d in api["items"]] == ["01/QĐ-UBND"]
    incoming = text(client.get("/documents/", {"tab": "in", "q": "lich tiep cong dan"}))
    assert "1 văn bản khớp" in incoming and "05/TB-UBND" in incoming
