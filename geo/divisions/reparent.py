"""Records that name a community follow it to its new unit, and the unit figures are recounted.

Door plates (not revoked or replaced: those are history), facilities, premises and new estates
whose ``community_code`` is one of the old units are given the code of the new unit whose polygon
contains them (the nearest one for a record on a shared boundary or in a sliver), each change
audited through :meth:`Store.update_matching`; a named facility's place name (its ``admin_code``)
follows the facility.

Figures of the new units (the rule, documented in the report of the change):

* ``households``: the sum of ``door_plates.households`` of the active plates now in the unit
  (the sample and the planning both count households from the plates); households an old unit counts beyond
  its plates' (a county first loaded with its villages' household counts, its plates not or not all entered yet)
  are shared out by area on top (a merge of two such villages gave 0, a split of a partly plated one lost the
  rest), and a new unit on land of an old unit whose count is unknown has an unknown count (its people are
  then shared by area);
* ``residents``, ``registered_residents``, ``residents_60plus``: the old units' totals shared out in
  proportion to the households each new unit receives from each old unit (by area when an old
  unit had no households), in whole people by largest remainders, so the totals are kept exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import shapely
import sqlalchemy as sa

from geo.containment import containing_part
from geo.divisions.geometry import apportion, metric_area_m2
from geo.store import Store, schema

FOLLOWERS = ("door_plates", "facilities", "premises", "new_estates")
SHARED_FIGURES = ("residents", "registered_residents", "residents_60plus")
HISTORY_PLATES = ("revoked", "replaced")


def _followers(conn: sa.Connection, table_name: str, codes: Sequence[str], adcode: str) -> list[dict[str, Any]]:
    t = schema.metadata.tables[table_name]
    where = [t.c.community_code.in_(list(codes)), t.c.adcode == adcode]
    if table_name == "door_plates":
        where.append(sa.or_(t.c.status.is_(None), t.c.status.not_in(HISTORY_PLATES)))
    cols = [t.c.id, t.c.community_code, t.c.geom] + ([t.c.plate_uid, t.c.households, t.c.status]
                                                     if table_name == "door_plates" else [t.c.name])
    # Locked now, in id order (they are changed below anyway): the households the new units' figures are summed
    # from are then those of a plate upsert committed meanwhile, not the ones before it (third review: a merged
    # village's 1,018 households against its plates' 1,696).
    query = sa.select(*cols).where(*where).order_by(t.c.id).with_for_update()
    return [dict(r) for r in conn.execute(query).mappings()]


def _facility_name_follows(store: Store, conn: sa.Connection, facility: Mapping[str, Any], target: str, *,
                           actor: str, note: str) -> None:
    """A named facility's place name (feature class facility, admin_code its community) follows it."""
    p = schema.place_names
    store.update_matching("place_names", sa.and_(p.c.feature_class == "facility", p.c.standard_name == facility["name"],
                                                 p.c.admin_code == facility["community_code"]),
                          {"admin_code": target}, actor=actor, conn=conn, action="division_change", note=note)


def reparent(store: Store, conn: sa.Connection, old_codes: Sequence[str], new_units: Sequence[Mapping[str, Any]],
             *, actor: str, note: str, inside_only: bool = False) -> dict[str, Any]:
    """Move the records of ``old_codes`` to the ``new_units`` (dicts with code and geometry) that
    contain them (with ``inside_only``, only those inside one; else the rest to the nearest); return
    the moved plate uids and, per new code, households by old code."""
    geoms = [u["geometry"] for u in new_units]
    codes = [u["code"] for u in new_units]
    plate_uids: list[str] = []
    households: dict[str, dict[str, int]] = {c: {} for c in codes}
    for table_name in FOLLOWERS:
        rows = _followers(conn, table_name, old_codes, store.adcode)
        if not rows:
            continue
        where = containing_part([r["geom"] for r in rows], geoms, inside_only=inside_only)
        t = schema.metadata.tables[table_name]
        by_target: dict[str, list[int]] = {}
        for row, idx in zip(rows, where, strict=True):
            if idx < 0 and inside_only:
                continue
            target = codes[idx] if idx >= 0 else codes[0]
            by_target.setdefault(target, []).append(row["id"])
            if table_name == "facilities" and row["community_code"] != target:
                _facility_name_follows(store, conn, row, target, actor=actor, note=note)
            if table_name == "door_plates":
                plate_uids.append(row["plate_uid"])
                if row["status"] == "active":
                    per_old = households[target]
                    per_old[row["community_code"]] = per_old.get(row["community_code"], 0) + int(row["households"] or 0)
        for target, ids in by_target.items():
            for start in range(0, len(ids), 500):
                store.update_matching(table_name, sa.and_(t.c.id.in_(ids[start:start + 500]),
                                                          t.c.community_code != target),
                                      {"community_code": target}, actor=actor, conn=conn,
                                      action="division_change", note=note)
    return {"plate_uids": plate_uids, "households": households}


def new_figures(old_units: Sequence[Mapping[str, Any]], new_units: Sequence[Mapping[str, Any]],
                households: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """Return households and the shared figures of each new unit (see the module docstring)."""
    out = {u["code"]: {"households": 0, **{col: 0 for col in SHARED_FIGURES}} for u in new_units}
    unknown: set[str] = set()  # new units with land of an old unit whose count is unknown: theirs is unknown too
    for old in old_units:
        plated = [int(households.get(u["code"], {}).get(old["code"], 0)) for u in new_units]
        area = [metric_area_m2(shapely.intersection(u["geometry"], old["geometry"])) for u in new_units]
        if old.get("households") is None:
            unknown |= {u["code"] for u, a in zip(new_units, area, strict=True) if a > 0}
        unplated = max(int(old.get("households") or 0) - sum(plated), 0)  # counted, not yet on plates
        counted = [p + a for p, a in zip(plated, apportion(unplated, area), strict=True)] if unplated else plated
        for unit, share in zip(new_units, counted, strict=True):
            out[unit["code"]]["households"] += share
        # people follow the households, unless the old unit's count is unknown (its plates alone would say its
        # unplated land holds nobody): then its land
        weights: list[float] = ([float(c) for c in counted] if sum(counted) > 0 and old.get("households") is not None
                                else area)
        for col in SHARED_FIGURES:
            total = old.get(col)
            if total is None:
                continue
            for unit, share in zip(new_units, apportion(int(total), weights), strict=True):
                out[unit["code"]][col] += share
    for old_col in SHARED_FIGURES:
        if all(old.get(old_col) is None for old in old_units):
            for code in out:
                out[code][old_col] = None  # type: ignore[assignment]
    for code in unknown:
        out[code]["households"] = None  # type: ignore[assignment]
    return out


def refresh_addresses(store: Store, conn: sa.Connection, plate_uids: Sequence[str], *, actor: str) -> int:
    """Rewrite the standard addresses below the moved plates (their strings name the community) in the
    caller's transaction; return how many changed (:func:`geo.addresses.refresh.refresh_standard_addresses`)."""
    from geo.addresses.refresh import refresh_standard_addresses

    return refresh_standard_addresses(store, conn, plate_uids=list(plate_uids), actor=actor)
