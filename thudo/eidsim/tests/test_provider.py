"""The simulator as a relying party sees it: real requests, real tokens, real signatures."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import KeySet

from thudo.eidsim import keys
from thudo.eidsim.models import AuthorizationCode, EidAccount, Token
from thudo.eidsim.tests import factories as f

# Authlib refuses plain http except on loopback hosts, as a real deployment would.
HOST = "localhost"
ISSUER = f"http://{HOST}/eid"
NONCE = "n-0S6_WzA2Mj"
STATE = "af0ifjsldkj"


class Flow:
    """One authorization request, driven by hand as a browser and an RP would."""

    def __init__(self, browser: Client, **overrides: str | None) -> None:
        self.browser = browser
        self.verifier, challenge = f.pkce_pair()
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": f.CLIENT_ID,
            "redirect_uri": f.REDIRECT_URI,
            "scope": "openid profile",
            "state": STATE,
            "nonce": NONCE,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        self.params = {k: v for k, v in params.items() if v is not None}

    @property
    def url(self) -> str:
        return "/eid/authorize?" + urlencode(self.params)

    def sign_in(self, personal_id: str = f.PERSONAL_ID, password: str = f.PASSWORD) -> Any:
        return self.browser.post(
            self.url, {"step": "sign_in", "personal_id": personal_id, "password": password}
        )

    def consent(self, decision: str = "allow") -> Any:
        return self.browser.post(self.url, {"step": "consent", "decision": decision})

    def code(self) -> str:
        assert self.sign_in().status_code == 302
        response = self.consent()
        assert response.status_code == 302, response.content
        return _query(response["Location"])["code"]

    def exchange(
        self, code: str, *, verifier: str | None = "", auth: str | None = None, **extra: str
    ) -> Any:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f.REDIRECT_URI,
            **extra,
        }
        if verifier is not None:
            data["code_verifier"] = verifier or self.verifier
        return self.browser.post("/eid/token", data, HTTP_AUTHORIZATION=auth or f.basic_auth())


def _query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _at_hash(access_token: str) -> str:
    half = hashlib.sha256(access_token.encode()).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()


@pytest.fixture
def browser() -> Client:
    return Client(HTTP_HOST=HOST)


@pytest.fixture
def person(db: None) -> EidAccount:
    return f.account()


@pytest.fixture
def rp(db: None) -> Any:
    return f.client()


# --- discovery and keys -------------------------------------------------------------------------


def test_discovery_document(browser: Client) -> None:
    response = browser.get("/eid/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    assert doc == {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "userinfo_endpoint": f"{ISSUER}/userinfo",
        "jwks_uri": f"{ISSUER}/jwks.json",
        "end_session_endpoint": f"{ISSUER}/logout",
        "scopes_supported": ["openid", "profile"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": [
            "acr",
            "birthdate",
            "gender",
            "loa",
            "name",
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
            "amr",
        ],
        "acr_values_supported": ["urn:vn:vneid:loa:1", "urn:vn:vneid:loa:2"],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "ui_locales_supported": ["vi", "en"],
    }


def test_configured_issuer_is_used_for_every_endpoint(browser: Client, settings: Any) -> None:
    settings.EIDSIM_ISSUER = "https://vneid-sim.example.gov.vn/eid/"
    doc = browser.get("/eid/.well-known/openid-configuration").json()
    assert doc["issuer"] == "https://vneid-sim.example.gov.vn/eid"
    assert doc["token_endpoint"] == "https://vneid-sim.example.gov.vn/eid/token"
    assert doc["jwks_uri"] == "https://vneid-sim.example.gov.vn/eid/jwks.json"


def test_jwks_publishes_the_public_signing_key_with_a_kid(browser: Client) -> None:
    response = browser.get("/eid/jwks.json")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] == keys.signing_key().thumbprint()
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_signing_key_is_generated_once_readable_by_owner_only(settings: Any, tmp_path: Any) -> None:
    path = tmp_path / "keys" / "sim.pem"
    settings.EIDSIM_SIGNING_KEY_FILE = str(path)
    first = keys.signing_key()
    assert path.stat().st_mode & 0o777 == 0o600
    assert list(path.parent.iterdir()) == [path]  # the draft file is gone
    keys._loaded.clear()
    assert keys.signing_key().kid == first.kid == first.thumbprint()


# --- the code flow ------------------------------------------------------------------------------


def test_full_code_flow_with_pkce(browser: Client, person: EidAccount, rp: Any) -> None:
    flow = Flow(browser)
    page = browser.get(flow.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mô phỏng VNeID — chỉ dùng cho thử nghiệm" in html
    assert '<label for="id_personal_id">Số định danh cá nhân</label>' in html
    assert '<label for="id_password">Mật khẩu</label>' in html

    before = int(time.time())
    signed_in = flow.sign_in()
    assert signed_in.status_code == 302 and signed_in["Location"] == flow.url
    consent = browser.get(flow.url)
    assert consent.status_code == 200
    text = consent.content.decode()
    for label, value in [
        ("Số định danh cá nhân", "001090012345"),
        ("Mức định danh điện tử", "Mức 2"),
        ("Họ và tên", "Nguyễn Văn An"),
        ("Ngày sinh", "17/05/1990"),
        ("Giới tính", "Nam"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in text
    assert ">Đồng ý</button>" in text and ">Từ chối</button>" in text
    # Signing in to the simulator signs no one in to the platform.
    assert "_auth_user_id" not in browser.session
    assert browser.session["eidsim_account_id"] == person.pk

    granted = flow.consent()
    assert granted.status_code == 302
    location = granted["Location"]
    assert location.startswith(f.REDIRECT_URI + "?")
    query = _query(location)
    assert set(query) == {"code", "state"} and query["state"] == STATE

    response = flow.exchange(query["code"])
    after = int(time.time())
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "id_token"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == (
        "Bearer",
        3600,
        "openid profile",
    )

    jwks = KeySet.import_key_set(browser.get("/eid/jwks.json").json())
    token = jwt.decode(body["id_token"], jwks, algorithms=["RS256"])
    assert token.header == {"typ": "JWT", "alg": "RS256", "kid": keys.signing_key().kid}
    claims = dict(token.claims)
    assert before <= claims.pop("auth_time") <= after
    iat = claims.pop("iat")
    assert before <= iat <= after
    assert claims == {
        "iss": ISSUER,
        "aud": f.CLIENT_ID,
        "exp": iat + 3600,
        "sub": "001090012345",
        "name": "Nguyễn Văn An",
        "birthdate": "1990-05-17",
        "gender": "male",
        "loa": 2,
        "acr": "urn:vn:vneid:loa:2",
        "amr": ["pwd"],
        "nonce": NONCE,
        "at_hash": _at_hash(body["access_token"]),
    }
    stored = Token.objects.get()
    assert stored.access_token_digest == hashlib.sha256(body["access_token"].encode()).hexdigest()
    assert AuthorizationCode.objects.get().code_digest != query["code"]


def test_userinfo_needs_a_valid_bearer_token(browser: Client, person: EidAccount, rp: Any) -> None:
    flow = Flow(browser)
    access_token = flow.exchange(flow.code()).json()["access_token"]

    response = browser.get("/eid/userinfo", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    assert response.status_code == 200
    assert response.json() == {
        "sub": "001090012345",
        "loa": 2,
        "acr": "urn:vn:vneid:loa:2",
        "name": "Nguyễn Văn An",
        "birthdate": "1990-05-17",
        "gender": "male",
    }

    anonymous = browser.get("/eid/userinfo")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="eidsim"'

    forged = browser.get("/eid/userinfo", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert forged.status_code == 401
    assert forged["WWW-Authenticate"] == 'Bearer realm="eidsim", error="invalid_token"'


def test_openid_only_scope_releases_no_profile_claims(
    browser: Client, person: EidAccount, rp: Any
) -> None:
    flow = Flow(browser, scope="openid")
    body = flow.exchange(flow.code()).json()
    claims = jwt.decode(body["id_token"], keys.public_key_set()).claims
    assert {"name", "birthdate", "gender"} & set(claims) == set()
    assert (claims["sub"], claims["loa"]) == ("001090012345", 2)


def test_wrong_code_verifier_is_rejected_and_burns_the_code(
    browser: Client, person: EidAccount, rp: Any
) -> None:
    flow = Flow(browser)
    code = flow.code()
    other_verifier, _challenge = f.pkce_pair()
    wrong = flow.exchange(code, verifier=other_verifier)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    retry = flow.exchange(code)
    assert retry.status_code == 400 and retry.json()["error"] == "invalid_grant"
    assert Token.objects.count() == 0


def test_missing_code_verifier_is_rejected(browser: Client, person: EidAccount, rp: Any) -> None:
    flow = Flow(browser)
    response = flow.exchange(flow.code(), verifier=None)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_reused_code_is_rejected_and_revokes_what_it_got(
    browser: Client, person: EidAccount, rp: Any
) -> None:
    flow = Flow(browser)
    code = flow.code()
    first = flow.exchange(code)
    assert first.status_code == 200
    bearer = f"Bearer {first.json()['access_token']}"
    assert browser.get("/eid/userinfo", HTTP_AUTHORIZATION=bearer).status_code == 200

    again = flow.exchange(code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert browser.get("/eid/userinfo", HTTP_AUTHORIZATION=bearer).status_code == 401
    assert Token.objects.get().revoked_at is not None


def test_expired_code_is_rejected(browser: Client, person: EidAccount, rp: Any) -> None:
    flow = Flow(browser)
    code = flow.code()
    AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = flow.exchange(code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_token_endpoint_authenticates_the_client(
    browser: Client, person: EidAccount, rp: Any
) -> None:
    flow = Flow(browser)
    response = flow.exchange(flow.code(), auth=f.basic_auth(secret="wrong-secret-0123456789"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_client_secret_post(browser: Client, person: EidAccount, db: None) -> None:
    f.client(auth_method="client_secret_post")
    flow = Flow(browser)
    code = flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": f.REDIRECT_URI,
        "code_verifier": flow.verifier,
        "client_id": f.CLIENT_ID,
        "client_secret": f.CLIENT_SECRET,
    }
    response = browser.post("/eid/token", data)
    assert response.status_code == 200, response.content
    assert "id_token" in response.json()


# --- bad authorization requests -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"redirect_uri": "https://evil.example/callback"}, "invalid_request"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"client_id": "unknown-app"}, "invalid_client"),
    ],
)
def test_bad_client_or_redirect_uri_shows_an_error_page_never_a_redirect(
    browser: Client, rp: Any, overrides: dict[str, str | None], error: str
) -> None:
    response = browser.get(Flow(browser, **overrides).url)
    assert response.status_code == 400
    assert not response.has_header("Location")
    html = response.content.decode()
    assert "Không thể tiếp tục đăng nhập" in html
    assert f'<code class="mono">{error}' in html
    assert 'href="https://evil.example' not in html and 'action="https://evil' not in html


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": None},
        {"code_challenge_method": "plain"},
    ],
)
def test_authorization_without_s256_pkce_is_refused(
    browser: Client, rp: Any, overrides: dict[str, str | None]
) -> None:
    response = browser.get(Flow(browser, **overrides).url)
    assert response.status_code == 302
    assert response["Location"].startswith(f.REDIRECT_URI + "?")
    assert _query(response["Location"]) | {"error_description": ""} == {
        "error": "invalid_request",
        "error_description": "",
        "state": STATE,
    }


def test_overlong_nonce_is_refused(browser: Client, rp: Any) -> None:
    response = browser.get(Flow(browser, nonce="n" * 256).url)
    assert response.status_code == 302
    assert _query(response["Location"])["error"] == "invalid_request"


def test_openid_scope_is_required(browser: Client, rp: Any) -> None:
    response = browser.get(Flow(browser, scope="profile").url)
    assert response.status_code == 302
    assert _query(response["Location"])["error"] == "invalid_scope"


def test_refusing_consent_returns_access_denied(
    browser: Client, person: EidAccount, rp: Any
) -> None:
    flow = Flow(browser)
    flow.sign_in()
    response = flow.consent("deny")
    assert response.status_code == 302
    query = _query(response["Location"])
    assert (query["error"], query["state"]) == ("access_denied", STATE)
    assert AuthorizationCode.objects.count() == 0


def test_a_nonce_is_accepted_once(browser: Client, person: EidAccount, rp: Any) -> None:
    Flow(browser).code()
    replay = browser.get(Flow(browser).url)
    assert replay.status_code == 302
    assert _query(replay["Location"])["error"] == "invalid_request"


def test_prompt_login_forces_a_new_sign_in(browser: Client, person: EidAccount, rp: Any) -> None:
    Flow(browser).code()
    again = browser.get(Flow(browser, nonce="second-nonce").url)
    assert "Thông tin sẽ được chia sẻ" in again.content.decode()  # still signed in: consent

    forced = Flow(browser, nonce="third-nonce", prompt="login")
    page = browser.get(forced.url)
    assert 'name="password"' in page.content.decode()
    consent_without_sign_in = forced.consent()
    assert consent_without_sign_in.status_code == 200
    assert 'name="password"' in consent_without_sign_in.content.decode()
    assert AuthorizationCode.objects.count() == 1

    assert forced.sign_in().status_code == 302
    assert "Thông tin sẽ được chia sẻ" in browser.get(forced.url).content.decode()
    assert forced.consent().status_code == 302
    assert AuthorizationCode.objects.count() == 2


def test_prompt_none_without_a_session_answers_login_required(browser: Client, rp: Any) -> None:
    response = browser.get(Flow(browser, prompt="none").url)
    assert response.status_code == 302
    assert _query(response["Location"])["error"] == "login_required"


# --- sign-in throttling -------------------------------------------------------------------------

GENERIC = "Số định danh cá nhân hoặc mật khẩu không đúng."
LOCKED = "Tài khoản tạm thời bị khóa do nhập sai mật khẩu nhiều lần."


def test_wrong_password_and_unknown_id_get_the_same_answer(
    browser: Client, person: EidAccount, rp: Any
) -> None:
    flow = Flow(browser)
    wrong_password = flow.sign_in(password="not-the-password")
    unknown_person = flow.sign_in(personal_id="079090012345")
    for response in (wrong_password, unknown_person):
        assert response.status_code == 400
        html = response.content.decode()
        assert html.count(GENERIC) == 1
        assert f'<li><a href="#id_personal_id">{GENERIC}</a></li>' in html
    assert "eidsim_account_id" not in browser.session


def test_account_locks_for_five_minutes_after_five_failures(
    browser: Client, person: EidAccount, rp: Any
) -> None:
    flow = Flow(browser)
    for _attempt in range(4):
        response = flow.sign_in(password="wrong")
        assert response.status_code == 400 and GENERIC in response.content.decode()
    fifth = flow.sign_in(password="wrong")
    assert fifth.status_code == 429 and LOCKED in fifth.content.decode()
    person.refresh_from_db()
    assert person.locked_until is not None
    remaining = person.locked_until - timezone.now()
    assert timedelta(minutes=4, seconds=50) < remaining <= timedelta(minutes=5)

    correct_while_locked = flow.sign_in()
    assert correct_while_locked.status_code == 429
    assert "eidsim_account_id" not in browser.session

    EidAccount.objects.filter(pk=person.pk).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert flow.sign_in().status_code == 302
    person.refresh_from_db()
    assert (person.failed_attempts, person.locked_until) == (0, None)


def test_inactive_account_cannot_sign_in(browser: Client, rp: Any) -> None:
    f.account(is_active=False)
    flow = Flow(browser)
    response = flow.sign_in()
    assert response.status_code == 403
    assert "Tài khoản định danh điện tử này đã bị khóa" in response.content.decode()
    assert flow.sign_in(password="wrong").status_code == 400


def test_malformed_personal_id_is_a_field_error(browser: Client, rp: Any) -> None:
    response = Flow(browser).sign_in(personal_id="12345")
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        '<a href="#id_personal_id">Số định danh cá nhân: '
        "Số định danh cá nhân phải gồm đúng 12 chữ số.</a>"
    ) in html


# --- sign-out -----------------------------------------------------------------------------------


def test_logout_with_id_token_hint_redirects_to_a_registered_uri(
    browser: Client, person: EidAccount, rp: Any
) -> None:
    flow = Flow(browser)
    id_token = flow.exchange(flow.code()).json()["id_token"]
    response = browser.get(
        "/eid/logout?"
        + urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": f.LOGOUT_URI,
                "state": "bye",
            }
        )
    )
    assert response.status_code == 302
    assert response["Location"] == f.LOGOUT_URI + "?state=bye"
    assert "eidsim_account_id" not in browser.session


def test_logout_never_redirects_to_an_unregistered_uri(
    browser: Client, person: EidAccount, rp: Any
) -> None:
    flow = Flow(browser)
    id_token = flow.exchange(flow.code()).json()["id_token"]
    response = browser.get(
        "/eid/logout?"
        + urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": "https://evil.example/",
            }
        )
    )
    assert response.status_code == 200
    assert not response.has_header("Location")
    assert "Bạn đã đăng xuất khỏi tài khoản định danh điện tử" in response.content.decode()


def test_logout_without_hint_asks_for_confirmation(
    browser: Client, person: EidAccount, rp: Any
) -> None:
    Flow(browser).sign_in()
    assert "eidsim_account_id" in browser.session
    page = browser.get("/eid/logout")
    assert page.status_code == 200
    assert "Đăng xuất khỏi tài khoản định danh điện tử?" in page.content.decode()
    assert "eidsim_account_id" in browser.session
    done = browser.post("/eid/logout")
    assert done.status_code == 200
    assert "eidsim_account_id" not in browser.session


def test_logout_with_a_forged_hint_is_an_error_page(browser: Client, rp: Any) -> None:
    response = browser.get(
        "/eid/logout?"
        + urlencode(
            {
                "id_token_hint": "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
                "post_logout_redirect_uri": f.LOGOUT_URI,
            }
        )
    )
    assert response.status_code == 400
    assert not response.has_header("Location")
