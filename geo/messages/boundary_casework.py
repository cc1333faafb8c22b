"""Messages of the boundary casework: repairs (BM-03), the five-year inspection cadence (BM-06),
dispute cases (BM-09) and their archived attachments (BM-07)."""

from __future__ import annotations

from geo.messages import Message

CASEWORK_FIELDS: dict[str, tuple[str, str]] = {
    "marker_id": ("界桩", "marker"),
    "repaired_on": ("修复日期", "date repaired"),
    "repairing_adcode": ("修复方", "repairing side"),
    "neighbour_adcode": ("相邻方", "neighbouring side"),
    "neighbour_present": ("相邻方到场", "neighbour present"),
    "our_representative": ("本方代表", "our representative"),
    "neighbour_representative": ("相邻方代表", "neighbour's representative"),
    "work": ("修复内容", "work done"),
    "reset": ("重新埋设", "re-set"),
    "inspection_id": ("报修记录", "repair request"),
    "photos": ("照片", "photos"),
    "agreement_doc": ("双方协议", "agreement document"),
    "survey_ref": ("联合测量", "joint survey"),
    "filed_with": ("备案机关", "filed with"),
    "new_position": ("新位置", "new position"),
    "marker_version": ("界桩版本", "marker version"),
    "title": ("标题", "title"),
    "assigned_to": ("承办机关", "assigned to"),
    "raised_by_adcode": ("提出方", "raised by"),
    "opened_on": ("立案日期", "date opened"),
    "resolved_on": ("结案日期", "date resolved"),
    "resolution": ("处理结果", "resolution"),
    "decision_doc": ("决定文书", "decision document"),
    "marker_nos": ("涉及界桩", "markers concerned"),
    "document": ("文件", "document"),
    "document_no": ("文号", "document number"),
    "issued_on": ("发文日期", "date issued"),
    "data_base64": ("文件内容", "file content"),
    "state": ("状态", "state"),
}

_STATES: dict[str, tuple[str, str]] = {
    "open": ("已立案", "open"), "assigned": ("已交办", "assigned"), "resolved": ("已结案", "resolved"),
    "withdrawn": ("已撤回", "withdrawn"),
}

