"""Shared by the benchmarks: the machine's description, docs/benchmarks.md sections, a fresh
PostgreSQL database of their own."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def write_section(title: str, section: str, *, intro: str, path: Path = DOC) -> None:
    """Replace (or append) the ``## title`` section of docs/benchmarks.md."""
    heading = f"## {title}"
    text = path.read_text() if path.exists() else intro
    if heading in text:
        start = text.index(heading)
        end = text.find("\n## ", start + len(heading))
        rest = "\n" + text[end:].lstrip("\n") if end != -1 else ""
        text = text[:start] + section.rstrip("\n") + "\n" + rest
    else:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def fresh_database(url: str) -> None:
    """A new, empty database for every run: nothing left over can change the figures."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(env: dict[str, str]) -> None:
    """``manage.py migrate`` in a subprocess with ``env`` (the benchmark's database)."""
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])


def postgres_setting(setting: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
