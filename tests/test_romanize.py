"""Romanization against a table of correct spellings covering every rule (domain brief §2.2)."""

from __future__ import annotations

import pytest

from geo.errors import InputError
from geo.placenames.romanize import chinese_number, initials, override, romanize, split_name, toneless_key

# (rule, name, options, expected toned form) — examples from the 1984 rules and GB/T 16159.
TABLE = [
    ("RM-01", "南京路", {}, "Nánjīng Lù"),
    ("RM-01", "长安街", {}, "Cháng'ān Jiē"),
    ("RM-01", "门框胡同", {}, "Ménkuàng Hútòng"),
    ("RM-01", "北京市", {}, "Běijīng Shì"),
    ("RM-01", "泰山", {}, "Tài Shān"),
    ("RM-02", "西辽河", {}, "Xīliáo Hé"),
    ("RM-02", "景山后街", {}, "Jǐngshān Hòujiē"),
    ("RM-02", "潮白新河", {}, "Cháobái Xīnhé"),
    ("RM-02", "朝阳门内南小街", {}, "Cháoyángménnèi Nánxiǎojiē"),
    ("RM-02", "广安门北滨河路", {"specific": "广安门"}, "Guǎng'ānmén Běibīnhé Lù"),
    ("RM-03", "周口店", {}, "Zhōukǒudiàn"),
    ("RM-03", "王村", {}, "Wángcūn"),
    ("RM-03", "三岔河", {"settlement": True}, "Sānchàhé"),
    ("RM-04", "黑龙江省", {}, "Hēilóngjiāng Shěng"),
    ("RM-04", "景德镇市", {}, "Jǐngdézhèn Shì"),
    ("RM-04", "解放路南小街", {}, "Jiěfànglù Nánxiǎojiē"),
    ("RM-05", "左权县", {}, "Zuǒquán Xiàn"),
    ("RM-05", "张之洞路", {}, "Zhāngzhīdòng Lù"),
    ("RM-06", "五一广场", {}, "Wǔyī Guǎngchǎng"),
    ("RM-06", "三八路", {}, "Sānbā Lù"),
    ("RM-06", "第二松花江", {"specific": "第二 松花"}, "Dì'èr Sōnghuā Jiāng"),
    ("RM-07", "二马路", {}, "2 Mǎlù"),
    ("RM-07", "经五路", {}, "Jīng 5 Lù"),
    ("RM-07", "大川淀一巷", {}, "Dàchuāndiàn 1 Xiàng"),
    ("RM-07", "东四十二条", {"specific": "东四"}, "Dōngsì 12 Tiáo"),
    ("RM-07", "第九弄", {}, "Dì-9 Lòng"),
    ("RM-07", "1203高地", {}, "1203 Gāodì"),
    ("RM-08", "十里堡", {}, "Shílǐpù"),
    ("RM-08", "大黄堡", {}, "Dàhuángbǎo"),
    ("RM-09", "西安", {}, "Xī'ān"),
    ("RM-09", "建瓯", {}, "Jiàn'ōu"),
    ("RM-09", "天峨", {}, "Tiān'é"),
    ("RM-10", "盆儿胡同", {}, "Pénr Hútòng"),
    ("RM-12", "北京工人体育馆", {"specific": "北京 工人", "generic": "体育馆"}, "Běijīng Gōngrén Tǐyùguǎn"),
    ("district", "新城区", {}, "Xīnchéng Qū"),
    ("district", "锡林北路", {}, "Xīlín Běilù"),
    ("district", "锡林郭勒北路", {}, "Xīlínguōlè Běilù"),
    ("district", "保合少镇", {}, "Bǎohéshǎo Zhèn"),
    ("district", "哈拉沁村", {}, "Hālāqìncūn"),
    ("district", "槐园街一巷", {}, "Huáiyuánjiē 1 Xiàng"),
    ("district", "东二环路", {}, "Dōng'èrhuán Lù"),
    # RM-01/RM-12: a generic of several syllables is one word apart from the specific
    ("RM-12", "晨风服务站", {}, "Chénfēng Fúwùzhàn"),
    ("RM-12", "新华养老院", {}, "Xīnhuá Yǎnglǎoyuàn"),
    ("RM-12", "新华医院", {}, "Xīnhuá Yīyuàn"),
    ("RM-12", "兴安社区服务中心", {}, "Xīng'ānshèqū Fúwùzhōngxīn"),
]


@pytest.mark.parametrize("rule,name,options,expected", TABLE, ids=[f"{r}-{n}" for r, n, _, _ in TABLE])
def test_romanization_table(rule, name, options, expected):
    assert romanize(name, **options).pinyin_toned == expected


def test_three_forms_and_the_sign_keeps_the_apostrophe():
    r = romanize("西安")
    assert (r.pinyin_toned, r.romanization, r.sign_text) == ("Xī'ān", "Xi'an", "XI'AN")
    r = romanize("锡林北路")
    assert (r.romanization, r.sign_text) == ("Xilin Beilu", "XILIN BEILU")
    assert romanize("绿园路").romanization == "Lüyuan Lu"


def test_mongolian_origin_is_only_a_suggestion_and_override_records_why():
    suggestion = romanize("锡林郭勒北路", language_of_origin="mn")
    assert suggestion.needs_confirmation and suggestion.basis == "auto"
    chosen = override("Xilin Gol Běilù", reason="局地名录写法", basis="内蒙古地名录 p.12")
    assert chosen.basis == "override" and chosen.sign_text == "XILIN GOL BEILU"
    assert "内蒙古地名录" in chosen.reason
    with pytest.raises(InputError) as err:
        override("Xilin Gol Beilu", reason="", basis="x")
    assert err.value.field == "override_reason"


def test_split_and_numbers():
    assert split_name("锡林北路") == split_name("锡林北路", specific="锡林")
    assert chinese_number("十二") == 12 and chinese_number("二十") == 20 and chinese_number("一百零三") == 103
    assert chinese_number("五一") is None
    with pytest.raises(InputError) as err:
        split_name("新华大街", specific="中山")
    assert err.value.field == "specific"


def test_search_keys():
    assert initials("锡林北路") == "xlbl"
    assert toneless_key("锡林郭勒北路") == "xilinguolebeilu"
    assert toneless_key("西林北路") == toneless_key("锡林北路")  # a homophone


def test_le_is_read_le_in_place_names():
    assert romanize("敕勒川路").pinyin_toned == "Chìlèchuān Lù"


def test_a_generic_of_several_syllables_is_split_off_whole():
    """晨风服务站 was "Chenfengfuwu Zhan": the generic 服务站 must not lose 服务 to the specific."""
    assert romanize("晨风服务站").romanization == "Chenfeng Fuwuzhan"
    parts = split_name("晨风服务站")
    assert (parts.specific, parts.generic) == (("晨风",), "服务站")
    assert split_name("锡林社区服务中心").generic == "服务中心"
    assert split_name("锡林中心").generic == "中心"  # the shorter generic still applies on its own
