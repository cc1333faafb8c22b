"""QR images of plate URLs: SVG for print, PNG for screens, with a quiet zone and level-M correction."""

from __future__ import annotations

import io

import segno

from geo.qr_svg import QUIET_ZONE_MODULES


def qr_svg(url: str, *, scale: float = 4) -> str:
    """Return an SVG of the QR code (black on white, 4-module quiet zone)."""
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="svg", scale=scale, border=QUIET_ZONE_MODULES,
                                                 dark="#000", light="#fff", xmldecl=False, svgns=True)
    return buf.getvalue().decode()


def qr_png(url: str, *, scale: int = 8) -> bytes:
    """Return a PNG of the QR code."""
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=scale, border=QUIET_ZONE_MODULES)
    return buf.getvalue()
