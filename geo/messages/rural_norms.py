"""Messages of the rural and village norms, the 四同步 check of new estates and the norms settings file."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "rural_norms.server_file": Message("服务器的设置文件 {path} 有误，规划计算暂停；请管理员修正该文件（{detail}）",
                                       "the server's settings file {path} is wrong, so planning answers are paused; "
                                       "the administrator must correct it ({detail})"),
    "rural_norms.file_missing": Message("标准设置文件 {path} 不存在",
                                        "the norms settings file {path} does not exist"),
    "rural_norms.file_syntax": Message("标准设置文件 {path} 不是有效的 TOML：{detail}",
                                       "the norms settings file {path} is not valid TOML: {detail}"),
    "rural_norms.missing_key": Message("标准设置 {path}：缺少 {key}", "norms settings {path}: {key} is missing"),
    "rural_norms.positive": Message("标准设置 {path}：{key} 须为有限的正数，收到 {value}",
                                    "norms settings {path}: {key} must be a finite positive number; got {value}"),
    "rural_norms.share": Message("标准设置 {path}：{key} 须大于 0 且不大于 1，收到 {value}",
                                 "norms settings {path}: {key} must be in (0, 1]; got {value}"),
    "rural_norms.choice": Message("标准设置 {path}：{key} 的取值 {value} 不在允许范围内，可选：{allowed}",
                                  "norms settings {path}: {key} must be from {allowed}; got {value}"),
    "rural_norms.list": Message("标准设置 {path}：{key} 须为文字列表（不得为空）",
                                "norms settings {path}: {key} must be a list of strings (not empty)"),
    "rural_norms.overlap": Message("标准设置 {path}：聚落类型 {value} 同时属于两组村级标准",
                                   "norms settings {path}: settlement type {value} is in two rural norm groups"),
    "rural_norms.unknown_units": Message("一刻钟城市范围：单位代码 {value} 不是街道或镇",
                                         "15-minute urban scope: unit code(s) {value} are not sub-districts or towns"),
    "rural_norms.group.town_fringe": Message("镇、城中村、城郊村社区服务中心 ≥{m2:g} m² 的比例",
                                             "Town, urban-village and suburban-village centres of ≥{m2:g} m²"),
    "rural_norms.group.central_traditional": Message("中心村、传统村落社区服务中心 ≥{m2:g} m² 的比例",
                                                     "Central and traditional village centres of ≥{m2:g} m²"),
    "rural_norms.group.other": Message("{group} 社区服务中心 ≥{m2:g} m² 的比例",
                                       "{group}: service centres of ≥{m2:g} m²"),
    "rural_norms.note": Message("{meeting}/{total} 个村达标（要求 ≥{required}）；不达标：{failing}",
                                "{meeting} of {total} villages meet it (required ≥{required}); short: {failing}"),
    "rural_norms.not_recorded": Message("未记录", "not recorded"),
    "rural_norms.sync.yes": Message("同步", "in sync"),
    "rural_norms.sync.late": Message("滞后", "late"),
    "rural_norms.elder_coverage_note": Message(
        "{with_point}/{total} 个村(居)委会有居家和社区养老服务中心(站点)（计入：{kinds}；养老机构不计入）；"
        "社区 {communities}，村 {villages}",
        "{with_point} of {total} village and community committees have a home and community elder-care "
        "centre or station (counted: {kinds}; institutions are not); communities {communities}, villages {villages}"),
    "rural_norms.social_work_note": Message("{with_station}/{total} 个乡镇(街道)有社会工作服务站",
                                            "{with_station} of {total} townships, towns and sub-districts have a "
                                            "social-work station"),
    "rural_norms.circle_note_no_scope": Message(
        "城市范围未设定：该区县没有街道，默认口径（全部街道）为空；请在规划设置 [circle] urban_unit_codes 中列出城区的"
        "乡镇代码（如县城所在镇）。全区：{district}。{walk}",
        "the urban scope is not set: this county has no 街道, so the default (every 街道) is empty; list the codes "
        "of its urban towns (the county seat's, say) in the planning settings' [circle] urban_unit_codes. Whole "
        "district: {district}. {walk}"),
    "rural_norms.circle_scope_followed": Message(
        "规划设置 [circle] urban_unit_codes 中的代码已因区划调整改变，按现代码计算（{pairs}）：请更新设置文件。",
        "codes in the planning settings' [circle] urban_unit_codes were changed by a division change and are read "
        "as the units' codes now ({pairs}): update the settings file."),
    "rural_norms.circle_note": Message(
        "城市范围（{count} 个乡镇(街道)：{scope}）为考核口径：{urban}；"
        "全区（含城市范围以外的乡镇）：{district}。{walk}",
        "the urban scope ({count} sub-districts or towns: {scope}) is the headline: "
        "{urban}; whole district (with the towns and townships outside it): {district}. {walk}"),
    "rural_norms.estates_note": Message(
        "{synced}/{total} 个新建小区四个环节全部同步，{area_ok}/{total} 个养老用房面积达标（≥{per100:g} m²/100户）",
        "{synced} of {total} new estates in sync at all four stages, {area_ok} of {total} with enough elder-care "
        "floor area (≥{per100:g} m²/100 households)"),
}
