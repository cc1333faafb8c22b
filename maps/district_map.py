"""The district overview map: units, streets, railways and rivers, facilities, markers, door plates.

Every layer but the administrative units is optional, and an empty one is left out: a new
database without facilities, markers or plates still draws its map.
"""

from __future__ import annotations

import folium
import geopandas as gpd

from maps.layers import Basemap, base_map, lines_layer, many_points_layer, points_layer, units_layer


def _has_rows(layers: dict[str, gpd.GeoDataFrame], name: str) -> bool:
    """Tell whether ``layers`` holds layer ``name`` with at least one drawable feature."""
    frame = layers.get(name)
    return frame is not None and bool(len(frame)) and bool(frame.geometry.notna().any())


def district_map(layers: dict[str, gpd.GeoDataFrame], *, basemap: Basemap | None = None) -> folium.Map:
    """Return a folium map of the given layers (each optional), with a layer switcher."""
    units = layers["admin_units"]
    own = units[units["level"] != "county"]
    m = base_map(own, basemap)
    units_layer(own, m)
    if _has_rows(layers, "streets"):
        lines_layer(layers["streets"], m, name="街路巷 Streets", color="#7f8c8d", fields=("name", "street_class"))
    if _has_rows(layers, "linear_features"):
        lines_layer(layers["linear_features"], m, name="铁路公路河流 Railways, highways, rivers",
                    color="#2980b9", fields=("name", "kind"))
    if _has_rows(layers, "facilities"):
        f = layers["facilities"]
        kind = f["kind"].astype("string").fillna("")  # an empty or all-missing column has no .str
        care = f[kind.str.contains("elder_care", regex=False).to_numpy(dtype=bool)]
        if len(care):
            points_layer(care, m, name="养老服务设施 Elder-care facilities", color="#c0392b",
                         fields=("name", "kind"))
        centres = f[(kind == "community_service_centre").to_numpy(dtype=bool)]
        if len(centres):
            points_layer(centres, m, name="社区综合服务设施 Service centres", color="#27ae60",
                         fields=("name", "floor_area_m2"), radius=3)
    if _has_rows(layers, "boundary_markers"):
        points_layer(layers["boundary_markers"], m, name="界桩 Boundary markers", color="#8e44ad",
                     fields=("marker_no", "marker_type"), radius=3)
    if _has_rows(layers, "door_plates"):
        plates = layers["door_plates"].assign(
            address=lambda f: f["street_name"].astype(str) + f["number"].astype(str) + "号")
        many_points_layer(plates, m, name=f"门牌 Door plates ({len(plates):,})", color="#e67e22",
                          tooltip={"address": "门牌 plate", "plate_uid": "编码 code"}, show=False)
    folium.LayerControl(collapsed=False).add_to(m)
    return m
