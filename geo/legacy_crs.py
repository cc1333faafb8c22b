"""Legacy survey coordinates: Beijing 1954 and Xi'an 1980 Gauss–Krüger into CGCS2000 (EPSG:4490).

Marker tables and line files surveyed before 2008 give plane coordinates on the Krassovsky
(Beijing 1954, EPSG:4214) or IAG-75 (Xi'an 1980, EPSG:4610, PROJ's ``IAU76``) ellipsoid, in 3° or
6° Gauss–Krüger zones, with or without the zone number in front of the easting (37 500 000 m
false easting in 3° zone 37; 500 000 m without it). Hohhot lies near 111.6°E: 3° zone 37 and 6°
zone 19, both with the central meridian 111°E.

No fixed formula takes these datums to CGCS2000: the shift is tens of metres and varies over the
country, so a conversion needs parameters that fit the area:

* :class:`Helmert7`: a 7-parameter Bursa–Wolf set (dx, dy, dz in metres, rx, ry, rz in arc-seconds,
  ds in ppm), applied to geocentric coordinates with the ellipsoidal height taken as 0 on both sides
  (a height error of 100 m moves the plane position by well under a millimetre). The rotation
  convention is stated with every set: ``position_vector`` (PROJ's ``towgs84`` and ISO 19111's
  "Position Vector transformation", EPSG method 9606) or ``coordinate_frame`` (EPSG 9607, the same
  angles with the opposite sign). PROJ's ``helmert`` step applies it with the small-angle rotation
  matrix (X' = T + (1 + ds)(X + ω × X) for position vector), the model :func:`estimate_helmert7` fits.
* :class:`Plane4`: a 4-parameter plane similarity between the legacy grid and the CGCS2000
  Gauss–Krüger grid of the same central meridian, in the surveyors' convention (X north, Y east)::

      X2 = dx + k (X1 cos θ − Y1 sin θ),  Y2 = dy + k (X1 sin θ + Y1 cos θ),  k = 1 + scale_ppm·1e-6

  with eastings taken without the zone number. It is only valid over the area its common points cover.
* Either set can be estimated from three or more common points (:func:`estimate_plane4`,
  :func:`estimate_helmert7`): least squares, every point's residual and the RMS reported after the
  fitted set is applied through the same transformation an import uses, refused above a tolerance.
* Without parameters the conversion is refused unless the caller accepts the nominal datum change
  (:func:`to_cgcs2000` with ``accept_nominal=True``): PROJ's "ballpark" operation, which changes only
  the ellipsoid and may be off by tens of metres.

Everything here is pure (arrays in, arrays out); reading files and storing records is in
:mod:`geo.io.legacy_import`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from pyproj import Geod, Transformer

from geo.errors import InputError
from geo.messages import label, text

ZONE_PREFIX_M = 1_000_000.0  # a zone number in front of the easting counts whole millions of metres
FALSE_EASTING_M = 500_000.0
ARCSEC_RAD = math.pi / (180.0 * 3600.0)
# The zones EPSG defines over China: 3° zones 25–45 (CM 75°E–135°E), 6° zones 13–23 (CM 75°E–135°E).
ZONE_RANGES: dict[int, tuple[int, int]] = {3: (25, 45), 6: (13, 23)}
# How far from the central meridian an easting may lie (m): half a zone at 18°N is about 160 km (3°)
# or 320 km (6°); a little more is tolerated (points just across a zone edge are kept in their zone).
MAX_OFF_MERIDIAN_M: dict[int, float] = {3: 250_000.0, 6: 450_000.0}
NORTHING_RANGE_M = (1_500_000.0, 6_100_000.0)  # China lies between about 15°N and 55°N
DEFAULT_TOLERANCE_M = 0.1
MIN_COMMON_POINTS = 3
CONVENTIONS = ("position_vector", "coordinate_frame")
_GRS80 = Geod(ellps="GRS80")
# A supplied set is refused beyond these magnitudes: larger values are a unit or sign mistake.
_HELMERT_LIMITS = {"dx_m": 2_000.0, "dy_m": 2_000.0, "dz_m": 2_000.0, "rx_arcsec": 100.0, "ry_arcsec": 100.0,
                   "rz_arcsec": 100.0, "ds_ppm": 100.0}
_PLANE_LIMITS = {"dx_north_m": 10_000.0, "dy_east_m": 10_000.0, "rotation_arcsec": 600.0, "scale_ppm": 1_000.0}


@dataclass(frozen=True)
class LegacyDatum:
    """A legacy geodetic datum and the EPSG codes of its Gauss–Krüger grids (first zone of each range)."""

    key: str
    name_zh: str
    name_en: str
    geographic_epsg: int
    ellps: str  # PROJ's name of the ellipsoid
    epsg_3_prefixed: int  # 3° zone 25 (CM 75°E), easting with the zone number
    epsg_3_cm: int        # 3° CM 75°E, easting without it
    epsg_6_prefixed: int  # 6° zone 13 (CM 75°E)
    epsg_6_cm: int        # 6° CM 75°E


SYSTEMS: dict[str, LegacyDatum] = {
    "beijing1954": LegacyDatum("beijing1954", "北京1954", "Beijing 1954", 4214, "krass", 2401, 2422, 21413, 21453),
    "xian1980": LegacyDatum("xian1980", "西安1980", "Xi'an 1980", 4610, "IAU76", 2349, 2370, 2327, 2338),
}
ZONE_WIDTHS = tuple(ZONE_RANGES)
Numbers = Sequence[float] | np.ndarray


def central_meridian_deg(zone_width_deg: int, zone: int) -> int:
    """Return a zone's central meridian: 3° zone n at 3n °E, 6° zone n at 6n − 3 °E."""
    return 3 * zone if zone_width_deg == 3 else 6 * zone - 3


