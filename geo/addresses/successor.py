"""What happens to the standard addresses below a door plate when the plate is replaced or revoked (#17, F11/F22).

Called by the plate use cases (:mod:`geo.plates.decisions`) inside their own transaction:

- :func:`move_to_successor`: a replaced plate's buildings, units and rooms (every one, retired ones
  too, so a parent and its children always hang below one plate) move to the successor plate. Their
  ids, QR tokens and parent chain are kept, so printed 楼牌 and 单元牌 still open a live address;
  the standard address strings of the active ones are rebuilt from the successor's street, number
  and community (a retired address keeps the string it had when it was retired).
- :func:`active_below` and :func:`retire_with_plate`: a revoked plate (门牌注销) may not leave
  active addresses below it; the use case refuses unless they are retired with it (like AD-06),
  and then they are retired here, on the decision's date, in the same transaction.

Both take the address lock of the plate first (the lock :class:`geo.addresses._plan.AddressPlan`
takes), so an address being added below the plate at the same moment either lands before (and is
moved or retired) or waits and then finds the plate no longer active (AD-05).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from geo.addresses._read import addresses_of_plates, labels_of, plate_contexts
from geo.addresses.standard import romanized_address, standard_address
from geo.store import Store, schema
from geo.store.spatial_sql import lock_natural_keys

ACTIVE = "active"


def lock_plate_addresses(conn: sa.Connection, *plate_uids: str) -> None:
    """Hold the address scope of the plates (PostgreSQL; SQLite serialises writers) until the commit."""
    lock_natural_keys(conn, [f"addresses:{u}" for u in plate_uids if u])


def active_below(store: Store, conn: sa.Connection, plate_uid: str) -> int:
    """Return how many active addresses of this district hang below ``plate_uid``."""
    a = schema.addresses
    return int(conn.execute(sa.select(sa.func.count()).select_from(a).where(
        a.c.plate_uid == plate_uid, a.c.adcode == store.adcode, a.c.status == ACTIVE)).scalar_one())


def count_active_below(store: Store, plate_uid: str) -> int:
    """Return how many active addresses hang below ``plate_uid`` (the revoke form asks about them)."""
    with store.reading() as conn:
        return active_below(store, conn, plate_uid)


def move_to_successor(store: Store, conn: sa.Connection, *, old_uid: str, new_uid: str, actor: str) -> int:
    """Move every address below ``old_uid`` to the plate ``new_uid`` (stored already, in this
    transaction); rebuild the active ones' standard addresses. Returns how many addresses moved."""
    rows = [r for r in addresses_of_plates(conn, [old_uid], lock=True) if r["adcode"] == store.adcode]
    if not rows:
        return 0
    ctx = plate_contexts(conn, [new_uid])[new_uid]
    note = f"门牌替换，地址随新门牌 plate replaced, the address follows: {old_uid} → {new_uid}"
    active: dict[int, dict[str, Any]] = {}
    retired: dict[int, dict[str, Any]] = {}
    for row in rows:
        if (row["status"] or ACTIVE) == ACTIVE:
            labels = labels_of(row)
            active[row["id"]] = {"plate_uid": new_uid, "standard_address": standard_address(ctx, labels),
                                 "romanized": romanized_address(ctx, labels)}
        else:
            retired[row["id"]] = {"plate_uid": new_uid}
    store.update_each("addresses", active, actor=actor, conn=conn, action="move", note=note)
    store.update_each("addresses", retired, actor=actor, conn=conn, action="move", note=note)
    return len(rows)


def retire_with_plate(store: Store, conn: sa.Connection, *, plate_uid: str, on: date, doc_no: str,
                      actor: str) -> list[dict[str, Any]]:
    """Retire every active address below the revoked plate ``plate_uid`` on ``on``; return them."""
    a = schema.addresses
    return store.update_matching(
        "addresses", sa.and_(a.c.plate_uid == plate_uid, a.c.status == ACTIVE),
        {"status": "retired", "retired_on": on}, actor=actor, conn=conn, action="retire",
        note=f"注销 retired: 门牌 {plate_uid} 注销（{doc_no}） with its revoked plate")
