"""Burial-ban zones (三沿七区, rule CM-01), proposed-site checks and scattered-grave clean-up.

No national buffer distances exist: every default below is an assumption to be replaced by the
district's or city's 禁葬区 map, and every layer says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs as C

ASSUMED = "假定值，待禁葬区图确认 · assumed until the official ban-zone map is published"


@dataclass(frozen=True)
class BanZoneParams:
    """Buffer distances in metres per feature kind (all assumed, CM-01)."""

    buffers_m: dict[str, float] = field(default_factory=lambda: {
        "railway": 500.0,      # "visible from the railway", approximated [U]
        "expressway": 500.0,   # likewise for expressways and trunk highways [U]
        "highway": 300.0,      # [U]
        "river": 300.0,        # one provincial 办法: 300 m from rivers and reservoirs [S]
    })
    residential: bool = True   # the urban sub-districts are a dense residential zone


def ban_zones(linear_features: gpd.GeoDataFrame, units: pd.DataFrame | None = None,
              params: BanZoneParams = BanZoneParams()) -> gpd.GeoDataFrame:
    """Return one polygon per ban zone (EPSG:4490) with its kind, source name and buffer."""
    rows = []
    for row in linear_features.itertuples():
        dist = params.buffers_m.get(row.kind)
        if dist is None or row.geometry is None:
            continue
        zone = C.from_metric(shapely.buffer(C.to_metric(row.geometry), dist))
        rows.append({"zone": f"{row.name} {dist:g} m", "kind": row.kind, "source": row.name,
                     "buffer_m": dist, "assumed": ASSUMED, "geometry": zone})
    if params.residential and units is not None:
        urban = units[units["level"] == "subdistrict"]
        if len(urban):
            rows.append({"zone": "城市居住密集区 Dense residential area", "kind": "residential",
                         "source": "街道", "buffer_m": 0.0, "assumed": ASSUMED,
                         "geometry": shapely.union_all(np.asarray(urban.geometry.values, dtype=object))})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4490") if rows else gpd.GeoDataFrame(
        {"zone": [], "kind": [], "source": [], "buffer_m": [], "assumed": []}, geometry=[], crs="EPSG:4490")


def check_site(site, zones: gpd.GeoDataFrame) -> list[dict[str, object]]:
    """Return the ban zones a proposed site (EPSG:4490) touches, with how far it reaches into each."""
    site_m = C.to_metric(site)
    out = []
    for row in zones.itertuples():
        zone_m = C.to_metric(row.geometry)
        if shapely.intersects(site_m, zone_m):
            overlap = shapely.intersection(site_m, zone_m)
            out.append({"zone": row.zone, "kind": row.kind, "assumed": row.assumed,
                        "overlap_m2": round(float(overlap.area), 1)})
    return out


def graves_along_transport(graves: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the scattered graves inside a railway or highway ban zone (indicator #7's base)."""
    transport = zones[zones["kind"].isin(["railway", "expressway", "highway"])]
    if transport.empty or graves.empty:
        return graves.iloc[0:0]
    area = shapely.union_all(np.asarray(transport.geometry.values, dtype=object))
    return graves[shapely.intersects(np.asarray(graves.geometry.values, dtype=object), area)]
