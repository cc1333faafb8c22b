"""Messages of the page forms' refusals and notices: a form too large to send, a version that is not
a number, a proposal sent twice, the choices a form offers (plate statuses, streets for a new road)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "forms.too_large_title": Message("内容过大", "Too large"),
    "forms.stalled_title": Message("上传中断", "Upload stalled"),
    "forms.too_slow_title": Message("上传过慢", "Upload too slow"),
    "forms.too_long_title": Message("上传用时过长", "Upload took too long"),
    "forms.too_large": Message(
        "提交的内容有 {size_mb} MB，超过上限 {limit_mb} MB，未保存任何内容。照片请缩小（或换一张较小的）后再发送；"
        "请用浏览器的“返回”回到表单，已填写的文字仍在。",
        "What was sent is {size_mb} MB, over the limit of {limit_mb} MB; nothing was saved. Make the photo "
        "smaller (or choose a smaller one) and send again; go Back in the browser to the form, what you typed "
        "is still there."),
    "forms.too_large_unknown": Message(
        "提交的内容超过上限 {limit_mb} MB，未保存任何内容。照片请缩小后再发送；请用浏览器的“返回”回到表单，"
        "已填写的文字仍在。",
        "What was sent is over the limit of {limit_mb} MB; nothing was saved. Make the photo smaller and send "
        "again; go Back in the browser to the form, what you typed is still there."),
    "forms.file_too_large": Message(
        "上传的文件有 {size_mb} MB，超过上限 {limit_mb} MB，未导入任何内容。请把表格分成几个较小的文件，"
        "回到导入页重新选择文件后再导入。",
        "The file sent is {size_mb} MB, over the limit of {limit_mb} MB; nothing was imported. Split the sheet into "
        "smaller files, then go back to the import page and choose the file again."),
    "forms.file_too_large_unknown": Message(
        "上传的文件超过上限 {limit_mb} MB，未导入任何内容。请把表格分成几个较小的文件，"
        "回到导入页重新选择文件后再导入。",
        "The file sent is over the limit of {limit_mb} MB; nothing was imported. Split the sheet into smaller files, "
        "then go back to the import page and choose the file again."),
    "forms.back_to_form": Message("返回表单", "Back to the form"),
    "forms.photo_too_large": Message(
        "照片有 {size_mb} MB，超过上限 {limit_mb} MB：请换一张较小的照片",
        "The photo is {size_mb} MB, over the limit of {limit_mb} MB: choose a smaller photo"),
    "forms.photo_shrunk": Message(
        "照片较大（{size_mb} MB），已在本机缩小为 {new_mb} MB 后发送",
        "The photo was large ({size_mb} MB); it was made smaller on this device ({new_mb} MB) before sending"),
    "forms.bad_version": Message(
        "版本号无效：表单不完整或已损坏，请重新打开页面（未保存任何内容）",
        "Invalid version number: the form is incomplete or damaged; reload the page (nothing was saved)"),
    "forms.proposed_already": Message(
        "已申报（记录 {id}）：同一申报已提交过，未重复保存",
        "Proposed already (record {id}): the same proposal was sent before and was not stored twice"),
    "forms.bad_plate_status": Message(
        "门牌状态「{value}」无效；可选：{allowed}",
        "no door-plate status “{value}”; choose one of: {allowed}"),
    "forms.plate_final": Message(
        "此门牌已{status}，状态不能再更改（已撤销或已替换的门牌保留其记录与二维码）",
        "This plate is {status}: its status cannot change any more (a revoked or replaced plate keeps its "
        "record and QR code)"),
    "forms.bad_id": Message("网址中的编号「{value}」无效", "the number “{value}” in the address is not valid"),
    "forms.bad_page": Message("页码「{value}」无效，须为正整数",
                              "page “{value}” is not valid: give a whole number from 1"),
    "forms.road_streets": Message(
        "新道路名只能取自尚无标准名称（未在使用中）的街道线；已有名称的道路请在其地名页面“更名”，新道路也可在地图上点选",
        "A new road name may take only a street line with no name in force; rename a named road on its name's "
        "page, or click the new road on the map"),
    "forms.no_road_streets": Message(
        "目前所有街道线都已有使用中的标准名称：新道路请在地图上点选或输入坐标",
        "Every street line has a name in force now: click the new road on the map or type its coordinates"),
}
