"""Messages of division changes' dates and parents: a parent the unit does
not lie in (F33), a division change dated in the future (F28)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "division_dates.recode_outside_parent": Message(
        "上级区划（{field}）{parent} 不包含 {value}：该区划有 {area_m2} m² 位于新上级之外（容差 {tolerance_m2} m²）；"
        "改变上级须该区划位于新上级之内，边界调整须先行",
        "the parent ({field}) {parent} does not contain {value}: {area_m2} m² of the unit lie outside it "
        "(tolerance {tolerance_m2} m²); a unit may move only to a parent it lies in — change the boundaries "
        "first"),
    "division_dates.effective_future": Message(
        "生效日期（{field}）{value} 晚于今天 {today}：区划调整须在生效当日（或之后）登记",
        "the effective date ({field}) {value} is after today {today}: record the division change on the day it "
        "takes effect (or later)"),
}
