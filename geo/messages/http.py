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
    "greater_than": ("过小", "is too small"), "greater_than_equal": ("过小", "is too small"),
    "less_than": ("过大", "is too large"), "less_than_equal": ("过大", "is too large"),
    "literal_error": ("的取值不在允许范围内", "is not an allowed value"),
    "enum": ("的取值不在允许范围内", "is not an allowed value"),
    "extra_forbidden": ("是不接受的字段", "is not accepted"),
    "string_pattern_mismatch": ("格式不对", "has the wrong form"),
    "value_error": ("的值无效", "is invalid"),
}

MESSAGES = {
    "http.invalid_json": Message("请求体不是有效的 JSON（{detail}）", "the body is not valid JSON ({detail})"),
    "http.missing": Message("缺少必填字段 {field}", "{field} is required"),
    # ``problem`` is a predicate ("须为整数", "的取值不在允许范围内"): it follows the field directly
    "http.invalid": Message("{field} {problem}", "{field}: {problem}"),
    "http.problem_other": Message("的值无效", "is invalid"),
    # bounds with their number (api/errors.py fills ``limit`` from pydantic's ``ctx``: gt, ge, lt, le)
    "http.bound_greater_than": Message("须大于 {limit}", "must be greater than {limit}"),
    "http.bound_greater_than_equal": Message("不得小于 {limit}", "must not be less than {limit}"),
    "http.bound_less_than": Message("须小于 {limit}", "must be less than {limit}"),
    "http.bound_less_than_equal": Message("不得大于 {limit}", "must not be greater than {limit}"),
    # the request body itself, when a problem names no field of it
    "http.max_chars": Message("过长（最多 {limit} 个字）", "is too long (at most {limit} characters)"),
    "http.max_items": Message("条目过多（最多 {limit} 项，收到 {actual} 项）", "has too many items (at most {limit}, "
                              "got {actual})"),
    "http.request": Message("请求内容", "the request body"),
    "http.choice": Message("{field} 的取值不在允许范围内，可选：{allowed}", "{field} must be one of {allowed}"),
    "http.bad_request": Message("请求有误：{detail}", "bad request: {detail}"),
    "http.not_found": Message("不存在：{detail}", "not found: {detail}"),
    # the framework's own "Not Found" / "Method Not Allowed" (no route): said for the address and the method
    "http.no_route": Message("没有这个地址：{path}", "no such address: {path}"),
    "http.no_method": Message("此地址不接受 {method} 请求", "this address does not take {method} requests"),
    "http.method_not_allowed": Message("不允许的请求方法：{detail}", "method not allowed: {detail}"),
    "http.unsupported_media_type": Message("不支持的类型：{detail}", "unsupported media type: {detail}"),
    "http.out_of_range_db": Message("数值超出范围", "a value in the request is out of range for the database"),
    "http.internal": Message("服务器内部错误，已记录", "an internal error occurred; it has been logged"),
    "http.internal_page": Message("服务器内部错误，已记录；如需报告，请告知请求编号 {request_id}",
                                  "an internal error occurred; it has been logged under request id {request_id}"),
    "http.internal_page_form": Message(
        "服务器内部错误，已记录（请求编号 {request_id}）。按浏览器的“后退”可回到表单，所填内容通常仍在；"
        "请先核对是否已保存，再重新提交",
        "an internal error occurred; it has been logged under request id {request_id}. The browser's Back button "
        "returns to the form, where what you typed is usually kept; check whether it was saved before sending "
        "it again"),
    "http.form_field_size": Message("表单中有一项内容过长（每项最多 {limit} KB）：请缩短后再提交，照片请用上传文件",
                                    "a form field is too long (at most {limit} KB each): shorten it and send the "
                                    "form again; send photos as uploaded files"),
    "http.form_fields": Message("表单项目过多（最多 {limit} 项）", "the form has too many fields (at most {limit})"),
    "http.form_files": Message("上传文件过多（最多 {limit} 个）", "too many files uploaded (at most {limit})"),
    "http.out_of_range_named": Message("{field} 的数值超出数据库可存的范围：请检查编号",
                                       "{field} is beyond what the database can hold: check the number"),
    "http.unavailable_page": Message(
        "数据库暂时无法连接或正忙，请约 {wait_s} 秒后刷新重试；如持续出现，请告知请求编号 {request_id}",
        "the database cannot be reached or is busy right now; reload in about {wait_s} s. If this goes on, "
        "quote request id {request_id}"),
    "http.unavailable_page_form": Message(
        "数据库暂时无法连接或正忙，本次提交可能未能保存（请求编号 {request_id}）。按浏览器的“后退”可回到表单，所填内容"
        "通常仍在；请约 {wait_s} 秒后先核对是否已保存，再重新提交",
        "the database cannot be reached or is busy right now, and this form may not have been saved (request id "
        "{request_id}). The browser's Back button returns to the form, where what you typed is usually kept; in "
        "about {wait_s} s check whether it was saved before sending it again"),
    "http.unavailable_page_again": Message(
        "数据库暂时无法连接或正忙，未能完成（请求编号 {request_id}）：请约 {wait_s} 秒后返回上一页重新提交",
        "the database cannot be reached or is busy right now, so this could not be done (request id {request_id}): "
        "go back and send it again in about {wait_s} s"),
    "http.unavailable_logged": Message("数据库暂时无法连接或正忙，请约 {wait_s} 秒后重试；已按此请求编号记录",
                                       "the database cannot be reached or is busy right now; try again in about "
                                       "{wait_s} s. It has been logged with this request id"),
    # the database refuses writes (SQLITE_READONLY, PostgreSQL 25006): waiting does not help, an administrator does
    "http.read_only_page": Message(
        "数据库当前只读（维护中、备用库或只读存储），无法保存任何更改；请告知管理员，并告知请求编号 {request_id}",
        "the database is read-only right now (maintenance, a standby or read-only storage) and cannot save any "
        "change; tell the administrator, quoting request id {request_id}"),
    "http.read_only_page_form": Message(
        "数据库当前只读（维护中、备用库或只读存储），本次提交未保存（请求编号 {request_id}）。按浏览器的“后退”可回到"
        "表单，所填内容通常仍在；请告知管理员，数据库恢复可写后再提交",
        "the database is read-only right now (maintenance, a standby or read-only storage), so this form was not "
        "saved (request id {request_id}). The browser's Back button returns to the form, where what you typed is "
        "usually kept; tell the administrator, and send it again once the database can be written"),
    "http.read_only_page_again": Message(
        "数据库当前只读（维护中、备用库或只读存储），未能完成（请求编号 {request_id}）；请告知管理员",
        "the database is read-only right now (maintenance, a standby or read-only storage), so this could not be "
        "done (request id {request_id}); tell the administrator"),
    "http.read_only_logged": Message("数据库当前只读，无法保存更改；请告知管理员，已按此请求编号记录",
                                     "the database is read-only and cannot save changes; tell the administrator. It "
                                     "has been logged with this request id"),
    "http.internal_logged": Message("服务器内部错误，已按此请求编号记录",
                                    "an internal error occurred; it has been logged with this request id"),
    **{f"http.problem_{kind}": Message(zh, en) for kind, (zh, en) in _PROBLEMS.items()},
}

