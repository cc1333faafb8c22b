"""Wording users read: one term per thing, grammar that reads, numbers in limits, labels for codes, Beijing time.

The catalogue (geo/messages/) is checked as rendered, and the API's own refusals are driven
through real HTTP on both backends: each reads Chinese first, names the field and says the
value or the limit it is about.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from api.errors import validation_message
from geo.messages import SEPARATOR, catalogue, label, text, value_label, value_labels
from geo.messages import beijing_time as shown_time
from tests.test_api import _assert_error_shape, _token

CJK = re.compile(r"[\u3400-\u9fff]")


def test_filing_approval_and_announcement_are_times_as_the_domain_says():
    """The domain and the officer form say 备案时间 / 批准时间 / 公告时间: no message says 日期 for them."""
    assert label("filed_date") == "备案时间 filed_date"
    assert label("approval_date") == "批准时间 approval_date"
    assert label("announce_date") == "公告时间 announce_date"
    for key, message in catalogue().items():
        assert not re.search(r"(备案|批准|公告)日期", message.zh), f"{key}: {message.zh}"


def test_a_field_and_its_problem_read_as_one_sentence():
    """Was "状态 status 无效：的取值不在允许范围内": the problem follows the field directly."""
    message, field = validation_message({"type": "literal_error", "loc": ("query", "status"),
                                         "msg": "Input should be 'open' or 'resolved'"})
    zh, en = message.split(SEPARATOR)
    assert field == "status" and zh == "状态 status 的取值不在允许范围内"
    assert "无效：" not in message and en == "status: Input should be 'open' or 'resolved'"
    message, _ = validation_message({"type": "int_parsing", "loc": ("query", "limit"), "msg": "Input should be ..."})
    assert message.startswith("条数上限 limit 须为整数 · ")


def test_bounds_say_their_number():
    assert text("http.bound_greater_than_equal", limit=0).startswith("不得小于 0 · ")
    assert text("http.bound_less_than_equal", limit=5000) == "不得大于 5000 · must not be greater than 5000"
    for key in ("planning.supply_values", "planning.demand_values"):
        assert "不得小于 0" in catalogue()[key].zh and "非负" not in catalogue()[key].zh


def test_codes_are_shown_by_their_chinese_label():
    assert value_label("arterial") == "主干路 arterial" and value_label("arterial").en == "arterial"
    assert value_label("intact") == "完好 intact"
    assert value_label("buried", field="condition") == "掩埋 buried"
    # the same code means different things in different fields
    assert value_label("expressway", field="street_class") == "快速路 expressway"
    assert value_label("expressway", field="kind") == "高速公路 expressway"
    assert value_label("village", field="street_class") == "村内道路 village"
    assert value_label("planner") == "规划人员 planner"
    labelled = value_labels(("local", "lane"), field="street_class")
    assert labelled == "支路 local、巷 lane" and labelled.en == "local, lane"
    assert value_label("no_such_code") == "no_such_code"


def test_times_are_read_in_beijing_time():
    """Stored 00:30 UTC on 2 December is 08:30 in Hohhot; the label says which clock."""
    assert shown_time(datetime(2026, 12, 2, 0, 30, tzinfo=UTC)) == \
        "2026-12-02 08:30（北京时间） · 2026-12-02 08:30 (Beijing time, UTC+8)"
    assert shown_time(datetime(2026, 12, 1, 20, 5)).startswith("2026-12-02 04:05")  # naive: stored UTC


# --- the API's own refusals, through real HTTP on both backends ---------------------------------------

def _chinese_first(body: dict, *, names: str) -> tuple[str, str]:
    zh, en = body["message"].split(SEPARATOR, 1)
    assert CJK.match(body["message"]), body["message"]
    assert names in zh and re.search(r"[A-Za-z]", en), body["message"]
    return zh, en


def test_router_refusals_are_chinese_first_and_name_the_field(live_server):
    r = httpx.get(f"{live_server}/api/layers/facilities/features", params={"limit": 10**6})
    zh, en = _chinese_first(_assert_error_shape(r, 400, "limit"), names="条数上限 limit")
    assert "1000000" in zh and "offset" in en
    h = _token(live_server, "placename_officer")
    r = httpx.get(f"{live_server}/api/gazetteer/exchange", headers=h, params={"format": "pdf"})
    zh, _en = _chinese_first(_assert_error_shape(r, 400, "format"), names="格式 format")
    assert "「pdf」" in zh and "csv, xlsx" in zh
    r = httpx.get(f"{live_server}/api/gazetteer/announcement", headers=h, params={"ids": "1,x"})
    _chinese_first(_assert_error_shape(r, 400, "ids"), names="记录编号 ids")
    r = httpx.get(f"{live_server}/api/layers/door_plates/export", headers=h, params={"format": "shp"})
    zh, _en = _chinese_first(_assert_error_shape(r, 400, "format"), names="Shapefile")
    assert "xincheng export" in zh


def test_marker_refusals_name_position_and_version(live_server):
    h = _token(live_server, "admin")
    r = httpx.post(f"{live_server}/api/markers/1/move", headers=h, json={"position": [111.7, 40.8]})
    _chinese_first(_assert_error_shape(r, 400, "version"), names="缺少必填字段 版本 version")
    r = httpx.post(f"{live_server}/api/markers/1/move", headers=h, json={"position": [111.7], "version": 1})
    zh, _en = _chinese_first(_assert_error_shape(r, 400, "position"), names="位置 position")
    assert "[经度, 纬度]" in zh


@pytest.mark.parametrize("fmt", ["pdf"])
def test_planning_refusals_list_what_is_allowed(live_server, fmt):
    h = _token(live_server, "planner")
    r = httpx.get(f"{live_server}/api/planning/coverage/plates", headers=h, params={"status": "far"}, timeout=120)
    zh, _en = _chinese_first(_assert_error_shape(r, 400, "status"), names="状态 status")
    assert "超出步行范围 beyond" in zh  # the allowed values by their labels
    r = httpx.get(f"{live_server}/api/planning/report", headers=h, params={"format": fmt}, timeout=120)
    _chinese_first(_assert_error_shape(r, 400, "format"), names="格式 format")
