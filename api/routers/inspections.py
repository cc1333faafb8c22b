"""Boundary inspection over HTTP: campaigns (admins), field records (inspectors), sign-off, reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from api.deps import StoreDep, UserDep, require_role
from api.geojson import to_features
from geo.inspections import campaign_report, create_campaign, sign_off, submit
from geo.layers import ADMIN, BOUNDARY_INSPECTOR

router = APIRouter(prefix="/api/inspections", tags=["boundaries 界线联检"])
INSPECTORS = {ADMIN, BOUNDARY_INSPECTOR}


class CampaignIn(BaseModel):
    """A joint inspection campaign."""

    name: str
    campaign_type: str = "periodic"
    line_codes: list[str]
    required_accuracy_m: float
    start_date: str | None = None
    end_date: str | None = None


@router.post("/campaigns", status_code=201, summary="联检任务 Open a campaign")
def post_campaign(body: CampaignIn, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Open a campaign over some lines, with the GNSS accuracy its records must reach."""
    require_role(user, {ADMIN}, what="opening campaigns")
    rec = create_campaign(store, body.model_dump(), actor=user["username"])
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items()}


@router.post("", summary="提交检查记录 Submit a field record (idempotent on client_id)")
def post_record(body: dict[str, Any], store: StoreDep, user: UserDep, response: Response) -> dict[str, Any]:
    """Store a field record with its photo; a retry with the same client_id returns the first record."""
    require_role(user, INSPECTORS, what="recording inspections")
    rec, created = submit(store, body, actor=user["username"])
    response.status_code = 201 if created else 200
    return to_features([rec])[0]


class SignOffIn(BaseModel):
    """One side's signature under a joint campaign."""

    party_adcode: str


@router.post("/campaigns/{campaign_id}/signoff", summary="双方签认 Sign off a joint campaign")
def post_signoff(campaign_id: int, body: SignOffIn, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Record a side's sign-off; the campaign is signed off when both districts have signed."""
    require_role(user, INSPECTORS, what="signing off campaigns")
    return sign_off(store, campaign_id, body.party_adcode, actor=user["username"])


@router.get("/campaigns/{campaign_id}/report", summary="联检报告 Campaign report per line")
def get_report(campaign_id: int, store: StoreDep, user: UserDep) -> list[dict[str, Any]]:
    """Markers inspected, missing, damaged, displaced, in conflict and not yet visited, per line."""
    require_role(user, INSPECTORS, what="campaign reports")
    return campaign_report(store, campaign_id)
