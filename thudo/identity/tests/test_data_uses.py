"""The citizen's "who used my data" page (ai đã dùng dữ liệu của tôi)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from thudo.core import facade as core
from thudo.core.tests.factories import citizen, official

pytestmark = pytest.mark.django_db

ROW = re.compile(r"<tr>\s*<td><time", re.S)


def _uses(subject: str, n: int, **extra: Any) -> None:
    for i in range(n):
        with transaction.atomic():
            core.audit_record(
                action="test.lookup",
                object_type="registries.person",
                object_id=i,
                data_subject=subject,
                purpose=f"Tra cứu lần {i + 1}",
                **extra,
            )


def test_citizen_sees_who_used_their_data(city: Any) -> None:
    me = citizen("001090012345")
    assert me.personal_id is not None
    with transaction.atomic():
        core.audit_record(
            action="identity.eid.signin",
            actor=me,
            object_type="core.user",
            object_id=me.username,
            data_subject=me.personal_id,
            purpose="Đăng nhập bằng định danh điện tử quốc gia",
        )
    _uses(me.personal_id, 1, actor=city.clerk_a, agency=city.commune_a)
    _uses("079090099999", 1)  # someone else's data
    browser = Client()
    browser.force_login(me)
    response = browser.get("/identity/my-data/")
    assert response.status_code == 200
    html = response.content.decode()
    assert len(ROW.findall(html)) == 2
    assert "2 lượt sử dụng" in html
    lookup, signin = html.index("Tra cứu lần 1"), html.index("Chính bạn")
    assert lookup < signin  # newest first
    assert "clerk.a" in html and "Ủy ban nhân dân Phường Ba Đình" in html
    assert "Đăng nhập bằng định danh điện tử quốc gia" in html


def test_pages_of_twenty_five(db: None) -> None:
    me = citizen("001090012345")
    _uses("001090012345", 30)
    browser = Client()
    browser.force_login(me)
    first = browser.get("/identity/my-data/").content.decode()
    assert len(ROW.findall(first)) == 25
    assert "Trang 1/2" in first and 'href="?page=2"' in first
    assert "Tra cứu lần 30" in first and "Tra cứu lần 5<" not in first
    second = browser.get("/identity/my-data/?page=2").content.decode()
    assert len(ROW.findall(second)) == 5
    assert "Tra cứu lần 5<" in second and 'href="?page=1"' in second
    past_the_end = browser.get("/identity/my-data/?page=99").content.decode()
    assert "Trang 2/2" in past_the_end


def test_officials_have_no_such_page(city: Any) -> None:
    browser = Client()
    browser.force_login(city.clerk_a)
    assert browser.get("/identity/my-data/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(db: None) -> None:
    response = Client().get("/identity/my-data/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_official_role_does_not_leak_into_citizen_view(db: None) -> None:
    # An official who is also a data subject still has no citizen page.
    someone = official(personal_id="001090012345")
    browser = Client()
    browser.force_login(someone)
    assert browser.get("/identity/my-data/").status_code == 404
