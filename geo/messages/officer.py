"""Messages of the officer pages and of residents' problem reports (the officers' inbox)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "officer.location_required": Message(
        "请给出位置 location：在地图上点选、输入坐标，或（街路巷）选择所在街道",
        "location is required: click on the map, type coordinates or, for a road, pick its street"),
    "officer.location_kind": Message(
        "位置 location 的方式无效：{given}", "location mode must be map, coords or street; got {given}"),
    "officer.street_unknown": Message(
        "没有名为「{street}」的街路巷，位置 location 无法取自街道",
        "no street named “{street}”: the location cannot be taken from it"),
    "officer.street_has_a_name": Message(
        "「{street}」已是这条道路的标准名称：新道路名不能取它的线；给现有道路改名请在「{street}」的地名页面用“更名”，"
        "新道路请在地图上点选或输入坐标",
        "“{street}” already names that road: a new road name cannot take its line; to rename the road use "
        "Rename on the name's page, for a new road click the map or type coordinates"),
    "officer.street_only_for_roads": Message(
        "只有街路巷类地名可取街道线作位置；其他类别请在地图上点选或输入坐标",
        "only a road (class street) may take its street's line as location; click or type a point"),
    "officer.justification_needed": Message(
        "有警告：请填写理由 justification，说明为何仍要申报",
        "there are warnings: give a justification for proposing the name anyway"),
    "officer.saved": Message("已保存", "saved"),
    "officer.step_done": Message("已提交：{step}（{to}）", "done: {to} ({step})"),
    "officer.renamed": Message("已更名，门牌已排入重印", "renamed; plates queued for reprint"),
    "officer.no_plate": Message("没有这块门牌", "no such plate"),
    "officer.no_hits": Message(
        "没有找到「{q}」。可试：首字母（如 xlglbl）、拼音（xilinguole）、曾用名，或只输入名称的一部分",
        "nothing found for “{q}”; try initials (xlglbl), pinyin (xilinguole), a former name, "
        "or part of the name"),
    "officer.no_plates": Message(
        "「{street}」没有门牌", "no door plates on “{street}”"),
    "officer.report_not_found": Message("没有编号为 {report_id} 的群众报告",
                                        "no problem report {report_id}"),
    "officer.report_resolved_already": Message(
        "该报告已于 {at} 由 {by} 处理，不能再次处理", "the report was resolved at {at} by {by} already"),
    "officer.note_required": Message(
        "请填写处理说明 note（做了什么、结果如何）", "note is required: say what was done"),
    "officer.note_too_long": Message("处理说明 note 最多 {limit} 字",
                                     "note must be at most {limit} characters"),
    "officer.report_status_bad": Message(
        "状态 status 须为 open（待处理）或 resolved（已处理）：{given}",
        "status must be open or resolved; got {given}"),
    "officer.report_kind_bad": Message(
        "问题类型 kind 须为 {kinds} 之一：{given}", "kind must be one of {kinds}; got {given}"),
    "officer.date_bad": Message("日期 {field} 须为 YYYY-MM-DD：{given}",
                                "{field} must be a date, YYYY-MM-DD; got {given}"),
    "officer.report_resolved": Message("报告 {report_id} 已处理", "report {report_id} resolved"),
    "officer.stale": Message(
        "记录已被他人修改，请重新打开页面后再改（未做任何合并）",
        "the record was changed by someone else (the form's version is out of date); reload the "
        "page and edit again, nothing was merged"),
}
