"""Residents' problem reports (the officers' inbox) as JSON: list with filters, resolve with a note.

Place-name officers and admins only. The reports come from the public plate page (no personal
data); resolving one is :func:`geo.plates.resident_reports.resolve_report` (audited; a stale
version is refused with 409).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import StoreDep, needs_role
from geo.layers import OFFICERS
from geo.plates.resident_reports import (
    MAX_PAGE_SIZE,
    NOTE_MAX_CHARS,
    REPORT_KIND_ZH,
    REPORT_STATUS_ZH,
    ReportFilter,
    list_reports,
    resolve_report,
)

router = APIRouter(prefix="/api/reports", tags=["reports 群众报告"])
Officer = Annotated[dict[str, Any], Depends(needs_role(OFFICERS, "residents' problem reports"))]
Kind = Literal["damaged_plate", "wrong_info", "missing_plate", "other"]


class ResolveIn(BaseModel):
    """What the officer did about the report, and the version of the report they read."""

    version: int = Field(ge=1)
    note: str = Field(min_length=1, max_length=NOTE_MAX_CHARS)


def _report(row: dict[str, Any]) -> dict[str, Any]:
    """Return one report as the API shows it: times in ISO 8601, kind and status also in Chinese."""
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
    out["kind_zh"] = REPORT_KIND_ZH.get(row.get("kind") or "", row.get("kind"))
    out["status_zh"] = REPORT_STATUS_ZH.get(row.get("status") or "", row.get("status"))
    return out


@router.get("", summary="群众报告列表 List residents' problem reports")
def get_reports(store: StoreDep, user: Officer,
                status: Literal["open", "resolved"] | None = None, street: str | None = None,
                kind: Kind | None = None, since: date | None = None, until: date | None = None,
                limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
                offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Return reports newest first, filtered by status, street (part of its name), kind and date
    (Beijing days, inclusive), with the total that match; ``limit`` at most 200."""
    rows, total = list_reports(store, ReportFilter(status=status, street=street, kind=kind,
                                                   since=since, until=until),
                               limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "reports": [_report(r) for r in rows]}


@router.post("/{report_id}/resolve", summary="处理群众报告 Resolve a report with a note")
def post_resolve(report_id: int, body: ResolveIn, store: StoreDep, user: Officer) -> dict[str, Any]:
    """Mark the report resolved with a note (audited); 409 if it was resolved already or changed
    since ``version`` was read."""
    return _report(resolve_report(store, report_id, note=body.note, expected_version=body.version,
                                  actor=user["username"]))
