"""The demo city's public services in a real browser, as `make demo` serves them (the web
server with the gateway and the eID simulator on one origin): a citizen signs in with
VNeID, files a marriage registration with her name taken from the population database,
the commune's clerk, specialist and leader receive, check and sign it, and the citizen
downloads the signed result, which passes poppler's pdfsig."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.test import Client

from thudo.core.models import User
from thudo.demo import builder
from thudo.exchange import client
from thudo.exchange.tests.harness import platform_server
from thudo.identity import oidc
from thudo.procedures.models import Dossier
from thudo.signing import runtime
from thudo.signing.tests.factories import sample_pdf

MARRIAGE = "/dich-vu-cong/thu-tuc/1.000894/"


def _in_a_thread(work: Callable[[], object]) -> None:
    """Run ``work`` in a thread of its own: the session's browser keeps Playwright's event
    loop running in the test thread, where the builder's PDF signing (asyncio.run) fails."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # re-raised in the test thread
            failure.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


@pytest.fixture
def demo(
    transactional_db: None, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    settings.EXCHANGE_CONFIG_POLL_SECONDS = 0.05
    settings.REDIS_URL = ""
    cache.clear()
    monkeypatch.setattr(client, "_client", None)
    runtime.reset()
    oidc.forget_all()
    settings.VAR_DIR = tmp_path
    with platform_server() as (url, _gateway):
        settings.EXCHANGE_GATEWAY_URL = url
        settings.SIGNING_BASE_URL = url
        # The demo's eID issuer is the bundled simulator on the same origin.
        settings.EID_DISCOVERY_URL = url + "/eid/.well-known/openid-configuration"
        _in_a_thread(lambda: builder.build(base_url=url, say=lambda _line: None))
        runtime.reset()
        oidc.forget_all()
        credentials = json.loads((tmp_path / "demo" / "credentials.json").read_text())
        yield {"url": url, "credentials": credentials}
    runtime.reset()
    oidc.forget_all()
    cache.clear()


def _as_staff(page: Any, base: str, username: str, url: str) -> None:
    """The official's session, made directly (their password and TOTP login is tested in core)."""
    session = Client()
    session.force_login(User.objects.get(username=username))
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    page.goto(base + url)


@pytest.mark.browser
def test_a_citizen_files_a_marriage_online_and_downloads_the_signed_result(
    demo: dict[str, Any], page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base = demo["url"]
    credentials = demo["credentials"]
    info = credentials["procedures"]
    bride = credentials["citizens"][0]
    groom = credentials["citizens"][1]
    leader = next(
        c for c in credentials["signing"]["certificates"] if c["username"] == info["leader"]
    )

    # The citizen opens the procedure and signs in with VNeID (the real OIDC flow).
    page.goto(base + MARRIAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký kết hôn")
    page.get_by_role("link", name="Đăng nhập bằng định danh điện tử để nộp hồ sơ").click()
    expect(page.get_by_text("Mô phỏng VNeID — chỉ dùng cho thử nghiệm")).to_be_visible()
    page.get_by_label("Số định danh cá nhân").fill(bride["personal_id"])
    page.get_by_label("Mật khẩu").fill(bride["password"])
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("đề nghị nhận thông tin")
    page.get_by_role("button", name="Đồng ý").click()

    # Back on the procedure, signed in: she starts a dossier at the commune.
    expect(page).to_have_url(re.compile(r"/dich-vu-cong/thu-tuc/(1\.000894|ket-hon)/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký kết hôn")
    page.get_by_label("Cơ quan giải quyết").select_option(info["agency_code"])
    page.get_by_role("button", name="Nộp hồ sơ trực tuyến").click()

    # Once-only: her name comes from the population database, shown, not editable.
    applicant = page.locator("#applicant")
    expect(applicant).to_contain_text(bride["full_name"])
    expect(page.locator("#prefill-done")).to_be_visible()
    expect(applicant.locator("input, select, textarea")).to_have_count(0)

    page.get_by_label("Họ, chữ đệm và tên của bên kia").fill(groom["full_name"])
    page.get_by_label("Số định danh cá nhân của bên kia").fill(groom["personal_id"])
    page.get_by_label("Ngày sinh của bên kia").fill("1990-01-01")
    page.get_by_label("Nơi cư trú của bên kia").fill("Số 12 phố Kim Mã, Phường Ba Đình")
    page.get_by_role("group", name="Tình trạng hôn nhân của người nộp").get_by_label(
        "Chưa đăng ký kết hôn lần nào"
    ).check()
    page.get_by_role("group", name="Tình trạng hôn nhân của bên kia").get_by_label(
        "Chưa đăng ký kết hôn lần nào"
    ).check()
    page.get_by_label("Hai bên tự nguyện kết hôn và cam đoan đủ điều kiện kết hôn").check()
    declaration = tmp_path / "to-khai.pdf"
    declaration.write_bytes(sample_pdf("Tờ khai đăng ký kết hôn"))
    page.get_by_label("Tờ khai đăng ký kết hôn").set_input_files(str(declaration))
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra thông tin trước khi nộp")
    answers = page.locator("#answers")
    expect(answers).to_contain_text(groom["full_name"])
    expect(answers).to_contain_text("01/01/1990")
    expect(page.locator("#files")).to_contain_text("to-khai.pdf")
    page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hồ sơ \S+$"))
    code = page.locator("#dossier-code").inner_text().strip()
    assert code.startswith(f"{info['agency_code']}-")
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == "submitted"
    assert dossier.applicant_data["full_name"] == bride["full_name"]
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {code}")
    expect(page.locator(".messages")).to_contain_text(f"Mã hồ sơ của bạn: {code}")
    expect(page.locator("#dossier-status")).to_have_text("Đã nộp, chờ tiếp nhận")
    citizen_cookies = page.context.cookies()
    mine = page.url

    # The commune's one-stop desk: received, checked, signed.
    desk = f"/mot-cua/ho-so/{code}/"
    status = page.locator("#dossier-status")
    _as_staff(page, base, info["clerk"], desk)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {code}")
    expect(status).to_have_text("Đã nộp, chờ tiếp nhận")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    expect(status).to_have_text("Đang giải quyết")

    _as_staff(page, base, info["specialist"], desk)
    page.get_by_role("button", name="Nhận xử lý").click()
    expect(page.locator("#dossier")).to_contain_text("Bạn đã nhận xử lý: Thẩm định hồ sơ.")
    page.get_by_label("Đồng ý").check()
    page.get_by_label("Ý kiến xử lý").fill("Đủ điều kiện đăng ký kết hôn")
    page.get_by_role("button", name="Hoàn thành").click()
    expect(page.locator("#dossier")).to_contain_text("Đã xong: Thẩm định hồ sơ.")
    expect(status).to_have_text("Chờ ký kết quả")

    _as_staff(page, base, info["leader"], desk)
    page.get_by_label("Chứng thư số").select_option(leader["serial"])
    page.get_by_label("Mã PIN").fill(leader["pin"])
    page.get_by_role("button", name="Ký số").click()
    expect(status).to_have_text("Đã có kết quả, chờ trả")
    expect(page.locator("#signatures-verdict")).to_have_text("Cả 2 chữ ký số đều hợp lệ.")

    # The citizen, back in her own session, downloads the signed result.
    page.context.clear_cookies()
    page.context.add_cookies(citizen_cookies)
    page.goto(mine)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {code}")
    expect(status).to_have_text("Đã có kết quả, chờ trả")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải kết quả (PDF có chữ ký số)").click()
    result = tmp_path / "result.pdf"
    download.value.save_as(result)
    assert result.read_bytes().startswith(b"%PDF")
    out = subprocess.run(["pdfsig", str(result)], capture_output=True, text=True).stdout
    assert out.count("Signature is Valid.") == 2
