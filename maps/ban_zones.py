"""Burial-ban zones on a map (三沿七区, CM-01): one layer per class, a legend by class, assumed or sourced.

Each class has its colour; a zone whose buffer or extent is assumed (假定值) is drawn with a dashed
outline and says so in the legend and its tooltip, a sourced one with a solid outline. The zones come
from :func:`geo.planning.cemeteries.ban_zones`; stored text goes through :func:`maps.layers.json_safe`
(escaped), never into script source. :func:`ban_zone_map` is the standalone map of the planning
report's cemetery section: units, zones and the cemeteries (open ones solid, planned ones hollow).
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
import shapely

from geo.messages import value_label
from geo.planning.ban_zone_settings import basis_text
from maps.basemap import Basemap
from maps.layers import add_legend, base_map, feature_collection, json_safe, tooltip_layer, units_layer
from maps.view import finish, titled

ZONE_COLOURS = {
    "railway": "#6c3483", "expressway": "#a04000", "highway": "#b9770e", "river": "#2874a6",
    "reservoir": "#1b4f72", "farmland": "#b7950b", "forest": "#1e8449", "grassland": "#58d68d",
    "park": "#48c9b0", "scenic_area": "#af7ac5", "cultural_relic": "#922b21", "water_source": "#5dade2",
    "nature_reserve": "#145a32", "built_up": "#7b7d7d",
}
ASSUMED_DASH = "6 4"
# Zones are drawn simplified to ~10 m (a buffer of 300–500 m, a field of hundreds of metres); the site
# check itself uses the exact zones. This keeps the district map file under 1 MB.
DRAWN_TOLERANCE_DEG = 1e-4
MERGED_FROM = 5  # more zones than this in one class are drawn as one feature
TIP_FIELDS = ["zone", "basis_text", "rule_source", "source"]
TIP_LABELS = ["禁葬区 zone", "依据 basis", "规则出处 rule source", "数据来源 data source"]


def zone_legend_text(kind: str, basis: str) -> str:
    """Return a legend entry: ``"耕地 farmland — 有出处 · sourced"`` (dashed outline when assumed)."""
    dash = "（虚线 dashed）" if basis == "assumed" else ""
    return f"禁葬区 {value_label(kind, field='kind')} — {basis_text(basis)}{dash}"


def ban_zones_layer(zones: gpd.GeoDataFrame, m: folium.Map, *, show: bool = True) -> list[tuple[str, str, str]]:
    """Add one toggleable layer per zone class; return the legend entries (colour, text, ``area``)."""
    legend: list[tuple[str, str, str]] = []
    if zones is None or zones.empty:
        return legend
    classes = []
    for (kind, basis), group in zones.groupby(["kind", "basis"], sort=False):
        drawn = group.set_geometry(group.geometry.simplify(DRAWN_TOLERANCE_DEG))
        if len(drawn) > MERGED_FROM:  # many small zones of one class (built-up areas): one feature, one tooltip
            first = drawn.iloc[[0]].copy()
            first["zone"] = f"{value_label(kind, field='kind')}（{len(drawn)} 处 zones）"
            first["source"] = "；".join(sorted({str(v) for v in drawn["source"] if v is not None}))
            drawn = first.set_geometry([shapely.union_all(drawn.geometry.to_numpy())], crs=drawn.crs)
        classes.append((kind, basis, drawn))
    # One pass over every class's features (tooltips, WGS84, ~1 m precision), then one layer per class.
    every = json_safe(pd.concat([drawn for _, _, drawn in classes]), TIP_FIELDS)
    every = every.set_geometry(every.geometry.set_precision(1e-5), crs=every.crs)
    start = 0
    for kind, basis, drawn in classes:
        data, start = every.iloc[start:start + len(drawn)], start + len(drawn)
        colour = ZONE_COLOURS.get(str(kind), "#555555")
        dash = ASSUMED_DASH if basis == "assumed" else None
        folium.GeoJson(
            feature_collection(data), name=f"禁葬区 {value_label(kind, field='kind')}", show=show,
            style_function=lambda _f, c=colour, d=dash: {"color": c, "fillColor": c, "weight": 1.2,
                                                         "fillOpacity": 0.22, "dashArray": d},
            tooltip=folium.GeoJsonTooltip(TIP_FIELDS, aliases=TIP_LABELS),
        ).add_to(m)
        legend.append((colour, zone_legend_text(str(kind), str(basis)), "area"))
    return legend


def ban_zone_map(zones: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, cemeteries: gpd.GeoDataFrame | None = None,
                 basemap: Basemap | None = None) -> folium.Map:
    """Return the ban-zone map: units, every zone by class, and the cemeteries with their status."""
    own = units[units["level"] != "county"]
    m = base_map(own, basemap)
    units_layer(own, m)
    legend = [("#1f4e79", "行政区划 Administrative units", "line"), *ban_zones_layer(zones, m)]
    if cemeteries is not None and len(cemeteries):
        is_open = cemeteries["status"].isin(["active"]).to_numpy(dtype=bool)
        for subset, name, colour in ((cemeteries[is_open], "公墓（在用）Cemeteries open", "#000000"),
                                     (cemeteries[~is_open], "公墓（规划、在建）Cemeteries planned", "#e74c3c")):
            if len(subset):
                tips = [f"{n} · {value_label(s)}" for n, s in zip(subset["name"], subset["status"], strict=True)]
                tooltip_layer(subset, tips, m, name=name, color=colour, radius=6, fill_opacity=0.6)
                legend.append((colour, name, "dot"))
    add_legend(m, legend)
    titled(m, "禁葬区（三沿七区）图 · Burial-ban zones")
    return finish(m)
