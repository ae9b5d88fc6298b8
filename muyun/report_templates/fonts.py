"""Per-report TrueType subsets of the full CJK font, built from a per-process glyph cache.

Why not hand fpdf2 the 8 MB Noto Sans SC directly: fpdf2 re-parses the whole font for every
document and subsets its CFF outlines by interpreting every charstring, about a second per report
on this machine — too slow to push a report to every firm. The full font stays the source (any
firm name can be set): each glyph a report needs is converted once per process to TrueType
outlines (cu2qu, error ≤ 1/1000 em, invisible in print) and every report gets a small font of
exactly its characters, which fpdf2 parses and embeds in milliseconds.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import NamedTuple

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

_NOTDEF = ".notdef"
_FAMILY = "MuyunReportSans"


class _Compiled(NamedTuple):
    """A converted glyph: its `glyf` bytes (compiled once) and what the headers need."""

    data: bytes
    points: int
    contours: int
    bounds: tuple[int, int, int, int] | None


class GlyphCache:
    """The source font opened lazily once, and its glyphs converted on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._font = TTFont(str(path), lazy=True)
        self._cmap: dict[int, str] = self._font.getBestCmap()
        self._glyph_set = self._font.getGlyphSet()
        self._glyphs: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _glyph(self, name: str) -> _Compiled:
        compiled = self._glyphs.get(name)
        if compiled is None:
            pen = TTGlyphPen(None)
            self._glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
            glyph = pen.glyph()
            data = glyph.compile(None, recalcBBoxes=True)
            contours = max(glyph.numberOfContours, 0)
            points = len(glyph.coordinates) if contours else 0
            bounds = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax) if contours else None
            compiled = self._glyphs[name] = _Compiled(data, points, contours, bounds)
        return compiled

    def subset_bytes(self, text: str) -> bytes:
        """A TrueType font (bytes) holding the glyphs of `text` that the source font has.

        Glyphs go in as compiled bytes and nothing is recalculated on save (bounds, maxp and
        the head box are filled from the cache), so building costs no outline work.
        """
        with self._lock:
            codes = sorted({ord(c) for c in text if ord(c) in self._cmap})
            names = sorted({self._cmap[c] for c in codes} - {_NOTDEF})
            order = [_NOTDEF, *names]
            compiled = {name: self._glyph(name) for name in order}
            source = self._font
            hmtx = source["hmtx"]
            builder = FontBuilder(source["head"].unitsPerEm, isTTF=True)
            builder.font.recalcBBoxes = False
            builder.setupGlyphOrder(order)
            builder.setupCharacterMap({c: self._cmap[c] for c in codes})
            glyf = newTable("glyf")
            glyf.glyphs = {name: Glyph(c.data) for name, c in compiled.items()}
            glyf.glyphOrder = order
            builder.font["loca"] = newTable("loca")
            builder.font["glyf"] = glyf
            builder.setupHorizontalMetrics({name: hmtx[name] for name in order})
            hhea = source["hhea"]
            widths = [hmtx[name][0] for name in order]
            builder.setupHorizontalHeader(
                ascent=hhea.ascent,
                descent=hhea.descent,
                advanceWidthMax=max(widths),
                numberOfHMetrics=len(order),
            )
            builder.setupNameTable({"familyName": _FAMILY, "styleName": "Regular"})
            os2 = source["OS/2"]
            builder.setupOS2(
                sTypoAscender=os2.sTypoAscender,
                sTypoDescender=os2.sTypoDescender,
                sTypoLineGap=os2.sTypoLineGap,
                usWinAscent=os2.usWinAscent,
                usWinDescent=os2.usWinDescent,
                sCapHeight=getattr(os2, "sCapHeight", hhea.ascent),
                usWeightClass=os2.usWeightClass,
                fsType=0,
            )
            builder.setupPost()
            builder.setupMaxp()
            maxp = builder.font["maxp"]
            maxp.maxPoints = max(c.points for c in compiled.values())
            maxp.maxContours = max(c.contours for c in compiled.values())
            boxes = [c.bounds for c in compiled.values() if c.bounds]
            head = builder.font["head"]
            head.xMin = min(b[0] for b in boxes)
            head.yMin = min(b[1] for b in boxes)
            head.xMax = max(b[2] for b in boxes)
            head.yMax = max(b[3] for b in boxes)
            out = io.BytesIO()
            builder.save(out)
            return out.getvalue()


_CACHES: dict[Path, GlyphCache] = {}
_CACHES_LOCK = threading.Lock()


def glyph_cache(path: Path) -> GlyphCache:
    """The process-wide cache of one source font."""
    with _CACHES_LOCK:
        cache = _CACHES.get(path)
        if cache is None:
            cache = _CACHES[path] = GlyphCache(path)
        return cache
