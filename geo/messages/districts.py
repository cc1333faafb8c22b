"""Messages of the districts one database holds (#19): naming a district in a request."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "districts.not_a_code": Message("{field} 须为 6 位行政区划代码（如 150102），收到 {value}",
                                    "{field} must be a 6-digit adcode (such as 150102); got {value}"),
    "districts.not_held": Message("本库没有区县 {value}（现有：{held}）",
                                  "this database holds no district {value} (it holds {held})"),
}
