"""Planning maps: plates by walking time, service areas, communities by floor area, new sites."""

from __future__ import annotations

import branca.colormap as cm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from maps.layers import (
    Basemap,
    add_html,
    base_map,
    json_safe,
    many_points_layer,
    points_layer,
    units_layer,
)

STATUS_COLOURS = {"covered": "#1a9850", "beyond": "#d73027", "unreachable": "#7b3294",
                  "unattached": "#999999"}
STATUS_LABELS = {"covered": "15分钟内 within reach", "beyond": "超出 beyond",
                 "unreachable": "无路可达 no route", "unattached": "离路过远 too far from a street"}


def plates_by_status_layer(plates: gpd.GeoDataFrame, access: pd.DataFrame,
                           m: folium.Map) -> folium.Map:
    """Add the door plates coloured by coverage status: one compact GeoJSON layer per status."""
    timed = plates[["geometry"]].assign(min=np.round(access["minutes"].to_numpy(), 1))
    for status, colour in STATUS_COLOURS.items():
        mask = access["status"].to_numpy() == status
        if mask.any():
            name = f"门牌 Plates: {STATUS_LABELS[status]} ({int(mask.sum())})"
            many_points_layer(timed[mask], m, name=name, color=colour,
                              tooltip={"min": "步行分钟 walk min"}, show=status != "covered")
    return m


def service_area_layer(areas: gpd.GeoDataFrame, m: folium.Map) -> folium.Map:
    """Add the facilities' walking service areas."""
    data = json_safe(areas[areas.geometry.notna()], ["name", "reach_m"])
    folium.GeoJson(data, name="服务范围 Service areas",
                   style_function=lambda _f: {"color": "#1a9850", "weight": 1, "fillOpacity": 0.12},
                   tooltip=folium.GeoJsonTooltip(["name", "reach_m"],
                                                 aliases=["设施", "步行距离 m"])).add_to(m)
    return m


def floor_area_layer(units: gpd.GeoDataFrame, floor: pd.DataFrame, m: folium.Map, *,
                     norm_per100: float, title: str) -> folium.Map:
    """Shade communities and villages by floor area per 100 households against the norm."""
    leaf = units[units["level"].isin(["community", "village"])].merge(
        floor[["code", "per100_m2", "shortfall_m2"]], on="code", how="left")
    colours = ["#d73027", "#fee08b", "#1a9850"]
    caption = f"{title}: m² / 100 户 (norm {norm_per100:g})"
    scale = cm.LinearColormap(colours, vmin=0, vmax=2 * norm_per100, caption=caption)
    data = json_safe(leaf, ["name", "code", "per100_m2", "shortfall_m2"])

    def style(feature):
        v = feature["properties"]["per100_m2"]
        colour = "#cccccc" if v is None or v != v else scale(min(v, 2 * norm_per100))
        return {"fillColor": colour, "color": "#555", "weight": 0.5, "fillOpacity": 0.6}

    folium.GeoJson(data, name=title, style_function=style,
                   tooltip=folium.GeoJsonTooltip(["name", "per100_m2", "shortfall_m2"],
                                                 aliases=["社区", "m²/百户", "缺口 m²"])).add_to(m)
    # The legend is plain HTML: branca's own draws with d3, which the offline maps do not carry.
    add_html(m, "scale_legend.html", caption=caption, colours=colours, low="0",
             high=f"{2 * norm_per100:g}")
    return m


def planning_map(run, *, sites: gpd.GeoDataFrame | None = None,
                 areas: gpd.GeoDataFrame | None = None,
                 basemap: Basemap | None = None) -> folium.Map:
    """Return the planning map of a :class:`geo.planning.run.PlanningRun`-like object."""
    units = run.inputs.units
    own = units[units["level"] != "county"]
    m = base_map(own, basemap)
    units_layer(own[own["level"].isin(["district", "subdistrict", "town"])], m)
    floor_area_layer(own, run.floor["community_service"], m, norm_per100=30,
                     title="社区服务设施面积 Service floor area")
    if areas is not None:
        service_area_layer(areas, m)
    plates_by_status_layer(run.inputs.plates, run.access, m)
    points_layer(run.care_facilities, m, name="养老服务站 Elder-care stations", color="#08519c",
                 fields=("name", "kind"), radius=5)
    if sites is not None and len(sites):
        points_layer(sites.assign(name=[f"建议站点 #{o}" for o in sites["order"]]), m,
                     name="建议新站点 Proposed stations", color="#ff7f00", fields=("name", "gain"),
                     radius=7)
    folium.LayerControl(collapsed=False).add_to(m)
    return m
