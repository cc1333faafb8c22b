"""Messages of the planners' computations: walking parameters, siting, accessibility, missing layers."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "planning.positive": Message("步行参数（FA-01）：{field} 须为正数，收到 {value}",
                                 "FA-01 walking parameters: {field} must be a positive number; got {value}"),
    "planning.choice": Message("{field} 的取值 {value} 不在允许范围内，可选：{allowed}",
                               "{field} must be one of {allowed}; got {value}"),
    "planning.siting_one_of": Message("选址（FA-01）：{k} 与 {share} 须且只须给出一个",
                                      "FA-01 siting: give exactly one of {k} and {share}"),
    "planning.siting_k": Message("选址（FA-01）：{field} 至少为 1，收到 {value}",
                                 "FA-01 siting: {field} must be at least 1; got {value}"),
    "planning.siting_share": Message("选址（FA-01）：{field} 须大于 0 且不大于 1，收到 {value}",
                                     "FA-01 siting: {field} must be in (0, 1]; got {value}"),
    "planning.siting_nothing": Message("选址（FA-01）：门牌上没有可覆盖的户数或人口",
                                       "FA-01 siting: the plates hold no households or residents to cover"),
    "planning.reach_shape": Message("可达矩阵 {shape} 与 {facilities} 个设施 × {plates} 块门牌不符",
                                    "reach matrix {shape} does not match {facilities} facilities × {plates} plates"),
    "planning.supply_values": Message("设施供给（{field}）须为有限数值，且不得小于 0",
                                      "facility supply ({field}) must be finite and not less than 0"),
    "planning.demand_values": Message("门牌需求（{field}）须为有限数值，且不得小于 0",
                                      "plate demand ({field}) must be finite and not less than 0"),
    "planning.kinds": Message("{field} 须取自 {allowed}，收到 {value}", "{field} must be from {allowed}; got {value}"),
}
