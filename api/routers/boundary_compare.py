"""Another version of a boundary compared with ours over HTTP (``xincheng boundaries compare``): the file is
the request body, the answer the disputed parts as GeoJSON. Boundary roles only; nothing is stored."""

from __future__ import annotations

import math
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
from geo.errors import InputError
from geo.io.formats import detect_format, read_features
from geo.layers import INSPECTORS
from geo.messages import text
from geo.store import Store

Inspector = Annotated[dict[str, Any], Depends(needs_role(INSPECTORS, "comparing boundary versions"))]
MAX_MIN_AREA_M2 = 1e9
MAX_UNZIPPED_BYTES = 160 * 1024 * 1024  # a zipped Shapefile of one boundary: 20 x the 8 MB request limit

router = APIRouter(prefix="/api/boundary-compare", tags=["boundaries 界线联检"])


def _compare_file(store: Store, path: Path, *, crs: str, kind: str, neighbour: str,
                  min_area_m2: float) -> BoundaryComparison:
    theirs, info = read_features(path, crs=crs, fmt=kind, max_unzipped_bytes=MAX_UNZIPPED_BYTES)
    return compare_boundary(store, theirs, neighbour=neighbour, min_area_m2=min_area_m2,
                            source_crs=info["source_crs"], rows=info.get("file_rows") or 1)


def _min_area(raw: str) -> float:
    """Return ``min_area_m2`` as a number above 0 and at most :data:`MAX_MIN_AREA_M2`, or refuse it naming the
    rule (``nan`` and ``inf`` are not numbers here)."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(text("boundary_compare.min_area_not_number", got=raw, limit=f"{MAX_MIN_AREA_M2:g}"),
                         field="min_area_m2")
    if not 0 < value <= MAX_MIN_AREA_M2:
        raise InputError(text("boundary_compare.min_area_range", got=raw, limit=f"{MAX_MIN_AREA_M2:g}"),
                         field="min_area_m2")
    return value


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
            "markers": result.markers, "shift": shift, "warnings": result.warnings,
            "coverage": None if result.coverage is None else result.coverage.as_dict(), "partial": result.partial,
            "summary": _summary(result)}


def _summary(result: BoundaryComparison) -> str:
    """Return the one-line verdict: the parts found, or agreement only where the file covers the line."""
    coverage = result.coverage
    if result.areas:
        return text("boundary_compare.summary_parts", count=len(result.areas), area=f"{result.total_m2:,.0f}",
                    mu=f"{result.total_mu:,.2f}")
    if result.partial and coverage is not None:
        return text("boundary_compare.agree_partial", share=f"{coverage.share * 100:.0f}",
                    stretches=coverage.stretches_term(), min_area=f"{result.min_area_m2:g}",
                    rest=f"{(coverage.line_m - coverage.covered_m) / 1000:,.2f}", line=result.line_name)
    return text("boundary_compare.agree", line=result.line_name, min_area=f"{result.min_area_m2:g}")


@router.post("", summary="界线比对 Compare another version of a boundary with ours",
             responses=answers_as(GEOJSON),
             openapi_extra={"requestBody": {"content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}, "required": True}})
async def post_compare(request: Request, store: StoreDep, user: Inspector,
                       neighbour: Annotated[str, Query(pattern=r"^\d{6}$",
                                                       description="相邻区划代码 adcode of the neighbour")],
                       crs: Annotated[str, Query(description="CRS of the file's coordinates")],
                       format: Annotated[str, Query(description="geojson, gpkg, shp (zipped), csv")] = "geojson",
                       min_area_m2: Annotated[str, Query(description="最小差异面积（平方米） leave out smaller "
                                                                  "differences (m²), above 0, at most 1e9")] = "10"
                       ) -> JSONResponse:
    """Compare the file in the body (our polygon, the neighbour's polygon or the shared line) with our data
    along the line with ``neighbour``; answer each disputed part (which unit the file draws it into, m²,
    亩, where, the stretch of the line, the markers near it) and warnings (a likely wrong CRS).

    An empty file, or one that resembles neither unit nor the line, is refused (422), never "no dispute".
    """
    kind = detect_format(Path("upload"), format)
    C.normalise_crs(crs)
    min_area = _min_area(min_area_m2)
    suffix = {"shp": ".zip"}.get(kind, f".{kind}")
    with tempfile.TemporaryDirectory() as tmp:  # the body is held to max_request_bytes by api.limits
        path = Path(tmp) / f"upload{suffix}"
        size = 0
        with path.open("wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                fh.write(chunk)
        if size == 0:
            raise InputError(text("boundary_compare.empty_body"), field="file")
        result = await run_in_threadpool(_compare_file, store, path, crs=crs, kind=kind, neighbour=neighbour,
                                         min_area_m2=min_area)
    return JSONResponse(_answer(result), media_type=GEOJSON)
