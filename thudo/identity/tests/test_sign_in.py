"""Citizens sign in through national eID: the platform as relying party, the bundled
simulator as provider, real HTTP between them on a live server."""

from __future__ import annotations

import socket
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from django.test import Client

from thudo.core.models import AuditEvent, User
from thudo.identity.contracts import SIGNIN_ACTION
from thudo.identity.tests.conftest import PASSWORD, Provider, seed_person

live = pytest.mark.django_db(transaction=True)

INVALID_SESSION = "Phiên đăng nhập không hợp lệ, hãy thử lại."


def _nothing_created() -> None:
    assert User.objects.filter(kind=User.Kind.CITIZEN).count() == 0
    assert AuditEvent.objects.count() == 0


@live
def test_sign_in_creates_exactly_one_citizen_and_one_audited_sign_in(provider: Provider) -> None:
    seed_person()
    citizen = provider.citizen()
    callback = citizen.callback_url(next_url="/identity/my-data/")
    assert callback.startswith(provider.base + "/identity/eid/callback/?")
    assert set(parse_qs(urlsplit(callback).query)) == {"code", "state"}

    landed = citizen.get(callback)
    assert landed.status_code == 302
    assert landed.headers["Location"] == "/identity/my-data/"

    user = User.objects.get(kind=User.Kind.CITIZEN)
    assert (
        user.username,
        user.personal_id,
        user.full_name,
        user.birth_date,
        user.gender,
        user.eid_loa,
    ) == ("eid-001090012345", "001090012345", "Nguyễn Văn An", date(1990, 5, 17), "male", 2)
    assert not user.has_usable_password()
    signin = AuditEvent.objects.get(action=SIGNIN_ACTION)
    assert (
        signin.actor_id,
        signin.actor_label,
        signin.object_type,
        signin.object_id,
        signin.data_subject,
        signin.purpose,
        signin.payload,
    ) == (
        user.pk,
        "eid-001090012345",
        "core.user",
        "eid-001090012345",
        "001090012345",
        "Đăng nhập bằng định danh điện tử quốc gia",
        {"loa": 2, "issuer": provider.issuer},
    )
    assert AuditEvent.objects.filter(action="core.citizen.create").count() == 1

    home = citizen.get("/")
    assert home.status_code == 200
    assert "Xin chào, Nguyễn Văn An" in home.text
    my_data = citizen.get("/identity/my-data/")
    assert my_data.status_code == 200
    assert "Đăng nhập bằng định danh điện tử quốc gia" in my_data.text


@live
def test_second_sign_in_reuses_the_account_and_refreshes_it(provider: Provider) -> None:
    seed_person()
    assert provider.citizen().sign_in().status_code == 302
    seed_person(full_name="Nguyễn Văn Ân")  # the name was corrected in the national database
    again = provider.citizen()
    assert again.sign_in().status_code == 302
    user = User.objects.get(kind=User.Kind.CITIZEN)
    assert user.full_name == "Nguyễn Văn Ân"
    assert (
        AuditEvent.objects.filter(
            action=SIGNIN_ACTION, data_subject="001090012345", actor=user
        ).count()
        == 2
    )
    assert AuditEvent.objects.filter(action="core.citizen.create").count() == 1


@live
def test_refusing_consent_signs_no_one_in(provider: Provider) -> None:
    seed_person()
    citizen = provider.citizen()
    response = citizen.sign_in(decision="deny")
    assert response.status_code == 403
    assert "Bạn đã từ chối chia sẻ thông tin định danh nên chưa thể đăng nhập." in response.text
    _nothing_created()
    assert citizen.get("/identity/my-data/").status_code == 302  # still anonymous


@live
def test_tampered_state_is_refused(provider: Provider) -> None:
    seed_person()
    citizen = provider.citizen()
    parts = urlsplit(citizen.callback_url())
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = "forged-" + query["state"]
    response = citizen.get(urlunsplit(parts._replace(query=urlencode(query))))
    assert response.status_code == 400
    assert INVALID_SESSION in response.text
    _nothing_created()


@live
def test_replayed_callback_is_refused(provider: Provider) -> None:
    seed_person()
    citizen = provider.citizen()
    callback = citizen.callback_url()
    assert citizen.get(callback).status_code == 302
    replay = citizen.get(callback)
    assert replay.status_code == 400
    assert INVALID_SESSION in replay.text
    assert AuditEvent.objects.filter(action=SIGNIN_ACTION).count() == 1


