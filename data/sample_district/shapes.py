"""Geometry helpers shared by the generator's parts: random points in an area, clean MultiPolygons."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry


def random_points(rng: np.random.Generator, area: BaseGeometry, n: int, *, north_bias: float = 0.0) -> np.ndarray:
    """Return ``n`` points inside ``area`` (rejection sampling; ``north_bias`` favours the south)."""
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < n:
        xs = rng.uniform(minx, maxx, 4 * n)
        ys = miny + (maxy - miny) * rng.uniform(0, 1, 4 * n) ** (1.0 + north_bias)
        keep = shapely.contains_xy(area, xs, ys)
        found.append(np.column_stack([xs[keep], ys[keep]]))
    return np.concatenate(found)[:n]


def as_multipolygon(geom: BaseGeometry) -> shapely.MultiPolygon:
    """Return the polygons of ``geom`` (made valid) larger than 1 m², as one MultiPolygon."""
    geom = shapely.make_valid(geom)
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 1.0]
    return shapely.MultiPolygon(polys)
