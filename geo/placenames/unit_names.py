"""A community's, village's or sub-district's name is the unit's: it changes only by a division decision.

The gazetteer holds the name of every unit in force (``feature_class`` community, village or
admin_unit, ``admin_code`` the unit's code). Renaming or retiring that name through the gazetteer's
own use cases would leave the unit, its plates and its addresses under the old name, or a unit in
force without one; so those use cases refuse it and name the division change that does it whole
(:mod:`geo.divisions`: ``POST /api/divisions/rename``, ``/merge``, ``/split``). A name may still be
proposed or edited for a unit in force only as that unit's own name (a backfill), never as a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from geo.errors import Conflict
from geo.messages import quoted, text
from geo.store import schema

# A unit's level -> the feature class of its name in the gazetteer.
UNIT_FEATURE_CLASS = {"community": "community", "village": "village", "subdistrict": "admin_unit",
                      "town": "admin_unit", "township": "admin_unit", "district": "admin_unit", "county": "admin_unit"}


def unit_in_force(conn: sa.Connection, name: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Return the unit in force (code, name, level) whose name ``name`` is, or None."""
    levels = [level for level, cls in UNIT_FEATURE_CLASS.items() if cls == name.get("feature_class")]
    code = name.get("admin_code")
    if not levels or code in (None, ""):
        return None
    u = schema.admin_units
    row = conn.execute(sa.select(u.c.code, u.c.name, u.c.level).where(
        u.c.code == str(code), u.c.level.in_(levels),
        sa.func.coalesce(u.c.status, "active") == "active")).mappings().first()
    return dict(row) if row is not None else None


def refuse_changing_a_unit_name(conn: sa.Connection, name: Mapping[str, Any], *, action: str) -> None:
    """Refuse renaming (``action="rename"``) or retiring (``"retire"``) the name of a unit in force."""
    unit = unit_in_force(conn, name)
    if unit is None:
        return
    key = "placenames.unit_rename_by_division" if action == "rename" else "placenames.unit_retire_by_division"
    raise Conflict(text(key, name=quoted(name.get("standard_name") or ""), unit=unit["name"], code=unit["code"]),
                   field="admin_code")


def refuse_binding_another_name(conn: sa.Connection, before: Mapping[str, Any] | None,
                                after: Mapping[str, Any]) -> None:
    """Refuse a proposal or edit that detaches a unit's name from its unit, or gives a unit in force a
    name other than its own (the unit's name changes by a division rename)."""
    if before is not None:
        bound = unit_in_force(conn, before)
        if bound is not None and (before.get("feature_class") != after.get("feature_class")
                                  or str(before.get("admin_code")) != str(after.get("admin_code"))):
            raise Conflict(text("placenames.unit_name_detached", unit=bound["name"], code=bound["code"]),
                           field="admin_code")
    unit = unit_in_force(conn, after)
    if unit is not None and str(after.get("standard_name") or "").strip() != unit["name"]:
        raise Conflict(text("placenames.unit_has_its_name", name=quoted(after.get("standard_name") or ""),
                            unit=unit["name"], code=unit["code"]), field="admin_code")
