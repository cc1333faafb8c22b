"""A door plate's status is a decision (revoked, replaced, back in use) with body, document and date.

The one use case that changes a plate's status; the officer pages and the API both call it. Nothing
is deleted: a revoked plate keeps its record and its QR code answers "revoked".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from geo.errors import Conflict, InputError, NotFound
from geo.layers import PLATE_STATUSES
from geo.store import Store, schema
from geo.text import clean, has_text
from geo.types import parse_date
from geo.validation import refuses_control_characters

DECISION_FIELDS = ("decision_body", "decision_doc_no", "decision_date")
FINAL_STATUSES = ("revoked", "replaced")  # a revoked plate's QR keeps saying so; a new plate gets a new code


@refuses_control_characters
def decide_plate_status(store: Store, plate_uid: str, status: str, decision: Mapping[str, Any], *,
                        expected_version: int, actor: str) -> dict[str, Any]:
    """Set a plate's status with the decision behind it, in one transaction with its audit row."""
    if status not in PLATE_STATUSES:
        raise InputError(f"status 的取值 {status!r} 不在允许范围内 · status must be one of "
                         f"{', '.join(PLATE_STATUSES)}", field="status")
    missing = [k for k in DECISION_FIELDS if not has_text(decision.get(k))]
    if missing:
        raise InputError(f"门牌状态变更须记录决定：{', '.join(missing)} · a status change must record "
                         f"{', '.join(missing)}", field=missing[0])
    when = parse_date(decision["decision_date"], field="decision_date")
    if when is not None and when > date.today():
        raise InputError("决定日期晚于今天 · decision_date lies in the future", field="decision_date")
    with store.writing() as conn:
        row = conn.execute(schema.door_plates.select().where(schema.door_plates.c.plate_uid == plate_uid)
                           ).mappings().first()
        if row is None:
            raise NotFound(f"没有门牌 {plate_uid} · no door plate {plate_uid}", field="plate_uid")
        current = store.get("door_plates", row["id"], conn=conn)
        if current["status"] == status:
            raise Conflict(f"门牌已是 {status} · the plate is {status} already", field="status")
        if current["status"] in FINAL_STATUSES:
            raise Conflict(f"门牌已{'撤销' if current['status'] == 'revoked' else '替换'}，不能恢复；如需门牌请新设 · "
                           f"the plate is {current['status']}, which is final: create a new plate instead",
                           field="status")
        return store.update("door_plates", current["id"], {
            "status": status, "decision_body": clean(str(decision["decision_body"])),
            "decision_doc_no": clean(str(decision["decision_doc_no"])), "decision_date": when},
            expected_version=expected_version, actor=actor, conn=conn, action=f"status:{status}")
