"""Shared by the benchmarks: the machine's description and docs/benchmarks.md sections."""

from __future__ import annotations

import os
import platform
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
