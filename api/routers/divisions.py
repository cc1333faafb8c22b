"""区划调整 Division changes: create, split, merge, rename communities and villages (#17 item 4).

``router`` holds the JSON endpoints (documented, every error in the one shape); ``page_router`` the
HTML pages, if any. A change is the bureau's decision: only an admin makes one (the place-name
officer's rename of an ordinary name stays in the gazetteer). The reads are public: the changes,
a unit's code chain and search by current or former name or code (who keyed a change is not shown).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from api.deps import ReadsDep, StoreDep, needs_role
from api.feature_models import GeoJSONGeometry, Version
from geo.divisions.changes import (
    MAX_PARTS,
    create_unit,
    merge_units,
    offer_code,
    recode_unit,
    rename_unit,
    split_unit,
)
from geo.divisions.codes import LEVELS
from geo.divisions.queries import MAX_QUERY_CHARS, get_change, list_changes, search_units, unit_history
from geo.features import parse_geometry
from geo.layers import ADMIN, AREA

router = APIRouter(prefix="/api/divisions", tags=["divisions 区划调整"])
page_router = APIRouter(include_in_schema=False)

MAX_ID = 2**31 - 1
Code = Annotated[str, Field(min_length=12, max_length=12, pattern=r"^\d{12}$", description="12位区划代码 unit code")]
OptionalCode = Annotated[str | None, Field(default=None, max_length=12,
                                           description="指定代码（须符合 PN-13 且从未使用）；空则自动取下一个 "
                                                       "a code (PN-13, never used); empty: the next free one")]
Name = Annotated[str, Field(min_length=1, max_length=50)]
Text = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str | None, Field(default=None, max_length=2000)]
Crs = Annotated[str, Field(default="EPSG:4490", max_length=16, description="几何坐标系 geometry CRS")]
AdminDep = Annotated[dict[str, Any], Depends(needs_role(frozenset({ADMIN}), "division changes"))]


class DecisionIn(BaseModel):
    """The decision a change rests on."""

    decision_body: Text
    decision_doc_no: Text
    decision_date: Annotated[str, Field(max_length=10, description="YYYY-MM-DD")]
    effective_on: Annotated[str | None, Field(
        default=None, max_length=10,
        description="YYYY-MM-DD, not after today: a change is recorded on (or after) the day it takes effect; "
                    "a future date is refused (400, field effective_on). Default: decision_date")]


class CreateIn(DecisionIn):
    """A new community, village, 街道 or 镇 on land no active sibling holds."""

    parent_code: Code
    level: Annotated[str, Field(max_length=16, description="one of " + ", ".join(LEVELS))]
    name: Name
    geometry: GeoJSONGeometry
    crs: Crs
    code: OptionalCode
    name_mong: Annotated[str | None, Field(default=None, max_length=200)]
    meaning: LongText


class PartIn(BaseModel):
    """One part of a split: its name and polygon, optionally its code and Mongolian name."""

    name: Name
    geometry: GeoJSONGeometry
    code: OptionalCode
    name_mong: Annotated[str | None, Field(default=None, max_length=200)]
    meaning: LongText


class SplitIn(DecisionIn):
    """Split a community or village into parts that tile it (gaps and overlaps refused, in m²)."""

    code: Code
    version: Version
    parts: Annotated[list[PartIn], Field(min_length=2, max_length=MAX_PARTS)]
    crs: Crs


class MergeIn(DecisionIn):
    """Merge adjoining communities or villages of one parent; ``versions`` maps each code to the version read."""

    units: Annotated[list[Code], Field(min_length=2, max_length=20)]
    versions: Annotated[dict[Annotated[str, Field(max_length=12)], Version], Field(max_length=20)]
    name: Name
    code: OptionalCode
    name_mong: Annotated[str | None, Field(default=None, max_length=200)]
    meaning: LongText


class RenameIn(DecisionIn):
    """Rename a unit (code and boundary kept); its place name follows."""

    code: Code
    version: Version
    new_name: Name


class RecodeIn(DecisionIn):
    """Give a unit a new code: another level (村改居, 乡改镇, 撤镇设街道: a 街道/镇/乡's communities and villages are
    re-coded with it) or parent, or a code given outright."""

    code: Code
    version: Version
    new_code: OptionalCode
    level: Annotated[str | None, Field(default=None, max_length=16)]
    parent_code: Annotated[str | None, Field(default=None, max_length=12)]
    new_name: Annotated[str | None, Field(default=None, max_length=50)]


def _decision(body: DecisionIn) -> dict[str, Any]:
    return {k: getattr(body, k) for k in ("decision_body", "decision_doc_no", "decision_date", "effective_on")}


@router.post("/create", status_code=201, summary="新设区划 Create a unit")
def post_create(body: CreateIn, store: StoreDep, user: AdminDep) -> dict[str, Any]:
    """Create a unit under ``parent_code``; the code is the next free one unless given (PN-13)."""
    geom = parse_geometry(body.geometry, crs=body.crs, allowed=AREA, field="geometry")
    return create_unit(store, parent_code=body.parent_code, level=body.level, name=body.name, geometry=geom,
                       decision=_decision(body), actor=user["username"], code=body.code or None,
                       name_mong=body.name_mong, meaning=body.meaning)


@router.post("/split", status_code=201, summary="拆分区划 Split a community or village")
def post_split(body: SplitIn, store: StoreDep, user: AdminDep) -> dict[str, Any]:
    """Split a unit into parts; the old unit is retired, plates and records follow (409 when stale)."""
    parts = [{"name": p.name, "code": p.code or None, "name_mong": p.name_mong, "meaning": p.meaning,
              "geometry": parse_geometry(p.geometry, crs=body.crs, allowed=AREA, field=f"parts[{i}].geometry")}
             for i, p in enumerate(body.parts)]
    return split_unit(store, body.code, parts, expected_version=body.version, decision=_decision(body),
                      actor=user["username"])


@router.post("/merge", status_code=201, summary="合并区划 Merge communities or villages")
def post_merge(body: MergeIn, store: StoreDep, user: AdminDep) -> dict[str, Any]:
    """Merge units into a new one (409 when any version is stale)."""
    return merge_units(store, body.units, name=body.name, expected_versions=body.versions,
                       decision=_decision(body), actor=user["username"], code=body.code or None,
                       name_mong=body.name_mong, meaning=body.meaning)


@router.post("/rename", summary="区划更名 Rename a unit")
def post_rename(body: RenameIn, store: StoreDep, user: AdminDep) -> dict[str, Any]:
    """Rename a unit and its place name (former name kept; PN rules; 409 when stale)."""
    return rename_unit(store, body.code, body.new_name, expected_version=body.version, decision=_decision(body),
                       actor=user["username"])


@router.post("/recode", status_code=201, summary="区划重新编码 Re-code a unit")
def post_recode(body: RecodeIn, store: StoreDep, user: AdminDep) -> dict[str, Any]:
    """Re-code a unit (the old code retired, never reused; 409 when stale)."""
    return recode_unit(store, body.code, expected_version=body.version, decision=_decision(body),
                       actor=user["username"], new_code=body.new_code or None, level=body.level,
                       parent_code=body.parent_code, new_name=body.new_name)


@router.get("/next-code", summary="下一个可用代码 The next free code")
def get_next_code(store: StoreDep, user: AdminDep,
                  parent_code: Annotated[str, Query(min_length=12, max_length=12, pattern=r"^\d{12}$")],
                  level: Annotated[str, Query(max_length=16)]) -> dict[str, Any]:
    """Return the code a new unit of ``level`` under ``parent_code`` would get (not reserved)."""
    return {"parent_code": parent_code, "level": level,
            "code": offer_code(store, parent_code=parent_code, level=level)}


@router.get("/changes", summary="区划调整记录 Division changes")
def get_changes(store: StoreDep, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> dict[str, Any]:
    """Return the district's division changes, newest decision first (public)."""
    return {"changes": list_changes(store, limit=limit, offset=offset)}


@router.get("/changes/{change_id}", summary="一次区划调整 One division change")
def get_one_change(change_id: Annotated[int, Path(ge=1, le=MAX_ID)], store: StoreDep) -> dict[str, Any]:
    """Return one change with its old → new codes and names (public)."""
    return get_change(store, change_id)


@router.get("/units/search", summary="按现名或曾用名、代码检索区划 Search units by current or former name or code")
def get_search(reads: ReadsDep, q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)]) -> dict[str, Any]:
    """Find units by current or former name or code; a former match says when and by which decision it changed
    (from the read replica when it may serve it)."""
    return {"q": q, "units": reads.run(lambda store: search_units(store, q))}


@router.get("/units/{code}/history", summary="区划代码沿革 A unit's code history")
def get_history(code: Annotated[str, Path(min_length=12, max_length=12, pattern=r"^\d{12}$")],
                store: StoreDep) -> dict[str, Any]:
    """Return the unit and its code chain both ways: what it came from, and what it became (public)."""
    return unit_history(store, code)
