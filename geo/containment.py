"""Which of some areas holds a point: the one rule for placing plates, facilities and estates in units.

A division change re-parents what stands in a unit; a new or moved plate takes the community it
stands in. Both ask the same question of the same geometry, so it lives here, below both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry


def containing_part(points: Sequence[BaseGeometry | None], parts: Sequence[BaseGeometry], *,
                    inside_only: bool = False) -> list[int]:
    """Return, for each point (or the representative point of a line or area), the index of the part
    that contains it (the lowest index where parts overlap), else the nearest part (a plate on a shared
    boundary or in a sliver), or -1 with ``inside_only``, without a geometry or without parts.

    One spatial index over the parts: an import of 34,000 plates into 62 communities is placed in
    one pass, not one scan of every part per plate.
    """
    if not len(points):
        return []
    out = np.full(len(points), -1, dtype=np.int64)
    if not len(parts):
        return out.tolist()
    pts = np.empty(len(points), dtype=object)
    pts[:] = list(points)
    kind = shapely.get_type_id(pts)  # -1 for None; read in C, not one attribute per geometry
    present = (kind >= 0) & ~shapely.is_empty(pts)
    areas = present & (kind != shapely.GeometryType.POINT)
    pts[~present] = None
    if areas.any():
        pts[areas] = shapely.point_on_surface(pts[areas])
    has = np.flatnonzero(present)
    if not len(has):
        return out.tolist()
    tree = shapely.STRtree(np.asarray(parts, dtype=object))
    point_i, part_i = tree.query(pts[has], predicate="covered_by")
    inside = np.full(len(has), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(inside, point_i, part_i)
    found = inside != np.iinfo(np.int64).max
    out[has[found]] = inside[found]
    if not inside_only and not found.all():
        missing = has[~found]
        point_j, part_j = tree.query_nearest(pts[missing], all_matches=True)
        nearest = np.full(len(missing), -1, dtype=np.int64)  # a point near nothing (NaN coordinates): -1
        first = np.full(len(missing), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, point_j, part_j)
        found_near = first != np.iinfo(np.int64).max
        nearest[found_near] = first[found_near]
        out[missing] = nearest
    return out.tolist()
