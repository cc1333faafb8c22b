"""Service floor area per hundred households (rules FA-02, FA-03) against the plan's norms.

Community service premises: at least 30 m² per 100 households and 300 m² in all (the plan's
section on community services); the district target for indicator #4 is 33 (the plan's main
indicators table). Elder-care facilities: at least 20 m² per 100 households (the elder-care
section). Area per 100 households is undefined (NaN, never 0) without households.

Villages are not judged by the urban community-premises norm: with ``rural=`` (the settings'
:class:`~geo.planning.norms_settings.PlanningNorms`) a village's (or 城中村-type community's) row
carries its settlement type's minimum total instead (:mod:`geo.planning.rural_norms`), and an
ordinary village, for which the plan sets no norm, no verdict. :func:`norms_from_settings` gives
:data:`NORMS` with the settings file's values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.errors import InputError
from geo.layers import LEAF_LEVELS, OWN_UNIT_LEVELS, TOWNSHIP_LEVELS
from geo.messages import label, text
from geo.planning.norms_settings import PlanningNorms


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


def norms_from_settings(settings: PlanningNorms) -> dict[str, Norm]:
    """Return :data:`NORMS` with the urban and new-estate values of a settings file."""
    return {"community_service": replace(NORMS["community_service"], per100_m2=settings.urban_per100_m2,
                                         min_total_m2=settings.urban_min_total_m2),
            "elder_care": replace(NORMS["elder_care"], per100_m2=settings.estate_care_per100_m2)}


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


def floor_area_by_unit(facilities: pd.DataFrame, units: pd.DataFrame, norm: Norm, *,
                       rural: PlanningNorms | None = None) -> pd.DataFrame:
    """Return floor area, area per 100 households and shortfalls per community, sub-district, district.

    A community fails when per-100 < norm or, where the norm sets one, total < minimum (FA-03).
    Both shortfalls are total square metres to add: ``shortfall_ratio_m2`` to reach the norm per
    100 households (norm × households / 100 − floor area), ``shortfall_total_m2`` to reach the
    minimum total; ``shortfall_m2`` is the larger. Sub-districts and the district are compared per
    100 only. With ``rural`` and the community-premises norm, villages are judged by their
    settlement type's minimum total (``norm_basis`` names the norm: ``urban`` or the rural group).
    """
    own = units[units["level"].isin(OWN_UNIT_LEVELS)].copy()
    chosen = facilities[facilities["kind"].isin(norm.kinds)]
    area = chosen.groupby("community_code")["floor_area_m2"].sum()
    leaf = own["level"].isin(LEAF_LEVELS)
    own["floor_area_m2"] = np.where(leaf, own["code"].map(area).fillna(0.0), np.nan)
    own["households"] = pd.to_numeric(own["households"], errors="coerce").fillna(0.0).astype(float)
    for level in (*TOWNSHIP_LEVELS, "district"):
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
    own["norm_basis"] = "urban"
    if rural is not None and norm.min_total_m2 is not None:
        _judge_villages(own, leaf, rural)
    cols = ["code", "name", "level", "parent_code", "households", "floor_area_m2", "per100_m2",
            "norm_per100_m2", "shortfall_ratio_m2", "shortfall_total_m2", "shortfall_m2", "meets_norm", "norm_basis"]
    return own[cols].reset_index(drop=True)


def _judge_villages(own: pd.DataFrame, leaf: pd.Series, rural: PlanningNorms) -> None:
    """Judge villages (in place) by their settlement type's minimum total, not the urban norm."""
    stype = own["settlement_type"] if "settlement_type" in own else pd.Series(None, index=own.index)
    village = leaf & ((own["level"] == "village") | (stype.notna() & (stype != "urban_community")))
    own["meets_norm"] = own["meets_norm"].astype(object)
    own["norm_per100_m2"] = own["norm_per100_m2"].astype(float)
    types: list[object] = stype.tolist()
    areas: list[float] = own["floor_area_m2"].astype(float).tolist()
    for pos, idx in enumerate(own.index):
        if not village.iloc[pos]:
            continue
        st = types[pos]
        chosen = rural.rural_norm_for(st if isinstance(st, str) else None)
        gap = 0.0 if chosen is None else max(chosen.min_total_m2 - areas[pos], 0.0)
        own.at[idx, "norm_per100_m2"] = np.nan
        own.at[idx, "shortfall_ratio_m2"] = 0.0
        own.at[idx, "shortfall_total_m2"] = gap
        own.at[idx, "shortfall_m2"] = gap
        own.at[idx, "meets_norm"] = None if chosen is None else bool(gap <= 0)
        own.at[idx, "norm_basis"] = "none" if chosen is None else chosen.key


def shortfalls(table: pd.DataFrame) -> pd.DataFrame:
    """Return the communities and villages with households that fall short, largest shortfall first."""
    leaf = table[table["level"].isin(LEAF_LEVELS) & (table["shortfall_m2"] > 0)
                 & (table["households"] > 0)]
    return leaf.sort_values("shortfall_m2", ascending=False).reset_index(drop=True)
