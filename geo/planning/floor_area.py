"""Service floor area per hundred households (rules FA-02, FA-03) against the plan's norms.

Community service premises: at least 30 m² per 100 households and 300 m² in all (the plan's
section on community services); the district target for indicator #4 is 33 (the plan's main
indicators table). Elder-care facilities: at least 20 m² per 100 households (the elder-care
section). Area per 100 households is undefined (NaN, never 0) without households.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.errors import InputError
from geo.messages import label, text


@dataclass(frozen=True)
class Norm:
    """A floor-area norm: m² per 100 households, and optionally a minimum total per community."""

    key: str
    title: str
    kinds: tuple[str, ...]
    per100_m2: float
    min_total_m2: float | None = None
    district_target_per100_m2: float | None = None


NORMS: dict[str, Norm] = {
    "community_service": Norm("community_service", "社区综合服务设施 Community service premises",
                              ("community_service_centre",), 30.0, 300.0, 33.0),
    "elder_care": Norm("elder_care", "养老服务设施 Elder-care facilities",
                       ("elder_care_station", "comprehensive_elder_care_centre"), 20.0),
}


def get_norm(key: str) -> Norm:
    """Return a norm by key, naming the accepted ones when it is unknown."""
    try:
        return NORMS[key]
    except KeyError:
        raise InputError(text("planning.choice", field=label("norm"), value=repr(key), allowed=", ".join(NORMS)),
                         field="norm") from None


def per_hundred_households(area_m2: npt.ArrayLike, households: npt.ArrayLike) -> np.ndarray:
    """Return 100 × area / households (FA-02); NaN where there are no households."""
    hh = np.asarray(households, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(hh > 0, 100.0 * np.asarray(area_m2, dtype=float) / hh, np.nan)


def floor_area_by_unit(facilities: pd.DataFrame, units: pd.DataFrame, norm: Norm) -> pd.DataFrame:
    """Return floor area, area per 100 households and shortfalls per community, sub-district, district.

    A community fails when per-100 < norm or, where the norm sets one, total < minimum (FA-03).
    Both shortfalls are total square metres to add: ``shortfall_ratio_m2`` to reach the norm per
    100 households (norm × households / 100 − floor area), ``shortfall_total_m2`` to reach the
    minimum total; ``shortfall_m2`` is the larger. Sub-districts and the district are compared per
    100 only.
    """
    own = units[units["level"].isin(["district", "subdistrict", "town", "community", "village"])].copy()
    chosen = facilities[facilities["kind"].isin(norm.kinds)]
    area = chosen.groupby("community_code")["floor_area_m2"].sum()
    leaf = own["level"].isin(["community", "village"])
    own["floor_area_m2"] = np.where(leaf, own["code"].map(area).fillna(0.0), np.nan)
    own["households"] = pd.to_numeric(own["households"], errors="coerce").fillna(0.0).astype(float)
    for level in ("subdistrict", "town", "district"):
        for idx in own.index[own["level"] == level]:
            code = own.at[idx, "code"]
            kids = own["parent_code"] == code
            if level == "district":
                kids = own["parent_code"].isin(own.loc[own["parent_code"] == code, "code"])
            own.at[idx, "floor_area_m2"] = own.loc[kids & leaf, "floor_area_m2"].sum()
    own["per100_m2"] = per_hundred_households(own["floor_area_m2"], own["households"])
    own["norm_per100_m2"] = norm.per100_m2
    own["shortfall_ratio_m2"] = np.maximum(norm.per100_m2 * own["households"] / 100.0 - own["floor_area_m2"], 0.0)
    if norm.min_total_m2 is not None:
        own["shortfall_total_m2"] = np.where(leaf, np.maximum(norm.min_total_m2 - own["floor_area_m2"], 0.0), 0.0)
    else:
        own["shortfall_total_m2"] = 0.0
    own["shortfall_m2"] = np.maximum(own["shortfall_ratio_m2"], own["shortfall_total_m2"])
    own["meets_norm"] = [None if hh <= 0 else bool(gap <= 0)
                         for hh, gap in zip(own["households"], own["shortfall_m2"], strict=True)]
    cols = ["code", "name", "level", "parent_code", "households", "floor_area_m2", "per100_m2",
            "norm_per100_m2", "shortfall_ratio_m2", "shortfall_total_m2", "shortfall_m2", "meets_norm"]
    return own[cols].reset_index(drop=True)


def shortfalls(table: pd.DataFrame) -> pd.DataFrame:
    """Return the communities and villages with households that fall short, largest shortfall first."""
    leaf = table[table["level"].isin(["community", "village"]) & (table["shortfall_m2"] > 0)
                 & (table["households"] > 0)]
    return leaf.sort_values("shortfall_m2", ascending=False).reset_index(drop=True)
