"""Officer endpoints for door plates: number suggestions and checks along a street."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import shapely
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import StoreDep, needs_role
from api.geojson import to_features
from geo import crs as C
from geo.errors import InputError
from geo.layers import OFFICERS
from geo.messages import label, text
from geo.plates.decisions import decide_plate_status, replace_plate
from geo.plates.street_check import check_point_count, check_street, suggest_numbers
from geo.types import LonLat

router = APIRouter(prefix="/api/plates/numbering", tags=["door plates 智慧门牌"])


class SuggestIn(BaseModel):
    """New plate positions on a street."""

    street_name: str
    points: list[list[float]]
    crs: str = C.STORAGE_CRS


@router.post("/suggest", summary="门牌编号建议 Suggest numbers for new plates")
def post_suggest(body: SuggestIn, store: StoreDep,
                 user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "plate numbering"))]) -> dict[str, Any]:
    """Suggest numbers by the street's rule: parity by side, rising along it, room left for later plates."""
    check_point_count(len(body.points))
    pts = [LonLat.from_xy(*p[:2], crs=body.crs, field="points") if len(p) == 2 else None for p in body.points]
    if any(p is None for p in pts):
        raise InputError(text("http.each_lon_lat", field=label("points")), field="points")
    return suggest_numbers(store, body.street_name, [p for p in pts if p is not None])


@router.get("/check", summary="门牌编号检查 Check a street's numbering")
def get_check(street_name: str, store: StoreDep,
              user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "plate numbering"))]) -> dict[str, Any]:
    """Report plates on the wrong side for their parity, out of order, or duplicated."""
    return check_street(store, street_name)


decision_router = APIRouter(prefix="/api/plates", tags=["door plates 智慧门牌"])


class PlateStatusIn(BaseModel):
    """A plate's new status and the decision behind it."""

    version: int
    status: Literal["active", "revoked", "replaced"]
    decision_body: str = Field(min_length=1, max_length=200)
    decision_doc_no: str = Field(min_length=1, max_length=200)
    decision_date: str = Field(min_length=1, max_length=32)
    with_addresses: bool = False  # revoking: retire the active buildings, units and rooms below with the plate


@decision_router.post("/{plate_uid}/status", summary="门牌状态决定 Decide a plate's status")
def post_plate_status(plate_uid: str, body: PlateStatusIn, store: StoreDep,
                      user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "plate decisions"))]
                      ) -> dict[str, Any]:
    """Revoke a plate, recording the decision body, document number and date; with active addresses
    below it, only together with them (``with_addresses``, else 409). ``replaced`` is refused here:
    a replacement creates its successor (``POST /api/plates/{plate_uid}/replace``)."""
    rec = decide_plate_status(store, plate_uid, body.status, body.model_dump(), expected_version=body.version,
                              actor=user["username"], with_addresses=body.with_addresses)
    return to_features([rec])[0]


class PlateReplaceIn(BaseModel):
    """A plate's replacement: the decision, and what the new plate changes (the rest is the old one's)."""

    version: int
    decision_body: str = Field(min_length=1, max_length=200)
    decision_doc_no: str = Field(min_length=1, max_length=200)
    decision_date: str = Field(min_length=1, max_length=32)
    number: int | None = Field(default=None, ge=1, le=99999)
    suffix: str | None = Field(default=None, max_length=16)
    building_name: str | None = Field(default=None, max_length=200)
    lonlat: list[float] | None = Field(default=None, min_length=2, max_length=2)
    crs: str = C.STORAGE_CRS


@decision_router.post("/{plate_uid}/replace", summary="门牌替换 Replace a plate by a new one (successor)")
def post_plate_replace(plate_uid: str, body: PlateReplaceIn, store: StoreDep,
                       user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "plate decisions"))]
                       ) -> dict[str, Any]:
    """Revoke the plate as replaced and create its successor (new uid) in one decision; the old QR links to it.
    The buildings, units and rooms below move to the successor (ids and QR codes kept); a successor
    placed elsewhere takes the community of its position and must stand by its street."""
    new: dict[str, Any] = {k: v for k, v in (("number", body.number), ("suffix", body.suffix),
                                              ("building_name", body.building_name)) if v is not None}
    if body.lonlat is not None:
        point = LonLat.from_xy(*body.lonlat, crs=body.crs, field="lonlat")
        new["geometry"] = shapely.Point(point.lon, point.lat)
    out = replace_plate(store, plate_uid, body.model_dump(), expected_version=body.version, actor=user["username"],
                        new_plate=new)
    return {"replaced": to_features([out["replaced"]])[0], "successor": to_features([out["successor"]])[0],
            "warnings": out["warnings"], "moved_addresses": out["moved_addresses"]}
