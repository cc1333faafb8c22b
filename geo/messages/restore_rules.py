"""Messages of the restore's content check (geo.restore_rules)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "restore_rules.refused": Message(
        "备份内容不符合规则，未恢复任何数据：{table} 记录 {id} 的 {field} 为 {value}（规则：{rule}）。"
        "请使用未经改动的备份",
        "the backup holds a record the rules refuse, nothing was restored: {table} record {id}, {field} = {value} "
        "(rule: {rule}); use an unaltered backup"),
    "restore_rules.plate_in_abolished_unit": Message(
        "在用门牌须属于在用的社区或村（区划调整时随之改属）",
        "an active plate belongs to a community or village in force (a division change moves it)"),
    "restore_rules.no_outline": Message(
        "区划 {district} 的单位须在本区在用的轮廓（层级 district）之下",
        "district {district}'s units lie under its own active outline (level district)"),
    "restore_rules.county_code": Message("区县级行政区划代码（GB/T 2260 的 6 位，如 150102）",
                                         "a county-level adcode (GB/T 2260's six digits, such as 150102)"),
    "restore_rules.neighbour_row": Message(
        "状态为 neighbour 的行是邻区参考界线：层级 {level}，代码为其区县代码加 000000",
        "a row of status neighbour is a neighbour's reference outline: level {level}, code its adcode and 000000"),
    "restore_rules.counter_behind": Message("计数器不得低于已使用的最大序号 {used}",
                                            "a counter may not lie below the highest serial in use, {used}"),
}
