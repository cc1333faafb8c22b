"""How an address text and a building, unit or room label are read: one reading for all who compare them.

Address cleaning (:mod:`geo.plates.address_match`) reads free text with it, and the sibling check of
the standard addresses (AD-02, :func:`geo.addresses.rules.same_label`) compares labels with it, so
``1#楼``, ``1＃楼``, ``1栋``, ``一号楼`` and ``1號樓`` are one building to both. It lives here, in the
domain layer, below the plates layer that matches addresses to plates.
"""

from __future__ import annotations

import re
import unicodedata

from geo.placenames.romanize import chinese_number

_NOISE = ("内蒙古自治区", "内蒙古", "呼和浩特市", "呼和浩特", "新城区")
# Traditional characters old registers and some phones write in addresses, read as their simplified
# form (the address parts and this district's street words; not a general converter).
_TRADITIONAL = str.maketrans("號樓單門棟區東寧華興長廣陽園豐鄉鎮衛陳張劉車廠場葉貴麗"
                             "龍鳳榮閣蘭雲電橋關灣鐵濱舊學館體萬",
                             "号楼单门栋区东宁华兴长广阳园丰乡镇卫陈张刘车厂场叶贵丽"
                             "龙凤荣阁兰云电桥关湾铁滨旧学馆体万")


def normalised(address: str) -> str:
    """Return an address as the matcher reads it: full-width digits and letters as ASCII (NFKC),
    traditional address characters as simplified, no spaces, the district's own prefix removed."""
    text = unicodedata.normalize("NFKC", address or "").translate(_TRADITIONAL)
    text = re.sub(r"\s+", "", text)
    for noise in _NOISE:
        text = text.replace(noise, "")
    return text


_GENERICS = ("号楼", "#楼", "单元", "号", "#", "楼", "栋", "幢", "座", "室", "房", "门")


def label_core(label: str) -> str:
    """Return a label's core for comparison: ``3号楼``, ``3#楼``, ``3栋``, ``三号楼`` → ``3``; ``302室`` → ``302``;
    ``B0102`` → ``B102``.

    The one reading of a building, unit or room label: the matcher compares by it, and so does the
    sibling check of the standard addresses (AD-02, :func:`geo.addresses.rules.same_label`)."""
    core = label.strip().upper()
    for generic in _GENERICS:
        if core.endswith(generic) and len(core) > len(generic):
            core = core[: -len(generic)]
            break
    if core and all(c in "零〇一二两三四五六七八九十百" for c in core):
        value = chinese_number(core)
        return str(value) if value is not None else core
    # Leading zeros of the number are not part of it, after a letter prefix too: 0102 = 102, B0102 = B102.
    return re.sub(r"^([A-Z]*)0+(?=\d)", r"\1", core)
