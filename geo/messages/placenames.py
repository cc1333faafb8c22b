"""Messages of the gazetteer: the PN rules' findings, the lifecycle steps, renames, romanization.

A finding's ``{rule}`` is a :class:`geo.messages.Term` made by :func:`geo.placenames.rules.rule_term`:
the rule's Chinese title with its ID in Chinese (``必填项缺失或不一致（PN-00）``), the ID alone in English.
"""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    # findings of the PN rules (geo/placenames/rules.py)
    "placenames.required": Message("{rule}：缺少 {field}", "{rule}: {field} is required"),
    "placenames.parts_mismatch": Message("{rule}：专名 {specific} 加通名 {generic} 须等于标准名称 {name}",
                                         "{rule}: specific {specific} + generic {generic} must equal {name}"),
    "placenames.generic_alone": Message("{rule}：只有通名不能成为地名", "{rule}: a generic on its own is not a name"),
    "placenames.gb18030": Message("{rule}：{field} 含 GB 18030 无法编码的字符",
                                  "{rule}: {field} has a character GB 18030 cannot encode"),
    "placenames.mongolian_in_name": Message("{rule}：蒙古文应填在 蒙古文名称 name_mong，不能写进 {field}",
                                            "{rule}: Mongolian script belongs in name_mong, not in {field}"),
    "placenames.letters": Message("{rule}：{field} 须用规范汉字，不含字母",
                                  "{rule}: {field} is written in standard Chinese characters, without letters"),
    "placenames.rare_characters": Message("{rule}：{field} 含生僻字 {chars}（基本集之外），尽量避免",
                                          "{rule}: {field} has rare characters {chars} (outside the basic set): "
                                          "avoid them where possible"),
    "placenames.name_too_long": Message("{rule}：{field} 过长（{count} 个字，最多 {limit} 个字）",
                                        "{rule}: {field} is too long ({count} characters; at most {limit})"),
    "placenames.mongolian_too_long": Message("{rule}：{field} 过长（{count} 个字符，最多 {limit} 个）",
                                             "{rule}: {field} is too long ({count} characters, at most {limit})"),
    "placenames.not_mongolian_script": Message("{rule}：{field} 须用蒙古文书写",
                                               "{rule}: {field} must be written in Mongolian script"),
    "placenames.bad_feature_class": Message("{rule}：{field} 的取值 {value} 无效，可选：{allowed}",
                                            "{rule}: {field} must be one of {allowed}; got {value}"),
    "placenames.bad_generic": Message("{rule}：通名 {generic} 不适用于 {feature_class}，可用：{allowed}",
                                      "{rule}: the generic {generic} does not fit a {feature_class}; "
                                      "use one of {allowed}"),
    "placenames.prohibited_word": Message("{rule}：标准名称含{what} {word}", "{rule}: {word} is {what}"),
    "placenames.operator_name": Message("{rule}：标准名称含运营方名称 {operator}",
                                        "{rule}: the name contains the operator's name {operator}"),
    "placenames.duplicate": Message("{rule}：{name} 已存在（记录 {id}）", "{rule}: {name} exists already (id {id})"),
    "placenames.duplicate_in_city": Message(
        "{rule}：{name} 已在区县 {district} 使用（记录 {id}）：街路巷、居民区和建筑物名称在全市建成区内不得重名",
        "{rule}: {name} is in use in district {district} (id {id}); streets, residential areas and buildings "
        "share one name space across the city's built-up area"),
    "placenames.homophone_in_city": Message(
        "{rule}：{name} 与区县 {district} 的 {other}（记录 {id}）同音，须说明理由",
        "{rule}: {name} sounds like {other} of district {district} (id {id}); record a justification"),
    "placenames.homophone": Message("{rule}：{name} 与 {other}（记录 {id}）同音，须说明理由",
                                    "{rule}: {name} sounds like {other} (id {id}); record a justification"),
    "placenames.admin_code_digits": Message("{rule}：{field} 须为 12 位数字，收到 {value}",
                                            "{rule}: {field} must be 12 digits; got {value}"),
    "placenames.admin_code_district": Message("{rule}：{field} {value} 不在本区 {district} 内",
                                              "{rule}: {field} {value} is not in district {district}"),
    "placenames.mongolian_pending": Message("{rule}：蒙古文名称待定", "{rule}: the Mongolian-script name is pending"),
    "placenames.mongolian_required": Message("{rule}：内蒙古的地名须有 {field}（或标记为待定）",
                                             "{rule}: a Mongolian-script name ({field}) is required in Inner "
                                             "Mongolia (or mark it pending)"),
    "placenames.late": Message("{rule}：{field} 在批准后 {days} 天（期限 {limit} 天）",
                               "{rule}: {field} came {days} days after approval (limit {limit})"),
    "placenames.future_date": Message("{rule}：{field} {date} 晚于今天", "{rule}: {field} {date} lies in the future"),
    "placenames.announced_before_filed": Message(
        "{rule}：{field} {date} 早于备案时间 {filed}", "{rule}: {field} {date} comes before the filing date {filed}"),
    "placenames.before_approval": Message("{rule}：{field} {date} 早于批准时间 {approved}",
                                          "{rule}: {field} {date} comes before the approval date {approved}"),
    "placenames.justify": Message("须说明理由（理由 justification）：{findings}",
                                  "record a justification for: {findings}"),
    # the lifecycle (geo/placenames/lifecycle.py)
    "placenames.field_not_proposable": Message("申报地名不接受字段 {field}（状态、保护等由各自的步骤决定）",
                                               "place names take no field {field} here (status, protection "
                                               "and the like are set by their own steps)"),
    "placenames.field_not_editable": Message("地名没有可修改的字段 {field}",
                                             "place names have no editable field {field}"),
    "placenames.stale": Message("记录已被他人修改（地名 {id} 当前版本 {current}，表单版本 {given}），请重新打开后再改",
                                "place name {id} is at version {current}, not {given}: reload it and apply "
                                "your change again"),
    "placenames.rename_instead": Message("地名状态为 {status}，不能直接修改名称，请走更名流程",
                                         "the name is {status}: rename it instead of editing it"),
    "placenames.leave_mongolian": Message(
        "将蒙古语来源改为其他来源须说明理由（RM-13，否则可绕过拼写确认）",
        "RM-13: changing the language of origin away from Mongolian needs a justification "
        "(it would skip the RM-13 confirmation)"),
    "placenames.bad_target": Message("{field} 的取值 {value} 无效，可选：{allowed}",
                                     "{field} must be one of {allowed}; got {value}"),
    "placenames.out_of_step": Message("{field} 只能在其所属步骤（批准、备案或公告）记录，不能在转到 {to} 时记录",
                                      "{field} is recorded by its own step (approved, filed or announced), "
                                      "not by the step to {to}"),
    "placenames.bad_step": Message("状态为 {status} 的地名只能转到 {allowed}，不能转到 {to}",
                                   "a name that is {status} can go to {allowed}, not {to}"),
    "placenames.step_requires": Message("转到 {to} 须记录 {fields}", "the step to {to} must record {fields}"),
    "placenames.approved_before_proposed": Message("{field} 早于申报日期 {date}",
                                                   "{field} comes before the name was proposed ({date})"),
    "placenames.confirm_romanization_first": Message(
        "蒙古语来源地名的拼写须先由地名管理员确认（POST /api/placenames/{id}/romanization/confirm）"
        "或附理由改写，才能批准（RM-13）",
        "RM-13: a name of Mongolian origin needs its romanization confirmed (POST /api/placenames/{id}/"
        "romanization/confirm) or overridden with a reason before approval"),
    "placenames.rename_requires": Message("更名须记录批准信息：{fields}",
                                          "a rename must record its approval: {fields}"),
    "placenames.unit_rename_by_division": Message(
        "{name} 是区划单位 {unit}（{code}）的名称：社区、村、街道更名须经区划更名决定（POST /api/divisions/rename），"
        "同时改其门牌、标准地址并保留曾用名",
        "{name} is the name of the unit {unit} ({code}): a community, village or sub-district is renamed by a "
        "division decision (POST /api/divisions/rename), which readdresses its plates and keeps the former name"),
    "placenames.unit_retire_by_division": Message(
        "{name} 是在用区划单位 {unit}（{code}）的名称：须经区划调整（撤销合并 POST /api/divisions/merge 或拆分 "
        "/api/divisions/split）撤销该单位，其名称随之废止",
        "{name} is the name of the unit in force {unit} ({code}): abolish the unit by a division change "
        "(POST /api/divisions/merge or /split) and its name is retired with it"),
    "placenames.unit_name_detached": Message(
        "此地名是区划单位 {unit}（{code}）的名称，不能改其类别或区划代码；区划调整经 /api/divisions 办理",
        "this is the name of the unit {unit} ({code}): its class and code cannot be changed; division changes "
        "go through /api/divisions"),
    "placenames.unit_has_its_name": Message(
        "区划单位 {unit}（{code}）已有名称，不能另以 {name} 登记；更名须经区划更名决定（POST /api/divisions/rename）",
        "the unit {unit} ({code}) has its name: {name} cannot be recorded for it; a rename is a division "
        "decision (POST /api/divisions/rename)"),
    "placenames.rename_not_in_force": Message("只有在用的地名可以更名，此地名状态为 {status}",
                                              "only names in force can be renamed; this one is {status}"),
    "placenames.protected": Message("具有历史文化价值的地名一般不得更名（PN-09），须写明保护措施（{field}）",
                                    "PN-09: this name has historical and cultural value and is protected: give "
                                    "the protection measures ({field}) to override"),
    "placenames.same_name": Message("新名称与现名称相同", "the new name is the current name"),
    "placenames.rename_before_approval": Message("更名的 {field} 早于现名称的批准时间 {date}",
                                                 "the rename's {field} comes before the current name's approval "
                                                 "({date})"),
    "placenames.street_in_use": Message(
        "街路巷 {name} 仍有 {segments} 段道路和 {plates} 块在用门牌：请先更名（门牌随之改址）或撤销门牌",
        "{name} still names {segments} street segments and {plates} active plates: rename it (the plates "
        "follow) or revoke the plates first"),
    "placenames.confirm_basis": Message("请写明确认依据（RM-13；{field}，如 音译转写法、内蒙古地名录 页码）",
                                        "RM-13: give the basis of the confirmation ({field})"),
    "placenames.filing_date_required": Message("请填写 {fields}", "give {fields}"),
    "placenames.filing_not_in_force": Message("地名状态为 {status}，请走审批流程记录备案和公告",
                                              "the name is {status}: record filing and announcement through its "
                                              "transitions"),
    "placenames.recorded_already": Message("{field} 已记录，不可改写", "{field} is recorded already"),
    "placenames.protection_requires": Message("保护名录的变更须记录 {fields}（PN-09）",
                                              "PN-09: a protection decision must record {fields}"),
    "placenames.protection_unchanged": Message("保护状态未变（{state}）", "the name is already {state}"),
    # romanization (geo/placenames/romanize.py)
    "placenames.empty_name": Message("{field} 为空", "{field} is empty"),
    "placenames.not_ending_with_generic": Message("名称 {name} 不以通名 {generic} 结尾",
                                                  "the name {name} does not end with the generic {generic}"),
    "placenames.not_starting_with_specific": Message("名称 {name} 不以专名 {specific} 开头",
                                                     "the name {name} does not start with the specific {specific}"),
    "placenames.override_empty": Message("改写的拼写 {field} 为空", "the override romanization ({field}) is empty"),
    "placenames.override_reason": Message("改写拼写须写明理由（{field}）", "an override needs a reason ({field})"),
    "placenames.override_basis": Message("改写拼写须写明依据（{field}，如 音译转写法 / 内蒙古地名录 页码）",
                                         "an override needs its basis ({field}, e.g. a transliteration rule or a "
                                         "gazetteer page)"),
}
