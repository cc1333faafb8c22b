"""Announcements, the national exchange table, the change feed and address cleaning."""

from __future__ import annotations

from datetime import date

import shapely

from geo.placenames.exchange import announcement_text, change_feed, exchange_table
from geo.plates.address_match import AddressMatcher

NAME = {"id": 7, "standard_name": "春晖路", "specific": "春晖", "generic": "路", "romanization": "Chunhui Lu",
        "pinyin_toned": "Chūnhuī Lù", "admin_code": "150102003000", "status": "in_force",
        "approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2026〕12号",
        "approval_date": date(2026, 3, 1), "geometry": shapely.LineString([(111.70, 40.85), (111.71, 40.85)])}


def test_announcement_carries_every_required_item():
    text = announcement_text([NAME], unit_names={"150102003000": "中山东路街道"})
    for item in ("标准名称：春晖路", "罗马字母拼写：Chunhui Lu", "所属政区：中山东路街道", "位置描述：位于东经",
                 "批准机关：呼和浩特市人民政府", "批准时间：2026-03-01"):
        assert item in text


def test_exchange_table_uses_the_census_columns():
    table = exchange_table([NAME], unit_names={"150102003000": "中山东路街道"}, former={7: ["旧春路"]})
    row = table.iloc[0]
    assert row["标准名称"] == "春晖路" and row["罗马字母拼写"] == "Chunhui Lu" and row["曾用名"] == "旧春路"
    assert row["使用状态"] == "现今" and 111.70 <= row["东经"] <= 111.71 and row["所在行政区划"] == "中山东路街道"
    # No feature class: no census class guessed.
    columns = list(table.columns)
    assert row["普查大类"] is None and columns.index("普查大类") == columns.index("类别名称") + 1
    street = exchange_table([{**NAME, "feature_class": "street"}], unit_names={}, former={}).iloc[0]
    assert (street["类别代码"], street["普查大类"]) == (None, "交通运输设施")


def test_change_feed_is_sequence_numbered():
    from datetime import UTC, datetime

    rows = [{"id": 40, "seq": 41, "at": datetime(2026, 3, 1, tzinfo=UTC),
             "table_name": "place_names", "action": "rename", "record_id": 7, "actor": "o",
             "after": '{"standard_name": "春华路"}'}]
    (entry,) = change_feed(rows)
    assert entry["seq"] == 41  # the commit number, not the id
    assert entry["record"]["standard_name"] == "春华路"
    assert entry["time"] == "2026-03-01T00:00:00+00:00"


def test_change_feed_dates_a_change_by_beijings_day():
    """A change made at 01:00 on 2 March, Beijing time, is 17:00 UTC on 1 March: the feed dates it the 2nd."""
    from datetime import UTC, datetime

    rows = [{"id": 1, "seq": 2, "at": datetime(2026, 3, 1, 17, 0, tzinfo=UTC), "table_name": "place_names",
             "action": "create", "record_id": 7, "actor": "o", "after": None}]
    (entry,) = change_feed(rows)
    assert entry["at"] == "2026-03-02" and entry["time"] == "2026-03-01T17:00:00+00:00"
    (early,) = change_feed([{**rows[0], "at": datetime(2026, 3, 1, 15, 59, tzinfo=UTC)}])
    assert early["at"] == "2026-03-01"


def test_address_grades(sample):
    plates = sample["door_plates"]
    matcher = AddressMatcher(plates.to_dict("records"), former={"旧新华街": "新华大街"})
    row = plates[plates["street_name"] == "新华大街"].iloc[5]
    n = int(row["number"])
    exact = matcher.match(f"内蒙古自治区呼和浩特市新城区新华大街{n}号2单元")
    assert exact.grade == "exact" and exact.plate["plate_uid"] == row["plate_uid"]
    assert matcher.match(f"旧新华街{n}号").grade == "safe"          # a former name
    assert matcher.match(f"新花大街{n}号").grade == "safe"          # a wrong character, same sound
    far = matcher.match(f"新华大街{n + 5000}号")
    assert far.grade == "uncertain" and far.candidates
    assert matcher.match("火星路1号").grade == "none"
    # A number written in Chinese numerals (十二号, 二十三号) finds the same plate.
    two_digit = plates[(plates["street_name"] == "新华大街") & plates["number"].between(11, 99)].iloc[0]
    tens, ones = divmod(int(two_digit["number"]), 10)
    digits = "零一二三四五六七八九"
    spoken = ("" if tens == 1 else digits[tens]) + "十" + ("" if ones == 0 else digits[ones])
    assert matcher.match(f"新华大街{spoken}号").plate["plate_uid"] == two_digit["plate_uid"]
