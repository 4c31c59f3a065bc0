"""Kill the gateway with SIGKILL under load: every answered exchange is in the log.

The gateway runs as a real separate process on its own database, so that killing it
cannot touch the test process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db import connection

from thudo.exchange import keys
from thudo.exchange.tests.harness import access_token, free_port, upstream_server

ROOT = Path(__file__).resolve().parents[3]
CONSUMER = "VN/GOV/000.00.01.H26/MOTCUA"
PROVIDER = "VN/GOV/000.00.02.H26/KHO"

SEED = f"""
from django.utils import timezone
from thudo.core.models import AdministrativeUnit, Agency
from thudo.exchange.models import AccessGrant, MemberSystem, Service
from thudo.exchange import snapshot
unit = AdministrativeUnit.objects.create(code="01", name="Hà Nội", kind="central_city",
    level="province", valid_from="2025-07-01")
a = Agency.objects.create(code="000.00.01.H26", name="A", kind="department", unit=unit)
b = Agency.objects.create(code="000.00.02.H26", name="B", kind="department", unit=unit)
c = MemberSystem.objects.create(identifier="{CONSUMER}", agency=a, code="MOTCUA", name="c")
p = MemberSystem.objects.create(identifier="{PROVIDER}", agency=b, code="KHO", name="p")
s = Service.objects.create(provider=p, code="kho", name="s", upstream_url="UPSTREAM",
    classification="public", openapi={{}})
AccessGrant.objects.create(consumer=c, service=s, purpose="p", legal_basis="l",
    status="approved")
snapshot.bump_version()
"""

REPORT = """
import json
from thudo.exchange.messagelog import verify
from thudo.exchange.models import MessageLogEntry
ids = list(MessageLogEntry.objects.values_list("request_id", flat=True))
result = verify()
print(json.dumps({"ids": ids, "ok": result.ok, "checked": result.checked,
                  "chains": result.chains, "broken": str(result.broken)}))
"""


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A database of its own for the gateway process, of the same kind as the tests'."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}  # noqa: TID251
    env["THUDO_EXCHANGE_SIGNING_KEY_FILE"] = str(keys.key_path())
    env["THUDO_VAR_DIR"] = str(tmp_path)
    env["THUDO_EXCHANGE_ISSUER"] = settings.EXCHANGE_ISSUER
    env["THUDO_EXCHANGE_CONFIG_POLL_SECONDS"] = "0.1"
    env["THUDO_EXCHANGE_RATE_PER_SECOND"] = "100000"
    env["THUDO_EXCHANGE_RATE_BURST"] = "100000"
    if connection.vendor == "postgresql":
        import psycopg

        name = f"thudo_kill_{uuid.uuid4().hex[:10]}"
        params = connection.settings_dict
        admin_url = (
            f"postgresql://{params['USER']}@{params['HOST'] or '127.0.0.1'}:"
            f"{params['PORT'] or 5432}/postgres"
        )
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + "/" + name
        yield env
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
        yield env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "thudo.exchange.gateway.serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/x/", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the gateway did not start")


def test_sigkill_loses_no_answered_exchange(own_database: dict[str, str]) -> None:
    env = own_database
    _manage(env, "migrate", "-v0")
    with upstream_server() as upstream:
        _manage(env, "shell", "-c", SEED.replace("UPSTREAM", upstream.url + "/echo"))
        port = free_port()
        url = f"http://127.0.0.1:{port}/x/{PROVIDER}/kho/item"
        token = access_token(CONSUMER)
        answered: list[str] = []
        others: dict[int, int] = {}
        lock = threading.Lock()
        stop = threading.Event()

        def load() -> None:
            session = requests.Session()
            while not stop.is_set():
                rid = uuid.uuid4().hex
                try:
                    response = session.get(
                        url,
                        timeout=5,
                        headers={"Authorization": f"Bearer {token}", "X-Request-Id": rid},
                    )
                except requests.RequestException:
                    time.sleep(0.02)
                    continue
                with lock:
                    if response.status_code == 200:
                        answered.append(rid)
                    else:
                        others[response.status_code] = others.get(response.status_code, 0) + 1

        def answered_more_than(count: int, within: float = 60) -> None:
            # A busy machine (the suite runs in parallel) may start slowly: wait for load
            # to really flow rather than for a fixed time.
            deadline = time.monotonic() + within
            while time.monotonic() < deadline:
                with lock:
                    if len(answered) > count:
                        return
                time.sleep(0.05)

        gateway = _start(env, port)
        threads = [threading.Thread(target=load) for _ in range(8)]
        for thread in threads:
            thread.start()
        answered_more_than(200)
        gateway.send_signal(signal.SIGKILL)
        gateway.wait(10)
        killed_at = len(answered)
        time.sleep(0.3)
        gateway = _start(env, port)
        answered_more_than(killed_at + 50)
        stop.set()
        for thread in threads:
            thread.join(10)
        gateway.terminate()
        gateway.wait(10)

    report: dict[str, Any] = json.loads(
        _manage(env, "shell", "-c", REPORT).strip().splitlines()[-1]
    )
    logged = report["ids"]
    assert killed_at > 200 and len(answered) > killed_at + 50, others
    assert set(answered) <= set(logged), "an answered exchange is missing from the log"
    assert len(logged) == len(set(logged)), "an exchange was logged twice"
    assert report["ok"], report["broken"]
    assert report["checked"] == len(logged)

    # The operator's command says the same, through the real CLI.
    cli = subprocess.run(
        [sys.executable, "manage.py", "exchange", "log", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert cli.stdout == (
        f"message log intact: {len(logged)} entries in {report['chains']} chain(s)\n"
    )
