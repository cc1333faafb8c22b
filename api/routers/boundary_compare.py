"""Another version of a boundary compared with ours over HTTP (``xincheng boundaries compare``): the file is
the request body, the answer the disputed parts as GeoJSON. Boundary roles only; nothing is stored."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import StoreDep, needs_role
from api.geojson import GEOJSON, answers_as
from geo import crs as C
from geo.boundaries.compare import BoundaryComparison, compare_boundary
from geo.io.formats import detect_format, read_features
from geo.layers import INSPECTORS
from geo.store import Store

Inspector = Annotated[dict[str, Any], Depends(needs_role(INSPECTORS, "comparing boundary versions"))]
MAX_UNZIPPED_BYTES = 160 * 1024 * 1024  # a zipped Shapefile of one boundary: 20 x the 8 MB request limit

router = APIRouter(prefix="/api/boundary-compare", tags=["boundaries 界线联检"])


def _compare_file(store: Store, path: Path, *, crs: str, kind: str, neighbour: str,
                  min_area_m2: float) -> BoundaryComparison:
    theirs, _info = read_features(path, crs=crs, fmt=kind, max_unzipped_bytes=MAX_UNZIPPED_BYTES)
    return compare_boundary(store, theirs, neighbour=neighbour, min_area_m2=min_area_m2)


def _answer(result: BoundaryComparison) -> dict[str, Any]:
    """Return the comparison as a GeoJSON FeatureCollection (EPSG:4490), one feature per disputed part."""
    frame = result.areas_frame()
    features = [{"type": "Feature", "id": int(row["part"]),
                 "properties": {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k != "geometry"},
                 "geometry": row["geometry"].__geo_interface__} for row in frame.to_dict("records")]
    shift = None if result.shift is None else {
        "east_m": round(result.shift.east_m, 1), "north_m": round(result.shift.north_m, 1),
        "distance_m": round(result.shift.distance_m, 1), "bearing_deg": round(result.shift.bearing_deg, 1)}
    return {"type": "FeatureCollection", "features": features, "neighbour": result.neighbour,
            "compared": result.compared, "described": result.described, "described_as": result.described_as,
            "line_code": result.line_code, "line_name": result.line_name,
            "total_m2": round(result.total_m2, 1), "total_mu": round(result.total_mu, 3),
            "markers": result.markers, "shift": shift, "warnings": result.warnings}


@router.post("", summary="界线比对 Compare another version of a boundary with ours",
             responses=answers_as(GEOJSON),
             openapi_extra={"requestBody": {"content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}, "required": True}})
async def post_compare(request: Request, store: StoreDep, user: Inspector,
                       neighbour: Annotated[str, Query(pattern=r"^\d{6}$",
                                                       description="相邻区划代码 adcode of the neighbour")],
                       crs: Annotated[str, Query(description="CRS of the file's coordinates")],
                       format: Annotated[str, Query(description="geojson, gpkg, shp (zipped), csv")] = "geojson",
                       min_area_m2: Annotated[float, Query(gt=0, le=1e9)] = 10.0) -> JSONResponse:
    """Compare the file in the body (our polygon, the neighbour's polygon or the shared line) with our data
    along the line with ``neighbour``; answer each disputed part (which unit the file draws it into, m²,
    亩, where, the stretch of the line, the markers near it) and warnings (a likely wrong CRS).

    An empty file, or one that resembles neither unit nor the line, is refused (422), never "no dispute".
    """
    kind = detect_format(Path("upload"), format)
    C.normalise_crs(crs)
    suffix = {"shp": ".zip"}.get(kind, f".{kind}")
    with tempfile.TemporaryDirectory() as tmp:  # the body is held to max_request_bytes by api.limits
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as fh:
            async for chunk in request.stream():
                fh.write(chunk)
        result = await run_in_threadpool(_compare_file, store, path, crs=crs, kind=kind, neighbour=neighbour,
                                         min_area_m2=min_area_m2)
    return JSONResponse(_answer(result), media_type=GEOJSON)
