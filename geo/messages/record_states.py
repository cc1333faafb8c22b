"""Messages of geo.record_states: a record's state and its dates agree."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "record_states.not_open_yet": Message(
        "{field}：状态为「{status}」的设施尚未启用，不能填写此日期；启用后请把状态改为在用并填写启用日期",
        "{field}: a facility that is {status} has not opened yet, so it has no such date; when it opens, "
        "set the status to active with its opening date"),
    "record_states.open_not_closed": Message(
        "{field}：在用的设施没有关闭日期；关闭时请把状态改为已关闭",
        "{field}: an active facility has no closing date; when it closes, set the status to closed"),
    "record_states.opening_needs_date": Message(
        "{field}：设施由「{was}」改为在用时须填写启用日期（历年指标按启用日期计）",
        "{field}: a facility that was {was} opens with its opening date (past indicators count from it)"),
    "record_states.closing_needs_date": Message(
        "{field}：状态为「{status}」时须填写关闭日期（历年指标计到关闭日期）",
        "{field}: a {status} facility needs its closing date (past indicators count it until then)"),
    "record_states.closed_before_opened": Message(
        "{field}：关闭日期 {closed} 早于启用日期 {opened}",
        "{field}: closed on {closed}, before it opened on {opened}"),
    "record_states.cleared_date_needs_state": Message(
        "{field}：只有已整治的坟墓有整治日期（当前状态「{status}」）",
        "{field}: only a cleared grave has a clearing date (its status is {status})"),
    "record_states.clearing_needs_date": Message(
        "{field}：把坟墓改为已整治时须填写整治日期（指标 #7 按日期计）",
        "{field}: a grave is marked cleared with its clearing date (indicator #7 counts from it)"),
    "record_states.estate_order": Message(
        "{field}：{value} 早于{earlier} {earlier_value}；四同步各环节须依次为规划、建设、验收、交付",
        "{field}: {value} is before the {earlier} {earlier_value}; the stages come in order: planned, built, "
        "inspected, handed over"),
    "record_states.unit_part_exceeds_whole": Message(
        "{field} 为 {value}，多于 {whole}（{whole_value}）：部分人口不能超过总数",
        "{field} is {value}, more than {whole} ({whole_value}): a part of the population cannot exceed the whole"),
}
