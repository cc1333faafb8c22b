"""Capacity-aware accessibility: the two-step floating catchment area (2SFCA) score.

Step 1: each facility's supply (floor area or beds) is divided by the demand (residents 60+)
within its walking reach. Step 2: each door plate sums the ratios of the facilities it reaches.
A plate's score is thus the supply available per resident 60+ on foot, sharing each facility
with everyone else who can walk to it. Reported per 100 residents aged 60+ to match the plan's
"per hundred" norms. Binary catchments (in reach or not) at the same walking limit as coverage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo.errors import InputError
from geo.messages import label, labels, text
from geo.planning.coverage import sum_by_unit

SUPPLIES = {"floor_area_m2": ("m²", "面积"), "beds": ("beds", "床位")}


@dataclass(frozen=True)
class CatchmentScores:
    """The two steps' results: a ratio per facility and a score per plate."""

    facility_ratio: np.ndarray   # supply per resident 60+ in the catchment; NaN if nobody is in reach
    plate_score: np.ndarray      # summed ratios of the facilities each plate reaches (0 if none)
    catchment_demand: np.ndarray  # residents 60+ within each facility's reach


def two_step_fca(reach: sp.csr_matrix, supply: np.ndarray, demand: np.ndarray) -> CatchmentScores:
    """Return the 2SFCA ratios and scores for a (facilities × plates) reach matrix of ones."""
    supply = np.asarray(supply, dtype=float)
    demand = np.asarray(demand, dtype=float)
    if reach.shape != (len(supply), len(demand)):
        raise InputError(text("planning.reach_shape", shape=reach.shape, facilities=len(supply), plates=len(demand)),
                         field="reach")
    if np.any(supply < 0) or np.any(~np.isfinite(supply)):
        raise InputError(text("planning.supply_values", field=label("supply")), field="supply")
    if np.any(demand < 0) or np.any(~np.isfinite(demand)):
        raise InputError(text("planning.demand_values", field=label("demand")), field="demand")
    catchment = reach @ demand
    ratio = np.full(len(supply), np.nan)
    np.divide(supply, catchment, out=ratio, where=catchment > 0)
    score = reach.T @ np.nan_to_num(ratio, nan=0.0)
    return CatchmentScores(facility_ratio=ratio, plate_score=np.asarray(score, dtype=float),
                           catchment_demand=np.asarray(catchment, dtype=float))


def scores_by_unit(scores: CatchmentScores, demand: np.ndarray, community_code: np.ndarray,
                   units: pd.DataFrame) -> pd.DataFrame:
    """Return the demand-weighted mean score per 100 residents 60+ for every unit.

    A unit's value is what its average resident aged 60+ can reach; ``NaN`` where it has none.
    """
    frame = pd.DataFrame({"community_code": community_code, "residents_60plus": np.asarray(demand, dtype=float)})
    frame["weighted"] = frame["residents_60plus"] * scores.plate_score
    frame["in_no_catchment"] = frame["residents_60plus"] * (scores.plate_score == 0)
    out = sum_by_unit(frame, ["residents_60plus", "weighted", "in_no_catchment"], units)
    base = out["residents_60plus"].where(out["residents_60plus"] > 0)
    out["score_per100_60plus"] = 100 * out["weighted"] / base
    out["share_in_no_catchment"] = out["in_no_catchment"] / base
    return out.drop(columns=["weighted"])


def facility_supply(facilities: pd.DataFrame, supply: str) -> tuple[np.ndarray, int]:
    """Return each facility's supply from the chosen column and how many lacked a value (counted as 0)."""
    if supply not in SUPPLIES:
        raise InputError(text("planning.choice", field=label("supply"), value=repr(supply), allowed=labels(SUPPLIES)),
                         field="supply")
    values = pd.to_numeric(facilities[supply], errors="coerce") if supply in facilities else \
        pd.Series(np.nan, index=facilities.index)
    return values.fillna(0.0).to_numpy(dtype=float), int(values.isna().sum())