def cgcs2000_gk_epsg(zone_width_deg: int, central_meridian: int) -> int:
    """Return the EPSG code of the CGCS2000 Gauss–Krüger grid (no zone number) of a central meridian."""
    if zone_width_deg == 3:
        return 4534 + (central_meridian - 75) // 3
    return 4502 + (central_meridian - 75) // 6


@dataclass(frozen=True)
class GaussKruger:
    """A legacy Gauss–Krüger grid: datum, zone width and zone, and whether eastings carry the zone number."""

    system: str
    zone_width_deg: int
    zone: int
    prefixed: bool

    @property
    def datum(self) -> LegacyDatum:
        return SYSTEMS[self.system]

    @property
    def central_meridian_deg(self) -> int:
        return central_meridian_deg(self.zone_width_deg, self.zone)

    @property
    def false_easting_m(self) -> float:
        return self.zone * ZONE_PREFIX_M + FALSE_EASTING_M if self.prefixed else FALSE_EASTING_M

    @property
    def epsg(self) -> int:
        """The grid's EPSG code (e.g. 2413: Beijing 1954 / 3-degree Gauss-Kruger zone 37)."""
        first = ZONE_RANGES[self.zone_width_deg][0]
        d = self.datum
        if self.zone_width_deg == 3:
            return (d.epsg_3_prefixed if self.prefixed else d.epsg_3_cm) + self.zone - first
        return (d.epsg_6_prefixed if self.prefixed else d.epsg_6_cm) + self.zone - first

    def proj(self) -> str:
        """Return the grid as a PROJ ``tmerc`` definition (easting, northing in metres)."""
        return (f"+proj=tmerc +lat_0=0 +lon_0={self.central_meridian_deg} +k=1 +x_0={self.false_easting_m:.0f} "
                f"+y_0=0 +ellps={self.datum.ellps}")

    def local_easting(self, east_m: np.ndarray) -> np.ndarray:
        """Return eastings without the zone number (500 000 m on the central meridian)."""
        return np.asarray(east_m, dtype=float) - (self.zone * ZONE_PREFIX_M if self.prefixed else 0.0)

    def describe(self) -> str:
        """Return the grid as the coordinate source names it, e.g. ``北京1954 3°带 第37带 (CM 111°E)``."""
        return text("legacy_crs.grid", datum=self.datum.name_zh, datum_en=self.datum.name_en,
                    width=self.zone_width_deg, zone=self.zone, cm=self.central_meridian_deg, epsg=self.epsg)


def normalise_system(system: str) -> str:
    """Return a datum's key (beijing1954, xian1980) from the names users give it, or refuse naming ``system``."""
    key = (system or "").strip().lower().replace(" ", "").replace("_", "").replace("-", "").replace("'", "")
    key = {"beijing54": "beijing1954", "bj54": "beijing1954", "54": "beijing1954", "xian80": "xian1980",
           "xa80": "xian1980", "80": "xian1980"}.get(key, key)
    if key not in SYSTEMS:
        raise InputError(text("legacy_crs.system", field=label("system"), value=repr(system),
                              allowed=", ".join(SYSTEMS)), field="system")
    return key


