"""Romanization of Chinese place names (GB/T 16159 and the 1984 place-name rules, RM-01..RM-13).

A name is split into specific (专名), modifier, ordinal and generic (通名); each becomes a word:

- RM-01 specific and generic apart, each word capitalised: 南京路 Nánjīng Lù;
- RM-02 a one-syllable modifier joins the generic (锡林北路 Xīlín Běilù), a longer one stands apart
  (广安门北滨河路 Guǎng'ānmén Běibīnhé Lù);
- RM-03 village and settlement names are one word: 王村 Wángcūn;
- RM-04/05 a specific is one word even when it holds a generic or a person's name: 解放路南小街
  Jiěfànglù Nánxiǎojiē, 张之洞路 Zhāngzhīdòng Lù; an officer may split it into words with spaces;
- RM-06/07 number words are pinyin (五一广场 Wǔyī Guǎngchǎng), ordinals before the generic are Arabic
  (经五路 Jīng 5 Lù, 第九弄 Dì-9 Lòng);
- RM-08 place-name readings come from a district phrase table before pypinyin (锡林郭勒: lè);
- RM-09 apostrophe before a, o, e (西安 Xī'ān); RM-10 erhua as r (盆儿胡同 Pénr Hútòng);
- RM-11 three forms: toned, toneless, and sign text in capitals with the apostrophe kept;
- RM-12 a facility's name is place name, description and generic, each a word, and a modifier joins only a
  one-syllable generic: 春华社区居家养老服务站 Chūnhuáshèqū Jūjiāyǎnglǎo Fúwùzhàn (养老 stays whole);
- RM-13 for names of Mongolian origin the result is only a suggestion an officer must confirm.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from pypinyin import Style, pinyin

from geo.errors import InputError
from geo.messages import label, text

# Generic names (通名), longest first when matching a name's end. A generic of several syllables
# (服务站, 服务中心, 养老院) is one word apart from the specific (RM-01/RM-12): 晨风服务站 Chénfēng Fúwùzhàn,
# not Chénfēngfúwù Zhàn, so it must be listed whole or its first syllables are taken for the specific.
GENERICS: tuple[str, ...] = tuple(sorted({
    "大街", "大道", "路", "街", "巷", "胡同", "道", "弄", "里", "条", "马路", "快速路",
    "社区", "小区", "花园", "家园", "苑", "城", "广场", "公园", "大厦", "中心", "体育馆", "馆", "站", "院",
    "公墓", "公寓", "养老院", "敬老院", "福利院", "卫生院", "医院", "幼儿园", "小学", "中学", "学校",
    "服务站", "服务中心", "服务点", "工作站", "照料中心", "活动中心", "活动室", "卫生室",
    "图书馆", "博物馆", "纪念馆", "文化馆", "体育场",
    "桥", "立交桥", "隧道", "高地", "山", "河", "沟", "湖", "江", "渠", "水库",
    "市", "区", "县", "旗", "镇", "乡", "苏木", "街道", "省", "自治区", "盟",
    "村", "庄", "屯", "店", "堡", "营", "寨", "窑", "嘎查",
}, key=len, reverse=True))
SETTLEMENT_GENERICS = frozenset({"村", "庄", "屯", "店", "堡", "营", "寨", "窑", "嘎查"})
ONE_SYLLABLE_MODIFIERS = frozenset("东西南北中上下前后内外新老大小正")
MAX_JOINED_MODIFIERS = 2

# Generics of buildings, facilities and organisations (RM-12). Their names are "<place name><what it does>
# <generic>" (春华社区居家养老服务站): the place name, the description and the generic are separate words,
# Chūnhuáshèqū Jūjiāyǎnglǎo Fúwùzhàn; a modifier joins only a one-syllable generic (RM-12).
FACILITY_GENERICS = frozenset({
    "中心", "体育馆", "馆", "站", "院", "公墓", "公寓", "大厦", "养老院", "敬老院", "福利院", "卫生院", "医院",
    "幼儿园", "小学", "中学", "学校", "服务站", "服务中心", "服务点", "工作站", "照料中心", "活动中心", "活动室",
    "卫生室", "图书馆", "博物馆", "纪念馆", "文化馆", "体育场",
})
# Generics of the place a facility is named after (春华社区, 保合少村, 新城区), which end the place-name word
# of a facility's specific. The two-syllable ones are looked for first: 新村社区 is one place, not 新村 + 社区.
PLACE_GENERICS_IN_FACILITY_NAMES: tuple[tuple[str, ...], ...] = (
    ("社区", "小区", "街道", "嘎查", "苏木"), ("村", "镇", "乡", "区"))
# Words ending in a modifier character that are not a modifier (养老 is one word: Yǎnglǎo, not Yǎng + Lǎo…).
NOT_MODIFIER_WORDS = frozenset({"养老", "敬老", "托老", "助老", "为老", "尊老", "爱老"})

# District readings of characters whose common reading is wrong in place names (RM-08).
DISTRICT_PHRASES: dict[str, str] = {
    "锡林郭勒": "xī lín guō lè",
    "勒": "lè",  # in place names 勒 is lè (锡林郭勒, 敕勒川), not lēi
    "朝阳": "cháo yáng",
    "十里堡": "shí lǐ pù",
    "大黄堡": "dà huáng bǎo",
    "呼伦贝尔": "hū lún bèi ěr",
    "乌兰察布": "wū lán chá bù",
    "框": "kuàng",  # 普通话异读词审音表: kuàng, not the older kuāng
}

# Readings of generic names as place-name generics (RM-08): 弄 is lòng, not nòng.
GENERIC_READINGS: dict[str, str] = {"弄": "lòng", "胡同": "hú tòng"}

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_HAN = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f]")


@dataclass(frozen=True)
class Romanization:
    """The three forms of a romanized name (RM-11) and how they were made."""

    pinyin_toned: str
    romanization: str
    sign_text: str
    basis: str = "auto"            # auto | override
    needs_confirmation: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class NameParts:
    """A name split for romanization: specific words, modifier, ordinal and generic."""

    specific: tuple[str, ...]
    modifier: str
    ordinal: str
    generic: str


def chinese_number(text: str) -> int | None:
    """Return the value of a proper Chinese numeral (一, 十二, 二十, 一百零三), or None.

    Runs of digits without 十 or 百 (五一, 三八) are number words, not numbers, and give None.
    """
    if not text or any(c not in _DIGITS and c not in "十百" for c in text):
        return None
    if len(text) == 1:
        return _DIGITS.get(text, 10 if text == "十" else None)
    if "十" not in text and "百" not in text:
        return None
    total, current = 0, 0
    for c in text:
        if c == "百":
            total += (current or 1) * 100
            current = 0
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _DIGITS[c]
    return total + current


def _ordinal_suffix(rest: str) -> tuple[str, str]:
    """Split a trailing ordinal (第九, 十二, 1203) off ``rest``; return (before, ordinal)."""
    m = re.search(r"(第?)([零〇一二两三四五六七八九十百]+|[0-9]+)$", rest)
    if not m:
        return rest, ""
    body = m.group(2)
    if not body.isdigit() and chinese_number(body) is None:
        return rest, ""
    return rest[:m.start()], m.group(0)


def split_name(name: str, *, specific: str | None = None, generic: str | None = None) -> NameParts:
    """Split ``name`` into parts; ``specific`` (words separated by spaces) and ``generic`` override."""
    name = name.strip()
    if not name:
        raise InputError(text("placenames.empty_name", field=label("standard_name")), field="standard_name")
    if generic is None:
        generic = next((g for g in GENERICS if name.endswith(g) and len(name) > len(g)), "")
    elif not name.endswith(generic):
        raise InputError(text("placenames.not_ending_with_generic", name=repr(name), generic=repr(generic)),
                         field="generic")
    rest = name[:len(name) - len(generic)] if generic else name
    if specific is not None:
        joined = specific.replace(" ", "").replace("·", "")
        if not rest.startswith(joined):
            raise InputError(text("placenames.not_starting_with_specific", name=repr(name), specific=repr(joined)),
                             field="specific")
        words = tuple(w for w in re.split(r"[ ·]+", specific.strip()) if w)
        middle = rest[len(joined):]
        middle, ordinal = _ordinal_suffix(middle)
        return NameParts(words, middle, ordinal, generic)
    before, ordinal = _ordinal_suffix(rest) if generic else (rest, "")
    modifier = ""
    facility = generic in FACILITY_GENERICS
    if not ordinal and generic and (len(generic) == 1 or not facility):
        while (len(modifier) < MAX_JOINED_MODIFIERS and len(before) > 1
               and before[-1] in ONE_SYLLABLE_MODIFIERS and before[-2:] not in NOT_MODIFIER_WORDS):
            modifier = before[-1] + modifier
            before = before[:-1]
    if facility:
        return NameParts(_facility_specific(before), modifier, ordinal, generic)
    return NameParts((before,) if before else (), modifier, ordinal, generic)


def _facility_specific(before: str) -> tuple[str, ...]:
    """Split a facility's specific after the place name it starts with (RM-12): 春华社区居家养老 →
    (春华社区, 居家养老); 保合少村农村互助养老 → (保合少村, 农村互助养老). Without such a place name, or when
    nothing follows it (兴安社区服务中心), the specific is one word."""
    for generics in PLACE_GENERICS_IN_FACILITY_NAMES:
        ends = [i + len(g) for i in range(1, len(before)) for g in generics if before.startswith(g, i)]
        if ends:
            end = min(ends)
            return (before[:end], before[end:]) if end < len(before) else (before,)
    return (before,) if before else ()


def _syllables(text: str, phrases: Mapping[str, str]) -> list[str]:
    """Return one toned syllable per Han character (non-Han runs as they are)."""
    out: list[str] = []
    i = 0
    keys = sorted(phrases, key=len, reverse=True)
    chunk_start = 0

    def flush(end: int) -> None:
        if end > chunk_start:
            out.extend(item[0] for item in pinyin(text[chunk_start:end], style=Style.TONE, errors=lambda s: s))

    while i < len(text):
        hit = next((k for k in keys if text.startswith(k, i)), None)
        if hit:
            flush(i)
            out.extend(phrases[hit].split())
            i += len(hit)
            chunk_start = i
        else:
            i += 1
    flush(len(text))
    return out


def _word(text: str, phrases: Mapping[str, str]) -> str:
    """Romanize one word: syllables joined, erhua as r, apostrophes, first letter capitalised."""
    syl = _syllables(text, phrases)
    chars = [c for c in text if _HAN.match(c)]
    parts: list[str] = []
    for k, s in enumerate(syl):
        is_er = k < len(chars) and chars[k] == "儿" and parts
        if is_er:
            parts[-1] += "r"
            continue
        if parts and strip_tones(s)[:1].lower() in ("a", "o", "e"):
            s = "'" + s
        parts.append(s)
    word = "".join(parts)
    return word[:1].upper() + word[1:]


def strip_tones(text: str) -> str:
    """Remove tone marks, keeping ü."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) or c == "\u0308")
    return unicodedata.normalize("NFC", kept)


