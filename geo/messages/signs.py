"""Messages of the street name signs (路牌), the junction check and the unnamed-roads worklist (#17 items 2–3).

Fields of a sign that the shared field catalogue does not name are labelled here
(:data:`SIGN_FIELDS`, used through :func:`geo.signs.rules.sign_label`).
"""

from __future__ import annotations

from geo.messages import Message

SIGN_FIELDS: dict[str, tuple[str, str]] = {
    "sign_uid": ("路牌编号", "sign id"),
    "street_id": ("街路巷路段", "street segment"),
    "sign_type": ("路牌类型", "sign type"),
    "side": ("所在侧", "side"),
    "direction": ("箭头方向", "arrow direction"),
    "number_from": ("起始门牌号", "first number"),
    "number_to": ("终止门牌号", "last number"),
    "installed_on": ("设置日期", "installed on"),
    "inspected_on": ("检查日期", "inspected on"),
    "damaged_on": ("损坏日期", "damaged on"),
    "replaced_on": ("更换日期", "replaced on"),
    "removed_on": ("拆除日期", "removed on"),
    "condition": ("完好状况", "condition"),
    "shows_name": ("路牌所示名称", "name shown"),
    "shows_romanization": ("路牌所示拼音", "pinyin shown"),
    "lonlat": ("位置 经度,纬度", "position lon,lat"),
    "distance_m": ("距路口距离（米）", "distance from the junction (m)"),
    "reason": ("原因", "reason"),
    "remarks": ("备注", "remarks"),
    "version": ("版本", "version"),
    "actor_adcodes": ("所代表的区", "districts acted for"),
}

VALUES: dict[str, tuple[str, str]] = {
    "ordinary": ("普通路牌", "ordinary sign"), "smart": ("智能路牌（带二维码）", "smart sign (QR)"),
    "left": ("左侧", "left"), "right": ("右侧", "right"),
    "east": ("向东", "east"), "west": ("向西", "west"), "north": ("向北", "north"), "south": ("向南", "south"),
    "none": ("无箭头", "no arrow"),
    "good": ("完好", "good"), "faded": ("褪色", "faded"), "dirty": ("污损", "dirty"), "tilted": ("倾斜", "tilted"),
    "damaged": ("损坏", "damaged"), "missing": ("缺失", "missing"),
    "active": ("在用", "active"), "replacement_queued": ("待更换", "queued for replacement"),
    "replaced": ("已更换", "replaced"), "removed": ("已拆除", "removed"),
}

