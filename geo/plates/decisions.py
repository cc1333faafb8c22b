"""A door plate's status is a decision (revoked, replaced, back in use) with body, document and date.

The one use case that changes a plate's status; the officer pages and the API both call it. Nothing
is deleted: a revoked plate keeps its record and its QR code answers "revoked".

Replacing a plate (:func:`replace_plate`) is the same decision plus the new plate, in one
transaction: the old plate becomes ``replaced`` with ``successor_plate_uid`` set to the new plate's
uid, and the new plate is created with a fresh uid (by default at the old one's address and
position), so the old plate's QR page can say it was replaced and link to the successor.

The addresses below the plate go with the decision (#17 review, F11/F14/F22/F31): a replacement
moves every building, unit and room to the successor (ids and QR tokens kept, strings rebuilt;
:mod:`geo.addresses.successor`); ``replaced`` is reached only that way, never by a bare status
decision; a revocation with active addresses below is refused unless ``with_addresses`` retires
them with the plate, in the same transaction (as AD-06 does for an address). A successor placed
elsewhere takes the community its position lies in and must stand by its street.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shapely
import sqlalchemy as sa

from geo.addresses.successor import active_below, lock_plate_addresses, move_to_successor, retire_with_plate
from geo.errors import Conflict, InputError, NotFound, StaleVersion
from geo.layers import PLATE_FINAL_STATUSES, PLATE_STATUSES
from geo.location_rules import check_layer_locations, plate_units_at
from geo.messages import Term, label, labels, quoted, text, value_label, value_labels
from geo.plates.moves import place_on_street
from geo.plates.numbering import parity_of
from geo.plates.rules import FAR_FROM_STREET_M, fresh_plate_uids, plates_for_write
from geo.store import Store, schema
from geo.text import clean, has_text
from geo.types import beijing_today, parse_date
from geo.validation import check_one_line, refuses_control_characters

DECISION_FIELDS = ("decision_body", "decision_doc_no", "decision_date")
# What the new plate of a replacement may give; what it leaves out is the old plate's.
SUCCESSOR_FIELDS = ("street_name", "number", "suffix", "side", "building_name", "households", "community_code",
                    "geometry")


def _decision(decision: Mapping[str, Any]) -> dict[str, Any]:
    """Return a decision's body, document number and date, each present; a future date is refused."""
    missing = [k for k in DECISION_FIELDS if not has_text(decision.get(k))]
    if missing:
        raise InputError(text("plates.decision_requires", fields=labels(missing)), field=missing[0])
    for key in ("decision_body", "decision_doc_no"):
        check_one_line(decision[key], field=key)
    when = parse_date(decision["decision_date"], field="decision_date")
    if when is not None and when > beijing_today():
        raise InputError(text("plates.decision_future", field=label("decision_date")), field="decision_date")
    return {"decision_body": clean(str(decision["decision_body"])),
            "decision_doc_no": clean(str(decision["decision_doc_no"])), "decision_date": when}


def _plate(store: Store, conn: sa.Connection, plate_uid: str) -> dict[str, Any]:
    row = conn.execute(schema.door_plates.select().where(schema.door_plates.c.plate_uid == plate_uid)
                       ).mappings().first()
    if row is None:
        raise NotFound(text("plates.not_found", uid=plate_uid), field="plate_uid")
    return store.get("door_plates", row["id"], conn=conn)


WITH_ADDRESSES = Term("一并注销其下地址", "with_addresses")


@refuses_control_characters
def decide_plate_status(store: Store, plate_uid: str, status: str, decision: Mapping[str, Any], *,
                        expected_version: int, actor: str, with_addresses: bool = False) -> dict[str, Any]:
    """Set a plate's status with the decision behind it, in one transaction with its audit row.

    ``replaced`` is refused here: only :func:`replace_plate` replaces (it creates the successor and
    moves the addresses). Revoking a plate with active addresses below it is refused (409, field
    ``with_addresses``) unless ``with_addresses`` is set; then they are retired with it on the
    decision's date.
    """
    if status not in PLATE_STATUSES:
        raise InputError(text("plates.bad_status", field=label("status"), value=repr(status),
                              allowed=value_labels(PLATE_STATUSES)), field="status")
    if status == "replaced":
        raise InputError(text("plate_successors.replace_via_successor", uid=plate_uid), field="status")
    decided = _decision(decision)
    with store.writing() as conn:
        lock_plate_addresses(conn, plate_uid)
        current = _plate(store, conn, plate_uid)
        if current["status"] == status:
            raise Conflict(text("plates.same_status", status=value_label(status)), field="status")
        if current["status"] in PLATE_FINAL_STATUSES:
            raise Conflict(text("plates.final_status", status=value_label(current["status"])), field="status")
        if current["version"] != expected_version:
            raise StaleVersion(text("store.stale", record=plate_uid, current=current["version"],
                                    given=expected_version), field="version")
        below = active_below(store, conn, plate_uid) if status == "revoked" else 0
        if below and not with_addresses:
            raise Conflict(text("plate_successors.revoke_active_addresses", uid=plate_uid, count=below,
                                field=WITH_ADDRESSES), field="with_addresses")
        after = store.update("door_plates", current["id"], {"status": status, **decided},
                             expected_version=expected_version, actor=actor, conn=conn, action=f"status:{status}")
        if below:
            retire_with_plate(store, conn, plate_uid=plate_uid, on=decided["decision_date"],
                              doc_no=decided["decision_doc_no"], actor=actor)
        return after


