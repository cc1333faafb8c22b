"""The features of a big layer that a map shows for one view: bounded, simplified, grouped.

A map page fetches its big layers (door plates, streets) for the view it shows (maps/view.py).
Each answer is bounded whatever the data or the view: points come one by one only when at most
:data:`MAX_POINTS` are in view, else grouped into grid cells (at most :data:`MAX_CELLS_ACROSS`
squared, each drawn as one circle with its count); lines are simplified to about a pixel at the
view's zoom and at most :data:`MAX_LINES` of them come, the most important first. A layer is
prepared once per data version (:func:`view_layer`) and each view is cut from it in memory.

A map file (``xincheng map``) has no server to ask: it carries a big layer whole, at the detail a
reader needs per zoom range (:func:`line_levels`, :func:`cell_levels`): lines simplified in metres
(EPSG:4546) to under a pixel of the range's first zoom, points counted per grid cell, coordinates
to 6 decimals, each feature's tooltip once for all ranges.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import METRIC_CRS
from geo.errors import InputError
from geo.messages import text
from maps.templating import shorten

MAX_POINTS = 1500  # single points in one answer; more are grouped into cells
MAX_CELLS_ACROSS = 40  # grid cells across one view, at most (so at most 1,600 groups)
CELL_PX = 48  # a group's cell, in screen pixels at the view's zoom
MAX_LINES = 1500  # lines in one answer, most important first
MAX_TIP = 200  # characters of one tooltip line
TILE_PX = 256  # Web Mercator tile size: degrees per pixel at zoom z are 360 / (256 · 2^z)
# A map file's zoom ranges: (last zoom of the range or None for the rest, metres). Near Hohhot a
# pixel is ~29 m at zoom 12, ~7 m at zoom 14 and ~3.6 m at zoom 15.
LINE_LEVELS_M: tuple[tuple[int | None, float], ...] = ((12, 25.0), (None, 2.0))  # simplify tolerance
CELL_LEVELS_M: tuple[tuple[int | None, float], ...] = ((12, 500.0), (13, 250.0), (None, 100.0))  # cell side
FILE_DECIMALS = 6  # coordinates in a map file, degrees (~0.1 m)


@dataclass(frozen=True)
class ViewLayer:
    """A layer ready to cut views from: geometries in WGS84 (EPSG:4490 is the same to ~cm),
    in order of importance, each with its tooltip lines."""

    geometries: np.ndarray
    tips: list[list[str]]
    points: bool
    tree: shapely.STRtree

    @property
    def xy(self) -> np.ndarray:
        """Return the points' coordinates, ``(n, 2)`` (points only)."""
        return shapely.get_coordinates(self.geometries)


def view_layer(frame: gpd.GeoDataFrame, tips: Sequence[Sequence[Any]], *, points: bool) -> ViewLayer:
    """Return ``frame``'s drawable geometries (non-point ones by centroid when ``points``) with
    their tooltip lines (text cut to :data:`MAX_TIP` characters; missing values left out)."""
    keep = frame.geometry.notna().to_numpy() & ~frame.geometry.is_empty.to_numpy()
    geoms = frame.geometry.to_numpy()[keep]
    if points:
        geoms = np.array([g if g.geom_type == "Point" else g.centroid for g in geoms], dtype=object)
    lines = [[shorten(str(v), MAX_TIP) for v in row if v is not None and v == v]
             for row, k in zip(tips, keep, strict=True) if k]
    return ViewLayer(np.asarray(geoms, dtype=object), lines, points, shapely.STRtree(geoms))


def parse_view(bbox: str, zoom: int) -> tuple[tuple[float, float, float, float], int]:
    """Return a view's ``bbox`` (``"west,south,east,north"``, degrees, finite, in range and in
    order) and its zoom clamped to 0-22; raise :class:`InputError` naming ``bbox`` otherwise."""
    try:
        values = tuple(float(v) for v in bbox.split(","))
    except ValueError:
        values = ()
    if (len(values) != 4 or not all(math.isfinite(v) for v in values)
            or not (-180 <= values[0] <= values[2] <= 180 and -90 <= values[1] <= values[3] <= 90)):
        raise InputError(text("maps.data.bbox"), field="bbox")
    west, south, east, north = values
    return (west, south, east, north), max(0, min(int(zoom), 22))


def degrees_per_pixel(zoom: int) -> float:
    """Return how many degrees of longitude one screen pixel spans at ``zoom``."""
    return 360.0 / (TILE_PX * 2 ** max(0, min(zoom, 22)))


def features_in_view(layer: ViewLayer, bbox: tuple[float, float, float, float], *, zoom: int) -> dict:
    """Return the GeoJSON FeatureCollection of ``layer`` for one view, bounded (see module doc);
    ``numberMatched`` says how many features are in view, ``grouped`` whether points are grouped
    and ``truncated`` whether lines were left out."""
    found = np.sort(layer.tree.query(shapely.box(*bbox), predicate="intersects"))
    if layer.points:
        if len(found) > MAX_POINTS:
            return _cells(layer, found, bbox, zoom=zoom)
        xy = np.round(shapely.get_coordinates(layer.geometries[found]), 6)
        features = [_feature("Point", [float(x), float(y)], {"tip": layer.tips[i]})
                    for i, (x, y) in zip(found, xy, strict=True)]
        return _collection(features, matched=len(found), grouped=False, truncated=False)
    chosen = found[:MAX_LINES]  # the layer is in order of importance
    tolerance = degrees_per_pixel(zoom)
    shapes = shapely.set_precision(shapely.simplify(layer.geometries[chosen], tolerance), 1e-6)
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": {"tip": layer.tips[i]}}
                for i, g in zip(chosen, shapes, strict=True) if not shapely.is_empty(g)]
    return _collection(features, matched=len(found), grouped=False, truncated=len(found) > len(chosen))


