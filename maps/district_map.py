"""The district overview map: units, streets, railways and rivers, facilities, markers, door plates.

Every layer but the administrative units is optional, and an empty one is left out: a new
database without facilities, markers or plates still draws its map. Served, the map fetches its
two big layers (streets, door plates) for the view from ``data_url`` (maps/view.py), so the page
stays small however many plates there are. A file (``xincheng map``) has no server to ask: it
carries streets simplified and door plates counted per grid cell, per zoom range
(:class:`maps.view.EmbeddedLayer`), each street's tooltip saying which plate numbers it holds, so
the file stays under a megabyte at the district's scale however many plates there are.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from geo.messages import text
from maps.ban_zones import ban_zones_layer
from maps.labels import field_label, legend_text, shown
from maps.layers import (
    Basemap,
    add_legend,
    base_map,
    in_force,
    lines_layer,
    points_layer,
    units_layer,
)
from maps.templating import shorten
from maps.view import EmbeddedLayer, RemoteLayer, finish, titled
from maps.view_data import MAX_TIP, cell_levels, line_levels

COLOURS = {"units": "#1f4e79", "streets": "#7f8c8d", "linear": "#2980b9", "care": "#c0392b",
           "centres": "#27ae60", "markers": "#8e44ad", "plates": "#e67e22"}
STREETS = "街路巷 Streets"
PLATES = "门牌 Door plates"


def units_in_force(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the district's own units in force (not the county outline, not a unit a division change
    retired): the map shows today's division, never an abolished unit drawn as a current one."""
    own = in_force(units)
    return own[(own["level"] != "county").to_numpy(dtype=bool)]


def _has_rows(layers: dict[str, gpd.GeoDataFrame], name: str) -> bool:
    """Tell whether ``layers`` holds layer ``name`` with at least one drawable feature."""
    frame = layers.get(name)
    return frame is not None and bool(len(frame)) and bool(frame.geometry.notna().any())


def street_tips(streets: gpd.GeoDataFrame, plates: gpd.GeoDataFrame | None) -> list[list[str]]:
    """Return each street's tooltip lines: its name, its class and, when it has door plates, their
    numbers (lowest–highest) and how many; text cut to :data:`maps.view_data.MAX_TIP` characters."""
    held: dict[str, tuple[int, int, int]] = {}
    if plates is not None and len(plates) and {"street_name", "number"} <= set(plates.columns):
        numbers = pd.to_numeric(plates["number"], errors="coerce")
        grouped = pd.DataFrame({"street": plates["street_name"], "number": numbers}).dropna().groupby("street")
        held = {str(k): (int(lo), int(hi), int(n)) for k, lo, hi, n in zip(
            grouped.size().index, grouped["number"].min(), grouped["number"].max(), grouped.size(), strict=True)}
    tips = []
    for name, kind in zip(streets["name"], streets.get("street_class", [None] * len(streets)), strict=True):
        lines = [str(name)] if name is not None and name == name else []
        label = shown("street_class", kind)
        if label is not None:
            lines.append(f"{field_label('street_class')}：{label}")
        if str(name) in held:
            low, high, count = held[str(name)]
            lines.append(text("map_files.street_plates", low=low, high=high, count=f"{count:,}"))
        tips.append([shorten(line, MAX_TIP) for line in lines])
    return tips


def embedded_layers(layers: dict[str, gpd.GeoDataFrame]) -> tuple[list[EmbeddedLayer], list[tuple[str, str, str]]]:
    """Return a map file's big layers (streets simplified, door plates counted per cell, by zoom
    range) and their legend entries."""
    embedded, legend = [], []
    plates = layers.get("door_plates") if _has_rows(layers, "door_plates") else None
    if _has_rows(layers, "streets"):
        streets = layers["streets"]
        embedded.append(EmbeddedLayer(STREETS, COLOURS["streets"], "lines", line_levels(streets.geometry),
                                      street_tips(streets, plates)))
        legend.append((COLOURS["streets"], legend_text("streets"), "line"))
    if plates is not None:
        levels = [{**lv, "tip": text("map_files.cell", n="{n}", cell_m=f"{lv['cell_m']:g}")}
                  for lv in cell_levels(plates.geometry)]
        embedded.append(EmbeddedLayer(f"{PLATES} ({len(plates):,})", COLOURS["plates"], "cells", levels, []))
        legend.append((COLOURS["plates"], text("map_files.legend_plates"), "dot"))
    return embedded, legend


