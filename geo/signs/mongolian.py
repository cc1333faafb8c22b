"""The Mongolian name a sign may show: the name's ``name_mong`` unless it is left from a former name.

A street's rename changes its Chinese name and sign text but not, by itself, its Mongolian name
(review #17 F8): the Mongolian stored then still spells the former name. A sign put up or printed
from it would show 月泰路 / YUETAI LU beside the Mongolian of 月泰街. So a sign takes the Mongolian
only when it was not carried over unchanged by the name's latest rename (read from the audit trail:
the rename row's before/after copies, then any later change of it). ``name_mong_pending`` alone does
not hide a stored Mongolian: the sample and older records keep the flag set after recording one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from geo.store import schema


def _copy(value: Any) -> dict[str, Any]:
    if not value:
        return {}
    try:
        out = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return {}
    return out if isinstance(out, dict) else {}


def stale_after_rename(conn: sa.Connection, place_name_id: int) -> bool:
    """Return whether the name's Mongolian was carried over unchanged by its latest rename."""
    log = schema.audit_log
    rows = conn.execute(sa.select(log.c.action, log.c.before, log.c.after).where(
        log.c.table_name == "place_names", log.c.record_id == int(place_name_id)).order_by(log.c.id)).all()
    stale = False
    for action, before, after in rows:
        old, new = _copy(before), _copy(after)
        changed = "name_mong" in new and (old.get("name_mong") or None) != (new.get("name_mong") or None)
        if action == "rename":
            stale = not changed
        elif changed:
            stale = False
    return stale


def mongolian_in_force(conn: sa.Connection, name: Mapping[str, Any]) -> tuple[str | None, bool]:
    """Return ``(mongolian, stale)``: the Mongolian a sign of ``name`` shows (None when there is none to
    show), and whether one is stored but may not be shown (left from the former name)."""
    mong = str(name.get("name_mong") or "").strip()
    if not mong:
        return None, False
    if stale_after_rename(conn, int(name["id"])):
        return None, True
    return mong, False
