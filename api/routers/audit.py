"""The audit trail: who changed what, when, before and after (admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.deps import StoreDep, needs_role
from geo.layers import ADMIN

router = APIRouter(prefix="/api/audit", tags=["audit 审计"])


@router.get("", summary="审计记录 Audit rows")
def get_audit(store: StoreDep,
              user: Annotated[dict[str, Any], Depends(needs_role({ADMIN}, "reading the audit trail"))],
              table: str, record_id: int | None = None) -> list[dict[str, Any]]:
    """Return the audit rows of a table, or of one record, oldest first."""
    store.table(table)
    rows = store.audit_rows(table, record_id)
    return [{**r, "at": r["at"].isoformat()} for r in rows]
