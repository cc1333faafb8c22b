"""Messages of a marker's reference objects (方位物): what a surveyor records to find a marker again."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "reference_objects.unknown_marker": Message("界桩 {number} 未登记，方位物须属于已登记的界桩",
                                                "marker {number} is not registered; a reference object "
                                                "belongs to a registered marker"),
    "reference_objects.too_many": Message("每个界桩最多记录 {limit} 个方位物，收到 {count} 个",
                                          "a marker records at most {limit} reference objects; got {count}"),
    "reference_objects.name_length": Message("{field} 最长 {limit} 个字，收到 {length} 个",
                                             "{field} takes at most {limit} characters; got {length}"),
}
