"""Coordinate conversion into and out of the storage CRS, CGCS2000 (EPSG:4490).

Accepted input CRSs (rule CRS-02): EPSG:4490 (CGCS2000), EPSG:4326 (WGS84, treated as CGCS2000:
the frames differ by centimetres to a few decimetres), GCJ02 (Amap, Tencent), BD09 (Baidu) and
EPSG:4546 (CGCS2000 / 3-degree Gauss-Kruger CM 111E, metres). EPSG transforms use pyproj with
``always_xy``; GCJ-02 and BD-09 use the published offset formulas, inverted by fixed-point
iteration so that a round trip is exact to well under a millimetre.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

from geo.errors import UnknownCRS
from geo.messages import label, text

STORAGE_CRS = "EPSG:4490"
WGS84_CRS = "EPSG:4326"
METRIC_CRS = "EPSG:4546"
GCJ02 = "GCJ02"
BD09 = "BD09"
ACCEPTED_CRS = (STORAGE_CRS, WGS84_CRS, GCJ02, BD09, METRIC_CRS)

_ALIASES = {
    "epsg:4490": STORAGE_CRS, "4490": STORAGE_CRS, "cgcs2000": STORAGE_CRS,
    "http://www.opengis.net/def/crs/epsg/0/4490": STORAGE_CRS,
    "epsg:4326": WGS84_CRS, "4326": WGS84_CRS, "wgs84": WGS84_CRS, "wgs-84": WGS84_CRS,
    "crs84": WGS84_CRS, "ogc:crs84": WGS84_CRS,
    "http://www.opengis.net/def/crs/ogc/1.3/crs84": WGS84_CRS,
    "http://www.opengis.net/def/crs/epsg/0/4326": WGS84_CRS,
    "gcj02": GCJ02, "gcj-02": GCJ02, "gcj": GCJ02, "amap": GCJ02,
    "bd09": BD09, "bd-09": BD09, "baidu": BD09,
    "epsg:4546": METRIC_CRS, "4546": METRIC_CRS,
}

_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_ITER_TOL_DEG = 1e-11
_MAX_ITER = 40


def normalise_crs(name: str | None, *, field: str = "crs") -> str:
    """Return the canonical name of an accepted CRS, or raise listing the accepted ones."""
    key = (name or "").strip().lower()
    try:
        return _ALIASES[key]
    except KeyError:
        raise UnknownCRS(
            text("checks.crs", field=label(field), value=repr(name), allowed=", ".join(ACCEPTED_CRS)), field=field
        ) from None


@lru_cache(maxsize=16)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def _offset_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply the GCJ-02 offset to WGS84/CGCS2000 longitude and latitude arrays."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlat = _offset_lat(lon - 105.0, lat - 35.0)
    dlon = _offset_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrtmagic * np.cos(radlat) * np.pi)
    return lon + dlon, lat + dlat


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude and latitude arrays to BD-09."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(forward, lon: np.ndarray, lat: np.ndarray, first_lon, first_lat):
    """Invert ``forward`` by fixed-point iteration from a first guess, to about 1e-11 degrees."""
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = np.asarray(first_lon, dtype=float), np.asarray(first_lat, dtype=float)
    for _ in range(_MAX_ITER):
        flon, flat = forward(wlon, wlat)
        dlon, dlat = flon - glon, flat - glat
        wlon, wlat = wlon - dlon, wlat - dlat
        if dlon.size == 0 or max(np.abs(dlon).max(), np.abs(dlat).max()) < _ITER_TOL_DEG:
            break
    return wlon, wlat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove the GCJ-02 offset (iterative inverse; no closed form exists)."""
    return _invert(wgs84_to_gcj02, lon, lat, lon, lat)


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 to GCJ-02: the closed-form inverse, then refined by iteration."""
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, lon, lat, z * np.cos(theta), z * np.sin(theta))


def to_storage(
    xs: Sequence[float] | np.ndarray, ys: Sequence[float] | np.ndarray, crs: str
) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinate arrays given in ``crs`` to EPSG:4490 longitude/latitude."""
    name = normalise_crs(crs)
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    if name == STORAGE_CRS:
        return x.copy(), y.copy()
    if name == GCJ02:
        return gcj02_to_wgs84(x, y)
    if name == BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(x, y))
    tx, ty = _transformer(name, STORAGE_CRS).transform(x, y)
    return np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)


