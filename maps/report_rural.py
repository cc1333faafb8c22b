"""The planning report's sections on village norms and 四同步 (new estates), as HTML and as XLSX sheets.

The village table comes from the run's village-norm indicators (their ``by_unit`` rows: each
village's centre floor area, its norm and shortfall); the 四同步 table from
:func:`geo.planning.estates.four_sync` when the caller read the new estates. Headers are Chinese
first with English beside; codes are shown in words.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.messages import value_label
from geo.planning.estates import STAGES, four_sync_summary, stage_text

VILLAGE_HEADERS = {"code": "代码 code", "name": "名称 name", "settlement_type": "聚落类型 settlement type",
                   "value": "中心面积 centre floor area (m²)", "norm_m2": "标准 norm (m²)",
                   "shortfall_m2": "缺口 shortfall (m²)", "meets": "达标 meets"}
ESTATE_HEADERS = {"name": "小区 estate", "community_code": "社区代码 community code", "households": "户数 households",
                  "required_m2": "应配养老用房 required (m²)", "care_floor_area_m2": "已配 provided (m²)",
                  "area_shortfall_m2": "缺口 shortfall (m²)", "planned": "同步规划 planned",
                  "built": "同步建设 built", "inspected": "同步验收 inspected",
                  "handed_over": "同步交付 handed over", "all_in_sync": "四同步 all four"}
SHEETS = {"villages": "村级标准 village norms", "estates": "四同步 new estates"}


def _yes_no(value: Any) -> str:
    return {True: "是 yes", False: "否 no"}.get(value, "—")


def village_frame(run: Any) -> pd.DataFrame:
    """Return every village judged by a village norm, from the run's village-norm indicators."""
    rows = [row for i in run.indicators if i.number.startswith("村·") for row in i.by_unit]
    frame = pd.DataFrame(rows, columns=list(VILLAGE_HEADERS))
    frame["settlement_type"] = [str(value_label(v, field="settlement_type")) if v else "—"
                                for v in frame["settlement_type"]]
    frame["meets"] = [_yes_no(v) for v in frame["meets"]]
    return frame.rename(columns=VILLAGE_HEADERS)


def estates_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Return :func:`geo.planning.estates.four_sync`'s table for readers (stages in words)."""
    out = table[list(ESTATE_HEADERS)].copy()
    for stage in STAGES:
        out[stage] = [stage_text(s) for s in out[stage]]
    out["all_in_sync"] = [_yes_no(bool(v)) for v in out["all_in_sync"]]
    return out.rename(columns=ESTATE_HEADERS)


def rural_sections(run: Any, *, estates: pd.DataFrame | None = None, care_per100_m2: float = 20.0) -> dict[str, Any]:
    """Return what the template ``rural_norms.html`` shows: the village table, the 四同步 table and note."""
    groups = [(f"{i.name_zh} {i.name_en}", i.note) for i in run.indicators if i.number.startswith("村·")]
    out: dict[str, Any] = {"groups": groups, "villages": village_frame(run), "estates": None, "estates_note": None}
    if estates is not None:
        out["estates"] = estates_frame(estates)
        out["estates_note"] = four_sync_summary(estates, care_per100_m2=care_per100_m2).note()
    return out


def rural_sheets(run: Any, *, estates: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Return the workbook sheets (title → frame) of the village norms and, when given, 四同步."""
    sheets = {SHEETS["villages"]: village_frame(run)}
    if estates is not None:
        sheets[SHEETS["estates"]] = estates_frame(estates)
    return sheets
