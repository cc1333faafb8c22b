"""Which of some areas holds a point: the one rule for placing plates, facilities and estates in units.

A division change re-parents what stands in a unit; a moved plate takes the community it stands in.
Both ask the same question of the same geometry, so it lives here, below both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry


def containing_part(points: Sequence[BaseGeometry | None], parts: Sequence[BaseGeometry], *,
                    inside_only: bool = False) -> list[int]:
    """Return, for each point (or the representative point of a line or area), the index of the part
    that contains it, else the nearest part (a plate on a shared boundary or in a sliver), or -1
    with ``inside_only`` or without a geometry."""
    if not len(points):
        return []
    pts = np.asarray([p if p is None or p.geom_type == "Point" else shapely.point_on_surface(p) for p in points],
                     dtype=object)
    arr = np.asarray(parts, dtype=object)
    out = []
    for pt in pts:
        if pt is None or pt.is_empty:
            out.append(-1)
            continue
        inside = np.flatnonzero(shapely.covers(arr, pt))
        if len(inside):
            out.append(int(inside[0]))
        else:
            out.append(-1 if inside_only else int(np.argmin(shapely.distance(arr, pt))))
    return out
