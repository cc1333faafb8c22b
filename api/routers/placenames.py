"""The gazetteer over HTTP: public search and lookup; officers propose, edit, approve and rename."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from api.cache import cached_name_index
from api.deps import OptionalUserDep, ReadsDep, StoreDep, needs_role
from api.feature_models import (
    GeoJSONGeometry,
    RecordFieldErrors,
    RecordFields,
    Version,
    record_model,
    sent,
)
from api.geojson import XLSX, answers_as, to_features
from geo import crs as C
from geo.errors import InputError, NotFound
from geo.features import parse_geometry
from geo.layers import AREA, LAYERS, LINE, OFFICERS, PLACE_NAME_STATUSES, PLANNER, POINT
from geo.messages import label, quoted, text
from geo.placenames.exchange import announcement_text, change_feed
from geo.placenames.lifecycle import (
    NAME_FIELDS,
    STEP_RECORDS_ALL,
    check_name,
    confirm_romanization,
    edit,
    exchange_table_of,
    overdue_names,
    propose,
    record_filing,
    rename,
    set_protection,
    transition,
    unit_names,
)
from geo.placenames.romanize import romanize
from geo.placenames.search import PlaceLocator
from geo.plates.address_match import load_address_matcher
from geo.store import Store
from geo.types import LonLat


class _NameFieldErrors(RecordFieldErrors):
    """A wrong value in a name's properties, a step's data or a rename's approval names its field."""

    records: ClassVar[Mapping[str, RecordFields]] = {
        "properties": RecordFields("地名申报与修改", "a name's proposal or edit", NAME_FIELDS,
                                   "（状态、保护、代码与拼写由各自的步骤决定）",
                                   " (status, protection, codes and romanization have their own steps)"),
        "data": RecordFields("此步骤记录", "a lifecycle step's data", STEP_RECORDS_ALL),
        "approval": RecordFields("更名批准", "a rename's approval", STEP_RECORDS_ALL),
    }


router = APIRouter(prefix="/api/placenames", tags=["placenames 地名"], route_class=_NameFieldErrors)
export_router = APIRouter(prefix="/api/gazetteer", tags=["placenames 地名"])
address_router = APIRouter(prefix="/api/addresses", tags=["placenames 地名"])
PUBLIC_STATUSES = {"in_force"}


def _officer(user: dict[str, Any] | None) -> bool:
    return bool(user and user["role"] in OFFICERS)


def _locator(request: Request, store: Store) -> PlaceLocator:
    return request.app.state.cache.get(
        store, "name_locator", lambda: PlaceLocator(store.select("place_names", where={"status": "in_force"})),
        small=True)


@router.get("/search", summary="地名查询 Search names")
def search(request: Request, reads: ReadsDep, user: OptionalUserDep,
           q: Annotated[str, Query(min_length=1, max_length=64, description="汉字, pinyin or initials")],
           limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[dict[str, Any]]:
    """Search by Chinese, full pinyin, initials (xlbl) or former name, typo-tolerant; public sees names in force.

    Read from the replica when it may serve it (the index is cached per data version of the database read)."""
    statuses = None if _officer(user) else PUBLIC_STATUSES
    hits = reads.run(lambda store: cached_name_index(request.app.state.cache, store)
                     .search(q, limit=limit, statuses=statuses))
    return [{"id": h.id, "standard_name": h.name, "matched": h.matched, "how": h.how, "score": round(h.score, 2)}
            for h in hits]


@router.get("/at", summary="此处地名 What is named here")
def named_here(request: Request, reads: ReadsDep, lonlat: str, crs: str = C.STORAGE_CRS,
               radius_m: Annotated[float, Query(gt=0, le=500)] = 30.0) -> list[dict[str, Any]]:
    """Return the names in force within ``radius_m`` of a point, and the areas that contain it (from the
    replica when it may serve it)."""
    p = LonLat.parse(lonlat, crs=crs)
    return reads.run(lambda store: _locator(request, store).at(p.lon, p.lat, radius_m=radius_m))


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
        raise NotFound(text("http.name_not_public", id=place_id), field="id")
    out = to_features([rec])[0]
    out["former_names"] = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()
                            if k in ("name", "romanization", "valid_from", "valid_to", "reason")}
                           for r in store.select("former_names", where={"place_name_id": place_id})]
    if _officer(user):
        out["events"] = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()
                          if k in ("from_status", "to_status", "at", "actor", "comment", "document_ref", "warnings")}
                         for r in store.select("place_name_events", where={"place_name_id": place_id})]
    return out


