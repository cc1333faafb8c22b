"""The OGC API collections: one geometry type per collection, their JSON Schemas and property filters.

GDAL and QGIS give a layer one geometry type. A layer of the registry (geo/layers.py) that holds
one kind of geometry is one collection under its own name; a layer that mixes kinds (facilities:
points and footprints; place names: points, lines and areas) is one collection per kind,
``<layer>_points``, ``<layer>_lines``, ``<layer>_polygons``. Lines and areas are always served as
MultiLineString and MultiPolygon, so a page that happens to hold only single parts does not type the
layer wrongly. The mixed layer keeps its old id, unlisted, for links made before the split.

A layer that keeps history beside today's records (a unit a division change retired stays stored over the same land
as its successor: :attr:`geo.layers.Layer.history_where`) is served as today's records under its own id and as the
history alone under ``<id>_history``: a QGIS user adds either as a layer, where a ``status`` filter of GDAL's runs
on the client, after the server has left the history out.

Each collection describes its properties as JSON Schema (OGC API - Features Part 3 queryables, and
the whole feature as a Part 5 style schema), with the types of the store's columns (integers as
``integer``, dates with ``format: date``), enumerations as ``enum`` and Chinese titles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import shapely

from geo.errors import InputError, NotFound
from geo.layers import GEOMETRY_KINDS, KIND_WRITTEN_AS, LAYERS, Layer
from geo.messages import Term, label, text, value_label, value_labels, zh
from geo.messages import en as en_text
from geo.store import Excluding
from geo.store.schema import metadata

JSON_SCHEMA = "application/schema+json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

# Layers drawn from the bundled, non-authoritative boundary (data/README.md): labelled 示意.
BOUNDARY_LAYERS = frozenset({"admin_units", "boundary_lines"})
BOUNDARY_NOTE_PROPERTY = "boundary_note"

# Query parameters of /items that are not property filters (Part 1 and Part 2).
STANDARD_PARAMETERS = frozenset({"bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "f",
                                 "district"})  # the service's own: which district (api.deps.get_store)
_NOT_PROPERTIES = frozenset({"geom", "minx", "miny", "maxx", "maxy"})
_INT32 = (-(2**31), 2**31 - 1)


@dataclass(frozen=True)
class Collection:
    """One OGC API collection: a layer, or the part of a layer with one kind of geometry."""

    id: str
    layer: Layer
    kind: str | None  # "points", "lines", "polygons"; None: the old id of a mixed layer
    listed: bool = True
    history: bool = False  # the layer's history alone (its records of history_where), not today's

    @property
    def geometry_types(self) -> tuple[str, ...] | None:
        """Return the stored geometry types this collection serves (``None``: every type)."""
        return None if self.kind is None else GEOMETRY_KINDS[self.kind]

    @property
    def served_as(self) -> str | None:
        """Return the one GeoJSON geometry type of its features (``None`` for an old mixed id)."""
        return None if self.kind is None else KIND_WRITTEN_AS[self.kind]

    @property
    def split(self) -> bool:
        """Return whether this is one kind of a layer that mixes kinds."""
        return self.id != self.layer.name and not self.history

    @property
    def partial(self) -> bool:
        """Return whether this serves part of its layer's records (one kind, or the history), so that it is listed
        only while it holds a feature."""
        return self.split or self.history

    @property
    def boundary(self) -> bool:
        """Return whether it shows the bundled boundary, which must carry the 示意 label."""
        return self.layer.name in BOUNDARY_LAYERS

    def title(self) -> Term:
        """Return the title, Chinese (with the kind and the 示意 label where they apply) and English."""
        zh_title, en_title = self.layer.title_zh, self.layer.title_en
        if self.split and self.kind is not None:
            zh_title += f"（{zh(f'ogc.kind.{self.kind}')}）"
            en_title += f" ({en_text(f'ogc.kind.{self.kind}')})"
        for field, values in self.layer.history_where if self.history else ():
            zh_title += f"（{zh('ogc.history_title', values=value_labels(values, field=field))}）"
            en_title += f" ({en_text('ogc.history_title', values=value_labels(values, field=field))})"
        if self.boundary:
            zh_title += f"（{zh('ogc.boundary_note')}）"
            en_title += f" ({en_text('ogc.boundary_note')})"
        return Term(zh_title, en_title)

    def shape(self, geom: Any) -> Any:
        """Return ``geom`` as this collection serves it: single lines and areas as multi-part."""
        if self.kind == "lines" and isinstance(geom, shapely.LineString):
            return shapely.MultiLineString([geom])
        if self.kind == "polygons" and isinstance(geom, shapely.Polygon):
            return shapely.MultiPolygon([geom])
        return geom

    def allowed_values(self, field: str) -> tuple[str, ...] | None:
        """Return the values a field of this collection's features may take: the history collection's history
        field only its history values (a filter ``?status=active`` there matches nothing: review)."""
        history = dict(self.layer.history_where)
        return history[field] if self.history and field in history else self.layer.allowed_values(field)

    def holds(self, geom: Any) -> bool:
        """Return whether a stored geometry belongs to this collection."""
        kinds = self.geometry_types
        return kinds is None or (geom is not None and geom.geom_type in kinds)


def _kinds(layer: Layer) -> list[str]:
    return [kind for kind, types in GEOMETRY_KINDS.items() if set(types) & set(layer.geometry_types)]


def _build() -> dict[str, Collection]:
    found: dict[str, Collection] = {}
    for layer in LAYERS.values():
        kinds = _kinds(layer)
        if len(kinds) == 1:
            found[layer.name] = Collection(layer.name, layer, kinds[0])
            continue
        for kind in kinds:
            cid = f"{layer.name}_{kind}"
            found[cid] = Collection(cid, layer, kind)
        found[layer.name] = Collection(layer.name, layer, None, listed=False)
    for collection in [c for c in found.values() if c.listed and c.layer.history_where]:
        cid = f"{collection.id}_history"
        found[cid] = Collection(cid, collection.layer, collection.kind, history=True)
    return found


def today_or_history(collection: Collection, filters: dict[str, Any]) -> dict[str, Any] | None:
    """Return ``filters`` with what the collection serves of a layer that keeps history: today's records (the
    history only when a filter names its field) or the history alone; ``None`` when the filters ask for neither."""
    for field, values in collection.layer.history_where:
        if not collection.history:
            filters.setdefault(field, Excluding(values))
        elif field not in filters:
            filters[field] = list(values)
        elif filters[field] not in values:
            return None
    return filters


def shows(collection: Collection, record: dict[str, Any]) -> bool:
    """Return whether a record by its id belongs to the collection: the history collection holds the history only
    (today's collection answers a retired unit's id too: links made to it before it was retired)."""
    return not collection.history or all(record.get(field) in values
                                         for field, values in collection.layer.history_where)


COLLECTIONS: dict[str, Collection] = _build()


def get_collection(collection_id: str) -> Collection:
    """Return the collection ``collection_id`` or raise :class:`NotFound` listing the collections."""
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        known = ", ".join(c.id for c in COLLECTIONS.values() if c.listed)
        raise NotFound(text("ogc.unknown_collection", collection=collection_id, known=known),
                       field="collectionId") from None


def split_ids(layer: Layer) -> list[str]:
    """Return the ids of the one-kind collections a mixed layer is served as."""
    return [c.id for c in COLLECTIONS.values() if c.layer is layer and c.split]


def history_id(collection: Collection) -> str | None:
    """Return the id of the collection serving this one's history, if its layer keeps any."""
    found = COLLECTIONS.get(f"{collection.id}_history")
    return found.id if found is not None and found.history else None


