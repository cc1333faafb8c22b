"""Officer endpoints for door plates: number suggestions and checks along a street."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import shapely
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import StoreDep, needs_role
from api.geojson import to_features
from geo import crs as C
from geo.errors import InputError, NotFound
from geo.layers import OFFICERS
from geo.plate_decisions import decide_plate_status
from geo.plate_numbering import check, merged_street, oriented, suggest
from geo.store import Store
from geo.types import LonLat

router = APIRouter(prefix="/api/plates/numbering", tags=["door plates 智慧门牌"])


def _street(store: Store, street_name: str):
    parts = store.select("streets", where={"name": street_name})
    if not parts:
        raise NotFound(f"no street called {street_name!r}", field="street_name")
    line = merged_street(C.to_metric(np.asarray([p["geometry"] for p in parts], dtype=object)))
    rule = parts[0]
    return oriented(line, rule.get("numbering_start") or "start"), rule.get("odd_side") or "left"


def _plates(store: Store, street_name: str):
    plates = store.select("door_plates", where={"street_name": street_name, "status": "active"})
    xy = shapely.get_coordinates(C.to_metric(np.asarray([p["geometry"] for p in plates], dtype=object))) \
        if plates else np.zeros((0, 2))
    return plates, xy


class SuggestIn(BaseModel):
    """New plate positions on a street."""

    street_name: str
    points: list[list[float]]
    crs: str = C.STORAGE_CRS


@router.post("/suggest", summary="门牌编号建议 Suggest numbers for new plates")
def post_suggest(body: SuggestIn, store: StoreDep,
                 user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "plate numbering"))]) -> dict[str, Any]:
    """Suggest numbers by the street's rule: parity by side, rising along it, room left for later plates."""
    if not 1 <= len(body.points) <= 500:
        raise InputError("points must hold 1 to 500 positions", field="points")
    line, odd_side = _street(store, body.street_name)
    pts = [LonLat.from_xy(*p[:2], crs=body.crs, field="points") if len(p) == 2 else None for p in body.points]
    if any(p is None for p in pts):
        raise InputError("each point must be [lon, lat]", field="points")
    new_xy = shapely.get_coordinates(C.to_metric(shapely.points([(p.lon, p.lat) for p in pts])))
    plates, xy = _plates(store, body.street_name)
    far = shapely.distance(shapely.points(new_xy), line) > 100
    if far.any():
        raise InputError(f"point {int(np.flatnonzero(far)[0]) + 1} is more than 100 m from {body.street_name}",
                         field="points")
    return {"street_name": body.street_name, "odd_side": odd_side,
            "suggestions": suggest(line, xy, np.array([p["number"] for p in plates]), new_xy, odd_side=odd_side)}


@router.get("/check", summary="门牌编号检查 Check a street's numbering")
def get_check(street_name: str, store: StoreDep,
              user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "plate numbering"))]) -> dict[str, Any]:
    """Report plates on the wrong side for their parity, out of order, or duplicated."""
    line, odd_side = _street(store, street_name)
    plates, xy = _plates(store, street_name)
    problems = check(line, xy, np.array([p["number"] for p in plates], dtype=int),
                     [p.get("suffix") or "" for p in plates], odd_side=odd_side) if plates else []
    return {"street_name": street_name, "plates": len(plates),
            "problems": [{**pr, "plate_uid": plates[pr["index"]]["plate_uid"]} for pr in problems]}


decision_router = APIRouter(prefix="/api/plates", tags=["door plates 智慧门牌"])


class PlateStatusIn(BaseModel):
    """A plate's new status and the decision behind it."""

    version: int
    status: Literal["active", "revoked", "replaced"]
    decision_body: str = Field(min_length=1, max_length=200)
    decision_doc_no: str = Field(min_length=1, max_length=200)
    decision_date: str = Field(min_length=1, max_length=32)


@decision_router.post("/{plate_uid}/status", summary="门牌状态决定 Decide a plate's status")
def post_plate_status(plate_uid: str, body: PlateStatusIn, store: StoreDep,
                      user: Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "plate decisions"))]
                      ) -> dict[str, Any]:
    """Revoke, replace or reinstate a plate, recording the decision body, document number and date."""
    rec = decide_plate_status(store, plate_uid, body.status, body.model_dump(), expected_version=body.version,
                              actor=user["username"])
    return to_features([rec])[0]
