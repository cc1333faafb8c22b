"""Instant what-if for planners: POST /api/planning/whatif and the page /maps/whatif (issue #18 item 5).

Both answer the same question the same way: a list of edits (add, move or remove an elder-care
station, close a street) against the cached planning run, recomputed incrementally by
:class:`geo.planning.whatif.WhatIf` (built once per data version and walking parameters). Nothing
is written. The API takes a bearer token (planner or admin); the page's script posts to
``/maps/whatif/answer`` with the login cookie and the page's CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, StrictInt

from api import csrf
from api.cache import cached_run
from api.deps import StoreDep, UserDep, needs_role
from api.pages import SessionCookie, cannot_draw_page, page_access, render_text
from geo import crs as C
from geo.errors import DomainError
from geo.layers import ADMIN, PLANNER
from geo.messages import catalogue, text
from geo.planning.run import PlanningRun, walk_params
from geo.planning.whatif import MAX_EDITS, OPS, WhatIf, WhatIfResult

ROLES = frozenset({ADMIN, PLANNER})
MAX_LISTED_PLATES = 2000
router = APIRouter(prefix="/api/planning", tags=["planning 规划"],
                   dependencies=[Depends(needs_role(ROLES, "planning what-if"))])
page_router = APIRouter(prefix="/maps", include_in_schema=False)

Coordinate = Annotated[float, Field(allow_inf_nan=False, ge=-180, le=180)]
Latitude = Annotated[float, Field(allow_inf_nan=False, ge=-90, le=90)]
Id = Annotated[StrictInt, Field(ge=1, le=2**53)]


class EditIn(BaseModel):
    """One edit: ``add`` (lon, lat), ``move`` (facility_id, lon, lat), ``remove`` (facility_id) or
    ``close_street`` (street_id)."""

    op: Literal["add", "move", "remove", "close_street"]
    lon: Coordinate | None = None
    lat: Latitude | None = None
    facility_id: Id | None = None
    street_id: Id | None = None


class WhatIfIn(BaseModel):
    """Edits applied in order to today's stations and streets; the walking parameters of the run."""

    edits: Annotated[list[EditIn], Field(min_length=1, max_length=MAX_EDITS)]
    crs: Annotated[str, Field(max_length=64)] = C.STORAGE_CRS
    preset: Literal["default", "elderly"] = "default"
    minutes: Annotated[float | None, Field(ge=1, le=120)] = None
    speed_m_per_s: Annotated[float | None, Field(ge=0.1, le=3)] = None
    list_plates: Annotated[StrictInt, Field(ge=0, le=MAX_LISTED_PLATES)] = 200


def _whatif(request: Request, store, body: WhatIfIn) -> tuple[PlanningRun, WhatIf]:
    """Return the cached run and its what-if baseline (built once per data version and parameters)."""
    from geo.planning.coverage import ELDER_CARE_KINDS

    params = walk_params(body.preset, body.minutes, body.speed_m_per_s)
    cache = request.app.state.cache
    run = cached_run(cache, store, params, ELDER_CARE_KINDS)
    return run, cache.get(store, ("whatif", params, ELDER_CARE_KINDS), lambda: WhatIf.from_run(run))


def _share(value: float, total: float) -> float | None:
    return round(value / total, 6) if total > 0 else None


def _plates(run: PlanningRun, result_idx: np.ndarray, households: np.ndarray, limit: int) -> list[dict[str, Any]]:
    plates = run.inputs.plates.iloc[result_idx[:limit]]
    return [{"plate_uid": uid, "lon": round(float(g.x), 6), "lat": round(float(g.y), 6), "households": float(h)}
            for uid, g, h in zip(plates["plate_uid"], plates.geometry, households[result_idx[:limit]], strict=True)]


def answer(run: PlanningRun, w: WhatIf, result: WhatIfResult, *, list_plates: int) -> dict[str, Any]:
    """Return the what-if answer: district totals before and after, changed units, plates gained and lost."""
    before_hh, before_60 = result.covered_households_before, result.covered_60plus_before
    after_hh, after_60 = before_hh + result.households, before_60 + result.residents_60plus
    units: list[dict[str, Any]] = []
    if result.units is not None:
        changed = result.units[(result.units["delta_households"] != 0) | (result.units["delta_60plus"] != 0)]
        for code, name, level, d_hh, d_60, share in zip(
                changed["code"], changed["name"], changed["level"], changed["delta_households"].to_numpy(float),
                changed["delta_60plus"].to_numpy(float), changed["household_share_after"].to_numpy(float),
                strict=True):
            units.append({"code": code, "name": name, "level": level, "delta_households": round(float(d_hh), 3),
                          "delta_60plus": round(float(d_60)),  # whole people (60+ per plate are an estimate)
                          "household_share_after": None if np.isnan(share) else round(float(share), 6)})
    p = run.params
    return {
        "parameters": {"minutes": p.minutes, "speed_m_per_s": p.speed_m_per_s, "reach_m": p.reach_m,
                       "max_attach_m": p.max_attach_m, "described": p.describe()},
        "district": {"delta_households": round(result.households, 3),
                     "delta_60plus": round(result.residents_60plus),
                     "covered_households_before": round(before_hh, 3), "covered_households_after": round(after_hh, 3),
                     "households": round(result.total_households, 3),
                     "household_share_before": _share(before_hh, result.total_households),
                     "household_share_after": _share(after_hh, result.total_households),
                     "covered_60plus_before": round(before_60), "covered_60plus_after": round(after_60),
                     "residents_60plus": round(result.total_60plus),
                     "share_60plus_before": _share(before_60, result.total_60plus),
                     "share_60plus_after": _share(after_60, result.total_60plus)},
        "plates_gained": len(result.gained), "plates_lost": len(result.lost),
        "gained": _plates(run, result.gained, w.households, list_plates),
        "lost": _plates(run, result.lost, w.households, list_plates),
        "unattached_edits": [i + 1 for i in result.unattached],
        "warnings": ([text("whatif.unattached", edits="、".join(str(i + 1) for i in result.unattached),
                           max_m=f"{run.params.max_attach_m:g}")] if result.unattached else []),
        "units": units,
    }


