"""OGC API - Features (Part 1 Core, GeoJSON; Part 2 CRS; Part 3 queryables) for every layer, read-only, at /ogc.

QGIS and GDAL add the service as a source. Each collection holds one geometry type (see
api/ogc_collections.py). Public layers are open; officer-only layers (markers, plates with
households, graves, boundary lines) are listed and served only to a staff account, by bearer token,
by the officer pages' session cookie, or by HTTP Basic authentication whose password is an API
token (what QGIS's "Basic" authentication configuration and GDAL's ``GDAL_HTTP_USERPWD`` send), so
an anonymous client never meets a layer it cannot read.
Output CRS: CRS84 (default, lon/lat), EPSG:4490 and EPSG:4326 in their authority axis order
(lat, lon), as Part 2 requires.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Cookie, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from api import csrf
from api.deps import ReadsDep, SettingsDep, StoreDep, bearer_token, noted_user
from api.geojson import GEOJSON, answers_as, to_features
from api.ogc_collections import (
    BOUNDARY_NOTE_PROPERTY,
    COLLECTIONS,
    JSON_SCHEMA,
    REL_QUERYABLES,
    Collection,
    feature_schema,
    get_collection,
    history_id,
    property_filters,
    queryables,
    shows,
    split_ids,
    today_or_history,
)
from geo.errors import InputError, NotAuthenticated, NotFound
from geo.messages import en, text, value_labels, zh
from geo.store import Store
from geo.store.query import layer_extent, select_intersecting
from geo.types import Bbox
from geo.users import user_for_token

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
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
User = dict[str, Any]


def basic_token(authorization: str | None) -> tuple[str, str] | None:
    """Return the user name and password of an ``Authorization: Basic`` header, if any; a header
    that does not decode is a 401."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        name, sep, password = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        sep = ""
    if not sep:
        raise NotAuthenticated(text("accounts.token_invalid"), field="Authorization")
    return name, password


def ogc_user(request: Request, store: StoreDep, authorization: Annotated[str | None, Header()] = None,
             session: Annotated[str | None, Cookie(alias=csrf.SESSION_COOKIE)] = None) -> User | None:
    """Return the staff account reading: a bearer token or a Basic password that is a token (a
    wrong one is a 401; a Basic user name, when given, must be the token's), or a page session.

    GIS clients (QGIS 3.22 has no bearer authentication) send Basic; a password is never checked
    here, only tokens, so this adds no way to guess passwords. A stale session cookie reads as
    anonymous: the public layers stay readable from the browser. The account is noted on the request,
    so its reads wait for its own writes (api/write_marks.py).
    """
    user = _ogc_account(store, authorization, session)
    return None if user is None else noted_user(request, user)


def _ogc_account(store: Store, authorization: str | None, session: str | None) -> User | None:
    token = bearer_token(authorization)
    if token:
        return user_for_token(store, token)
    basic = basic_token(authorization)
    if basic is not None:
        name, token = basic
        user = user_for_token(store, token)
        if name and name.casefold() != str(user["username"]).casefold():
            raise NotAuthenticated(text("accounts.token_invalid"), field="Authorization")
        return user
    if session:
        try:
            return user_for_token(store, session)
        except NotAuthenticated:
            return None
    return None


OgcUser = Annotated[User | None, Depends(ogc_user)]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _can_read(collection: Collection, user: User | None) -> bool:
    return collection.layer.public or user is not None


def _readable(collection_id: str, user: User | None) -> Collection:
    collection = get_collection(collection_id)
    if not _can_read(collection, user):
        raise NotAuthenticated(text("ogc.officers_only", collection=collection_id), field="Authorization")
    return collection


def _crs(value: str | None, field: str) -> str:
    crs = value or CRS84
    if crs not in SUPPORTED_CRS:
        raise InputError(text("ogc.bad_crs", field=field, allowed=", ".join(SUPPORTED_CRS), given=repr(value)),
                         field=field)
    return crs


