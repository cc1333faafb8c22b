"""Geometry of division changes: split parts that tile the old unit, merged units, plates by part.

Pure functions on EPSG:4490 shapely geometries; areas are measured in EPSG:4546 metres. The parts
of a split must cover the old unit without gaps or overlaps beyond a tolerance of
``max(TOLERANCE_FLOOR_M2, TOLERANCE_SHARE × area)`` (1 m², or 0.01 % of the unit: 100 m² for a 1 km²
community), enough for coordinates rounded to 1 cm along a boundary a few kilometres long and far
below a building plot. The parts are stored clipped to the old unit and to each other (a sliver
of overlap goes to the earlier part), so the stored units never overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo import crs as C

TOLERANCE_FLOOR_M2 = 1.0
TOLERANCE_SHARE = 1e-4


def tolerance_m2(area_m2: float) -> float:
    """Return the gap/overlap tolerance for a unit of ``area_m2``."""
    return max(TOLERANCE_FLOOR_M2, TOLERANCE_SHARE * area_m2)


def metric_area_m2(geom: BaseGeometry) -> float:
    """Return the area of an EPSG:4490 geometry in m²."""
    return float(shapely.area(C.to_metric(geom)))


def as_multipolygon(geom: BaseGeometry) -> shapely.MultiPolygon:
    """Return the polygons of ``geom`` as one MultiPolygon (units are stored so)."""
    polys = [g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon) and not g.is_empty]
    if not polys:
        for part in shapely.get_parts(geom):
            polys.extend(p for p in shapely.get_parts(part) if isinstance(p, shapely.Polygon))
    return shapely.MultiPolygon(polys)


@dataclass(frozen=True)
class TilingProblem:
    """Why split parts do not tile the old unit: ``kind`` gap, overlap or outside, the area and parts."""

    kind: str
    area_m2: float
    tolerance_m2: float
    first: int = 0   # 1-based part numbers of an overlap
    second: int = 0


def tiling_problem(old: BaseGeometry, parts: Sequence[BaseGeometry]) -> TilingProblem | None:
    """Return the first way ``parts`` fail to tile ``old`` beyond the tolerance, or None."""
    old_m = C.to_metric(old)
    parts_m = [C.to_metric(p) for p in parts]
    tol = tolerance_m2(float(old_m.area))
    for i in range(len(parts_m)):
        for j in range(i + 1, len(parts_m)):
            overlap = float(shapely.intersection(parts_m[i], parts_m[j]).area)
            if overlap > tol:
                return TilingProblem("overlap", overlap, tol, i + 1, j + 1)
    union = shapely.union_all(np.asarray(parts_m, dtype=object))
    outside = float(shapely.difference(union, old_m).area)
    if outside > tol:
        return TilingProblem("outside", outside, tol)
    gap = float(shapely.difference(old_m, union).area)
    if gap > tol:
        return TilingProblem("gap", gap, tol)
    return None


def clipped_parts(old: BaseGeometry, parts: Sequence[BaseGeometry]) -> list[shapely.MultiPolygon]:
    """Return the parts clipped to ``old`` and to the parts before them (they then never overlap)."""
    out: list[shapely.MultiPolygon] = []
    done: BaseGeometry = shapely.Polygon()
    for part in parts:
        mine = shapely.difference(shapely.intersection(shapely.make_valid(part), old), done)
        out.append(as_multipolygon(mine))
        done = shapely.union(done, mine)
    return out


def merged(units: Sequence[BaseGeometry]) -> shapely.MultiPolygon:
    """Return the union of ``units`` (a merge keeps every square metre of them)."""
    return as_multipolygon(shapely.union_all(np.asarray(units, dtype=object)))


def apart(units: Sequence[BaseGeometry]) -> int | None:
    """Return the index of a unit that touches none of the others (merged units must adjoin), or None."""
    if len(units) < 2:
        return None
    arr = np.asarray(units, dtype=object)
    for i, geom in enumerate(units):
        others = np.delete(arr, i)
        if not shapely.intersects(geom, others).any():
            return i
    return None


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into whole numbers in proportion to ``weights``, summing exactly (largest
    remainders, ties to the earlier part); equal shares when every weight is 0."""
    w = np.asarray(weights, dtype=float)
    if not len(w):
        return []
    if w.sum() <= 0:
        w = np.ones(len(w))
    exact = w / w.sum() * total
    out = np.floor(exact).astype(int)
    order = np.argsort(-(exact - out), kind="stable")
    out[order[:int(total - out.sum())]] += 1
    return [int(v) for v in out]
