"""The planning layers as they stood on a past date: what the indicators of a date count.

A facility counts on ``as_of`` when it was open then: its status is ``active`` or ``closed`` (a
closed facility served until its ``closed_on``; closed with no date, when it served is unknown and it
never counts), it opened on or before the date (no ``opened_on``: it is taken as open since before the
plan's baseline) and it had not closed (``closed_on`` after the date or none).
Planned and under-construction facilities never count, whatever their dates. A scattered grave
counts as cleared only from its ``cleared_on`` (cleared without a date: cleared since before the date).
Burial statistics count up to the date's year (the cremation and eco-burial rates read the newest year).
Units, streets and plates are today's: the service keeps no history of households, so a past date's
coverage uses today's homes (reports say so).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd

from geo.planning.run import PlanningInputs

COUNTED_STATUSES = ("active", "closed")


def _on_or_before(values: pd.Series, day: date) -> pd.Series:
    """Return where a date column is empty or on/before ``day`` (empty: since before any date asked)."""
    return values.map(lambda v: v is None or bool(pd.isna(v)) or v <= day).astype(bool)


def open_on(facilities: pd.DataFrame, day: date) -> pd.Series:
    """Return which facilities were open to users on ``day`` (a boolean Series aligned with the frame)."""
    status_ok = facilities["status"].isin(COUNTED_STATUSES)
    opened = _on_or_before(facilities["opened_on"], day) if "opened_on" in facilities else True
    if "closed_on" in facilities:
        closed = facilities["closed_on"].map(lambda v: v is not None and not pd.isna(v) and v <= day)
        # Closed on a date nobody recorded: when it still served is unknown, so it is never counted.
        closed |= (facilities["status"] == "closed") & facilities["closed_on"].map(lambda v: v is None or pd.isna(v))
    else:
        closed = facilities["status"] == "closed"
    return status_ok & opened & ~closed


def inputs_as_of(inputs: PlanningInputs, day: date) -> PlanningInputs:
    """Return ``inputs`` with the facilities open and the graves cleared as they were on ``day``."""
    every = inputs.all_facilities if inputs.all_facilities is not None else inputs.facilities
    facilities = every[open_on(every, day)].reset_index(drop=True)
    graves = inputs.graves.copy()
    if len(graves) and "cleared_on" in graves:
        later = (graves["status"] == "cleared") & ~_on_or_before(graves["cleared_on"], day)
        graves.loc[later, "status"] = "scattered"
    statistics = inputs.burial_statistics
    if statistics is not None and len(statistics):
        statistics = statistics[statistics["year"].astype(int) <= day.year].reset_index(drop=True)
    return replace(inputs, facilities=facilities, graves=graves, burial_statistics=statistics)
