"""Read what the maps draw from the store: the same layers for the CLI export and the served pages.

What a map page prepares from the store (its page, its view layers) is kept in a
:class:`LayerCache` until a table it is drawn from changes: a resident's problem report or an
edit of the gazetteer leaves the door plates' view layer as it is, and these values take no slot
of the service's :class:`api.cache.DataCache`, where planning runs live.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import geopandas as gpd

from geo.errors import InputError
from geo.layers import STREET_CLASSES
from geo.messages import text
from geo.store import Store
from geo.store.contents import held_records, missing_layers_error
from maps.labels import field_label, shown
from maps.view_data import ViewLayer, view_layer

DISTRICT_LAYERS = ("admin_units", "streets", "linear_features", "facilities", "boundary_markers", "door_plates",
                   "ban_zone_areas")
MARKER_LAYERS = ("boundary_markers", "inspections", "boundary_lines")  # what the markers' map reads
T = TypeVar("T")


@dataclass
class _Entry:
    value: object
    checked: int  # every change numbered up to here is known not to touch the value's tables


class LayerCache:
    """Keep one prepared value per key until a table it depends on changes.

    A value is labelled with the data version read before it was built; a request asks the change
    feed (:meth:`Store.changes`, audit rows in commit order) whether any of its tables changed
    since, one indexed query, and moves the label on when none did. A store whose version went
    back (a restored backup) rebuilds everything. One build per key at a time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}
        self._building: dict[Hashable, threading.Lock] = {}

    def _fresh(self, store: Store, key: Hashable, tables: Sequence[str]) -> _Entry | None:
        """Return the entry of ``key`` if none of ``tables`` changed since it was checked."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None
        changed, cursor = store.changes(entry.checked, tables=list(tables), limit=1)
        if changed or store.data_version() < entry.checked:
            return None
        with self._lock:
            entry.checked = max(entry.checked, cursor)
        return entry

    def get(self, store: Store, key: Hashable, tables: Sequence[str], build: Callable[[], T]) -> T:
        """Return the value of ``key`` built from ``tables``, building it when one of them changed.

        Values are the district's of ``store``: one district's layer is never served for another's."""
        key = (store.adcode, key)
        entry = self._fresh(store, key, tables)
        if entry is not None:
            return entry.value  # type: ignore[return-value]
        with self._lock:
            key_lock = self._building.setdefault(key, threading.Lock())
        with key_lock:
            entry = self._fresh(store, key, tables)  # built meanwhile by another request
            if entry is not None:
                return entry.value  # type: ignore[return-value]
            version = store.data_version()  # before the build: never labelled newer than its data
            value = build()
            with self._lock:
                self._entries[key] = _Entry(value, version)
            return value


def district_layers(store: Store) -> dict[str, gpd.GeoDataFrame]:
    """Return the district map's layers (active plates, facilities and markers only)."""
    layers = {name: store.read_frame(name) for name in DISTRICT_LAYERS}
    if layers["admin_units"].empty:
        raise missing_layers_error(["admin_units"], database_empty=not held_records(store),
                                   purpose_zh="区划地图", purpose_en="the district map", store=store)
    for name in ("door_plates", "facilities", "boundary_markers"):
        frame = layers[name]
        layers[name] = frame[frame["status"] == "active"].reset_index(drop=True)
    return layers


def district_ban_zones(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Return the burial-ban zones (CM-01) of the district map's layers, buffered per the settings file."""
    from geo.planning.ban_zone_settings import load_ban_zone_settings
    from geo.planning.cemeteries import ban_zones

    return ban_zones(layers["linear_features"], layers["ban_zone_areas"], settings=load_ban_zone_settings())


def marker_condition_data(store: Store) -> tuple[list[dict], list[dict], gpd.GeoDataFrame]:
    """Return the active markers, every inspection record, and the boundary lines."""
    markers = store.select("boundary_markers", where={"status": "active"})
    records = store.select("inspections")
    lines = store.read_frame("boundary_lines")
    if lines.empty:
        raise missing_layers_error(["boundary_lines"], database_empty=not held_records(store),
                                   purpose_zh="界桩状况图", purpose_en="the marker condition map", store=store)
    return markers, records, lines


VIEW_LAYERS = ("door_plates", "streets")  # what a map fetches for its view (/maps/data/<layer>)
VIEW_TABLES = {"door_plates": ("door_plates",), "streets": ("streets",)}  # what each is drawn from


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
