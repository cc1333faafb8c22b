"""Folium layer builders: each takes a GeoDataFrame (EPSG:4490) and adds one toggleable layer.

Maps work offline (Leaflet is bundled and inlined, see maps/offline.py): no tiles unless a basemap
URL is given (e.g. 天地图 with its key, attribution and review number). The bundled boundary is
always labelled as not authoritative.

Stored text is hostile: every layer carries its data as GeoJSON (embedded by folium with
``tojson``, so no string can close the script) whose string properties are HTML-escaped, because
folium's tooltips write them into ``innerHTML``. No stored text is pasted into JavaScript source.
Nor is any run as a template: branca would compile each element's rendered script (the GeoJSON
with the stored text) as a Jinja template again; every map here renders through
maps/rendering.py, which writes that output as literal text.

Stored data can also be huge: a tooltip shows at most :data:`MAX_TEXT` characters of a value (cut
with …), and a line or polygon goes to the page with coordinates to 6 decimals (0.1 m) and, when
it has more than :data:`MAX_VERTICES` vertices, simplified until it has no more; the map is a
picture of the data, the data itself (API, exports) keeps every vertex and character.
"""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure

from geo.layers import TOWNSHIP_LEVELS
from maps.basemap import Basemap
from maps.labels import field_label, shown
from maps.offline import make_offline
from maps.rendering import Literal, harden
from maps.templating import escape_value, render
from maps.view import add_view_style

NOT_AUTHORITATIVE = "界线示意，非权威界线 · Boundary for illustration only, not authoritative"
MAX_TEXT = 200  # characters of one value in a tooltip
MAX_VERTICES = 5000  # of one line or polygon on a map (the bundled district boundary has ~3,600)


def tip_value(value):
    """Return one tooltip value: text cut to :data:`MAX_TEXT` characters and HTML-escaped."""
    return escape_value(value, MAX_TEXT)


def display_geometry(geometry: shapely.Geometry | None) -> shapely.Geometry | None:
    """Return ``geometry`` (WGS84) as a map draws it: coordinates to 6 decimals (0.1 m) and at
    most :data:`MAX_VERTICES` vertices (Douglas-Peucker with a growing tolerance; parts too small
    for it drop out; the bounding box when nothing else is small enough)."""
    if geometry is None or shapely.is_empty(geometry):
        return geometry
    shown, tolerance = geometry, 1e-6  # degrees, ~0.1 m
    while shapely.get_num_coordinates(shown) > MAX_VERTICES and tolerance < 0.1:
        shown = shapely.simplify(shown, tolerance, preserve_topology=False)
        tolerance *= 4
    if shapely.is_empty(shown) or shapely.get_num_coordinates(shown) > MAX_VERTICES:
        shown = shapely.envelope(geometry)
    return shapely.set_precision(shown, 1e-6, mode="pointwise")


def json_safe(frame: gpd.GeoDataFrame, columns: list[str], *, labelled: tuple[str, ...] = ()
              ) -> gpd.GeoDataFrame:
    """Return ``columns`` of ``frame`` in WGS84, values ready for a tooltip (text cut and
    HTML-escaped), geometries as the map draws them (:func:`display_geometry`). The ``labelled``
    columns are shown as a reader reads them (a code by its Chinese label, a number with its unit;
    maps/labels.py), the others as stored."""
    out = frame[[c for c in columns if c in frame.columns] + [frame.geometry.name]].copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        values = [shown(col, v) for v in out[col]] if col in labelled else out[col]
        out[col] = [tip_value(v) for v in values]
    out = out.to_crs("EPSG:4326")
    return out.set_geometry([display_geometry(g) for g in out.geometry], crs=out.crs)


