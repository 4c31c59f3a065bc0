"""Builders for the simulator's tests: a person, a relying party, a PKCE pair."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import date

from thudo.eidsim import services
from thudo.eidsim.models import EidAccount, OidcClient

PERSONAL_ID = "001090012345"  # Hà Nội, male, born 1990
PASSWORD = "mat-khau-thu-nghiem"
CLIENT_ID = "thudo-portal"
CLIENT_SECRET = "s3cret-of-the-portal-0123456789"
REDIRECT_URI = "https://portal.example/identity/eid/callback/"
LOGOUT_URI = "https://portal.example/"


def account(
    personal_id: str = PERSONAL_ID,
    *,
    full_name: str = "Nguyễn Văn An",
    birth_date: date = date(1990, 5, 17),
    gender: str = "male",
    loa: int = 2,
    password: str = PASSWORD,
    is_active: bool = True,
) -> EidAccount:
    return services.account_upsert(
        personal_id=personal_id,
        full_name=full_name,
        birth_date=birth_date,
        gender=gender,
        loa=loa,
        password=password,
        is_active=is_active,
    )


def client(
    client_id: str = CLIENT_ID,
    *,
    secret: str = CLIENT_SECRET,
    redirect_uri: str = REDIRECT_URI,
    auth_method: str = "client_secret_basic",
) -> OidcClient:
    return services.client_upsert(
        client_id=client_id,
        client_secret=secret,
        redirect_uris=[redirect_uri],
        post_logout_redirect_uris=[LOGOUT_URI],
        name="Cổng Thủ Đô Số",
        token_endpoint_auth_method=auth_method,
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def basic_auth(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
