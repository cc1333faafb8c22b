"""Pure rules of a standard address's labels: building, unit and room text (AD-01) and the room's floor (AD-03).

A label is stored in its full standard form: a bare number gets its generic (``3`` → ``3号楼``,
``2`` → ``2单元``, ``302`` → ``302室``); a label that already carries one (``3幢``, ``A座``, ``综合楼``,
``2单元``) is kept as written after :func:`geo.text.clean` (NFKC: ``３`` is ``3``). Only Chinese
characters (rare ones such as 𠀋 included), letters, digits and ``- · # ( )`` are allowed, at most
:data:`MAX_LABEL_CHARS`: a label is printed on a metal plate, not a place for markup. ``#1`` and ``(1)``
are the bare number 1. A label names its own level only, by a number from 1 (``0号楼``, ``-1号楼`` and a
bare ``号楼`` are refused) or a name (``综合楼``, ``东单元``, ``门卫室``), and holds no other level's word
(``1号楼1单元`` is no building).

Two siblings are one (AD-02) when address cleaning reads them as one (:func:`same_label`, by the
matcher's own :func:`geo.addresses.reading.label_core`): ``1#楼`` is ``1号楼``, ``一单元`` is ``1单元``.

Rooms are numbered floor + two digits (101, 102…, 201…; standards.md §3.3): ``302`` is on floor 3,
``1201`` on floor 12. A room whose label does not follow that needs its floor given explicitly.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from geo.addresses.reading import label_core, normalised
from geo.errors import InputError
from geo.messages import Term, catalogue, quoted, text, value_label
from geo.messages.addresses import FIELDS, LEVELS
from geo.text import clean

MAX_LABEL_CHARS = 24
MIN_FLOOR, MAX_FLOOR = -9, 99  # basements are negative; there is no floor 0
LEVEL_ORDER = ("building", "unit", "room")
GENERIC = {"building": "号楼", "unit": "单元", "room": "室"}
EXAMPLE = {"building": "3号楼", "unit": "2单元", "room": "302室"}
_ALLOWED_PUNCT = frozenset("-·#()")
_ROOM_NUMBER = re.compile(r"^(\d{1,2})(\d{2})(?:室)?$")
_BASEMENT_ROOM = re.compile(r"^(?:B|负|地下)(\d)(\d{2})(?:室)?$")


def field_label(field: str) -> Term:
    """Return a field as messages name it (the shared labels first, then this part's)."""
    shared = catalogue().get(f"field_names.{field}")
    if shared is not None:
        return Term(f"{shared.zh} {field}", field)
    zh, _en = FIELDS.get(field, (field, field))
    return Term(f"{zh} {field}", field)


def level_label(level: str) -> Term:
    """Return a level (plate, building, unit, room) in both languages: ``楼 building``."""
    zh, en = LEVELS.get(level, (level, level))
    return Term(zh, en)


def _mongolian(char: str) -> bool:
    """Mongolian script (U+1800–U+18AF, U+11660–U+1167F): the street's Mongolian name goes in name_mong,
    a building, unit or room label is Chinese, Latin letters and digits (F4)."""
    return "\u1800" <= char <= "\u18af" or "\U00011660" <= char <= "\U0001167f"


def _allowed(char: str) -> bool:
    category = unicodedata.category(char)
    return (category[0] in "LN" or char in _ALLOWED_PUNCT) and not _mongolian(char)


def clean_label(level: str, value: Any) -> str:
    """Return the standard form of a building, unit or room label, or refuse it (AD-01) naming the field."""
    field = level
    raw = "" if value is None else str(value)
    label = clean(raw).replace(" ", "").replace("（", "(").replace("）", ")")
    if not label:
        raise InputError(text("addresses.label_empty", field=field_label(field)), field=field)
    if len(label) > MAX_LABEL_CHARS:
        raise InputError(text("addresses.label_too_long", field=field_label(field), length=len(label),
                              limit=MAX_LABEL_CHARS, value=quoted(label, max_chars=30)), field=field)
    bad = next((c for c in label if not _allowed(c)), None)
    if bad is not None:
        shown = f"U+{ord(bad):04X}" if not bad.isprintable() else quoted(bad)
        visible = "".join(c if c.isprintable() else "?" for c in label)
        raise InputError(text("addresses.label_chars", field=field_label(field), value=quoted(visible, max_chars=30),
                              char=shown), field=field)
    try:
        label.encode("gb18030")
    except UnicodeEncodeError:
        raise InputError(text("addresses.label_gb18030", field=field_label(field), value=quoted(label)),
                         field=field) from None
    decorated = _DECORATED.fullmatch(label)  # "#1" and "(1)" are the bare number 1
    if decorated:
        label = decorated.group(1) or decorated.group(2)
    if re.fullmatch(r"[A-Za-z]?\d+[A-Za-z]?|[A-Za-z]", label):  # a bare number or letter: add the generic
        label = label.upper() + GENERIC[level]
    elif level == "building" and label.endswith("号"):
        label = label + "楼"
    _check_number(level, label)
    return label


# The words that name a level in a label (a building's 号楼/幢/栋/座, a unit's 单元, a room's 室).
LEVEL_WORDS = {"building": ("楼", "幢", "栋", "座"), "unit": ("单元",), "room": ("室",)}
_FILLER = "号#()-·"  # what a label may hold around its number or name, and is not one
_DECORATED = re.compile(r"#([A-Za-z]?\d+[A-Za-z]?)|\(([A-Za-z]?\d+[A-Za-z]?)\)")
_ZERO = re.compile(r"[A-Za-z]?0+[A-Za-z]?")
_OWN_THEN_NUMBER = re.compile(r"(?:楼|幢|栋|座|单元|室)([#-]?\d.*)")


def _check_number(level: str, label: str) -> None:
    """Refuse a label with no number or name, a number 0 or below, or another level inside it (AD-01).

    A label names one level: ``1号楼1单元`` given as a building is two levels, and ``号楼`` alone or
    ``0号楼`` leaves the plate's number panel empty or wrong. A named label (``综合楼``, ``东单元``,
    ``门卫室``) has no number and is kept; its number, when it has one, is read as address cleaning
    reads it (:func:`geo.addresses.reading.label_core`)."""
    field = field_label(level)
    shown = quoted(label, max_chars=30)
    label = normalised(label)  # traditional 樓 and 單元 are 楼 and 单元 to address cleaning, and here
    others = (w for other in LEVEL_ORDER if other != level for w in LEVEL_WORDS[other] if w in label)
    after_own = _OWN_THEN_NUMBER.search(label)  # "1号楼2", "1单元302": a number after the level's word
    word = next(others, None) or (after_own.group(1) if after_own else None)
    if word is not None:
        raise InputError(text("addresses.label_other_level", field=field, value=shown, word=quoted(word)),
                         field=level)
    rest = label
    for word in (w for words in LEVEL_WORDS.values() for w in words):
        rest = rest.replace(word, "")
    if not rest.strip(_FILLER):
        raise InputError(text("addresses.label_no_number", field=field, value=shown, level=level_label(level),
                              example=quoted(EXAMPLE[level])), field=level)
    if label.startswith("-") or _ZERO.fullmatch(label_core(label)):
        raise InputError(text("addresses.label_not_positive", field=field, value=shown), field=level)


def floor_of_room(room: str) -> int | None:
    """Return the floor a room label names (``302室`` → 3, ``1201`` → 12, ``B102`` → -1), or None."""
    m = _ROOM_NUMBER.match(room)
    if m and int(m.group(2)) >= 1 and int(m.group(1)) >= 1:
        return int(m.group(1))
    b = _BASEMENT_ROOM.match(room)
    if b and int(b.group(1)) >= 1:
        return -int(b.group(1))
    return None


def check_floor(room: str, floor: Any) -> int:
    """Return the room's floor: from its number, checked against ``floor`` when given (AD-03)."""
    given: int | None = None
    if floor is not None and str(floor).strip() != "":
        try:
            as_float = float(str(floor).strip())
        except ValueError:
            as_float = float("nan")
        if not as_float.is_integer() or not MIN_FLOOR <= as_float <= MAX_FLOOR or as_float == 0:
            raise InputError(text("addresses.floor_range", field=field_label("floor"), low=MIN_FLOOR, high=MAX_FLOOR,
                                  value=quoted(floor)), field="floor")
        given = int(as_float)
    derived = floor_of_room(room)
    if derived is None:
        if given is None:
            raise InputError(text("addresses.floor_needed", room=quoted(room), field=field_label("floor")),
                             field="floor")
        return given
    if given is not None and given != derived:
        raise InputError(text("addresses.floor_mismatch", field=field_label("floor"), floor=given, room=quoted(room),
                              expected=derived), field="floor")
    return derived


def same_label(a: str | None, b: str | None) -> bool:
    """Return whether two labels name the same sibling, read as address cleaning reads them
    (:func:`geo.addresses.reading.normalised`, then :func:`~geo.addresses.reading.label_core`): a
    numbered label by its number whatever its generic, numerals and leading zeros (``3号楼``, ``3#楼``, ``3幢``,
    ``三号楼`` are one building 3; ``一单元`` is ``1单元``; ``a座`` is ``A座``; ``0101`` is room ``101``, one
    room to a resident and a courier, F4)."""
    return label_core(normalised(a or "")) == label_core(normalised(b or ""))


def check_level(level: Any) -> str:
    """Return ``level`` if it is building, unit or room, else refuse naming the allowed values."""
    if level not in LEVEL_ORDER:
        allowed = Term("、".join(f"{value_label(v)}" for v in LEVEL_ORDER), ", ".join(LEVEL_ORDER))
        raise InputError(text("addresses.bad_level", field=field_label("level"), value=quoted(level),
                              allowed=allowed), field="level")
    return str(level)
