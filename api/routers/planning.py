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
from api.siting_slot import MAX_SITING_SECONDS, report_siting, siting_slot
from geo import crs as C
from geo.errors import InputError
from geo.features import parse_geometry
from geo.layers import ADMIN, PLANNER
from geo.messages import label, text, value_labels
from geo.planning.ban_zone_settings import load_ban_zone_settings
from geo.planning.burial import check_site_in_store, zones_from_store
from geo.planning.cemeteries import zones_for_output
from geo.planning.coverage import STATUS, service_areas
from geo.planning.floor_area import get_norm, norms_from_settings, shortfalls
from geo.planning.norms_settings import load_norms, shown_settings_path
from geo.planning.refresh import stored_coverage_view
from geo.planning.report_sections import report_sections, stored_four_sync
from geo.planning.run import (
    PlanningRun,
    parse_kinds,
    run_accessibility,
    run_siting,
    walk_params,
)
from geo.planning.siting_candidates import check_candidates_in_district, load_premises
from geo.planning.siting_capacity import M2_PER_PERSON_60PLUS
from geo.planning.siting_compare import comparison_summary
from geo.types import beijing_today
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


@router.get("/coverage/stored", summary="已存覆盖结果 Stored coverage of the last refresh")
def get_stored_coverage(store: StoreDep) -> dict[str, Any]:
    """Return the district's coverage per unit as the last `xincheng refresh` stored it (nothing is computed:
    one read), with when and from which data version; ``current`` is false once the data changed since."""
    return stored_coverage_view(store)


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
    get_norm(norm)  # an unknown norm is refused before the run
    run = _run(request, store, user, "default", None, None, None)
    chosen = norms_from_settings(run.norms or load_norms())[norm]  # the values the run judged by (settings file)
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


class CandidatePropertiesIn(BaseModel):
    """What siting reads of a candidate's properties: its name, and floor area or capacity (with ``capacity``)."""

    name: Annotated[str | None, Field(max_length=200)] = None
    floor_area_m2: Annotated[float | None, Field(ge=0, le=100_000, allow_inf_nan=False)] = None
    capacity: Annotated[float | None, Field(ge=0, le=1_000_000, allow_inf_nan=False)] = None


class CandidateIn(BaseModel):
    """One candidate site: a GeoJSON Feature with a Point (properties: name, floor_area_m2, capacity)."""

    type: Literal["Feature"] = "Feature"
    geometry: PointIn
    properties: CandidatePropertiesIn | None = None