# JSON Schema of the properties ---------------------------------------------------------------

_TYPE_SCHEMA: dict[type, dict[str, str]] = {
    bool: {"type": "boolean"}, int: {"type": "integer"}, float: {"type": "number"},
    datetime: {"type": "string", "format": "date-time"}, date: {"type": "string", "format": "date"},
    str: {"type": "string"},
}


def column_types(layer: Layer) -> dict[str, type]:
    """Return every property a feature of ``layer`` carries and its Python type, in column order."""
    out: dict[str, type] = {}
    for column in metadata.tables[layer.table].columns:
        if column.key not in _NOT_PROPERTIES:
            out[column.key] = layer.field_type(column.key) if column.key in layer.fields else _python_type(column)
    return out


def _python_type(column: Any) -> type:
    """Return a column's Python type; a decorated type (UTC datetimes) by the type it wraps."""
    candidates: tuple[Any, ...] = (column.type, getattr(column.type, "impl_instance", None),
                                   getattr(column.type, "impl", None))
    for kind in candidates:
        try:
            found = getattr(kind, "python_type", None)
        except (AttributeError, NotImplementedError):
            continue
        for known in _TYPE_SCHEMA:
            if isinstance(found, type) and issubclass(found, known):
                return known
    return str


def _property(collection: Collection, name: str, kind: type) -> dict[str, Any]:
    title = label(name)
    prop: dict[str, Any] = {"title": str(title), **_TYPE_SCHEMA[kind]}
    allowed = collection.allowed_values(name)
    if allowed:
        prop["enum"] = list(allowed)
        prop["description"] = "; ".join(str(value_label(v)) for v in allowed)
    return prop


