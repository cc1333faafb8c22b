"""Messages of the map files (``xincheng map``): what a planner reads on a map opened from disk.

A map file carries its big layers grouped (door plates counted per grid cell) and simplified
(streets), so its tooltips and legend say what a dot or a line stands for.
"""

from __future__ import annotations

from geo.messages import Message

MESSAGES: dict[str, Message] = {
    "map_files.cell": Message("本格（约 {cell_m} 米）内 {n} 块门牌", "{n} door plates in this ~{cell_m} m cell"),
    "map_files.street_plates": Message("门牌 {low}–{high} 号，共 {count} 块",
                                       "plates no. {low}–{high}, {count} in all"),
    "map_files.legend_plates": Message("门牌（按格网计数，放大格网变细；圆越大门牌越多）",
                                       "door plates counted per grid cell (finer when zoomed in; bigger = more)"),
}
