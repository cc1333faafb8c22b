"""The gazetteer over HTTP: public search and lookup; officers propose, edit, approve and rename."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.deps import OptionalUserDep, StoreDep, UserDep, require_role
from api.geojson import to_features
from geo import crs as C
from geo.errors import NotFound
from geo.features import parse_geometry
from geo.layers import ADMIN, AREA, LINE, PLACENAME_OFFICER, POINT
from geo.placename_rules import validate
from geo.placename_search import NameIndex, PlaceLocator
from geo.placenames import edit, propose, rename, transition
from geo.romanize import romanize
from geo.store import Store, schema
from geo.types import LonLat

router = APIRouter(prefix="/api/placenames", tags=["placenames 地名"])
OFFICERS = frozenset({ADMIN, PLACENAME_OFFICER})
PUBLIC_STATUSES = {"in_force"}


def _officer(user: dict[str, Any] | None) -> bool:
    return bool(user and user["role"] in OFFICERS)


def _index(request: Request, store: Store) -> NameIndex:
    def build() -> NameIndex:
        with store.reading() as conn:
            t, f = schema.place_names, schema.former_names
            names = [dict(r) for r in conn.execute(sa.select(t.c.id, t.c.standard_name, t.c.status,
                                                             t.c.search_key)).mappings()]
            former = [dict(r) for r in conn.execute(sa.select(f.c.place_name_id, f.c.name)).mappings()]
        return NameIndex(names, former)

    return request.app.state.cache.get(store, "name_index", build)


def _locator(request: Request, store: Store) -> PlaceLocator:
    return request.app.state.cache.get(
        store, "name_locator", lambda: PlaceLocator(store.select("place_names", where={"status": "in_force"})))


@router.get("/search", summary="地名查询 Search names")
def search(request: Request, store: StoreDep, user: OptionalUserDep,
           q: Annotated[str, Query(min_length=1, max_length=64, description="汉字, pinyin or initials")],
           limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[dict[str, Any]]:
    """Search by Chinese, full pinyin, initials (xlbl) or former name, typo-tolerant; public sees names in force."""
    statuses = None if _officer(user) else PUBLIC_STATUSES
    hits = _index(request, store).search(q, limit=limit, statuses=statuses)
    return [{"id": h.id, "standard_name": h.name, "matched": h.matched, "how": h.how, "score": round(h.score, 2)}
            for h in hits]


@router.get("/at", summary="此处地名 What is named here")
def named_here(request: Request, store: StoreDep, lonlat: str, crs: str = C.STORAGE_CRS,
               radius_m: Annotated[float, Query(gt=0, le=500)] = 30.0) -> list[dict[str, Any]]:
    """Return the names in force within ``radius_m`` of a point, and the areas that contain it."""
    p = LonLat.parse(lonlat, crs=crs)
    return _locator(request, store).at(p.lon, p.lat, radius_m=radius_m)


@router.get("/romanize", summary="罗马字母拼写建议 Suggest a romanization")
def suggest(name: Annotated[str, Query(min_length=1, max_length=64)], specific: str | None = None,
            generic: str | None = None, settlement: bool | None = None,
            language_of_origin: str | None = None) -> dict[str, Any]:
    """Return the three romanized forms by GB/T 16159 (a suggestion for names of Mongolian origin)."""
    r = romanize(name, specific=specific, generic=generic, settlement=settlement,
                 language_of_origin=language_of_origin)
    return {"pinyin_toned": r.pinyin_toned, "romanization": r.romanization, "sign_text": r.sign_text,
            "needs_confirmation": r.needs_confirmation}


@router.get("/{place_id}", summary="地名详情 One name with its history")
def get_name(place_id: int, store: StoreDep, user: OptionalUserDep) -> dict[str, Any]:
    """Return a name (GeoJSON feature), its former names and, for officers, its lifecycle events."""
    rec = store.get("place_names", place_id)
    if rec["status"] not in PUBLIC_STATUSES and not _officer(user):
        raise NotFound(f"place name {place_id} is not public", field="id")
    out = to_features([rec])[0]
    out["former_names"] = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()
                            if k in ("name", "romanization", "valid_from", "valid_to", "reason")}
                           for r in store.select("former_names", where={"place_name_id": place_id})]
    if _officer(user):
        out["events"] = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()
                          if k in ("from_status", "to_status", "at", "actor", "comment", "document_ref", "warnings")}
                         for r in store.select("place_name_events", where={"place_name_id": place_id})]
    return out


class NameIn(BaseModel):
    """A proposed name, or changes to one."""

    properties: dict[str, Any]
    geometry: dict[str, Any] | None = None
    crs: str = C.STORAGE_CRS
    justification: str | None = Field(default=None, max_length=2000)
    romanization_override: dict[str, str] | None = None


@router.post("/validate", summary="规则检查 Check a name against the rules")
def check(body: NameIn, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Return every finding (PN rules) for a name without saving anything."""
    require_role(user, OFFICERS, what="checking names")
    findings = validate(body.properties, store.select("place_names"), district=store.adcode)
    return {"ok": not any(f.severity == "error" for f in findings), "findings": [f.to_dict() for f in findings]}


