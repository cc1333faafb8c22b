"""Messages of the districts one database holds (#19): naming a district in a request."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "districts.not_a_code": Message(
        "{field} 须为 6 位区县级行政区划代码（GB/T 2260：省级代码之后市、县两段均非 00，如 150102），收到 {value}",
        "{field} must be a 6-digit county-level adcode (GB/T 2260: a province's code, then city and county parts "
        "other than 00, such as 150102); got {value}"),
    "districts.not_held": Message("本库没有区县 {value}（现有：{held}）",
                                  "this database holds no district {value} (it holds {held})"),
}
