"""Which codes can name a district: GB/T 2260's county-level codes.

A county-level code is six ASCII digits: a province's two (one of the 31 provinces, autonomous regions and
municipalities of GB/T 2260), then the prefecture's two and the county's two, neither ``00`` (``150100`` is
Hohhot itself, ``150000`` Inner Mongolia). ``--district 999999`` on PostgreSQL made a district of a code no
province has, and ``150100`` one of a city (review); the four prefecture-level cities without counties are their
own county level (:data:`CITIES_WITHOUT_COUNTIES`); made-up test regions keep to the form (``1590xx``,
:mod:`data.synthetic_region.codes`).
"""

from __future__ import annotations

import re

PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15",        # 北京 天津 河北 山西 内蒙古
    "21", "22", "23",                    # 辽宁 吉林 黑龙江
    "31", "32", "33", "34", "35", "36", "37",  # 上海 江苏 浙江 安徽 福建 江西 山东
    "41", "42", "43", "44", "45", "46",  # 河南 湖北 湖南 广东 广西 海南
    "50", "51", "52", "53", "54",        # 重庆 四川 贵州 云南 西藏
    "61", "62", "63", "64", "65",        # 陕西 甘肃 青海 宁夏 新疆
})
# Prefecture-level cities without counties: their civil-affairs bureau is the county level's (东莞, 中山, 儋州, 嘉峪关).
CITIES_WITHOUT_COUNTIES = frozenset({"441900", "442000", "460400", "620200"})
_SIX_DIGITS = re.compile(r"[0-9]{6}")  # ASCII digits: \d would take １５０１０２


def is_county_code(code: str) -> bool:
    """Return whether ``code`` is a county-level code of GB/T 2260's form (the code of a district, county or
    banner), whether or not such a county exists today."""
    return code in CITIES_WITHOUT_COUNTIES or (bool(_SIX_DIGITS.fullmatch(code)) and code[:2] in PROVINCE_CODES
                                               and code[2:4] != "00" and code[4:6] != "00")