def _zone_width(zone_width_deg: Any) -> int:
    if zone_width_deg not in ZONE_WIDTHS or isinstance(zone_width_deg, bool):
        raise InputError(text("legacy_crs.zone_width", field=label("zone_width"), value=repr(zone_width_deg)),
                         field="zone_width")
    return int(zone_width_deg)


def _check_zone(zone: int, width: int, *, field: str) -> None:
    low, high = ZONE_RANGES[width]
    if not low <= zone <= high:
        raise InputError(text("legacy_crs.zone_range", field=label(field), width=width, low=low, high=high,
                              value=zone), field=field)


def _row(rows: Sequence[int] | None, index: int) -> int:
    """Return the file row of coordinate ``index``: ``rows``' (a spreadsheet's, or a line's feature), else 1-based."""
    return index + 1 if rows is None else int(rows[index])


def resolve_grid(system: str, zone_width_deg: int, north_m: Numbers,
                 east_m: Numbers, *, zone: int | None = None,
                 north_field: str = "x_north", east_field: str = "y_east",
                 rows: Sequence[int] | None = None) -> GaussKruger:
    """Return the grid the coordinates are in, detecting the zone from a zone number in the eastings.

    Survey tables put X = northing and Y = easting. Eastings of 1 000 000 m or more carry the zone
    number (37 512 345.67 m: zone 37); all rows must carry the same one, and it must match ``zone``
    when that is given too. Eastings without it need ``zone``. A column holding the other axis (a
    northing in the easting column, or an easting with its zone number in the northing column) is
    refused naming that column, as is an easting too far from its central meridian.
    """
    key = normalise_system(system)
    width = _zone_width(zone_width_deg)
    if zone is not None:
        _check_zone(zone, width, field="zone")
    north = np.asarray(north_m, dtype=float)
    east = np.asarray(east_m, dtype=float)
    if north.size == 0:
        raise InputError(text("legacy_crs.no_points"), field="file")
    if (north >= ZONE_PREFIX_M * 10).any():  # 8 digits before the point: an easting with its zone number
        raise InputError(text("legacy_crs.swapped", field=label(north_field), other=label(east_field)),
                         field=north_field)
    prefixed = east >= ZONE_PREFIX_M
    if prefixed.any() and not prefixed.all():
        raise InputError(text("legacy_crs.mixed_prefix", field=label(east_field)), field=east_field)
    if prefixed.all():
        prefixes = sorted({int(v // ZONE_PREFIX_M) for v in east})
        low, high = ZONE_RANGES[width]
        wrong = [p for p in prefixes if not low <= p <= high]
        if wrong:
            if all(NORTHING_RANGE_M[0] <= v <= NORTHING_RANGE_M[1] for v in east):
                raise InputError(text("legacy_crs.swapped", field=label(east_field), other=label(north_field)),
                                 field=east_field)
            raise InputError(text("legacy_crs.prefix_range", field=label(east_field), width=width, low=low,
                                  high=high, value=wrong[0]), field=east_field)
        if len(prefixes) > 1:
            raise InputError(text("legacy_crs.several_zones", field=label(east_field),
                                  zones=", ".join(map(str, prefixes))), field=east_field)
        if zone is not None and zone != prefixes[0]:
            raise InputError(text("legacy_crs.zone_mismatch", field=label("zone"), zone=zone, prefix=prefixes[0]),
                             field="zone")
        grid = GaussKruger(key, width, prefixes[0], True)
    else:
        if zone is None:
            raise InputError(text("legacy_crs.zone_needed", field=label("zone")), field="zone")
        grid = GaussKruger(key, width, zone, False)
    off = np.abs(grid.local_easting(east) - FALSE_EASTING_M)
    if (off > MAX_OFF_MERIDIAN_M[width]).any():
        i = int(np.argmax(off))
        raise InputError(text("legacy_crs.off_meridian", field=label(east_field), row=_row(rows, i),
                              km=f"{off[i] / 1000:,.0f}", cm=grid.central_meridian_deg,
                              limit=f"{MAX_OFF_MERIDIAN_M[width] / 1000:,.0f}"), field=east_field)
    outside = (north < NORTHING_RANGE_M[0]) | (north > NORTHING_RANGE_M[1])
    if outside.any():
        i = int(np.argmax(outside))
        raise InputError(text("legacy_crs.northing_range", field=label(north_field), row=_row(rows, i),
                              value=north[i]),
                         field=north_field)
    return grid


# -- parameter sets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Helmert7:
    """A 7-parameter Bursa–Wolf set from the legacy datum to CGCS2000, with its rotation convention."""

    dx_m: float
    dy_m: float
    dz_m: float
    rx_arcsec: float
    ry_arcsec: float
    rz_arcsec: float
    ds_ppm: float
    convention: str = "position_vector"
    kind: str = "helmert7"

    def position_vector(self) -> Helmert7:
        """Return the same set in the position-vector convention (the one PROJ's ``towgs84`` uses)."""
        if self.convention == "position_vector":
            return self
        return Helmert7(self.dx_m, self.dy_m, self.dz_m, -self.rx_arcsec, -self.ry_arcsec, -self.rz_arcsec,
                        self.ds_ppm, "position_vector")

    def describe(self) -> str:
        return text("legacy_crs.helmert_described", convention=self.convention)


@dataclass(frozen=True)
class Plane4:
    """A 4-parameter plane similarity from the legacy grid to the CGCS2000 grid of the same central meridian."""

    dx_north_m: float
    dy_east_m: float
    rotation_arcsec: float
    scale_ppm: float
    central_meridian_deg: int
    kind: str = "plane4"

    def describe(self) -> str:
        return text("legacy_crs.plane_described", cm=self.central_meridian_deg)


Parameters = Helmert7 | Plane4


def _number(data: Mapping[str, Any], name: str, limit: float, *, field: str) -> float:
    value = data.get(name)
    try:
        if isinstance(value, bool) or value is None:
            raise TypeError(value)
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(text("legacy_crs.param_number", field=label(field), name=name, value=repr(value)),
                         field=field) from None
    if not math.isfinite(number) or abs(number) > limit:
        raise InputError(text("legacy_crs.param_limit", field=label(field), name=name, value=repr(value),
                              limit=f"{limit:g}"), field=field)
    return number


def parameters_from_dict(data: Any, *, field: str = "params") -> Parameters:
    """Return the parameter set a JSON object describes (``kind`` helmert7 or plane4), checked."""
    if not isinstance(data, Mapping):
        raise InputError(text("legacy_crs.param_object", field=label(field)), field=field)
    kind = data.get("kind")
    if kind == "helmert7":
        convention = data.get("convention")
        if convention not in CONVENTIONS:
            raise InputError(text("legacy_crs.convention", field=label(field), value=repr(convention),
                                  allowed=", ".join(CONVENTIONS)), field=field)
        values = {n: _number(data, n, limit, field=field) for n, limit in _HELMERT_LIMITS.items()}
        return Helmert7(values["dx_m"], values["dy_m"], values["dz_m"], values["rx_arcsec"], values["ry_arcsec"],
                        values["rz_arcsec"], values["ds_ppm"], convention=str(convention))
    if kind == "plane4":
        plane = {n: _number(data, n, limit, field=field) for n, limit in _PLANE_LIMITS.items()}
        cm = _number(data, "central_meridian_deg", 180.0, field=field)
        if not cm.is_integer():
            raise InputError(text("legacy_crs.param_number", field=label(field), name="central_meridian_deg",
                                  value=repr(data.get("central_meridian_deg"))), field=field)
        return Plane4(plane["dx_north_m"], plane["dy_east_m"], plane["rotation_arcsec"], plane["scale_ppm"],
                      central_meridian_deg=int(cm))
    raise InputError(text("legacy_crs.param_kind", field=label(field), value=repr(kind)), field=field)


def parameters_to_dict(params: Parameters) -> dict[str, Any]:
    """Return a parameter set as the JSON object :func:`parameters_from_dict` reads back."""
    return asdict(params)


# -- transformations -----------------------------------------------------------------------------


def _helmert_step(params: Helmert7) -> str:
    pv = params.position_vector()
    return (f"+proj=helmert +x={pv.dx_m!r} +y={pv.dy_m!r} +z={pv.dz_m!r} +rx={pv.rx_arcsec!r} "
            f"+ry={pv.ry_arcsec!r} +rz={pv.rz_arcsec!r} +s={pv.ds_ppm!r} +convention=position_vector")


@lru_cache(maxsize=32)
def _pipeline(definition: str) -> Transformer:
    return Transformer.from_pipeline(definition)


def helmert_pipeline(grid: GaussKruger, params: Helmert7) -> str:
    """Return the PROJ pipeline from the legacy grid (easting, northing) to CGCS2000 (lon, lat in degrees)."""
    return (f"+proj=pipeline +step +inv {grid.proj()} +step +proj=cart +ellps={grid.datum.ellps} "
            f"+step {_helmert_step(params)} +step +inv +proj=cart +ellps=GRS80 "
            "+step +proj=unitconvert +xy_in=rad +xy_out=deg")


@lru_cache(maxsize=16)
def _crs_transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{src}", f"EPSG:{dst}", always_xy=True)


def apply_plane4(params: Plane4, north_m: np.ndarray, east_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply a plane set to grid coordinates (eastings without the zone number); return (north, east)."""
    k = 1.0 + params.scale_ppm * 1e-6
    theta = params.rotation_arcsec * ARCSEC_RAD
    cos, sin = math.cos(theta), math.sin(theta)
    north = np.asarray(north_m, dtype=float)
    east = np.asarray(east_m, dtype=float)
    return (params.dx_north_m + k * (north * cos - east * sin), params.dy_east_m + k * (north * sin + east * cos))


def to_cgcs2000(grid: GaussKruger, north_m: Numbers, east_m: Numbers, *,
                params: Parameters | None, accept_nominal: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return CGCS2000 longitudes and latitudes (degrees) of legacy grid coordinates.

    ``params`` None converts only with ``accept_nominal`` (PROJ's ellipsoid-only "ballpark" change,
    off by tens of metres); otherwise it is refused naming ``params``. A plane set must be for the
    grid's central meridian.
    """
    north = np.asarray(north_m, dtype=float)
    east = np.asarray(east_m, dtype=float)
    if isinstance(params, Helmert7):
        return tuple(np.asarray(v) for v in _pipeline(helmert_pipeline(grid, params)).transform(east, north))  # type: ignore[return-value]
    if isinstance(params, Plane4):
        if params.central_meridian_deg != grid.central_meridian_deg:
            raise InputError(text("legacy_crs.plane_meridian", field=label("params"),
                                  params=params.central_meridian_deg, grid=grid.central_meridian_deg), field="params")
        n2, e2 = apply_plane4(params, north, grid.local_easting(east))
        target = cgcs2000_gk_epsg(grid.zone_width_deg, grid.central_meridian_deg)
        lon, lat = _crs_transformer(target, 4490).transform(e2, n2)
        return np.asarray(lon), np.asarray(lat)
    if not accept_nominal:
        raise InputError(text("legacy_crs.no_params", field=label("params")), field="params")
    lon, lat = _crs_transformer(grid.epsg, 4490).transform(east, north)
    return np.asarray(lon), np.asarray(lat)


def cgcs2000_grid(grid: GaussKruger, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return CGCS2000 Gauss–Krüger (north, east without zone number) of the grid's central meridian."""
    east, north = _crs_transformer(4490, cgcs2000_gk_epsg(grid.zone_width_deg, grid.central_meridian_deg)
                                   ).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(north), np.asarray(east)


def cgcs2000_from_grid(grid: GaussKruger, north_m: np.ndarray, local_east_m: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Return CGCS2000 lon, lat of CGCS2000 Gauss–Krüger coordinates on the grid's central meridian
    (eastings without the zone number)."""
    lon, lat = _crs_transformer(cgcs2000_gk_epsg(grid.zone_width_deg, grid.central_meridian_deg), 4490
                                ).transform(np.asarray(local_east_m, dtype=float), np.asarray(north_m, dtype=float))
    return np.asarray(lon), np.asarray(lat)


# -- estimation from common points ---------------------------------------------------------------


@dataclass
class Fit:
    """A parameter set fitted to common points, with each point's residual after applying it."""

    params: Parameters
    point_ids: list[str]
    residuals_m: list[float]  # horizontal distance between the converted and the given CGCS2000 position
    rms_m: float
    tolerance_m: float

    @property
    def max_m(self) -> float:
        return max(self.residuals_m) if self.residuals_m else 0.0

    def summary(self) -> dict[str, Any]:
        """Return the fit as JSON-safe data (parameters, residuals per point, RMS)."""
        return {"params": parameters_to_dict(self.params), "rms_m": self.rms_m, "max_m": self.max_m,
                "tolerance_m": self.tolerance_m, "points": len(self.point_ids),
                "residuals": [{"point": p, "residual_m": r} for p, r in zip(self.point_ids, self.residuals_m,
                                                                             strict=True)]}


def _check_points(north: np.ndarray, east: np.ndarray, ids: Sequence[str]) -> None:
    """Refuse fewer than three points, or points on one line (the fit would not be determined)."""
    if len(north) < MIN_COMMON_POINTS:
        raise InputError(text("legacy_crs.too_few_points", field=label("common_points"), n=len(north),
                              minimum=MIN_COMMON_POINTS), field="common_points")
    xy = np.column_stack([north - north.mean(), east - east.mean()])
    singular = np.linalg.svd(xy, compute_uv=False)
    spread = float(singular[0]) / math.sqrt(len(north))
    across = float(singular[-1]) / math.sqrt(len(north))
    if spread == 0.0 or across < max(1.0, 1e-3 * spread):  # within a metre of a straight line
        raise InputError(text("legacy_crs.collinear", field=label("common_points"), across=f"{across:.2f}",
                              points=", ".join(ids[:5])), field="common_points")


def _check_tolerance(fit: Fit) -> Fit:
    if not (fit.tolerance_m > 0 and math.isfinite(fit.tolerance_m)):
        raise InputError(text("legacy_crs.tolerance", field=label("tolerance_m"), value=repr(fit.tolerance_m)),
                         field="tolerance_m")
    if fit.max_m > fit.tolerance_m:
        order = sorted(range(len(fit.residuals_m)), key=lambda i: -fit.residuals_m[i])[:3]
        worst = ", ".join(f"{fit.point_ids[i]} {fit.residuals_m[i]:.3f} m" for i in order)
        raise InputError(text("legacy_crs.residuals", field=label("tolerance_m"), rms=f"{fit.rms_m:.3f}",
                              max=f"{fit.max_m:.3f}", tolerance=f"{fit.tolerance_m:g}", worst=worst),
                         field="tolerance_m", details=[f"{p}: {r:.4f} m" for p, r in zip(
                             fit.point_ids, fit.residuals_m, strict=True)])
    return fit


def _residuals(grid: GaussKruger, params: Parameters, north: np.ndarray, east: np.ndarray, lon: np.ndarray,
               lat: np.ndarray) -> list[float]:
    """Return each point's horizontal distance (m) between the converted position and the given one."""
    lon2, lat2 = to_cgcs2000(grid, north, east, params=params)
    _az1, _az2, dist = _GRS80.inv(lon2, lat2, lon, lat)
    return [float(d) for d in np.atleast_1d(dist)]


def _fit(grid: GaussKruger, params: Parameters, north: np.ndarray, east: np.ndarray, lon: np.ndarray,
         lat: np.ndarray, ids: Sequence[str], tolerance_m: float) -> Fit:
    residuals = _residuals(grid, params, north, east, lon, lat)
    rms = math.sqrt(sum(r * r for r in residuals) / len(residuals))
    return _check_tolerance(Fit(params, list(ids), residuals, rms, float(tolerance_m)))


def estimate_plane4(grid: GaussKruger, north_m: Numbers, east_m: Numbers, lon: Numbers,
                    lat: Numbers, *, point_ids: Sequence[str] | None = None,
                    tolerance_m: float = DEFAULT_TOLERANCE_M) -> Fit:
    """Fit a 4-parameter plane set (least squares) from legacy grid points to their CGCS2000 positions.

    The CGCS2000 positions are taken to the CGCS2000 grid of the same central meridian; the fit is
    solved about the points' centroid (well conditioned) and refused when a residual exceeds
    ``tolerance_m``, naming the worst points.
    """
    north, east = np.asarray(north_m, dtype=float), grid.local_easting(np.asarray(east_m, dtype=float))
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    ids = list(point_ids) if point_ids is not None else [str(i + 1) for i in range(len(north))]
    _check_points(north, east, ids)
    n2, e2 = cgcs2000_grid(grid, lon_a, lat_a)
    cn, ce, cn2, ce2 = north.mean(), east.mean(), n2.mean(), e2.mean()
    dn, de = north - cn, east - ce
    # N' = a dn − b de, E' = b dn + a de (centred); a = k cos θ, b = k sin θ
    design = np.vstack([np.column_stack([dn, -de]), np.column_stack([de, dn])])
    observed = np.concatenate([n2 - cn2, e2 - ce2])
    (a, b), *_ = np.linalg.lstsq(design, observed, rcond=None)
    k, theta = math.hypot(a, b), math.atan2(b, a)
    params = Plane4(dx_north_m=float(cn2 - (a * cn - b * ce)), dy_east_m=float(ce2 - (b * cn + a * ce)),
                    rotation_arcsec=theta / ARCSEC_RAD, scale_ppm=(k - 1.0) * 1e6,
                    central_meridian_deg=grid.central_meridian_deg)
    return _fit(grid, params, north, np.asarray(east_m, dtype=float), lon_a, lat_a, ids, tolerance_m)


def _skew(v: np.ndarray) -> np.ndarray:
    """Return the matrix [v]× with [v]× u = v × u."""
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def _geocentric(ellps: str, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return geocentric X, Y, Z (m, one row per point) at ellipsoidal height 0."""
    cart = _pipeline(f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=cart +ellps={ellps}")
    x, y, z = cart.transform(lon, lat, np.zeros_like(lon))
    return np.column_stack([x, y, z])


def estimate_helmert7(grid: GaussKruger, north_m: Numbers, east_m: Numbers, lon: Numbers,
                      lat: Numbers, *, point_ids: Sequence[str] | None = None,
                      tolerance_m: float = DEFAULT_TOLERANCE_M, convention: str = "position_vector") -> Fit:
    """Fit a 7-parameter Bursa–Wolf set (least squares, position-vector model X' = T + (1+s)(X + ω×X)).

    Both sides are taken to geocentric coordinates at ellipsoidal height 0 (on the legacy ellipsoid
    and on GRS80), as :func:`to_cgcs2000` applies the set. Gauss–Newton from zero, three steps (the
    model is linear but for s·ω, a few parts in 10¹⁰). Over one district the rotations and the
    translations are strongly correlated: the set fits the area of its points and is not a national set.
    """
    if convention not in CONVENTIONS:
        raise InputError(text("legacy_crs.convention", field=label("convention"), value=repr(convention),
                              allowed=", ".join(CONVENTIONS)), field="convention")
    north, east = np.asarray(north_m, dtype=float), np.asarray(east_m, dtype=float)
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    ids = list(point_ids) if point_ids is not None else [str(i + 1) for i in range(len(north))]
    _check_points(north, grid.local_easting(east), ids)
    lon1, lat1 = _pipeline(f"+proj=pipeline +step +inv {grid.proj()} +step +proj=unitconvert +xy_in=rad "
                           "+xy_out=deg").transform(east, north)
    src = _geocentric(grid.datum.ellps, np.asarray(lon1), np.asarray(lat1))
    dst = _geocentric("GRS80", lon_a, lat_a)
    centre = src.mean(axis=0)
    local = src - centre  # rotations and scale about the centroid: well conditioned
    p = np.zeros(7)  # translation about the centroid (3), ω (3, rad), s
    for _ in range(3):
        t, w, s = p[:3], p[3:6], p[6]
        turned = local + np.cross(w, local)
        resid = (dst - (centre + t + (1 + s) * turned)).reshape(-1)
        # ∂/∂t = I; ∂/∂ω = (1+s)·(−[L]×) since ω×L = −L×ω; ∂/∂s = L + ω×L
        design = np.vstack([np.column_stack([np.eye(3), -(1 + s) * _skew(q), r[:, None]])
                            for q, r in zip(local, turned, strict=True)])
        step, *_ = np.linalg.lstsq(design, resid, rcond=None)
        p = p + step
    t, w, s = p[:3], p[3:6], p[6]
    # X' = centre + t + (1+s)(L + ω×L) with L = X − centre  ⇒  T = centre + t − (1+s)(centre + ω×centre)
    translation = centre + t - (1 + s) * (centre + np.cross(w, centre))
    sign = 1.0 if convention == "position_vector" else -1.0
    params = Helmert7(float(translation[0]), float(translation[1]), float(translation[2]),
                      sign * float(w[0]) / ARCSEC_RAD, sign * float(w[1]) / ARCSEC_RAD,
                      sign * float(w[2]) / ARCSEC_RAD, float(s) * 1e6, convention)
    return _fit(grid, params, north, east, lon_a, lat_a, ids, tolerance_m)
