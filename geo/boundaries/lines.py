"""Administrative boundary lines derived from neighbouring unit polygons.

Works in metres (EPSG:4546) on shapely geometries; callers convert at the edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
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


# -- comparing two versions of one line (geo.boundaries.compare) ---------------------------------------


def faces_between_lines(ours, theirs, *, min_area_m2: float = 10.0) -> list[shapely.Polygon]:
    """Return the faces enclosed between two versions of a line (metres), largest first.

    Each end of their version is joined to the nearest point of ours first, so a version that is
    shifted, or covers only a stretch of the line, still encloses the ground between the two (an
    open end would otherwise leave that ground out and the difference would look smaller than it is).
    """
    connectors = []
    for part in shapely.get_parts(theirs):
        if part.is_empty or part.geom_type != "LineString":
            continue
        for end in (shapely.Point(part.coords[0]), shapely.Point(part.coords[-1])):
            near = shapely.ops.nearest_points(end, ours)[1]
            if end.distance(near) > 0:
                connectors.append(shapely.LineString([end, near]))
    noded = shapely.union_all([ours, theirs, *connectors])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return sorted((f for f in faces if f.area >= min_area_m2), key=lambda f: -f.area)


def stretch_along(line, geom, *, max_points: int = 2_000) -> tuple[float, float]:
    """Return where ``geom`` lies along ``line``: the first and last distance (m) from the line's start.

    Found by projecting ``geom``'s vertices (at most ``max_points`` of them, evenly picked) onto the line.
    """
    coords = shapely.get_coordinates(geom)
    if len(coords) > max_points:
        coords = coords[np.linspace(0, len(coords) - 1, max_points).astype(int)]
    at = shapely.line_locate_point(line, shapely.points(coords))
    return float(np.min(at)), float(np.max(at))


@dataclass(frozen=True)
class Shift:
    """A near-constant shift of their version against ours (metres east and north), and how well it explains
    the difference: ``differing`` is the share of the line where the versions are more than the threshold
    apart, ``before_m``/``after_m`` the median distance between them before and after undoing the shift."""

    east_m: float
    north_m: float
    differing: float
    before_m: float
    after_m: float

    @property
    def distance_m(self) -> float:
        """Return the length of the shift in metres."""
        return float(np.hypot(self.east_m, self.north_m))

    @property
    def bearing_deg(self) -> float:
        """Return the shift's direction, degrees clockwise from north."""
        return float(np.degrees(np.arctan2(self.east_m, self.north_m)) % 360)


def _offsets(ours, theirs, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the vectors from our line to points along theirs every ``step_m``, and whether each is usable
    (its nearest point on ours is not one of our line's ends, where the versions merely stop)."""
    chunks = [shapely.line_interpolate_point(part, np.arange(0.0, part.length, step_m))
              for part in shapely.get_parts(theirs) if part.geom_type == "LineString" and part.length > 0]
    if not chunks:
        return np.zeros((0, 2)), np.zeros(0, dtype=bool)
    points = np.concatenate(chunks)
    at = shapely.line_locate_point(ours, points)
    near = shapely.line_interpolate_point(ours, at)
    vectors = shapely.get_coordinates(points) - shapely.get_coordinates(near)
    usable = (at > step_m) & (at < ours.length - step_m)
    return vectors, usable


def systematic_shift(ours, theirs, *, threshold_m: float = 5.0, step_m: float = 50.0,
                     min_share: float = 0.8, explained: float = 0.3) -> Shift | None:
    """Return the near-constant shift between two versions of a line (metres) when there is one, else None.

    A shift is systematic when the versions are more than ``threshold_m`` apart along at least
    ``min_share`` of their version, and moving theirs back by the estimated shift brings the median
    distance down to at most ``explained`` of what it was: the signature of a wrong CRS (GCJ-02 read as
    CGCS2000 moves everything by a few hundred metres), not of a surveyed difference along a stretch.
    The shift is estimated by least squares on the perpendicular offsets, refined a few times.
    """
    vectors, usable = _offsets(ours, theirs, step_m)
    vectors = vectors[usable]
    if len(vectors) < 10:
        return None
    distances = np.hypot(vectors[:, 0], vectors[:, 1])
    before = float(np.median(distances))
    differing = float(np.mean(distances > threshold_m))
    if differing < min_share or before <= threshold_m:
        return None
    shift = np.zeros(2)
    for _ in range(4):
        moved = shapely.affinity.translate(theirs, -shift[0], -shift[1])
        v, ok = _offsets(ours, moved, step_m)
        v = v[ok]
        d = np.hypot(v[:, 0], v[:, 1])
        keep = d > 1e-9
        if keep.sum() < 3:
            break
        n = v[keep] / d[keep, None]
        normal = np.einsum("ni,nj->ij", n, n)
        step, *_ = np.linalg.lstsq(normal, v[keep].sum(axis=0), rcond=1e-6)
        shift += step
    moved = shapely.affinity.translate(theirs, -shift[0], -shift[1])
    v, ok = _offsets(ours, moved, step_m)
    after = float(np.median(np.hypot(v[ok, 0], v[ok, 1]))) if ok.any() else before
    if after > explained * before:
        return None
    return Shift(east_m=float(shift[0]), north_m=float(shift[1]), differing=differing, before_m=before,
                 after_m=after)


def difference_share(ours, theirs, *, threshold_m: float = 5.0, step_m: float = 50.0) -> tuple[float, float]:
    """Return the share of their version lying more than ``threshold_m`` from ours, and the median distance (m).

    Points every ``step_m`` along their version are measured, leaving out those facing one of our
    line's ends (where a version merely stops); (0, 0) when nothing is left to measure.
    """
    vectors, usable = _offsets(ours, theirs, step_m)
    distances = np.hypot(vectors[usable, 0], vectors[usable, 1])
    if not len(distances):
        return 0.0, 0.0
    return float(np.mean(distances > threshold_m)), float(np.median(distances))
