"""Administrative boundary lines derived from neighbouring unit polygons.

Works in metres (EPSG:4546) on shapely geometries; callers convert at the edges.
"""

from __future__ import annotations

import numpy as np
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


SQM_PER_MU = 10_000 / 15  # 1 亩 = 666.67 m²


def _polygons(geom) -> list[shapely.Polygon]:
    return [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]


def topology_report(a, b, *, close_m: float = 5.0, min_area_m2: float = 1.0) -> dict[str, list[dict]]:
    """Return the gaps and overlaps between two neighbouring polygons (metres), with areas in m² and 亩.

    Overlaps are where both claim the ground; gaps are slivers between them narrower than
    ``2 * close_m`` (found by closing the union). Pieces under ``min_area_m2`` are left out.
    """
    def describe(polys):
        out = []
        for p in polys:
            if p.area >= min_area_m2:
                c = p.representative_point()
                out.append({"area_m2": round(p.area, 1), "area_mu": round(p.area / SQM_PER_MU, 3),
                            "x": c.x, "y": c.y, "geometry": p})
        return sorted(out, key=lambda d: -d["area_m2"])

    overlap = _polygons(shapely.intersection(a, b))
    union = shapely.union(a, b)
    closed = shapely.buffer(shapely.buffer(union, close_m, join_style="mitre"), -close_m, join_style="mitre")
    gaps = _polygons(shapely.difference(closed, union))
    return {"overlaps": describe(overlap), "gaps": describe(gaps)}


def displacement_m(registered, observed) -> float:
    """Return the distance in metres between a marker's registered and observed positions (metric)."""
    return float(shapely.distance(registered, observed))


def classify_displacement(distance_m: float, gnss_accuracy_m: float, *, k: float = 2.0,
                          floor_m: float = 1.0) -> str:
    """Return ``displaced`` when the distance exceeds max(k × GNSS accuracy, floor), else ``in_place``.

    No published tolerance exists (brief §4): ``k`` and ``floor_m`` are settings; a surveyor decides.
    """
    if distance_m < 0 or gnss_accuracy_m < 0:
        raise ValueError("distances and accuracies are not negative")
    return "displaced" if distance_m > max(k * gnss_accuracy_m, floor_m) else "in_place"


def markers_off_line(markers_m, line_m, *, tolerance_m: float = 10.0) -> list[tuple[int, float]]:
    """Return (index, distance in metres) of markers farther than ``tolerance_m`` from their line."""
    d = shapely.distance(np.asarray(list(markers_m), dtype=object), line_m)
    return [(int(i), round(float(d[i]), 2)) for i in np.flatnonzero(d > tolerance_m)]


def disputed_areas(ours, theirs, *, min_area_m2: float = 10.0) -> list[dict]:
    """Return the areas two versions of a unit's polygon disagree on, and which version claims each.

    ``ours`` and ``theirs`` are polygons in metres (e.g. our district and the neighbour's version of it).
    """
    out = []
    for side, geom in (("ours_only", shapely.difference(ours, theirs)),
                       ("theirs_only", shapely.difference(theirs, ours))):
        for p in _polygons(geom):
            if p.area >= min_area_m2:
                out.append({"claimed_by": side, "area_m2": round(p.area, 1), "area_mu": round(p.area / SQM_PER_MU, 3),
                            "geometry": p})
    return sorted(out, key=lambda d: -d["area_m2"])


def disputed_between_lines(ours, theirs, *, min_area_m2: float = 10.0) -> list[dict]:
    """Return the areas enclosed between two versions of a boundary line (metres), largest first.

    Neither line closes on itself, so every face their union encloses lies between the two versions.
    """
    faces = shapely.get_parts(shapely.polygonize([shapely.union(ours, theirs)]))
    out = [{"claimed_by": "between_versions", "area_m2": round(f.area, 1), "area_mu": round(f.area / SQM_PER_MU, 3),
            "geometry": f} for f in faces if f.area >= min_area_m2]
    return sorted(out, key=lambda d: -d["area_m2"])


def markers_affected(markers_m, areas: list[dict], *, within_m: float = 20.0) -> list[tuple[int, float]]:
    """Return (index, distance in metres) of markers within ``within_m`` of any disputed area."""
    if not areas:
        return []
    region = shapely.union_all([a["geometry"] for a in areas])
    d = shapely.distance(np.asarray(list(markers_m), dtype=object), region)
    return [(int(i), round(float(d[i]), 2)) for i in np.flatnonzero(d <= within_m)]
