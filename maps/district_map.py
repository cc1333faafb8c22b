"""The district overview map: units, streets, railways and rivers, facilities, markers, door plates."""

from __future__ import annotations

import folium
import geopandas as gpd

from maps.layers import Basemap, base_map, lines_layer, many_points_layer, points_layer, units_layer


def district_map(layers: dict[str, gpd.GeoDataFrame], *, basemap: Basemap | None = None) -> folium.Map:
    """Return a folium map of the given layers (each optional), with a layer switcher."""
    units = layers["admin_units"]
    own = units[units["level"] != "county"]
    m = base_map(own, basemap)
    units_layer(own, m)
    if "streets" in layers:
        lines_layer(layers["streets"], m, name="街路巷 Streets", color="#7f8c8d", fields=("name", "street_class"))
    if "linear_features" in layers:
        lines_layer(layers["linear_features"], m, name="铁路公路河流 Railways, highways, rivers",
                    color="#2980b9", fields=("name", "kind"))
    if "facilities" in layers:
        f = layers["facilities"]
        care = f[f["kind"].str.contains("elder_care")]
        points_layer(care, m, name="养老服务设施 Elder-care facilities", color="#c0392b", fields=("name", "kind"))
        centres = f[f["kind"] == "community_service_centre"]
        points_layer(centres, m, name="社区综合服务设施 Service centres", color="#27ae60",
                     fields=("name", "floor_area_m2"), radius=3)
    if "boundary_markers" in layers:
        points_layer(layers["boundary_markers"], m, name="界桩 Boundary markers", color="#8e44ad",
                     fields=("marker_no", "marker_type"), radius=3)
    if "door_plates" in layers:
        plates = layers["door_plates"].assign(
            address=lambda f: f["street_name"].astype(str) + f["number"].astype(str) + "号")
        many_points_layer(plates, m, name=f"门牌 Door plates ({len(plates):,})", color="#e67e22",
                          tooltip={"address": "门牌 plate", "plate_uid": "编码 code"}, show=False)
    folium.LayerControl(collapsed=False).add_to(m)
    return m
