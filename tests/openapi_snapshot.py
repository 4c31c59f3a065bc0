"""The committed OpenAPI document (docs/openapi.json): `make openapi` rewrites it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def current_document() -> str:
    from config.api import api

    schema = api.get_openapi_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    import django

    django.setup()
    if "--write" in sys.argv:
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(current_document())
        print(f"wrote {SNAPSHOT}")  # noqa: T201


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")  # noqa: TID251
    main()
