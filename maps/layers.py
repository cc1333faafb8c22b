"""Folium layer builders: each takes a GeoDataFrame (EPSG:4490) and adds one toggleable layer.

Maps work offline (Leaflet is bundled and inlined, see maps/offline.py): no tiles unless a basemap URL is given (e.g. 天地图 with its key, attribution
and review number). The bundled boundary is always labelled as not authoritative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import folium
import geopandas as gpd
import numpy as np

from maps.offline import make_offline

NOT_AUTHORITATIVE = "界线示意，非权威界线 · Boundary for illustration only, not authoritative"


def json_safe(frame: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    out = frame[[c for c in columns if c in frame.columns] + [frame.geometry.name]].copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        out[col] = [v.isoformat() if isinstance(v, datetime | date) else
                    (v.item() if isinstance(v, np.generic) else v) for v in out[col]]
    return out.to_crs("EPSG:4326")


@dataclass(frozen=True)
class Basemap:
    """A tile basemap: URL template (e.g. 天地图 with its key), its attribution and 审图号 review number."""

    url: str
    attribution: str
    review_number: str | None = None

    @property
    def label(self) -> str:
        """Return the attribution shown on the map, with the review number."""
        return self.attribution + (f" 审图号：{self.review_number}" if self.review_number else "")


def base_map(frame: gpd.GeoDataFrame, basemap: Basemap | None = None) -> folium.Map:
    """Return an empty map fitted to ``frame``; offline (no tiles) unless a basemap is given."""
    minx, miny, maxx, maxy = frame.total_bounds
    m = make_offline(folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11, tiles=None,
                                control_scale=True, prefer_canvas=True))
    if basemap is not None:
        folium.TileLayer(basemap.url, attr=basemap.label, name="底图 Basemap").add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def units_layer(units: gpd.GeoDataFrame, m: folium.Map, *, name: str = "行政区划 Units") -> folium.Map:
    """Add administrative units with their names and households, labelled not authoritative."""
    data = json_safe(units, ["code", "name", "level", "households", "residents_60plus"])
    folium.GeoJson(
        data, name=name,
        style_function=lambda f: {"color": "#1f4e79", "weight": 2 if f["properties"]["level"] in (
            "district", "subdistrict", "town") else 0.7, "fillOpacity": 0.03},
        tooltip=folium.GeoJsonTooltip(["name", "code", "households"], aliases=["名称", "代码", "户数"]),
    ).add_to(m)
    m.get_root().html.add_child(folium.Element(
        f'<div class="not-authoritative" style="position:fixed;bottom:8px;left:8px;z-index:1000;'
        f'background:#fff;padding:2px 6px;font-size:12px">{NOT_AUTHORITATIVE}</div>'))
    return m


def lines_layer(lines: gpd.GeoDataFrame, m: folium.Map, *, name: str, color: str = "#555",
                fields: tuple[str, ...] = ("name",)) -> folium.Map:
    """Add a line layer (streets, railways, rivers, boundary lines)."""
    data = json_safe(lines, list(fields))
    folium.GeoJson(data, name=name, style_function=lambda _f: {"color": color, "weight": 1.5},
                   tooltip=folium.GeoJsonTooltip(list(fields))).add_to(m)
    return m


def many_points_layer(points: gpd.GeoDataFrame, m: folium.Map, *, name: str, color: str,
                      tooltip: dict[str, str], show: bool = True, radius: float = 2) -> folium.Map:
    """Add tens of thousands of points as one compact GeoJSON layer (canvas-drawn, 6-decimal coordinates).

    ``tooltip`` maps a column to its label; only those columns go into the page.
    """
    xy = np.round(np.column_stack([points.geometry.x.to_numpy(), points.geometry.y.to_numpy()]), 6)
    columns = {col: [v.item() if isinstance(v, np.generic) else v for v in points[col]] for col in tooltip}
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
                 "properties": {col: (None if isinstance(v, float) and not np.isfinite(v) else v)
                                for col, v in ((c, columns[c][i]) for c in tooltip)}}
                for i, (x, y) in enumerate(xy)]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name=name, show=show,
        marker=folium.CircleMarker(radius=radius, weight=0, fill=True, fill_opacity=0.8),
        style_function=lambda _f, c=color: {"fillColor": c, "color": c},
        tooltip=folium.GeoJsonTooltip(list(tooltip), aliases=list(tooltip.values())) if tooltip else None,
    ).add_to(m)
    return m


def points_layer(points: gpd.GeoDataFrame, m: folium.Map, *, name: str, color: str = "#c0392b",
                 fields: tuple[str, ...] = ("name",), radius: float = 4) -> folium.Map:
    """Add a point layer as circle markers with a tooltip."""
    data = json_safe(points, list(fields))
    group = folium.FeatureGroup(name=name)
    for row in data.itertuples():
        geom = row.geometry if row.geometry.geom_type == "Point" else row.geometry.centroid
        tip = " · ".join(str(getattr(row, f)) for f in fields if getattr(row, f) is not None)
        folium.CircleMarker([geom.y, geom.x], radius=radius, color=color, fill=True, tooltip=tip).add_to(group)
    group.add_to(m)
    return m