def _cells(layer: ViewLayer, found: np.ndarray, bbox: tuple[float, float, float, float], *, zoom: int) -> dict:
    """Return the points ``found`` grouped into square grid cells: one point per cell at the mean
    of its members, with their count."""
    minx, miny, maxx, maxy = bbox
    cell = max(CELL_PX * degrees_per_pixel(zoom), (maxx - minx) / MAX_CELLS_ACROSS,
               (maxy - miny) / MAX_CELLS_ACROSS)
    xy = shapely.get_coordinates(layer.geometries[found])
    ix = np.floor((xy[:, 0] - minx) / cell).astype(np.int64)
    iy = np.floor((xy[:, 1] - miny) / cell).astype(np.int64)
    _, group, counts = np.unique(ix * 1_000_003 + iy, return_inverse=True, return_counts=True)
    sums = np.zeros((len(counts), 2))
    np.add.at(sums, group, xy)
    centres = np.round(sums / counts[:, None], 6)
    features = [_feature("Point", [float(x), float(y)],
                         {"count": int(n), "tip": [text("maps.unit.plates", value=f"{int(n):,}")]})
                for (x, y), n in zip(centres, counts, strict=True)]
    return _collection(features, matched=len(found), grouped=True, truncated=False)


def _feature(kind: str, coordinates: list[float], properties: dict[str, Any]) -> dict:
    """Return one GeoJSON feature."""
    return {"type": "Feature", "geometry": {"type": kind, "coordinates": coordinates}, "properties": properties}


def _collection(features: list[dict], *, matched: int, grouped: bool, truncated: bool) -> dict:
    """Return a FeatureCollection with how many matched and how they were cut down."""
    return {"type": "FeatureCollection", "features": features, "numberMatched": matched,
            "numberReturned": len(features), "grouped": grouped, "truncated": truncated}


def line_levels(lines: gpd.GeoSeries, *, levels: Sequence[tuple[int | None, float]] = LINE_LEVELS_M) -> list[dict]:
    """Return ``lines`` (any CRS) per zoom range: ``{"max_zoom", "tolerance_m", "shapes"}``, the
    shapes ``[index, parts]`` (``index`` into ``lines``, ``parts`` lists of ``[lon, lat]``, WGS84 to
    :data:`FILE_DECIMALS`), each simplified by the range's tolerance in metres (EPSG:4546);
    missing, empty and vanished lines are left out."""
    metric = lines.to_crs(METRIC_CRS).to_numpy()
    keep = np.flatnonzero(~shapely.is_missing(metric) & ~shapely.is_empty(metric))
    out = []
    for max_zoom, tolerance_m in levels:
        drawn = gpd.GeoSeries(shapely.simplify(metric[keep], tolerance_m), crs=METRIC_CRS).to_crs("EPSG:4326")
        shapes = []
        for i, geom in zip(keep, drawn.to_numpy(), strict=True):
            parts = [np.round(shapely.get_coordinates(p), FILE_DECIMALS).tolist()
                     for p in shapely.get_parts(geom) if not shapely.is_empty(p)]
            if parts:
                shapes.append([int(i), parts])
        out.append({"max_zoom": max_zoom, "tolerance_m": tolerance_m, "shapes": shapes})
    return out


def cell_levels(points: gpd.GeoSeries, *, levels: Sequence[tuple[int | None, float]] = CELL_LEVELS_M) -> list[dict]:
    """Return ``points`` (any CRS; others by centroid) counted per square cell of each zoom
    range's side in metres (EPSG:4546): ``{"max_zoom", "cell_m", "shapes"}``, the shapes
    ``[lon, lat, count]`` at the mean of each cell's points (WGS84, :data:`FILE_DECIMALS`)."""
    valid = points[points.notna() & ~points.is_empty]
    metric = shapely.get_coordinates(shapely.centroid(valid.to_crs(METRIC_CRS).to_numpy()))
    out = []
    for max_zoom, cell_m in levels:
        key = np.floor(metric / cell_m).astype(np.int64)
        _, group, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
        group = np.asarray(group).reshape(-1)
        sums = np.zeros((len(counts), 2))
        np.add.at(sums, group, metric)
        centres = gpd.GeoSeries(gpd.points_from_xy(*(sums / counts[:, None]).T), crs=METRIC_CRS).to_crs("EPSG:4326")
        xy = np.round(shapely.get_coordinates(centres.to_numpy()), FILE_DECIMALS)
        shapes = [[float(x), float(y), int(n)] for (x, y), n in zip(xy, counts, strict=True)]
        out.append({"max_zoom": max_zoom, "cell_m": cell_m, "shapes": shapes})
    return out
