"""Compile the translation catalogues (.po → .mo) with Babel.

Django's own ``compilemessages`` needs GNU gettext's ``msgfmt``, which a fresh machine
with only Python may lack; Babel does the same in pure Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile .po translation files into .mo files (pure Python, no gettext needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        for root in settings.LOCALE_PATHS:
            for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                with po_path.open("rb") as handle:
                    try:
                        catalog = read_po(handle, locale=po_path.parts[-3])
                    except Exception as exc:  # Babel raises several kinds on broken files
                        raise CommandError(f"{po_path}: {exc}") from exc
                with mo_path.open("wb") as handle:
                    write_mo(handle, catalog, use_fuzzy=False)
                compiled += 1
        self.stdout.write(f"translations: {compiled} catalogue(s) compiled")
