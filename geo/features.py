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
from geo.store import Store
from geo.validation import check_range, check_text, geometry_problems, outside_china


def parse_geometry(obj: Any, *, crs: str, allowed: tuple[str, ...], field: str = "geometry"):
    """Return a GeoJSON geometry object as a validated EPSG:4490 shapely geometry."""
    if not isinstance(obj, Mapping):
        raise InvalidGeometry(f"{field} 须为 GeoJSON 几何对象 · {field} must be a GeoJSON geometry object", field=field)
    try:
        geom = shapely.geometry.shape(dict(obj))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise InvalidGeometry(f"{field} 不是有效的 GeoJSON 几何 · {field} is not a valid GeoJSON geometry: {exc}",
                              field=field) from None
    if not np.isfinite(shapely.get_coordinates(geom, include_z=bool(shapely.has_z(geom)))).all():
        raise InvalidGeometry(f"{field} 含非有限坐标 · {field} has a coordinate that is not a finite number",
                              field=field)
    geom = shapely.force_2d(geom)
    arr = np.array([geom], dtype=object)
    if C.normalise_crs(crs) != C.METRIC_CRS and outside_china(arr):
        raise OutsideChina(f"{field} lies outside China (check the CRS and the axis order)", field=field)
    problems = geometry_problems(arr, allowed)
    if problems:
        raise InvalidGeometry(f"{field} {problems[0][1]}", field=field)
    stored = C.geoms_to_storage(geom, crs)
    if outside_china(np.array([stored], dtype=object)):
        raise OutsideChina(f"{field} lies outside China after conversion from {crs}", field=field)
    return stored


def record_from_feature(layer_name: str, properties: Mapping[str, Any] | None, geometry: Any, *,
                        crs: str) -> dict[str, Any]:
    """Return a new record for ``layer_name`` from a feature's properties and geometry."""
    layer = get_layer(layer_name)
    props = dict(properties or {})
    for key, value in props.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{key} 须为有限数值 · {key} must be a finite number; got {value!r}", field=key)
    unknown = sorted(set(props) - set(layer.fields))
    if unknown:
        raise InputError(f"{layer_name} has no field {unknown[0]!r}; fields: {', '.join(layer.fields)}",
                         field=unknown[0])
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
            raise InputError(f"{layer_name} has no editable field {key!r}", field=key)
        if key in layer.required and (value is None or (isinstance(value, str) and not value.strip())):
            raise InputError(f"{key} is required and cannot be emptied", field=key)
        check_text(value, field=key)
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{key} 须为有限数值 · {key} must be a finite number; got {value!r}", field=key)
        changes[key] = coerce_value(value, table.c[key])
        if key in layer.required and changes[key] in (None, ""):
            raise InputError(f"{key} 为必填项，不能为空（或只有不可见字符）· {key} is required and cannot be "
                             "emptied", field=key)
        check_range(key, changes[key])
    if geometry is not None:
        changes["geometry"] = parse_geometry(geometry, crs=crs, allowed=layer.geometry_types)
    if not changes:
        raise InputError("nothing to change: send properties or geometry", field="properties")
    return changes
