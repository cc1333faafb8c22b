"""The structured standard address string of a building, unit or room, and its romanized form (pure).

Built from standard names only (条例 art.21), in the order district → sub-district → community →
street → number → building → unit → room, the parts above the plate exactly as the door plate's own
address (:func:`geo.plates.lookup.plate_view`: ``内蒙古自治区呼和浩特市新城区`` + street + ``12号``), e.g.
``内蒙古自治区呼和浩特市新城区海拉尔东路街道东风社区 兴安北路 12号 3号楼 2单元 302室``.

The romanized form follows the plate page's (street ``pinyin_toned`` + ``12 Hào``) with each name
romanized by :func:`geo.placenames.romanize.romanize` (GB/T 16159) and the generics of the levels
in their fixed forms: ``3 Hào Lóu 2 Dānyuán 302 Shì``. No Han character is left: a sub-number is in pinyin
(729附1号 → ``729 Fù 1 Hào``) and a building's ``#`` is 号 (1#楼 → ``1 Hào Lóu``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from geo.district_names import district_name_of, province_city, province_city_parts
from geo.placenames.romanize import plate_number_pinyin, romanize

# The door plate's own address parts, as geo.plates.lookup writes them (the same strings; a test keeps
# them equal). Repeated here because the gazetteer's rename calls :mod:`geo.addresses.refresh`, and the
# domain layer does not import the plates layer (ARCHITECTURE.md).
PROVINCE_CITY = "内蒙古自治区呼和浩特市"  # the service's own district's (150102): geo.district_names for any
DISTRICT = "新城区"


def number_text(number: int, suffix: str | None) -> str:
    """Return the plate's printed number as :func:`geo.plates.lookup.number_text` does: 12号, 12-1号, 12甲号."""
    suffix = (suffix or "").strip()
    if suffix and suffix[0].isdigit():
        suffix = f"-{suffix}"
    return f"{number}{suffix}号"

# The fixed generics of building, unit and room labels, longest first.
_GENERIC_PINYIN = (("号楼", "Hào Lóu"), ("单元", "Dānyuán"), ("号", "Hào"), ("楼", "Lóu"), ("幢", "Zhuàng"),
                   ("栋", "Dòng"), ("座", "Zuò"), ("室", "Shì"), ("层", "Céng"), ("梯", "Tī"))
_RUNS = re.compile(r"[0-9A-Za-z()\-·]+|[^0-9A-Za-z()\-·]+")
# "#" in a building label is 号 (1#楼 = 1号楼 → 1 Hào Lóu): romanized text carries no sign of its own.
_NUMBER_SIGNS = str.maketrans({"#": "号", "＃": "号"})


@dataclass(frozen=True)
class PlateContext:
    """The standard names above a plate: what every address below it starts with."""

    plate_uid: str
    adcode: str
    status: str
    street_name: str
    street_pinyin: str | None      # the street's stored pinyin_toned (None: romanized on the fly)
    street_mong: str | None
    number: int
    suffix: str | None
    community: str | None
    community_mong: str | None
    subdistrict: str | None
    district: str | None = None    # the district's name as its outline row says (None: 新城区 for 150102)

    @property
    def number_text(self) -> str:
        """Return the plate's number as printed: ``12号``."""
        return number_text(self.number, self.suffix)


@lru_cache(maxsize=4096)
def _toned(name: str) -> str:
    return romanize(name).pinyin_toned


@lru_cache(maxsize=4096)
def romanize_label(label: str) -> str:
    """Return a building, unit or room label in pinyin: ``3号楼`` (or ``3#楼``) → ``3 Hào Lóu``,
    ``综合楼`` → ``Zōnghélóu``."""
    words: list[str] = []
    for run in _RUNS.findall(label.translate(_NUMBER_SIGNS)):
        if run[0].isascii():
            words.append(run)
            continue
        rest = run
        tail: list[str] = []
        while rest:  # peel the fixed generics off the end: 东单元 → 东 + Dānyuán
            found = next(((zh, py) for zh, py in _GENERIC_PINYIN if rest.endswith(zh)), None)
            if found is None:
                break
            tail.insert(0, found[1])
            rest = rest[: -len(found[0])]
        if rest:
            words.append(_toned(rest))
        words.extend(tail)
    return " ".join(words)


def head_zh(ctx: PlateContext) -> list[str]:
    """Return the Chinese parts down to the plate: [district…community, street, number]."""
    area = (f"{province_city(ctx.adcode)}{district_name_of(ctx.adcode, ctx.district)}"
            f"{ctx.subdistrict or ''}{ctx.community or ''}")
    return [area, ctx.street_name, ctx.number_text]


def head_pinyin(ctx: PlateContext) -> list[str]:
    """Return the romanized parts down to the plate, in the Chinese order."""
    area = [_toned(n) for n in (*province_city_parts(ctx.adcode), district_name_of(ctx.adcode, ctx.district),
                                ctx.subdistrict, ctx.community) if n]
    street = ctx.street_pinyin or _toned(ctx.street_name)
    return [" ".join(area), street, f"{plate_number_pinyin(ctx.number, ctx.suffix)} Hào"]


def standard_address(ctx: PlateContext, labels: Sequence[str]) -> str:
    """Return the standard address of the labels below the plate (building, unit, room), spaced by part."""
    return " ".join([*head_zh(ctx), *labels])


def romanized_address(ctx: PlateContext, labels: Sequence[str]) -> str:
    """Return the romanized standard address (pinyin with tones, as the plate page's)."""
    return " ".join([*head_pinyin(ctx), *(romanize_label(x) for x in labels)])
