"""Messages of the boundary work: markers (BM rules), inspection campaigns, field records, sign-off,
comparisons and reports."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    # markers (geo/boundaries/markers.py)
    "boundaries.requires": Message("{what}须记录 {fields}（BM-04）", "BM-04: {what} must record {fields}"),
    "boundaries.what_new": Message("新设界桩", "a new marker"),
    "boundaries.what_move": Message("移动界桩", "moving a marker"),
    "boundaries.what_decommission": Message("撤除界桩", "decommissioning"),
    "boundaries.off_line": Message("界桩位置距界线 {line} {gap} 米，超过 {limit} 米（检查坐标系）",
                                   "the position is {gap} m from line {line}, more than {limit} m; a marker "
                                   "stands on its line (check the CRS)"),
    "boundaries.seq_used_up": Message("界线 {line} 的界桩序号已用到 {limit}",
                                      "line {line} has used every marker sequence number up to {limit}"),
    "boundaries.marker_taken": Message("界桩编号 {number} 已存在", "marker {number} exists already"),
    "boundaries.unknown_line": Message("{field} 不是已登记的界线", "{field} must name a boundary line"),
    "boundaries.choice": Message("{field} 的取值 {value} 不在允许范围内，可选：{allowed}",
                                 "{field} must be one of {allowed}; got {value}"),
    "boundaries.type_code": Message("{kind}界桩的 {field} 须为 {allowed}",
                                    "a {kind} marker takes {field} {allowed}"),
    "boundaries.seq_range": Message("{field} 须在 1–{limit} 之间，收到 {value}",
                                    "{field} must be 1–{limit}; got {value}"),
    "boundaries.manager": Message("{field} 须为界线两侧之一的区划代码（{sides}），收到 {value}",
                                  "{field} must be the adcode of one side of the line ({sides}); got {value}"),
    "boundaries.busy": Message("界线 {line} 正在同时登记多个界桩，请重试",
                               "markers are being registered on line {line} at the same moment; try again"),
    "boundaries.marker_status": Message("界桩 {number} 状态为 {status}", "marker {number} is {status}"),
    # campaigns and field records (geo/boundaries/inspections.py)
    "boundaries.line_codes": Message("{field} 须为已登记的界线：{known}",
                                     "{field} must name boundary lines from {known}"),
    "boundaries.accuracy_range": Message("{field} 须在 0 到 50 米之间", "{field} must be between 0 and 50 metres"),
    "boundaries.end_before_start": Message("{field} 早于开始日期", "{field} comes before start_date"),
    "boundaries.photo_base64": Message("照片数据不是有效的 base64", "photo.data_base64 is not valid base64"),
    "boundaries.photo_empty": Message("照片为空", "the photo is empty"),
    "boundaries.photo_size": Message("照片 {size} 字节，超过上限 {limit} 字节",
                                     "the photo is {size} bytes; the limit is {limit}"),
    "boundaries.photo_kind": Message("照片须为 JPEG 或 PNG 图片（文件内容两者都不是）",
                                     "the photo must be a JPEG or PNG image (its content is neither)"),
    "boundaries.client_id": Message("{field} 须为 8–64 个字母、数字、- 或 _",
                                    "{field} must be 8 to 64 letters, digits, - or _"),
    "boundaries.client_id_reused": Message("此 {field} 已用于另一条记录",
                                           "this {field} was used for a different record"),
    "boundaries.campaign_closed": Message("{field} 须为进行中的联检任务", "{field} must name an open campaign"),
    "boundaries.no_marker": Message("没有界桩 {value}", "no boundary marker {value}"),
    "boundaries.marker_off_campaign": Message("界桩 {number} 不在本次联检的界线上",
                                              "marker {number} is not on this campaign's lines"),
    "boundaries.accuracy_value": Message("{field} 须为正数（米）", "{field} must be a positive number of metres"),
    "boundaries.accuracy_too_low": Message("定位精度为 {accuracy} 米，本次联检要求 {required} 米以内：请多次定位取平均",
                                           "the position is accurate to {accuracy} m; this campaign requires "
                                           "{required} m or better: average more fixes"),
    "boundaries.far_from_marker": Message(
        "位置距界桩 {number} {km} 千米：请检查坐标系（WGS84、CGCS2000 或 GCJ02）和界桩编号",
                                          "the position is {km} km from marker {number}: check the CRS (WGS84, "
                                          "CGCS2000 or GCJ02) and the marker number"),
    "boundaries.observed_at_form": Message("{field} 须为 ISO 日期时间", "{field} must be an ISO date-time"),
    "boundaries.observed_at_range": Message("{field} 不在本次联检期间（检查手机时间）",
                                            "{field} lies outside this campaign (before it opened or in the future): "
                                            "check the phone's clock"),
    "boundaries.signer": Message("签认人只能代表本方签认：{actor} 代表 {own}，不能代表 {party}",
                                 "a signer signs only for their own district; {actor} acts for {own}, not {party}"),
    "boundaries.unvisited": Message("尚有 {count} 个界桩未检查，不能签认（找不到的界桩记为 missing）",
                                    "{count} markers of this campaign have no record yet: record every marker "
                                    "(a marker not found is recorded as missing) before signing off"),
    "boundaries.party": Message("{field} 须为 {allowed} 之一", "{field} must be one of {allowed}"),
    "boundaries.signed_already": Message("{party} 已签认", "{party} has signed this campaign already"),
    # comparisons and reports (compare.py, report.py)
    "boundaries.their_crs": Message("对方版本须为 EPSG:4490，收到 {crs}",
                                    "their version must be in EPSG:4490; got {crs}"),
    "boundaries.no_unit": Message("数据库中没有区划 {adcode}", "no unit {adcode} in the database"),
    "boundaries.no_line_with": Message("没有与 {adcode} 之间的界线", "no boundary line with {adcode}"),
    "boundaries.no_polygon": Message("没有这些区划的面：{adcodes}", "no polygon for {adcodes}"),
}
