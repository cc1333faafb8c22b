"""The plan's indicators (十四五 table, ../shared/seed) that the data can answer, against 2025 targets.

Each indicator carries its 2020 value and 2025 target as the plan prints them, the current value
computed from the data, whether it is met, and per-unit values where the plan's scope is units.
Beside the numbered table, the plan's text sets targets the data can answer too: the village
norms (line 417, :mod:`geo.planning.rural_norms`), 专栏8 item 2 (every 村(居)委会 with a home and
community elder-care centre or station), 乡镇(街道) social-work stations (line 437) and the urban
一刻钟 circle (line 560), whose headline share counts the urban scope only (the settings' unit
codes, by default every 街道) and shows the whole district beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo.layers import LEAF_LEVELS, TOWNSHIP_LEVELS
from geo.messages import text, value_labels
from geo.planning.norms_settings import PlanningNorms
from geo.planning.rural_norms import rural_summary, village_norms

# The detail naming the units an indicator's headline share is counted over (#6, #12, #13, 专栏8-2, 社工站, the
# village norms 村·150/村·300; the circle's urban scope under its own name): snapshots compared side by side say
# when the units differ.
SCOPE_DETAIL = "scope_codes"
URBAN_SCOPE_DETAIL = "urban_scope_codes"


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
    detail: dict[str, Any] = field(default_factory=dict)   # figures beside the headline (scopes, counts)

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


def _with_kind(facilities: pd.DataFrame, units: pd.DataFrame, among: pd.DataFrame, kind: str) -> list[bool]:
    """Return, for each unit of ``among``, whether a facility of ``kind`` lies in it or in one of its
    child units (``community_code`` is the unit's own code or a child's)."""
    where = set(facilities.loc[facilities["kind"] == kind, "community_code"])
    children: dict[Any, set[Any]] = {}
    for code, parent in zip(units["code"], units["parent_code"], strict=True):
        children.setdefault(parent, set()).add(code)
    return [code in where or not where.isdisjoint(children.get(code, ())) for code in among["code"]]


def _by_unit(frame: pd.DataFrame, column: str, *, scale: int = 1) -> list[dict[str, Any]]:
    """Return each unit's ``column`` (times ``scale``) to one decimal, None where it is NaN."""
    values: list[float] = frame[column].to_numpy(dtype=float).tolist()
    return [{"code": code, "name": name, "value": None if np.isnan(v) else round(scale * v, 1)}
            for code, name, v in zip(frame["code"].tolist(), frame["name"].tolist(), values, strict=True)]


def compute_indicators(*, units: pd.DataFrame, facilities: pd.DataFrame, community_floor: pd.DataFrame,
                       coverage: pd.DataFrame, graves_in_zones: pd.DataFrame, walk_text: str,
                       norms: PlanningNorms | None = None,
                       unit_successors: Mapping[str, str] | None = None) -> list[Indicator]:
    """Return indicators #4, #6, #7, #11, #12, #13, #15, the 15-minute circle and the plan's text targets.

    ``norms`` (default: the plan's) sets the village norms, what counts for 专栏8-2 and the urban
    scope of the 15-minute circle; ``unit_successors`` (a retired code → its unit's code now) lets that scope
    name a 镇 or 街道 by a code a division change has since replaced.
    """
    norms = norms or PlanningNorms()
    out: list[Indicator] = []
    district = community_floor[community_floor["level"] == "district"].iloc[0]
    subs = community_floor[community_floor["level"].isin(TOWNSHIP_LEVELS)]
    out.append(Indicator(
        "4", "每百户居民拥有的城乡社区综合服务设施建筑面积",
        "Community service floor area per 100 households", "m²", 20, 33, "≥33", True,
        None if np.isnan(district["per100_m2"]) else float(district["per100_m2"]),
        _met(None if np.isnan(district["per100_m2"]) else float(district["per100_m2"]), 33),
        by_unit=_by_unit(subs, "per100_m2")))
    towns = _units(units, *TOWNSHIP_LEVELS)
    with_cemetery = _with_kind(facilities, units, towns, "public_cemetery")
    value = _share(sum(with_cemetery), len(towns))
    out.append(Indicator(
        "6", "旗县级城乡公益性安葬(放)设施覆盖率", "Coverage of public-welfare burial facilities", "%", 30, 100,
        "100", True, value, _met(value, 100),
        note=text("planning_outputs.note.6"),
        by_unit=[{"code": u["code"], "name": u["name"], "value": has}
                 for (_, u), has in zip(towns.iterrows(), with_cemetery, strict=True)],
        detail={SCOPE_DETAIL: list(towns["code"])}))
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
    has_centre = _with_kind(facilities, units, streets_units, "comprehensive_elder_care_centre")
    value = _share(sum(has_centre), len(streets_units))
    out.append(Indicator(
        "12", "街道范围具备综合功能的养老服务机构覆盖率", "Sub-districts with a comprehensive elder-care centre",
        "%", 42, 100, "100", False, value, _met(value, 100),
        note=text("planning_outputs.note.12_no_subdistricts") if streets_units.empty else "",
        by_unit=[{"code": u["code"], "name": u["name"], "value": has}
                 for (_, u), has in zip(streets_units.iterrows(), has_centre, strict=True)],
        detail={SCOPE_DETAIL: list(streets_units["code"])}))
    has_station = _with_kind(facilities, units, towns, "minors_protection_station")
    value = _share(sum(has_station), len(towns))
    out.append(Indicator(
        "13", "乡镇(街道)未成年人保护工作站覆盖率",
        "Townships, towns and sub-districts with a minors' protection station", "%", 0, 100,
        text("planning_outputs.target.13"), False, value,
        _met(value, 100),
        note=text("planning_outputs.note.13"),
        by_unit=[{"code": u["code"], "name": u["name"], "value": has}
                 for (_, u), has in zip(towns.iterrows(), has_station, strict=True)],
        detail={SCOPE_DETAIL: list(towns["code"])}))
    centres = facilities[facilities["kind"] == "community_service_centre"]
    volunteer = set(facilities.loc[facilities["kind"] == "volunteer_station", "community_code"])
    with_vol = int(centres["community_code"].isin(volunteer).sum())
    value = _share(with_vol, len(centres))
    out.append(Indicator(
        "15", "志愿服务站点在社区综合服务设施中的覆盖率", "Community service facilities with a volunteer station",
        "%", 66, 100, "100", False, value, _met(value, 100),
        note=text("planning_outputs.note.15", with_volunteer=with_vol, centres=len(centres))))
    out.append(circle_indicator(coverage, units, norms=norms, walk_text=walk_text,
                                unit_successors=unit_successors))
    out += rural_indicators(units, facilities, norms)
    out.append(elder_care_point_indicator(units, facilities, norms))
    out.append(social_work_indicator(units, facilities, norms))
    return out


