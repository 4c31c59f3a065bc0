"""The font of visible signature blocks, made cheap to embed.

pyHanko embeds a fresh subset of the font in every signature: with the 1.9 MB variable
Noto Serif that took ~0.5 s a signature (decompiling its layout tables, cutting it,
compiling the subset again). Two things make it a few milliseconds:

1. the stamp font: Noto Serif's default instance (regular, normal width — what a viewer
   draws of the variable font anyway) cut once to the Vietnamese repertoire, without
   layout tables or hinting (signature blocks are short lines of precomposed text), ~45 KB,
   built once and kept in ``CACHE_DIR``;
2. the embedded subset of it cached by the set of glyphs a block uses — the same signer's
   blocks differ only in the time's digits, so one subset serves thousands of signatures.
"""

from __future__ import annotations

import hashlib
import io
import threading
import zlib
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Any

import uharfbuzz as hb
from django.conf import settings
from fontTools import subset, ttLib
from fontTools.varLib import instancer
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory
from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import BasePdfFileWriter

VERSION = "1"
# Basic Latin, Latin-1, Latin Extended-A, the horned letters (Ơ ơ Ư ư), Latin Extended
# Additional (ạ … ỹ), combining marks, and the punctuation of official documents.
REPERTOIRE = (
    set(range(0x20, 0x7F))
    | set(range(0xA0, 0x180))
    | set(range(0x1A0, 0x1B1))
    | set(range(0x1EA0, 0x1F00))
    | set(range(0x300, 0x324))
    | {0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0x2116}
)
KEEP_SUBSETS = 256
_lock = threading.Lock()
_subsets: OrderedDict[frozenset[int], bytes] = OrderedDict()


def build(source: Path) -> bytes:
    """The stamp font made from the variable font at ``source`` (a few seconds)."""
    font = ttLib.TTFont(str(source))
    if "fvar" in font:
        defaults = {axis.axisTag: axis.defaultValue for axis in font["fvar"].axes}
        font = instancer.instantiateVariableFont(font, defaults)
    options = subset.Options()
    options.drop_tables += ["GPOS", "GSUB", "GDEF", "STAT", "MVAR", "HVAR", "VVAR"]
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=REPERTOIRE)
    cutter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@cache
def program(source: Path) -> bytes:
    """The stamp font's bytes, from the disk cache or built (and cached) now."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    path = Path(settings.CACHE_DIR) / f"stamp-font-{digest}-v{VERSION}.ttf"
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = build(source)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{threading.get_ident()}.tmp")
        partial.write_bytes(data)
        partial.replace(path)
    except OSError:  # a read-only CACHE_DIR: keep it in memory only
        pass
    return data


class _CachedProgramFont(CIDFontType2):
    """The CIDFont whose font file is a cached, already compressed subset."""

    compressed: bytes = b""

    def set_font_file(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        stream = generic.StreamObject(
            {pdf_name("/Filter"): pdf_name("/FlateDecode")}, encoded_data=self.compressed
        )
        ref = writer.add_object(stream)
        self._font_descriptor[pdf_name("/FontFile2")] = ref
        return ref


class _PreparedFont:
    """The stamp font parsed once per process and only read after: the glyph accumulator
    of every signature block shares it instead of parsing the font again."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.tt = ttLib.TTFont(io.BytesIO(data))
        self.tt.ensureDecompiled()
        self.hb_font = hb.Font(hb.Face(data))
        self.glyph_set = self.tt.getGlyphSet(preferCFF=True)
        self.reverse_cmap = self.tt["cmap"].buildReversed()
        self.ps_name = next(n for n in self.tt["name"].names if n.nameID == 6).toUnicode()
        self.units_per_em = self.tt["head"].unitsPerEm


@cache
def _prepared(source: Path) -> _PreparedFont:
    return _PreparedFont(program(source))


class StampGlyphs(GlyphAccumulator):
    """pyHanko's glyph accumulator over the shared stamp font (a TrueType font, so the
    glyph ids are kept in the subset), reusing the embedded subset of an earlier
    signature that used the same glyphs.

    ``__init__`` does what ``GlyphAccumulator.__init__`` (pyHanko 0.38) does for a
    TrueType font, with the parsed font shared; the font itself is never cut: subsets
    are made from a copy of it."""

    def __init__(
        self, writer: BasePdfFileWriter, font: _PreparedFont, font_size: int, obj_stream: Any
    ) -> None:
        FontEngine.__init__(
            self, writer, font.ps_name, embedded_subset=True, obj_stream=obj_stream,
            font_size=font_size,
        )  # fmt: skip
        self.font = font
        self.hb_font = font.hb_font
        self.tt = font.tt
        self._font_ref = writer.allocate_placeholder()
        self.cff_charset = None
        self.use_raw_gids = True
        self.cidfont_obj = _CachedProgramFont(font.tt, font.ps_name, self.subset_prefix)
        self.features = None
        self.units_per_em = font.units_per_em
        self._glyphs = {}
        self._glyph_set = font.glyph_set
        self._cid_to_unicode = {}
        self._GlyphAccumulator__reverse_cmap = font.reverse_cmap
        self.ot_language_tag = self.ot_script_tag = None
        self.writing_direction = self.bcp47_lang_code = None
        self._subset_created = self._write_prepared = False

    def _extract_subset(self, options: subset.Options | None = None) -> None:
        raise AssertionError("the shared stamp font is never cut; see prepare_write")

    def _subset_program(self) -> bytes:
        """The font cut to this block's glyphs, as pyHanko cuts it, from a copy."""
        options = subset.Options(layout_closure=False)
        options.drop_tables += ["GPOS", "GDEF", "GSUB"]
        options.retain_gids = True
        copy = ttLib.TTFont(io.BytesIO(self.font.data))
        cutter = subset.Subsetter(options=options)
        cutter.populate(gids=list(self._glyphs))
        cutter.subset(copy)
        out = io.BytesIO()
        copy.save(out)
        return zlib.compress(out.getvalue())

    def prepare_write(self) -> None:
        if self._write_prepared:
            return
        key = frozenset(self._glyphs)
        with _lock:
            compressed = _subsets.get(key)
            if compressed is not None:
                _subsets.move_to_end(key)
        if compressed is None:
            compressed = self._subset_program()
            with _lock:
                _subsets[key] = compressed
                while len(_subsets) > KEEP_SUBSETS:
                    _subsets.popitem(last=False)
        assert isinstance(self.cidfont_obj, _CachedProgramFont)
        self.cidfont_obj.compressed = compressed
        self._subset_created = True
        super().prepare_write()


class StampFontFactory(FontEngineFactory):
    """Makes a :class:`StampGlyphs` per document over the shared stamp font."""

    def __init__(self, source: Path, size: int) -> None:
        self.source = source
        self.size = size

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return StampGlyphs(writer, _prepared(self.source), self.size, obj_stream)


def reset() -> None:
    with _lock:
        _subsets.clear()