class CandidatesIn(BaseModel):
    """Candidate sites: a GeoJSON FeatureCollection of 1 to MAX_CANDIDATES points."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: Annotated[list[CandidateIn], Field(min_length=1, max_length=MAX_CANDIDATES)]


class SitingIn(BaseModel):
    """What to optimise: k stations or a target share; households or residents 60+; how, and among what.

    Bounded like the GET planning endpoints' parameters: a huge ``k`` or a tiny speed would keep a
    worker busy for hours; the MILP's time limit is at most MAX_SITING_SECONDS per solve.
    """

    k: Annotated[StrictInt | None, Field(ge=0, le=MAX_K)] = None
    target_share: Annotated[float | None, Field(gt=0, le=1)] = None
    weight: WeightName | None = None
    method: Literal["both", "milp", "greedy"] = "both"
    candidate_source: Literal["nodes", "premises", "file"] | None = None
    min_floor_area_m2: Annotated[float | None, Field(ge=0, le=100_000)] = None
    capacity: bool = False
    m2_per_person: Annotated[float, Field(gt=0, le=100)] = M2_PER_PERSON_60PLUS
    time_limit_s: Annotated[float, Field(gt=0, le=MAX_SITING_SECONDS)] = 20.0
    spacing_m: Annotated[float, Field(ge=50, le=5000)] = 250.0
    candidates: CandidatesIn | None = None
    crs: Annotated[str, Field(max_length=64)] = C.STORAGE_CRS
    preset: PresetName = "default"
    minutes: Annotated[float | None, Field(ge=1, le=120)] = None
    speed_m_per_s: Annotated[float | None, Field(ge=0.1, le=3)] = None


def _siting_candidates(body: SitingIn, store) -> gpd.GeoDataFrame | None:
    """Return the candidates the body asks for: None (street nodes), available premises, or its points."""
    source = body.candidate_source or ("file" if body.candidates is not None else "nodes")
    if source != "file" and body.candidates is not None:
        raise InputError(text("siting.candidates_with_source", field=label("candidate_source"), value=repr(source)),
                         field="candidate_source")
    if source == "premises":
        return load_premises(store, today=beijing_today(), min_floor_area_m2=body.min_floor_area_m2)
    if source == "nodes":
        return None
    if body.candidates is None:
        raise InputError(text("siting.file_needed", field=label("candidates")), field="candidates")
    geoms = [parse_geometry(f.geometry.model_dump(), crs=body.crs, allowed=("Point",), field="candidates")
             for f in body.candidates.features]
    props = [f.properties or CandidatePropertiesIn() for f in body.candidates.features]
    check_candidates_in_district(store, geoms)  # outside it no street joins them: refused, never "0 stations"
    return gpd.GeoDataFrame({"name": [p.name for p in props], "floor_area_m2": [p.floor_area_m2 for p in props],
                             "capacity": [p.capacity for p in props]},
                            geometry=gpd.GeoSeries(geoms, crs="EPSG:4490"), crs="EPSG:4490")


@router.post("/siting", summary="新站选址 Where to add stations (greedy and proven-optimal MILP)")
def post_siting(body: SitingIn, request: Request, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Choose new station sites with the existing ones fixed, by greedy and by MILP with its optimality gap.

    One solve at a time per process (a MILP may take its whole time limit on a core): the next is
    answered 429 with Retry-After, so a planner's other requests and the public lookups keep a core.
    """
    with siting_slot():
        return _post_siting(body, request, store, user)


def _post_siting(body: SitingIn, request: Request, store: StoreDep, user: UserDep) -> dict[str, Any]:
    run = _run(request, store, user, body.preset, body.minutes, body.speed_m_per_s, None)
    candidates = _siting_candidates(body, store)
    result, sites = run_siting(run, k=body.k, target_share=body.target_share, weight=body.weight,
                               candidates=candidates, spacing_m=body.spacing_m, method=body.method,
                               time_limit_s=body.time_limit_s, capacity=body.capacity,
                               m2_per_person=body.m2_per_person)
    out = json.loads(sites.to_json(drop_id=True))
    weight = body.weight or ("residents_60plus" if body.capacity else "households")
    return {"parameters": _params(run), "weight": weight, "share_before": result.share_before,
            "share_after": result.share_after, "candidates": result.candidates, "sites": out,
            **comparison_summary(result, target_share=body.target_share)}


@router.get("/ban-zones", responses=answers_as(GEOJSON), summary="禁葬区 Burial-ban zones (三沿七区, CM-01)")
def get_ban_zones(request: Request, store: StoreDep, user: UserDep) -> JSONResponse:
    """Return the burial-ban zones (三沿七区): class, name, buffer, basis (assumed or sourced) and source."""
    zones = zones_from_store(store, settings=load_ban_zone_settings())
    return JSONResponse(json.loads(zones_for_output(zones).to_json(drop_id=True)), media_type=GEOJSON)


class SiteIn(BaseModel):
    """A proposed cemetery site."""

    geometry: Annotated[PointIn | PolygonIn | MultiPolygonIn, Field(discriminator="type")]
    crs: Annotated[str, Field(max_length=64)] = C.STORAGE_CRS


