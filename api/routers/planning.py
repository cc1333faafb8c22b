"""Planning endpoints: 15-minute coverage, floor area, siting, burial-ban zones, indicators, reports.

For planners and admins (results include door plates and households).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, StrictInt
from starlette.background import BackgroundTask

from api.cache import cached_run
from api.deps import StoreDep, UserDep, needs_role
from api.geojson import GEOJSON, XLSX, answers_as
from geo import crs as C
from geo.errors import InputError
from geo.features import parse_geometry
from geo.layers import ADMIN, PLANNER
from geo.messages import label, text, value_labels
from geo.planning.cemeteries import check_site
from geo.planning.coverage import STATUS, service_areas
from geo.planning.floor_area import get_norm, shortfalls
from geo.planning.run import (
    PlanningRun,
    parse_kinds,
    run_accessibility,
    run_siting,
    walk_params,
)
from maps.report import report_html, write_report_xlsx

ROLES = frozenset({ADMIN, PLANNER})
router = APIRouter(prefix="/api/planning", tags=["planning 规划"],
                   dependencies=[Depends(needs_role(ROLES, "planning results"))])


def _run(request: Request, store, user, preset: str, minutes: float | None, speed_m_per_s: float | None,
         kinds: str | None) -> PlanningRun:
    return cached_run(request.app.state.cache, store, walk_params(preset, minutes, speed_m_per_s), parse_kinds(kinds))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def _params(run: PlanningRun) -> dict[str, Any]:
    p = run.params
    return {"minutes": p.minutes, "speed_m_per_s": p.speed_m_per_s, "reach_m": p.reach_m,
            "max_attach_m": p.max_attach_m, "kinds": list(run.kinds), "described": p.describe()}


Preset = Annotated[str, Query(description="default (1.0 m/s) or elderly (0.9 m/s)")]
MAX_K = 50                 # new stations one siting run may choose (as GET /report's k)
MAX_CANDIDATES = 2000      # candidate sites one siting run may be given
MAX_RINGS = 100            # rings of a polygon, polygons of a multipolygon (a proposed site)
MAX_RING_POSITIONS = 10_000
Minutes = Annotated[float | None, Query(ge=1, le=120)]
Speed = Annotated[float | None, Query(ge=0.1, le=3)]


@router.get("/coverage", summary="一刻钟覆盖 15-minute coverage by unit")
def get_coverage(request: Request, store: StoreDep, user: UserDep, preset: Preset = "default",
                 minutes: Minutes = None, speed_m_per_s: Speed = None, kinds: str | None = None) -> dict[str, Any]:
    """Return covered households and residents 60+ per community, sub-district and district."""
    run = _run(request, store, user, preset, minutes, speed_m_per_s, kinds)
    counts = run.access["status"].value_counts().reindex(list(STATUS), fill_value=0)
    return {"parameters": _params(run), "plates_by_status": {k: int(v) for k, v in counts.items()},
            "unattached_facilities": run.unattached_facilities, "units": _records(run.coverage)}


@router.get("/coverage/plates", summary="门牌步行时间 Plates and their walking time")
def get_coverage_plates(request: Request, store: StoreDep, user: UserDep, status: str | None = None,
                        preset: Preset = "default", minutes: Minutes = None, speed_m_per_s: Speed = None,
                        kinds: str | None = None, limit: Annotated[int, Query(ge=1, le=5000)] = 500,
                        offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Return plates with distance, minutes and status (e.g. ``status=beyond`` for the uncovered)."""
    run = _run(request, store, user, preset, minutes, speed_m_per_s, kinds)
    if status is not None and status not in STATUS:
        raise InputError(text("common.choice", field=label("status"), value=repr(status), allowed=value_labels(STATUS)),
                         field="status")
    acc = run.access if status is None else run.access[run.access["status"] == status]
    page = acc.iloc[offset:offset + limit]
    plates = run.inputs.plates.iloc[page["plate_index"].to_numpy()]
    rows = pd.DataFrame({"plate_uid": plates["plate_uid"].to_numpy(), "street_name": plates["street_name"].to_numpy(),
                         "number": plates["number"].to_numpy(), "community_code": plates["community_code"].to_numpy(),
                         "status": page["status"].to_numpy(), "distance_m": page["distance_m"].round(1).to_numpy(),
                         "minutes": page["minutes"].round(2).to_numpy(), "facility": page["facility"].to_numpy()})
    return {"parameters": _params(run), "numberMatched": len(acc), "numberReturned": len(rows),
            "plates": _records(rows)}