def _geometry(body: NameIn):
    return parse_geometry(body.geometry, crs=body.crs, allowed=POINT + LINE + AREA) if body.geometry else None


@router.post("", status_code=201, summary="申报地名 Propose a name")
def post_name(body: NameIn, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Propose a name: validated, romanized and stored as ``proposed``."""
    require_role(user, OFFICERS, what="proposing names")
    rec = propose(store, body.properties, actor=user["username"], justification=body.justification,
                  romanization_override=body.romanization_override, geometry=_geometry(body))
    return to_features([rec])[0]


class NamePatch(NameIn):
    """Changes to a name, based on the version the officer read."""

    version: int


@router.patch("/{place_id}", summary="修改地名 Edit a name before approval")
def patch_name(place_id: int, body: NamePatch, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Edit a name; a stale version gets 409 and nothing is merged."""
    require_role(user, OFFICERS, what="editing names")
    rec = edit(store, place_id, body.properties, expected_version=body.version, actor=user["username"],
               justification=body.justification, romanization_override=body.romanization_override,
               geometry=_geometry(body))
    return to_features([rec])[0]


class TransitionIn(BaseModel):
    """One lifecycle step."""

    to: str
    version: int
    comment: str | None = None
    document_ref: str | None = None
    data: dict[str, Any] = {}


@router.post("/{place_id}/transition", summary="审批流程 Move through the lifecycle")
def post_transition(place_id: int, body: TransitionIn, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Consultation, expert review, assessment, approval, filing, announcement, in force, retired."""
    require_role(user, OFFICERS, what="lifecycle steps")
    rec = transition(store, place_id, body.to, expected_version=body.version, actor=user["username"],
                     comment=body.comment, document_ref=body.document_ref, data=body.data)
    return to_features([rec])[0]


class RenameIn(BaseModel):
    """A rename and the decision behind it."""

    new_name: str = Field(min_length=1, max_length=64)
    version: int
    approval: dict[str, Any]
    specific: str | None = None
    generic: str | None = None
    justification: str | None = None
    protection_override: str | None = None
    romanization_override: dict[str, str] | None = None


@router.post("/{place_id}/rename", summary="更名 Rename (keeps the former name)")
def post_rename(place_id: int, body: RenameIn, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Rename a name in force; streets and door-plate addresses follow, plates are queued for reprint."""
    require_role(user, OFFICERS, what="renaming")
    rec = rename(store, place_id, body.new_name, expected_version=body.version, actor=user["username"],
                 approval=body.approval, specific=body.specific, generic=body.generic,
                 justification=body.justification, protection_override=body.protection_override,
                 romanization_override=body.romanization_override)
    return to_features([rec])[0]