@router.post("/cemetery-site-check", summary="公墓选址检查 Check a proposed cemetery site")
def post_site_check(body: SiteIn, request: Request, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Tell whether a proposed site lies outside every burial-ban zone: each zone it touches with the
    overlap, its share of the site and, for a buffered feature, the distance and shortfall; the
    assumptions (buffers, basis, sources) the answer rests on."""
    site = parse_geometry(body.geometry.model_dump(), crs=body.crs, allowed=("Point", "Polygon", "MultiPolygon"))
    return check_site_in_store(store, site, settings=load_ban_zone_settings())


@router.get("/indicators", summary="规划指标 Plan indicators")
def get_indicators(request: Request, store: StoreDep, user: UserDep, preset: Preset = "default",
                   as_of: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD (default: today)")] = None
                   ) -> dict[str, Any]:
    """Return the plan's indicators the data can answer: 2020, 2025 target, current, met.

    With ``as_of`` they are computed, not stored, for the facilities open on that date
    (``POST /api/planning/indicator-snapshots`` stores them).
    """
    if as_of is None:
        run = _run(request, store, user, preset, None, None, None)
        return {"parameters": _params(run), "indicators": [i.to_dict() for i in run.indicators],
                "new_estates": stored_four_sync(store)[1].to_dict()}  # 四同步 summary (GET /new-estates: per estate)
    from geo.planning.history import check_as_of, indicators_on
    from geo.planning.run import PlanningInputs

    day, params, kinds = check_as_of(as_of), walk_params(preset), parse_kinds(None)
    run = request.app.state.cache.get(store, ("indicators_as_of", params, kinds, day),
                                      lambda: indicators_on(PlanningInputs.load(store), day, params, kinds))
    return {"parameters": _params(run), "as_of": day.isoformat(), "data_version": run.inputs.data_version,
            "note": text("indicator_history.note.open_only"), "indicators": [i.to_dict() for i in run.indicators]}


@router.get("/report", responses=answers_as("text/html", XLSX), summary="规划报告 Report (HTML or XLSX)")
def get_report(request: Request, store: StoreDep, user: UserDep, format: str = "html", preset: Preset = "default",
               k: Annotated[int, Query(ge=0, le=50)] = 5):
    """Return the planning report with maps (HTML) or its tables (XLSX)."""
    if format not in ("html", "xlsx"):  # refused before any computing
        raise InputError(text("common.choice", field=label("format"), value=repr(format), allowed="html, xlsx"),
                         field="format")
    run = _run(request, store, user, preset, None, None, None)
    siting, sites = report_siting(run, k=k)

    sections = report_sections(store)  # 指标历史: stored snapshots, planned vs existing facilities; 四同步
    if format == "html":
        return HTMLResponse(report_html(run, sites=sites, siting=siting, basemap=request.app.state.settings.basemap,
                                        history=sections.history, estates=sections.estates))
    tmp = tempfile.TemporaryDirectory()
    path = write_report_xlsx(run, Path(tmp.name) / "plan_report.xlsx", siting=siting, sites=sites,
                             history=sections.history, estates=sections.estates)
    return FileResponse(path, filename=path.name, background=BackgroundTask(tmp.cleanup),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")



@router.get("/rural-norms", summary="村级标准 Village service centres against their settlement type's norm")
def get_rural_norms(request: Request, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Return each village's service-centre floor area, its norm and shortfall (m²), and each group's share vs 90%."""
    from geo.planning.norms_settings import load_norms
    from geo.planning.rural_norms import load_village_norms

    norms = load_norms()
    table, groups = load_village_norms(store, norms)
    return {"norms": shown_settings_path(norms.source),
            "groups": [{"key": g.norm.key, "title": g.title(), "settlement_types": list(g.norm.settlement_types),
                        "min_total_m2": g.norm.min_total_m2, "required_share": g.norm.required_share,
                        "villages": g.total, "meeting": g.meeting, "share": g.share, "met": g.met} for g in groups],
            "villages": _records(table)}


@router.get("/new-estates", summary="四同步 New estates' elder care planned, built, inspected, handed over in step")
def get_new_estates(request: Request, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Return each new estate's required and provided elder-care floor area and its four stages, with a summary."""
    table, summary = stored_four_sync(store)
    return {"summary": summary.to_dict(), "estates": _records(table)}
