"""Boundary casework over HTTP: marker repairs (BM-03), the five-year inspection cadence (BM-06), dispute
cases (BM-09) and their archived files (BM-07). Boundary roles only (admin, boundary inspector); a
user acts for the districts in their account (``users.adcodes``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field, StrictBool, StrictInt

from api.deps import StoreDep, needs_role
from api.geojson import GEOJSON, answers_as, to_features
from geo.boundaries.attachments import attachment_file
from geo.boundaries.cadence import line_cadence, overdue_lines
from geo.boundaries.disputes import (
    add_dispute_document,
    assign_dispute,
    dispute_detail,
    list_disputes,
    open_dispute,
    resolve_dispute,
    withdraw_dispute,
)
from geo.boundaries.repairs import record_repair, repairs_of_marker
from geo.layers import INSPECTORS
from geo.users import acts_for

Inspector = Annotated[dict[str, Any], Depends(needs_role(INSPECTORS, "boundary casework"))]
_DB_INT = 2**31 - 1
_TEXT = 10_000

repairs_router = APIRouter(prefix="/api/markers", tags=["boundaries 界线联检"])
lines_router = APIRouter(prefix="/api/boundary-lines", tags=["boundaries 界线联检"])
router = APIRouter(prefix="/api/disputes", tags=["boundaries 界线联检"])
attachments_router = APIRouter(prefix="/api/boundary-attachments", tags=["boundaries 界线联检"])


class FileIn(BaseModel):
    """A file, base64-encoded: a photo (JPEG, PNG) or a document (PDF, JPEG, PNG), judged by its content."""

    data_base64: str | None = None


class PositionIn(BaseModel):
    """A surveyed position in the CRS it names (default CGCS2000, EPSG:4490)."""

    lon: float | None = None
    lat: float | None = None
    crs: str | None = Field(default=None, max_length=32)


class RepairIn(BaseModel):
    """A repair done on a marker (BM-03); a re-set adds the BM-04 records and the new position.

    Yes/no and numbers are strict: ``"yes"`` or ``"1"`` is refused, not read as true or 1 (the
    neighbour's presence is a legal condition, BM-10)."""

    repaired_on: str | None = Field(default=None, max_length=32)
    repairing_adcode: str | None = Field(default=None, max_length=12)
    neighbour_adcode: str | None = Field(default=None, max_length=12)
    neighbour_present: StrictBool | None = None
    our_representative: str | None = Field(default=None, max_length=_TEXT)
    neighbour_representative: str | None = Field(default=None, max_length=_TEXT)
    work: str | None = Field(default=None, max_length=_TEXT)
    reset: StrictBool = False
    inspection_id: StrictInt | None = Field(default=None, ge=1, le=_DB_INT, description="the repair request it closes")
    remarks: str | None = Field(default=None, max_length=_TEXT)
    marker_version: StrictInt | None = Field(default=None, ge=1, le=_DB_INT)
    new_position: PositionIn | None = None
    agreement_doc: str | None = Field(default=None, max_length=_TEXT)
    survey_ref: str | None = Field(default=None, max_length=_TEXT)
    filed_with: str | None = Field(default=None, max_length=_TEXT)
    photos: list[FileIn] = Field(default=[], max_length=50)


def _sides(user: dict[str, Any], store: Any) -> set[str]:
    return acts_for(user, default=store.adcode)


@repairs_router.post("/{marker_id}/repairs", status_code=201, summary="界桩修复 Record a repair (BM-03)",
                     responses={200: {"description": "the same repair was recorded already: the first record"}})
def post_repair(marker_id: int, body: RepairIn, store: StoreDep, user: Inspector, response: Response
                ) -> dict[str, Any]:
    """Record a repair by the marker's managing side with the neighbour present; a re-set moves the marker.

    The same repair sent again (a retry) is answered 200 with the first record and stores nothing."""
    data = body.model_dump(exclude={"photos"})
    repair = record_repair(store, {**data, "marker_id": marker_id}, photos=[p.model_dump() for p in body.photos],
                           actor=user["username"], actor_adcodes=_sides(user, store))
    if repair["repeated"]:
        response.status_code = 200
    return repair


@repairs_router.get("/{marker_id}/repairs", summary="界桩修复记录 A marker's repairs")
def get_repairs(marker_id: int, store: StoreDep, user: Inspector) -> list[dict[str, Any]]:
    """Return a marker's repairs, oldest first, with their photos' metadata (files: /api/boundary-attachments)."""
    return repairs_of_marker(store, marker_id)


@lines_router.get("/inspection-due", summary="联检到期 Lines due for joint inspection (BM-06)")
def get_inspection_due(store: StoreDep, user: Inspector,
                       every: Annotated[bool, Query(alias="all", description="every line, not only overdue")] = False,
                       ) -> list[dict[str, Any]]:
    """Return the lines overdue for their five-yearly joint inspection, most overdue first (never first)."""
    return line_cadence(store) if every else overdue_lines(store)


class DisputeIn(BaseModel):
    """A dispute case: the line, a title, the disputed area (GeoJSON polygon) and the markers concerned."""

    line_code: str | None = Field(default=None, max_length=8)
    title: str | None = Field(default=None, max_length=_TEXT)
    geometry: dict[str, Any] | None = None
    crs: str = Field(default="EPSG:4490", max_length=32)
    marker_nos: list[str] | None = Field(default=None, max_length=200)
    raised_by_adcode: str | None = Field(default=None, max_length=12)
    opened_on: str | None = Field(default=None, max_length=32)
    remarks: str | None = Field(default=None, max_length=_TEXT)


def _case(record: dict[str, Any]) -> dict[str, Any]:
    """A case without its geometry (served as GeoJSON by GET /api/disputes/{id}/geometry)."""
    return {k: v for k, v in record.items() if k != "geometry"}


@router.post("", status_code=201, summary="争议立案 Open a dispute case (BM-09)")
def post_dispute(body: DisputeIn, store: StoreDep, user: Inspector) -> dict[str, Any]:
    """Open a case on a line; the case number is given and the area computed (m², EPSG:4546)."""
    return _case(open_dispute(store, body.model_dump(), actor=user["username"], actor_adcodes=_sides(user, store)))


@router.get("", summary="争议案件 Dispute cases")
def get_disputes(store: StoreDep, user: Inspector,
                 state: Annotated[str | None, Query(max_length=16)] = None,
                 line_code: Annotated[str | None, Query(max_length=8)] = None) -> list[dict[str, Any]]:
    """Return the cases (of one state, one line), newest first, with their documents' metadata."""
    return [_case(c) for c in list_disputes(store, state=state, line_code=line_code)]


@router.get("/{dispute_id}", summary="争议案件 One dispute case")
def get_dispute(dispute_id: int, store: StoreDep, user: Inspector) -> dict[str, Any]:
    """Return one case with its documents' metadata."""
    return _case(dispute_detail(store, dispute_id))


@router.get("/{dispute_id}/geometry", responses=answers_as(GEOJSON), summary="争议区域 The disputed area (GeoJSON)")
def get_dispute_geometry(dispute_id: int, store: StoreDep, user: Inspector) -> Response:
    """Return the disputed area as a GeoJSON Feature (EPSG:4490 coordinates) with the case's fields."""
    import json

    case = {k: v for k, v in dispute_detail(store, dispute_id).items() if k != "documents"}
    feature = to_features([case])[0]
    return Response(json.dumps(feature, ensure_ascii=False), media_type=GEOJSON)


class AssignIn(BaseModel):
    """Who handles the case (the approving authority or its office), on the case's version as read."""

    version: int = Field(ge=1, le=_DB_INT)
    assigned_to: str = Field(max_length=_TEXT)


class DocumentIn(FileIn):
    """A document archived with a case: its number, date of issue, title and file (PDF, JPEG, PNG)."""

    title: str | None = Field(default=None, max_length=_TEXT)
    document_no: str | None = Field(default=None, max_length=_TEXT)
    issued_on: str | None = Field(default=None, max_length=32)


class CaseDocumentIn(DocumentIn):
    """A document to add to a case, on the case's version as read."""

    version: int = Field(ge=1, le=_DB_INT)


class ResolveIn(BaseModel):
    """The approving authority's decision (BM-09): its document number and what it decided."""

    version: int = Field(ge=1, le=_DB_INT)
    decision_doc: str | None = Field(default=None, max_length=_TEXT)
    resolution: str | None = Field(default=None, max_length=_TEXT)
    resolved_on: str | None = Field(default=None, max_length=32)
    document: DocumentIn | None = None


class WithdrawIn(BaseModel):
    """Why the case is withdrawn."""

    version: int = Field(ge=1, le=_DB_INT)
    reason: str = Field(max_length=_TEXT)


@router.post("/{dispute_id}/assign", summary="争议交办 Assign a case")
def post_assign(dispute_id: int, body: AssignIn, store: StoreDep, user: Inspector) -> dict[str, Any]:
    """Record who handles the case; a stale version gets 409, a closed case 409."""
    return _case(assign_dispute(store, dispute_id, assigned_to=body.assigned_to, expected_version=body.version,
                                actor=user["username"], actor_adcodes=_sides(user, store)))


@router.post("/{dispute_id}/documents", summary="争议文件 Add a document to a case (BM-07)")
def post_document(dispute_id: int, body: CaseDocumentIn, store: StoreDep, user: Inspector) -> dict[str, Any]:
    """Archive a document (number, date, file) with an open or assigned case."""
    return _case(add_dispute_document(store, dispute_id, body.model_dump(exclude={"version"}),
                                      expected_version=body.version, actor=user["username"],
                                      actor_adcodes=_sides(user, store)))


@router.post("/{dispute_id}/resolve", summary="争议结案 Record the decision (BM-09)")
def post_resolve(dispute_id: int, body: ResolveIn, store: StoreDep, user: Inspector) -> dict[str, Any]:
    """Close an assigned case with the approving authority's decision; the system records, never decides."""
    data = body.model_dump(exclude={"version"})
    return _case(resolve_dispute(store, dispute_id, data, expected_version=body.version, actor=user["username"],
                                 actor_adcodes=_sides(user, store)))


@router.post("/{dispute_id}/withdraw", summary="争议撤回 Withdraw a case")
def post_withdraw(dispute_id: int, body: WithdrawIn, store: StoreDep, user: Inspector) -> dict[str, Any]:
    """Close a case that is withdrawn before a decision, with the reason."""
    return _case(withdraw_dispute(store, dispute_id, reason=body.reason, expected_version=body.version,
                                  actor=user["username"], actor_adcodes=_sides(user, store)))


@attachments_router.get("/{attachment_id}", responses=answers_as("application/pdf", "image/jpeg", "image/png"),
                        summary="界线档案文件 An archived photo or document")
def get_attachment(attachment_id: int, store: StoreDep, user: Inspector) -> Response:
    """Return an archived file as stored (its type judged by its content when it was accepted)."""
    data, media_type, name = attachment_file(store, attachment_id)
    return Response(data, media_type=media_type, headers={"Content-Disposition": f"attachment; filename={name}"})
