"""Messages shared by every part: required fields, wrong types and choices, not found, stale versions."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "common.required": Message("缺少必填字段 {field}", "{field} is required"),
    "common.not_found": Message("未找到 {what}", "{what} not found"),
    "common.stale_version": Message(
        "记录已被他人修改（当前版本 {current}，表单版本 {given}），请重新打开后再改，未做任何合并",
        "the record was changed by someone else (now version {current}, the form had {given}); "
        "reload it and edit again, nothing was merged"),
    "common.forbidden": Message("无权访问：需要角色 {roles}", "not permitted: needs the role {roles}"),
    "common.choice": Message("{field} 的取值 {value} 不在允许范围内，可选：{allowed}",
                             "{field} must be one of {allowed}; got {value}"),
    "common.row": Message("第 {row} 行：{problem}", "row {row}: {problem}"),
    "common.between": Message("{field} 须在 {low} 到 {high} 之间，收到 {value}",
                              "{field} must be between {low} and {high}; got {value}"),
    "common.positive": Message("{field} 须为正数，收到 {value}", "{field} must be a positive number; got {value}"),
    "common.unknown_field": Message("{what} 没有字段 {field}，可用字段：{fields}",
                                    "{what} has no field {field}; fields: {fields}"),
    "common.beijing_time": Message("{time}（北京时间）", "{time} (Beijing time, UTC+8)"),
    "common.date": Message("{field} 须为日期（YYYY-MM-DD），收到 {value}",
                           "{field} must be a date (YYYY-MM-DD); got {value}"),
}