def _ordinal_word(ordinal: str) -> str:
    prefix = "Dì-" if ordinal.startswith("第") else ""
    body = ordinal.removeprefix("第")
    number = body if body.isdigit() else str(chinese_number(body))
    return prefix + number


def romanize(name: str, *, specific: str | None = None, generic: str | None = None,
             settlement: bool | None = None, language_of_origin: str | None = None,
             phrases: Mapping[str, str] = DISTRICT_PHRASES) -> Romanization:
    """Return the romanization of a place name by the rules in the module docstring.

    ``settlement`` forces (or forbids) writing the whole name as one word (RM-03); by default
    names ending in a village generic (村, 庄, 屯, 店, 堡 …) are written as one word.
    """
    parts = split_name(name, specific=specific, generic=generic)
    phrases = {**phrases, **GENERIC_READINGS}
    joined = settlement if settlement is not None else parts.generic in SETTLEMENT_GENERICS
    if joined:
        whole = "".join(parts.specific) + parts.modifier + parts.ordinal + parts.generic
        words = [_word(whole, phrases)]
    else:
        words = [_word(w, phrases) for w in parts.specific]
        if parts.ordinal:
            words.append(_ordinal_word(parts.ordinal))
        if parts.modifier and all(c in ONE_SYLLABLE_MODIFIERS for c in parts.modifier):
            words.append(_word(parts.modifier + parts.generic, phrases))
        else:
            if parts.modifier:
                words.append(_word(parts.modifier, phrases))
            if parts.generic:
                words.append(_word(parts.generic, phrases))
    toned = " ".join(w for w in words if w)
    plain = strip_tones(toned)
    return Romanization(pinyin_toned=toned, romanization=plain, sign_text=plain.upper(),
                        needs_confirmation=is_mongolian_origin(language_of_origin))


