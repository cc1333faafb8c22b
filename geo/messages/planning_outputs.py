"""What planners read in the planning outputs: column headers, codes, parameters and notes.

The report page, its workbook and the CLI label the same columns the same way, so the labels live
here once: :func:`header` gives a column's header as the tables show it, Chinese first, English
beside, the unit after both (``户数 households``, ``建筑面积 floor area (m²)``); :func:`code_label`
turns a stored code (a unit level, a plate status, a facility kind) into words.
"""

from __future__ import annotations

from geo.messages import Message, catalogue, en, zh

PART = "planning_outputs"

# Column → unit shown after the label; columns with no unit (names, counts of households) are absent.
UNITS = {
    "floor_area_m2": "m²", "per100_m2": "m²/100户", "norm_per100_m2": "m²/100户",
    "shortfall_ratio_m2": "m²", "shortfall_total_m2": "m²", "shortfall_m2": "m²",
    "household_share": "%", "share_60plus": "%", "share_after": "%", "current": None,
    "distance_m": "米 m", "minutes": "分钟 min", "speed_m_per_s": "米/秒 m/s", "reach_m": "米 m",
    "max_attach_m": "米 m", "computed_at": "北京时间 UTC+8", "written_at": "北京时间 UTC+8",
}

_COLUMNS = {
    # units and their figures
    "code": ("代码", "code"),
    "name": ("名称", "name"),
    "level": ("层级", "level"),
    "parent_code": ("上级代码", "parent code"),
    "households": ("户数", "households"),
    "covered_households": ("覆盖户数", "households covered"),
    "household_share": ("户数覆盖率", "share of households covered"),
    "residents_60plus": ("60岁以上人口", "residents 60+"),
    "covered_60plus": ("覆盖60岁以上人口", "residents 60+ covered"),
    "share_60plus": ("60岁以上覆盖率", "share of residents 60+ covered"),
    # floor area (FA-02, FA-03)
    "floor_area_m2": ("建筑面积", "floor area"),
    "per100_m2": ("每百户面积", "area per 100 households"),
    "norm_per100_m2": ("每百户标准", "norm per 100 households"),
    "shortfall_ratio_m2": ("按每百户标准缺口", "short of the per-100-household norm"),
    "shortfall_total_m2": ("按最低总面积缺口", "short of the minimum total"),
    "shortfall_m2": ("缺口", "shortfall"),
    "meets_norm": ("达标", "meets the norm"),
    # plates
    "plate_uid": ("门牌编号", "plate id"),
    "street_name": ("街路巷", "street"),
    "number": ("门牌号", "number"),
    "status": ("状态", "status"),
    "distance_m": ("步行距离", "walking distance"),
    "minutes": ("步行时间", "walking time"),
    # siting
    "order": ("序号", "order"),
    "candidate": ("候选点", "candidate"),
    "gain": ("新增覆盖户数", "households gained"),
    "gain_plates": ("新增覆盖门牌", "plates gained"),
    "share_after": ("累计覆盖率", "share covered after"),
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    # indicators
    "number_no": ("序号", "No."),
    "indicator": ("指标", "indicator"),
    "unit": ("单位", "unit"),
    "value_2020": ("2020年", "2020"),
    "target_2025": ("2025年目标", "2025 target"),
    "binding": ("约束性", "binding"),
    "current": ("当前", "current"),
    "met": ("达标", "met"),
    "note": ("说明", "note"),
    # the parameters sheet
    "parameter": ("参数", "parameter"),
    "value": ("取值", "value"),
}

_PARAMETERS = {
    "minutes": ("步行时间", "walking time"),
    "speed_m_per_s": ("步行速度", "walking speed"),
    "reach_m": ("步行可达距离", "walking reach"),
    "max_attach_m": ("离路最远距离", "longest leg off the street"),
    "preset": ("速度预设", "speed preset"),
    "kinds": ("设施类型", "facility kinds"),
    "data_version": ("数据版本", "data version"),
    "computed_at": ("计算时间", "computed at"),
    "written_at": ("报告生成时间", "report written at"),
    "siting_stations": ("建议新站点数", "proposed stations"),
    "siting_candidates": ("候选点数", "candidate sites"),
}