@router.get("/coverage/service-areas", responses=answers_as(GEOJSON), summary="服务范围 Service areas (GeoJSON)")
def get_service_areas(request: Request, store: StoreDep, user: UserDep, preset: Preset = "default",
                      minutes: Minutes = None, speed_m_per_s: Speed = None, kinds: str | None = None) -> JSONResponse:
    """Return one walking service-area polygon per facility."""
    run = _run(request, store, user, preset, minutes, speed_m_per_s, kinds)
    areas = service_areas(run.network, run.care_facilities, run.params)
    return JSONResponse(json.loads(areas.to_json(drop_id=True)), media_type=GEOJSON)


@router.get("/accessibility", summary="可达供给 Capacity-aware accessibility (2SFCA)")
def get_accessibility(request: Request, store: StoreDep, user: UserDep, preset: Preset = "default",
                      minutes: Minutes = None, speed_m_per_s: Speed = None, kinds: str | None = None,
                      supply: Annotated[str, Query(description="floor_area_m2 or beds")] = "floor_area_m2"
                      ) -> dict[str, Any]:
    """Return the two-step floating catchment score per unit (supply per 100 residents 60+ on foot)."""
    run = _run(request, store, user, preset, minutes, speed_m_per_s, kinds)
    acc = request.app.state.cache.get(store, ("accessibility", run.params, run.kinds, supply),
                                      lambda: run_accessibility(run, supply))
    return {"parameters": _params(run), "supply": acc.supply, "facilities_without_supply": acc.missing_supply,
            "units": _records(acc.units), "facilities": _records(acc.facilities)}


@router.get("/floor-area", summary="每百户面积 Floor area per 100 households")
def get_floor_area(request: Request, store: StoreDep, user: UserDep,
                   norm: Annotated[str, Query(description="community_service or elder_care")] = "community_service"
                   ) -> dict[str, Any]:
    """Return floor area per 100 households per unit against the norm, and the shortfalls."""
    chosen = get_norm(norm)
    run = _run(request, store, user, "default", None, None, None)
    table = run.floor[chosen.key]
    return {"norm": {"key": chosen.key, "title": chosen.title, "per100_m2": chosen.per100_m2,
                     "min_total_m2": chosen.min_total_m2,
                     "district_target_per100_m2": chosen.district_target_per100_m2},
            "units": _records(table), "shortfalls": _records(shortfalls(table))}


Coordinate = Annotated[float, Field(allow_inf_nan=False)]
Position = Annotated[list[Coordinate], Field(min_length=2, max_length=3)]
Ring = Annotated[list[Position], Field(min_length=4, max_length=MAX_RING_POSITIONS)]
PresetName = Literal["default", "elderly"]
WeightName = Literal["households", "residents_60plus"]


class PointIn(BaseModel):
    """A GeoJSON Point."""

    type: Literal["Point"]
    coordinates: Position


class PolygonIn(BaseModel):
    """A GeoJSON Polygon (outer ring, then holes)."""

    type: Literal["Polygon"]
    coordinates: Annotated[list[Ring], Field(min_length=1, max_length=MAX_RINGS)]


class MultiPolygonIn(BaseModel):
    """A GeoJSON MultiPolygon."""

    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[Annotated[list[Ring], Field(min_length=1, max_length=MAX_RINGS)]],
                           Field(min_length=1, max_length=MAX_RINGS)]


class CandidateIn(BaseModel):
    """One candidate site: a GeoJSON Feature with a Point (its properties are not read)."""

    type: Literal["Feature"] = "Feature"
    geometry: PointIn


