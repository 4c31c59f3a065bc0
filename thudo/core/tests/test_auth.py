"""Staff sign-in (password, lockout, TOTP), first-login password change, API tokens."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from thudo.core.models import ApiToken, AuditEvent
from thudo.core.tests.factories import citizen, official

PASSWORD = "correct horse battery"


def _login(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_production_hashes_passwords_with_argon2() -> None:
    import config.settings as configured  # the tests themselves swap in a fast hasher

    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_official_signs_in_and_lands_on_their_workspace(city: Any) -> None:
    client = Client()
    response = _login(client, "clerk.a")
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    html = home.content.decode()
    assert "Ủy ban nhân dân Phường Ba Đình" in html
    assert "Cán bộ tiếp nhận (một cửa)" in html


@pytest.mark.django_db
def test_wrong_password_shows_an_error_and_does_not_sign_in(city: Any) -> None:
    client = Client()
    response = _login(client, "clerk.a", "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'class="error-summary"' in response.content.decode()


@pytest.mark.django_db
def test_lockout_after_repeated_failures_even_with_the_right_password(city: Any) -> None:
    client = Client()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        _login(client, "clerk.a", "wrong")
    locked = _login(client, "clerk.a")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    assert _login(Client(), "clerk.b").status_code == 302


@pytest.mark.django_db
def test_citizens_cannot_use_the_staff_password_form(city: Any) -> None:
    citizen()
    response = _login(Client(), "eid-001090012345", "")
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session


@pytest.mark.django_db
def test_totp_enrolment_then_second_step_at_sign_in(city: Any) -> None:
    client = Client()
    client.force_login(city.clerk_a)
    page = client.get("/accounts/totp/")
    assert page.status_code == 200 and "data:image/svg+xml" in page.content.decode()
    device = TOTPDevice.objects.get(user=city.clerk_a, confirmed=False)
    wrong = client.post("/accounts/totp/", {"token": "000000" if totp(device.bin_key) else "1"})
    assert wrong.status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    # django-otp throttles guesses (1 s, 2 s, 4 s… after failures): wait it out at once.
    device.throttle_reset()
    enrolment_code = f"{totp(device.bin_key):06d}"
    ok = client.post("/accounts/totp/", {"token": enrolment_code})
    assert ok.status_code == 302
    device.refresh_from_db()
    assert device.confirmed

    fresh = Client()
    step_one = _login(fresh, "clerk.a")
    assert step_one["Location"] == "/accounts/login/otp/"
    assert "_auth_user_id" not in fresh.session
    bad = fresh.post("/accounts/login/otp/", {"token": "123456"})
    assert "_auth_user_id" not in fresh.session and bad.status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()
    # The code used at enrolment cannot be replayed; the next time step's code works.
    replay = fresh.post("/accounts/login/otp/", {"token": enrolment_code})
    assert replay.status_code == 200 and "_auth_user_id" not in fresh.session
    device.refresh_from_db()
    device.throttle_reset()
    good = fresh.post("/accounts/login/otp/", {"token": f"{totp(device.bin_key, drift=1):06d}"})
    assert good.status_code == 302
    assert fresh.session["_auth_user_id"] == str(city.clerk_a.pk)


@pytest.mark.django_db
def test_generated_password_must_be_changed_at_first_sign_in(city: Any) -> None:
    newcomer = official(city.commune_a, username="newcomer", must_change_password=True)
    client = Client()
    client.force_login(newcomer)
    assert client.get("/")["Location"] == "/accounts/password/"
    weak = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": "123", "new_password_again": "123"},
    )
    assert weak.status_code == 200
    newcomer.refresh_from_db()
    assert newcomer.must_change_password
    done = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password": "Hồ Gươm mùa thu 2026",
            "new_password_again": "Hồ Gươm mùa thu 2026",
        },
    )
    assert done.status_code == 302
    newcomer.refresh_from_db()
    assert not newcomer.must_change_password
    assert newcomer.check_password("Hồ Gươm mùa thu 2026")
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_api_token_is_shown_once_stored_hashed_and_revocable(city: Any) -> None:
    session = Client()
    session.force_login(city.clerk_a)
    created = session.post(
        "/api/v1/tokens",
        {"name": "Phần mềm một cửa", "expires_in_days": 30},
        content_type="application/json",
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    stored = ApiToken.objects.get()
    assert secret.startswith("thd_") and secret not in stored.token_hash
    machine = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    me = machine.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "clerk.a"
    assert "token" not in session.get("/api/v1/tokens").json()[0]
    assert session.delete(f"/api/v1/tokens/{stored.pk}").status_code == 204
    refused = machine.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert AuditEvent.objects.filter(action__startswith="core.api_token").count() == 2


@pytest.mark.django_db
def test_someone_elses_token_cannot_be_revoked(city: Any) -> None:
    owner = Client()
    owner.force_login(city.clerk_a)
    owner.post("/api/v1/tokens", {"name": "a"}, content_type="application/json")
    token = ApiToken.objects.get()
    other = Client()
    other.force_login(city.clerk_b)
    assert other.delete(f"/api/v1/tokens/{token.pk}").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_session_api_calls_need_the_csrf_token(city: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.clerk_a)
    refused = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert refused.status_code in (401, 403)
    assert refused["Content-Type"] == "application/problem+json"
    assert ApiToken.objects.count() == 0
    client.get("/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/tokens", {"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201
