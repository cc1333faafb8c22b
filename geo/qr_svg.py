"""The dark modules of a QR code as one SVG path, for printed plates, building plates and street signs.

Printed artefacts draw the code as vector shapes at its printed size (no bitmap to blur on a
1000 mm sign): each row's runs of dark modules become one rectangle, with the standard's quiet
zone of four modules around the code and level-M error correction, as every code of the service.
"""

from __future__ import annotations

import segno

QUIET_ZONE_MODULES = 4  # the QR standard's minimum


def qr_svg_path(url: str, size_mm: float) -> tuple[str, float]:
    """Return the SVG path of ``url``'s QR code scaled to ``size_mm`` square (quiet zone included) and the
    size of one module in mm."""
    matrix = segno.make(url, error="m", micro=False).matrix
    module = size_mm / (len(matrix) + 2 * QUIET_ZONE_MODULES)
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            run = (x - start) * module
            parts.append(f"M{(start + QUIET_ZONE_MODULES) * module:.4f} {(y + QUIET_ZONE_MODULES) * module:.4f}"
                         f"h{run:.4f}v{module:.4f}h{-run:.4f}z")
    return "".join(parts), module
