"""Seeding the simulator: services, facade and the ``eidsim`` command."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from thudo.core.errors import InvalidInput, PermissionDenied
from thudo.eidsim import facade, services
from thudo.eidsim.models import EidAccount, OidcClient
from thudo.eidsim.tests import factories as f

pytestmark = pytest.mark.django_db


def test_account_upsert_is_idempotent_and_resets_password_and_lock() -> None:
    facade.account_upsert(
        personal_id="001090012345",
        full_name="Nguyễn Văn An",
        birth_date=date(1990, 5, 17),
        gender="male",
        loa=1,
        password="first",
    )
    EidAccount.objects.update(failed_attempts=3)
    facade.account_upsert(
        personal_id="001090012345",
        full_name=" Nguyễn Văn Ân ",
        birth_date=date(1990, 5, 18),
        gender="male",
        loa=2,
        password="second",
    )
    account = EidAccount.objects.get()
    assert (account.full_name, account.birth_date, account.loa, account.failed_attempts) == (
        "Nguyễn Văn Ân",
        date(1990, 5, 18),
        2,
        0,
    )
    assert check_password("second", account.password)
    assert not check_password("first", account.password)
    assert "second" not in account.password


def test_account_data_may_contradict_the_personal_id_on_purpose() -> None:
    # Digit 4 = 1 says "female, born in the 1900s"; the simulator sends what it is given.
    account = f.account("001190012345", gender="male")
    assert (account.personal_id, account.gender) == ("001190012345", "male")


def test_account_upsert_rejects_bad_data_with_field_errors() -> None:
    with pytest.raises(InvalidInput) as caught:
        services.account_upsert(
            personal_id="12345",
            full_name=" ",
            birth_date=date(1990, 1, 1),
            gender="other",
            loa=3,
            password="",
        )
    assert sorted(e.field for e in caught.value.field_errors) == [
        "full_name",
        "gender",
        "loa",
        "password",
        "personal_id",
    ]
    assert EidAccount.objects.count() == 0


def test_client_upsert_is_idempotent_and_stores_the_secret_hashed() -> None:
    facade.client_upsert(
        client_id="thudo-portal",
        client_secret="a" * 20,
        redirect_uris=["http://127.0.0.1:8000/identity/eid/callback/"],
    )
    facade.client_upsert(
        client_id="thudo-portal",
        client_secret="b" * 20,
        redirect_uris=[
            "http://127.0.0.1:8000/identity/eid/callback/",
            "http://localhost:8000/identity/eid/callback/",
        ],
        post_logout_redirect_uris=["http://127.0.0.1:8000/"],
    )
    client = OidcClient.objects.get()
    assert client.redirect_uris == [
        "http://127.0.0.1:8000/identity/eid/callback/",
        "http://localhost:8000/identity/eid/callback/",
    ]
    assert client.post_logout_redirect_uris == ["http://127.0.0.1:8000/"]
    assert client.check_client_secret("b" * 20) and not client.check_client_secret("a" * 20)
    assert "b" * 20 not in client.client_secret_hash


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"client_secret": "short"}, "client_secret"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "redirect_uris"),
        ({"redirect_uris": ["https://rp.example/cb#frag"]}, "redirect_uris"),
        ({"client_id": "has space"}, "client_id"),
    ],
)
def test_client_upsert_rejects_bad_registrations(kwargs: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {
        "client_id": "rp",
        "client_secret": "x" * 20,
        "redirect_uris": ["https://rp.example/cb"],
        **kwargs,
    }
    with pytest.raises(InvalidInput) as caught:
        services.client_upsert(**values)
    assert [e.field for e in caught.value.field_errors] == [field]
    assert OidcClient.objects.count() == 0


def test_only_the_operator_or_the_protocol_may_write() -> None:
    with pytest.raises(PermissionDenied):
        services.account_upsert(
            actor=object(),
            personal_id="001090012345",
            full_name="A",
            birth_date=date(1990, 1, 1),
            gender="male",
            loa=2,
            password="x",
        )
    assert EidAccount.objects.count() == 0


def test_command_seeds_accounts_and_clients() -> None:
    out = StringIO()
    call_command(
        "eidsim",
        "account",
        "--personal-id",
        "001190012346",
        "--full-name",
        "Trần Thị Bình",
        "--birth-date",
        "1990-02-03",
        "--gender",
        "female",
        "--loa",
        "1",
        "--password",
        "mat-khau",
        stdout=out,
    )
    call_command(
        "eidsim",
        "client",
        "--client-id",
        "thudo-portal",
        "--client-secret",
        "c" * 24,
        "--redirect-uri",
        "http://127.0.0.1:8000/identity/eid/callback/",
        "--post-logout-redirect-uri",
        "http://127.0.0.1:8000/",
        "--name",
        "Cổng",
        stdout=out,
    )
    account = EidAccount.objects.get()
    assert (account.full_name, account.gender, account.loa) == ("Trần Thị Bình", "female", 1)
    client = OidcClient.objects.get()
    assert (client.client_id, client.name) == ("thudo-portal", "Cổng")
    assert out.getvalue().splitlines() == [
        "eidsim account 001190012346: Trần Thị Bình, level 1",
        "eidsim client thudo-portal: http://127.0.0.1:8000/identity/eid/callback/",
    ]


def test_command_reports_bad_input() -> None:
    with pytest.raises(CommandError, match="not a date"):
        call_command(
            "eidsim",
            "account",
            "--personal-id",
            "001090012345",
            "--full-name",
            "A",
            "--birth-date",
            "17/05/1990",
            "--gender",
            "male",
            "--password",
            "x",
        )
    with pytest.raises(CommandError, match="client_secret"):
        call_command(
            "eidsim",
            "client",
            "--client-id",
            "rp",
            "--client-secret",
            "short",
            "--redirect-uri",
            "https://rp.example/cb",
        )