def feature_collection(frame: gpd.GeoDataFrame) -> dict:
    """Return ``frame`` as the GeoJSON FeatureCollection folium would embed for it, built column by column.

    Handed a frame, folium builds the same dict from ``frame.to_crs("EPSG:4326").__geo_interface__``
    through ``json.loads(json.dumps(...))``: one ``shapely.mapping`` and one pandas row per feature,
    the largest part of drawing a report's maps. Here GEOS writes every geometry's GeoJSON at once
    (``shapely.to_geojson``, doubles to the last digit) and one JSON parse reads them, so the page is
    the same to the byte (``tests/test_map_features.py`` compares the two on every map layer): each
    feature's ``id`` (the index as text), ``properties`` (missing values as ``null``), ``geometry``
    (``null`` when missing or empty) and ``bbox``, and the collection's ``bbox``.
    """
    if frame.crs is None or not frame.crs.equals("EPSG:4326"):  # a frame without a CRS is refused, as folium does
        frame = frame.to_crs("EPSG:4326")
    geoms = np.asarray(frame.geometry.array, dtype=object)
    drawn = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    texts = shapely.to_geojson(np.where(drawn, geoms, None))
    shapes = json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]")
    bounds = shapely.bounds(geoms).tolist()
    columns = [c for c in frame.columns if c != frame.geometry.name]
    values = frame[columns].astype(object)
    values[pd.isna(frame[columns]).to_numpy()] = None
    rows = json.loads(json.dumps([dict(zip(columns, row, strict=True)) for row in values.to_numpy()]))
    features = [{"id": str(i), "type": "Feature", "properties": p, "geometry": g, "bbox": b if d else None}
                for i, p, g, b, d in zip(np.asarray(frame.index), rows, shapes, bounds, drawn, strict=True)]
    return {"type": "FeatureCollection", "features": features, "bbox": [float(v) for v in frame.total_bounds]}


def base_map(frame: gpd.GeoDataFrame, basemap: Basemap | None = None) -> folium.Map:
    """Return an empty map fitted to ``frame``; offline (no tiles) unless a basemap is given.

    The map's page renders no stored text as a template, however it is rendered (``page_html``,
    ``save``; see maps/rendering.py)."""
    minx, miny, maxx, maxy = frame.total_bounds
    m = make_offline(folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11,
                                tiles=None, control_scale=False, prefer_canvas=True))
    add_view_style(m)  # the metric scale itself is added by maps.view.finish
    if basemap is not None:
        folium.TileLayer(basemap.url, attr=basemap.label, name="底图 Basemap").add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    harden(m.get_root())
    return m


def markup_element(markup: str) -> Literal:
    """Return an element that writes ``markup`` as it is. (``folium.Element(text)`` would compile
    the text as a Jinja template: a ``{{ }}`` in an escaped value would still be run.)"""
    return Literal(markup, verbatim=True)


def add_html(m: folium.Map, template: str, **context) -> folium.Map:
    """Add an element to the map's page from a template under maps/templates/ (autoescaped)."""
    figure = m.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("the map is not on a page (branca Figure)")
    figure.html.add_child(markup_element(render(template, **context)))
    return m


def add_notice(m: folium.Map, text: str = NOT_AUTHORITATIVE) -> folium.Map:
    """Add the fixed notice (by default: the boundary is not authoritative) to the map's corner."""
    return add_html(m, "notice.html", text=text)


def add_legend(m: folium.Map, items: list[tuple[str, str, str]], *,
               title: str = "图例 Legend") -> folium.Map:
    """Add the map's legend: ``(colour, label, shape)`` per entry, shape ``dot``, ``line`` or
    ``area``; docked in the map's corner with the scale and the notice (maps/view.py)."""
    return add_html(m, "legend.html", title=title, items=items)


