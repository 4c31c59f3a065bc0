"""The demo city's data exchange end to end, as its README promises: a demo consumer
system gets a token, reads a citizen's record through the gateway with a receipt that
verifies against the hub's published keys, a consumer without a grant is refused, and the
citizen, signed in with VNeID in a real browser, sees the read on "who used my data"."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from thudo.demo import builder
from thudo.exchange.tests.harness import gateway_server
from thudo.identity import oidc


@pytest.fixture
def demo(live_server: Any, settings: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    settings.VAR_DIR = tmp_path
    settings.EXCHANGE_CONFIG_POLL_SECONDS = 0.05
    settings.REDIS_URL = ""
    settings.EID_DISCOVERY_URL = live_server.url + "/eid/.well-known/openid-configuration"
    oidc.forget_all()
    builder.build(base_url=live_server.url, say=lambda _line: None)
    credentials = json.loads((tmp_path / "demo" / "credentials.json").read_text())
    with gateway_server() as (gateway_url, _gateway):
        yield {"credentials": credentials, "gateway": gateway_url}
    oidc.forget_all()


def _token(credentials: dict[str, Any], client: dict[str, Any]) -> str:
    answer = requests.post(
        credentials["exchange"]["token_url"],
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "Bearer"
    return str(answer.json()["access_token"])


def _call(demo: dict[str, Any], client: dict[str, Any]) -> requests.Response:
    token = _token(demo["credentials"], client)
    return requests.get(
        demo["gateway"] + client["example_path"],
        headers={"Authorization": f"Bearer {token}", **client["example_headers"]},
        timeout=10,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_demo_consumer_reads_a_record_and_the_citizen_sees_it(
    demo: dict[str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    credentials = demo["credentials"]
    granted, stranger = credentials["exchange_clients"]
    citizen = credentials["citizens"][0]
    assert granted["granted"] == ["VN/GOV/000.00.00.G01/DANCU/tra-cuu-cong-dan"]
    assert stranger["granted"] == []
    assert granted["example_path"].endswith("/people/" + citizen["personal_id"])

    answer = _call(demo, granted)
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert record["status"] == "found"
    assert record["person"]["personal_id"] == citizen["personal_id"]
    assert record["person"]["full_name"] == citizen["full_name"]

    # The receipt verifies with the keys the hub publishes, read over HTTP.
    jwks = requests.get(credentials["exchange"]["jwks_url"], timeout=10).json()
    receipt = jwt.decode(
        answer.headers["X-Exchange-Signature"], KeySet.import_key_set(jwks), algorithms=["ES256"]
    )
    digest = base64.urlsafe_b64encode(hashlib.sha256(answer.content).digest()).rstrip(b"=")
    assert receipt.claims["body_sha256"] == digest.decode()
    assert receipt.claims["consumer"] == granted["system"]
    assert receipt.claims["status"] == 200
    assert receipt.claims["jti"] == answer.headers["X-Request-Id"]

    refused = _call(demo, stranger)
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "no_grant"
    assert citizen["full_name"] not in refused.text

    page.goto(credentials["base_url"] + "/")
    page.get_by_role("link", name="Đăng nhập bằng VNeID").click()
    page.get_by_label("Số định danh cá nhân").fill(citizen["personal_id"])
    page.get_by_label("Mật khẩu").fill(citizen["password"])
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.get_by_role("button", name="Đồng ý").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Xin chào, {citizen['full_name']}")

    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Ai đã dùng dữ liệu của tôi"
    ).click()
    expect(page).to_have_url(re.compile(r"/identity/my-data/$"))
    row = page.get_by_role("row").filter(has_text="Tra cứu thông tin công dân")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Trung tâm Phục vụ hành chính công Thành phố Hà Nội")
    expect(row).to_contain_text("Tiếp nhận, giải quyết thủ tục hành chính")
    # The refused call read nothing, so it is not a use of the citizen's data.
    expect(page.get_by_role("row").filter(has_text="Nền tảng dữ liệu dùng chung")).to_have_count(0)
