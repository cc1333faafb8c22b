"""Text as the bureau's records keep it: one form for what looks the same, nothing invisible.

Every text a write path stores goes through :func:`clean` (or :func:`clean_mongolian` for
Mongolian script): compatibility forms folded (NFKC: full-width ＡＢＣ１２３, Kangxi radicals ⼤),
invisible format characters removed (zero-width spaces, joiners, BOM, soft hyphen, Hangul
fillers), and surrounding white space trimmed. So 附１ is 附1, "\u200b" is empty and "东二环路 " is
东二环路. Mongolian keeps its joiners and free variation selectors, which shape its letters.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u034f")
_MONGOLIAN_INVISIBLE = frozenset("\u200b\ufeff\u00ad\u2060")
MONGOLIAN_LETTER = re.compile(r"[\u1820-\u1878\u1880-\u18aa]")
_MONGOLIAN_ALLOWED = re.compile(r"^[\u1800-\u18af\u202f\u200c\u200d \u00b7\-]+$")


_SUSPECT = re.compile(r"[\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f"
                      r"\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]")


def clean(value: Any) -> Any:
    """Return text in its stored form (NFKC, no format characters, trimmed); other values as given."""
    if not isinstance(value, str):
        return value
    if unicodedata.is_normalized("NFKC", value) and not _SUSPECT.search(value):
        return value.strip()  # the common case, fast: nothing to fold or remove
    folded = unicodedata.normalize("NFKC", value)
    kept = "".join(c for c in folded if unicodedata.category(c) != "Cf" and c not in _FILLERS)
    return kept.strip()


def clean_mongolian(value: Any) -> Any:
    """Return Mongolian-script text trimmed, without invisible characters that do not shape letters."""
    if not isinstance(value, str):
        return value
    return "".join(c for c in value if c not in _MONGOLIAN_INVISIBLE).strip()


def storable(text: str) -> bool:
    """Whether ``text`` can be a stored value at all: no NUL (PostgreSQL's text refuses it) and no lone surrogate
    (UTF-8 cannot encode one). Text that cannot is held by no record, and the drivers refuse it as a parameter."""
    return "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


def has_text(value: Any) -> bool:
    """Return whether ``value`` holds something a person can read (not blank, not only invisible)."""
    return bool(clean(str(value))) if value is not None else False


def is_mongolian_script(value: Any) -> bool:
    """Return whether ``value`` is Mongolian script with at least one letter (PN-10, SG-01)."""
    text = str(value or "")
    return bool(MONGOLIAN_LETTER.search(text)) and bool(_MONGOLIAN_ALLOWED.match(text))


# What shapes the letter before it, or joins it to the next: a cut never falls just before one (free variation
# selectors, Mongolian vowel separator, joiners) nor just after a joiner or the narrow no-break space that ties a
# Mongolian suffix to its word.
_TIES_TO_PREVIOUS = frozenset("\u180b\u180c\u180d\u180e\u180f\u200c\u200d")
_TIES_TO_NEXT = frozenset("\u180e\u200c\u200d\u202f")


def _inside_a_letter(text: str, at: int) -> bool:
    """Return whether a cut before ``text[at]`` would split what is read as one character: a base and its marks,
    selectors or skin-tone modifier, a joined pair (ZWJ, MVS, NNBSP), a flag (two regional indicators, or a tag
    sequence) or a Hangul syllable spelt in jamo."""
    char, before = text[at], text[at - 1]
    if unicodedata.category(char).startswith("M") or char in _TIES_TO_PREVIOUS or before in _TIES_TO_NEXT:
        return True
    if "\U0001f3fb" <= char <= "\U0001f3ff" or "\U000e0020" <= char <= "\U000e007f":  # skin tone; tag letters
        return True
    if "\u1160" <= char <= "\u11ff" or "\ud7b0" <= char <= "\ud7ff":  # a Hangul vowel or final jamo after its
        return ("\u1100" <= before <= "\u11ff" or "\ua960" <= before <= "\ua97f"  # initial, or a syllable
                or "\ud7b0" <= before <= "\ud7ff" or "\uac00" <= before <= "\ud7a3")
    if _is_regional_indicator(char) and _is_regional_indicator(before):
        run = 0  # flags pair up from the start of a run of indicators: cut between pairs only
        while at - run - 1 >= 0 and _is_regional_indicator(text[at - run - 1]):
            run += 1
        return run % 2 == 1
    return False


def _is_regional_indicator(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def cut(text: str, most_chars: int) -> str:
    """Return at most ``most_chars`` characters of ``text`` from its start, cut where a reader would cut.

    Never inside a letter: not before a combining mark or a Mongolian variation selector (cut there, the letter
    lost its form), nor between a joiner and what it joins. A Mongolian word, whose letters change form at its end,
    is not cut in the middle when a space past the first third of what is kept allows a cut between words
    (Chinese has no spaces: it is cut at any character)."""
    if len(text) <= most_chars:
        return text
    asked = end = max(most_chars, 0)
    while end > 0 and _inside_a_letter(text, end):
        end -= 1
    if end == 0:  # one "letter" longer than the room (a base under fifty marks): cut it rather than show nothing
        end = asked
    inside_word = (0 < end < len(text) and bool(MONGOLIAN_LETTER.match(text[end]))
                   and bool(MONGOLIAN_LETTER.match(text[end - 1]) or text[end - 1] in _TIES_TO_PREVIOUS))
    if inside_word and (space := text.rfind(" ", 0, end)) > 0 and space >= end // 3:
        end = space
    return text[:end].rstrip()


def clean_field(field: str, value: Any) -> Any:
    """Return ``value`` cleaned as the field it is stored in asks (Mongolian fields keep their shaping)."""
    return clean_mongolian(value) if field.endswith("_mong") else clean(value)


# Hanyu Pinyin's toned letters (both cases) and what a search types for them.
TONED_LETTERS = "āáǎàĀÁǍÀēéěèĒÉĚÈīíǐìĪÍǏÌōóǒòŌÓǑÒūúǔùŪÚǓÙǖǘǚǜüǕǗǙǛÜ"
PLAIN_LETTERS = "a" * 8 + "e" * 8 + "i" * 8 + "o" * 8 + "u" * 8 + "v" * 10


def search_folded(value: Any) -> str:
    """Return ``value`` as a text search compares it: no tone marks, spaces or apostrophes, lower
    case ("Chéngjísīhán Dàjiē" → "chengjisihandajie"); Chinese and Mongolian pass unchanged. The
    SQL twin is :func:`geo.store.search_sql.folded` (the same folding inside the database)."""
    text = str(value or "").translate(str.maketrans(TONED_LETTERS, PLAIN_LETTERS))
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if not unicodedata.combining(c) and not c.isspace() and c != "'").lower()