_PLACE_NAMES = LAYERS["place_names"]
# A name's own fields as a proposal or an edit sends them (status, codes and romanization have their steps).
NameProperties = record_model("NameProperties", _PLACE_NAMES, NAME_FIELDS, required=("standard_name",),
                              title="地名属性 A name's properties (GB/T 18521 category, meaning, history …)")
# What a lifecycle step or a rename records (the approval decision, filing and announcement dates).
_DATES = {"approval_date": date, "filed_date": date, "announce_date": date}
StepRecords = record_model("StepRecords", _PLACE_NAMES, STEP_RECORDS_ALL, types=_DATES,
                           title="步骤记录 What a step records (approval, filing, announcement)")
ApprovalRecords = record_model("ApprovalRecords", _PLACE_NAMES, STEP_RECORDS_ALL, types=_DATES,
                               required=("approval_authority", "approval_doc_no", "approval_date"),
                               title="更名批准 The decision behind a rename")


def _step_data(records: BaseModel) -> dict[str, Any]:
    """Return what a step or rename records, as sent (dates as YYYY-MM-DD text)."""
    return sent(records) or {}


class RomanizationOverride(BaseModel):
    """RM-13: the officer's own romanization, with its basis and reason."""

    model_config = ConfigDict(extra="forbid")

    pinyin_toned: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=2000)
    basis: str = Field(default="", max_length=500)


def _override(value: RomanizationOverride | None) -> dict[str, str] | None:
    return (value.model_dump(exclude_unset=True) or None) if value is not None else None


class NameIn(BaseModel):
    """A proposed name, or changes to one."""

    properties: NameProperties
    geometry: GeoJSONGeometry | None = None
    crs: str = Field(default=C.STORAGE_CRS, max_length=32)
    justification: str | None = Field(default=None, max_length=2000)
    romanization_override: RomanizationOverride | None = None


@router.post("/validate", summary="规则检查 Check a name against the rules")
def check(body: NameIn, store: StoreDep,
          user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "checking names"))]) -> dict[str, Any]:
    """Return every finding (PN rules) for a name without saving anything."""
    findings = check_name(store, sent(body.properties) or {})
    return {"ok": not any(f.severity == "error" for f in findings), "findings": [f.to_dict() for f in findings]}


def _geometry(body: NameIn):
    if not body.geometry:
        return None
    return parse_geometry(body.geometry, crs=body.crs, allowed=POINT + LINE + AREA)


@router.post("", status_code=201, summary="申报地名 Propose a name")
def post_name(body: NameIn, store: StoreDep,
              user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "proposing names"))]) -> dict[str, Any]:
    """Propose a name: validated, romanized and stored as ``proposed``."""
    rec = propose(store, sent(body.properties) or {}, actor=user["username"], justification=body.justification,
                  romanization_override=_override(body.romanization_override), geometry=_geometry(body))
    return to_features([rec])[0]


class NamePatch(NameIn):
    """Changes to a name, based on the version the officer read."""

    version: Version


@router.patch("/{place_id}", summary="修改地名 Edit a name before approval")
def patch_name(place_id: int, body: NamePatch, store: StoreDep,
               user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "editing names"))]) -> dict[str, Any]:
    """Edit a name; a stale version gets 409 and nothing is merged."""
    rec = edit(store, place_id, sent(body.properties) or {}, expected_version=body.version, actor=user["username"],
               justification=body.justification, romanization_override=_override(body.romanization_override),
               geometry=_geometry(body))
    return to_features([rec])[0]


