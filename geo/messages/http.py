"""Messages of the HTTP layer's own refusals: request bodies and parameters FastAPI could not parse,
HTTP errors without a domain error, internal errors (rendered by api/errors.py).

A parse problem is named by its pydantic error type: ``http.problem_<type>`` holds the Chinese
description (its English half is used only when pydantic gives no message of its own).
"""

from __future__ import annotations

from geo.messages import Message

_PROBLEMS = {
    "int_parsing": ("须为整数", "must be a whole number"), "int_type": ("须为整数", "must be a whole number"),
    "int_from_float": ("须为整数", "must be a whole number"),
    "float_parsing": ("须为数值", "must be a number"), "float_type": ("须为数值", "must be a number"),
    "finite_number": ("须为有限数值", "must be a finite number"),
    "bool_parsing": ("须为是/否（true/false）", "must be true or false"),
    "bool_type": ("须为是/否（true/false）", "must be true or false"),
    "string_type": ("须为文本", "must be text"), "list_type": ("须为列表", "must be a list"),
    "dict_type": ("须为对象", "must be an object"), "model_type": ("须为对象", "must be an object"),
    "date_parsing": ("须为日期（YYYY-MM-DD）", "must be a date"), "date_from_datetime_parsing": (
        "须为日期（YYYY-MM-DD）", "must be a date"),
    "datetime_parsing": ("须为 ISO 日期时间", "must be a date-time"),
    "string_too_long": ("过长", "is too long"), "string_too_short": ("过短或为空", "is too short"),
    "too_long": ("条目过多", "has too many items"), "too_short": ("条目过少", "has too few items"),
    "greater_than": ("须大于下限", "is too small"), "greater_than_equal": ("须不小于下限", "is too small"),
    "less_than": ("须小于上限", "is too large"), "less_than_equal": ("须不大于上限", "is too large"),
    "literal_error": ("的取值不在允许范围内", "is not an allowed value"),
    "enum": ("的取值不在允许范围内", "is not an allowed value"),
    "extra_forbidden": ("是不接受的字段", "is not accepted"),
    "string_pattern_mismatch": ("格式不对", "has the wrong form"),
    "value_error": ("的值无效", "is invalid"),
}

MESSAGES = {
    "http.invalid_json": Message("请求体不是有效的 JSON（{detail}）", "the body is not valid JSON ({detail})"),
    "http.missing": Message("缺少必填字段 {field}", "{field} is required"),
    "http.invalid": Message("{field} 无效：{problem}", "{field}: {problem}"),
    "http.problem_other": Message("的值无效", "is invalid"),
    "http.request": Message("请求", "request"),
    "http.bad_request": Message("请求有误：{detail}", "bad request: {detail}"),
    "http.not_found": Message("不存在：{detail}", "not found: {detail}"),
    "http.method_not_allowed": Message("不允许的请求方法：{detail}", "method not allowed: {detail}"),
    "http.unsupported_media_type": Message("不支持的类型：{detail}", "unsupported media type: {detail}"),
    "http.out_of_range_db": Message("数值超出范围", "a value in the request is out of range for the database"),
    "http.internal": Message("服务器内部错误，已记录", "an internal error occurred; it has been logged"),
    "http.internal_logged": Message("服务器内部错误，已按此请求编号记录",
                                    "an internal error occurred; it has been logged with this request id"),
    **{f"http.problem_{kind}": Message(zh, en) for kind, (zh, en) in _PROBLEMS.items()},
}