_CODES = {
    "status.covered": ("步行可达", "covered"),
    "status.beyond": ("超出步行范围", "beyond the walk"),
    "status.unreachable": ("无路可达", "no route"),
    "status.unattached": ("离路过远", "too far from a street"),
    "preset.default": ("一般步速 1.0 米/秒", "default 1.0 m/s"),
    "preset.elderly": ("老年人步速 0.9 米/秒", "older walkers 0.9 m/s"),
    "preset.custom": ("自定义步速", "custom speed"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}

_TEXTS = {
    # sheet names: at most 31 characters, no []:*?/\
    "sheet.indicators": ("指标", "indicators"),
    "sheet.coverage": ("覆盖", "coverage"),
    "sheet.floor.community_service": ("面积 社区服务", "area community"),
    "sheet.floor.elder_care": ("面积 养老", "area elder care"),
    "sheet.uncovered": ("未覆盖门牌", "uncovered plates"),
    "sheet.siting": ("选址", "siting"),
    "sheet.parameters": ("参数", "parameters"),
    # the plan's indicators: their targets and how each was read from the data
    "target.13": ("规划表中为“9”，正文为100%（主要指标表与“未成年人保护”一节）",
                  "the plan's table says 9, its text 100% (main indicators table and the minors' "
                  "protection section)"),
    "target.circle": ("建成一刻钟居家养老服务圈（“养老服务”一节）",
                      "a 15-minute elder-care circle (the elder-care section)"),
    "note.6": ("有公益性公墓的街道、镇所占比例（本项目的理解）[U]",
               "share of sub-districts and towns with a public cemetery in them (project reading) [U]"),
    "note.7": ("铁路、公路两侧禁葬区（假定范围）内的 {total} 座散坟中已整治 {cleared} 座",
               "{cleared} of {total} graves inside the (assumed) railway and highway ban zones cleared"),
    "note.11": ("养老机构床位 {beds} 张，其中护理型 {nursing} 张",
                "{nursing} of {beds} elder-care institution beds are nursing beds"),
    "note.13": ("规划表与正文不一致（9 与 100%），此处按 100% 核对并标出",
                "the plan's table and text disagree (9 vs 100%); checked here against 100% and flagged"),
    "note.15": ("{centres} 个社区综合服务设施中 {with_volunteer} 个设有志愿服务站点",
                "{with_volunteer} of {centres} community service centres have a volunteer station"),
    "note.12_no_subdistricts": ("该区县没有街道：本指标按街道计算，无从计算（乡镇另见 #13）",
                                "this county has no 街道: the indicator counts 街道 and has nothing to count "
                                "(towns and townships: see #13)"),
    "note.circle": ("60岁以上居民覆盖 {share_60plus}", "residents 60+ covered: {share_60plus}"),
    # the report's lines around the tables
    "shortfall.more": ("仅列缺口最大的 {shown} 个，完整表见 XLSX 报告", "the {shown} largest shown; the XLSX has all"),
    "shortfall.none": ("所有有户数的社区均达标", "every community with households meets the norm"),
}

MESSAGES = {
    **{f"{PART}.col.{k}": Message(*v) for k, v in _COLUMNS.items()},
    **{f"{PART}.param.{k}": Message(*v) for k, v in _PARAMETERS.items()},
    **{f"{PART}.code.{k}": Message(*v) for k, v in _CODES.items()},
    **{f"{PART}.{k}": Message(*v) for k, v in _TEXTS.items()},
}


def _both(key: str) -> str:
    return f"{zh(key)} {en(key)}"


def header(column: str) -> str:
    """Return a column's header: Chinese, English, then its unit (``建筑面积 floor area (m²)``)."""
    unit = UNITS.get(column)
    label = _both(f"{PART}.col.{column}")
    return label if unit is None else f"{label} ({unit})"


def parameter_label(name: str) -> str:
    """Return a run parameter's name as the parameters table shows it, with its unit."""
    unit = UNITS.get(name)
    label = _both(f"{PART}.param.{name}")
    return label if unit is None else f"{label} ({unit})"


def code_label(group: str, code: str | None) -> str | None:
    """Return a stored code in words (``code_label("level", "town")`` → ``镇 town``).

    Unit levels and facility kinds read as on the maps (``maps.level.*``, ``maps.kind.*``); the
    rest are labelled here. An unknown code comes back as it is, so a new value shows rather
    than disappears.
    """
    if code is None:
        return None
    for key in (f"maps.{group}.{code}", f"{PART}.code.{group}.{code}"):
        if key in catalogue():
            return _both(key)
    return code


def sheet_name(name: str) -> str:
    """Return a workbook sheet's name (both languages, cut to Excel's 31 characters)."""
    return _both(f"{PART}.sheet.{name}")[:31]


def yes_no(value: bool | None) -> str | None:
    """Return ``是 yes`` or ``否 no``; ``None`` (not decided) stays ``None``."""
    if value is None:
        return None
    return _both(f"{PART}.code.{'yes' if value else 'no'}")
