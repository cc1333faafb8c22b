"""Messages of the public plate page and lookup: the note shown while nearby services are being
updated, and the refusals a resident or an app can meet."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "lookup.services_updating": Message("附近服务信息正在更新", "Nearby services are being updated"),
    "lookup.services_updating_as_of": Message("附近服务信息正在更新；以下为 {time}计算的结果",
                                              "Nearby services are being updated; below, as computed at {time}"),
    "lookup.services_pending": Message("附近服务信息正在计算，请稍后刷新",
                                       "Nearby services are being computed; reload in a moment"),
    "lookup.no_plate": Message("没有这块门牌", "no such door plate"),
    "lookup.choose_kind": Message("请选择问题类型（{kinds}）", "choose the kind of problem ({kinds})"),
    "lookup.message_too_long": Message("说明最多 {limit} 字", "the message may have at most {limit} characters"),
}
