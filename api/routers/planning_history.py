"""Indicator history over HTTP: dated snapshots of the plan's indicators, their comparison, and the
planned-versus-existing facilities. Planners and admins (as the other planning endpoints).

JSON endpoints authenticate with ``Authorization: Bearer`` only (api/csrf.py): a browser never sends
their credentials by itself, so the snapshot POST needs no CSRF token, like the other JSON writes.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field, StrictBool

from api.deps import StoreDep, UserDep, needs_role
from geo.errors import InputError
from geo.layers import ADMIN, PLANNER
from geo.messages import text
from geo.planning import history
from geo.planning.run import parse_kinds, walk_params

ROLES = frozenset({ADMIN, PLANNER})
router = APIRouter(prefix="/api/planning", tags=["planning 规划"],
                   dependencies=[Depends(needs_role(ROLES, "planning results"))])
MAX_IDS_TEXT = 200  # characters of ?ids= / ?dates=
MAX_ID = 2**31 - 1  # the largest id the database holds


class SnapshotIn(BaseModel):
    """A snapshot to take: its kind (baseline, midterm and final take the plan's dates), its date for
    on_demand (default today, Beijing), a label, the walking parameters; ``replace`` (admins only)
    recomputes an existing baseline, mid-term or final snapshot of the same date."""

    kind: Literal["baseline", "midterm", "final", "on_demand"]
    as_of: date | None = None
    label: Annotated[str | None, Field(max_length=history.MAX_LABEL_CHARS)] = None
    preset: Literal["default", "elderly"] = "default"
    minutes: Annotated[float | None, Field(ge=1, le=120)] = None
    speed_m_per_s: Annotated[float | None, Field(ge=0.1, le=3)] = None
    replace: StrictBool = False


def _numbers(value: str) -> list[int]:
    """Return the snapshot ids of ``?ids=1,2`` (each a database integer), or refuse naming ``ids``."""
    try:
        numbers = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        numbers = [0]
    if any(not 1 <= n <= MAX_ID for n in numbers):
        raise InputError(text("indicator_history.id_value", value=repr(value[:40])), field="ids")
    return numbers


def _frame_records(frame) -> list[dict[str, Any]]:
    """Return rows as JSON records; dates as plain ``YYYY-MM-DD`` (not midnight timestamps)."""
    days = frame.apply(lambda c: c.map(lambda v: v.isoformat() if isinstance(v, date) else v)) if len(frame) else frame
    return json.loads(days.to_json(orient="records", force_ascii=False))


@router.post("/indicator-snapshots", status_code=201, summary="保存指标快照 Take an indicator snapshot")
def post_snapshot(body: SnapshotIn, store: StoreDep, user: UserDep) -> dict[str, Any]:
    """Compute the indicators as of the snapshot's date and store them with the data version used."""
    return history.take_snapshot(store, kind=body.kind, as_of=body.as_of, label=body.label, actor=user["username"],
                                 role=user["role"], params=walk_params(body.preset, body.minutes, body.speed_m_per_s),
                                 replace=body.replace)


@router.get("/indicator-snapshots", summary="指标快照列表 Stored indicator snapshots")
def get_snapshots(store: StoreDep, limit: Annotated[int, Query(ge=1, le=history.MAX_LISTED)] = 100
                  ) -> dict[str, Any]:
    """Return the stored snapshots (kind, date, data version, whether the data changed since)."""
    return {"current_data_seq": history.planning_data_seq(store), "note": text("indicator_history.note.open_only"),
            "snapshots": history.list_snapshots(store, limit=limit)}


@router.get("/indicator-snapshots/compare", summary="指标快照比较 Snapshots side by side")
def get_compare(store: StoreDep, ids: Annotated[str, Query(max_length=MAX_IDS_TEXT)] = "",
                dates: Annotated[str, Query(max_length=MAX_IDS_TEXT)] = "") -> dict[str, Any]:
    """Return snapshots (``ids=1,2``; or ``dates=2020-12-31,2023-06-30``) side by side with the changes.

    A date without a stored snapshot is computed now and marked ``stored: false``.
    """
    days = [d.strip() for d in dates.split(",") if d.strip()]
    comparison = history.compare(store, ids=_numbers(ids), dates=days)
    return {**comparison.to_dict(), "note": text("indicator_history.note.open_only")}


@router.get("/indicator-snapshots/{snapshot_id}", summary="指标快照 One indicator snapshot")
def get_snapshot(snapshot_id: Annotated[int, Path(ge=1, le=MAX_ID)], store: StoreDep) -> dict[str, Any]:
    """Return one stored snapshot with its indicators, parameters and data version."""
    return history.get_snapshot(store, snapshot_id)


@router.get("/facilities/status", summary="规划与现有设施 Planned and existing facilities")
def get_facility_status(store: StoreDep, kinds: str | None = None) -> dict[str, Any]:
    """Return per sub-district/town and kind how many facilities are open, under construction, planned,
    closed today, and the planned ones with their planned opening dates."""
    status = history.facility_status(store)
    by_unit, to_come = status.by_unit, status.to_come
    if kinds:
        chosen = parse_kinds(kinds)
        by_unit, to_come = by_unit[by_unit["kind"].isin(chosen)], to_come[to_come["kind"].isin(chosen)]
    return {"as_of": status.day.isoformat(), "note": text("indicator_history.note.open_only"),
            "by_unit": _frame_records(by_unit), "planned": _frame_records(to_come)}
