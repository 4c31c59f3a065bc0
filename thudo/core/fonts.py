"""Fonts for official layouts (Decree 30 documents, one-stop forms): Noto Serif (Vietnamese;
Times New Roman is proprietary).

The package ships a variable font; reportlab needs static ones, so the bold and italic
instances are made once with fontTools' instancer (a few seconds each) and kept in
``CACHE_DIR/fonts``.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from pathlib import Path

import fontpkg_noto_serif
from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR, BOLD, ITALIC, BOLD_ITALIC = "Serif", "Serif-Bold", "Serif-Italic", "Serif-BoldItalic"
_lock = threading.Lock()
_SOURCES = {
    REGULAR: ("NotoSerif[wdth,wght].ttf", 400),
    BOLD: ("NotoSerif[wdth,wght].ttf", 700),
    ITALIC: ("NotoSerif-Italic[wdth,wght].ttf", 400),
    BOLD_ITALIC: ("NotoSerif-Italic[wdth,wght].ttf", 700),
}


def _static(name: str) -> Path:
    source, weight = _SOURCES[name]
    target = Path(settings.CACHE_DIR) / "fonts" / f"{name}.ttf"
    if not target.exists():
        from fontTools.ttLib import TTFont as Font
        from fontTools.varLib import instancer

        font = Font(Path(fontpkg_noto_serif.ROOT) / "files" / source)
        static = instancer.instantiateVariableFont(
            font, {"wght": weight, "wdth": 100}, inplace=True, updateFontNames=True
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        # Several processes may make the same font at once: each writes its own file.
        partial = target.with_suffix(f".{os.getpid()}.part")
        static.save(partial)
        partial.replace(target)
    return target


@cache
def register() -> None:
    with _lock:
        for name in _SOURCES:
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, str(_static(name))))
        pdfmetrics.registerFontFamily(
            REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC
        )
