"""Messages of the service's settings (environment variables XINCHENG_*, api/settings.py)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "settings.not_whole": Message("{field} 须为整数，收到 {value}", "{field} must be a whole number; got {value}"),
    "settings.not_positive": Message("{field} 须为正整数，收到 {value}", "{field} must be positive; got {value}"),
    "settings.out_of_range": Message("{field} 须在 {low} 至 {high} 之间，收到 {value}",
                                     "{field} must be from {low} to {high}; got {value}"),
    "settings.not_a_switch": Message("{field} 须为开关值（{words}），收到 {value}",
                                     "{field} must be a switch ({words}); got {value}"),
    "settings.not_a_choice": Message("{field} 须为以下之一：{allowed}，收到 {value}",
                                     "{field} must be one of {allowed}; got {value}"),
}
