"""Boundary inspection over HTTP: campaigns (admins), field records (inspectors), sign-off, reports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from api.deps import StoreDep, needs_role
from api.geojson import XLSX, answers_as, to_features
from geo.boundaries.inspections import campaign_report, create_campaign, sign_off, submit
from geo.boundaries.markers import add_marker, decommission_marker, move_marker
from geo.errors import InputError
from geo.layers import ADMIN, INSPECTORS
from geo.messages import label, text
from geo.users import acts_for

router = APIRouter(prefix="/api/inspections", tags=["boundaries 界线联检"])


class CampaignIn(BaseModel):
    """A joint inspection campaign."""

    name: str
    campaign_type: str = "periodic"
    line_codes: list[str]
    required_accuracy_m: float
    teams: list[str] = []
    start_date: str | None = None
    end_date: str | None = None


@router.post("/campaigns", status_code=201, summary="联检任务 Open a campaign")
def post_campaign(body: CampaignIn, store: StoreDep,
                  user: Annotated[dict[str, Any], Depends(needs_role({ADMIN}, "opening campaigns"))]) -> dict[str, Any]:
    """Open a campaign over some lines, with the GNSS accuracy its records must reach."""
    rec = create_campaign(store, body.model_dump(), actor=user["username"])
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items()}


_DB_INT = 2**31 - 1  # the largest id or count the database columns hold


class PositionIn(BaseModel):
    """Where the phone measured the marker, in the CRS it names (default WGS84)."""

    lon: float | None = None
    lat: float | None = None
    crs: str | None = Field(default=None, max_length=32)


class PhotoIn(BaseModel):
    """A JPEG or PNG photo of the marker, base64-encoded."""

    data_base64: str | None = None


class InspectionIn(BaseModel):
    """One field record from a phone; the domain checks the values, this model their types.

    Only the fields sent are passed on (and hashed for the idempotent retry), as before.
    """

    client_id: str | None = Field(default=None, max_length=64)
    campaign_id: int | None = Field(default=None, ge=0, le=_DB_INT)
    marker_no: str | None = Field(default=None, max_length=64)
    condition: str | None = Field(default=None, max_length=32)
    action: str | None = Field(default=None, max_length=32)
    gnss_accuracy_m: float | None = None
    fixes: int | None = Field(default=None, ge=0, le=_DB_INT)
    position: PositionIn | None = None
    position_source: str | None = Field(default=None, max_length=16,
                                        description="phone, external_gnss, nmea or manual")
    nmea: str | None = Field(default=None, max_length=4000,
                             description="the receiver's GGA (and RMC) sentences, with position_source nmea")
    photo: PhotoIn | None = None
    observed_at: str | None = Field(default=None, max_length=64,
                                    description="观测时间，ISO 8601；无时区偏移时按北京时间 · when the record was "
                                                "made, ISO 8601; read as Beijing time when it has no offset "
                                                "(default: when the server receives it)")
    team: str | None = Field(default=None, max_length=200)
    remarks: str | None = Field(default=None, max_length=10_000)
    party_adcodes: list[str] | None = Field(default=None, max_length=20)


@router.post("", summary="提交检查记录 Submit a field record (idempotent on client_id)")
def post_record(body: InspectionIn, store: StoreDep,
                user: Annotated[dict[str, Any], Depends(needs_role(INSPECTORS, "recording inspections"))],
                response: Response) -> dict[str, Any]:
    """Store a field record with its photo; a retry with the same client_id returns the first record."""
    rec, created = submit(store, body.model_dump(exclude_unset=True), actor=user["username"])
    response.status_code = 201 if created else 200
    return to_features([rec])[0]


class SignOffIn(BaseModel):
    """One side's signature under a joint campaign."""

    party_adcode: str


@router.post("/campaigns/{campaign_id}/signoff", summary="双方签认 Sign off a joint campaign")
def post_signoff(campaign_id: int, body: SignOffIn, store: StoreDep,
                 user: Annotated[dict[str, Any], Depends(needs_role(INSPECTORS, "signing off campaigns"))],
                 ) -> dict[str, Any]:
    """Record a side's sign-off; the campaign is signed off when both districts have signed."""
    return sign_off(store, campaign_id, body.party_adcode, actor=user["username"],
                    actor_adcodes=acts_for(user, default=store.adcode))


