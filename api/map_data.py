"""Read what the maps draw from the store: the same layers for the CLI export and the served pages."""

from __future__ import annotations

import geopandas as gpd

from geo.errors import InputError
from geo.store import Store
from geo.store.contents import held_records, missing_layers_error
from geo.store.store import records_to_frame

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
