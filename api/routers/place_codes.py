"""地名代码、保护名录与国家库同步 Place-name codes, heritage list and the national sync (#17 items 5–8).

``router`` holds the JSON endpoints (documented, every error in the one shape); ``page_router`` the
HTML pages, if any. Each write calls its use case in geo/placenames/; this module only parses and formats.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, StrictInt

from api.deps import StoreDep, needs_role
from geo.layers import OFFICERS, PLANNER
from geo.placenames.categories import load_categories, load_census_classes
from geo.placenames.codes import assign_missing, load_scheme
from geo.placenames.facility_names import DEFAULT_RADIUS_M, MAX_RADIUS_M, check_facility_names
from geo.placenames.heritage import protection_list
from geo.placenames.lifecycle import set_protection
from geo.placenames.national_sync import (
    SHOWN_FIELDS,
    batch_filename,
    get_batch,
    list_batches,
    make_batch,
    mark_acknowledged,
    mark_sent,
)

router = APIRouter(prefix="/api/place-codes", tags=["place codes 地名代码"])
page_router = APIRouter(include_in_schema=False)

MAX_ID = 2**31 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
Officer = Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "place-name codes"))]
Reader = Annotated[dict[str, Any], Depends(needs_role(OFFICERS | {PLANNER}, "place-name checks"))]


@router.get("/categories", summary="地名类别代码表 Category code table (GB/T 18521)")
def get_categories() -> dict[str, Any]:
    """Return the category table each ``category_code`` is checked against, each row with its source, and
    the census class (普查大类) a name without a code is exported under, by feature class and generic."""
    return {"file": "data/placenames/categories.csv",
            "categories": [c.to_dict() for c in load_categories().values()],
            "census_classes_file": "data/placenames/census_classes.csv",
            "census_classes": [{"feature_class": cls, "generic": generic or None, "census_class": census}
                               for (cls, generic), census in load_census_classes().items()]}


@router.get("/scheme", summary="地名代码方案 The place-code scheme")
def get_scheme(user: Officer) -> dict[str, Any]:
    """Return how codes are built (a project scheme until the national rule is known) and when they are given."""
    s = load_scheme()
    return {"file": "data/placenames/place_codes.toml", "template": s.template, "serial_digits": s.serial_digits,
            "unclassified": s.unclassified, "basis": s.basis, "source": s.source,
            "assigned_when": "approved（批准为标准地名时）; xincheng place-codes assign for names past approval"}


class AssignIn(BaseModel):
    """Confirm filling the codes of names past approval that have none (existing codes never change)."""

    confirm: Literal[True]


@router.post("/assign", summary="补充地名代码 Give codes to names that have none")
def post_assign(body: AssignIn, store: StoreDep, user: Officer) -> dict[str, int]:
    """Give every name past approval without a code its code; return how many were candidates and given."""
    return assign_missing(store, actor=user["username"])


# -- the heritage protection list (PN-09) ---------------------------------------------------------

class ListingIn(BaseModel):
    """A decision to put a name on the heritage protection list."""

    place_id: StrictInt = Field(ge=1, le=MAX_ID)
    version: StrictInt = Field(ge=1, le=MAX_ID)
    decision_body: str = Field(min_length=1, max_length=200)
    decision_doc_no: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    category: str | None = Field(default=None, max_length=24)
    decision_date: str | None = Field(default=None, max_length=32,
                                      description="listing date YYYY-MM-DD; default today (Beijing)")


class LiftIn(BaseModel):
    """A decision lifting a name's protection (the entry stays, status lifted)."""

    version: StrictInt = Field(ge=1, le=MAX_ID)
    decision_doc_no: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    decision_date: str = Field(min_length=1, max_length=32, description="lifting date YYYY-MM-DD")


@router.get("/heritage", summary="地名文化遗产保护名录 The heritage protection list")
def get_heritage(store: StoreDep, user: Reader,
                 status: Annotated[Literal["listed", "lifted"] | None, Query()] = None) -> list[dict[str, Any]]:
    """Return the list's entries, newest first: decision, reason, category, dates, the name and its code."""
    return protection_list(store, status=status)