def from_storage(
    lons: Sequence[float] | np.ndarray, lats: Sequence[float] | np.ndarray, crs: str
) -> tuple[np.ndarray, np.ndarray]:
    """Convert EPSG:4490 longitude/latitude arrays to ``crs``."""
    name = normalise_crs(crs)
    x = np.asarray(lons, dtype=float)
    y = np.asarray(lats, dtype=float)
    if name == STORAGE_CRS:
        return x.copy(), y.copy()
    if name == GCJ02:
        return wgs84_to_gcj02(x, y)
    if name == BD09:
        return gcj02_to_bd09(*wgs84_to_gcj02(x, y))
    tx, ty = _transformer(STORAGE_CRS, name).transform(x, y)
    return np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)


def _transform_geoms(geoms, func):
    def apply(coords: np.ndarray) -> np.ndarray:
        if len(coords) == 0:
            return coords
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


def geoms_to_storage(geoms, crs: str):
    """Return shapely geometries (scalar or array) given in ``crs`` converted to EPSG:4490."""
    name = normalise_crs(crs)
    if name == STORAGE_CRS:
        return geoms
    return _transform_geoms(geoms, lambda x, y: to_storage(x, y, name))


def geoms_from_storage(geoms, crs: str):
    """Return EPSG:4490 shapely geometries (scalar or array) converted to ``crs``."""
    name = normalise_crs(crs)
    if name == STORAGE_CRS:
        return geoms
    return _transform_geoms(geoms, lambda x, y: from_storage(x, y, name))


def edges_densified(geoms, crs: str):
    """Return geometries given in ``crs`` with every segment longer than ~100 m split (0.001° in degrees), so that
    converted to EPSG:4490 point by point their edges stay where ``crs`` draws them; as given for WGS 84 and CGCS2000
    (centimetres apart) and for points. A straight edge of a file in BD-09, GCJ-02 or EPSG:4546 is not straight in
    EPSG:4490: its converted corners alone are joined by a chord off the true edge by up to 15-20 m over a few
    kilometres (over 100 m for a 0.7° edge in BD-09). Imports store the corners alone (an export upserts back
    unchanged); checks that compare units follow the edges (:func:`edges_followed`)."""
    name = normalise_crs(crs)
    if name in (STORAGE_CRS, WGS84_CRS):
        return geoms
    return shapely.segmentize(geoms, 100.0 if name == METRIC_CRS else 1e-3)


def edges_followed(geoms, crs: str):
    """Return EPSG:4490 geometries that were converted from ``crs`` point by point with their straight edges in
    ``crs`` followed: converted back, each segment split every ~100 m there (0.001° in degrees), and converted again.

    A straight edge of a file in BD-09, GCJ-02 or EPSG:4546 is not straight in EPSG:4490: its converted corners are
    joined by a chord off the true edge by up to 15–20 m over some kilometres, where a neighbour's vertices on that
    edge, converted exactly, lie on it (review: exact tilings read as units outside their parent). WGS 84 and
    CGCS2000 differ by centimetres: their geometries are returned as given."""
    name = normalise_crs(crs)
    if name in (STORAGE_CRS, WGS84_CRS):
        return geoms
    return geoms_to_storage(edges_densified(geoms_from_storage(geoms, name), name), name)


def to_metric(geoms):
    """Project EPSG:4490 geometries to EPSG:4546 metres (for lengths, areas, buffers)."""
    return geoms_from_storage(geoms, METRIC_CRS)


def from_metric(geoms):
    """Project EPSG:4546 geometries back to EPSG:4490."""
    return geoms_to_storage(geoms, METRIC_CRS)
