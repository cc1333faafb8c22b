"""Burial-ban zones (三沿七区, rule CM-01), proposed-site checks and scattered-grave clean-up.

The zones come from real layers: the 三沿 from the linear features (railways, expressways, highways,
rivers, reservoirs) buffered by the distances of the settings file, the 七区 from the polygons of the
``ban_zone_areas`` layer (farmland, forest, grassland, parks, scenic areas, cultural relics,
water-source and nature protection areas, and the built-up residential areas). No national buffer
distance exists, so every zone carries its basis (``assumed`` or ``sourced``) and source text from
:mod:`geo.planning.ban_zone_settings`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo import crs as C
from geo.errors import InputError
from geo.messages import text, value_label
from geo.planning.ban_zone_settings import BanZoneSettings, ZoneRule, basis_text
from geo.planning.norms_settings import shown_settings_path

TRANSPORT_KINDS = ("railway", "expressway", "highway")
ZONE_COLUMNS = ("zone", "kind", "group", "name", "buffer_m", "basis", "basis_text", "rule_source", "source",
                "feature_wkb")
SITE_TYPES = ("Point", "Polygon", "MultiPolygon")


def _empty_zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in ZONE_COLUMNS}, geometry=[], crs="EPSG:4490")


def _zone_row(rule: ZoneRule, *, group: str, name: str, feature: BaseGeometry, source: Any) -> dict[str, Any]:
    """Return one zone: the feature buffered by its rule (in metres), labelled with the rule's basis."""
    kind = value_label(rule.kind, field="kind")
    if rule.buffer_m > 0:
        zone = C.from_metric(shapely.buffer(C.to_metric(feature), rule.buffer_m))
        label = text("cemeteries.zone_name", kind=kind, name=name, buffer_m=f"{rule.buffer_m:g}")
        feature_wkb = shapely.to_wkb(feature, hex=True)
    else:
        zone, label, feature_wkb = feature, text("cemeteries.zone_area", kind=kind, name=name), None
    return {"zone": label, "kind": rule.kind, "group": group, "name": name, "buffer_m": rule.buffer_m,
            "basis": rule.basis, "basis_text": basis_text(rule.basis), "rule_source": rule.source,
            "source": None if source is None or pd.isna(source) else str(source), "feature_wkb": feature_wkb,
            "geometry": zone}


def ban_zones(linear_features: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, *,
              settings: BanZoneSettings) -> gpd.GeoDataFrame:
    """Return one polygon per ban zone (EPSG:4490) with its class, name, buffer, basis and source.

    Parameters
    ----------
    linear_features
        The 三沿 features (kind railway, expressway, highway, river, reservoir), EPSG:4490; a kind the
        settings do not list makes no zone.
    areas
        The 七区 polygons (the ``ban_zone_areas`` layer: kind, name, source), EPSG:4490; ``None`` or
        empty for none. The residential zone is the ``built_up`` areas, never whole sub-districts.
    settings
        Buffers per class with their basis (:func:`geo.planning.ban_zone_settings.load_ban_zone_settings`).
    """
    rows = []
    for group, frame, rules in (("linear", linear_features, settings.linear), ("area", areas, settings.areas)):
        if frame is None or frame.empty:
            continue
        sources = frame["source"] if "source" in frame else pd.Series([None] * len(frame), index=frame.index)
        for kind, name, geom, source in zip(frame["kind"], frame["name"], frame.geometry, sources, strict=True):
            rule = rules.get(kind)
            if rule is None or geom is None or geom.is_empty:
                continue
            rows.append(_zone_row(rule, group=group, name=str(name), feature=geom, source=source))
    if not rows:
        return _empty_zones()
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4490")