MONGOLIAN_ORIGIN = frozenset({"mn", "mon", "mongolian", "蒙古语", "蒙古", "蒙语", "蒙古文"})


def is_mongolian_origin(language: str | None) -> bool:
    """Return whether a language of origin means Mongolian, however it is written (RM-13)."""
    text = unicodedata.normalize("NFKC", str(language or ""))
    return "".join(c for c in text if unicodedata.category(c) != "Cf").strip().casefold() in MONGOLIAN_ORIGIN


def override(toned: str, *, reason: str, basis: str) -> Romanization:
    """Return an officer's romanization (RM-13), which must give its basis and reason."""
    if not (toned or "").strip():
        raise InputError(text("placenames.override_empty", field=label("pinyin_toned")), field="pinyin_toned")
    if not (reason or "").strip():
        raise InputError(text("placenames.override_reason", field=label("override_reason")), field="override_reason")
    if not (basis or "").strip():
        raise InputError(text("placenames.override_basis", field=label("romanization_basis")),
                         field="romanization_basis")
    plain = strip_tones(toned.strip())
    return Romanization(pinyin_toned=toned.strip(), romanization=plain, sign_text=plain.upper(),
                        basis="override", reason=f"{basis.strip()}: {reason.strip()}")


_NUMERAL_TAIL = re.compile(r"^(.*?)([零〇一二两三四五六七八九十百]+)$")


