"""What identifies each district of a synthetic region: adcode, name, plate-uid prefix, boundary-line codes.

Adcodes are made up so they cannot be real ones: province 15 (Inner Mongolia), city codes 90..99 (no
city of the province has them; its twelve leagues and cities are 01..12, 22, 25 and 29), counties
numbered from 02 in each city (x01 is a city's 市辖区, as 150101 is Hohhot's). A few districts make a
"city" (the first four digits): PN-07 checks street names city-wide, so the region's cities are where
its duplicate street names meet. Every unit's 12-digit code starts with its district's adcode
(:func:`data.sample_district.units.admin_units`).
"""

from __future__ import annotations

from datetime import date

from data.sample_district.markers import LAST_INSPECTED
from data.sample_district.streets import ordinal
from geo.errors import InputError
from geo.messages import text

PROVINCE = "15"
FIRST_CITY = 90
LAST_CITY = 99
FIRST_COUNTY = 2
LAST_COUNTY = 99
DISTRICTS_PER_CITY = 10
_UID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # the plates' (geo.plates.rules.PLATE_UID_ALPHABET)
_LINE_DATES = tuple(sorted(LAST_INSPECTED.values()))


def most_districts(per_city: int) -> int:
    """Return how many districts a region can have with ``per_city`` districts in each city."""
    return (LAST_CITY - FIRST_CITY + 1) * min(per_city, LAST_COUNTY - FIRST_COUNTY + 1)


def check_size(districts: int, *, per_city: int) -> None:
    """Refuse a region that has no district or more than its made-up codes can number."""
    if per_city < 1 or per_city > LAST_COUNTY - FIRST_COUNTY + 1:
        raise InputError(text("region.per_city", value=per_city, most=LAST_COUNTY - FIRST_COUNTY + 1),
                         field="districts_per_city")
    if districts < 1 or districts > most_districts(per_city):
        raise InputError(text("region.districts", value=districts, most=most_districts(per_city)),
                         field="districts")


def adcode(index: int, *, per_city: int) -> str:
    """Return the adcode of district ``index`` (0-based): ``per_city`` districts in each city, 159002 first."""
    city, county = divmod(index, per_city)
    return f"{PROVINCE}{FIRST_CITY + city:02d}{FIRST_COUNTY + county:02d}"


def chinese_number(n: int) -> str:
    """Return ``n`` (1..999) in Chinese numerals: 十二, 九十九, 一百零一, 一百一十五."""
    hundreds, rest = divmod(n, 100)
    if not hundreds:
        return ordinal(rest)
    head = ordinal(hundreds) + "百"
    if rest == 0:
        return head
    return head + ("零" + ordinal(rest) if rest < 10 else ("一" if rest < 20 else "") + ordinal(rest))


def district_name(index: int) -> str:
    """Return the name of district ``index`` (0-based): 示例一区, 示例二区 …"""
    return f"示例{chinese_number(index + 1)}区"


def plate_uid_prefix(index: int) -> str:
    """Return the two characters every plate uid of district ``index`` starts with: districts draw from
    disjoint uids (``door_plates.plate_uid`` is unique in a database)."""
    high, low = divmod(index, len(_UID_ALPHABET))
    return _UID_ALPHABET[high] + _UID_ALPHABET[low]


def line_code(index: int, neighbour: int) -> str:
    """Return the code of district ``index``'s line with district ``neighbour`` (``R`` and both numbers).

    Each district keeps its own record of a line it shares, so the two records of one line carry
    two codes (``boundary_lines.line_code`` is unique in a database)."""
    return f"R{index:03d}{neighbour:03d}"


def last_inspected(index: int, neighbour: int) -> date:
    """Return the last joint inspection of the line between two districts (the same for both records)."""
    return _LINE_DATES[(index + neighbour) % len(_LINE_DATES)]
