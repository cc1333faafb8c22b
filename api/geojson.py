"""Store records to GeoJSON features, in the CRS the client asked for."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import shapely

from geo import crs as C

GEOJSON = "application/geo+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def answers_as(*media_types: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """Return a route's OpenAPI ``responses`` entry naming the media types of its answer."""
    return {status: {"content": {m: {"schema": {}} for m in media_types}}}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def to_features(records: list[dict[str, Any]], *, crs: str = C.STORAGE_CRS) -> list[dict[str, Any]]:
    """Return GeoJSON Feature dicts; geometries converted from EPSG:4490 to ``crs``."""
    geoms = np.array([r.get("geometry") for r in records], dtype=object)
    present = np.array([g is not None for g in geoms], dtype=bool)
    if present.any():
        geoms[present] = C.geoms_from_storage(np.asarray(list(geoms[present]), dtype=object), crs)
    features = []
    for rec, geom in zip(records, geoms, strict=True):
        props = {k: _jsonable(v) for k, v in rec.items() if k != "geometry"}
        features.append({"type": "Feature", "id": rec["id"], "properties": props,
                         "geometry": shapely.geometry.mapping(geom) if geom is not None else None})
    return features