@router.post("/heritage", status_code=201, summary="列入保护名录 List a name (PN-09)")
def post_heritage(body: ListingIn, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Put a name on the list with its decision; the name then refuses rename and retirement (PN-09)."""
    name = set_protection(store, body.place_id, True, expected_version=body.version, actor=user["username"],
                          document_ref=body.decision_doc_no, reason=body.reason, decision_body=body.decision_body,
                          decision_date=body.decision_date, category=body.category)
    return {"place_id": name["id"], "version": name["version"], "protected": name["protected"],
            "entry": protection_list(store, status="listed", place_id=name["id"])[0]}


@router.post("/heritage/{place_id}/lift", summary="解除保护 Lift a name's protection (PN-09)")
def post_heritage_lift(place_id: RecordId, body: LiftIn, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Lift the protection by a decision (document, reason, date); the entry is kept with status lifted."""
    name = set_protection(store, place_id, False, expected_version=body.version, actor=user["username"],
                          document_ref=body.decision_doc_no, reason=body.reason, decision_date=body.decision_date)
    return {"place_id": name["id"], "version": name["version"], "protected": name["protected"]}


@router.get("/facility-names", summary="设施名称与地名统一检查 Facility names vs local place names (PN-08)")
def get_facility_names(store: StoreDep, user: Reader,
                       radius_m: Annotated[float, Query(gt=0, le=MAX_RADIUS_M)] = DEFAULT_RADIUS_M
                       ) -> dict[str, Any]:
    """List facilities whose name contains no in-force place name within ``radius_m`` (warnings)."""
    return check_facility_names(store, radius_m=radius_m)


# -- the annual national sync ---------------------------------------------------------------------

class SyncIn(BaseModel):
    """The year whose changes to export."""

    year: StrictInt = Field(ge=2000, le=9999)


class SentIn(BaseModel):
    """Confirm a batch was sent."""

    version: StrictInt = Field(ge=1, le=MAX_ID)


class AckIn(BaseModel):
    """The national side's acknowledgement of a sent batch."""

    version: StrictInt = Field(ge=1, le=MAX_ID)
    ack_ref: str = Field(min_length=1, max_length=200)


def _listed(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: batch.get(k) for k in SHOWN_FIELDS}


@router.post("/sync-batches", status_code=201, summary="年度同步批次 Export the year's changes")
def post_sync_batch(body: SyncIn, store: StoreDep, user: Officer) -> JSONResponse:
    """Make the year's batch of changes not yet sent (201), or return the year's last batch unchanged (200)."""
    batch, created = make_batch(store, body.year, actor=user["username"])
    return JSONResponse(jsonable_encoder(_listed(batch)), status_code=201 if created else 200)


@router.get("/sync-batches", summary="同步批次列表 Sync batches")
def get_sync_batches(store: StoreDep, user: Officer,
                     year: Annotated[int | None, Query(ge=2000, le=9999)] = None) -> list[dict[str, Any]]:
    """Return the batches (without their files), newest first."""
    return [_listed(b) for b in list_batches(store, year=year)]


@router.get("/sync-batches/{batch_id}", summary="同步批次 One sync batch")
def get_sync_batch(batch_id: RecordId, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Return one batch's record (the file: ``/file``)."""
    return _listed(get_batch(store, batch_id))


@router.get("/sync-batches/{batch_id}/file", summary="下载同步批次 Download a batch file",
            responses={200: {"content": {"text/csv": {}}}})
def get_sync_batch_file(batch_id: RecordId, store: StoreDep, user: Officer) -> Response:
    """Return the batch file exactly as stored (UTF-8 CSV with BOM); its SHA-256 in ``X-Checksum-SHA256``."""
    batch = get_batch(store, batch_id)
    return Response(batch["payload"].encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{batch_filename(batch)}"',
                             "X-Checksum-SHA256": batch["checksum_sha256"]})


@router.post("/sync-batches/{batch_id}/sent", summary="登记已报送 Record a batch as sent")
def post_sync_sent(batch_id: RecordId, body: SentIn, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Record that the batch was sent to the national database; refused (409) while an earlier batch (an
    earlier year, or a lower number of the same year) is not recorded as sent, naming those batches."""
    return _listed(mark_sent(store, batch_id, expected_version=body.version, actor=user["username"]))


@router.post("/sync-batches/{batch_id}/acknowledged", summary="登记回执 Record the national acknowledgement")
def post_sync_ack(batch_id: RecordId, body: AckIn, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Record the national side's acknowledgement of a sent batch, with its reference."""
    return _listed(mark_acknowledged(store, batch_id, ack_ref=body.ack_ref, expected_version=body.version,
                                     actor=user["username"]))
