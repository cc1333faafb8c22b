"""Messages of division changes (区划调整): codes (PN-13), geometry of splits and merges, decisions."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "divisions.first_load_other_district": Message(
        "首次导入本区区划：{field} 为 {value}，不是本区 {district}；只能导入本区自己的区划",
        "a first load of the district's units: {field} is {value}, not this district's {district}; only the "
        "district's own units are loaded"),
    "divisions.first_load_neighbour": Message(
        "首次导入本区区划：{field} 不能为 neighbour（邻区参考界线）：本库已有其他区县，邻区参考界线不经文件导入",
        "a first load of the district's units: {field} cannot be neighbour (a neighbour's reference outline): this "
        "database holds other districts, and reference outlines are not loaded from a file beside them"),
    "divisions.first_load_code": Message(
        "首次导入本区区划：{field} {value} 不在本区 {district} 之内（代码须以 {district} 开头）",
        "a first load of the district's units: {field} {value} is not within district {district} (codes start "
        "with {district})"),
    "divisions.first_load_outline": Message(
        "首次导入本区区划须含本区轮廓（代码 {code}，层级 district，状态 active）：本区的区划只能由这一个文件导入一次，"
        "轮廓、街道/镇与社区/村须在同一文件中；未导入任何内容",
        "a first load of the district's units must hold the district's own outline (code {code}, level district, "
        "status active): the district's units are loaded from this one file, once, the outline, the sub-districts and "
        "towns and the communities and villages together; nothing was imported"),
    "divisions.first_load_twice": Message(
        "首次导入本区区划：{field} {value} 已在第 {first} 行出现，每个区划只能有一行；未导入任何内容",
        "a first load of the district's units: {field} {value} is already in row {first}; each unit has one row; "
        "nothing was imported"),
    # the units' tree (geo.divisions.first_load.unit_tree_problem), framed by a first load or by a restore
    "divisions.first_load_problem": Message("首次导入本区区划：{problem}；未导入任何内容",
                                            "a first load of the district's units: {problem}; nothing was imported"),
    "divisions.tree_second_district": Message(
        "{field} 为 district 的只能是本区轮廓（代码 {code}），收到 {value}",
        "the only unit whose {field} is district is the district's outline (code {code}); got {value}"),
    "divisions.tree_parent_missing": Message(
        "区划 {unit} 的上级（{field}）{value} 不在{scope}中（上级为空亦然）",
        "the parent ({field}) {value} of unit {unit} is not in {scope} (or none is given)"),
    "divisions.first_load_outside_parent": Message(
        "上级（{field}）{parent} 不包含 {value}：该区划有 {area_m2} m² 位于上级之外，"
        "且有部分离上级边界超过 {width_m} m（如 {where} 处；沿边界的细条不计）",
        "the parent ({field}) {parent} does not contain {value}: {area_m2} m² of the unit lie outside it, some farther "
        "than {width_m} m from its boundary (e.g. at {where}; slivers along a boundary are not counted)"),
    "divisions.first_load_overlap": Message(
        "{value} 与第 {first} 行的 {other} 重叠 {area_m2} m²，且有部分离边界超过 {width_m} m"
        "（如 {where} 处；沿边界的细条不计）；"
        "同一上级下的区划不能重叠",
        "{value} overlaps {other} of row {first} by {area_m2} m², some of it farther than {width_m} m from "
        "their boundaries (e.g. at {where}; slivers along a boundary are not counted); units under one parent do not "
        "overlap"),
    "divisions.first_load_other_outline": Message(
        "{value} 与区县 {other}（本库已有，或文件中的邻区参考界线）的轮廓重叠 {area_m2} m²，"
        "且有部分离边界超过 {width_m} m（如 {where} 处；沿边界的细条不计）",
        "{value} overlaps the outline of district {other} (held here, or a neighbour's in the file) by {area_m2} "
        "m², some of it farther than {width_m} m from their boundaries (e.g. at {where}; slivers along a boundary "
        "are not counted)"),
    "divisions.first_load_geometry": Message(
        "首次导入本区区划：{count} 处区划范围有问题：{problems}；请在 GIS 软件中修正（把下级裁到上级之内、相邻区划"
        "共用边界）后重新导入；未导入任何内容",
        "a first load of the district's units: {count} problems with the units' extents: {problems}; correct them "
        "in a GIS (clip each unit to its parent, let neighbouring units share their boundary) and import again; "
        "nothing was imported"),
    "divisions.tree_parent_retired": Message(
        "有效区划 {unit} 的上级（{field}）{value} 状态为 {status}；有效区划的上级须为有效区划",
        "the parent ({field}) {value} of the active unit {unit} is {status}; an active unit's parent is active"),
    "divisions.tree_district_parent": Message(
        "本区轮廓的上级（{field}）只能为空或本市 {city}，收到 {value}",
        "the outline's parent ({field}) is empty or the city {city}; got {value}"),
    "divisions.tree_level": Message(
        "轮廓以外的区划，其{field}须为 {allowed} 之一，收到 {value}",
        "a unit other than the outline has a {field} of {allowed}; got {value}"),
    "divisions.first_load_neighbour_row": Message(
        "首次导入本区区划：{field} 为 neighbour 的行是邻区参考界线，须为另一区县的轮廓（层级 {level}，{adcode} 为该"
        "区县代码，区划代码为它加 000000），不能是本区 {district} 的区划；未导入任何内容",
        "a first load of the district's units: a row whose {field} is neighbour is a neighbour's reference outline: "
        "another district's outline (level {level}, {adcode} that district's code, the unit code it and 000000), never "
        "a unit of {district}; nothing was imported"),
    "divisions.level": Message("区划调整：级别（{field}）须为 {allowed} 之一，收到 {value}",
                               "division change: the level ({field}) must be one of {allowed}; got {value}"),
    "divisions.code_digits": Message("区划代码（{field}）须为12位数字（PN-13），收到 {value}",
                                     "the unit code ({field}) must be 12 digits (PN-13); got {value}"),
    "divisions.code_prefix": Message(
        "区划代码 {value} 的前 {digits} 位须等于上级 {parent} 的前 {digits} 位（PN-13）",
        "unit code {value}: its first {digits} digits must equal those of the parent {parent} (PN-13)"),
    "divisions.code_range": Message(
        "区划代码 {value} 的序号 {serial} 不在{level}的范围 {low}–{high} 内（PN-13）",
        "unit code {value}: serial {serial} is outside the range {low}–{high} of a {level} (PN-13)"),
    "divisions.code_tail": Message("街道、镇的区划代码末3位须为 000（PN-13），收到 {value}",
                                   "a sub-district's or town's code must end in 000 (PN-13); got {value}"),
    "divisions.code_used": Message(
        "区划代码 {value} 已被使用过（{where}），代码永不重复使用（PN-13）",
        "unit code {value} has been used before ({where}); a code is never reused (PN-13)"),
    "divisions.code_exhausted": Message("上级 {parent} 下{level}的代码 {low}–{high} 已用完",
                                        "no free {level} code is left in {low}–{high} under {parent}"),
    "divisions.used_active": Message("现有区划", "an existing unit"),
    "divisions.used_retired": Message("已撤销的区划", "a retired unit"),
    "divisions.used_history": Message("代码沿革", "the code history"),
    "divisions.used_audit": Message("审计记录中已删除的区划", "a deleted unit in the audit trail"),
    "divisions.bad_parent": Message("上级区划（{field}）{value} 不能作为{level}的上级：须为 {allowed}",
                                    "the parent ({field}) {value} cannot hold a {level}: it must be {allowed}"),
    "divisions.no_unit": Message("本区没有有效的区划 {value}（{field}）",
                                 "no active unit {value} in this district ({field})"),
    "divisions.other_district": Message("区划 {value} 不属于本区（{district}），不能调整",
                                        "unit {value} is not in this district ({district}) and cannot be changed"),
    "divisions.not_active": Message("区划 {value} 状态为 {status}，只能调整有效的区划{successor}",
                                    "unit {value} is {status}; only active units can be changed{successor}"),
    "divisions.child_code_used": Message(
        "其下 {name}（{old}）在新代码下应为 {code}：{problem}；请另选新代码 new_code",
        "{name} ({old}) below it would become {code}: {problem}; choose another new_code"),
    "divisions.now_held_as": Message("（其区域现为 {code}）", " (its land is now {code})"),
    "divisions.leaf_only": Message("拆分与合并只适用于社区和村（{field}），{value} 为 {level}",
                                   "split and merge apply to communities and villages ({field}); {value} is a {level}"),
    "divisions.stale": Message("区划 {value} 已被他人修改（当前版本 {current}，依据版本 {given}），请重新读取",
                               "unit {value} was changed meanwhile (now version {current}, yours {given}); reload"),
    "divisions.version_missing": Message("须给出区划 {value} 的版本号（{field}）",
                                         "give the version of unit {value} ({field})"),
    "divisions.decision_required": Message("区划调整须依据决定：缺少 {fields}",
                                           "a division change needs its decision: {fields} missing"),
    "divisions.decision_future": Message("决定日期（{field}）{value} 晚于今天",
                                         "the decision date ({field}) {value} is after today"),
    "divisions.effective_before": Message("生效日期（{field}）{value} 早于决定日期 {decided}",
                                          "the effective date ({field}) {value} is before the decision date {decided}"),
    "divisions.text_too_long": Message("{field} 过长：最多 {most} 个字符",
                                       "{field} is too long: at most {most} characters"),
    "divisions.name_required": Message("须给出新区划的名称（{field}）", "give the new unit's name ({field})"),
    "divisions.name_specific": Message("{level}名称 {value} 只有通名：须在 {allowed} 之前有专名（PN-02）",
                                       "a {level} name {value} is a generic alone: a specific part comes before "
                                       "{allowed} (PN-02)"),
    "divisions.name_generic": Message("{level}名称 {value} 须以 {allowed} 结尾（PN-02）",
                                      "a {level} name {value} must end in {allowed} (PN-02)"),
    "divisions.parts_count": Message("拆分须给出至少2个部分（{field}），收到 {count} 个",
                                     "a split needs at least 2 parts ({field}); got {count}"),
    "divisions.parts_too_many": Message("拆分最多 {most} 个部分（{field}），收到 {count} 个",
                                        "a split has at most {most} parts ({field}); got {count}"),
    "divisions.units_count": Message("合并须给出至少2个区划（{field}），收到 {count} 个",
                                     "a merge needs at least 2 units ({field}); got {count}"),
    "divisions.units_repeated": Message("区划 {value} 重复出现（{field}）", "unit {value} is given twice ({field})"),
    "divisions.codes_repeated": Message("新区划代码 {value} 重复出现（{field}）",
                                        "new code {value} is given twice ({field})"),
    "divisions.split_gap": Message(
        "拆分的各部分未覆盖原区划 {value}：缺口 {area_m2} m²（容差 {tolerance_m2} m²）",
        "the parts do not cover unit {value}: a gap of {area_m2} m² (tolerance {tolerance_m2} m²)"),
    "divisions.split_overlap": Message(
        "拆分的各部分相互重叠 {area_m2} m²（容差 {tolerance_m2} m²）：第 {first} 与第 {second} 部分",
        "the parts overlap by {area_m2} m² (tolerance {tolerance_m2} m²): parts {first} and {second}"),
    "divisions.split_outside": Message(
        "拆分的各部分超出原区划 {value} {area_m2} m²（容差 {tolerance_m2} m²）",
        "the parts reach {area_m2} m² outside unit {value} (tolerance {tolerance_m2} m²)"),
    "divisions.part_empty": Message("第 {index} 部分在原区划内的面积为 0", "part {index} has no area inside the unit"),
    "divisions.merge_level": Message("合并的区划级别须相同：{value}", "merged units must be of one level: {value}"),
    "divisions.merge_parent": Message("合并的区划须属于同一上级：{value}",
                                      "merged units must have one parent: {value}"),
    "divisions.merge_apart": Message("合并的区划须相邻：{value} 与其他区划不相接",
                                     "merged units must adjoin: {value} touches none of the others"),
    "divisions.create_outside": Message(
        "新区划超出上级 {parent} {area_m2} m²（容差 {tolerance_m2} m²）",
        "the new unit reaches {area_m2} m² outside its parent {parent} (tolerance {tolerance_m2} m²)"),
    "divisions.create_overlap": Message(
        "新区划与现有区划 {value} 重叠 {area_m2} m²；从现有区划划出请用拆分",
        "the new unit overlaps unit {value} by {area_m2} m²; to carve it out of that unit, split it"),
    "divisions.parts_same_name": Message(
        "拆分的第 {first} 部分与第 {second} 部分名称相同（{value}）：每部分须有自己的名称",
        "parts {first} and {second} of the split have the same name ({value}): each part needs its own name"),
    "divisions.same_name": Message("新名称与现名称相同：{value}", "the new name equals the current one: {value}"),
    "divisions.same_code": Message("重新编码须改变代码、级别或上级", "a re-code must change the code, level or parent"),
    "divisions.no_change": Message("没有编号为 {value} 的区划调整", "no division change numbered {value}"),
    "divisions.no_history": Message("本区没有代码为 {value} 的区划（现有或历史）",
                                    "no unit coded {value} in this district, current or former"),
    "divisions.query_short": Message("检索词（{field}）须为1至{most}个字符",
                                     "the query ({field}) must be 1 to {most} characters"),
    "divisions.file_unreadable": Message("无法读取 GeoJSON 文件 {path}：{reason}",
                                         "cannot read the GeoJSON file {path}: {reason}"),
    "divisions.file_features": Message("GeoJSON 文件（{field}）须为含面要素的 FeatureCollection，每个要素有 name 属性",
                                       "the GeoJSON file ({field}) must be a FeatureCollection of polygons, each "
                                       "with a name property"),
    "divisions.versions_format": Message(
        "版本（{field}）须写作 代码=版本，如 150102001001=3，收到 {value}",
        "versions ({field}) are written code=version, e.g. 150102001001=3; got {value}"),
    "divisions.formerly": Message("曾用{what} {old}，{date} 依据 {doc}（{body}）改为 {new}",
                                  "formerly {what} {old}; changed on {date} to {new} by decision {doc} ({body})"),
    "divisions.formerly_name": Message("名称", "name"),
    "divisions.formerly_code": Message("代码", "code"),
    "divisions.summary.create": Message("新设{level} {name}（{code}）", "created {level} {name} ({code})"),
    "divisions.summary.split": Message("撤销 {old}，拆分设立 {new}", "split {old} into {new}"),
    "divisions.summary.merge": Message("撤销 {old}，合并设立 {new}", "merged {old} into {new}"),
    "divisions.summary.rename": Message("{code} 更名：{old} → {new}", "renamed {code}: {old} → {new}"),
    "divisions.summary.recode": Message("{name} 重新编码：{old} → {new}", "re-coded {name}: {old} → {new}"),
    "divisions.summary.recode_with_children": Message(
        "{name} 重新编码：{old} → {new}，其下 {count} 个社区和村随之重新编码",
        "re-coded {name}: {old} → {new}, with the {count} communities and villages below it"),
    "divisions.before_history": Message(
        "{field} {value} 早于 {code} 的设立或最近一次区划调整（{bound}）：区划沿革不能倒序记载",
        "{field} {value} lies before {code} began or its latest division change ({bound}): a unit's history "
        "cannot run backwards"),
    "divisions.decision_too_early": Message("{field} {value} 早于 {earliest}：请核对决定日期",
                                            "{field} {value} lies before {earliest}: check the decision's date"),
}
