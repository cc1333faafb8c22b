"""Rural and village norms: each village's service centre against its settlement type's norm.

The plan (line 417) sets the urban norm (≥ 30 m² per 100 households and ≥ 300 m² in all) for the
old town and built estates, and for villages a floor area by settlement type: 镇、城中村、城郊村
service centres ≥ 300 m² in ≥ 90% of them, 中心村 and traditional villages ≥ 150 m² in ≥ 90%.
A village is judged by its own type's norm, never by the urban one; an ordinary village has no
norm in the plan and is listed without a verdict. The values come from
:class:`geo.planning.norms_settings.PlanningNorms`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo.layers import LEAF_LEVELS
from geo.messages import text
from geo.planning.norms_settings import PlanningNorms, RuralNorm

CENTRE_KIND = "community_service_centre"
RURAL_COLUMNS = ["code", "name", "parent_code", "settlement_type", "norm_key", "households", "floor_area_m2",
                 "norm_m2", "shortfall_m2", "meets_norm"]


def centre_area_by_unit(facilities: pd.DataFrame) -> pd.Series:
    """Return the service-centre floor area (m²) per community or village code."""
    centres = facilities[facilities["kind"] == CENTRE_KIND]
    area = pd.to_numeric(centres["floor_area_m2"], errors="coerce").fillna(0.0)
    return area.groupby(centres["community_code"]).sum()


def village_norms(units: pd.DataFrame, facilities: pd.DataFrame, norms: PlanningNorms) -> pd.DataFrame:
    """Return each village (and 城中村-type community) with its floor area, norm and shortfall in m².

    The rows are the leaf units (communities and villages) whose settlement type is not an urban
    community: ``norm_m2`` is the type's minimum (NaN for an ordinary village: no norm),
    ``shortfall_m2`` the square metres to add, ``meets_norm`` True/False (None without a norm).
    """
    leaf = units[units["level"].isin(LEAF_LEVELS)]
    stype = leaf["settlement_type"] if "settlement_type" in leaf else pd.Series(None, index=leaf.index)
    rural = leaf[(leaf["level"] == "village") | stype.notna() & (stype != "urban_community")]
    area = rural["code"].map(centre_area_by_unit(facilities)).fillna(0.0).astype(float)
    rows = []
    for (_, unit), m2 in zip(rural.iterrows(), area, strict=True):
        st = unit.get("settlement_type")
        st = None if st is None or (isinstance(st, float) and np.isnan(st)) else str(st)
        norm = norms.rural_norm_for(st)
        rows.append({
            "code": unit["code"], "name": unit["name"], "parent_code": unit["parent_code"], "settlement_type": st,
            "norm_key": None if norm is None else norm.key,
            "households": unit.get("households"), "floor_area_m2": float(m2),
            "norm_m2": np.nan if norm is None else norm.min_total_m2,
            "shortfall_m2": 0.0 if norm is None else max(norm.min_total_m2 - float(m2), 0.0),
            "meets_norm": None if norm is None else bool(float(m2) >= norm.min_total_m2),
        })
    out = pd.DataFrame(rows, columns=RURAL_COLUMNS)
    out["meets_norm"] = pd.Series([r["meets_norm"] for r in rows], index=out.index, dtype=object)  # True/False/None
    return out


@dataclass(frozen=True)
class RuralGroupResult:
    """How many villages of one norm group meet it, against the share the plan requires."""

    norm: RuralNorm
    total: int
    meeting: int
    share: float | None                      # meeting / total, None without villages
    met: bool | None                         # share ≥ required share
    villages: list[dict[str, Any]] = field(default_factory=list)

    def title(self) -> str:
        """Return the group's title, Chinese first."""
        key = f"rural_norms.group.{self.norm.key}"
        try:
            return text(key, m2=self.norm.min_total_m2)
        except KeyError:
            return text("rural_norms.group.other", group=self.norm.key, m2=self.norm.min_total_m2)


def rural_summary(table: pd.DataFrame, norms: PlanningNorms) -> list[RuralGroupResult]:
    """Return, per rural norm group, the villages meeting it and whether ≥ the required share do."""
    out = []
    for norm in norms.rural:
        mine = table[table["norm_key"] == norm.key]
        meeting = int(mine["meets_norm"].astype(bool).sum())
        share = None if mine.empty else meeting / len(mine)
        met = None if share is None else bool(share >= norm.required_share - 1e-9)
        villages = [{"code": r["code"], "name": r["name"], "settlement_type": r["settlement_type"],
                     "value": round(float(r["floor_area_m2"]), 1), "norm_m2": float(r["norm_m2"]),
                     "shortfall_m2": round(float(r["shortfall_m2"]), 1), "meets": bool(r["meets_norm"])}
                    for _, r in mine.iterrows()]
        out.append(RuralGroupResult(norm, len(mine), meeting, share, met, villages))
    return out


def load_village_norms(store: Any, norms: PlanningNorms) -> tuple[pd.DataFrame, list[RuralGroupResult]]:
    """Read the units and active facilities from ``store``; return :func:`village_norms` and its summary."""
    units = store.read_frame("admin_units")
    facilities = store.read_frame("facilities")
    facilities = facilities[facilities["status"] == "active"]
    table = village_norms(units, facilities, norms)
    return table, rural_summary(table, norms)