MESSAGES = {
    "signs.not_our_code": Message("这不是本服务的路牌二维码", "this is not a code of a street sign of this service"),
    "signs.choice": Message("{field} 须为 {allowed} 之一，收到 {value}",
                            "{field} must be one of {allowed}; got {value}"),
    "signs.required": Message("缺少必填字段 {field}", "{field} is required"),
    "signs.not_found": Message("没有编号为 {uid} 的路牌", "no street sign {uid}"),
    "signs.no_street": Message("本区没有编号为 {id} 的街路巷路段（{field}）",
                               "this district has no street segment {id} ({field})"),
    "signs.street_unnamed": Message(
        "条例第十九条（地名标志须标示标准地名）：路段 {id}{label} 尚无现行标准名称，不能设置路牌；"
        "请先在未命名道路清单中为其申报命名",
        "R1 art.19 (signs show the standard name): street segment {id} {label} has no standard name "
        "in force, so it takes no sign; propose a name for it from the unnamed-roads worklist first"),
    "signs.shown_name": Message(
        "条例第十九条（地名标志须标示标准地名）：{field} {value} 与该街路巷现行标准名称「{standard}」不符",
        "R1 art.19 (signs show the standard name): {field} {value} is not the street's standard name in force "
        "\u201c{standard}\u201d"),
    "signs.shown_romanization": Message(
        "SG-02（路牌拼音须为标牌拼写）：{field} {value} 与该名称的标牌拼写「{sign_text}」不符",
        "SG-02 (the pinyin line is the sign text): {field} {value} is not the name's sign text "
        "\u201c{sign_text}\u201d"),
    "signs.stale_text": Message(
        "条例第十九条：路牌 {uid} 所示「{shown}」已不是现行标准名称「{standard}」，不能印制；请先更换路牌（replace）",
        "R1 art.19: sign {uid} shows \u201c{shown}\u201d, no longer the standard name \u201c{standard}\u201d; "
        "it cannot be printed: replace the sign first"),
    "signs.sg01": Message(
        "SG-01：「{name}」尚无蒙古文名称，不能印制正式路牌；请先录入蒙古文名称，或印制校样"
        "（命令加 --proof，地址加 ?proof=1）",
        "SG-01: \u201c{name}\u201d has no Mongolian-script name, so no production sign can be printed; record it "
        "first, or print a proof (--proof on the command, ?proof=1 on the address)"),
    "signs.far_from_street": Message(
        "路牌位置（{field}）距所在路段 {distance} 米，超过 {most} 米：请核对坐标、坐标系和路段",
        "the sign's position ({field}) is {distance} m from its street segment, more than {most} m: check the "
        "coordinates, their CRS and the segment"),
    "signs.number_range": Message(
        "门牌号范围：{field} 须为 1 至 {most} 的整数，且起始号不大于终止号"
        "（范围从小到大登记，号码增减的方向由箭头表示），收到 {value}",
        "number range: {field} must be a whole number from 1 to {most}, the first not above the last (the range is "
        "recorded low to high; the arrow shows which way the numbers run); got {value}"),
    # a sign's range and arrow against the street's plates (geo/signs/ranges.py, finding 10)
    "signs.range_across": Message(
        "{field} {direction} 与街路巷走向（该处为{along}）相差超过 {most} 度：箭头须沿街路巷指向门牌号增大或减小的方向",
        "{field} {direction} is more than {most}° off the street (running {along} here): the arrow must point "
        "along the street, the way the numbers rise or fall"),
    "signs.range_parity": Message(
        "单双号不符：{fields}「{range}」均为{parity}，但该街路巷没有{parity}门牌（门牌号为 {street} 号）",
        "parity: {fields} \u201c{range}\u201d are both {parity}, but the street has no {parity}plates (its "
        "plates run {street})"),
    "signs.range_none_ahead": Message(
        "{fields}「{range}」：箭头（{direction}）所指方向没有{parity}门牌，{parity}门牌 {behind} 号均在路牌背后；"
        "请核对箭头方向",
        "{fields} \u201c{range}\u201d: there is no {parity}plate the way the arrow ({direction}) points; the "
        "{parity}plates {behind} are all behind the sign: check the arrow"),
    "signs.range_wrong_way": Message(
        "{fields}「{range}」与箭头方向（{direction}）不符：{behind} 号在路牌背后，该方向{parity}门牌号为 {ahead} 号",
        "{fields} \u201c{range}\u201d does not match the arrow ({direction}): {behind} are behind the sign; the "
        "{parity}plates that way run {ahead}"),
    "signs.range_outside": Message(
        "{fields}「{range}」在该街路巷不存在：该方向（{direction}）{parity}门牌号为 {ahead} 号",
        "{fields} \u201c{range}\u201d does not exist on the street: the {parity}plates that way ({direction}) "
        "run {ahead}"),
    "signs.range_beyond": Message(
        "{field}（{range}）超出该方向最后一块门牌 {plate} 号 {excess} 个号，余下约 {room} 米路段最多预留至 {most} 号："
        "该方向{parity}门牌号为 {ahead} 号",
        "{field} ({range}) runs {excess} numbers past the last plate that way ({plate}); the {room} m of street "
        "left can reserve numbers up to {most} only: the {parity}plates that way run {ahead}"),
    "signs.range_reserved": Message(
        "提示：{field}（{range}）超出该方向最后一块门牌 {plate} 号（该方向{parity}门牌号为 {ahead} 号），"
        "按预留给余下约 {room} 米路段待建门牌的号记录",
        "note: {field} ({range}) runs past the last plate that way ({plate}; the {parity}plates run {ahead}); "
        "recorded as numbers reserved for the {room} m of street left"),
    "signs.range_behind": Message(
        "提示：{fields}「{range}」含路牌背后的门牌 {behind} 号；该方向{parity}门牌号为 {ahead} 号",
        "note: {fields} \u201c{range}\u201d includes plates behind the sign ({behind}); the {parity}plates "
        "that way run {ahead}"),
    "signs.range_short": Message(
        "提示：{fields}「{range}」未包含该方向全部门牌：该方向{parity}门牌号为 {ahead} 号",
        "note: {fields} \u201c{range}\u201d leaves out plates that way: the {parity}plates that way run {ahead}"),
    "signs.range_unchecked": Message(
        "提示：该街路巷尚无现行门牌，{fields}「{range}」未能与门牌核对",
        "note: the street has no active plates yet: {fields} \u201c{range}\u201d could not be checked"),
    # review 17, fifth pass: one sign per spot, its side from its position, not before its name
    "signs.duplicate": Message(
        "该处已有路牌 {uid}（{name}，{side}，相距 {distance} 米，不足 {most} 米）：同一位置同侧不重复设置路牌；"
        "如需更换请对该路牌办理更换（replace）",
        "there is already a sign {uid} here ({name}, {side}, {distance} m away, less than {most} m): a spot "
        "takes one sign per side; to renew it, replace that sign"),
    "signs.side_contradicts": Message(
        "{field} 为{given}，但路牌位置（{position}）在街路巷{actual}（按门牌编号方向）：请核对所在侧或坐标，"
        "或不填所在侧由位置确定",
        "{field} is {given}, but the sign's position ({position}) is on the street's {actual} side (facing the "
        "way the numbers run): check the side or the coordinates, or leave the side out to take it from the "
        "position"),
    "signs.before_approval": Message(
        "{field}（{value}）早于所示名称「{name}」的批准时间 {approved}：名称批准前不能设置其路牌",
        "{field} ({value}) is before \u201c{name}\u201d was approved ({approved}): a sign cannot show a name "
        "before its approval"),
    "signs.range_half": Message("门牌号范围须同时给出 {fields}，或都不给",
                                "give both {fields} of the number range, or neither"),
    "signs.future_date": Message("{field} 不能晚于今天（{today}），收到 {value}",
                                 "{field} cannot be after today ({today}); got {value}"),
    "signs.date_order": Message("{field}（{value}）不能早于设置日期 {installed}",
                                "{field} ({value}) cannot be before the installation date {installed}"),
    "signs.bad_step": Message("路牌 {uid} 状态为 {status}，不能{action}；可{action}的状态：{allowed}",
                              "sign {uid} is {status}: it cannot be {action}; allowed from: {allowed}"),
    "signs.already_damaged": Message("路牌 {uid} 已登记为损坏（{date}）",
                                     "sign {uid} is already recorded as damaged ({date})"),
    "signs.stale": Message("路牌 {uid} 已被他人修改（当前版本 {current}，您提交的是 {given}）：请刷新后重试",
                           "sign {uid} was changed meanwhile (version {current}, you sent {given}): reload and retry"),
    "signs.acts_for": Message("{actor} 代表 {own}，不能管理本区（{district}）的路牌",
                              "{actor} acts for {own}, not for this district ({district})"),
    "signs.reason_needed": Message("拆除路牌须说明原因（{field}）", "removing a sign needs a reason ({field})"),
    "signs.distance": Message("{field} 须为 1 至 {most} 米之间的数，收到 {value}",
                              "{field} must be a number from 1 to {most} m; got {value}"),
    "signs.text_too_long": Message("{field} 最多 {most} 个字符", "{field} takes at most {most} characters"),
    "signs.no_code": Message("这不是本区路牌上的二维码", "this is not the QR code of one of our street signs"),
    "signs.counter": Message("路牌编号已用尽（{prefix}）", "sign ids are used up ({prefix})"),
    # what the register and reports say
    "signs.unnamed.no_name": Message("未命名（未关联标准地名）", "unnamed (no standard name linked)"),
    "signs.unnamed.not_in_force": Message("名称「{name}」状态为 {status}，尚未生效",
                                          "the name \u201c{name}\u201d is {status}, not yet in force"),
    "signs.unnamed.not_standard": Message("「{name}」不是标准地名", "\u201c{name}\u201d is not a standard name"),
    "signs.queue_reason": Message("街路巷更名，路牌待更换", "street renamed: sign to be replaced"),
}
