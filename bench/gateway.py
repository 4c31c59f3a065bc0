"""Benchmark: the exchange gateway against nginx ``proxy_pass`` and the upstream itself.

    .venv/bin/python bench/gateway.py                      # or: make bench-gateway

Side by side in one run on this machine (PERFORMANCE.md), with wrk as load generator:

- the upstream called directly (nginx answering a fixed JSON body);
- the same upstream behind nginx ``proxy_pass`` (keep-alive to the upstream);
- the same upstream through our gateway: token check, grant check, signed response
  (receipt), upstream assertion, and the message log written by group commit to
  PostgreSQL before each answer.

For each: throughput at 32 connections, and p50 latency at one connection. Reports the
gateway's throughput, its ratio to nginx, and the p50 it adds over the direct call. nginx
and wrk come from Debian's packages (installed with apt-get when missing). Results go to
``bench/results/gateway.json`` and the "Exchange gateway" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, write_section  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "gateway.json"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/thudo_bench_gateway"
CONSUMER = "VN/GOV/000.00.01.H26/BENCH"
PROVIDER = "VN/GOV/000.00.02.H26/UPSTREAM"
TITLE = "Exchange gateway"
INTRO = "# Benchmarks\n"

NGINX_CONF = """
worker_processes 2;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream backend {{ server 127.0.0.1:{upstream}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{upstream};
        location / {{
            default_type application/json;
            return 200 '{{"personal_id":"001090012345","full_name":"Nguyễn Văn An","ok":true}}';
        }}
    }}
    server {{
        listen 127.0.0.1:{proxy};
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""

SEED = """
from thudo.core.models import AdministrativeUnit, Agency
from thudo.exchange.models import AccessGrant, MemberSystem, Service
from thudo.exchange import snapshot
unit, _ = AdministrativeUnit.objects.get_or_create(code="01", valid_from="2025-07-01",
    defaults=dict(name="Hà Nội", kind="central_city", level="province"))
a, _ = Agency.objects.get_or_create(code="000.00.01.H26", defaults=dict(name="A",
    kind="department", unit=unit))
b, _ = Agency.objects.get_or_create(code="000.00.02.H26", defaults=dict(name="B",
    kind="department", unit=unit))
c, _ = MemberSystem.objects.get_or_create(identifier="{consumer}",
    defaults=dict(agency=a, code="BENCH", name="bench"))
p, _ = MemberSystem.objects.get_or_create(identifier="{provider}",
    defaults=dict(agency=b, code="UPSTREAM", name="upstream"))
s, _ = Service.objects.update_or_create(provider=p, code="data", defaults=dict(name="data",
    upstream_url="{upstream_url}", classification="personal", openapi={{}}))
AccessGrant.objects.get_or_create(consumer=c, service=s, defaults=dict(purpose="bench",
    legal_basis="bench", status="approved",
    operations=[{{"method": "GET", "path": "/people/{{id}}"}}]))
snapshot.bump_version()
"""

TOKEN = """
import time
from joserfc import jwt
from django.conf import settings
from thudo.exchange import keys
now = int(time.time())
key = keys.signing_key()
print(jwt.encode({{"alg": "ES256", "typ": "at+jwt", "kid": key.kid}},
    {{"iss": settings.EXCHANGE_ISSUER, "aud": "thudo-exchange", "sub": "{consumer}",
      "client_id": "{consumer}", "iat": now, "exp": now + 3600, "jti": "bench"}}, key))
"""

REPORT = """
import json
from thudo.exchange.messagelog import verify
from thudo.exchange.models import MessageLogEntry
r = verify()
print(json.dumps({"entries": MessageLogEntry.objects.count(), "ok": r.ok}))
"""


def _need(tool: str, package: str) -> str:
    found = shutil.which(tool) or (
        f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None
    )
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", package], check=True)
    return shutil.which(tool) or f"/usr/sbin/{tool}"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _fresh_database(url: str) -> None:
    """A new, empty database for every run: nothing left over can change the figures."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _wait(port: int) -> None:
    import socket

    for _ in range(300):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_P50 = re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(
    wrk: str, url: str, *, connections: int, seconds: int, headers: list[str]
) -> dict[str, float]:
    threads = min(2, connections)
    args = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(_RPS.search(out).group(1))  # type: ignore[union-attr]
    p50 = _P50.search(out)
    bad = _NON2XX.search(out)
    return {
        "rps": round(rps),
        "p50_ms": round(float(p50.group(1)) * _UNIT[p50.group(2)], 3) if p50 else -1.0,
        "non_2xx": int(bad.group(1)) if bad else 0,
    }


def run(*, seconds: int, database_url: str, gateway_workers: int) -> dict[str, Any]:
    nginx = _need("nginx", "nginx-light")
    wrk = _need("wrk", "wrk")
    _fresh_database(database_url)
    upstream_port, proxy_port, gateway_port = _free_port(), _free_port(), _free_port()
    tmp = Path(tempfile.mkdtemp(prefix="thudo-bench-"))
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, upstream=upstream_port, proxy=proxy_port))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "THUDO_LOG_FORMAT": "text",
        "LOG_LEVEL": "WARNING",
        "THUDO_EXCHANGE_RATE_PER_SECOND": "1000000",
        "THUDO_EXCHANGE_RATE_BURST": "1000000",
    }
    _manage(env, "migrate", "-v0")
    _manage(
        env,
        "shell",
        "-c",
        SEED.format(
            consumer=CONSUMER, provider=PROVIDER, upstream_url=f"http://127.0.0.1:{upstream_port}"
        ),
    )
    token = _manage(env, "shell", "-c", TOKEN.format(consumer=CONSUMER))
    before = json.loads(_manage(env, "shell", "-c", REPORT))["entries"]
    processes = [subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)])]
    processes.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "thudo.exchange.gateway.serve",
                "--port",
                str(gateway_port),
                "--workers",
                str(gateway_workers),
            ],
            cwd=ROOT,
            env=env,
        )
    )
    try:
        for port in (upstream_port, proxy_port, gateway_port):
            _wait(port)
        time.sleep(2)
        path = "/people/001090012345"
        targets = {
            "upstream": (f"http://127.0.0.1:{upstream_port}{path}", []),
            "nginx": (f"http://127.0.0.1:{proxy_port}{path}", []),
            "gateway": (
                f"http://127.0.0.1:{gateway_port}/x/{PROVIDER}/data{path}",
                [
                    f"Authorization: Bearer {token}",
                    "X-Purpose: benchmark",
                    "X-Data-Subject: 001090012345",
                ],
            ),
        }
        figures: dict[str, Any] = {}
        for name, (url, headers) in targets.items():
            _wrk(wrk, url, connections=32, seconds=2, headers=headers)  # warm-up
            busy = _wrk(wrk, url, connections=32, seconds=seconds, headers=headers)
            single = _wrk(wrk, url, connections=1, seconds=max(3, seconds // 2), headers=headers)
            figures[name] = {
                "rps_32": busy["rps"],
                "p50_ms_32": busy["p50_ms"],
                "p50_ms_1": single["p50_ms"],
                "rps_1": single["rps"],
                "non_2xx": busy["non_2xx"] + single["non_2xx"],
            }
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    log = json.loads(_manage(env, "shell", "-c", REPORT))
    gw, ng, up = figures["gateway"], figures["nginx"], figures["upstream"]
    summary = {
        "gateway_rps": gw["rps_32"],
        "ratio_to_nginx": round(gw["rps_32"] / ng["rps_32"], 3),
        "added_p50_ms": round(gw["p50_ms_1"] - up["p50_ms_1"], 3),
        "nginx_added_p50_ms": round(ng["p50_ms_1"] - up["p50_ms_1"], 3),
        "log_entries_written": log["entries"] - before,
        "log_chain_ok": log["ok"],
        "targets": {"rps": 2000, "added_p50_ms": 2.0, "ratio_to_nginx": 0.1, "stretch_ratio": 0.2},
    }
    summary["met"] = (
        summary["gateway_rps"] >= 2000
        and summary["added_p50_ms"] <= 2.0
        and summary["ratio_to_nginx"] >= 0.1
        and gw["non_2xx"] == 0
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "seconds": seconds,
        "gateway_workers": gateway_workers,
        "figures": figures,
        "summary": summary,
    }


def section(report: dict[str, Any], command: str) -> str:
    m, f, s = report["machine"], report["figures"], report["summary"]
    rows = [
        f"| {name} | {f[name]['rps_32']:,} | {f[name]['p50_ms_32']} ms | {f[name]['p50_ms_1']} ms "
        f"| {f[name]['non_2xx']} |"
        for name in ("upstream", "nginx", "gateway")
    ]
    verdict = "met" if s["met"] else "**missed**"
    runs = report.get("runs", [])
    spread = (
        [
            f"{len(runs)} runs in this invocation (gateway msgs/s, nginx req/s, ratio, added "
            "p50): "
            + "; ".join(
                f"{r['gateway_rps']:,}, {r['nginx_rps']:,}, {r['ratio_to_nginx']}, "
                f"{r['added_p50_ms']} ms"
                for r in runs
            )
            + ". The table shows the median run by gateway throughput.",
            "",
        ]
        if len(runs) > 1
        else []
    )
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            "GET of a personal-data record: the upstream (nginx returning a fixed JSON body) "
            "called directly, behind nginx `proxy_pass`, and through the gateway (token check, "
            "grant check, purpose and data subject, upstream assertion, signed receipt, message "
            "log committed to PostgreSQL by group commit before each answer). wrk, load generator "
            "and all servers on the same machine; throughput at 32 connections, latency at 1.",
            "",
            f"Machine: {m['cpu']}, {m['cores']} cores; {report['date']}; "
            f"`{command}`; gateway: uvicorn, {report['gateway_workers']} worker(s).",
            "",
            "| path | req/s at 32 conns | p50 at 32 | p50 at 1 conn | non-2xx |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"Gateway: **{s['gateway_rps']:,} msgs/s** (target ≥ 2,000), **{s['ratio_to_nginx']} × "
            f"nginx** (target ≥ 0.1, stretch 0.2), adds **{s['added_p50_ms']} ms** p50 at one "
            f"connection (target ≤ 2 ms; nginx adds {s['nginx_added_p50_ms']} ms). "
            f"{s['log_entries_written']:,} exchanges logged during the run, chain verified: "
            f"{'yes' if s['log_chain_ok'] else 'NO'}. Targets {verdict}.",
            "",
            *spread,
            *PROFILE,
        ]
    )


# What py-spy showed of one gateway worker under wrk at 32 connections (kept with the
# figures so that a miss comes with its reasons).
PROFILE = [
    "Where a gateway worker's time goes (py-spy, 32 connections): the aiohttp client "
    "forwarding to the upstream ~23 %, the two ES256 signatures (upstream assertion and "
    "receipt, ~26 µs each in OpenSSL) ~15 %, uvicorn's HTTP protocol ~20 %, the message log "
    "(hash chain, JSON batch, commit) ~10 %. Removing Starlette's per-request objects and "
    "binding log batches as JSON instead of per-column arrays took one worker from ~1,470 "
    "to ~2,430 msgs/s. The remaining gap to 0.1 × nginx is the cost of doing this work in "
    "Python on the two cores that also run wrk, nginx and PostgreSQL; at one connection "
    "the added latency is mostly the commit of the log entry before the answer.",
    "",
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Exchange gateway benchmark")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs; the median one is reported (noisy cores)"
    )
    args = parser.parse_args(argv)
    reports = [
        run(seconds=args.seconds, database_url=args.database_url, gateway_workers=args.workers)
        for _ in range(max(1, args.repeat))
    ]
    reports.sort(key=lambda r: r["summary"]["gateway_rps"])
    report = reports[len(reports) // 2]
    report["runs"] = [
        {
            "gateway_rps": r["summary"]["gateway_rps"],
            "nginx_rps": r["figures"]["nginx"]["rps_32"],
            "ratio_to_nginx": r["summary"]["ratio_to_nginx"],
            "added_p50_ms": r["summary"]["added_p50_ms"],
        }
        for r in reports
    ]
    command = (
        ".venv/bin/python bench/gateway.py"
        + (f" --seconds {args.seconds}" if args.seconds != 10 else "")
        + (f" --workers {args.workers}" if args.workers != 2 else "")
        + (f" --repeat {args.repeat}" if args.repeat != 3 else "")
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({**report, "command": command}, indent=2, ensure_ascii=False) + "\n"
    )
    write_section(TITLE, section(report, command), intro=INTRO)
    print(json.dumps(report["figures"], indent=2))
    print(json.dumps(report["summary"], indent=2))


if __name__ == "__main__":
    main()
