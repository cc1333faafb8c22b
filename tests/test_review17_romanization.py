"""Issue #17, review findings 5 and 9: facility names split inside a word (养老 → Yang Lao…), and Han
characters left in romanized addresses and printed pinyin (729附1 Hào, 1# Lóu)."""

from __future__ import annotations

import re

import pytest

from geo.addresses.printing import plate_content
from geo.addresses.standard import PlateContext, romanize_label, romanized_address
from geo.placenames.romanize import plate_number_pinyin, romanize, split_name
from geo.plates.codes import PlateSigner
from geo.plates.lookup import plate_view

HAN = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f]")


# -- finding 5: facility names ------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("春华社区居家养老服务站", "Chunhuashequ Jujiayanglao Fuwuzhan"),
    ("春华社区卫生服务站", "Chunhuashequ Weisheng Fuwuzhan"),
    ("春华社区日间照料中心", "Chunhuashequ Rijian Zhaoliaozhongxin"),
    ("新城区综合养老服务中心", "Xinchengqu Zongheyanglao Fuwuzhongxin"),
    ("保合少村农村互助养老服务站", "Baoheshaocun Nongcunhuzhuyanglao Fuwuzhan"),
    ("春华社区居家养老站", "Chunhuashequ Jujiayanglao Zhan"),       # 老 of 养老 is no modifier of 站
    ("新村社区服务站", "Xincunshequ Fuwuzhan"),                      # 新村社区 is one place, not 新村 + 社区
    ("兴安社区服务中心", "Xing'anshequ Fuwuzhongxin"),
    ("保合少镇敬老院", "Baoheshaozhen Jinglaoyuan"),
])
def test_facility_names_split_into_place_description_and_generic(name, expected):
    assert romanize(name).romanization == expected


def test_the_reported_name_keeps_yanglao_whole():
    parts = split_name("春华社区居家养老服务站")
    assert (parts.specific, parts.modifier, parts.generic) == (("春华社区", "居家养老"), "", "服务站")
    rom = romanize("春华社区居家养老服务站")
    assert rom.pinyin_toned == "Chūnhuáshèqū Jūjiāyǎnglǎo Fúwùzhàn"
    assert rom.sign_text == "CHUNHUASHEQU JUJIAYANGLAO FUWUZHAN"


def test_street_modifiers_still_join_their_generic():
    assert romanize("锡林北路").pinyin_toned == "Xīlín Běilù"
    assert romanize("解放路南小街").pinyin_toned == "Jiěfànglù Nánxiǎojiē"


def test_no_sample_facility_name_breaks_inside_a_word(sample):
    names = sample["place_names"]
    elder = names[(names["feature_class"] == "facility") & names["standard_name"].str.contains("养老")]
    assert len(elder) > 30
    for row in elder.itertuples():
        assert "yang Lao" not in row.romanization and "Laofuwu" not in row.romanization, row.romanization
        if row.standard_name.endswith("社区居家养老服务站"):
            assert row.romanization.endswith("shequ Jujiayanglao Fuwuzhan"), row.romanization


# -- finding 9: no Han characters in romanized numbers and labels --------------------------------------

@pytest.mark.parametrize(("number", "suffix", "expected"), [
    (12, "", "12"), (12, "1", "12-1"), (12, "A", "12A"), (729, "附1", "729 Fù 1"), (12, "之一", "12 Zhī 1"),
    (12, "甲", "12 Jiǎ"),
])
def test_plate_number_pinyin(number, suffix, expected):
    assert plate_number_pinyin(number, suffix) == expected


def test_building_number_sign_becomes_hao():
    assert romanize_label("1#楼") == "1 Hào Lóu" == romanize_label("1号楼")
    assert romanize_label("2#") == "2 Hào"


CTX = PlateContext(plate_uid="XCV87EZX", adcode="150102", status="active", street_name="成吉思汗大街",
                   street_pinyin="Chéngjísīhán Dàjiē", street_mong="ᠴᠢᠩᠭᠢᠰ", number=729, suffix="附1",
                   community="东风社区", community_mong=None, subdistrict="海拉尔东路街道")


def test_romanized_address_of_a_sub_numbered_plate_has_no_han():
    rom = romanized_address(CTX, ["1#楼", "2单元", "302室"])
    assert rom.endswith("Chéngjísīhán Dàjiē 729 Fù 1 Hào 1 Hào Lóu 2 Dānyuán 302 Shì")
    assert not HAN.search(rom)


def test_door_plate_page_pinyin_has_no_han():
    view = plate_view({"plate_uid": "XCV87EZX", "number": 729, "suffix": "附1", "street_name": "成吉思汗大街"},
                      street={"pinyin_toned": "Chéngjísīhán Dàjiē"}, community=None, subdistrict=None,
                      elder_care=None, service_centre=None)
    assert view.number_text == "729附1号"
    assert view.address_pinyin == "Chéngjísīhán Dàjiē 729 Fù 1 Hào"


@pytest.mark.parametrize(("level", "unit", "expected"), [
    ("building", None, "CHENGJISIHAN DAJIE 729 FU 1"),
    ("unit", "2单元", "CHENGJISIHAN DAJIE 729 FU 1 1 HAO LOU"),
])
def test_printed_pinyin_line_has_no_han_and_names_the_building_on_unit_plates(level, unit, expected):
    address = {"address_uid": "A1", "level": level, "status": "active", "building": "1#楼", "unit": unit,
               "qr_token": "t0k3n"}
    plate = plate_content(address, CTX, signer=PlateSigner.from_setting("", fallback_secret="s" * 40), base_url="https://mp.example.cn",
                          street_sign_text="CHENGJISIHAN DAJIE")
    assert plate.sign_text == expected
    assert not HAN.search(plate.sign_text)
