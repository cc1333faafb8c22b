"""Labels a map shows for stored codes and numbers: Chinese first, units spelt out.

The texts are in the message catalogue (geo/messages/maps.py); this module picks and formats
them. A code with no label is shown as it is stored (a map never hides a value).
"""

from __future__ import annotations

import math
from typing import Any

from geo.messages import catalogue, text, zh


def code_label(field: str, code: Any) -> str | None:
    """Return the label of ``code`` of ``field`` ("社区养老服务站 elder-care station"), the code
    itself when it has none, ``None`` for a missing value."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return None
    message = catalogue().get(f"maps.{field}.{code}")
    return str(code) if message is None else f"{message.zh} {message.en}"


def number(value: Any, unit: str, *, digits: int = 0) -> str | None:
    """Return ``value`` with its unit ("1,234 户", "12.4 分钟"); people and households are whole
    numbers, so ``digits`` is 0 unless the caller asks for decimals; ``None`` for a missing value."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v):
        return None
    return zh(f"maps.unit.{unit}", value=f"{v:,.{digits}f}")


def legend_text(key: str, **params: Any) -> str:
    """Return a legend entry: Chinese, then English."""
    return text(f"maps.legend.{key}", **params)


_CODE_FIELDS = ("kind", "street_class", "marker_type", "level", "condition", "coverage")
_NUMBER_FIELDS = {"households": ("households", 0), "floor_area_m2": ("m2", 0), "reach_m": ("m", 0),
                  "per100_m2": ("m2", 1), "shortfall_m2": ("m2", 0), "gain": ("households", 0),
                  "residents": ("people", 0), "residents_60plus": ("people", 0)}


def field_label(column: str) -> str:
    """Return a tooltip's label for ``column`` ("户数 households"), the column name without one."""
    message = catalogue().get(f"maps.field.{column}")
    return column if message is None else f"{message.zh} {message.en}"


def shown(column: str, value: Any) -> Any:
    """Return ``value`` of ``column`` as a map shows it: a code by its label, a number with its
    unit (people and households whole), anything else as it is."""
    if column in _CODE_FIELDS:
        return code_label(column, value)
    if column in _NUMBER_FIELDS:
        unit, digits = _NUMBER_FIELDS[column]
        return number(value, unit, digits=digits)
    return value

