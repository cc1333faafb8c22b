"""Messages of the public plate lookup: the note shown while nearby services are being updated."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "lookup.services_updating": Message("附近服务信息正在更新", "Nearby services are being updated"),
    "lookup.services_pending": Message("附近服务信息正在计算，请稍后刷新",
                                       "Nearby services are being computed; reload in a moment"),
}
