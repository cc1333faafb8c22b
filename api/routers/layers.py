"""GeoJSON read endpoints per layer (bbox, paging, output CRS), role-checked edits, import, export."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask

from api.deps import OptionalUserDep, SettingsDep, StoreDep, UserDep, require_role
from api.feature_models import (
    FEATURE_IN,
    FEATURE_PATCH,
    AnyFeatureIn,
    AnyFeaturePatch,
    layer_fields,
    sent,
    validate_body,
)
from api.geojson import GEOJSON, answers_as, to_features
from api.import_places import import_place
from geo import crs as C
from geo.errors import InputError, NotAuthenticated, NotFound
from geo.features import changes_from_patch, record_from_feature
from geo.generic_writes import Written, create_feature, update_feature
from geo.io.formats import FORMATS, detect_format, export_encoding, import_encoding
from geo.io.importer import export_layer, import_file
from geo.layers import ADMIN, LAYERS, Layer, get_layer
from geo.messages import label, text
from geo.store.query import select_intersecting
from geo.types import Bbox
from geo.write_rules import CREATE_ONLY_THROUGH, check_generic_create, guarded_fields

router = APIRouter(prefix="/api/layers", tags=["layers 图层"])
_MEDIA = {"geojson": GEOJSON, "gpkg": "application/geopackage+sqlite3", "csv": "text/csv",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "shp": "application/zip"}


LayerName = Annotated[str, PathParam(description="图层 layer: " + ", ".join(LAYERS),
                                     json_schema_extra={"enum": list(LAYERS)})]


def _readable(name: str, user: dict[str, Any] | None) -> Layer:
    layer = get_layer(name)
    if not layer.public and user is None:
        raise NotAuthenticated(text("http.layer_officers_only", layer=name), field="Authorization")
    return layer


@router.get("", summary="图层列表 List layers")
def list_layers(store: StoreDep) -> list[dict[str, Any]]:
    """Return every layer with its titles, geometry types, count and whether it is public."""
    return [{"name": lyr.name, "title": f"{lyr.title_zh} {lyr.title_en}", "title_zh": lyr.title_zh,
             "title_en": lyr.title_en, "geometry_types": list(lyr.geometry_types), "public": lyr.public,
             "editor_roles": sorted(lyr.editor_roles), "count": store.count(lyr.table)}
            for lyr in LAYERS.values()]


@router.get("/{layer}/features", responses=answers_as(GEOJSON), summary="要素查询 Features (GeoJSON)")
def get_features(
    layer: LayerName, request: Request, store: StoreDep, settings: SettingsDep, user: OptionalUserDep,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy")] = None,
    bbox_crs: Annotated[str, Query(description="CRS of bbox")] = C.STORAGE_CRS,
    crs: Annotated[str, Query(description="CRS of the output geometries")] = C.STORAGE_CRS,
    limit: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """Return one page of a layer's features, optionally within a bounding box."""
    lyr = _readable(layer, user)
    out_crs = C.normalise_crs(crs, field="crs")
    box = Bbox.parse(bbox, crs=bbox_crs).as_tuple() if bbox else None
    if limit is not None and limit > settings.max_page_size:
        raise InputError(text("http.page_too_large", field=label("limit"), limit=limit,
                              largest=settings.max_page_size), field="limit")
    page = limit or settings.default_page_size
    where = dict(lyr.public_where) if user is None else None
    records, matched = select_intersecting(store, lyr.table, box, limit=page, offset=offset, where=where)
    links = [{"rel": "self", "href": str(request.url)}]
    if offset + len(records) < matched:
        links.append({"rel": "next", "href": str(request.url.include_query_params(offset=offset + page,
                                                                                   limit=page))})
    if offset > 0:
        links.append({"rel": "prev", "href": str(request.url.include_query_params(
            offset=max(offset - page, 0), limit=page))})
    body = {"type": "FeatureCollection", "features": to_features(records, crs=out_crs),
            "numberMatched": matched, "numberReturned": len(records), "crs": out_crs, "links": links}
    return JSONResponse(body, media_type=GEOJSON)


