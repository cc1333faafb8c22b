"""The sample's standard addresses below the plate: buildings, units and rooms for a few estates.

Six estates, each at one of the plates with the most households in an urban community (the
residential compounds of the sample): 2–6 buildings (``1号楼`` …), most with 2–4 units of 6–18
floors and 2–4 rooms a floor, numbered floor + two digits (``302室``, standards.md §3.3); a few
small buildings have no units, their rooms directly below the building. Deterministic from ``rng``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ESTATES = 6
CANDIDATES = 30       # the estates are drawn among this many plates with the most households
NO_UNIT_SHARE = 0.15  # buildings with their rooms directly below them (a small walk-up)


def standard_addresses(rng: np.random.Generator, *, plates: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame | None:
    """Return the buildings, units and rooms, one row each: ``ref`` names the row, ``parent_ref`` its parent
    row (empty for a building, whose parent is the plate ``plate_uid``); ``floor`` is set on rooms."""
    communities = set(units.loc[units["level"] == "community", "code"])
    urban = plates[plates["community_code"].isin(communities)]
    if urban.empty:
        return None
    top = urban.sort_values(["households", "plate_uid"], ascending=[False, True]).head(CANDIDATES)
    chosen = top.iloc[np.sort(rng.choice(len(top), min(ESTATES, len(top)), replace=False))]
    rows: list[dict[str, object]] = []

    def add(level: str, plate_uid: str, parent: str | None, **labels: object) -> str:
        ref = f"r{len(rows)}"
        rows.append({"ref": ref, "parent_ref": parent, "level": level, "plate_uid": plate_uid,
                     "building": None, "unit": None, "room": None, "floor": None, **labels})
        return ref

    for plate_uid in chosen["plate_uid"]:
        floors = int(rng.integers(6, 19))   # one estate, one height
        per_floor = int(rng.integers(2, 5))
        for b in range(1, int(rng.integers(2, 7)) + 1):
            building = f"{b}号楼"
            b_ref = add("building", plate_uid, None, building=building)
            if rng.random() < NO_UNIT_SHARE:
                for floor in range(1, min(floors, 6) + 1):
                    for r in range(1, per_floor + 1):
                        add("room", plate_uid, b_ref, building=building, room=f"{floor}{r:02d}室", floor=floor)
                continue
            for u in range(1, int(rng.integers(2, 5)) + 1):
                unit = f"{u}单元"
                u_ref = add("unit", plate_uid, b_ref, building=building, unit=unit)
                for floor in range(1, floors + 1):
                    for r in range(1, per_floor + 1):
                        add("room", plate_uid, u_ref, building=building, unit=unit, room=f"{floor}{r:02d}室",
                            floor=floor)
    return pd.DataFrame(rows)