def remote_layers(layers: dict[str, gpd.GeoDataFrame], data_url: str
                  ) -> tuple[list[RemoteLayer], list[tuple[str, str, str]]]:
    """Return a served map's big layers (streets, door plates: fetched for the view from
    ``data_url``) and their legend entries."""
    remote, legend = [], []
    if _has_rows(layers, "streets"):
        remote.append(RemoteLayer(STREETS, f"{data_url}/streets", COLOURS["streets"]))
        legend.append((COLOURS["streets"], legend_text("streets"), "line"))
    if _has_rows(layers, "door_plates"):
        count = len(layers["door_plates"])
        remote.append(RemoteLayer(f"{PLATES} ({count:,})", f"{data_url}/door_plates", COLOURS["plates"]))
        legend.append((COLOURS["plates"], legend_text("plates"), "dot"))
    return remote, legend


def district_map(layers: dict[str, gpd.GeoDataFrame], *, basemap: Basemap | None = None,
                 data_url: str | None = None, ban_zones: gpd.GeoDataFrame | None = None) -> folium.Map:
    """Return a folium map of the given layers (each optional), with a layer switcher, a legend
    and a metric scale; with ``data_url`` (e.g. ``/maps/data``) streets and door plates are
    fetched for the view from ``<data_url>/streets`` and ``<data_url>/door_plates``; without it
    (a file) they are carried per zoom range (:func:`embedded_layers`). ``ban_zones``
    (:func:`geo.planning.cemeteries.ban_zones`) adds the burial-ban zones, one switchable layer per
    class (hidden at first), with their legend entries marked assumed or sourced."""
    own = units_in_force(layers["admin_units"])
    m = base_map(own, basemap)
    units_layer(own, m)
    legend = [(COLOURS["units"], legend_text("units"), "line")]
    remote: list[RemoteLayer] = []
    embedded: list[EmbeddedLayer] = []
    if data_url is None:
        embedded, big_legend = embedded_layers(layers)
    else:
        remote, big_legend = remote_layers(layers, data_url)
    legend.extend(big_legend)
    if _has_rows(layers, "linear_features"):
        lines_layer(layers["linear_features"], m, name="铁路公路河流 Railways, highways, rivers",
                    color=COLOURS["linear"], fields=("name", "kind"))
        legend.append((COLOURS["linear"], legend_text("linear"), "line"))
    if ban_zones is not None and len(ban_zones):  # the 三沿七区 (CM-01), by class, assumed or sourced
        legend.extend(ban_zones_layer(ban_zones, m, show=False))
    if _has_rows(layers, "facilities"):
        f = layers["facilities"]
        kind = f["kind"].astype("string").fillna("")  # an empty or all-missing column has no .str
        care = f[kind.str.contains("elder_care", regex=False).to_numpy(dtype=bool)]
        if len(care):
            points_layer(care, m, name="养老服务设施 Elder-care facilities", color=COLOURS["care"],
                         fields=("name", "kind"))
            legend.append((COLOURS["care"], legend_text("care"), "dot"))
        centres = f[(kind == "community_service_centre").to_numpy(dtype=bool)]
        if len(centres):
            points_layer(centres, m, name="社区综合服务设施 Service centres", color=COLOURS["centres"],
                         fields=("name", "floor_area_m2"), radius=3)
            legend.append((COLOURS["centres"], legend_text("centres"), "dot"))
    if _has_rows(layers, "boundary_markers"):
        points_layer(layers["boundary_markers"], m, name="界桩 Boundary markers", color=COLOURS["markers"],
                     fields=("marker_no", "marker_type"), radius=3)
        legend.append((COLOURS["markers"], legend_text("markers"), "dot"))
    add_legend(m, legend)
    titled(m, text("map_nav.title.district"))
    return finish(m, remote=tuple(remote), embedded=tuple(embedded))