MESSAGES = {
    **{f"boundary_casework.field.{name}": Message(zh, en) for name, (zh, en) in CASEWORK_FIELDS.items()},
    **{f"boundary_casework.state.{name}": Message(zh, en) for name, (zh, en) in _STATES.items()},
    # shared
    "boundary_casework.required": Message("缺少必填字段 {field}（{rule}）", "{field} is required ({rule})"),
    "boundary_casework.future": Message("{field} 不能晚于今天（{value}）", "{field} cannot be in the future ({value})"),
    "boundary_casework.acts_for": Message(
        "{actor} 代表 {own}，不能代表 {side} 办理（{rule}）",
        "{actor} acts for {own}, not for {side} ({rule})"),
    # attachments (BM-07)
    "boundary_casework.file_base64": Message("{field} 不是有效的 base64 数据", "{field} is not valid base64"),
    "boundary_casework.file_empty": Message("{field} 为空", "{field} is empty"),
    "boundary_casework.file_size": Message("{field} 有 {size} 字节，超过上限 {limit} 字节",
                                           "{field} is {size} bytes; the limit is {limit}"),
    "boundary_casework.file_kind": Message("{field} 须为 PDF、JPEG 或 PNG 文件（按文件内容判断，两者都不是）",
                                           "{field} must be a PDF, JPEG or PNG file (judged by its content)"),
    "boundary_casework.photo_kind": Message("{field} 须为 JPEG 或 PNG 图片（按文件内容判断）",
                                            "{field} must be a JPEG or PNG image (judged by its content)"),
    "boundary_casework.image_broken": Message(
        "{field} 不是可读取的 JPEG 或 PNG 图片（文件头正确，但图像无法解码：{problem}）",
        "{field} is not a readable JPEG or PNG image (its signature is right but the image does not decode: "
        "{problem})"),
    "boundary_casework.too_many_files": Message("{field} 最多 {limit} 个，收到 {count} 个",
                                                "{field} takes at most {limit} files; got {count}"),
    # repairs (BM-03)
    "boundary_casework.marker_not_repairable": Message(
        "界桩 {number} 状态为 {status}，不能登记修复", "marker {number} is {status}: no repair can be recorded"),
    "boundary_casework.no_manager": Message(
        "界桩 {number} 未登记管理方，无法确定修复方（BM-03）",
        "BM-03: marker {number} has no managing side registered, so no side can repair it"),
    "boundary_casework.repairing_side": Message(
        "{field} 须为界桩的管理方 {manager}（BM-03：由管理方修复），收到 {value}",
        "BM-03: {field} must be the marker's managing side {manager} (the side that manages it repairs it); "
        "got {value}"),
    "boundary_casework.neighbour_side": Message(
        "{field} 须为界线另一侧 {expected}，收到 {value}（BM-03）",
        "BM-03: {field} must be the other side of the line, {expected}; got {value}"),
    "boundary_casework.neighbour_absent": Message(
        "修复界桩须有相邻方在场（BM-03）；相邻方不在场修复界桩的，依法追究责任（BM-10）：{field} 须为 true",
        "BM-03: a marker is repaired with the neighbouring side present; repairing without them is sanctioned "
        "(BM-10): {field} must be true"),
    "boundary_casework.before_installed": Message(
        "{field}（{value}）早于界桩埋设日期 {installed}", "{field} ({value}) comes before the marker was installed "
        "({installed})"),
    "boundary_casework.before_request": Message(
        "{field}（{value}）早于报修日期 {requested}", "{field} ({value}) comes before the repair was requested "
        "({requested})"),
    "boundary_casework.photos_required": Message(
        "修复记录须附至少一张照片（{field}）", "a repair record needs at least one photo ({field})"),
    "boundary_casework.not_a_request": Message(
        "{field} {value} 不是本界桩的报修记录（action 须为 repair_requested）",
        "{field} {value} is not a repair request of this marker (its action must be repair_requested)"),
    "boundary_casework.request_done": Message(
        "报修记录 {value} 已由修复记录 {repair} 办结", "repair request {value} was closed by repair {repair} already"),
    "boundary_casework.reset_records": Message(
        "重新埋设界桩须经双方同意、联合测量并备案（BM-04），缺少 {fields}",
        "BM-04: re-setting a marker needs both sides' agreement, a joint survey and filing; missing {fields}"),
    "boundary_casework.too_early": Message(
        "{field}（{value}）早于 {earliest}：不是可能的界桩修复日期（BM-03）",
        "BM-03: {field} ({value}) is before {earliest}: not a possible date for a marker repair"),
    "boundary_casework.reset_far": Message(
        "{field} 距界桩原登记位置 {distance} 米，超过修复时重新埋设的上限 {limit} 米（BM-03）；"
        "移动界桩须按 BM-04 办理迁移，不作为修复登记",
        "BM-03: {field} is {distance} m from the marker's registered position, more than the {limit} m a re-set "
        "during a repair may move it; moving a marker farther is a BM-04 move, not a repair"),
    "boundary_casework.reset_only": Message(
        "{field} 只用于重新埋设（reset=true）", "{field} is only for a re-set (reset=true)"),
    # cadence (BM-06)
    "boundary_casework.never": Message("从未联检", "never jointly inspected"),
    "boundary_casework.days_overdue": Message("逾期 {days} 天", "{days} days overdue"),
    "boundary_casework.due_today": Message("今天到期", "due today"),
    "boundary_casework.due_in": Message("距到期 {days} 天", "due in {days} days"),
    "boundary_casework.unknown_line": Message(
        "{field} {value} 不是已登记的界线（已登记：{known}）", "{field} {value} is not a registered boundary line "
        "(registered: {known})"),
    # disputes (BM-09)
    "boundary_casework.dispute_area": Message(
        "{field} 面积 {area} 平方米，超过上限 {limit} 平方米（检查坐标系）",
        "{field} covers {area} m², more than {limit} m² (check the CRS)"),
    "boundary_casework.dispute_far": Message(
        "{field} 距界线 {line} {gap} 米，超过 {limit} 米：争议区域须在界线附近",
        "{field} is {gap} m from line {line}, more than {limit} m: a disputed area lies along its line"),
    "boundary_casework.marker_not_on_line": Message(
        "{field} 中的界桩 {value} 不在界线 {line} 上", "marker {value} in {field} is not on line {line}"),
    "boundary_casework.side_of_line": Message(
        "{field} 须为界线两侧之一（{sides}），收到 {value}",
        "{field} must be one side of the line ({sides}); got {value}"),
    "boundary_casework.not_a_side": Message(
        "{actor} 代表 {own}，不是界线 {line} 的任何一方（BM-09）",
        "BM-09: {actor} acts for {own}, neither side of line {line}"),
    "boundary_casework.move": Message(
        "争议案件 {case} 状态为 {state}，不能{action}（允许：{allowed}）",
        "dispute {case} is {state}: it cannot be {action} (allowed from here: {allowed})"),
    "boundary_casework.action_assigned": Message("交办", "assigned"),
    "boundary_casework.action_resolved": Message("结案", "resolved"),
    "boundary_casework.action_withdrawn": Message("撤回", "withdrawn"),
    "boundary_casework.action_documented": Message("添加文件", "given documents"),
    "boundary_casework.decision_needed": Message(
        "结案须记录批准机关的处理决定（BM-09：系统只记录，不裁决）：缺少 {field}",
        "BM-09: a dispute is resolved by the approving authority's decision, which the system records and never "
        "makes: {field} is missing"),
    "boundary_casework.decision_file_needed": Message(
        "结案须附批准机关的处理决定文书 {number}（BM-09、BM-07）：请随结案请求提交 {field}，"
        "或先以该文号添加文件",
        "BM-09/BM-07: resolving a dispute needs the approving authority's decision document {number} on file: "
        "send it as {field} with the request, or add it to the case first under that number"),
    "boundary_casework.before_opened": Message("{field}（{value}）早于立案日期 {opened}",
                                               "{field} ({value}) comes before the case was opened ({opened})"),
    "boundary_casework.case_no_busy": Message("争议案件正在同时立案，请重试",
                                              "disputes are being opened at the same moment; try again"),
    "boundary_casework.not_attachment_of": Message("没有这个附件", "no such attachment"),
}
