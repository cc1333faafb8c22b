"""Messages of the standard addresses below the door plate (楼、单元、室; rules AD-01..AD-07, geo.addresses)."""

from __future__ import annotations

from geo.messages import Message

# Field names of this part (geo/messages/field_names.py is shared; these are used through
# geo.addresses.rules.field_label, which falls back to them).
FIELDS = {
    "building": ("楼号", "building"), "unit": ("单元号", "unit"), "room": ("室号", "room"),
    "floor": ("楼层", "floor"), "address_uid": ("地址编号", "address id"), "parent_uid": ("上级地址", "parent address"),
    "plate_uid": ("门牌编号", "plate id"), "level": ("地址层级", "address level"), "reason": ("理由", "reason"),
    "with_children": ("连同下级", "with children"), "file": ("文件", "file"),
}
LEVELS = {"plate": ("门牌", "door plate"), "building": ("楼", "building"), "unit": ("单元", "unit"),
          "room": ("室", "room")}

MESSAGES = {
    "addresses.label_empty": Message("AD-01：{field} 不能为空", "AD-01: {field} must not be empty"),
    "addresses.label_too_long": Message("AD-01：{field} 过长（{length} 字，上限 {limit} 字）：{value}",
                                        "AD-01: {field} is {length} characters long, at most {limit}: {value}"),
    "addresses.label_chars": Message(
        "AD-01：{field} {value} 含不允许的字符 {char}：只可用汉字、字母、数字和 - · # ( )",
        "AD-01: {field} {value} holds {char}; use only Chinese characters, letters, digits and - · # ( )"),
    "addresses.label_gb18030": Message("AD-01：{field} {value} 含 GB 18030 无法表示的字符",
                                       "AD-01: {field} {value} holds a character GB 18030 cannot write"),
    "addresses.label_no_number": Message(
        "AD-01：{field} {value} 没有编号：须写明{level}的编号（从 1 起的整数，如 {example}）或名称",
        "AD-01: {field} {value} has no number: give the {level}'s number (a whole number from 1, such as "
        "{example}) or its name"),
    "addresses.label_not_positive": Message(
        "AD-01：{field} {value} 的编号须为从 1 起的整数，不能为 0 或负数",
        "AD-01: the number in {field} {value} must be a whole number from 1, not 0 or negative"),
    "addresses.label_other_level": Message(
        "AD-01：{field} {value} 含有另一级地址（{word}）：楼、单元、室须各自填写在本级",
        "AD-01: {field} {value} holds another level ({word}); give the building, unit and room each in its own "
        "field"),
    "addresses.duplicate": Message(
        "AD-02：{parent} 下已有{level} {existing}（{other}），{value} 与之视为同一，同一上级下不得重复",
        "AD-02: {parent} already has the {level} {existing} ({other}), which {value} reads as; siblings must differ"),
    "addresses.duplicate_in_file": Message("AD-02：{level} {value} 在本文件第 {other} 行已出现",
                                           "AD-02: the {level} {value} is already in row {other} of this file"),
    "addresses.floor_mismatch": Message(
        "AD-03：{field} {floor} 与室号 {room} 不符：按“101、102…、201…”编号，{room} 在 {expected} 层",
        "AD-03: {field} {floor} does not match room {room}: numbered 101, 102…, 201…, {room} is on floor "
        "{expected}"),
    "addresses.floor_needed": Message(
        "AD-03：室号 {room} 不是“层号+两位序号”（如 302），须填写 {field}",
        "AD-03: room {room} is not floor + two digits (such as 302), so {field} must be given"),
    "addresses.floor_range": Message("AD-03：{field} 须为 {low} 到 {high} 之间的整数（0 不用），收到 {value}",
                                     "AD-03: {field} must be a whole number from {low} to {high} (not 0); got {value}"),
    "addresses.no_parent": Message("AD-04：没有地址 {value}（{field}）", "AD-04: no address {value} ({field})"),
    "addresses.parent_level": Message("AD-04：{level} 的上级须为 {allowed}，{value} 是 {got}",
                                      "AD-04: a {level}'s parent must be a {allowed}; {value} is a {got}"),
    "addresses.parent_retired": Message("AD-04：上级地址 {value} 已注销，不能在其下新增",
                                        "AD-04: the parent address {value} is retired; nothing can be added below it"),
    "addresses.other_district": Message("AD-04：{what} {value} 不属于本区（{adcode}）",
                                        "AD-04: {what} {value} is not in this district ({adcode})"),
    "addresses.no_plate": Message("AD-05：没有门牌 {value}（{field}）", "AD-05: no door plate {value} ({field})"),
    "addresses.plate_not_active": Message("AD-05：门牌 {value} 状态为 {status}，只能在使用中的门牌下新增地址",
                                          "AD-05: plate {value} is {status}; addresses go only below active plates"),
    "addresses.room_beside_units": Message(
        "AD-04：楼 {value} 已分单元，室须加在单元下", "AD-04: building {value} has units, so rooms go below a unit"),
    "addresses.unit_beside_rooms": Message(
        "AD-04：楼 {value} 已有直属的室，不能再加单元（先注销这些室）",
        "AD-04: building {value} has rooms directly below it, so it cannot get units (retire those rooms first)"),
    "addresses.active_children": Message(
        "AD-06：地址 {value} 下还有 {count} 个使用中的下级地址：先注销它们，或选择“连同下级”（{field}）一并注销",
        "AD-06: address {value} still has {count} active addresses below it; retire them first, or set {field} to "
        "retire them with it"),
    "addresses.already_retired": Message("地址 {value} 已注销，注销的地址保留编号、不再使用",
                                         "address {value} is retired already; a retired address keeps its id for good"),
    "addresses.retired_edit": Message("地址 {value} 已注销，不能修改",
                                      "address {value} is retired and cannot be edited"),
    "addresses.reason_needed": Message("注销须说明理由（{field}）", "retiring needs a reason ({field})"),
    "addresses.document_ref_misplaced": Message(
        "{field} 须写在请求体的顶层（与 version、reason 并列），不能写在 {where}：未注销任何地址",
        "{field} is required at the top level of the request body (beside version and reason), not in {where}; "
        "nothing was retired"),
    "addresses.document_ref_not_text": Message("{field} 须为文字（文件编号），收到 {value}",
                                               "{field} must be text (the document number); got {value}"),
    "addresses.retired_print": Message(
        "地址 {value} 已废止（{date} 注销），不能打印{plate}{why}",
        "address {value} was retired on {date}, so its {plate} cannot be printed{why}"),
    "addresses.retired_print_decision": Message("；注销依据：{decision}", "; retired by: {decision}"),
    "addresses.retired_print_successor": Message("；现用地址为 {successor}，请打印其牌",
                                                 "; the address in use now is {successor}: print its plate"),
    "addresses.former_street": Message(
        "{old} 是街路巷的曾用名，现名 {new}：已按现名一并查找，地址中显示现名",
        "{old} is a former street name, now {new}: addresses are found by the current name as well and shown "
        "with it"),
    "addresses.stale": Message("地址 {value} 已被他人修改（当前版本 {current}，您的版本 {given}），请重新打开后再改",
                               "address {value} was changed meanwhile (now version {current}, yours {given}); "
                               "reload it and edit again"),
    "addresses.nothing_to_edit": Message("没有可修改的字段：可改 {fields}", "nothing to change: editable are {fields}"),
    "addresses.not_editable": Message("{field} 不能在此修改：可改 {fields}",
                                      "{field} cannot be changed here; editable are {fields}"),
    "addresses.bad_level": Message("{field} 的取值 {value} 不在允许范围内，可选：{allowed}",
                                   "{field} must be one of {allowed}; got {value}"),
    "addresses.no_address": Message("没有地址 {value}", "no address {value}"),
    "addresses.unknown_code": Message("无法识别的地址二维码", "this is not a code of a Xincheng address"),
    "addresses.import_refused": Message(
        "导入未完成，未存储任何记录（整表导入，与其他导入一致）：{count} 行被拒：{rows}",
        "nothing was imported (a file is stored whole, like every import): {count} rows refused: {rows}"),
    "addresses.import_empty": Message("文件没有数据行（{field}）", "the file has no data rows ({field})"),
    "addresses.import_same_field": Message(
        "列 {first} 和 {second}（{letters} 列）都表示 {field}：请删除或改名其一，未导入任何内容",
        "columns {first} and {second} ({letters}) both mean {field}: remove or rename one; nothing was imported"),
    "addresses.import_columns": Message("文件缺少列 {columns}{header}；可用表头：{accepted}",
                                        "the file lacks the columns {columns}{header}; accepted headers: {accepted}"),
    "addresses.import_too_big": Message("文件解压后超过 {limit} MB，拒绝读取（可能是压缩炸弹）",
                                        "the file unpacks to more than {limit} MB; refused (a zip bomb?)"),
    "addresses.import_too_many": Message("文件行数 {count} 超过上限 {limit}，请分批导入",
                                         "the file has {count} rows, more than {limit}; import it in parts"),
    "addresses.import_row_empty": Message("须至少填写 {field}", "{field} is required"),
    "addresses.import_unit_without_building": Message("填写了单元或室但没有楼号（{field}）",
                                                      "a unit or room is given without a building ({field})"),
    "addresses.import_not_xlsx": Message("{field} 须为 .xlsx 电子表格（或 UTF-8/GB 18030 的 CSV）",
                                         "{field} must be an .xlsx spreadsheet (or a UTF-8/GB 18030 CSV)"),
    "addresses.not_printable": Message("{level} 没有可印的牌（只印楼牌和单元牌）：{value}",
                                       "a {level} has no plate to print (buildings and units only): {value}"),
    "addresses.sg01": Message("SG-01：{street} 没有蒙古文名称，生产用牌须先登记蒙古文"
                              "（或印校样：命令加 --proof，地址加 ?proof=1）",
                              "SG-01: {street} has no Mongolian-script name; record it before printing for "
                              "production (or print a proof: --proof on the command, ?proof=1 on the address)"),
    "addresses.imported": Message("已导入 {count} 个地址（楼 {buildings}、单元 {units}、室 {rooms}）",
                                  "imported {count} addresses ({buildings} buildings, {units} units, {rooms} rooms)"),
}
