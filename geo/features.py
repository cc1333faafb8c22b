"""Turn one GeoJSON feature (or a patch of one) into a validated store record.

The same validation and type coercion as a file import, so the API and the CLI agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs as C
from geo.errors import InputError, InvalidGeometry, OutsideChina
from geo.io.importer import coerce_value, prepare_records
from geo.layers import get_layer
from geo.messages import as_term, label, labels, layer_label, text
from geo.store import Store
from geo.validation import check_range, check_text, geometry_problems, outside_china

# GeoJSON geometry type → how deep its positions are nested in "coordinates" (RFC 7946 §3.1).
POSITION_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
                  "MultiPolygon": 3}


def geojson_shape_problem(obj: Mapping[str, Any]) -> str | None:
    """Return the message key of what is wrong with a GeoJSON geometry's structure, or None.

    Checked before shapely reads it, so a missing type or a one-number position is said in words a
    user can act on, not in the words of a library's internals.
    """
    kind = obj.get("type")
    if kind == "GeometryCollection":
        parts = obj.get("geometries")
        if not isinstance(parts, list | tuple):
            return "checks.geojson_no_geometries"
        for part in parts:
            problem = geojson_shape_problem(part) if isinstance(part, Mapping) else "checks.geojson_type"
            if problem is not None:
                return problem
        return None
    if not isinstance(kind, str) or kind not in POSITION_DEPTH:
        return "checks.geojson_type"
    coordinates = obj.get("coordinates")
    if not isinstance(coordinates, list | tuple):  # tuples: shapely's own mapping() of a geometry
        return "checks.geojson_no_coordinates"
    level = [coordinates]
    for depth in range(POSITION_DEPTH[kind]):
        if not all(isinstance(x, list | tuple) for x in level):
            return "checks.geojson_nesting"
        if depth and any(len(x) == 0 for x in level):  # a part or ring with no position: [[ring], []]
            return "checks.geojson_empty_part"
        level = [item for x in level for item in x]
    for position in level:
        if not isinstance(position, list | tuple) or not 2 <= len(position) <= 3:
            return "checks.geojson_position"
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position):
            return "checks.geojson_position"
    return None


def parse_geometry(obj: Any, *, crs: str, allowed: tuple[str, ...], field: str = "geometry"):
    """Return a GeoJSON geometry object as a validated EPSG:4490 shapely geometry."""
    if not isinstance(obj, Mapping):
        raise InvalidGeometry(text("checks.not_geojson", field=label(field)), field=field)
    shape_problem = geojson_shape_problem(obj)
    if shape_problem is not None:
        raise InvalidGeometry(text("checks.bad_geojson", field=label(field), reason=as_term(text(shape_problem))),
                              field=field)
    try:
        geom = shapely.geometry.shape(dict(obj))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise InvalidGeometry(text("checks.bad_geojson", field=label(field), reason=exc), field=field) from None
    if not np.isfinite(shapely.get_coordinates(geom, include_z=bool(shapely.has_z(geom)))).all():
        problem = as_term(text("checks.nonfinite_coordinate"))
        raise InvalidGeometry(text("checks.geometry", field=label(field), problem=problem), field=field)
    geom = shapely.force_2d(geom)
    arr = np.array([geom], dtype=object)
    if C.normalise_crs(crs) != C.METRIC_CRS and outside_china(arr):
        raise OutsideChina(text("checks.geometry_outside_china", field=label(field)), field=field)
    problems = geometry_problems(arr, allowed)
    if problems:
        raise InvalidGeometry(text("checks.geometry", field=label(field), problem=as_term(problems[0][1])), field=field)
    stored = C.geoms_to_storage(geom, crs)
    if outside_china(np.array([stored], dtype=object)):
        raise OutsideChina(text("checks.outside_china_after", field=label(field), crs=crs), field=field)
    return stored


def record_from_feature(layer_name: str, properties: Mapping[str, Any] | None, geometry: Any, *,
                        crs: str) -> dict[str, Any]:
    """Return a new record for ``layer_name`` from a feature's properties and geometry."""
    layer = get_layer(layer_name)
    props = dict(properties or {})
    for key, value in props.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(text("checks.finite_number", field=label(key), value=repr(value)), field=key)
    unknown = sorted(set(props) - set(layer.fields))
    if unknown:
        raise InputError(text("checks.unknown_field", layer=layer_label(layer_name, layer.title_zh),
                              field=repr(unknown[0]), fields=labels(layer.fields)), field=unknown[0])
    geom = parse_geometry(geometry, crs=crs, allowed=layer.geometry_types)
    frame = gpd.GeoDataFrame(pd.DataFrame([props]), geometry=gpd.GeoSeries([geom], crs="EPSG:4490"))
    records, _ignored = prepare_records(frame, layer_name, source_crs=C.STORAGE_CRS)
    return records[0]


def changes_from_patch(layer_name: str, properties: Mapping[str, Any] | None, geometry: Any, *,
                       crs: str) -> dict[str, Any]:
    """Return validated changes for an update: only the layer's fields, coerced to their types."""
    layer = get_layer(layer_name)
    table = Store.table(layer.table)
    changes: dict[str, Any] = {}
    for key, value in (properties or {}).items():
        if key not in layer.fields:
            raise InputError(text("checks.not_editable", layer=layer_label(layer_name, layer.title_zh),
                                  field=repr(key)), field=key)
        if key in layer.required and (value is None or (isinstance(value, str) and not value.strip())):
            raise InputError(text("checks.cannot_empty", field=label(key)), field=key)
        check_text(value, field=key)
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(text("checks.finite_number", field=label(key), value=repr(value)), field=key)
        changes[key] = coerce_value(value, table.c[key])
        if key in layer.required and changes[key] in (None, ""):
            raise InputError(text("checks.cannot_empty", field=label(key)), field=key)
        check_range(key, changes[key])
    if geometry is not None:
        changes["geometry"] = parse_geometry(geometry, crs=crs, allowed=layer.geometry_types)
    if not changes:
        raise InputError(text("checks.nothing_to_change"), field="properties")
    return changes
