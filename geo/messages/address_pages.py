"""Messages of the officers' standard-address pages (api/routers/address_pages.py)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "address_pages.added": Message("已新增 {value}", "added {value}"),
    "address_pages.renumbered": Message("已改号：{value}（其下地址随之更新）",
                                        "renumbered: {value} (the addresses below it follow)"),
    "address_pages.retired": Message("已注销 {count} 个地址，编号永久保留不再分配",
                                     "retired {count} addresses; their ids stay and are never given again"),
    "address_pages.imported": Message(
        "已导入 {imported} 个地址：楼 {building}、单元 {unit}、室 {room}",
        "imported {imported} addresses: {building} buildings, {unit} units, {room} rooms"),
    "address_pages.not_on_plate": Message(
        "地址 {value} 不在门牌 {plate} 下（{field}），请从该地址所在门牌的页面操作",
        "address {value} is not below plate {plate} ({field}); use the page of its own plate"),
    "address_pages.no_file": Message("请选择要导入的 XLSX 文件（文件 file）", "choose an XLSX file to import (file)"),
    "address_pages.bad_file_type": Message(
        "文件 {value} 不是 .xlsx 或 .csv 表格（文件 file）", "file {value} is not an .xlsx or .csv sheet (file)"),
    "address_pages.no_hits": Message(
        "没有找到「{q}」的标准地址。可输入地址的一部分（如 3号楼、1单元）、拼音、地址编号或门牌编号",
        "no standard address matches “{q}”; try part of the address (3号楼, 1单元), its pinyin, "
        "an address id or a plate id"),
    "address_pages.none": Message("没有符合筛选条件的标准地址", "no standard addresses match these filters"),
    "address_pages.bad_filter": Message("筛选条件 {field} 的值 {value} 无效，可选：{allowed}",
                                        "filter {field}: {value} is not one of {allowed}"),
    "address_pages.plate_replaced": Message(
        "门牌 {plate} 已被替换为新门牌 {successor}：不能再在其下新增楼、单元、室，也不能改号或注销；"
        "其下地址已随新门牌迁移，请到新门牌的标准地址页面办理",
        "plate {plate} was replaced by plate {successor}: nothing can be added, renumbered or retired below it; "
        "its addresses moved to the new plate, use the new plate's address page"),
    "address_pages.plate_revoked": Message(
        "门牌 {plate} 已注销：不能再在其下新增楼、单元、室，也不能改号或注销；其下地址已随门牌注销，仅作历史记录",
        "plate {plate} is revoked: nothing can be added, renumbered or retired below it; its addresses were "
        "retired with it and are kept as history"),
    "address_pages.plate_not_active": Message(
        "门牌 {plate} 状态为 {status}：不能再在其下新增楼、单元、室，也不能改号或注销",
        "plate {plate} is {status}: nothing can be added, renumbered or retired below it"),
    "address_pages.successor_link": Message("新门牌的标准地址", "addresses of the new plate"),
}
