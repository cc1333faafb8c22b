"""Read what the maps draw from the store: the same layers for the CLI export and the served pages."""

from __future__ import annotations

import geopandas as gpd

from geo.errors import InputError
from geo.layers import STREET_CLASSES
from geo.messages import text
from geo.store import Store
from geo.store.contents import held_records, missing_layers_error
from geo.store.store import records_to_frame
from maps.labels import field_label, shown
from maps.view_data import ViewLayer, view_layer

DISTRICT_LAYERS = ("admin_units", "streets", "linear_features", "facilities", "boundary_markers", "door_plates")


def district_layers(store: Store) -> dict[str, gpd.GeoDataFrame]:
    """Return the district map's layers (active plates, facilities and markers only)."""
    layers = {name: store.read_frame(name) for name in DISTRICT_LAYERS}
    if layers["admin_units"].empty:
        raise missing_layers_error(["admin_units"], database_empty=not held_records(store),
                                   purpose_zh="区划地图", purpose_en="the district map")
    for name in ("door_plates", "facilities", "boundary_markers"):
        frame = layers[name]
        layers[name] = frame[frame["status"] == "active"].reset_index(drop=True)
    return layers


def marker_condition_data(store: Store) -> tuple[list[dict], list[dict], gpd.GeoDataFrame]:
    """Return the active markers, every inspection record, and the boundary lines."""
    markers = store.select("boundary_markers", where={"status": "active"})
    records = store.select("inspections")
    lines = records_to_frame(store.select("boundary_lines"), store.table("boundary_lines"))
    if lines.empty:
        raise InputError("the database holds no boundary lines yet", field="database")
    return markers, records, lines


VIEW_LAYERS = ("door_plates", "streets")  # what a map fetches for its view (/maps/data/<layer>)


def view_data(store: Store, layer: str) -> ViewLayer:
    """Return a big layer ready to cut views from (active plates; streets, main roads first),
    each feature with its tooltip lines, Chinese first."""
    if layer == "door_plates":
        plates = store.read_frame("door_plates", where={"status": "active"})
        address = [f"{s or ''}{n}{x or ''}号" for s, n, x in zip(
            plates["street_name"], plates["number"], plates.get("suffix", [None] * len(plates)), strict=True)]
        return view_layer(plates, [[a, f"{field_label('plate_uid')}：{u}"]
                                   for a, u in zip(address, plates["plate_uid"], strict=True)], points=True)
    if layer == "streets":
        streets = store.read_frame("streets")
        rank = {c: i for i, c in enumerate(STREET_CLASSES)}
        streets = streets.iloc[sorted(range(len(streets)),
                                      key=lambda i: rank.get(streets["street_class"].iloc[i], len(rank)))]
        tips = [[n, f"{field_label('street_class')}：{shown('street_class', c)}" if c else None]
                for n, c in zip(streets["name"], streets["street_class"], strict=True)]
        return view_layer(streets, tips, points=False)
    raise InputError(text("maps.data.layer", layer=layer, choices=", ".join(VIEW_LAYERS)), field="layer")