def _collection(request: Request, store: Store, collection: Collection) -> dict[str, Any]:
    base = f"{_base(request)}/collections/{collection.id}"
    box = layer_extent(store, collection.layer.table, where=today_or_history(collection, {}))  # the history's own
    title = collection.title()
    description = f"{title} · {title.en}"
    if collection.boundary:
        description += f"。{text('ogc.boundary_note')}"
    for field, values in collection.layer.history_where:
        if collection.history:
            note = text("ogc.history_only", values=value_labels(values, field=field),
                        today=collection.id.removesuffix("_history"))
        else:
            note = text("ogc.history_note", values=value_labels(values, field=field), history=history_id(collection),
                        param=field, value=values[0])
        description += f"。{note}"
    if not collection.listed:
        description += f"。{text('ogc.mixed_note', split=', '.join(split_ids(collection.layer)))}"
    return {
        "id": collection.id, "title": f"{title} {title.en}", "description": description,
        "itemType": "feature", "crs": list(SUPPORTED_CRS), "storageCrs": EPSG4490,
        "extent": {"spatial": {"bbox": [list(box)] if box else [], "crs": CRS84}},
        "links": [{"rel": "self", "type": "application/json", "href": base},
                  {"rel": "items", "type": GEOJSON, "href": f"{base}/items"},
                  {"rel": REL_QUERYABLES, "type": JSON_SCHEMA, "href": f"{base}/queryables"},
                  {"rel": "queryables", "type": JSON_SCHEMA, "href": f"{base}/queryables"},  # GDAL's name
                  {"rel": "describedby", "type": JSON_SCHEMA, "href": f"{base}/schema"}],
    }


@router.get("", summary="OGC API landing page")
def landing(request: Request) -> dict[str, Any]:
    """Return the landing page with links to the API definition, conformance and collections."""
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    return {"title": f"{zh('ogc.title')} {en('ogc.title')}", "description": text("ogc.description"),
            "links": [{"rel": "self", "type": "application/json", "href": base},
                      {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
                       "href": f"{root}/openapi.json"},
                      {"rel": "conformance", "type": "application/json", "href": f"{base}/conformance"},
                      {"rel": "data", "type": "application/json", "href": f"{base}/collections"}]}


@router.get("/conformance", summary="OGC API conformance")
def conformance() -> dict[str, Any]:
    """Return the conformance classes implemented."""
    return {"conformsTo": CONFORMANCE}


def _listed(store: Store, collection: Collection, user: User | None) -> bool:
    if not (collection.listed and _can_read(collection, user)):
        return False
    if not collection.partial:
        return True
    where = _public_where(collection, user, {})
    where = None if where is None else today_or_history(collection, where)
    if where is None:
        return False
    _, matched = select_intersecting(store, collection.layer.table, None, limit=1, where=where or None,
                                     geometry_types=collection.geometry_types)
    return matched > 0


@router.get("/collections", summary="OGC API collections")
def collections(request: Request, reads: ReadsDep, user: OgcUser) -> dict[str, Any]:
    """Return the collections this caller may read: the public ones, and to staff the officer-only ones.

    A kind of a mixed layer with no feature (no area among the railways, say) is left out: GDAL
    could give an empty layer no geometry type. Its URL still answers. Every OGC read is served by the
    read replica when it may (api.deps.Reads); the caller's account is looked up on the primary.
    """
    def read(store: Store) -> list[dict[str, Any]]:
        return [_collection(request, store, c) for c in COLLECTIONS.values() if _listed(store, c, user)]

    return {"links": [{"rel": "self", "type": "application/json", "href": f"{_base(request)}/collections"}],
            "collections": reads.run(read), "crs": list(SUPPORTED_CRS)}


@router.get("/collections/{collection_id}", summary="OGC API collection")
def collection(collection_id: str, request: Request, reads: ReadsDep, user: OgcUser) -> dict[str, Any]:
    """Return one collection (401 for an officer-only one without a staff account)."""
    found = _readable(collection_id, user)
    return reads.run(lambda store: _collection(request, store, found))


def _schema_response(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, media_type=JSON_SCHEMA)


@router.get("/collections/{collection_id}/queryables", summary="OGC API queryables (Part 3)",
            responses=answers_as(JSON_SCHEMA))
def collection_queryables(collection_id: str, request: Request, user: OgcUser) -> JSONResponse:
    """Return the properties ``/items`` filters on, as JSON Schema (``?kind=elder_care_station``)."""
    found = _readable(collection_id, user)
    return _schema_response(queryables(found, str(request.url.replace(query=""))))


@router.get("/collections/{collection_id}/schema", summary="OGC API feature schema",
            responses=answers_as(JSON_SCHEMA))
def collection_schema(collection_id: str, request: Request, user: OgcUser) -> JSONResponse:
    """Return the JSON Schema of the collection's features: every property, its type and title, the geometry."""
    found = _readable(collection_id, user)
    return _schema_response(feature_schema(found, str(request.url.replace(query=""))))