def in_force(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the units in force (status active or unset): a unit a division change retired stays
    stored as history but is never drawn as a current unit (review #17 F35)."""
    if "status" not in units.columns:
        return units
    status = units["status"].astype("string").fillna("active")
    return units[(status == "active").to_numpy(dtype=bool)]


def units_layer(units: gpd.GeoDataFrame, m: folium.Map, *,
                name: str = "行政区划 Units") -> folium.Map:
    """Add the administrative units in force with their names and households, labelled not authoritative."""
    units = in_force(units)
    major = units["level"].isin(["district", *TOWNSHIP_LEVELS]).to_numpy()
    data = json_safe(units.assign(major=major), ["code", "name", "level", "households", "major"],
                     labelled=("level", "households"))
    folium.GeoJson(
        feature_collection(data), name=name,
        style_function=lambda f: {"color": "#1f4e79", "weight": 2 if f["properties"]["major"] else 0.7,
                                  "fillOpacity": 0.03},
        tooltip=folium.GeoJsonTooltip(["name", "level", "code", "households"],
                                      aliases=[field_label(c) for c in ("name", "level", "code", "households")]),
    ).add_to(m)
    return add_notice(m)


def lines_layer(lines: gpd.GeoDataFrame, m: folium.Map, *, name: str, color: str = "#555",
                fields: tuple[str, ...] = ("name",)) -> folium.Map:
    """Add a line layer (streets, railways, rivers, boundary lines)."""
    data = json_safe(lines, list(fields), labelled=fields)
    present = [f for f in fields if f in data.columns]
    folium.GeoJson(feature_collection(data), name=name, style_function=lambda _f: {"color": color, "weight": 1.5},
                   tooltip=folium.GeoJsonTooltip(present, aliases=[field_label(f) for f in present])).add_to(m)
    return m


def point_features(points: gpd.GeoDataFrame, properties: dict[str, list]) -> dict:
    """Return a GeoJSON FeatureCollection of ``points`` (EPSG:4490 ~ WGS84 at 6 decimals; a
    non-point geometry by its centroid) with ``properties`` (one list per column, escaped here)."""
    geoms = points.geometry
    if len(geoms) and not (geoms.geom_type == "Point").all():
        geoms = gpd.GeoSeries([g if g.geom_type == "Point" else g.centroid for g in geoms],
                              crs=points.crs)
    if points.crs is not None:
        geoms = geoms.to_crs("EPSG:4326")
    xy = np.round(np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()]), 6)
    columns = {col: [tip_value(v) for v in values] for col, values in properties.items()}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
         "properties": {col: columns[col][i] for col in columns}}
        for i, (x, y) in enumerate(xy)]}


def many_points_layer(points: gpd.GeoDataFrame, m: folium.Map, *, name: str, color: str,
                      tooltip: dict[str, str], show: bool = True, radius: float = 2) -> folium.Map:
    """Add tens of thousands of points as one compact GeoJSON layer (canvas, 6-decimal coordinates).

    ``tooltip`` maps a column to its label; only those columns go into the page.
    """
    data = point_features(points, {col: list(points[col]) for col in tooltip})
    folium.GeoJson(
        data, name=name, show=show,
        marker=folium.CircleMarker(radius=radius, weight=0, fill=True, fill_opacity=0.8),
        style_function=lambda _f, c=color: {"fillColor": c, "color": c},
        tooltip=(folium.GeoJsonTooltip(list(tooltip), aliases=list(tooltip.values()))
                 if tooltip and len(points) else None),
    ).add_to(m)
    return m


def tooltip_layer(points: gpd.GeoDataFrame, tips: list[str], m: folium.Map | folium.FeatureGroup, *,
                  name: str | None, color: str, radius: float = 4, fill_opacity: float = 0.2,
                  show: bool = True) -> folium.Map | folium.FeatureGroup:
    """Add circle markers whose tooltip is one line of text each (``tips``, escaped here).

    The markers are one GeoJSON layer: the text travels as escaped JSON data, never as JavaScript.
    """
    data = point_features(points, {"tip": tips})
    folium.GeoJson(
        data, name=name, show=show, control=name is not None,
        marker=folium.CircleMarker(radius=radius, fill=True, fill_opacity=fill_opacity),
        style_function=lambda _f, c=color: {"color": c, "fillColor": c},
        # folium refuses a tooltip field of an empty layer (a district with none of these yet): no tooltip then
        tooltip=folium.GeoJsonTooltip(["tip"], labels=False) if len(tips) else None,
    ).add_to(m)
    return m


def points_layer(points: gpd.GeoDataFrame, m: folium.Map, *, name: str, color: str = "#c0392b",
                 fields: tuple[str, ...] = ("name",), radius: float = 4) -> folium.Map:
    """Add a point layer as circle markers with a tooltip (the fields' values joined by ·)."""
    present = [f for f in fields if f in points.columns]
    tips = [" · ".join(str(v) for v in (shown(f, _plain(row[f])) for f in present) if v is not None)
            for _, row in points[present].iterrows()] if present else [""] * len(points)
    tooltip_layer(points, tips, m, name=name, color=color, radius=radius)
    return m


def _plain(value):
    """Return ``value`` as a Python scalar, ``None`` for a missing value (None, NaN, NaT)."""
    if isinstance(value, np.generic):
        value = value.item()
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else value