class TransitionIn(BaseModel):
    """One lifecycle step."""

    to: Literal[PLACE_NAME_STATUSES]
    version: Version
    comment: str | None = Field(default=None, max_length=2000)
    document_ref: str | None = Field(default=None, max_length=200)
    data: StepRecords = Field(default_factory=StepRecords)


@router.post("/{place_id}/transition", summary="审批流程 Move through the lifecycle")
def post_transition(place_id: int, body: TransitionIn, store: StoreDep,
                    user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "lifecycle steps"))],
                    ) -> dict[str, Any]:
    """Consultation, expert review, assessment, approval, filing, announcement, in force, retired."""
    rec = transition(store, place_id, body.to, expected_version=body.version, actor=user["username"],
                     comment=body.comment, document_ref=body.document_ref, data=_step_data(body.data))
    return to_features([rec])[0]


class RenameIn(BaseModel):
    """A rename and the decision behind it."""

    new_name: str = Field(min_length=1, max_length=64)
    version: Version
    approval: ApprovalRecords
    specific: str | None = Field(default=None, max_length=64)
    generic: str | None = Field(default=None, max_length=64)
    justification: str | None = Field(default=None, max_length=2000)
    romanization_override: RomanizationOverride | None = None


@router.post("/{place_id}/rename", summary="更名 Rename (keeps the former name)")
def post_rename(place_id: int, body: RenameIn, store: StoreDep,
                user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "renaming"))]) -> dict[str, Any]:
    """Rename a name in force; streets and door-plate addresses follow, plates are queued for reprint."""
    rec = rename(store, place_id, body.new_name, expected_version=body.version, actor=user["username"],
                 approval=_step_data(body.approval), specific=body.specific, generic=body.generic,
                 justification=body.justification, romanization_override=_override(body.romanization_override))
    return to_features([rec])[0]


class ConfirmIn(BaseModel):
    """RM-13: the officer's confirmation of an automatic romanization, with its basis."""

    version: Version
    basis: str = Field(min_length=1, max_length=500)


@router.post("/{place_id}/romanization/confirm", summary="确认拼写 Confirm a romanization (RM-13)")
def post_confirm(place_id: int, body: ConfirmIn, store: StoreDep,
                 user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "confirming romanizations"))]
                 ) -> dict[str, Any]:
    """Confirm the automatic pinyin of a name of Mongolian origin so that it can be approved."""
    rec = confirm_romanization(store, place_id, expected_version=body.version, actor=user["username"],
                               basis=body.basis)
    return to_features([rec])[0]


class FilingIn(BaseModel):
    """Filing (备案) and announcement (公告) dates of a renamed name in force."""

    version: Version
    filed_date: str | None = Field(default=None, max_length=32)
    announce_date: str | None = Field(default=None, max_length=32)


@router.post("/{place_id}/filing", summary="备案与公告 Record filing and announcement (PN-11/12)")
def post_filing(place_id: int, body: FilingIn, store: StoreDep,
                user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "recording filing"))]) -> dict[str, Any]:
    """Record when a renamed name was filed and announced; dates before approval are refused."""
    rec = record_filing(store, place_id, expected_version=body.version, actor=user["username"],
                        filed_date=body.filed_date, announce_date=body.announce_date)
    return to_features([rec])[0]


class ProtectionIn(BaseModel):
    """PN-09: a decision to protect a name or clear its protection."""

    version: Version
    protected: bool
    document_ref: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    decision_body: str | None = Field(default=None, max_length=200)  # listing: the body that decided
    decision_date: str | None = Field(default=None, max_length=32)  # default today (Beijing)
    category: str | None = Field(default=None, max_length=24)  # the list's category (listing only)


