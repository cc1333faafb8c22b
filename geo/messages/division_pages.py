"""Messages of the division-change pages (admins) and the street-sign register pages (officers) (#17 items 2, 4)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "division_pages.file_required": Message("请选择 GeoJSON 文件（{field}）",
                                            "choose a GeoJSON file ({field})"),
    "division_pages.file_too_large": Message("GeoJSON 文件（{field}）超过 {most_mb} MB",
                                             "the GeoJSON file ({field}) is larger than {most_mb} MB"),
    "division_pages.file_one_polygon": Message(
        "GeoJSON 文件（{field}）须只含一个面（Polygon 或 MultiPolygon），收到 {count} 个要素",
        "the GeoJSON file ({field}) must hold one polygon; it holds {count} features"),
    "division_pages.change_done": Message("已记录区划调整 #{id}", "division change #{id} recorded"),
    "division_pages.no_change": Message("没有编号为 {id} 的区划调整", "no division change {id}"),
    "division_pages.no_street": Message("没有名为「{value}」的街路巷路段", "no street segment is named “{value}”"),
    "division_pages.sign_installed": Message("已设置路牌 {uid}", "sign {uid} installed"),
    "division_pages.sign_replaced": Message("已更换：新路牌 {uid}", "replaced: the new sign is {uid}"),
    "division_pages.sign_inspect_done": Message("已记录检查", "inspection recorded"),
    "division_pages.sign_damage_done": Message("已登记损坏", "damage recorded"),
    "division_pages.sign_remove_done": Message("已登记拆除", "removal recorded"),
    # the actions of a sign's history (its audit rows), as the sign page shows them
    "division_pages.action_create": Message("新建（设置路牌）", "created (sign installed)"),
    "division_pages.action_insert": Message("新建", "created"),
    "division_pages.action_bulk_create": Message("批量导入", "imported in bulk"),
    "division_pages.action_update": Message("修改", "changed"),
    "division_pages.action_inspect": Message("检查", "inspected"),
    "division_pages.action_damage": Message("登记损坏", "reported damaged"),
    "division_pages.action_replace": Message("更换", "replaced"),
    "division_pages.action_remove": Message("拆除", "removed"),
    "division_pages.action_allocate": Message("分配编号", "ids allocated"),
    "division_pages.action_rename_propagation": Message("地名更名，待更换", "queued for replacement after a rename"),
    "division_pages.action_refused_stale_version": Message("修改被拒绝（版本已过期，未作任何修改）",
                                                           "change refused (stale version; nothing changed)"),
    "division_pages.action_status": Message("状态改为 {status}", "status set to {status}"),
    "division_pages.action_other": Message("其他操作（{code}）", "other action ({code})"),
}
