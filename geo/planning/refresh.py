"""Stored coverage results: one district's 15-minute elder-care coverage, computed and written back.

A coverage refresh of a region is many independent district problems (#19 item 4). Each is
:func:`refresh_district`: open the district's store, read its layers (:class:`PlanningInputs`, the
planning run's own read), build the walking network, attach plates and facilities, solve, sum per
unit (:func:`coverage_figures`, the planning run's functions: the same figures ``xincheng coverage``
prints) and replace the district's rows of ``coverage_results`` in one transaction
(:func:`store_coverage`). It takes and returns plain, picklable values, so it runs the same in this
process or as a task on a Dask worker (geo/planning/refresh_cluster.py).

The rows are derived data, like the stored plate lookups: computed from the records, replaced whole
per district without audit rows (so a refresh does not move the district's data version, and the
planning caches keyed by it stay valid), left out of backups and emptied by a restore. Each row
carries the walking parameters, the facility kinds, the planning data version read before the
layers (``data_seq``, as indicator snapshots store it) and when and by whom it was computed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from geo.errors import DomainError
from geo.planning.coverage import (
    ELDER_CARE_KINDS,
    WalkParams,
    attach_facilities,
    coverage_by_unit,
    plate_access,
    walk_network_from_streets,
)
from geo.planning.floor_area import floor_area_by_unit, get_norm
from geo.planning.history import planning_data_seq
from geo.planning.run import PLANNING_LAYERS, PURPOSE_EN, PURPOSE_ZH, PlanningInputs
from geo.store import Store, schema
from geo.store.contents import missing_layers_error
from geo.store.districts import refuse_unheld_district
from geo.store.spatial_sql import lock_natural_keys

TABLE = "coverage_results"
# The per-unit figures stored, as coverage_by_unit and floor_area_by_unit name them (floor area renamed).
FIGURES = ("households", "covered_households", "household_share", "residents_60plus", "covered_60plus",
           "share_60plus", "care_floor_area_m2", "care_per100_m2")


@dataclass(frozen=True)
class DistrictOutcome:
    """What one district's refresh did: the units stored, how long it took, or why it was refused."""

    adcode: str
    units: int = 0
    seconds: float = 0.0
    data_seq: int | None = None
    error: str | None = None   # Chinese first; None: refreshed

    @property
    def ok(self) -> bool:
        """Return whether the district's rows were replaced."""
        return self.error is None


def coverage_figures(inputs: PlanningInputs, params: WalkParams, *,
                     kinds: tuple[str, ...] = ELDER_CARE_KINDS) -> pd.DataFrame:
    """Return the district's coverage per unit: households and residents 60+ covered and in all, the
    shares, and the floor area of the ``kinds`` facilities with its m² per 100 households (FA-01, FA-02).

    The planning run's computation (:func:`geo.planning.run.run_planning`) without what coverage does
    not need (burial-ban zones, indicators): one row per district, sub-district or town, community or
    village, in the units table's order. A missing layer is refused as the planning run refuses it.
    """
    frames = {"admin_units": inputs.units, "streets": inputs.streets, "door_plates": inputs.plates,
              "facilities": inputs.facilities}
    missing = [name for name in PLANNING_LAYERS if frames[name].empty]
    if missing:
        raise missing_layers_error(missing, database_empty=all(f.empty for f in frames.values()),
                                   purpose_zh=PURPOSE_ZH, purpose_en=PURPOSE_EN)
    network = walk_network_from_streets(inputs.streets)
    care = inputs.facilities[inputs.facilities["kind"].isin(kinds)].reset_index(drop=True)
    access = plate_access(network, inputs.plates, care, params, fac_att=attach_facilities(network, care, params))
    coverage = coverage_by_unit(access, inputs.plates, inputs.units)
    floor = floor_area_by_unit(inputs.facilities, inputs.units, replace(get_norm("elder_care"), kinds=kinds))
    floor = floor.set_index("code")[["floor_area_m2", "per100_m2"]].rename(
        columns={"floor_area_m2": "care_floor_area_m2", "per100_m2": "care_per100_m2"})
    return coverage.join(floor, on="code")


def _number(value: Any) -> float | None:
    """Return a figure as stored: a float, or NULL for NaN (a share of a unit without households)."""
    number = float(value)
    return None if math.isnan(number) else number