def _swap(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for f in features:
        if f["geometry"] is not None:
            geom = shapely.geometry.shape(f["geometry"])
            f["geometry"] = shapely.geometry.mapping(shapely.transform(geom, lambda xy: xy[:, ::-1]))
    return features


def _features(collection: Collection, records: list[dict[str, Any]], out_crs: str) -> list[dict[str, Any]]:
    """Return records as GeoJSON features as the collection serves them (type, axis order, 示意 label)."""
    for record in records:
        record["geometry"] = collection.shape(record.get("geometry"))
    features = to_features(records)
    if collection.boundary:
        note = text("ogc.boundary_note")
        for feature in features:
            feature["properties"][BOUNDARY_NOTE_PROPERTY] = note
    return _swap(features) if out_crs in LAT_LON else features


def _crs_header(crs: str) -> dict[str, str]:
    return {"Content-Crs": f"<{crs}>"}


def _public_where(collection: Collection, user: User | None, filters: dict[str, Any]) -> dict[str, Any] | None:
    """Return the filters with what the public may see; ``None`` when they cannot both hold."""
    if user is None:
        for key, value in collection.layer.public_where:
            if filters.get(key, value) != value:
                return None
            filters[key] = value
    return filters


@router.get("/collections/{collection_id}/items", responses=answers_as(GEOJSON), summary="OGC API items")
def items(collection_id: str, request: Request, reads: ReadsDep, settings: SettingsDep, user: OgcUser,
          bbox: str | None = None, bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
          crs: str | None = None, limit: Annotated[int, Query(ge=1)] = 10,
          offset: Annotated[int, Query(ge=0)] = 0) -> JSONResponse:
    """Return features (GeoJSON), bounded by ``limit`` (clamped), with ``next`` links and counts.

    Any queryable property filters by equality (``?kind=elder_care_station&status=active``); an
    unknown parameter is a 400 naming the queryables.
    """
    found = _readable(collection_id, user)
    out_crs = _crs(crs, "crs")
    base = f"{_base(request)}/collections/{found.id}"
    filters = property_filters(found, request.query_params, f"{base}/queryables")
    box = None
    if bbox:
        in_crs = _crs(bbox_crs, "bbox-crs")
        parts = bbox.split(",")
        if in_crs in LAT_LON and len(parts) == 4:  # authority order: lat_min, lon_min, lat_max, lon_max
            parts = [parts[1], parts[0], parts[3], parts[2]]
        box = Bbox.parse(",".join(parts)).as_tuple()
    page = min(limit, settings.max_page_size)
    where = _public_where(found, user, filters)
    where = None if where is None else today_or_history(found, where)
    records: list[dict[str, Any]] = []
    matched = 0
    if where is not None:
        records, matched = reads.run(lambda store: select_intersecting(
            store, found.layer.table, box, limit=page, offset=offset, where=where or None,
            geometry_types=found.geometry_types))
    features = _features(found, records, out_crs)
    links = [{"rel": "self", "type": GEOJSON, "href": str(request.url)}]
    if offset + len(records) < matched:
        links.append({"rel": "next", "type": GEOJSON,
                      "href": str(request.url.include_query_params(offset=offset + page, limit=page))})
    body = {"type": "FeatureCollection", "features": features, "numberMatched": matched,
            "numberReturned": len(features), "links": links}
    return JSONResponse(body, media_type=GEOJSON, headers=_crs_header(out_crs))


@router.get("/collections/{collection_id}/items/{feature_id}", responses=answers_as(GEOJSON), summary="OGC API item")
def item(collection_id: str, feature_id: int, reads: ReadsDep, user: OgcUser,
         crs: str | None = None) -> JSONResponse:
    """Return one feature (404 when it is of another geometry kind, or not public)."""
    found = _readable(collection_id, user)
    out_crs = _crs(crs, "crs")
    record = reads.run(lambda store: store.get(found.layer.table, feature_id))
    hidden = user is None and any(record.get(k) != v for k, v in found.layer.public_where)
    if hidden or not found.holds(record.get("geometry")) or not shows(found, record):
        raise NotFound(text("ogc.no_feature", collection=collection_id, fid=feature_id), field="featureId")
    return JSONResponse(_features(found, [record], out_crs)[0], media_type=GEOJSON, headers=_crs_header(out_crs))