@router.post("/{place_id}/protection", summary="地名保护 Protect a name or clear it (PN-09)")
def post_protection(place_id: int, body: ProtectionIn, store: StoreDep,
                    user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "protection decisions"))]
                    ) -> dict[str, Any]:
    """Record a protection decision with its document and reason (an event in the name's history)."""
    rec = set_protection(store, place_id, body.protected, expected_version=body.version, actor=user["username"],
                         document_ref=body.document_ref, reason=body.reason, decision_body=body.decision_body,
                         decision_date=body.decision_date, category=body.category)
    return to_features([rec])[0]


@export_router.get("/overdue", summary="逾期未备案/公告 Names overdue for filing or announcement")
def get_overdue(store: StoreDep,
                user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "the overdue list"))]
                ) -> list[dict[str, Any]]:
    """PN-11/12: names approved more than 15 days ago that are still unfiled or unannounced."""
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
            for r in overdue_names(store)]


@export_router.get("/exchange", responses=answers_as("text/csv", XLSX),
                   summary="国家地名库交换表 Exchange table (CSV/XLSX)")
def get_exchange(store: StoreDep,
                 user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "exporting the gazetteer"))],
                 format: str = "csv", status: str = "in_force"):
    """Return the national place-name database exchange table of the names with ``status``."""
    if format not in ("csv", "xlsx"):
        raise InputError(text("common.choice", field=label("format"), value=quoted(format), allowed="csv, xlsx"),
                         field="format")
    table = exchange_table_of(store, status)
    tmp = tempfile.TemporaryDirectory()
    path = Path(tmp.name) / f"gazetteer_exchange.{format}"
    if format == "csv":
        table.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        table.to_excel(path, index=False)
    return FileResponse(path, filename=path.name, background=BackgroundTask(tmp.cleanup))


@export_router.get("/announcement", summary="标准地名公告 Announcement text", responses=answers_as("text/plain"))
def get_announcement(store: StoreDep,
                     user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "announcements"))],
                     ids: str) -> PlainTextResponse:
    """Return the announcement of the given approved names (comma-separated ids)."""
    try:
        wanted = [int(x) for x in ids.split(",") if x.strip()]
    except ValueError:
        raise InputError(text("http.comma_numbers", field=label("ids")), field="ids") from None
    names = [store.get("place_names", i) for i in wanted]
    not_approved = [n["id"] for n in names if n["status"] not in ("approved", "filed", "announced", "in_force")]
    if not names:
        raise InputError(text("http.announce_none", field=label("ids")), field="ids")
    if not_approved:
        raise InputError(text("http.announce_not_approved", ids=", ".join(map(str, not_approved))), field="ids")
    return PlainTextResponse(announcement_text(names, unit_names=unit_names(store)))


@export_router.get("/changes", summary="变更订阅 Change feed")
def get_changes(store: StoreDep,
                user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS | {PLANNER}, "the change feed"))],
                since: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    """Return gazetteer changes after sequence number ``since`` in commit order; poll with ``next``.

    Sequence numbers are given at commit, so a change that commits late is never skipped.
    """
    rows, cursor = store.changes(since, tables=("place_names", "former_names"), limit=limit)
    return {"since": since, "next": cursor, "changes": change_feed(rows)}


@address_router.get("/match", summary="地址清洗 Match a free-text address to a door plate")
def match_address(request: Request, store: StoreDep,
                  user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS | {PLANNER}, "address matching"))],
                  q: Annotated[str, Query(min_length=2, max_length=200)]) -> dict[str, Any]:
    """Return the door plate for a free-text address with a grade: exact, safe, uncertain or none."""

    result = request.app.state.cache.get(store, "address_matcher", lambda: load_address_matcher(store)).match(q)
    public = ("plate_uid", "street_name", "number", "suffix", "community_code")
    pick = lambda p: {k: p.get(k) for k in public}  # noqa: E731
    return {"grade": result.grade, "street": result.street, "number": result.number, "note": result.note,
            "plate": pick(result.plate) if result.plate else None,
            "candidates": [pick(c) for c in result.candidates],
            **result.depth()}  # the standard address below the plate: level, address, grade, unmatched (#17)
