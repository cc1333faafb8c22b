"""Messages of the indicator history: dated snapshots of the plan's indicators and their comparison,
and the listing of planned versus existing facilities."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    # refusals
    "indicator_history.future": Message(
        "规划指标：统计日期 as_of 不能晚于今天（北京时间 {today}），收到 {value}；未来的指标无法计算",
        "plan indicators: as_of cannot be after today ({today}, Beijing time); got {value}: "
        "indicators of the future cannot be computed"),
    "indicator_history.too_early": Message(
        "规划指标：统计日期 as_of 不能早于 {earliest}（十三五起点），收到 {value}",
        "plan indicators: as_of cannot be before {earliest} (the start of the 13th plan); got {value}"),
    "indicator_history.kind": Message(
        "指标快照：类型 kind 须为 {allowed} 之一，收到 {value}",
        "indicator snapshot: kind must be one of {allowed}; got {value}"),
    "indicator_history.kind_date": Message(
        "指标快照：{kind} 的统计日期 as_of 固定为 {expected}（规划评估节点），收到 {value}；其他日期请用 on_demand",
        "indicator snapshot: the as_of of a {kind} snapshot is {expected} (the plan's evaluation date); "
        "got {value}; use on_demand for any other date"),
    "indicator_history.duplicate": Message(
        "指标快照：{date} 的 {kind} 快照已存在（编号 {id}，计算于 {taken_at}，数据版本 {seq}），未保存；"
        "如需重新计算，须由管理员以 replace（替换）提交，旧值保留在审计记录中",
        "indicator snapshot: a {kind} snapshot for {date} already exists (id {id}, taken {taken_at}, data "
        "version {seq}); nothing was stored. To recompute it an admin sends replace; the audit keeps the old one"),
    "indicator_history.replace_admin": Message(
        "指标快照：只有管理员 admin 可以替换已存在的 {kind} 快照（replace）",
        "indicator snapshot: only an admin may replace an existing {kind} snapshot (replace)"),
    "indicator_history.label": Message(
        "指标快照：名称 label 不得超过 {limit} 个字符，收到 {count} 个",
        "indicator snapshot: label may hold at most {limit} characters; got {count}"),
    "indicator_history.ids": Message(
        "指标快照比较：须给出 2 至 {limit} 个快照编号 ids 或日期 dates，收到 {count} 个",
        "indicator snapshot comparison: give 2 to {limit} snapshot ids or dates; got {count}"),
    "indicator_history.date_form": Message("日期（as_of）须写作 YYYY-MM-DD（如 2020-12-31），收到 {value}",
                                           "the date (as_of) must be written YYYY-MM-DD (e.g. 2020-12-31); "
                                           "got {value}"),
    "indicator_history.repeated": Message("指标快照比较：同一快照或日期只能列一次",
                                          "indicator snapshot comparison: list each snapshot or date once"),
    "indicator_history.date_is_id": Message(
        "指标快照比较：日期 {date} 即快照 #{id}（该日期保存的快照），它已按编号列出，同一快照只能列一次",
        "indicator snapshot comparison: the date {date} is snapshot #{id} (the one stored for it), already listed by "
        "its id; list each snapshot once"),
    "indicator_history.id_value": Message(
        "指标快照比较：ids 须为逗号分隔的快照编号，收到 {value}",
        "indicator snapshot comparison: ids must be snapshot numbers separated by commas; got {value}"),
    "indicator_history.no_snapshot": Message(
        "没有编号为 {id} 的指标快照", "there is no indicator snapshot {id}"),
    "indicator_history.nothing_stored": Message(
        "尚未保存任何指标快照；请先运行 xincheng indicators snapshot --kind baseline（或 POST "
        "/api/planning/indicator-snapshots）",
        "no indicator snapshot is stored yet; take one with xincheng indicators snapshot --kind baseline "
        "(or POST /api/planning/indicator-snapshots)"),
    "indicator_history.no_facilities": Message(
        "{date} 时尚无开放的设施（按开放日期 opened_on 与状态计），无法计算该日的指标",
        "no facility was open on {date} (by opened_on and status): the indicators of that date cannot be computed"),
    # notes shown beside the figures
    "indicator_history.note.open_only": Message(
        "指标只计统计日期当天开放的设施（在用，或已关闭但当日仍开放）；规划中、在建的设施不计入。"
        "户数、人口、街巷和区划（街道、社区、村）为当前数据（即时计算的日期也按今天的区划统计）",
        "indicators count only the facilities open on the date (active, or closed later but open then); "
        "planned and under-construction facilities are not counted. Households, residents, streets and the division "
        "(sub-districts, communities, villages) are today's (a date computed now is counted over today's division)"),
    "indicator_history.note.changed": Message(
        "* 快照之后规划数据已有变更（数据版本 {seq} 之后），重新计算结果可能不同",
        "* the planning data changed after this snapshot (after data version {seq}); a recomputation may differ"),
    "indicator_history.note.scope_changed": Message(
        "† 指标 {number} 在 {column} 的统计范围与前一快照不同（新增 {added}，移出 {removed}），变化不全是进展",
        "† indicator {number} at {column} is counted over other units than in the snapshot before (added {added}, "
        "removed {removed}): the change is not all progress"),
    "indicator_history.note.unsaved": Message(
        "（即时计算，未保存）", "(computed now, not stored)"),
    "indicator_history.note.none": Message(
        "尚未保存指标快照。运行 xincheng indicators snapshot --kind baseline 保存基期（2020-12-31）快照。",
        "No indicator snapshot stored yet. Run xincheng indicators snapshot --kind baseline to store the "
        "baseline (2020-12-31)."),
    # kinds
    "indicator_history.kind.baseline": Message("基期", "baseline"),
    "indicator_history.kind.midterm": Message("中期评估", "mid-term"),
    "indicator_history.kind.final": Message("终期评估", "final"),
    "indicator_history.kind.on_demand": Message("按需", "on demand"),
    # facility states (planned vs existing)
    "indicator_history.state.open": Message("开放", "open"),
    "indicator_history.state.under_construction": Message("在建", "under construction"),
    "indicator_history.state.planned": Message("规划", "planned"),
    "indicator_history.state.closed": Message("已关闭", "closed"),
    # headings and columns
    "indicator_history.title": Message("指标历史", "Indicator history"),
    "indicator_history.facilities_title": Message("规划与现有设施", "Planned and existing facilities"),
    "indicator_history.planned_title": Message("规划、在建设施清单", "Planned and under-construction facilities"),
    "indicator_history.col.snapshot": Message("快照", "snapshot"),
    "indicator_history.col.id": Message("编号", "id"),
    "indicator_history.col.label": Message("名称", "label"),
    "indicator_history.col.kind": Message("类型", "kind"),
    "indicator_history.col.as_of": Message("统计日期", "as of"),
    "indicator_history.col.taken_at": Message("计算时间（北京时间）", "taken at (Beijing time)"),
    "indicator_history.col.taken_by": Message("计算人", "taken by"),
    "indicator_history.col.data_seq": Message("数据版本", "data version"),
    "indicator_history.col.changed_since": Message("之后数据有变更", "data changed since"),
    "indicator_history.col.indicator": Message("指标", "indicator"),
    "indicator_history.col.unit": Message("单位", "unit"),
    "indicator_history.col.target": Message("2025年目标", "2025 target"),
    "indicator_history.col.value": Message("值", "value"),
    "indicator_history.col.met": Message("达标", "met"),
    "indicator_history.col.change": Message("变化", "change"),
    "indicator_history.col.scope": Message("统计范围", "units counted"),
    "indicator_history.scope_cell": Message("† 新增 {added}；移出 {removed}", "† added {added}; removed {removed}"),
    "indicator_history.col.unit_name": Message("街道/镇", "sub-district/town"),
    "indicator_history.col.facility_kind": Message("设施类别", "facility kind"),
    "indicator_history.col.name": Message("设施名称", "facility"),
    "indicator_history.col.community": Message("社区/村", "community"),
    "indicator_history.col.status": Message("状态", "status"),
    "indicator_history.col.planned_open_on": Message("计划开放日期", "planned to open on"),
    "indicator_history.col.overdue": Message("是否逾期", "overdue"),
    "indicator_history.col.opened_on": Message("开放日期", "opened on"),
    "indicator_history.col.closed_on": Message("关闭日期", "closed on"),
    "indicator_history.col.open": Message("开放", "open"),
    "indicator_history.col.under_construction": Message("在建", "under construction"),
    "indicator_history.col.planned": Message("规划", "planned"),
    "indicator_history.col.closed": Message("已关闭", "closed"),
    "indicator_history.sheet.history": Message("指标历史", "history"),
    "indicator_history.sheet.snapshots": Message("快照", "snapshots"),
    "indicator_history.sheet.facility_status": Message("设施状态", "facility status"),
    "indicator_history.sheet.planned": Message("规划设施", "planned"),
    "indicator_history.stored": Message(
        "已保存指标快照 {id}：{kind}，统计日期 {as_of}，数据版本 {seq}",
        "stored indicator snapshot {id}: {kind}, as of {as_of}, data version {seq}"),
    "indicator_history.replaced": Message(
        "已替换指标快照 {id}：{kind}，统计日期 {as_of}，数据版本 {seq}（旧值见审计记录）",
        "replaced indicator snapshot {id}: {kind}, as of {as_of}, data version {seq} (the old one is in the audit)"),
}
