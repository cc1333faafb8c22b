"""What an address starts with: the province, the city and the district of a district's adcode.

A plate's or an address's full text starts with its province and city (from the adcode's first two and
four digits, GB/T 2260) and its district's name as the data says (the district's outline row). The
public scans plates of every district one database holds (#19), so none of this is a constant.
"""

from __future__ import annotations

from geo import DISTRICT_ADCODE, DISTRICT_NAME

# The prefectures of Inner Mongolia (GB/T 2260, the adcode's first four digits): a plate's full
# address starts with its province and city; a district of another province is shown by its own name.
PROVINCE = ("15", "内蒙古自治区")
CITIES = {"1501": "呼和浩特市", "1502": "包头市", "1503": "乌海市", "1504": "赤峰市", "1505": "通辽市",
          "1506": "鄂尔多斯市", "1507": "呼伦贝尔市", "1508": "巴彦淖尔市", "1509": "乌兰察布市",
          "1522": "兴安盟", "1525": "锡林郭勒盟", "1529": "阿拉善盟"}


def province_city_parts(adcode: str | None) -> list[str]:
    """Return ``[province, city]`` of district ``adcode`` (``None``: the service's own district), the parts
    known: ``["内蒙古自治区", "呼和浩特市"]`` for 1501xx; nothing for a district of another province."""
    code = adcode or DISTRICT_ADCODE
    if not code.startswith(PROVINCE[0]):
        return []
    return [PROVINCE[1], *([CITIES[code[:4]]] if code[:4] in CITIES else [])]


def province_city(adcode: str | None) -> str:
    """Return the province and city an address in district ``adcode`` starts with, as one string."""
    return "".join(province_city_parts(adcode))


def district_name_of(adcode: str | None, name: str | None) -> str:
    """Return the name shown for district ``adcode``: its outline row's ``name`` as the data says;
    without one, 新城区 for the service's own district and nothing for another."""
    if name:
        return name
    return DISTRICT_NAME if (adcode or DISTRICT_ADCODE) == DISTRICT_ADCODE else ""
