"""15-minute (一刻钟) walking coverage of facilities over the door plates (rule FA-01).

``plate_access`` gives every plate its walking distance and time to the nearest facility of the
chosen kinds; ``coverage_by_unit`` sums covered households and residents aged 60+ per community,
sub-district and district; ``service_areas`` draws what each facility reaches. All work in metres
(EPSG:4546) on data passed in; nothing here opens the database.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs as C
from geo.errors import InputError
from geo.layers import LEAF_LEVELS, OWN_UNIT_LEVELS
from geo.messages import label, text
from geo.planning.network import (
    Attachment,
    WalkNetwork,
    attach_points,
    build_walk_network,
    in_source_component,
    nearest_source,
    reach_lines,
)

ELDER_CARE_KINDS = ("elder_care_station", "comprehensive_elder_care_centre")
SPEED_PRESETS_M_PER_S = {"default": 1.0, "elderly": 0.9}
STATUS = ("covered", "beyond", "unreachable", "unattached")


@dataclass(frozen=True)
class WalkParams:
    """How far a 15-minute walk reaches: time, speed, and the longest leg off the street."""

    minutes: float = 15.0
    speed_m_per_s: float = 1.0
    max_attach_m: float = 150.0

    def __post_init__(self) -> None:
        for name in ("minutes", "speed_m_per_s", "max_attach_m"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise InputError(text("planning.positive", field=label(name), value=repr(value)), field=name)

    @classmethod
    def preset(cls, name: str, **overrides: float) -> WalkParams:
        """Return the ``default`` (1.0 m/s) or ``elderly`` (0.9 m/s) parameters."""
        if name not in SPEED_PRESETS_M_PER_S:
            raise InputError(text("planning.choice", field=label("preset"), value=repr(name),
                                  allowed=", ".join(SPEED_PRESETS_M_PER_S)), field="preset")
        return cls(speed_m_per_s=SPEED_PRESETS_M_PER_S[name], **overrides)

    @property
    def reach_m(self) -> float:
        """Return the walking distance the time allows."""
        return self.minutes * 60.0 * self.speed_m_per_s

    def describe(self) -> str:
        """Return the values used, for every report (FA-01)."""
        return (f"{self.minutes:g} 分钟 min × {self.speed_m_per_s:g} m/s = {self.reach_m:g} m; "
                f"离路最远 max off-street leg {self.max_attach_m:g} m")


def walk_network_from_streets(streets: gpd.GeoDataFrame) -> WalkNetwork:
    """Build the walking network from a streets layer (EPSG:4490); non-walkable streets are left out."""
    walkable = streets
    if "walkable" in streets.columns:
        walkable = streets[streets["walkable"].fillna(True).astype(bool)]
    geoms = np.asarray(walkable.geometry.values, dtype=object)
    lines = shapely.get_parts(C.to_metric(geoms[[g is not None for g in geoms]])) if len(geoms) else geoms
    return build_walk_network(np.asarray(lines, dtype=object))


def points_xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Return each feature's point (a point on the surface of an area) as metric x, y (EPSG:4546)."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if len(geoms) == 0:
        return np.zeros((0, 2))
    if np.all(shapely.get_type_id(geoms) == shapely.GeometryType.POINT) and not shapely.is_empty(geoms).any():
        # Points are their own point on the surface: project the coordinate arrays directly (the same
        # numbers as projecting the geometries, without building 35,000 of them twice).
        lon, lat = shapely.get_coordinates(geoms).T
        return np.column_stack(C.from_storage(lon, lat, C.METRIC_CRS))
    metric = C.to_metric(shapely.point_on_surface(geoms))
    return shapely.get_coordinates(metric)


def plate_access(network: WalkNetwork, plates: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
                 params: WalkParams = WalkParams(), *, plate_att: Attachment | None = None,
                 fac_att: Attachment | None = None) -> pd.DataFrame:
    """Return, per plate, the walking distance and minutes to the nearest facility and a status.

    Status: ``covered`` (within the limit), ``beyond``, ``unreachable`` (no route: another part of
    the network) or ``unattached`` (farther than ``max_attach_m`` from any walkable street).
    Facilities that cannot join the network are listed by :func:`unattached_facilities`. Callers
    that attached the plates or facilities already (with these ``params``) pass the attachments.
    """
    if plate_att is None:
        plate_att = attach_points(network, points_xy(plates), max_attach_m=params.max_attach_m)
    if fac_att is None:
        fac_att = attach_facilities(network, facilities, params)
    dist, which = nearest_source(network, fac_att, plate_att, limit_m=params.reach_m)
    finite = np.isfinite(dist)
    status = np.where(~plate_att.attached, "unattached",
                      np.where(~finite, "unreachable", np.where(dist <= params.reach_m, "covered", "beyond")))
    # Beyond the cut-off the search stops, so "unreachable" there may mean "farther than the limit".
    fac_ids = facilities["id"].to_numpy() if "id" in facilities.columns else np.arange(len(facilities))
    return pd.DataFrame({
        "plate_index": np.arange(len(plates)),
        "distance_m": np.where(finite, dist, np.nan),
        "minutes": np.where(finite, dist / params.speed_m_per_s / 60.0, np.nan),
        "facility": np.where(which >= 0, fac_ids[np.maximum(which, 0)], -1) if len(fac_ids) else -1,
        "offset_m": plate_att.offset_m,
        "status": np.where(status == "unreachable", _unreachable_or_beyond(network, fac_att, plate_att, status),
                           status),
    })


def _unreachable_or_beyond(network: WalkNetwork, fac_att: Attachment, plate_att: Attachment,
                           status: np.ndarray) -> np.ndarray:
    """Tell the plates with no route at all (another component) from those merely far away."""
    out = status.copy()
    todo = np.flatnonzero(status == "unreachable")
    out[todo] = np.where(in_source_component(network, fac_att, plate_att, todo), "beyond", "unreachable")
    return out


def unattached_facilities(network: WalkNetwork, facilities: gpd.GeoDataFrame,
                          params: WalkParams = WalkParams()) -> gpd.GeoDataFrame:
    """Return the facilities too far from any walkable street to be reached on foot."""
    att = attach_points(network, points_xy(facilities), max_attach_m=params.max_attach_m)
    return facilities[~att.attached]


def plate_residents_60plus(plates: gpd.GeoDataFrame, units: pd.DataFrame) -> np.ndarray:
    """Estimate residents aged 60+ per plate: its households × its community's 60+ per household.

    A plate without a community (or in a community without figures) or without a household count
    is zero demand, so one incomplete plate never stops the district's figures being computed.
    """
    leaf = units.set_index("code")
    hh = pd.to_numeric(leaf["households"], errors="coerce")
    per_hh = (pd.to_numeric(leaf["residents_60plus"], errors="coerce") / hh.where(hh > 0)).fillna(0.0)
    per_plate = plates["community_code"].map(per_hh).fillna(0.0).to_numpy(dtype=float)
    return plate_households(plates) * per_plate


def plate_households(plates: pd.DataFrame) -> np.ndarray:
    """Return each plate's households, 0 where the count is unknown."""
    return pd.to_numeric(plates["households"], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def coverage_by_unit(access: pd.DataFrame, plates: gpd.GeoDataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Sum households and residents 60+, covered and in all, per community, sub-district and district.

    Shares are ``NaN`` (undefined, not 0) for a unit without households.
    """
    frame = pd.DataFrame({
        "community_code": plates["community_code"].to_numpy(),
        "households": plate_households(plates),
        "residents_60plus": plate_residents_60plus(plates, units),
        "covered": (access["status"] == "covered").to_numpy(),
    })
    frame["covered_households"] = frame["households"] * frame["covered"]
    frame["covered_60plus"] = frame["residents_60plus"] * frame["covered"]
    out = sum_by_unit(frame, ["households", "covered_households", "residents_60plus", "covered_60plus"], units)
    for col, base in (("household_share", "households"), ("share_60plus", "residents_60plus")):
        cov = "covered_households" if base == "households" else "covered_60plus"
        out[col] = out[cov] / out[base].where(out[base] > 0)
    return out


def sum_by_unit(frame: pd.DataFrame, columns: list[str], units: pd.DataFrame) -> pd.DataFrame:
    """Sum per-plate ``columns`` (rows keyed by ``community_code``) for every community, sub-district
    and the district."""
    per_leaf = frame.groupby("community_code")[columns].sum()
    own = units[units["level"].isin(OWN_UNIT_LEVELS)]
    parent = dict(zip(own["code"], own["parent_code"], strict=True))
    leaves = list(own.loc[own["level"].isin(LEAF_LEVELS), "code"])
    under: dict[str, list[str]] = {}  # unit code -> its leaves, in the order of the units table
    for leaf in leaves:
        p: str | None = leaf
        seen: set[str] = set()
        while p is not None and p not in seen:  # a parent loop in the data ends the walk, not the run
            seen.add(p)
            under.setdefault(p, []).append(leaf)
            p = parent.get(p)
    rows = []
    for code, name, level, parent_code in zip(own["code"], own["name"], own["level"], own["parent_code"],
                                              strict=True):
        mine = [code] if level in LEAF_LEVELS else under.get(code, [])
        sums = per_leaf.reindex(mine).fillna(0.0).sum()
        rows.append({"code": code, "name": name, "level": level, "parent_code": parent_code,
                     **{k: float(sums[k]) for k in columns}})
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent_code", *columns])


BAND_GRID_M = 1e-4  # a service area's vertices on a 0.1 mm grid (see _bands)
MULTIPOLYGON_TYPE = 6  # shapely.get_type_id of a MultiPolygon


def service_areas(network: WalkNetwork, facilities: gpd.GeoDataFrame, params: WalkParams = WalkParams(),
                  *, band_m: float = 40.0) -> gpd.GeoDataFrame:
    """Return one polygon per facility: the street network it reaches on foot, widened by ``band_m``.

    Each facility is searched on its own (areas overlap where several reach), cut off at the reach:
    every street, the facility's own included, is drawn only as far as the reach less the
    facility's off-network leg (see :func:`geo.planning.network.reach_lines`); the band adds
    ``band_m`` around the ends too. The geometry is ``None`` for a facility that reaches no street:
    unattached, or a leg longer than the reach.
    """
    att = attach_points(network, points_xy(facilities), max_attach_m=params.max_attach_m)
    reached = reach_lines(network, att, params.reach_m)
    drawn = {i: np.asarray(lines, dtype=object) for i, lines in enumerate(reached) if lines is not None and len(lines)}
    geoms: list[shapely.Geometry | None] = [None] * len(reached)
    for i, area in zip(drawn, _bands(list(drawn.values()), band_m), strict=True):
        geoms[i] = C.from_metric(area)
    ids = facilities["id"].to_numpy() if "id" in facilities.columns else np.arange(len(facilities))
    names = facilities["name"].to_numpy() if "name" in facilities.columns else [None] * len(facilities)
    return gpd.GeoDataFrame({"facility": ids, "name": names, "reach_m": params.reach_m},
                            geometry=gpd.GeoSeries(geoms, crs="EPSG:4490"), crs="EPSG:4490")


def _bands(pieces: list[np.ndarray], band_m: float) -> list[shapely.Geometry]:
    """Return, per facility, its street pieces (metric) widened by ``band_m`` and joined, on every core.

    Each piece is widened by itself, then a facility's bands are joined: a band distributes over a union, so this
    is the band around the union of the pieces, found in under half the time, since GEOS widens one straight piece
    in microseconds where widening a many-piece line nodes every offset curve against every other. The joined
    bands are put on a 0.1 mm grid (:data:`BAND_GRID_M`): where two octagons' edges cross almost at a vertex the
    join leaves points a hair apart, which the projection to EPSG:4490 folded into a self-intersection (4 of the
    sample's 65 joined areas without the grid; the one buffer of the union before had none). On the sample every
    area's boundary lies within 0.1 mm of the band of the union.
    Widening the streets each facility reaches was most of a report's map work; GEOS runs without Python's lock,
    so slices of the facilities are done in threads at once.
    """
    def widen(part: list[np.ndarray]) -> list[shapely.Geometry]:
        if not part:
            return []
        bands = shapely.buffer(np.concatenate(part), band_m, quad_segs=2)
        ends = np.cumsum([len(p) for p in part])
        joined = np.array([shapely.union_all(bands[end - len(p):end]) for p, end in zip(part, ends, strict=True)],
                          dtype=object)
        gridded = shapely.set_precision(joined, BAND_GRID_M)
        # the grid gives a one-part area as a MultiPolygon: a Polygon as the band of the union is (a GeoJSON
        # client, GDAL and QGIS type a layer from its features)
        single = (shapely.get_type_id(gridded) == MULTIPOLYGON_TYPE) & (shapely.get_num_geometries(gridded) == 1)
        gridded[single] = shapely.get_geometry(gridded[single], 0)
        return list(gridded)

    threads = min(len(pieces), os.cpu_count() or 1)
    if threads <= 1:
        return widen(pieces)
    slices = [list(s) for s in np.array_split(np.arange(len(pieces)), threads)]
    with ThreadPoolExecutor(threads) as pool:
        parts = pool.map(lambda rows: widen([pieces[i] for i in rows]), slices)
        return [area for part in parts for area in part]


def attach_facilities(network: WalkNetwork, facilities: gpd.GeoDataFrame,
                      params: WalkParams = WalkParams()) -> Attachment:
    """Attach facilities to the network once, for many lookups (see :func:`nearest_by_walking`)."""
    return attach_points(network, points_xy(facilities), max_attach_m=params.max_attach_m)


def nearest_by_walking(network: WalkNetwork, point: shapely.Point, facilities: gpd.GeoDataFrame, *,
                       limit_m: float, params: WalkParams = WalkParams(),
                       sources: Attachment | None = None) -> dict | None:
    """Return the nearest facility on foot from one point (EPSG:4490): id, name, metres, minutes.

    ``None`` when the point is off the network or nothing lies within ``limit_m``. Pass ``sources``
    from :func:`attach_facilities` to avoid attaching the facilities again on every call.
    """
    if facilities.empty:
        return None
    xy = shapely.get_coordinates(C.to_metric(point))
    target = attach_points(network, xy, max_attach_m=params.max_attach_m)
    if sources is None:
        sources = attach_facilities(network, facilities, params)
    dist, which = nearest_source(network, sources, target, limit_m=limit_m)
    if not np.isfinite(dist[0]) or dist[0] > limit_m:
        return None
    row = facilities.iloc[int(which[0])]
    return {"id": int(row["id"]) if "id" in facilities.columns else int(which[0]), "name": row["name"],
            "distance_m": round(float(dist[0])), "minutes": round(float(dist[0]) / params.speed_m_per_s / 60.0, 1),
            "minutes_elderly": round(float(dist[0]) / SPEED_PRESETS_M_PER_S["elderly"] / 60.0, 1)}