def _compute(request: Request, store, body: WhatIfIn) -> dict[str, Any]:
    run, w = _whatif(request, store, body)
    edits = w.parse_edits([e.model_dump() for e in body.edits], crs=body.crs)
    return answer(run, w, w.apply(edits), list_plates=body.list_plates)


@router.post("/whatif", summary="即时推演 Instant what-if: add, move or remove a station, close a street")
def post_whatif(body: WhatIfIn, request: Request, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Return the change in covered households and residents 60+ (district and per unit) that the edits
    make, recomputed incrementally from the current run; nothing is stored."""
    return _compute(request, store, body)


# -- the planner's page --------------------------------------------------------------------------------

def _labels() -> dict[str, dict[str, str]]:
    return {key.split(".page_", 1)[1]: {"zh": m.zh, "en": m.en} for key, m in catalogue().items()
            if key.startswith("whatif.page_")}


def _start_point(run: PlanningRun) -> list[float] | None:
    """Return [lat, lon] of the plate nearest the plates' median: where the first candidate starts, among
    homes and next to a street (the map's centre may be in the mountains, far from any street)."""
    plates = run.inputs.plates
    if plates.empty:
        return None
    xy = np.column_stack([plates.geometry.x.to_numpy(), plates.geometry.y.to_numpy()])
    middle = np.median(xy, axis=0)
    nearest = xy[int(np.argmin(((xy - middle) ** 2).sum(axis=1)))]
    return [round(float(nearest[1]), 6), round(float(nearest[0]), 6)]


def _street_lines(run: PlanningRun) -> list[dict[str, Any]]:
    """Return the walkable streets for the page, a click on one closes it: id, name and [lat, lon] parts.

    Simplified to about a metre (1e-5 degrees), coordinates to 6 decimals, so the page stays small.
    """
    import shapely

    streets = run.inputs.streets
    if "walkable" in streets:
        streets = streets[streets["walkable"].fillna(True).astype(bool)]
    lines = shapely.simplify(np.asarray(streets.geometry.values, dtype=object), 1e-5)
    out = []
    for sid, name, line in zip(streets["id"], streets["name"], lines, strict=True):
        if line is None or line.is_empty:
            continue
        parts = [[[round(y, 6), round(x, 6)] for x, y in part.coords] for part in getattr(line, "geoms", [line])]
        out.append({"id": int(sid), "name": str(name), "parts": parts})
    return out


@page_router.get("/whatif")
def whatif_page(request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """The what-if map: today's stations, a draggable candidate, the change shown on every drag."""
    user = page_access(request, store, xc_token, ROLES)
    if not isinstance(user, dict):
        return user
    from geo.planning.coverage import ELDER_CARE_KINDS, WalkParams

    try:
        run = cached_run(request.app.state.cache, store, WalkParams(), ELDER_CARE_KINDS)
    except DomainError as exc:  # a layer the run needs is not loaded yet: say which, on a page
        return cannot_draw_page(request, user, exc)
    care = run.care_facilities
    stations = [{"id": int(i), "name": str(n), "lon": round(float(g.x), 6), "lat": round(float(g.y), 6)}
                for i, n, g in zip(care["id"], care["name"], care.geometry.representative_point(), strict=True)]
    units = run.inputs.units
    district = units[units["level"] == "district"]
    outline = [[[round(y, 6), round(x, 6)] for x, y in ring.exterior.coords]
               for g in district.geometry for ring in getattr(g, "geoms", [g])]
    hh = run.coverage[run.coverage["level"] == "district"]
    ctx = {"stations": stations, "outline": outline, "streets": _street_lines(run), "reach_m": run.params.reach_m,
           "start": _start_point(run), "max_edits": MAX_EDITS,
           "described": run.params.describe(), "labels": _labels(),
           "district": {k: float(hh.iloc[0][k]) for k in ("households", "covered_households", "residents_60plus",
                                                           "covered_60plus")} if len(hh) else None}
    token = csrf.form_token(request)
    html = render_text("maps/whatif.html", ctx=ctx, csrf_token=token, user=user,
                       csp_nonce=getattr(request.state, "csp_nonce", "") or "")
    response = Response(html, media_type="text/html; charset=utf-8")
    csrf.remember_nonce(request, response)
    return response


@page_router.post("/whatif/answer")
def whatif_answer(body: WhatIfIn, request: Request, store: StoreDep, xc_token: SessionCookie = None) -> Response:
    """The page's what-if (login cookie and the page's CSRF token): the same answer as the API's."""
    from api.pages import session_user
    from geo.messages import text

    user = session_user(store, xc_token, ROLES)
    if user is None:
        return JSONResponse({"error": "not_authenticated", "message": text("whatif.page_login"), "field": None,
                             "status": 401}, status_code=401)
    refusal = csrf.refusal(request, {csrf.FIELD: request.headers.get("x-csrf-token", "")})
    if refusal is not None:
        return JSONResponse({"error": "forbidden", "message": refusal, "field": "csrf_token", "status": 403},
                            status_code=403)
    return JSONResponse(_compute(request, store, body), headers={"Cache-Control": "no-store"})


__all__ = ["OPS", "page_router", "router"]