def queryable_names(layer: Layer) -> list[str]:
    """Return the properties ``/items`` filters on: the layer's own fields that are not decimals."""
    return [f for f in layer.fields if layer.field_type(f) is not float]


def _properties(collection: Collection, names: list[str]) -> dict[str, Any]:
    types = column_types(collection.layer)
    return {name: _property(collection, name, types[name]) for name in names}


def queryables(collection: Collection, url: str) -> dict[str, Any]:
    """Return the Part 3 queryables: the properties ``/items?<name>=<value>`` filters on."""
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": url, "type": "object",
            "title": text("ogc.queryables_title", title=collection.title()),
            "properties": _properties(collection, queryable_names(collection.layer)),
            "additionalProperties": False}


def feature_schema(collection: Collection, url: str) -> dict[str, Any]:
    """Return the JSON Schema of one GeoJSON feature of the collection (its ``describedby``).

    Every property a feature carries, with its type and Chinese title, and the one geometry type;
    GDAL's OAPIF driver types its fields from it (``beds`` Integer even when a page holds no beds).
    """
    props = _properties(collection, [n for n in column_types(collection.layer) if n != "id"])
    if collection.boundary:
        props[BOUNDARY_NOTE_PROPERTY] = {"title": "界线说明 boundary note", "type": "string",
                                         "const": text("ogc.boundary_note")}
    served = collection.served_as
    geometry: dict[str, Any] = {"title": str(label("geometry")), "type": "object",
                                "properties": {"type": {"type": "string"}, "coordinates": {"type": "array"}}}
    if served:
        geometry["properties"]["type"]["enum"] = [served]
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": url, "type": "object",
            "title": text("ogc.schema_title", title=collection.title()),
            "required": ["type", "geometry", "properties"],
            "properties": {"type": {"type": "string", "enum": ["Feature"]},
                           "id": {"title": str(label("id")), "type": "integer"},
                           "geometry": geometry,
                           "properties": {"type": "object", "properties": props}}}


# Property filters on /items -------------------------------------------------------------------

def _bad(param: str, kind: str, given: str) -> InputError:
    return InputError(text("ogc.bad_value", param=param, given=given[:80],
                           kind=Term(zh(f"ogc.type.{kind}"), en_text(f"ogc.type.{kind}"))), field=param)


def _parse(collection: Collection, name: str, raw: str) -> Any:
    layer = collection.layer
    kind = layer.field_type(name)
    if kind is str and (len(raw) > 1000 or any(ord(ch) < 32 for ch in raw)):
        raise _bad(name, "text", raw.encode("unicode_escape").decode("ascii"))
    if kind is int:
        if not raw.lstrip("-").isdigit() or not _INT32[0] <= int(raw) <= _INT32[1]:
            raise _bad(name, "integer", raw)
        return int(raw)
    if kind is bool:
        if raw.lower() not in ("true", "false"):
            raise _bad(name, "boolean", raw)
        return raw.lower() == "true"
    if kind is date:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise _bad(name, "date", raw) from None
    allowed = collection.allowed_values(name)
    if allowed and raw not in allowed:
        raise InputError(text("ogc.bad_enum", param=name, allowed=", ".join(allowed), given=raw[:80]), field=name)
    return raw


def property_filters(collection: Collection, params: Mapping[str, str], queryables_url: str) -> dict[str, Any]:
    """Return the equality filters of an ``/items`` request, typed; refuse unknown parameters.

    A mistyped filter is a 400 naming the queryables, not a silent full answer.
    """
    layer = collection.layer
    names = set(queryable_names(layer))
    filters: dict[str, Any] = {}
    for param, raw in params.items():
        if param in STANDARD_PARAMETERS:
            continue
        if param not in names:
            raise InputError(text("ogc.unknown_parameter", param=param[:80], url=queryables_url,
                                  queryables=", ".join(queryable_names(layer))), field=param[:80])
        given = params.getlist(param) if hasattr(params, "getlist") else [raw]
        if len(given) > 1:  # ?status=active&status=retired: the first was dropped without a word (review)
            raise InputError(text("ogc.repeated_parameter", param=param[:80], values=", ".join(v[:80] for v in given)),
                             field=param[:80])
        filters[param] = _parse(collection, param, raw)
    return filters
