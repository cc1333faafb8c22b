"""Messages of place-name codes and categories, the heritage list (PN-09), PN-08, the national sync,
DP-05 and plate successors (#17 items 5–8)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    # categories (GB/T 18521) and the code scheme
    "place_codes.categories_unreadable": Message("无法读取地名类别代码表 {path}：{reason}",
                                                 "cannot read the category table {path}: {reason}"),
    "place_codes.categories_bad_row": Message(
        "地名类别代码表 {path} 第 {row} 行有误：代码 {value} 须为 1–5 位数字、不重复且有中文名称",
        "category table {path}, row {row}: code {value} must be 1–5 digits, unique, with a Chinese name"),
    "place_codes.census_class_bad_row": Message(
        "普查大类对照表 {path} 第 {row} 行有误：{value} 须为第二次全国地名普查十二大类之一，要素类别不能为空或重复",
        "census class table {path}, row {row}: {value} must be one of the 2nd census's 12 classes, with a feature "
        "class, not repeated"),
    "place_codes.unknown_category": Message(
        "{field} {value} 不在地名类别代码表中（GB/T 18521；data/placenames/categories.csv，共 {count} 类）；"
        "请选用表中代码，或请管理员按民政局提供的官方代码表补充",
        "{field} {value} is not in the category table (GB/T 18521; data/placenames/categories.csv, {count} "
        "codes); use a code from the table, or have an administrator add the bureau's official codes"),
    "place_codes.scheme_unreadable": Message("无法读取地名代码方案 {path}：{reason}",
                                             "cannot read the place-code scheme {path}: {reason}"),
    "place_codes.scheme_bad": Message("地名代码方案 {path} 的 {key} 有误：{value}",
                                      "place-code scheme {path}: {key} is wrong: {value}"),
    "place_codes.prefix_full": Message("地名代码前缀 {prefix} 的流水号已用尽（最大 {limit}）；"
                                       "请调整代码方案的流水号位数",
                                       "the serials of place-code prefix {prefix} are used up (at most {limit}); "
                                       "widen the scheme's serial digits"),
    "place_codes.init_assigned": Message("已为样例区 {assigned} 个标准地名赋地名代码",
                                         "gave {assigned} standard names of the sample their place codes"),
    # the heritage list (PN-09)
    "place_codes.decision_in_future": Message("{field} {date} 晚于今天；决定日期不能在未来",
                                              "{field} {date} is after today; a decision cannot be dated ahead"),
    "place_codes.lift_before_listing": Message("{field} 早于列入保护名录的日期 {date}",
                                               "{field} is before the name was listed ({date})"),
    "place_codes.category_too_long": Message("{field} 最多 {most} 个字", "{field} is at most {most} characters"),
    "place_codes.entry": Message("保护名录第 {id} 条（{doc}，{date} 列入）",
                                 "protection list entry #{id} ({doc}, listed {date})"),
    "place_codes.entry_flag_only": Message("标记为受保护（保护名录建立前列入）",
                                           "flagged protected (listed before the protection list existed)"),
    "place_codes.protected_rename": Message(
        "地名“{name}”已列入地名文化遗产保护名录（{entry}），一般不得更名（PN-09）；须先作出解除保护的决定"
        "（在“地名文化遗产”页 /officer/heritage 解除，"
        "或 POST /api/placenames/{id}/protection，protected=false，附文号、理由与日期）",
        "“{name}” is on the place-name heritage protection list ({entry}) and should generally not be renamed "
        "(PN-09); a decision must lift the protection first (on the heritage page /officer/heritage, "
        "or POST /api/placenames/{id}/protection, protected=false, "
        "with document, reason and date)"),
    "place_codes.protected_retire": Message(
        "地名“{name}”已列入地名文化遗产保护名录（{entry}），不得撤销（PN-09）；须先作出解除保护的决定"
        "（在“地名文化遗产”页 /officer/heritage 解除，"
        "或 POST /api/placenames/{id}/protection，protected=false，附文号、理由与日期）",
        "“{name}” is on the place-name heritage protection list ({entry}) and cannot be retired (PN-09); a "
        "decision must lift the protection first (on the heritage page /officer/heritage, "
        "or POST /api/placenames/{id}/protection, protected=false, "
        "with document, reason and date)"),
    "place_codes.bad_list_status": Message("{field} 须为 listed（在册）或 lifted（已解除），收到 {value}",
                                           "{field} must be listed or lifted; got {value}"),
    # PN-08
    "place_codes.radius": Message("{field} 须大于 0 且不超过 {most} 米，收到 {value}",
                                  "{field} must be above 0 and at most {most} m; got {value}"),
    "place_codes.pn08": Message(
        "设施名称“{name}”未含周边 {radius} 米内任何现行地名（PN-08：设施名称一般应与所在地地名统一）；"
        "周边地名：{nearby}",
        "facility name “{name}” contains no in-force place name within {radius} m (PN-08: facility names should "
        "generally agree with the local place name); names nearby: {nearby}"),
    # the national sync
    "place_codes.sync_year": Message("{field} 须为 {first}–{last} 之间的年份，收到 {value}",
                                     "{field} must be a year from {first} to {last}; got {value}"),
    "place_codes.sync_nothing": Message(
        "{year} 年内没有记录过尚未编入批次的地名变更，不生成空的同步批次（变更按记录年份编入批次："
        "晚些记录的变更即使决定日期更早，也编入记录当年的批次）",
        "no place-name change recorded in {year} is left out of a batch: no empty sync batch is made (changes go "
        "into the batch of the year they were recorded; one recorded later, even with an earlier decision date, "
        "goes into that later year's batch)"),
    "place_codes.sync_gap_place_code": Message(
        "本批次 {rows} 条中有 {count} 条没有地名代码：先赋码（xincheng place-codes assign）再报送",
        "{count} of the batch's {rows} rows have no place code: assign codes first (xincheng place-codes assign)"),
    "place_codes.sync_gap_category": Message(
        "本批次 {rows} 条中有 {count} 条类别代码待定：GB/T 18521 类别代码表未取得，已填普查大类；"
        "请向上级索取代码表补入 data/placenames/categories.csv 后重新导出",
        "{count} of the batch's {rows} rows have no category code: the GB/T 18521 table is not known here, the "
        "census class is filled; get the official table into data/placenames/categories.csv and export again"),
    "place_codes.no_batch": Message("没有编号为 {id} 的同步批次", "no sync batch with id {id}"),
    "place_codes.batch_stale": Message("同步批次 {id} 已被修改（当前版本 {current}，提交版本 {given}），请刷新后重试",
                                       "sync batch {id} changed meanwhile (version {current}, you sent {given}); "
                                       "reload and try again"),
    "place_codes.already_sent": Message("同步批次 {id} 已登记为已报送", "sync batch {id} is already recorded as sent"),
    "place_codes.sent_out_of_order": Message(
        "同步批次 {year} 年第 {no} 批（id {id}）不能登记为已报送：之前还有 {count} 个批次未报送：{earlier}。"
        "每个批次只含上一批次之后的变更，请按顺序先报送并登记这些批次",
        "sync batch {year} #{no} (id {id}) cannot be recorded as sent: {count} earlier batch(es) are not sent: "
        "{earlier}. Each batch holds only the changes since the one before; send and record those first, in order"),
    "place_codes.ack_ref_required": Message("请填写{field}",
                                            "give the national database's acknowledgement reference {field}"),
    "place_codes.ack_before_sent": Message("同步批次 {id} 尚未登记报送，不能登记回执",
                                           "sync batch {id} is not recorded as sent: no acknowledgement yet"),
    "place_codes.already_acknowledged": Message("同步批次 {id} 已登记回执 {ref}",
                                                "sync batch {id} is already acknowledged ({ref})"),
    # DP-05
    "place_codes.numbering_unreadable": Message("无法读取门牌编号设置 {path}：{reason}",
                                                "cannot read the numbering settings {path}: {reason}"),
    "place_codes.numbering_bad": Message("门牌编号设置 {path} 的 {key} 有误：{value}",
                                         "numbering settings {path}: {key} is wrong: {value}"),
    "place_codes.dp05": Message("{number}号缺号：同侧有 {low}号 和 {high}号，不得为避讳跳号（DP-05）",
                                "number {number} is skipped between {low} and {high} on the same side; "
                                "numbers may not be skipped for luck (DP-05)"),
    # plate successors
    "place_codes.replace_not_active": Message("门牌 {uid} 的状态为 {status}，只有在用门牌可被替换",
                                              "plate {uid} is {status}; only an active plate can be replaced"),
    "place_codes.replace_fields": Message("新门牌只能给出 {allowed}，收到 {field}",
                                          "the new plate may give only {allowed}; got {field}"),
}