def scope_codes(units: pd.DataFrame, norms: PlanningNorms, *,
                unit_successors: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return each code of the settings' urban scope with the 乡镇(街道) code its land is held under now: itself, or,
    for a code the units no longer hold, the code its unit was given (``unit_successors``: 乡改镇 and 撤镇设街道
    re-code a unit; the settings file still names the old code). Refuse a code that leads to no unit held."""
    held = set(units.loc[units["level"].isin(TOWNSHIP_LEVELS), "code"])
    successors = unit_successors or {}
    codes = {code: code if code in held else successors.get(code, code) for code in norms.urban_unit_codes}
    unknown = sorted(code for code, now in codes.items() if now not in held)
    if unknown:
        from geo.errors import InputError

        raise InputError(text("rural_norms.unknown_units", value=", ".join(unknown)), field="urban_unit_codes")
    return codes


def urban_scope(units: pd.DataFrame, norms: PlanningNorms, *,
                unit_successors: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Return the units of the urban scope: the settings' codes as held now (:func:`scope_codes`), or every 街道 when
    none are set."""
    if not norms.urban_unit_codes:
        return units[units["level"] == "subdistrict"]
    codes = scope_codes(units, norms, unit_successors=unit_successors)
    return units[units["level"].isin(TOWNSHIP_LEVELS) & units["code"].isin(set(codes.values()))]


def circle_indicator(coverage: pd.DataFrame, units: pd.DataFrame, *, norms: PlanningNorms,
                     walk_text: str, unit_successors: Mapping[str, str] | None = None) -> Indicator:
    """Return the 一刻钟 circle: households within the walk, urban scope as headline, district beside."""
    scope = urban_scope(units, norms, unit_successors=unit_successors)
    rows = coverage[coverage["code"].isin(scope["code"])]
    urban = _share(float(rows["covered_households"].sum()), float(rows["households"].sum()))
    dist_cov = coverage[coverage["level"] == "district"].iloc[0]
    district = None if np.isnan(dist_cov["household_share"]) else 100.0 * float(dist_cov["household_share"])
    urban_60 = _share(float(rows["covered_60plus"].sum()), float(rows["residents_60plus"].sum()))
    names = "、".join(scope["name"].astype(str))

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v:.1f}%"

    if scope.empty:  # a county or banner without 街道 and no scope set: say so, not "0 个乡镇(街道)：—"
        note = text("rural_norms.circle_note_no_scope", district=pct(district), walk=walk_text)
    else:
        note = text("rural_norms.circle_note", count=len(scope), scope=names, urban=pct(urban),
                    district=pct(district), walk=walk_text)
    followed = [f"{code} → {now}" for code, now in scope_codes(units, norms, unit_successors=unit_successors).items()
                if now != code]
    if followed:  # the planner is told the settings file names a replaced code (review): it should be edited
        note += " " + text("rural_norms.circle_scope_followed", pairs="、".join(followed))
    note += " " + text("planning_outputs.note.circle", share_60plus=_percent(dist_cov["share_60plus"]))
    return Indicator(
        "一刻钟", "一刻钟居家养老服务圈覆盖户数比例（城市范围）",
        "Households within a 15-minute walk of elder care (urban scope)", "%",
        None, 100, text("planning_outputs.target.circle"), False, urban, _met(urban, 100), note=note,
        by_unit=_by_unit(coverage[coverage["level"].isin(TOWNSHIP_LEVELS)], "household_share", scale=100),
        detail={URBAN_SCOPE_DETAIL: list(scope["code"]), "urban_share": urban, "urban_share_60plus": urban_60,
                "district_share": district,
                "urban_households": float(rows["households"].sum()),
                "urban_covered_households": float(rows["covered_households"].sum())})