@live
def test_callback_in_another_browser_is_refused(provider: Provider) -> None:
    seed_person()
    callback = provider.citizen().callback_url()
    stranger = provider.citizen()
    response = stranger.get(callback)
    assert response.status_code == 400 and INVALID_SESSION in response.text
    _nothing_created()


@live
def test_level_of_assurance_below_minimum_is_refused(provider: Provider, settings: Any) -> None:
    settings.EID_MIN_LOA = 2
    seed_person(loa=1)
    response = provider.citizen().sign_in()
    assert response.status_code == 403
    assert "cần tài khoản định danh điện tử mức 2; tài khoản của bạn ở mức 1" in response.text
    _nothing_created()


@live
def test_personal_id_inconsistent_with_claims_is_refused(provider: Provider) -> None:
    # Fourth digit 1: a woman born in the 1900s; the provider says "male".
    seed_person("001190012345", gender="male")
    response = provider.citizen().sign_in("001190012345")
    assert response.status_code == 400
    assert "Chữ số thứ tư của số định danh không khớp với giới tính" in response.text
    _nothing_created()


@live
def test_id_token_from_another_issuer_is_refused(provider: Provider, settings: Any) -> None:
    seed_person()
    citizen = provider.citizen()
    authorize_url = citizen.start()  # the platform has read the provider's discovery document
    settings.EIDSIM_ISSUER = "http://impostor.example/eid"
    callback = citizen.decide(citizen.sign_in_at_provider(authorize_url, "001090012345", PASSWORD))
    response = citizen.get(callback)
    assert response.status_code == 400
    assert "Không xác thực được thông tin đăng nhập nhận từ hệ thống định danh." in response.text
    _nothing_created()


@live
def test_provider_whose_issuer_does_not_match_discovery_is_unavailable(
    provider: Provider, settings: Any
) -> None:
    settings.EIDSIM_ISSUER = "http://impostor.example/eid"
    response = provider.citizen().get("/identity/eid/login/")
    assert response.status_code == 503


@live
def test_a_rotated_signing_key_is_picked_up(
    provider: Provider, settings: Any, tmp_path: Any
) -> None:
    seed_person()
    assert provider.citizen().sign_in().status_code == 302  # JWKS now cached by the platform
    settings.EIDSIM_SIGNING_KEY_FILE = str(tmp_path / "rotated.pem")
    assert provider.citizen().sign_in().status_code == 302
    assert AuditEvent.objects.filter(action=SIGNIN_ACTION).count() == 2


@live
def test_eid_logout_ends_both_sessions(provider: Provider) -> None:
    seed_person()
    citizen = provider.citizen()
    assert citizen.sign_in().status_code == 302
    home = citizen.get("/")
    response = citizen.post_form("/identity/eid/logout/", home, {})
    assert response.status_code == 302
    end_session = urlsplit(response.headers["Location"])
    assert end_session._replace(query="").geturl() == provider.issuer + "/logout"
    params = parse_qs(end_session.query)
    assert params["post_logout_redirect_uri"] == [provider.base + "/"]
    assert set(params) == {"id_token_hint", "post_logout_redirect_uri", "state"}
    back = citizen.get(response.headers["Location"])
    assert back.status_code == 302
    assert back.headers["Location"].startswith(provider.base + "/?state=")
    assert "Xin chào" not in citizen.get("/").text
    # The provider forgot the sign-in too: a new flow asks for the password again.
    assert 'name="password"' in citizen.get(citizen.start()).text


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db
def test_unreachable_provider_is_a_503_page(settings: Any) -> None:
    from thudo.identity import oidc

    oidc.forget_all()
    settings.EID_DISCOVERY_URL = (
        f"http://127.0.0.1:{_closed_port()}/eid/.well-known/openid-configuration"
    )
    response = Client().get("/identity/eid/login/")
    assert response.status_code == 503
    assert "tạm thời không kết nối được" in response.content.decode()
    oidc.forget_all()


@pytest.mark.django_db
def test_provider_error_without_a_session_is_shown_not_trusted() -> None:
    response = Client().get("/identity/eid/callback/?error=server_error&state=unknown")
    assert response.status_code == 400
    assert "không hoàn tất việc đăng nhập" in response.content.decode()
    code_only = Client().get("/identity/eid/callback/?code=abc&state=unknown")
    assert code_only.status_code == 400
    assert INVALID_SESSION in code_only.content.decode()