# refusals of the API routers themselves (a field is named by geo.messages.label)
MESSAGES.update({
    "http.name_not_public": Message("地名 {id} 尚未公开", "place name {id} is not public"),
    "http.comma_numbers": Message("{field} 须为逗号分隔的数字", "{field} must be comma-separated numbers"),
    "http.announce_not_approved": Message("只能公告已批准的地名；未批准：{ids}",
                                          "only approved names can be announced; not approved: {ids}"),
    "http.announce_none": Message("{field} 未给出要公告的地名", "{field}: no names given to announce"),
    "http.layer_officers_only": Message("图层 {layer} 仅供管理人员查看：请先登录",
                                        "layer {layer} is for officers only: log in first"),
    "http.page_too_large": Message("{field} 为 {limit}，超过单页上限 {largest}（请用 offset 分页）",
                                   "{field} is {limit}; the largest page is {largest} (page with offset)"),
    "http.no_public_record": Message("{layer} 没有公开的记录 {id}", "{layer} has no public record {id}"),
    "http.export_needs_login": Message("导出 {layer} 须先登录；公开数据请用 /features 读取",
                                       "exporting {layer} needs a login; public reads go through /features"),
    "http.shapefile_by_cli": Message("导出 Shapefile 请用命令行（xincheng export）；通过 HTTP 请选 gpkg",
                                     "Shapefile export is offered by the CLI (xincheng export); use gpkg over HTTP"),
    "http.lon_lat": Message("{field} 须为 [经度, 纬度]", "{field} must be [lon, lat]"),
    "http.each_lon_lat": Message("{field} 的每个点须为 [经度, 纬度]", "each point of {field} must be [lon, lat]"),
    "http.metrics_forbidden": Message("运行指标仅供本机的采集程序或系统管理员查看",
                                      "metrics are served to the local scraper or an admin"),
    "http.body_too_large": Message("请求内容有 {size} 字节，超过此处上限 {limit} 字节，未保存任何内容",
                                   "the request body is {size} bytes; the limit here is {limit} bytes"),
    "http.too_many_imports": Message("服务器同时最多处理 {limit} 个导入，现已占满，请 {seconds} 秒后重试，"
                                     "未保存任何内容",
                                     "the server runs at most {limit} import(s) at once and all are taken; try "
                                     "again in {seconds} seconds (nothing was stored)"),
    "http.too_many_imports_page": Message("服务器同时最多处理 {limit} 个导入，现已占满，请 {seconds} 秒后重新选择"
                                          "文件再导入，未保存任何内容",
                                          "the server runs at most {limit} import(s) at once and all are taken; "
                                          "choose the file again in {seconds} seconds (nothing was stored)"),
    "http.upload_stalled": Message("上传中断：{seconds} 秒内未收到数据，未保存任何内容，请重新上传",
                                   "the upload stalled: nothing arrived for {seconds} s; nothing was stored, "
                                   "send it again"),
    "http.upload_too_slow": Message(
        "上传过慢：{seconds} 秒内只收到 {received} 字节（每秒至少需 {rate} 字节），未保存任何内容，"
        "请在网络较好时重新上传",
        "the upload is too slow: {received} bytes in {seconds} s (at least {rate} bytes a second are needed); "
        "nothing was stored, send it again where the network is better"),
    "http.upload_too_long": Message(
        "上传用时超过上限 {limit} 秒（已收到 {received} 字节），未保存任何内容；"
        "请在网络较好时重新上传，或分成几个较小的文件",
        "the upload took longer than the limit of {limit} s ({received} bytes had arrived); nothing was stored: send "
        "it again where the network is better, or as several smaller files"),
    "http.import_running_for_you_page": Message(
        "您已有一个导入正在进行（或上次的上传中断了，服务器最多再等它 {stall} 秒）：请约 {seconds} 秒后重新选择文件"
        "再导入，本次未导入任何内容",
        "an import of yours is already running (or your last upload was cut off, and the server waits for it up to "
        "{stall} s): choose the file again in about {seconds} s; nothing was imported this time"),
    "http.import_running_for_you": Message(
        "您已有一个导入正在进行（或上次的上传中断了，服务器最多再等它 {stall} 秒）：请等它完成后再导入下一个文件"
        "（约 {seconds} 秒后再试）",
        "an import of yours is already running (or your last upload was cut off, and the server waits for it up to "
        "{stall} s): wait for it to finish before importing the next file (try again in about {seconds} s)"),
    "http.body_too_large_unknown": Message("请求内容超过此处上限 {limit} 字节，未保存任何内容",
                                           "the request body is too large; the limit here is {limit} bytes"),
})
