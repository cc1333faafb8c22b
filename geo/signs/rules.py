"""What a street name sign (路牌) may hold: its types, sides, arrows, conditions, statuses and steps.

Pure checks over plain values; the use cases in :mod:`geo.signs.register` apply them in their
transaction. Every refusal is Chinese first and names the field (and the rule where one applies:
条例第十九条 — a sign shows the standard name; SG-02 — its pinyin line is the name's ``sign_text``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from geo.errors import InputError
from geo.messages import Term, quoted, text
from geo.messages import label as shared_label
from geo.messages.signs import SIGN_FIELDS, VALUES

SIGN_TYPES = ("ordinary", "smart")            # 普通路牌 / 智能路牌 (QR to the street's public page)
SIDES = ("left", "right")                     # relative to the street's numbering direction
DIRECTIONS = ("east", "west", "north", "south", "none")  # where the arrow points (numbers increase)
CONDITIONS = ("good", "faded", "dirty", "tilted", "damaged", "missing")
STATUSES = ("active", "damaged", "replacement_queued", "replaced", "removed")
STANDING = ("active", "damaged", "replacement_queued")  # on the street today; replaced/removed are history
DAMAGING_CONDITIONS = ("damaged", "missing")
MAX_NUMBER = 9999
MAX_OFFSET_M = 40.0   # a sign stands at the kerb or a corner: farther than this from its segment is a wrong position
MAX_TEXT = 500


def sign_label(field: str) -> Term:
    """Return a sign field as messages name it (``"路牌类型 sign_type"``), else the shared label."""
    if field in SIGN_FIELDS:
        zh, _en = SIGN_FIELDS[field]
        return Term(f"{zh} {field}", field)
    return shared_label(field)


def value_term(value: str) -> Term:
    """Return a sign value as messages show it (``"智能路牌（带二维码） smart"``)."""
    zh, _en = VALUES.get(value, (value, value))
    return Term(f"{zh} {value}", value)


def values_term(values: tuple[str, ...]) -> Term:
    """Return several values joined by 、 (", " in English)."""
    terms = [value_term(v) for v in values]
    return Term("、".join(terms), ", ".join(t.en for t in terms))


def choice(value: Any, allowed: tuple[str, ...], *, field: str) -> str:
    """Return ``value`` if it is one of ``allowed``; else refuse naming the field and the choices."""
    if not isinstance(value, str) or value not in allowed:
        raise InputError(text("signs.choice", field=sign_label(field), allowed=values_term(allowed),
                              value=quoted(value)), field=field)
    return value


def number_range(number_from: Any, number_to: Any) -> tuple[int | None, int | None]:
    """Return the number range a sign shows (both or neither), each 1..MAX_NUMBER, first ≤ last."""
    if number_from is None and number_to is None:
        return None, None
    if number_from is None or number_to is None:
        raise InputError(text("signs.range_half", fields=Term(
            f"{sign_label('number_from')}、{sign_label('number_to')}", "number_from, number_to")),
            field="number_from" if number_from is None else "number_to")
    for field, value in (("number_from", number_from), ("number_to", number_to)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_NUMBER:
            raise InputError(text("signs.number_range", field=sign_label(field), most=MAX_NUMBER,
                                  value=quoted(value)), field=field)
    if number_from > number_to:
        raise InputError(text("signs.number_range", field=sign_label("number_from"), most=MAX_NUMBER,
                              value=quoted(f"{number_from}–{number_to}")), field="number_from")
    return number_from, number_to


def not_future(day: date, *, field: str, today: date) -> date:
    """Return ``day`` unless it is after ``today`` (a sign is not inspected tomorrow)."""
    if day > today:
        raise InputError(text("signs.future_date", field=sign_label(field), today=today.isoformat(),
                              value=day.isoformat()), field=field)
    return day


def not_before_install(day: date | None, installed: date | None, *, field: str) -> None:
    """Refuse a date before the sign was installed."""
    if day is not None and installed is not None and day < installed:
        raise InputError(text("signs.date_order", field=sign_label(field), value=day.isoformat(),
                              installed=installed.isoformat()), field=field)


def not_before_approval(day: date, name: Mapping[str, Any], *, field: str) -> None:
    """Refuse a sign dated before the name it shows was approved (a sign cannot show a name not yet
    given); a name with no approval date recorded is not checked."""
    approved = name.get("approval_date")
    if isinstance(approved, str):
        approved = date.fromisoformat(approved[:10]) if approved.strip() else None
    if isinstance(approved, date) and day < approved:
        raise InputError(text("signs.before_approval", field=sign_label(field), value=day.isoformat(),
                              name=name["standard_name"], approved=approved.isoformat()), field=field)


def short_text(value: Any, *, field: str) -> str | None:
    """Return a free text (remarks, reason) trimmed, refusing one over :data:`MAX_TEXT` characters."""
    if value is None:
        return None
    shown = str(value).strip()
    if len(shown) > MAX_TEXT:
        raise InputError(text("signs.text_too_long", field=sign_label(field), most=MAX_TEXT), field=field)
    return shown or None


def number_range_text(number_from: int | None, number_to: int | None) -> str:
    """Return the range as printed on a sign: ``"1–99号"`` (en dash), or "" with no range."""
    if number_from is None or number_to is None:
        return ""
    return f"{number_from}号" if number_from == number_to else f"{number_from}–{number_to}号"
