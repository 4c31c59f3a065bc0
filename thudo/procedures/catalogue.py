"""The procedure catalogue as shipped: one YAML file per procedure (its current version)
beside its BPMN process, in ``catalogue/``. Loading is idempotent: a changed file
publishes a new version; dossiers keep the version they were filed under."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from thudo.core.models import Agency

DIRECTORY = Path(__file__).resolve().parent / "catalogue"
KEYS = {
    "code", "slug", "name", "name_en", "sector", "agency_kind", "version", "decision",
    "service_level", "deadline", "fees", "exemptions", "components", "form_schema",
    "result", "legal_basis", "process",
}  # fmt: skip
SOURCES = {"upload", "population", "wallet"}


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    data: dict[str, Any]
    digest: str

    @property
    def cutoff(self) -> time | None:
        value = self.data["deadline"].get("cutoff")
        return time.fromisoformat(value) if value else None


def read(path: Path) -> Entry:
    """One catalogue file, checked: a broken entry must not reach citizens."""
    raw = path.read_bytes()
    data = yaml.safe_load(raw)
    if not isinstance(data, dict):
        raise CatalogueError(f"{path.name}: not a mapping")
    missing = KEYS - data.keys()
    if missing:
        raise CatalogueError(f"{path.name}: missing {sorted(missing)}")
    if data["agency_kind"] not in Agency.Kind.values:
        raise CatalogueError(f"{path.name}: unknown agency kind {data['agency_kind']}")
    if data["service_level"] not in ("full_online", "partial"):
        raise CatalogueError(f"{path.name}: unknown service level")
    Draft202012Validator.check_schema(data["form_schema"])
    for component in data["components"]:
        if component.get("source", "upload") not in SOURCES:
            raise CatalogueError(f"{path.name}: unknown source of {component.get('code')}")
    process = DIRECTORY / data["process"]
    if not process.is_file():
        raise CatalogueError(f"{path.name}: no process file {data['process']}")
    digest = hashlib.sha256(raw + process.read_bytes()).hexdigest()
    return Entry(data, digest)


def entries(directory: Path | None = None) -> list[Entry]:
    return [read(p) for p in sorted((directory or DIRECTORY).glob("*.yaml"))]
