"""The plan's indicators (十四五 table, ../shared/seed) that the data can answer, against 2025 targets.

Each indicator carries its 2020 value and 2025 target as the plan prints them, the current value
computed from the data, whether it is met, and per-unit values where the plan's scope is units.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo.messages import text


@dataclass
class Indicator:
    """One plan indicator and where the district stands."""

    number: str
    name_zh: str
    name_en: str
    unit: str
    value_2020: float | None
    target_2025: float | None
    target_text: str
    binding: bool
    current: float | None
    met: bool | None
    note: str = ""
    by_unit: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the indicator as JSON-safe data."""
        out = asdict(self)
        for key in ("current", "value_2020", "target_2025"):
            if out[key] is not None and not np.isfinite(out[key]):
                out[key] = None
        return out


def _share(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 0 else 100.0 * numerator / denominator


def _percent(share: float) -> str:
    """Return a share (0–1) as a percentage to one decimal, or "—" where it is undefined."""
    return "—" if not np.isfinite(share) else f"{100 * float(share):.1f}%"


def _met(value: float | None, target: float | None) -> bool | None:
    return None if value is None or target is None else bool(value >= target - 1e-9)


def _units(units: pd.DataFrame, *levels: str) -> pd.DataFrame:
    return units[units["level"].isin(levels)]


def _has_kind(facilities: pd.DataFrame, units: pd.DataFrame, unit: pd.Series, kind: str) -> bool:
    kids = units.loc[units["parent_code"] == unit["code"], "code"]
    codes = set(kids) | {unit["code"]}
    f = facilities[(facilities["kind"] == kind) & facilities["community_code"].isin(codes)]
    return len(f) > 0


def _by_unit(frame: pd.DataFrame, column: str, *, scale: int = 1) -> list[dict[str, Any]]:
    """Return each unit's ``column`` (times ``scale``) to one decimal, None where it is NaN."""
    values: list[float] = frame[column].to_numpy(dtype=float).tolist()
    return [{"code": code, "name": name, "value": None if np.isnan(v) else round(scale * v, 1)}
            for code, name, v in zip(frame["code"].tolist(), frame["name"].tolist(), values, strict=True)]


def compute_indicators(*, units: pd.DataFrame, facilities: pd.DataFrame, community_floor: pd.DataFrame,
                       coverage: pd.DataFrame, graves_in_zones: pd.DataFrame, walk_text: str) -> list[Indicator]:
    """Return indicators #4, #6, #7, #11, #12, #13, #15 and the 15-minute circle."""
    out: list[Indicator] = []
    district = community_floor[community_floor["level"] == "district"].iloc[0]
    subs = community_floor[community_floor["level"].isin(["subdistrict", "town"])]
    out.append(Indicator(
        "4", "每百户居民拥有的城乡社区综合服务设施建筑面积",
        "Community service floor area per 100 households", "m²", 20, 33, "≥33", True,
        None if np.isnan(district["per100_m2"]) else float(district["per100_m2"]),
        _met(None if np.isnan(district["per100_m2"]) else float(district["per100_m2"]), 33),
        by_unit=_by_unit(subs, "per100_m2")))
    towns = _units(units, "subdistrict", "town")
    with_cemetery = [bool(_has_kind(facilities, units, u, "public_cemetery")) for _, u in towns.iterrows()]
    value = _share(sum(with_cemetery), len(towns))
    out.append(Indicator(
        "6", "旗县级城乡公益性安葬(放)设施覆盖率", "Coverage of public-welfare burial facilities", "%", 30, 100,
        "100", True, value, _met(value, 100),
        note=text("planning_outputs.note.6"),
        by_unit=[{"code": u["code"], "name": u["name"], "value": has}
                 for (_, u), has in zip(towns.iterrows(), with_cemetery, strict=True)]))
    cleared = int((graves_in_zones["status"] == "cleared").sum()) if len(graves_in_zones) else 0
    value = _share(cleared, len(graves_in_zones))
    out.append(Indicator(
        "7", "铁路、公路两侧整治散埋乱葬完成率", "Scattered graves cleared along railways and highways", "%",
        20, 80, "80", False, value, _met(value, 80),
        note=text("planning_outputs.note.7", cleared=cleared, total=len(graves_in_zones))))
    inst = facilities[facilities["kind"] == "elder_care_institution"]
    value = _share(float(inst["nursing_beds"].fillna(0).sum()), float(inst["beds"].fillna(0).sum()))
    out.append(Indicator(
        "11", "养老机构护理型床位占比", "Nursing beds among elder-care institution beds", "%", 45, 60, "≥60",
        False, value, _met(value, 60),
        note=text("planning_outputs.note.11", nursing=int(inst["nursing_beds"].fillna(0).sum()),
                  beds=int(inst["beds"].fillna(0).sum()))))
    streets_units = _units(units, "subdistrict")
    has_centre = [bool(_has_kind(facilities, units, u, "comprehensive_elder_care_centre"))
                  for _, u in streets_units.iterrows()]
    value = _share(sum(has_centre), len(streets_units))
    out.append(Indicator(
        "12", "街道范围具备综合功能的养老服务机构覆盖率", "Sub-districts with a comprehensive elder-care centre",
        "%", 42, 100, "100", False, value, _met(value, 100),
        by_unit=[{"code": u["code"], "name": u["name"], "value": has}
                 for (_, u), has in zip(streets_units.iterrows(), has_centre, strict=True)]))
    has_station = [bool(_has_kind(facilities, units, u, "minors_protection_station")) for _, u in towns.iterrows()]
    value = _share(sum(has_station), len(towns))
    out.append(Indicator(
        "13", "镇(街道)未成年人保护工作站覆盖率", "Towns and sub-districts with a minors' protection station",
        "%", 0, 100, text("planning_outputs.target.13"), False, value,
        _met(value, 100),
        note=text("planning_outputs.note.13"),
        by_unit=[{"code": u["code"], "name": u["name"], "value": has}
                 for (_, u), has in zip(towns.iterrows(), has_station, strict=True)]))
    centres = facilities[facilities["kind"] == "community_service_centre"]
    volunteer = set(facilities.loc[facilities["kind"] == "volunteer_station", "community_code"])
    with_vol = int(centres["community_code"].isin(volunteer).sum())
    value = _share(with_vol, len(centres))
    out.append(Indicator(
        "15", "志愿服务站点在社区综合服务设施中的覆盖率", "Community service facilities with a volunteer station",
        "%", 66, 100, "100", False, value, _met(value, 100),
        note=text("planning_outputs.note.15", with_volunteer=with_vol, centres=len(centres))))
    dist_cov = coverage[coverage["level"] == "district"].iloc[0]
    value = None if np.isnan(dist_cov["household_share"]) else 100.0 * float(dist_cov["household_share"])
    out.append(Indicator(
        "一刻钟", "一刻钟居家养老服务圈覆盖户数比例", "Households within a 15-minute walk of elder care", "%",
        None, 100, text("planning_outputs.target.circle"), False, value, _met(value, 100),
        note=f'{walk_text}. {text("planning_outputs.note.circle", share_60plus=_percent(dist_cov["share_60plus"]))}',
        by_unit=_by_unit(coverage[coverage["level"].isin(["subdistrict", "town"])], "household_share", scale=100)))
    return out
