"""四同步: new estates' elder-care premises planned, built, inspected and handed over with the housing.

The plan (line 560, 专栏8 item 1) asks new estates for ≥ 20 m² of elder-care floor area per 100
households, "与小区建设同步规划、同步建设、同步验收、同步交付". For each estate and each stage the
elder-care date is compared with the housing date: on or before it is in sync (同步), after it is
late (滞后); a missing date is "未记录" (not recorded), never taken as in sync. An estate is in
sync when all four stages are. Pure: data in, data out; :func:`load_new_estates` reads the layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from geo.messages import en, text, zh
from geo.planning.floor_area import per_hundred_households
from geo.store import Store

STAGES = ("planned", "built", "inspected", "handed_over")
IN_SYNC, LATE, NOT_RECORDED = "in_sync", "late", "not_recorded"


def _day(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value if isinstance(value, date) else None


def stage_status(housing_on: Any, care_on: Any) -> str:
    """Return ``in_sync`` (care on or before housing), ``late`` or ``not_recorded`` for one stage."""
    housing, care = _day(housing_on), _day(care_on)
    if housing is None or care is None:
        return NOT_RECORDED
    return IN_SYNC if care <= housing else LATE


def stage_text(status: str) -> str:
    """Return a stage status as a table cell shows it: ``同步 in sync``, ``滞后 late``, ``未记录 not recorded``."""
    key = {IN_SYNC: "rural_norms.sync.yes", LATE: "rural_norms.sync.late", NOT_RECORDED: "rural_norms.not_recorded"}
    return f"{zh(key[status])} {en(key[status])}"


def four_sync(estates: pd.DataFrame, *, care_per100_m2: float = 20.0) -> pd.DataFrame:
    """Return each new estate's required and provided elder-care floor area and its four stages.

    Columns: name, community_code, households, care_floor_area_m2, required_m2 (norm × households
    / 100), area_shortfall_m2, care_per100_m2, area_ok, one ``<stage>`` column per stage (in_sync,
    late, not_recorded), ``late_days_<stage>`` (care date − housing date where late), all_in_sync.
    """
    hh = pd.to_numeric(pd.Series(estates["households"]), errors="coerce").astype(float)
    area = pd.to_numeric(pd.Series(estates["care_floor_area_m2"]), errors="coerce").astype(float)
    required = care_per100_m2 * hh / 100.0
    out = pd.DataFrame({
        "name": estates["name"].to_numpy(), "community_code": estates["community_code"].to_numpy(),
        "households": pd.Series(hh.round(), dtype="Float64").astype("Int64").to_numpy(),  # whole households
        "care_floor_area_m2": area.to_numpy(), "required_m2": required.to_numpy(),
        "area_shortfall_m2": np.maximum(required.to_numpy() - area.fillna(0.0).to_numpy(), 0.0),
        "care_per100_m2": per_hundred_households(area.fillna(0.0), hh),
    })
    # No households (none yet, or none recorded): no norm to meet, so no verdict (FA-02: per 100 households).
    out["area_ok"] = pd.Series([None if not (np.isfinite(r) and r > 0) else bool(a >= r - 1e-9)
                                for a, r in zip(area.fillna(0.0), required, strict=True)], dtype=object)
    for stage in STAGES:
        housing, care = estates.get(f"housing_{stage}_on"), estates.get(f"care_{stage}_on")
        pairs = zip(housing if housing is not None else [None] * len(estates),
                    care if care is not None else [None] * len(estates), strict=True)
        statuses, late = [], []
        for h, c in pairs:
            status = stage_status(h, c)
            statuses.append(status)
            hd, cd = _day(h), _day(c)
            late.append((cd - hd).days if status == LATE and hd and cd else None)
        out[stage] = statuses
        out[f"late_days_{stage}"] = late
    out["all_in_sync"] = (out[list(STAGES)] == IN_SYNC).all(axis=1).astype(bool)
    return out


@dataclass(frozen=True)
class FourSyncSummary:
    """Counts over the new estates: in sync at every stage, with enough area, per stage."""

    total: int
    all_in_sync: int
    area_ok: int
    by_stage: dict[str, dict[str, int]]
    care_per100_m2: float

    def note(self) -> str:
        """Return the summary in one sentence, Chinese first."""
        return text("rural_norms.estates_note", synced=self.all_in_sync, total=self.total, area_ok=self.area_ok,
                    per100=self.care_per100_m2)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-safe data."""
        return {"total": self.total, "all_in_sync": self.all_in_sync, "area_ok": self.area_ok,
                "by_stage": self.by_stage, "care_per100_m2": self.care_per100_m2, "note": self.note()}


def four_sync_summary(table: pd.DataFrame, *, care_per100_m2: float = 20.0) -> FourSyncSummary:
    """Return the counts of :func:`four_sync`'s table."""
    by_stage = {stage: {s: int((table[stage] == s).sum()) for s in (IN_SYNC, LATE, NOT_RECORDED)}
                for stage in STAGES}
    return FourSyncSummary(total=len(table), all_in_sync=int(table["all_in_sync"].sum()),
                           area_ok=int(sum(v is True or v is np.True_ for v in table["area_ok"])), by_stage=by_stage,
                           care_per100_m2=care_per100_m2)


def load_new_estates(store: Store) -> pd.DataFrame:
    """Read the ``new_estates`` layer (every record, in id order)."""
    return store.read_frame("new_estates")
