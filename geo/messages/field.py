"""Messages of the inspectors' field pages (/field): campaigns, markers, the record form, its answers.

Labels for the condition and action codes live here too, so a page shows 已报修 where the form
still submits ``repair_requested``.
"""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "field.campaign_not_found": Message(
        "没有编号为 {campaign_id} 的联检任务：请从联检列表中选择",
        "there is no inspection campaign {campaign_id}: choose one from the list of campaigns"),
    "field.marker_not_found": Message(
        "没有编号为 {marker_no} 的界桩：请核对界桩编号",
        "there is no boundary marker {marker_no}: check the marker number"),
    "field.marker_not_on_campaign": Message(
        "界桩 {marker_no} 不在本次联检的界线（{lines}）上：请从本次联检的界桩列表中选择",
        "marker {marker_no} is not on this campaign's lines ({lines}): choose one from the campaign's list"),
    "field.marker_out_of_service": Message(
        "界桩 {marker_no} 已撤销（不再使用），本次联检不检查它",
        "marker {marker_no} is decommissioned; this campaign does not inspect it"),
    "field.campaign_closed": Message(
        "本次联检已结束（状态：{status}），不能再提交记录",
        "this campaign is closed (status: {status}); it takes no more records"),
    "field.accuracy_worse": Message(
        "定位精度 ±{accuracy_m} 米，本次联检要求 ±{required_m} 米以内：请在开阔处稍候，等待更多定位后再提交"
        "（精度不足的记录服务器不接受）",
        "the position is accurate to ±{accuracy_m} m; this campaign requires ±{required_m} m or better: "
        "wait in the open for more fixes before sending (the server refuses a record below the required "
        "accuracy)"),
    "field.no_fix": Message(
        "还没有定位：请允许本页使用位置，并在开阔处等待定位后再提交",
        "no position yet: allow this page to use the location and wait in the open for a fix before sending"),
    "field.photo_again": Message(
        "照片没有保留，如需照片请重新选择", "the photo was not kept: choose it again if you want one"),
    "field.bad_condition": Message("请选择界桩状况", "choose the marker's condition"),
    "field.bad_action": Message("请选择处置方式", "choose what was done"),
    "field.bad_position": Message(
        "位置有误：{detail}", "the position is wrong: {detail}"),
    "field.bad_photo": Message(
        "照片须为 JPEG 或 PNG 图片，且不超过 5 MB", "the photo must be a JPEG or PNG image of at most 5 MB"),
    "field.bad_clock": Message(
        "记录时间不在本次联检期间：请检查手机时间",
        "the record's time lies outside this campaign: check the phone's clock"),
    "field.duplicate": Message(
        "这份表单已用不同内容提交过：请重新打开界桩页面再填写",
        "this form was already sent with other content: open the marker's page again and fill it in"),
    "field.other": Message("记录未保存：{detail}", "the record was not saved: {detail}"),
    "field.saved": Message("已保存", "saved"),
    "field.saved_again": Message("已保存过（重复提交，未新增记录）", "already saved (sent twice; nothing new stored)"),
    "field.state_not_visited": Message("未检查", "not yet visited"),
    "field.state_recorded": Message("已检查", "recorded"),
    "field.state_flagged": Message("记录有分歧", "flagged: records disagree"),
    "field.no_next": Message("本次联检的界桩都已检查", "every marker of this campaign has a record"),
    "field.condition_intact": Message("完好", "intact"),
    "field.condition_damaged": Message("损坏", "damaged"),
    "field.condition_displaced": Message("移位", "displaced"),
    "field.condition_missing": Message("丢失", "missing"),
    "field.condition_buried": Message("掩埋", "buried"),
    "field.action_none": Message("未处理", "none"),
    "field.action_cleaned": Message("已清理", "cleaned"),
    "field.action_repainted": Message("已重新描字", "repainted"),
    "field.action_repair_requested": Message("已报修", "repair requested"),
    "field.judged_in_place": Message("未移位", "in place"),
    "field.judged_displaced": Message("已移位", "displaced"),
    "field.campaign_open": Message("进行中", "open"),
    "field.campaign_signed_off": Message("已签认", "signed off"),
}
