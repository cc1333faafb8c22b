"""Messages of the synthetic region (data/synthetic_region, ``xincheng region load``)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "region.sqlite": Message("合成区域须载入 PostGIS 数据库（SQLite 只容纳一个区县）；请用 --database-url "
                             "postgresql://… 指定",
                             "a synthetic region loads into a PostGIS database only (SQLite holds one district); "
                             "give --database-url postgresql://…"),
    "region.districts": Message("区县数须在 1 到 {most} 之间，收到 {value}",
                                "the number of districts must be 1 to {most}; got {value}"),
    "region.per_city": Message("每市区县数须在 1 到 {most} 之间，收到 {value}",
                               "the districts per city must be 1 to {most}; got {value}"),
    "region.plates": Message("每区门牌数须在 {least} 到 {most} 之间，收到 {value}",
                             "the plates per district must be {least} to {most}; got {value}"),
    "region.not_empty": Message("区县 {adcode} {name} 已有数据（{held}）：合成区域只载入没有记录的区县，"
                                "其前的区县已载入并保留；请换一个数据库",
                                "district {adcode} {name} already holds records ({held}): a synthetic region "
                                "loads into districts without records only; the districts before it are "
                                "stored and kept; use another database"),
    "region.done": Message("合成区域已载入 {count} 个区县（种子 {seed}）：{adcodes}",
                           "synthetic region loaded: {count} districts (seed {seed}): {adcodes}"),
}