def zones_for_output(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the zones without the stored feature geometry (what GeoJSON, maps and tables show)."""
    return zones.drop(columns=["feature_wkb"], errors="ignore")


def _site_metric(site: BaseGeometry) -> BaseGeometry:
    if site is None or site.is_empty or site.geom_type not in SITE_TYPES:
        kind = "—" if site is None else site.geom_type
        raise InputError(text("cemeteries.site_kind", field="site", value=kind), field="site")
    return C.to_metric(site)


def _conflict(row: Any, site_m: BaseGeometry, zone_m: BaseGeometry) -> dict[str, Any]:
    """Return how a site meets one zone: overlap, share of the site and, for a buffer, the shortfall."""
    kind = value_label(row.kind, field="kind")
    site_area = float(site_m.area)
    overlap = float(shapely.intersection(site_m, zone_m).area) if site_area > 0 else 0.0
    out: dict[str, Any] = {
        "zone": row.zone, "kind": row.kind, "kind_label": str(kind), "group": row.group, "name": row.name,
        "overlap_m2": round(overlap, 1), "site_share": round(overlap / site_area, 4) if site_area > 0 else None,
        "buffer_m": float(row.buffer_m), "distance_m": None, "shortfall_m": None,
        "basis": row.basis, "basis_text": row.basis_text, "rule_source": row.rule_source, "source": row.source}
    if isinstance(row.feature_wkb, str) and row.feature_wkb:
        distance = float(shapely.distance(site_m, C.to_metric(shapely.from_wkb(row.feature_wkb))))
        out["distance_m"] = round(distance, 1)
        out["shortfall_m"] = round(float(row.buffer_m) - distance, 1)
        out["message"] = text("cemeteries.shortfall", kind=kind, name=row.name, distance_m=f"{distance:.0f}",
                              buffer_m=f"{row.buffer_m:g}", shortfall_m=f"{row.buffer_m - distance:.0f}")
    elif site_area > 0:
        out["message"] = text("cemeteries.inside_area", kind=kind, name=row.name, overlap_m2=f"{overlap:,.0f}",
                              share=f"{100 * overlap / site_area:.1f}%")
    else:
        out["message"] = text("cemeteries.inside_point", kind=kind, name=row.name)
    return out


def check_site(site: BaseGeometry, zones: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Return every ban zone a proposed site (EPSG:4490 point or polygon) touches, and by how much.

    Each conflict names the zone's class and feature, the overlap in m² and its share of the site;
    for a buffered feature also the distance from the feature and the shortfall against the buffer
    (a site 420 m from a railway with a 500 m buffer: ``distance_m`` 420, ``shortfall_m`` 80).
    """
    site_m = _site_metric(site)
    if zones.empty:
        return []
    zone_ms = C.to_metric(np.asarray(zones.geometry.values, dtype=object))
    hits = shapely.intersects(zone_ms, site_m)
    return [_conflict(row, site_m, zone_m) for row, zone_m, hit
            in zip(zones.itertuples(), zone_ms, hits, strict=True) if hit]


def assumptions(settings: BanZoneSettings, zones: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Return the rules a site check rested on: each class present, its buffer, basis and source."""
    present = set(zones["kind"]) if len(zones) else set()
    out = []
    for group, rules in (("linear", settings.linear), ("area", settings.areas)):
        for kind, rule in rules.items():
            out.append({"kind": kind, "kind_label": str(value_label(kind, field="kind")), "group": group,
                        "buffer_m": rule.buffer_m, "basis": rule.basis, "basis_text": basis_text(rule.basis),
                        "source": rule.source, "in_data": kind in present})
    return out


def site_verdict(site: BaseGeometry, zones: gpd.GeoDataFrame, settings: BanZoneSettings) -> dict[str, Any]:
    """Return the check of a proposed site: allowed or not, every zone it touches, the assumptions.

    With no zone at all (no linear feature and no ban-zone area) the check is refused: an all-clear
    over no data would be wrong.
    """
    if zones.empty:
        raise InputError(text("cemeteries.no_zones"), field="zones")
    conflicts = check_site(site, zones)
    verdict = (text("cemeteries.verdict_refused", count=len(conflicts)) if conflicts
               else text("cemeteries.verdict_allowed"))
    return {"allowed": not conflicts, "verdict": verdict, "conflicts": conflicts,
            "assumptions": assumptions(settings, zones), "settings_file": shown_settings_path(settings.path)}


def graves_along_transport(graves: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the scattered graves inside a railway or highway ban zone (indicator #7's base)."""
    if zones.empty or graves.empty:
        return graves.iloc[0:0]
    transport = zones[zones["kind"].isin(TRANSPORT_KINDS)]
    if transport.empty:
        return graves.iloc[0:0]
    area = shapely.union_all(np.asarray(transport.geometry.values, dtype=object))
    return graves[shapely.intersects(np.asarray(graves.geometry.values, dtype=object), area)]
