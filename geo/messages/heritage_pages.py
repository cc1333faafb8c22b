"""Messages of the officer pages for the heritage protection list (PN-09), PN-08 and the annual sync."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "heritage_pages.pn09": Message(
        "PN-09：列入地名文化遗产保护名录的地名一般不得更名、不得撤销，须先作出解除保护的决定（文号、理由、日期）",
        "PN-09: a name on the heritage protection list should generally not be renamed and cannot be retired "
        "until a decision (document, reason, date) lifts its protection"),
    "heritage_pages.choose_name": Message(
        "请先查找并选择要列入名录的地名（地名编号 place_id）",
        "find and choose the name to list first (place_id)"),
    "heritage_pages.no_name": Message("没有编号为 {id} 的地名", "no place name with id {id}"),
    "heritage_pages.no_hits": Message("没有找到 {q}：可输入名称、拼音、首字母或地名编号",
                                      "nothing found for {q}: type a name, its pinyin, initials or the name's id"),
    "heritage_pages.listed": Message("已列入保护名录：{name}（{doc}）",
                                     "listed on the protection list: {name} ({doc})"),
    "heritage_pages.lifted": Message("已解除保护：{name}（{doc}），名录条目保留",
                                     "protection lifted: {name} ({doc}); the list keeps the entry"),
    "heritage_pages.pn08_none": Message("{checked} 个设施的名称均含周边 {radius} 米内的现行地名",
                                        "all {checked} facility names contain an in-force place name within "
                                        "{radius} m"),
    "heritage_pages.batch_made": Message(
        "已生成 {year} 年第 {no} 批：{count} 条地名，SHA-256 {checksum}",
        "made batch {no} of {year}: {count} names, SHA-256 {checksum}"),
    "heritage_pages.batch_same": Message(
        "{year} 年没有新的变更：仍为第 {no} 批（同一文件，SHA-256 {checksum}）",
        "nothing new in {year}: still batch {no} (the same file, SHA-256 {checksum})"),
    "heritage_pages.sent": Message("已登记 {year} 年第 {no} 批为已报送", "batch {no} of {year} recorded as sent"),
    "heritage_pages.acknowledged": Message("已登记 {year} 年第 {no} 批的回执 {ref}",
                                           "acknowledgement {ref} recorded for batch {no} of {year}"),
}
