"""A door plate's status is a decision (revoked, replaced, back in use) with body, document and date.

The one use case that changes a plate's status; the officer pages and the API both call it. Nothing
is deleted: a revoked plate keeps its record and its QR code answers "revoked".

Replacing a plate (:func:`replace_plate`) is the same decision plus the new plate, in one
transaction: the old plate becomes ``replaced`` with ``successor_plate_uid`` set to the new plate's
uid, and the new plate is created with a fresh uid (by default at the old one's address and
position), so the old plate's QR page can say it was replaced and link to the successor.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from geo.errors import Conflict, InputError, NotFound, StaleVersion
from geo.layers import PLATE_STATUSES
from geo.location_rules import check_layer_locations
from geo.messages import label, labels, text, value_label, value_labels
from geo.plates.rules import new_plate_uids, plates_for_write
from geo.store import Store, schema
from geo.text import clean, has_text
from geo.types import parse_date
from geo.validation import refuses_control_characters

DECISION_FIELDS = ("decision_body", "decision_doc_no", "decision_date")
FINAL_STATUSES = ("revoked", "replaced")  # a revoked plate's QR keeps saying so; a new plate gets a new code
# What the new plate of a replacement may give; what it leaves out is the old plate's.
SUCCESSOR_FIELDS = ("street_name", "number", "suffix", "side", "building_name", "households", "community_code",
                    "geometry")


def _decision(decision: Mapping[str, Any]) -> dict[str, Any]:
    """Return a decision's body, document number and date, each present; a future date is refused."""
    missing = [k for k in DECISION_FIELDS if not has_text(decision.get(k))]
    if missing:
        raise InputError(text("plates.decision_requires", fields=labels(missing)), field=missing[0])
    when = parse_date(decision["decision_date"], field="decision_date")
    if when is not None and when > date.today():
        raise InputError(text("plates.decision_future", field=label("decision_date")), field="decision_date")
    return {"decision_body": clean(str(decision["decision_body"])),
            "decision_doc_no": clean(str(decision["decision_doc_no"])), "decision_date": when}


def _plate(store: Store, conn: sa.Connection, plate_uid: str) -> dict[str, Any]:
    row = conn.execute(schema.door_plates.select().where(schema.door_plates.c.plate_uid == plate_uid)
                       ).mappings().first()
    if row is None:
        raise NotFound(text("plates.not_found", uid=plate_uid), field="plate_uid")
    return store.get("door_plates", row["id"], conn=conn)


@refuses_control_characters
def decide_plate_status(store: Store, plate_uid: str, status: str, decision: Mapping[str, Any], *,
                        expected_version: int, actor: str) -> dict[str, Any]:
    """Set a plate's status with the decision behind it, in one transaction with its audit row."""
    if status not in PLATE_STATUSES:
        raise InputError(text("plates.bad_status", field=label("status"), value=repr(status),
                              allowed=value_labels(PLATE_STATUSES)), field="status")
    decided = _decision(decision)
    with store.writing() as conn:
        current = _plate(store, conn, plate_uid)
        if current["status"] == status:
            raise Conflict(text("plates.same_status", status=value_label(status)), field="status")
        if current["status"] in FINAL_STATUSES:
            raise Conflict(text("plates.final_status", status=value_label(current["status"])), field="status")
        return store.update("door_plates", current["id"], {"status": status, **decided},
                            expected_version=expected_version, actor=actor, conn=conn, action=f"status:{status}")


@refuses_control_characters
def replace_plate(store: Store, plate_uid: str, decision: Mapping[str, Any], *, expected_version: int, actor: str,
                  new_plate: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Replace an active plate by a new one (new uid) under one decision; link the old to its successor.

    ``new_plate`` gives what differs from the old plate (:data:`SUCCESSOR_FIELDS`; geometry in EPSG:4490);
    the rest is copied. The new plate passes the plate rules (street in force, DP-04, inside the
    district). Returns ``{"replaced": old, "successor": new, "warnings": [...]}``.
    """
    given = dict(new_plate or {})
    unknown = sorted(set(given) - set(SUCCESSOR_FIELDS))
    if unknown:
        raise InputError(text("place_codes.replace_fields", allowed=labels(SUCCESSOR_FIELDS), field=label(unknown[0])),
                         field=unknown[0])
    decided = _decision(decision)
    with store.writing() as conn:
        current = _plate(store, conn, plate_uid)
        if current["version"] != expected_version:
            raise StaleVersion(text("store.stale", record=plate_uid, current=current["version"],
                                    given=expected_version), field="version")
        if current["status"] != "active":
            raise Conflict(text("place_codes.replace_not_active", uid=plate_uid,
                                status=value_label(current["status"])), field="status")
        taken = {r[0] for r in conn.execute(sa.select(schema.door_plates.c.plate_uid))}
        (uid,) = new_plate_uids(1, taken=taken)
        successor = {k: current.get(k) for k in SUCCESSOR_FIELDS}
        successor.update({k: v for k, v in given.items() if v is not None})
        successor.update(plate_uid=uid, status="active")
        old = store.update("door_plates", current["id"], {"status": "replaced", "successor_plate_uid": uid, **decided},
                           expected_version=expected_version, actor=actor, conn=conn, action="status:replaced",
                           note=f"{plate_uid} → {uid}")
        check_layer_locations(conn, "door_plates", [successor], adcode=store.adcode)
        warnings = plates_for_write(conn, [successor], adcode=store.adcode)
        (new_id,) = store.insert("door_plates", [successor], actor=actor, conn=conn, note=f"replaces {plate_uid}")
        return {"replaced": old, "successor": store.get("door_plates", new_id, conn=conn), "warnings": warnings}


def successor_of(store: Store, plate_uid: str) -> str | None:
    """Return the uid of the plate that replaced ``plate_uid`` (None: not replaced, or no successor recorded)."""
    p = schema.door_plates
    with store.reading() as conn:
        return conn.execute(sa.select(p.c.successor_plate_uid).where(p.c.plate_uid == plate_uid,
                                                                     p.c.status == "replaced")).scalar()