def plate_number_pinyin(number: int, suffix: str | None, phrases: Mapping[str, str] = DISTRICT_PHRASES) -> str:
    """Return a door-plate number with its sub-number in pinyin, without 号 (RM-07, no Han characters left):
    12 → ``12``, 12-1 → ``12-1``, 12A → ``12A``, 729附1 → ``729 Fù 1``, 12之一 → ``12 Zhī 1``, 12甲 → ``12 Jiǎ``.

    Written as :func:`geo.plates.lookup.number_text` writes the Chinese (``729附1号``), each Chinese word of
    the sub-number in pinyin and its numbers in Arabic numerals; the caller adds ``Hào``.
    """
    suffix = (suffix or "").strip()
    if not suffix or suffix.isascii():
        return f"{number}-{suffix}" if suffix[:1].isdigit() else f"{number}{suffix}"
    words = [str(number)]
    for run in re.findall(r"[0-9A-Za-z\-]+|[^0-9A-Za-z\-\s]+", suffix):
        if run.isascii():
            words.append(run)
            continue
        m = _NUMERAL_TAIL.match(run)
        value = chinese_number(m.group(2)) if m else None
        if m and value is not None:
            words += [_word(m.group(1), phrases), str(value)] if m.group(1) else [str(value)]
        else:
            words.append(_word(run, phrases))
    return " ".join(words)


def toneless_key(name: str, phrases: Mapping[str, str] = DISTRICT_PHRASES) -> str:
    """Return the toneless pinyin of the whole name, lower case, no spaces (homophone key, PN-07)."""
    return strip_tones("".join(_syllables(name, phrases))).lower().replace("ü", "v")


def initials(name: str, phrases: Mapping[str, str] = DISTRICT_PHRASES) -> str:
    """Return the pinyin initials of a name (锡林北路 → xlbl), for search."""
    return "".join(s[:1] for s in strip_tones("".join(f"{x} " for x in _syllables(name, phrases))).lower().split())