@router.get("/campaigns/{campaign_id}/report", summary="联检报告 Campaign report per line")
def get_report(campaign_id: int, store: StoreDep,
               user: Annotated[dict[str, Any], Depends(needs_role(INSPECTORS, "campaign reports"))],
               ) -> list[dict[str, Any]]:
    """Markers inspected, missing, damaged, displaced, in conflict and not yet visited, per line."""
    return campaign_report(store, campaign_id)


markers_router = APIRouter(prefix="/api/markers", tags=["boundaries 界线联检"])


class MarkerIn(BaseModel):
    """A new marker or a new position, with the documents behind it."""

    position: list[float]
    crs: str = "EPSG:4490"
    version: int | None = None
    line_code: str | None = None
    marker_type: str = "single"
    type_code: str | None = None
    seq: int | None = Field(default=None, ge=1, le=999, description="sequence on the line, 1–999")
    material: str | None = None
    installed_on: str | None = None
    managing_adcode: str | None = None
    reason: str | None = None
    agreement_doc: str | None = None
    survey_ref: str | None = None
    filed_with: str | None = None


def _point(body: MarkerIn):
    import shapely

    from geo.types import LonLat

    if len(body.position) != 2:
        raise InputError(text("http.lon_lat", field=label("position")), field="position")
    p = LonLat.from_xy(body.position[0], body.position[1], crs=body.crs, field="position")
    return shapely.Point(p.lon, p.lat)


@markers_router.post("", status_code=201, summary="新增界桩 Register a marker (admin)")
def post_marker(body: MarkerIn, store: StoreDep,
                user: Annotated[dict[str, Any], Depends(needs_role({ADMIN}, "registering markers"))]) -> dict[str, Any]:
    """Register a new marker with the agreement, joint survey and filing behind it."""
    return to_features([add_marker(store, body.model_dump(), _point(body), actor=user["username"])])[0]


@markers_router.post("/{marker_id}/move", summary="界桩迁移 Move a marker (admin)")
def post_move(marker_id: int, body: MarkerIn, store: StoreDep,
              user: Annotated[dict[str, Any], Depends(needs_role({ADMIN}, "moving markers"))]) -> dict[str, Any]:
    """Register a marker's new position; a stale version gets 409."""
    if body.version is None:
        raise InputError(text("common.required", field=label("version")), field="version")
    rec = move_marker(store, marker_id, _point(body), body.model_dump(), expected_version=body.version,
                      actor=user["username"])
    return to_features([rec])[0]


class DecommissionIn(BaseModel):
    """Why a marker leaves service."""

    version: int
    reason: str
    document_ref: str


@markers_router.post("/{marker_id}/decommission", summary="界桩撤除 Decommission a marker (admin)")
def post_decommission(marker_id: int, body: DecommissionIn, store: StoreDep,
                      user: Annotated[dict[str, Any], Depends(needs_role({ADMIN}, "decommissioning markers"))],
                      ) -> dict[str, Any]:
    """Take a marker out of service with its reason and document; it is never deleted."""
    rec = decommission_marker(store, marker_id, reason=body.reason, document_ref=body.document_ref,
                              expected_version=body.version, actor=user["username"])
    return to_features([rec])[0]


@router.get("/campaigns/{campaign_id}/report.{fmt}", responses=answers_as("text/html", XLSX, "application/zip"),
            summary="联检报告文件 Report as HTML, XLSX or archive ZIP")
def get_report_file(campaign_id: int, fmt: str, store: StoreDep,
                    user: Annotated[dict[str, Any], Depends(needs_role(INSPECTORS, "campaign reports"))]) -> Response:
    """Return the report page (html), workbook (xlsx) or archive package (zip) of a campaign (bearer
    token; a browser's login session gets the same files from /maps/campaigns/{id}/report.*)."""
    from maps.campaign_report import REPORT_FORMATS, campaign_report_file
    if fmt not in REPORT_FORMATS:
        raise InputError(text("common.choice", field=label("format"), value=repr(fmt), allowed="html, xlsx, zip"),
                         field="fmt")
    content, media_type, filename = campaign_report_file(store, campaign_id, fmt)
    headers = {"Content-Disposition": f"attachment; filename={filename}"} if fmt == "zip" else None
    return Response(content, media_type=media_type, headers=headers)
