"""Messages of the instant what-if (FA-01): edits that cannot be applied, and the page's words."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "whatif.op": Message("第 {position} 项修改：{field} 的取值 {value} 不在允许范围内，可选：{allowed}",
                         "edit {position}: {field} must be one of {allowed}; got {value}"),
    "whatif.needs_point": Message("第 {position} 项修改（{op}）须给出经纬度 lon、lat",
                                  "edit {position} ({op}) needs a point: lon and lat"),
    "whatif.needs_facility": Message("第 {position} 项修改（{op}）须给出站点编号 facility_id",
                                     "edit {position} ({op}) needs a station: facility_id"),
    "whatif.needs_street": Message("第 {position} 项修改（{op}）须给出街路编号 street_id",
                                   "edit {position} ({op}) needs a street: street_id"),
    "whatif.no_station": Message("第 {position} 项修改：站点编号 facility_id {value} 不是现有的（或已移除的）"
                                 "养老服务站点（FA-01 覆盖计算所用种类）",
                                 "edit {position}: facility_id {value} is not a current elder-care station of the "
                                 "kinds FA-01 coverage counts (or it was removed by an earlier edit)"),
    "whatif.no_street": Message("第 {position} 项修改：街路编号 street_id {value} 不是可步行的现有街路",
                                "edit {position}: street_id {value} is not an existing walkable street"),
    "whatif.closed_twice": Message("第 {position} 项修改：街路编号 street_id {value} "
                                   "已在第 {first} 项关闭，不能再关闭一次",
                                   "edit {position}: street_id {value} was already closed by edit {first}"),
    "whatif.outside": Message("第 {position} 项修改：经纬度 lon、lat（{lon}, {lat}）不在新城区范围内",
                              "edit {position}: lon, lat ({lon}, {lat}) lies outside Xincheng District"),
    "whatif.too_many": Message("一次最多 {limit} 项修改 edits，收到 {count} 项",
                               "at most {limit} edits at once; got {count}"),
    "whatif.cli_move": Message("--move 须写成 站点编号:经度,纬度（如 12:111.70,40.83），收到 {value}",
                               "--move takes ID:LON,LAT (e.g. 12:111.70,40.83); got {value}"),
    "whatif.cli_nothing": Message("请至少给出一项修改：--add、--move、--remove 或 --close-street",
                                  "give at least one edit: --add, --move, --remove or --close-street"),
    "whatif.cli_unattached": Message("第 {edits} 项修改的位置离可步行街路超过上限，未计入覆盖",
                                     "the point of edit(s) {edits} is too far from any walkable street to count"),
    # the planner's page (/maps/whatif): its title, panel and legend
    "whatif.page_title": Message("即时推演：新增、移动或移除养老服务站点，关闭街路",
                                 "Instant what-if: add, move or remove a station, close a street"),
    "whatif.page_hint": Message("拖动蓝色候选点，点击现有站点将其移除，或点击街路将其关闭；"
                                "结果随即更新（不保存任何内容）",
                                "Drag the blue candidate, click a station to remove it or a street to close it; "
                                "the change shows at once (nothing is saved)"),
    "whatif.page_add": Message("再加一个候选点", "Add another candidate"),
    "whatif.page_reset": Message("全部还原", "Reset"),
    "whatif.page_remove": Message("移除此站点", "Remove this station"),
    "whatif.page_too_many": Message("一次最多推演 {limit} 项修改：请先移除候选点、恢复站点或街路，或点“全部还原”",
                                    "at most {limit} edits at once: remove a candidate, restore a station or street, "
                                    "or press Reset"),
    "whatif.page_street": Message("可步行街路（点击关闭）", "Walkable street (click to close)"),
    "whatif.page_closed": Message("已关闭的街路（再点击恢复）", "Closed street (click again to reopen)"),
    "whatif.page_close_hint": Message("点击关闭或恢复此街路", "click to close or reopen this street"),
    "whatif.page_restore": Message("恢复此站点", "Restore this station"),
    "whatif.page_households": Message("覆盖户数变化", "Covered households, change"),
    "whatif.page_60plus": Message("覆盖60岁以上老人变化", "Covered residents 60+, change"),
    "whatif.page_share": Message("户数覆盖率", "Household share covered"),
    "whatif.page_share_60": Message("老人覆盖率", "Residents 60+ share covered"),
    "whatif.page_plates": Message("门牌：新覆盖 / 失去覆盖", "Plates gained / lost"),
    "whatif.page_working": Message("计算中……", "Computing…"),
    "whatif.page_legend": Message("图例", "Legend"),
    "whatif.page_station": Message("现有养老服务站点", "Existing elder-care station"),
    "whatif.page_removed": Message("已移除的站点（推演）", "Station removed (what-if)"),
    "whatif.page_candidate": Message("候选站点（可拖动）", "Candidate station (drag it)"),
    "whatif.page_gained": Message("新覆盖的门牌", "Plate newly covered"),
    "whatif.page_lost": Message("失去覆盖的门牌", "Plate no longer covered"),
    "whatif.page_district": Message("新城区范围", "Xincheng District"),
    "whatif.page_back": Message("返回地图列表", "Back to the maps"),
    "whatif.page_login": Message("登录已过期，请重新登录", "The login has expired; log in again"),
    "whatif.unattached": Message(
        "第 {edits} 项的位置离街路超过 {max_m} 米，未接入步行路网，不带来覆盖；请把候选点拖到街路旁",
        "edit {edits}: the point is more than {max_m} m from any street, so it joins no walking route and "
        "covers nothing; drag the candidate next to a street"),
}