def rural_indicators(units: pd.DataFrame, facilities: pd.DataFrame, norms: PlanningNorms) -> list[Indicator]:
    """Return one indicator per village norm group: share of its villages meeting it, against 90%."""
    table = village_norms(units, facilities, norms)
    out = []
    for group in rural_summary(table, norms):
        share = None if group.share is None else 100.0 * group.share
        failing = "、".join(f"{v['name']}（{v['value']:g} m²）" for v in group.villages if not v["meets"])
        required = f"{100 * group.norm.required_share:g}%"
        title = group.title()
        zh, _, en = title.partition(" · ")
        out.append(Indicator(
            f"村·{group.norm.min_total_m2:g}", zh, en or zh, "%", None, 100 * group.norm.required_share,
            f"≥{required}", False, share, _met(share, 100 * group.norm.required_share),
            note=text("rural_norms.note", meeting=group.meeting, total=group.total, required=required,
                      failing=failing or "—"),
            by_unit=group.villages,
            detail={SCOPE_DETAIL: [v["code"] for v in group.villages], "norm_key": group.norm.key,
                    "min_total_m2": group.norm.min_total_m2, "required_share": group.norm.required_share,
                    "villages": group.total, "meeting": group.meeting}))
    return out


def elder_care_point_indicator(units: pd.DataFrame, facilities: pd.DataFrame, norms: PlanningNorms) -> Indicator:
    """Return 专栏8-2: the share of 村(居)委会 with a home and community elder-care centre or station.

    A community or village counts when a facility of a counted kind (settings; by default
    elder-care stations and comprehensive centres, not institutions) has it as its community.
    """
    leaves = units[units["level"].isin(LEAF_LEVELS)]
    have = set(facilities.loc[facilities["kind"].isin(norms.elder_care_counted_kinds), "community_code"])
    has = leaves["code"].isin(have)
    value = _share(float(has.sum()), float(len(leaves)))
    comm, vill = leaves["level"] == "community", leaves["level"] == "village"
    target = 100 * norms.elder_care_target_share
    return Indicator(
        "专栏8-2", "村(居)委会居家和社区养老服务中心(站点)覆盖率",
        "Village and community committees with a home and community elder-care centre or station", "%",
        None, target, f"{target:g}", False, value, _met(value, target),
        note=text("rural_norms.elder_coverage_note", with_point=int(has.sum()), total=len(leaves),
                  kinds=value_labels(norms.elder_care_counted_kinds, field="kind"),
                  communities=f"{int((has & comm).sum())}/{int(comm.sum())}",
                  villages=f"{int((has & vill).sum())}/{int(vill.sum())}"),
        by_unit=[{"code": c, "name": n, "level": lv, "value": bool(h)}
                 for c, n, lv, h in zip(leaves["code"], leaves["name"], leaves["level"], has, strict=True)],
        detail={SCOPE_DETAIL: list(leaves["code"]), "communities": int(comm.sum()),
                "communities_with": int((has & comm).sum()),
                "villages": int(vill.sum()), "villages_with": int((has & vill).sum()),
                "counted_kinds": list(norms.elder_care_counted_kinds)})


def social_work_indicator(units: pd.DataFrame, facilities: pd.DataFrame, norms: PlanningNorms) -> Indicator:
    """Return 乡镇(街道) social-work station coverage (line 437: 全覆盖 by 2025)."""
    towns = _units(units, *TOWNSHIP_LEVELS)
    has = _with_kind(facilities, units, towns, "social_work_station")
    value = _share(sum(has), len(towns))
    target = 100 * norms.social_work_target_share
    return Indicator(
        "社工站", "乡镇(街道)社会工作服务站覆盖率", "Townships, towns and sub-districts with a social-work station",
        "%",
        None, target, f"{target:g}", False, value, _met(value, target),
        note=text("rural_norms.social_work_note", with_station=sum(has), total=len(towns)),
        by_unit=[{"code": u["code"], "name": u["name"], "value": h} for (_, u), h in zip(towns.iterrows(), has,
                                                                                          strict=True)],
        detail={SCOPE_DETAIL: list(towns["code"])})