def _place_successor(store: Store, conn: sa.Connection, current: Mapping[str, Any], successor: dict[str, Any]
                     ) -> list[str]:
    """Check a successor placed elsewhere or numbered anew, and say what follows from it.

    Moved: it must stand by its street (as far as a new plate may, :data:`FAR_FROM_STREET_M`, else
    refused) and takes the side of the street it stands on. Moved or not, it takes the community its
    position lies in.
    Moved or renumbered: a number of the wrong parity for its side is a DP-02 warning (as the
    street's numbering check reports it for any plate). Returns the warnings and notes."""
    point = successor.get("geometry")
    moved = point is not None and (current.get("geometry") is None or not shapely.equals(point, current["geometry"]))
    out: list[str] = []
    (unit,) = plate_units_at(conn, [point], adcode=store.adcode)
    if unit is not None and unit.code != successor.get("community_code"):  # where it stands, moved or not
        successor["community_code"] = unit.code
        out.append(text("plate_successors.successor_community", name=unit.name, code=unit.code))
    if not moved and successor.get("number") == current.get("number"):
        return out
    street = str(successor.get("street_name") or "").strip()
    place = place_on_street(conn, street, point) if point is not None else None
    if place is None:
        return out
    if moved and place.gap_m > FAR_FROM_STREET_M:
        raise InputError(text("plate_successors.successor_far", street=street, gap=f"{place.gap_m:.0f}",
                              limit=f"{FAR_FROM_STREET_M:.0f}"), field="lonlat")
    if moved:
        successor["side"] = place.side
    side, odd_side = place.side, place.odd_side
    if int(successor["number"]) % 2 != parity_of(side, odd_side):
        out.append(text("plate_successors.successor_parity", street=street, number=successor["number"],
                        side=value_label(side)))
    return out


MAX_PLATE_NUMBER = 99999


def _successor_number(value: Any) -> int:
    """Return the successor's number (a whole number 1–99999, typed or given), else refuse naming it."""
    typed = str(value).strip()
    if isinstance(value, bool) or not (isinstance(value, int) or (typed.isascii() and typed.isdigit())) \
            or not 1 <= int(typed) <= MAX_PLATE_NUMBER:
        raise InputError(text("plate_successors.bad_number", field=label("number"), value=quoted(typed, max_chars=20),
                              limit=MAX_PLATE_NUMBER), field="number")
    return int(typed)


@refuses_control_characters
def replace_plate(store: Store, plate_uid: str, decision: Mapping[str, Any], *, expected_version: int, actor: str,
                  new_plate: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Replace an active plate by a new one (new uid) under one decision; link the old to its successor.

    ``new_plate`` gives what differs from the old plate (:data:`SUCCESSOR_FIELDS`; geometry in EPSG:4490);
    the rest is copied. The new plate passes the plate rules (street in force, DP-04, inside the
    district); placed elsewhere, it takes the community of its position and must stand by its
    street. Every address below the old plate moves to the new one in the same transaction.
    Returns ``{"replaced": old, "successor": new, "warnings": [...], "moved_addresses": n}``.
    """
    given = dict(new_plate or {})
    unknown = sorted(set(given) - set(SUCCESSOR_FIELDS))
    if unknown:
        raise InputError(text("place_codes.replace_fields", allowed=labels(SUCCESSOR_FIELDS), field=label(unknown[0])),
                         field=unknown[0])
    if given.get("number") is not None:
        given["number"] = _successor_number(given["number"])
    decided = _decision(decision)
    with store.writing() as conn:
        lock_plate_addresses(conn, plate_uid)
        current = _plate(store, conn, plate_uid)
        if current["version"] != expected_version:
            raise StaleVersion(text("store.stale", record=plate_uid, current=current["version"],
                                    given=expected_version), field="version")
        if current["status"] != "active":
            raise Conflict(text("place_codes.replace_not_active", uid=plate_uid,
                                status=value_label(current["status"])), field="status")
        (uid,) = fresh_plate_uids(conn, 1)
        successor = {k: current.get(k) for k in SUCCESSOR_FIELDS}
        successor.update({k: v for k, v in given.items() if v is not None})
        successor.update(plate_uid=uid, status="active")
        notes = _place_successor(store, conn, current, successor)
        old = store.update("door_plates", current["id"], {"status": "replaced", "successor_plate_uid": uid, **decided},
                           expected_version=expected_version, actor=actor, conn=conn, action="status:replaced",
                           note=f"{plate_uid} → {uid}")
        check_layer_locations(conn, "door_plates", [successor], adcode=store.adcode)
        warnings = plates_for_write(conn, [successor], adcode=store.adcode)
        (new_id,) = store.insert("door_plates", [successor], actor=actor, conn=conn, note=f"replaces {plate_uid}")
        moved = move_to_successor(store, conn, old_uid=plate_uid, new_uid=uid, actor=actor)
        return {"replaced": old, "successor": store.get("door_plates", new_id, conn=conn),
                "warnings": [*notes, *warnings], "moved_addresses": moved}


def last_successor(store: Store, plate_uid: str) -> str | None:
    """Return the plate at the end of ``plate_uid``'s replacements (its successor's successor …: the one to print;
    None: not replaced). A chain that loops (never written, but read defensively) ends where it repeats."""
    seen = {plate_uid}
    current = successor_of(store, plate_uid)
    while current is not None and current not in seen:
        seen.add(current)
        following = successor_of(store, current)
        if following is None:
            return current
        current = following
    return current


def successor_of(store: Store, plate_uid: str) -> str | None:
    """Return the uid of the plate that replaced ``plate_uid`` (None: not replaced, or no successor recorded)."""
    p = schema.door_plates
    with store.reading() as conn:
        return conn.execute(sa.select(p.c.successor_plate_uid).where(p.c.plate_uid == plate_uid,
                                                                     p.c.status == "replaced")).scalar()
