"""The submission benchmark still runs (tiny load, nothing timed or asserted about speed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from bench import procedures as bench
from bench.common import write_section
from thudo.procedures import services

pytestmark = pytest.mark.django_db(transaction=True)

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/
  2 threads and 32 connections
RESULT 31000 10000000 0 0 9500.0 21000.0 40000.0 10100.0
"""


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_benchmark_core_runs(tmp_path: Path) -> None:
    services.catalogue_load(actor=None)
    setup = bench.seed(citizens=4, upload_bytes=600)
    assert setup.path == "portal" and setup.uploads  # every procedure needs an upload
    setup.retry_rate = 0.5

    figures = bench.submissions(setup, clients=2, processes=0, count=6, warmup=2)

    # A call that fails (a deadlock between two submissions on PostgreSQL, say) is
    # counted, not acknowledged; whatever was acknowledged must be there exactly once.
    assert figures["calls"] == 6 and figures["acknowledged"] >= 1, figures["samples"]
    assert sum(figures["error_kinds"].values()) == figures["errors"]
    checks = figures["checks"]
    assert checks["ok"], checks
    assert checks["stored"] == figures["acknowledged"]
    assert checks["lost"] == 0 and checks["duplicated_keys"] == 0 and checks["gapless"]
    assert checks["retried_same_code"] == checks["retried"]
    assert checks["queued_tasks"] == checks["notices_all"] >= checks["stored"]
    assert bench.queries_per_submission(setup) > 5

    # The lookup's requests are the right ones: the applicant's cookie gets the dossier.
    targets = bench.lookup_targets(sample=3)
    path, cookie = targets["dossier"][0]
    name, key = cookie.split("=", 1)
    client = Client()
    client.cookies[name] = key
    answer = client.get(path)
    assert answer.status_code == 200 and answer.json()["code"] == path.rsplit("/", 1)[1]
    assert client.get("/api/v1/me").status_code == 200
    assert Client().get(path).status_code == 401
    assert "math.random(#reqs)" in bench.lua_script(targets["dossier"])
    looked = bench.parse_wrk(WRK_OUTPUT)
    assert looked["rps"] == 3100 and looked["p95_ms"] == 21.0

    if connection.vendor == "postgresql":
        raw = bench.baseline(_database_url(), clients=2, processes=0, count=10)
        assert raw["errors"] == 0 and raw["rows"] == 10
    else:
        raw = {**figures, "per_second": 1.0}

    report: dict[str, Any] = {
        "date": "2026-01-01 00:00 UTC",
        "machine": {"cpu": "cpu", "cores": 2, "postgresql": "15"},
        "options": {
            "clients": 2, "processes": 0, "threads_per_process": 2, "citizens": 4,
            "procedure": "khai-sinh", "procedure_code": setup.procedure_code,
            "path": setup.path, "uploads": setup.uploads, "upload_bytes": 600,
            "lookup_connections": 32, "lookup_seconds": 10, "server_workers": 2,
        },
        "queries_per_submission": 30,
        "submissions": figures,
        "baseline": raw,
        "lookups": {"healthz": looked, "me": looked, "dossier": looked},
        "summary": {
            "ratio_to_baseline": 0.5, "lookup_ratio_to_healthz": 1.0,
            "submissions_met": False, "lookups_met": False,
        },
        "notes": ["Profile: here."],
    }  # fmt: skip
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Dossier submission\n\nold\n\n## PDF signing\n\nkeep\n")
    write_section(bench.TITLE, bench.section(report, "bench/procedures.py"), intro=bench.INTRO,
                  path=doc)  # fmt: skip
    text = doc.read_text()
    assert "old" not in text and "## PDF signing\n\nkeep" in text
    assert text.count("## Dossier submission") == 1
    assert "| dossier submission |" in text and "codes gapless: yes" in text
    assert "Profile: here." in text
