"""Whether the plate font can draw a text: a production plate is refused rather than printed with a box (F5).

楼牌, 单元牌 and 路牌 are printed by Chromium in Noto Sans CJK (:data:`geo.addresses.printing.CJK_FONT`).
A character that font has no glyph for (a rare one such as 𠀀 U+20000) comes out as a crossed box
(.notdef): a plate that cannot be hung. The font's character map is read once (fontTools) from the
Noto Sans CJK found by fontconfig or at its usual paths; on a machine without it, every character
outside the Basic Multilingual Plane counts as missing (Noto Sans CJK covers only a few of them).
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

FAMILY = "Noto Sans CJK SC"
_USUAL = (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
          Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
          Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"))


def _font_path() -> Path | None:
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(["fc-match", "-f", "%{family}|%{file}", FAMILY], capture_output=True, text=True,
                                   timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            found = ""
        family, _, file = found.partition("|")
        if "CJK" in family and file and Path(file).is_file():
            return Path(file)
    return next((p for p in _USUAL if p.is_file()), None)


@lru_cache(maxsize=1)
def _covered() -> frozenset[int] | None:
    """Return the code points the plate font draws, or None when the font is not on this machine."""
    path = _font_path()
    if path is None:
        return None
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    try:
        number = {"fontNumber": 0} if path.suffix.lower() == ".ttc" else {}
        with TTFont(str(path), lazy=True, **number) as font:  # closed: only its character map is kept
            return frozenset(font.getBestCmap())
    except Exception:  # an unreadable font file: fall back to the conservative rule
        return None


def missing_glyph(value: str) -> str | None:
    """Return the first character of ``value`` the plate font cannot draw, or None."""
    covered = _covered()
    for char in value:
        if char.isspace():
            continue
        if (ord(char) not in covered) if covered is not None else ord(char) > 0xFFFF:
            return char
    return None
