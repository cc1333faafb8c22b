"""A small web font for the Mongolian text a page shows: a subset of the bundled Noto Sans Mongolian.

Many phones have no Mongolian font. The subset keeps every OpenType layout feature (and the glyphs
they reach), so the phone's browser still joins the letters into their initial, medial and final
forms; only the characters on the page are kept, so it stays a few kilobytes.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from geo.errors import InputError

FONT = Path(__file__).resolve().parents[1] / "data" / "fonts" / "NotoSansMongolian-Regular.ttf"
MAX_CHARS = 200


def _check(text: str) -> str:
    chars = "".join(sorted(set(text)))
    if not chars or len(chars) > MAX_CHARS:
        raise InputError(f"the text must hold 1 to {MAX_CHARS} distinct characters", field="t")
    if any(not ("\u1800" <= c <= "\u18af" or c in "\u202f\u200c\u200d ") for c in chars):
        raise InputError("only Mongolian-script text can be subset", field="t")
    return chars


@lru_cache(maxsize=512)
def _subset(chars: str) -> bytes:
    font = TTFont(FONT)
    options = subset.Options()
    options.layout_features = ["*"]
    options.flavor = "woff2"
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out)
    return out.getvalue()


def mongolian_subset(text: str) -> bytes:
    """Return a WOFF2 font with the glyphs ``text`` needs (every layout feature kept)."""
    return _subset(_check(text))
