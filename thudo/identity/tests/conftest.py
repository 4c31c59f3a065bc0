"""The relying party against the bundled simulator, over real HTTP on a live server.

Identity never imports the simulator (it is an outside system): its people and the
platform's client registration are seeded through the ``eidsim`` command.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from typing import Any
from urllib.parse import urlencode, urljoin

import pytest
import requests
from django.core.management import call_command

from thudo.identity import oidc

CLIENT_SECRET = "test-secret-of-the-portal-0123456789"
PASSWORD = "mat-khau-thu-nghiem"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def seed_person(
    personal_id: str = "001090012345",
    *,
    full_name: str = "Nguyễn Văn An",
    birth_date: str = "1990-05-17",
    gender: str = "male",
    loa: int = 2,
    password: str = PASSWORD,
) -> None:
    call_command(
        "eidsim",
        "account",
        "--personal-id",
        personal_id,
        "--full-name",
        full_name,
        "--birth-date",
        birth_date,
        "--gender",
        gender,
        "--loa",
        str(loa),
        "--password",
        password,
        stdout=StringIO(),
    )


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@dataclass
class Citizen:
    """A citizen's browser, reduced to a ``requests`` session that follows no redirect
    by itself, so that every hop of the flow can be checked."""

    base: str
    http: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        return urljoin(self.base + "/", path)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.url(path), allow_redirects=False, timeout=15)

    def post_form(
        self, path: str, page: requests.Response, data: dict[str, str]
    ) -> requests.Response:
        return self.http.post(
            self.url(path),
            data={"csrfmiddlewaretoken": _csrf(page.text), **data},
            allow_redirects=False,
            timeout=15,
        )

    def start(self, next_url: str | None = None) -> str:
        """Click "Đăng nhập bằng VNeID": the platform sends us to the provider."""
        query = "?" + urlencode({"next": next_url}) if next_url else ""
        response = self.get("/identity/eid/login/" + query)
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def sign_in_at_provider(self, authorize_url: str, personal_id: str, password: str) -> str:
        form = self.get(authorize_url)
        assert form.status_code == 200, form.text
        done = self.post_form(
            authorize_url,
            form,
            {"step": "sign_in", "personal_id": personal_id, "password": password},
        )
        assert done.status_code == 302, done.text
        return self.url(done.headers["Location"])

    def decide(self, consent_url: str, decision: str = "allow") -> str:
        """Answer the consent page; returns the callback URL the provider sends us to."""
        page = self.get(consent_url)
        assert page.status_code == 200 and "Thông tin sẽ được chia sẻ" in page.text
        answer = self.post_form(consent_url, page, {"step": "consent", "decision": decision})
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def callback_url(
        self,
        personal_id: str = "001090012345",
        password: str = PASSWORD,
        *,
        decision: str = "allow",
        next_url: str | None = None,
    ) -> str:
        authorize_url = self.start(next_url)
        consent_url = self.sign_in_at_provider(authorize_url, personal_id, password)
        return self.decide(consent_url, decision)

    def sign_in(
        self,
        personal_id: str = "001090012345",
        password: str = PASSWORD,
        *,
        decision: str = "allow",
        next_url: str | None = None,
    ) -> requests.Response:
        return self.get(
            self.callback_url(personal_id, password, decision=decision, next_url=next_url)
        )


@dataclass(frozen=True)
class Provider:
    base: str

    @property
    def issuer(self) -> str:
        return self.base + "/eid"

    def citizen(self) -> Citizen:
        return Citizen(self.base)


@pytest.fixture
def provider(live_server: Any, settings: Any) -> Iterator[Provider]:
    """The simulator on the live server, configured as the platform's eID provider."""
    oidc.forget_all()
    settings.EID_DISCOVERY_URL = live_server.url + "/eid/.well-known/openid-configuration"
    settings.EID_CLIENT_SECRET = CLIENT_SECRET
    call_command(
        "eidsim",
        "client",
        "--client-id",
        settings.EID_CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
        "--name",
        "Cổng dịch vụ công Thủ Đô Số",
        "--redirect-uri",
        live_server.url + "/identity/eid/callback/",
        "--post-logout-redirect-uri",
        live_server.url + "/",
        stdout=StringIO(),
    )
    yield Provider(live_server.url)
    oidc.forget_all()
