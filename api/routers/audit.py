"""The audit trail: who changed what, when, before and after (admins only)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.deps import StoreDep, needs_role
from geo.layers import ADMIN

router = APIRouter(prefix="/api/audit", tags=["audit 审计"])


def _value(stored: str | None) -> Any:
    """Return a stored ``before``/``after`` as the JSON object it holds (``None`` when empty).

    The store writes them as JSON text; the answer carries them as objects, as the change feed does.
    Text that is not JSON (never written by this service) is passed on as it is rather than refused.
    """
    if stored is None or stored == "":
        return None
    try:
        return json.loads(stored)
    except (TypeError, ValueError):
        return stored


def audit_entry(row: dict[str, Any]) -> dict[str, Any]:
    """Return one audit row as the API shows it: ``before``/``after`` as objects, ``at`` in ISO 8601."""
    at = row["at"]
    return {**row, "before": _value(row.get("before")), "after": _value(row.get("after")),
            "at": at.isoformat() if hasattr(at, "isoformat") else at}


@router.get("", summary="审计记录 Audit rows")
def get_audit(store: StoreDep,
              user: Annotated[dict[str, Any], Depends(needs_role({ADMIN}, "reading the audit trail"))],
              table: str, record_id: int | None = None) -> list[dict[str, Any]]:
    """Return the audit rows of a table, or of one record, oldest first; ``before`` and ``after`` are
    the record as JSON objects (geometry as a GeoJSON geometry object), as in the change feed."""
    store.table(table)
    return [audit_entry(r) for r in store.audit_rows(table, record_id)]