class CandidatesIn(BaseModel):
    """Candidate sites: a GeoJSON FeatureCollection of 1 to MAX_CANDIDATES points."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: Annotated[list[CandidateIn], Field(min_length=1, max_length=MAX_CANDIDATES)]


class SitingIn(BaseModel):
    """What to optimise: k stations or a target share; households or residents 60+.

    Bounded like the GET planning endpoints' parameters: a huge ``k`` or a tiny speed would keep a
    worker busy for hours.
    """

    k: Annotated[StrictInt | None, Field(ge=0, le=MAX_K)] = None
    target_share: Annotated[float | None, Field(gt=0, le=1)] = None
    weight: WeightName = "households"
    spacing_m: Annotated[float, Field(ge=50, le=5000)] = 250.0
    candidates: CandidatesIn | None = None
    crs: Annotated[str, Field(max_length=64)] = C.STORAGE_CRS
    preset: PresetName = "default"
    minutes: Annotated[float | None, Field(ge=1, le=120)] = None
    speed_m_per_s: Annotated[float | None, Field(ge=0.1, le=3)] = None


@router.post("/siting", summary="新站选址 Where to add stations")
def post_siting(body: SitingIn, request: Request, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Choose new station sites greedily with the existing ones fixed; show each one's gain."""
    run = _run(request, store, user, body.preset, body.minutes, body.speed_m_per_s, None)
    candidates = None
    if body.candidates is not None:
        geoms = [parse_geometry(f.geometry.model_dump(), crs=body.crs, allowed=("Point",), field="candidates")
                 for f in body.candidates.features]
        candidates = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geoms, crs="EPSG:4490"), crs="EPSG:4490")
    result, sites = run_siting(run, k=body.k, target_share=body.target_share, weight=body.weight,
                               candidates=candidates, spacing_m=body.spacing_m)
    out = json.loads(sites.to_json(drop_id=True))
    return {"parameters": _params(run), "weight": body.weight, "share_before": result.share_before,
            "share_after": result.share_after, "candidates": result.candidates, "sites": out}


@router.get("/ban-zones", responses=answers_as(GEOJSON), summary="禁葬区 Burial-ban zones (assumed buffers)")
def get_ban_zones(request: Request, store: StoreDep, user: UserDep) -> JSONResponse:
    """Return the burial-ban zones (三沿七区) with their assumed buffers."""
    run = _run(request, store, user, "default", None, None, None)
    return JSONResponse(json.loads(run.zones.to_json(drop_id=True)), media_type=GEOJSON)


class SiteIn(BaseModel):
    """A proposed cemetery site."""

    geometry: Annotated[PointIn | PolygonIn | MultiPolygonIn, Field(discriminator="type")]
    crs: Annotated[str, Field(max_length=64)] = C.STORAGE_CRS


@router.post("/cemetery-site-check", summary="公墓选址检查 Check a proposed cemetery site")
def post_site_check(body: SiteIn, request: Request, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Tell whether a proposed site lies outside every burial-ban zone, naming the zones it meets."""
    run = _run(request, store, user, "default", None, None, None)
    site = parse_geometry(body.geometry.model_dump(), crs=body.crs, allowed=("Point", "Polygon", "MultiPolygon"))
    conflicts = check_site(site, run.zones)
    return {"allowed": not conflicts, "conflicts": conflicts}


@router.get("/indicators", summary="规划指标 Plan indicators")
def get_indicators(request: Request, store: StoreDep, user: UserDep, preset: Preset = "default") -> dict[str, Any]:
    """Return the plan's indicators the data can answer: 2020, 2025 target, current, met."""
    run = _run(request, store, user, preset, None, None, None)
    return {"parameters": _params(run), "indicators": [i.to_dict() for i in run.indicators]}


@router.get("/report", responses=answers_as("text/html", XLSX), summary="规划报告 Report (HTML or XLSX)")
def get_report(request: Request, store: StoreDep, user: UserDep, format: str = "html", preset: Preset = "default",
               k: Annotated[int, Query(ge=0, le=50)] = 5):
    """Return the planning report with maps (HTML) or its tables (XLSX)."""
    run = _run(request, store, user, preset, None, None, None)
    siting, sites = run_siting(run, k=k, target_share=None) if k else (None, None)
    if format == "html":
        return HTMLResponse(report_html(run, sites=sites, siting=siting, basemap=request.app.state.settings.basemap))
    if format != "xlsx":
        raise InputError(text("common.choice", field=label("format"), value=repr(format), allowed="html, xlsx"),
                         field="format")
    tmp = tempfile.TemporaryDirectory()
    path = write_report_xlsx(run, Path(tmp.name) / "plan_report.xlsx", siting=siting, sites=sites)
    return FileResponse(path, filename=path.name, background=BackgroundTask(tmp.cleanup),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

