"""Linear features (the railway, two expressways, three rivers, a reservoir) and the scattered graves near them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from shapely.geometry.base import BaseGeometry

from data import names as N
from geo import crs as C


def _polyline(rng: np.random.Generator, lonlats: list[tuple[float, float]], wiggle_m: float) -> shapely.LineString:
    pts = np.asarray(shapely.get_coordinates(C.to_metric(shapely.LineString(lonlats))))
    dense = shapely.get_coordinates(shapely.segmentize(shapely.LineString(pts), 400.0))
    dense[1:-1] += rng.normal(0, wiggle_m, dense[1:-1].shape)
    return shapely.LineString(dense)


def linear_features(rng: np.random.Generator, district: BaseGeometry) -> pd.DataFrame:
    """Return the railway, expressways and rivers: real names, generated courses clipped to the district."""
    specs = [
        ("railway", N.RAILWAY, [(111.55, 40.8525), (111.70, 40.8540), (111.85, 40.8560), (112.10, 40.90)], 15),
        ("expressway", N.EXPRESSWAYS[0], [(111.55, 40.888), (111.75, 40.893), (111.95, 40.93), (112.10, 40.97)], 40),
        ("expressway", N.EXPRESSWAYS[1], [(111.78, 40.80), (111.79, 40.86), (111.80, 40.95), (111.77, 41.02)], 40),
        ("river", N.RIVERS[0], [(111.75, 41.06), (111.74, 40.95), (111.725, 40.87), (111.72, 40.79)], 60),
        ("river", N.RIVERS[1], [(111.63, 40.96), (111.64, 40.88), (111.645, 40.79)], 50),
        ("river", N.RIVERS[2], [(111.69, 41.09), (111.688, 41.00), (111.684, 40.885)], 60),
    ]
    rows = []
    for kind, name, pts, wiggle in specs:
        line = _polyline(rng, pts, wiggle).intersection(district)
        line = shapely.line_merge(line) if line.geom_type == "MultiLineString" else line
        rows.append({"kind": kind, "name": name, "geometry": line})
    rows.append(_reservoir(rows[-1]["geometry"], district))
    return pd.DataFrame(rows)


RESERVOIR = "哈拉沁水库"
RESERVOIR_LAT = 41.0   # on 哈拉沁沟 where it leaves the hills (real name; position and shape generated)


def _reservoir(river: BaseGeometry, district: BaseGeometry) -> dict:
    """Return the reservoir on 哈拉沁沟: an ellipse 1.2 km by 0.5 km across the river (no random draw)."""
    y = float(C.to_metric(shapely.Point(111.688, RESERVOIR_LAT)).y)
    across = shapely.LineString([(river.bounds[0] - 5000, y), (river.bounds[2] + 5000, y)])
    hit = river.intersection(across)
    centre = hit if hit.geom_type == "Point" else shapely.get_parts(hit)[0] if not hit.is_empty \
        else river.interpolate(0.3, normalized=True)
    ellipse = shapely.affinity.scale(centre.buffer(1.0, quad_segs=16), 250.0, 600.0)
    return {"kind": "reservoir", "name": RESERVOIR, "geometry": ellipse.intersection(district)}


def graves(rng: np.random.Generator, features: pd.DataFrame, town: BaseGeometry, n: int = 80) -> pd.DataFrame:
    """Scattered graves near railways, highways and rivers in the town (status and dates: cemetery_zones)."""
    rows = []
    shapely.prepare(town)
    features = features[features["kind"] != "reservoir"]  # graves lie along the lines (draws as before)
    while len(rows) < n:
        feat = features.iloc[int(rng.integers(len(features)))]
        line = feat.geometry
        p = line.interpolate(rng.uniform(0, line.length))
        ang = rng.uniform(0, 2 * np.pi)
        dist = rng.uniform(30, 600)
        q = shapely.Point(p.x + dist * np.cos(ang), p.y + dist * np.sin(ang))
        if town.contains(q):
            rows.append({"status": "cleared" if rng.uniform() < 0.2 else "scattered",
                         "near_feature": feat["name"], "geometry": q})
    return pd.DataFrame(rows)