@router.get("/{layer}/features/{fid}", responses=answers_as(GEOJSON), summary="单个要素 One feature")
def get_feature(layer: LayerName, fid: int, store: StoreDep, user: OptionalUserDep,
                crs: str = C.STORAGE_CRS) -> JSONResponse:
    """Return one feature with its version (send it back with an update)."""
    lyr = _readable(layer, user)
    record = store.get(lyr.table, fid)
    if user is None and any(record.get(k) != v for k, v in lyr.public_where):
        raise NotFound(text("http.no_public_record", layer=layer, id=fid), field="id")
    feature = to_features([record], crs=C.normalise_crs(crs, field="crs"))[0]
    return JSONResponse(feature, media_type=GEOJSON)


def layer_editor(layer: LayerName, user: UserDep) -> dict[str, Any]:
    """Return the user if they may edit ``layer`` (a dependency: checked before the body is read)."""
    require_role(user, get_layer(layer).editor_roles, what=f"editing {layer}")
    return user


def layer_importer(layer: str, user: UserDep) -> dict[str, Any]:
    """Return the user if they may import into ``layer``: its editors and admins."""
    require_role(user, get_layer(layer).editor_roles | {ADMIN}, what=f"importing into {layer}")
    return user


EditorDep = Annotated[dict[str, Any], Depends(layer_editor)]


def _feature_with_warnings(written: Written) -> dict[str, Any]:
    """Return the stored feature; warnings (if any) ride along as a foreign member."""
    feature = to_features([written.record])[0]
    if written.warnings:
        feature["warnings"] = written.warnings
    return feature


_RULES_TEXT = (
    "只能写入不带业务规则的字段；状态、编码、决定等字段须经对应用例，否则 422 并指明应使用的接口。"
    "Only fields that carry no domain rule may be written here; lifecycle, identity and decision fields "
    "are refused (422) naming the endpoint to use. Enumerations: "
    + "; ".join(f"{lyr.name}.{f}: {' | '.join(v)}" for lyr in LAYERS.values() for f, v in lyr.choices)
    + ". Rule fields: "
    + "; ".join(f"{name}: {', '.join(guarded_fields(name))}" for name in LAYERS if guarded_fields(name)))


_BODY_TEXT = (" 请求体按路径中的图层校验（OpenAPI 列出每个图层的模型）：类型错误、未知属性或枚举外取值均为 422，"
              "并指明字段 · The body is validated against the model of the layer in the path (OpenAPI lists "
              "every layer's model): a wrong type, an unknown property or a value outside an enumeration is a "
              "422 naming the field.")


@router.post("/{layer}/features", status_code=201, responses=answers_as(GEOJSON, status=201),
             summary="新增要素 Create a feature", description=_RULES_TEXT + _BODY_TEXT)
def post_feature(layer: LayerName, body: AnyFeatureIn, store: StoreDep, user: EditorDep,
                 crs: str = C.STORAGE_CRS) -> JSONResponse:
    """Create a feature; the geometry is given in ``crs`` and stored in EPSG:4490."""
    lyr = get_layer(layer)
    if layer in CREATE_ONLY_THROUGH:  # whatever the body holds: this layer has its own use case
        check_generic_create(layer, {})
    feature = validate_body(FEATURE_IN[layer], body, layer_fields(lyr))
    record = record_from_feature(layer, sent(feature.properties), feature.geometry, crs=crs)
    written = create_feature(store, layer, record, actor=user["username"])
    return JSONResponse(_feature_with_warnings(written), status_code=201, media_type=GEOJSON)


@router.patch("/{layer}/features/{fid}", responses=answers_as(GEOJSON), summary="修改要素 Update a feature",
              description=_RULES_TEXT + _BODY_TEXT)
