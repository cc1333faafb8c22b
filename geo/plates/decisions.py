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
from geo.messages import label, labels, text, value_label, value_labels
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
        raise InputError(text("plates.bad_status", field=label("status"), value=repr(status),
                              allowed=value_labels(PLATE_STATUSES)), field="status")
    missing = [k for k in DECISION_FIELDS if not has_text(decision.get(k))]
    if missing:
        raise InputError(text("plates.decision_requires", fields=labels(missing)), field=missing[0])
    when = parse_date(decision["decision_date"], field="decision_date")
    if when is not None and when > date.today():
        raise InputError(text("plates.decision_future", field=label("decision_date")), field="decision_date")
    with store.writing() as conn:
        row = conn.execute(schema.door_plates.select().where(schema.door_plates.c.plate_uid == plate_uid)
                           ).mappings().first()
        if row is None:
            raise NotFound(text("plates.not_found", uid=plate_uid), field="plate_uid")
        current = store.get("door_plates", row["id"], conn=conn)
        if current["status"] == status:
            raise Conflict(text("plates.same_status", status=value_label(status)), field="status")
        if current["status"] in FINAL_STATUSES:
            raise Conflict(text("plates.final_status", status=value_label(current["status"])), field="status")
        return store.update("door_plates", current["id"], {
            "status": status, "decision_body": clean(str(decision["decision_body"])),
            "decision_doc_no": clean(str(decision["decision_doc_no"])), "decision_date": when},
            expected_version=expected_version, actor=actor, conn=conn, action=f"status:{status}")
