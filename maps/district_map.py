"""The district overview map: units, streets, railways and rivers, facilities, markers, door plates.

Every layer but the administrative units is optional, and an empty one is left out: a new
database without facilities, markers or plates still draws its map. Served, the map fetches its
two big layers (streets, door plates) for the view from ``data_url`` (maps/view.py), so the page
stays small however many plates there are; a file (``xincheng map``) carries them all.
"""

from __future__ import annotations

import folium
import geopandas as gpd

from maps.labels import legend_text
from maps.layers import (
    Basemap,
    add_legend,
    base_map,
    lines_layer,
    many_points_layer,
    points_layer,
    units_layer,
)
from maps.view import RemoteLayer, finish

COLOURS = {"units": "#1f4e79", "streets": "#7f8c8d", "linear": "#2980b9", "care": "#c0392b",
           "centres": "#27ae60", "markers": "#8e44ad", "plates": "#e67e22"}
STREETS = "街路巷 Streets"
PLATES = "门牌 Door plates"


def _has_rows(layers: dict[str, gpd.GeoDataFrame], name: str) -> bool:
    """Tell whether ``layers`` holds layer ``name`` with at least one drawable feature."""
    frame = layers.get(name)
    return frame is not None and bool(len(frame)) and bool(frame.geometry.notna().any())


def district_map(layers: dict[str, gpd.GeoDataFrame], *, basemap: Basemap | None = None,
                 data_url: str | None = None) -> folium.Map:
    """Return a folium map of the given layers (each optional), with a layer switcher, a legend
    and a metric scale; with ``data_url`` (e.g. ``/maps/data``) streets and door plates are
    fetched for the view from ``<data_url>/streets`` and ``<data_url>/door_plates``."""
    units = layers["admin_units"]
    own = units[units["level"] != "county"]
    m = base_map(own, basemap)
    units_layer(own, m)
    legend = [(COLOURS["units"], legend_text("units"), "line")]
    remote: list[RemoteLayer] = []
    if _has_rows(layers, "streets"):
        if data_url is None:
            lines_layer(layers["streets"], m, name=STREETS, color=COLOURS["streets"],
                        fields=("name", "street_class"))
        else:
            remote.append(RemoteLayer(STREETS, f"{data_url}/streets", COLOURS["streets"]))
        legend.append((COLOURS["streets"], legend_text("streets"), "line"))
    if _has_rows(layers, "linear_features"):
        lines_layer(layers["linear_features"], m, name="铁路公路河流 Railways, highways, rivers",
                    color=COLOURS["linear"], fields=("name", "kind"))
        legend.append((COLOURS["linear"], legend_text("linear"), "line"))
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
    if _has_rows(layers, "door_plates"):
        plates = layers["door_plates"]
        if data_url is None:
            plates = plates.assign(
                address=lambda f: f["street_name"].astype(str) + f["number"].astype(str) + "号")
            many_points_layer(plates, m, name=f"{PLATES} ({len(plates):,})", color=COLOURS["plates"],
                              tooltip={"address": "门牌 plate", "plate_uid": "编码 code"}, show=False)
        else:
            remote.append(RemoteLayer(f"{PLATES} ({len(plates):,})", f"{data_url}/door_plates",
                                      COLOURS["plates"]))
        legend.append((COLOURS["plates"], legend_text("plates"), "dot"))
    add_legend(m, legend)
    return finish(m, remote=tuple(remote))