def patch_feature(layer: LayerName, fid: int, body: AnyFeaturePatch, store: StoreDep, user: EditorDep,
                  crs: str = C.STORAGE_CRS) -> JSONResponse:
    """Update a feature if it is still at ``version``; a stale version gets 409, nothing merged."""
    lyr = get_layer(layer)
    patch = validate_body(FEATURE_PATCH[layer], body, layer_fields(lyr))
    changes = changes_from_patch(layer, sent(patch.properties), patch.geometry, crs=crs)
    written = update_feature(store, layer, fid, changes, expected_version=patch.version, actor=user["username"])
    return JSONResponse(_feature_with_warnings(written), media_type=GEOJSON)


_MODE_TEXT = (
    "insert (默认 default): 文件中已在库的行 (导出的 id 列, 或 plate_uid、marker_no、code、"
    "line_code、place_code) 使整个导入被拒绝 (409) · rows naming stored records (by the "
    "exported id or their identifier) refuse the whole import. upsert: 这些行作为更新, "
    "按 version 列核对版本, 过时则 409; 其余行新增 · such rows update their records "
    "(a stale version column: 409) and the rest are inserted")
ImportMode = Annotated[Literal["insert", "upsert"], Query(description=_MODE_TEXT)]


@router.post("/{layer}/import", summary="导入文件 Import a file",
             openapi_extra={"requestBody": {"content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}, "required": True}})
async def post_import(layer: str, request: Request, store: StoreDep,
                      user: Annotated[dict[str, Any], Depends(layer_importer)],
                      crs: Annotated[str, Query(description="CRS of the file's coordinates")],
                      format: Annotated[str, Query(description=", ".join(FORMATS))],
                      encoding: str | None = None, x_col: str | None = None,
                      y_col: str | None = None, mode: ImportMode = "insert") -> dict[str, Any]:
    """Import a whole file (the request body) into a layer: all of it or nothing.

    With ``mode=insert`` (the default) a file with rows that are already stored is refused (409),
    so an export imported again never doubles a layer; ``mode=upsert`` updates those records
    (only fields that carry no rule; version-checked when the file has a ``version`` column) and
    inserts the other rows. The answer counts what was inserted, updated and left unchanged.
    """
    kind = detect_format(Path("upload"), format)
    C.normalise_crs(crs)
    import_encoding(encoding)  # every parameter checked before a place is taken (a busy server answers 429)
    suffix = {"shp": ".zip"}.get(kind, f".{kind}")
    # The body's size is held to max_upload_bytes by api.limits; it is read in one of the import places.
    with import_place(request, username=user["username"]), tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as fh:
            async for chunk in request.stream():
                fh.write(chunk)
        report = await run_in_threadpool(import_file, store, layer, path, crs=crs,
                                         actor=user["username"], fmt=kind, encoding=encoding,
                                         x_col=x_col, y_col=y_col, mode=mode)
    return report.summary()


@router.get("/{layer}/export", responses=answers_as(*_MEDIA.values()), summary="导出 Export a layer")
def get_export(layer: str, store: StoreDep, user: OptionalUserDep, format: str = "gpkg",
               crs: str = C.STORAGE_CRS, encoding: str = "UTF-8") -> FileResponse:
    """Return a layer as a GeoPackage, GeoJSON, CSV or XLSX file."""
    lyr = _readable(layer, user)
    if user is None and lyr.public_where:
        raise NotAuthenticated(text("http.export_needs_login", layer=layer), field="Authorization")
    kind = detect_format(Path("export"), format)
    if kind == "shp":
        raise InputError(text("http.shapefile_by_cli"), field="format")
    tmp = tempfile.TemporaryDirectory()
    path = Path(tmp.name) / f"{lyr.name}.{kind}"
    try:
        export_layer(store, lyr.name, path, fmt=kind, crs=crs, encoding=encoding)
    except Exception:
        tmp.cleanup()
        raise
    charset = export_encoding(encoding).lower().replace("utf-8-sig", "utf-8")
    media = _MEDIA[kind] + (f"; charset={charset}" if kind == "csv" else "")  # a GB 18030 file says so
    return FileResponse(path, media_type=media, filename=path.name,
                        background=BackgroundTask(tmp.cleanup))
