"""OGC API - Features (Part 1 Core, GeoJSON; Part 2 CRS) for every layer, read-only, at /ogc.

QGIS and GDAL add the service as a source. Public layers are open; officer-only layers (markers,
plates with households, graves) need a bearer token. Output CRS: CRS84 (default, lon/lat),
EPSG:4490 and EPSG:4326 in their authority axis order (lat, lon), as Part 2 requires.
"""

from __future__ import annotations

from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.deps import OptionalUserDep, SettingsDep, StoreDep
from api.geojson import GEOJSON, answers_as, to_features
from geo.errors import InputError, NotAuthenticated, NotFound
from geo.layers import LAYERS, Layer, get_layer
from geo.store import Store
from geo.store.query import layer_extent, select_intersecting
from geo.types import Bbox

router = APIRouter(prefix="/ogc", tags=["OGC API Features"])
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
SUPPORTED_CRS = (CRS84, EPSG4490, EPSG4326)
LAT_LON = {EPSG4490, EPSG4326}  # authority axis order: latitude first
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _readable(name: str, user: dict[str, Any] | None) -> Layer:
    layer = get_layer(name)
    if not layer.public and user is None:
        raise NotAuthenticated(f"collection {name} is for officers only: send a bearer token", field="Authorization")
    return layer


def _crs(value: str | None, field: str) -> str:
    crs = value or CRS84
    if crs not in SUPPORTED_CRS:
        raise InputError(f"{field} must be one of {', '.join(SUPPORTED_CRS)}; got {value!r}", field=field)
    return crs


def _extent(store: Store, layer: Layer) -> list[float] | None:
    box = layer_extent(store, layer.table)
    return None if box is None else list(box)


def _collection(request: Request, store: Store, layer: Layer) -> dict[str, Any]:
    base = _base(request)
    extent = _extent(store, layer)
    return {
        "id": layer.name, "title": f"{layer.title_zh} {layer.title_en}", "description": layer.title_en,
        "itemType": "feature", "crs": list(SUPPORTED_CRS), "storageCrs": EPSG4490,
        "extent": {"spatial": {"bbox": [extent] if extent else [], "crs": CRS84}},
        "links": [{"rel": "self", "type": "application/json", "href": f"{base}/collections/{layer.name}"},
                  {"rel": "items", "type": GEOJSON, "href": f"{base}/collections/{layer.name}/items"}],
    }


@router.get("", summary="OGC API landing page")
def landing(request: Request) -> dict[str, Any]:
    """Return the landing page with links to the API definition, conformance and collections."""
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    return {"title": "新城区民政地理信息服务 Xincheng civil-affairs GIS (OGC API - Features)",
            "description": "标准地名、街路巷、设施等图层 · names, streets, facilities and other layers",
            "links": [{"rel": "self", "type": "application/json", "href": base},
                      {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
                       "href": f"{root}/openapi.json"},
                      {"rel": "conformance", "type": "application/json", "href": f"{base}/conformance"},
                      {"rel": "data", "type": "application/json", "href": f"{base}/collections"}]}


@router.get("/conformance", summary="OGC API conformance")
def conformance() -> dict[str, Any]:
    """Return the conformance classes implemented."""
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", summary="OGC API collections")
def collections(request: Request, store: StoreDep) -> dict[str, Any]:
    """Return every layer as a collection (officer-only ones too; their items need a token)."""
    return {"links": [{"rel": "self", "type": "application/json", "href": f"{_base(request)}/collections"}],
            "collections": [_collection(request, store, layer) for layer in LAYERS.values()],
            "crs": list(SUPPORTED_CRS)}


@router.get("/collections/{collection_id}", summary="OGC API collection")
def collection(collection_id: str, request: Request, store: StoreDep) -> dict[str, Any]:
    """Return one collection."""
    return _collection(request, store, get_layer(collection_id))


def _swap(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for f in features:
        if f["geometry"] is not None:
            geom = shapely.geometry.shape(f["geometry"])
            f["geometry"] = shapely.geometry.mapping(shapely.transform(geom, lambda xy: xy[:, ::-1]))
    return features


def _crs_header(crs: str) -> dict[str, str]:
    return {"Content-Crs": f"<{crs}>"}


@router.get("/collections/{collection_id}/items", responses=answers_as(GEOJSON), summary="OGC API items")
def items(collection_id: str, request: Request, store: StoreDep, settings: SettingsDep, user: OptionalUserDep,
          bbox: str | None = None, bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
          crs: str | None = None, limit: Annotated[int, Query(ge=1)] = 10,
          offset: Annotated[int, Query(ge=0)] = 0) -> JSONResponse:
    """Return features (GeoJSON), bounded by ``limit`` (clamped), with ``next`` links and counts."""
    layer = _readable(collection_id, user)
    out_crs = _crs(crs, "crs")
    box = None
    if bbox:
        in_crs = _crs(bbox_crs, "bbox-crs")
        parts = bbox.split(",")
        if in_crs in LAT_LON and len(parts) == 4:  # authority order: lat_min, lon_min, lat_max, lon_max
            parts = [parts[1], parts[0], parts[3], parts[2]]
        box = Bbox.parse(",".join(parts)).as_tuple()
    page = min(limit, settings.max_page_size)
    where = dict(layer.public_where) if user is None else None
    records, matched = select_intersecting(store, layer.table, box, limit=page, offset=offset, where=where)
    features = to_features(records)
    if out_crs in LAT_LON:
        features = _swap(features)
    links = [{"rel": "self", "type": GEOJSON, "href": str(request.url)}]
    if offset + len(records) < matched:
        links.append({"rel": "next", "type": GEOJSON,
                      "href": str(request.url.include_query_params(offset=offset + page, limit=page))})
    body = {"type": "FeatureCollection", "features": features, "numberMatched": matched,
            "numberReturned": len(features), "links": links}
    return JSONResponse(body, media_type=GEOJSON, headers=_crs_header(out_crs))


@router.get("/collections/{collection_id}/items/{feature_id}", responses=answers_as(GEOJSON), summary="OGC API item")
def item(collection_id: str, feature_id: int, store: StoreDep, user: OptionalUserDep,
         crs: str | None = None) -> JSONResponse:
    """Return one feature."""
    layer = _readable(collection_id, user)
    out_crs = _crs(crs, "crs")
    record = store.get(layer.table, feature_id)
    if user is None and any(record.get(k) != v for k, v in layer.public_where):
        raise NotFound(f"{collection_id} has no public feature {feature_id}", field="featureId")
    features = to_features([record])
    if out_crs in LAT_LON:
        features = _swap(features)
    return JSONResponse(features[0], media_type=GEOJSON, headers=_crs_header(out_crs))

