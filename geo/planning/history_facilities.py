"""Planned versus existing facilities: how many of each kind are open, under construction, planned or
closed in each sub-district and town, and which ones are still to come (with their planned dates).

Pure: takes the facilities (every status) and the administrative units, returns tables. A facility's
state on ``day``: *open* when :func:`geo.planning.as_of.open_on` counts it (the indicators count these
only); *closed* when its status is ``closed`` or it closed on or before the day; *under construction*
by status; *planned* otherwise (planned, or active with an opening date still ahead).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from geo.layers import TOWNSHIP_LEVELS
from geo.planning.as_of import open_on

STATES = ("open", "under_construction", "planned", "closed")
UPPER_LEVELS = TOWNSHIP_LEVELS
DISTRICT_CODE = ""  # the row of district totals carries no unit code


def facility_states(facilities: pd.DataFrame, *, day: date) -> pd.Series:
    """Return each facility's state on ``day`` (one of :data:`STATES`), aligned with the frame."""
    is_open = open_on(facilities, day).to_numpy(dtype=bool)
    status = facilities["status"].fillna("active").to_numpy(dtype=object)
    if "closed_on" in facilities:
        closed_on = facilities["closed_on"].map(lambda v: v is not None and not pd.isna(v) and v <= day)
        closed_by_date = closed_on.to_numpy(dtype=bool)
    else:
        closed_by_date = np.zeros(len(facilities), dtype=bool)
    closed = ~is_open & ((status == "closed") | closed_by_date)
    building = ~is_open & ~closed & (status == "under_construction")
    state = np.select([is_open, closed, building], ["open", "closed", "under_construction"], default="planned")
    return pd.Series(state, index=facilities.index, dtype=object)


def _upper_unit(units: pd.DataFrame) -> dict[str, str]:
    """Return unit code → the code of its sub-district or town (itself for those)."""
    parent = dict(zip(units["code"], units["parent_code"], strict=True))
    level = dict(zip(units["code"], units["level"], strict=True))
    out: dict[str, str] = {}
    for code in units["code"]:
        here, hops = code, 0
        while here is not None and level.get(here) not in UPPER_LEVELS and hops < 4:
            here, hops = parent.get(here), hops + 1
        if here is not None and level.get(here) in UPPER_LEVELS:
            out[code] = here
    return out


def status_by_unit(facilities: pd.DataFrame, units: pd.DataFrame, *, day: date) -> pd.DataFrame:
    """Return counts per sub-district/town and kind, then per kind for the district (``unit_code`` "").

    Columns: ``unit_code``, ``unit_name``, ``kind``, then one count per state in :data:`STATES`. A
    facility outside every known unit counts in the district rows only.
    """
    columns = ["unit_code", "unit_name", "kind", *STATES]
    if facilities.empty:
        return pd.DataFrame(columns=columns)
    upper = _upper_unit(units)
    names = dict(zip(units["code"], units["name"], strict=True))
    frame = pd.DataFrame({"unit_code": facilities["community_code"].map(upper).to_numpy(dtype=object),
                          "kind": facilities["kind"].to_numpy(dtype=object),
                          "state": facility_states(facilities, day=day).to_numpy(dtype=object)})
    counts = (frame.dropna(subset=["unit_code"]).groupby(["unit_code", "kind", "state"]).size()
              .unstack("state", fill_value=0).reindex(columns=list(STATES), fill_value=0).reset_index())
    counts.insert(1, "unit_name", counts["unit_code"].map(names))
    district = (frame.groupby(["kind", "state"]).size().unstack("state", fill_value=0)
                .reindex(columns=list(STATES), fill_value=0).reset_index())
    district.insert(0, "unit_code", DISTRICT_CODE)
    district.insert(1, "unit_name", names.get(_district_code(units), "全区 district"))
    out = pd.concat([counts[columns], district[columns]], ignore_index=True)
    for state in STATES:
        out[state] = out[state].astype(int)
    return out


def _district_code(units: pd.DataFrame) -> str | None:
    district = units.loc[units["level"] == "district", "code"]
    return str(district.iloc[0]) if len(district) else None


def still_to_come(facilities: pd.DataFrame, units: pd.DataFrame, *, day: date) -> pd.DataFrame:
    """Return the facilities planned or under construction on ``day``, soonest planned opening first.

    Columns: ``id``, ``name``, ``kind``, ``community_code``, ``community``, ``state``, ``planned_open_on``
    (None when the record gives no date; those come last) and ``overdue`` (its planned opening has
    passed and it is still not open: the plan's 2025 projects on a later day).
    """
    columns = ["id", "name", "kind", "community_code", "community", "state", "planned_open_on", "overdue"]
    if facilities.empty:
        return pd.DataFrame(columns=columns)
    states = facility_states(facilities, day=day)
    chosen = facilities[states.isin(["planned", "under_construction"])]
    planned = (chosen["planned_open_on"] if "planned_open_on" in chosen
               else pd.Series([None] * len(chosen), index=chosen.index))
    names = dict(zip(units["code"], units["name"], strict=True))
    out = pd.DataFrame({"id": chosen["id"].astype(int).to_numpy(), "name": chosen["name"].to_numpy(dtype=object),
                        "kind": chosen["kind"].to_numpy(dtype=object),
                        "community_code": chosen["community_code"].to_numpy(dtype=object),
                        "community": chosen["community_code"].map(names).to_numpy(dtype=object),
                        "state": states[chosen.index].to_numpy(dtype=object),
                        "planned_open_on": [None if v is None or pd.isna(v) else v for v in planned]})
    out["overdue"] = [v is not None and v < day for v in out["planned_open_on"]]
    later = date.max
    order = sorted(range(len(out)), key=lambda i: (out["planned_open_on"].iloc[i] or later, int(out["id"].iloc[i])))
    return out.iloc[order].reset_index(drop=True)