def result_rows(figures: pd.DataFrame, *, adcode: str, params: WalkParams, kinds: tuple[str, ...],
                data_seq: int, computed_at: datetime, computed_by: str) -> list[dict[str, Any]]:
    """Return the ``coverage_results`` rows of one district's figures (:func:`coverage_figures`)."""
    fixed = {"adcode": adcode, "minutes": params.minutes, "speed_m_per_s": params.speed_m_per_s,
             "max_attach_m": params.max_attach_m, "kinds": ",".join(kinds), "data_seq": data_seq,
             "computed_at": computed_at, "computed_by": computed_by}
    columns = {name: figures[name].to_numpy(dtype=float) for name in FIGURES}
    return [{**fixed, "unit_code": str(code), "unit_name": name, "level": level,
             "parent_code": None if pd.isna(parent) else str(parent),
             **{name: _number(values[i]) for name, values in columns.items()}}
            for i, (code, name, level, parent) in enumerate(zip(figures["code"], figures["name"], figures["level"],
                                                                figures["parent_code"], strict=True))]


def store_coverage(store: Store, rows: list[dict[str, Any]]) -> int:
    """Replace the district's stored coverage by ``rows`` in one transaction; return how many were stored.

    Either every row of the district is the new refresh's or, when anything fails, every row is still
    the previous one's. Two refreshes of one district at once take turns (PostgreSQL: a lock on the
    district's key; SQLite serialises writers).
    """
    table = schema.coverage_results
    foreign = sorted({r["adcode"] for r in rows} - {store.adcode})
    if foreign:  # a programming error, never a user's: the rows are made for this store's district
        raise ValueError(f"rows of district {foreign[0]} given to the store of {store.adcode}")
    with store.writing() as conn:
        lock_natural_keys(conn, [f"{TABLE}:{store.adcode}"])
        conn.execute(table.delete().where(*store.scope(table)))
        if rows:
            conn.execute(table.insert(), rows)
    return len(rows)


def refresh_coverage(store: Store, params: WalkParams, *, kinds: tuple[str, ...] = ELDER_CARE_KINDS,
                     actor: str) -> DistrictOutcome:
    """Compute the district's coverage from its records and replace its stored rows (one transaction).

    The data version is read before the layers: a change committed meanwhile makes the stored rows
    look older than they are, never newer.
    """
    started = time.perf_counter()
    data_seq = planning_data_seq(store)
    figures = coverage_figures(PlanningInputs.load(store), params, kinds=kinds)
    rows = result_rows(figures, adcode=store.adcode, params=params, kinds=kinds, data_seq=data_seq,
                       computed_at=datetime.now(UTC), computed_by=actor)
    stored = store_coverage(store, rows)
    return DistrictOutcome(adcode=store.adcode, units=stored, seconds=time.perf_counter() - started,
                           data_seq=data_seq)


def refresh_district(database_url: str, adcode: str, *, params: WalkParams,
                     kinds: tuple[str, ...] = ELDER_CARE_KINDS, actor: str) -> DistrictOutcome:
    """Refresh district ``adcode`` of the database at ``database_url``: the task of one district.

    Picklable in and out (a Dask worker runs it in another process). A refusal of the district's
    data (a layer missing, a district not held) is returned as the outcome's ``error``: running it
    again would give the same answer. Anything else (the database gone away, the process killed)
    is raised, so the caller may run it again; nothing is half-written either way.
    """
    started = time.perf_counter()
    store = Store.open(database_url, adcode=adcode)
    try:
        refuse_unheld_district(store)
        return refresh_coverage(store, params, kinds=kinds, actor=actor)
    except DomainError as exc:
        return DistrictOutcome(adcode=adcode, seconds=time.perf_counter() - started, error=exc.message)
    finally:
        store.close()


def stored_coverage(store: Store) -> pd.DataFrame:
    """Return the district's stored coverage rows (empty, with the columns, before its first refresh)."""
    table = schema.coverage_results
    with store.reading() as conn:
        rows = conn.execute(sa.select(table).where(*store.scope(table)).order_by(table.c.id)).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=[c.key for c in table.c])
    for name in FIGURES:
        frame[name] = frame[name].astype(float) if len(frame) else np.array([], dtype=float)
    return frame


def stored_coverage_view(store: Store) -> dict[str, Any]:
    """Return what a planner reads of the district's last refresh, without computing anything.

    ``units``: the stored rows (unit, figures, parameters); ``computed_at``, ``data_seq`` and
    ``current`` (whether the planning data has not changed since: the same ``planning_data_seq``);
    all empty or ``None`` before the district's first refresh (``xincheng refresh``).
    """
    frame = stored_coverage(store)
    now_seq = planning_data_seq(store)
    if frame.empty:
        return {"units": [], "computed_at": None, "data_seq": None, "current_data_seq": now_seq, "current": False}
    seq = int(frame["data_seq"].max())
    kept = frame.drop(columns=["id", "adcode"])
    shown = kept.astype(object).where(kept.notna(), None)
    units = [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
             for row in shown.to_dict(orient="records")]
    return {"units": units, "computed_at": max(u["computed_at"] for u in units), "data_seq": seq,
            "current_data_seq": now_seq, "current": seq == now_seq}
