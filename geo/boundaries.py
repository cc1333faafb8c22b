"""Administrative boundary lines derived from neighbouring unit polygons.

Works in metres (EPSG:4546) on shapely geometries; callers convert at the edges.
"""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge


def shared_boundary(a: BaseGeometry, b: BaseGeometry) -> BaseGeometry:
    """Return the line(s) two neighbouring polygons share, merged into as few parts as possible.

    The bundled polygons share vertices exactly along common edges, so the intersection of the two
    boundaries is the common line; isolated touching points are dropped.
    """
    common = a.boundary.intersection(b.boundary)
    lines = [g for g in shapely.get_parts(common) if g.geom_type in ("LineString", "LinearRing")]
    if not lines:
        return shapely.MultiLineString()
    return linemerge(shapely.MultiLineString(lines))


def ordered_parts(line: BaseGeometry) -> list[shapely.LineString]:
    """Return a line's parts oriented and ordered west→east, or north→south when it runs N–S.

    This is the usual order for numbering boundary markers (GB/T 17796 as quoted, rule BM-12).
    """
    parts = [p for p in shapely.get_parts(line) if not p.is_empty]
    if not parts:
        return []
    minx, miny, maxx, maxy = line.bounds
    east_west = (maxx - minx) >= (maxy - miny)

    def key(p: shapely.LineString) -> float:
        return p.bounds[0] if east_west else -p.bounds[3]

    out = []
    for p in sorted(parts, key=key):
        (x0, y0), (x1, y1) = p.coords[0], p.coords[-1]
        backwards = x1 < x0 if east_west else y1 > y0
        out.append(p.reverse() if backwards else p)
    return out
