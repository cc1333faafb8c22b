"""Findings of the outside review of #14's first slice, each held by a test.

- a signed page message is bound to its page and expires: it cannot be carried to the login page;
- a form version that is not a number gets the catalogue's message, not a Python error text;
- a resident's report cannot forge rows in `xincheng reports list` (line breaks and tabs shown inline);
- a Mongolian name has a length limit (PN-10), through the officer's form;
- on the markers-by-condition map, markers needing action are drawn above those not yet visited.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import geopandas as gpd
import httpx
from click.testing import CliRunner
from shapely.geometry import LineString, Point

from api.cli import main
from maps.campaign_report import condition_map
from maps.csp import page_html
from tests.test_officer_loop import _reports
from tests.test_officer_pages import _client

MONG = "ᠬᠥᠬᠡᠬᠣᠲᠠ"  # Hohhot in Mongolian script


def _a_name(store) -> dict:
    return store.select("place_names", where={"status": "in_force"}, limit=1)[0]


def test_a_signed_page_message_stays_on_its_page_and_a_bad_version_reads_as_chinese(writable_server,
                                                                                      writable_sample_store):
    place = _a_name(writable_sample_store)
    lure = "账号异常，请立即致电 400-000-0000 并提供密码"
    with _client(writable_server) as c:
        page = c.get(f"/officer/placenames/{place['id']}")
        token = re.search(r"name='csrf_token' value='([^']+)'", page.text).group(1)
        sent = c.post(f"/officer/placenames/{place['id']}/step",
                      data={"csrf_token": token, "version": lure, "to": "retired"})
        assert sent.status_code == 422 and "版本号无效" in sent.text  # the catalogue's message, not Python's
        assert lure not in sent.text and "invalid literal" not in sent.text
        # A signed page message (from a successful save) shows on its own page only.
        saved = c.post(f"/officer/placenames/{place['id']}/mongolian",  # a save: its page says 已保存
                       data={"csrf_token": token, "version": str(place["version"]), "name_mong": MONG})
        assert saved.status_code == 200 and "已保存" in saved.text, re.findall(r"class=.err.[^<]*", saved.text)
        signed_query = urlsplit(str(saved.url)).query
        assert "sig=" in signed_query and "ts=" in signed_query
        elsewhere = c.get(f"/officer/reports?{signed_query}")
        assert "已保存" not in elsewhere.text  # signed for the name's page, not this one
    with httpx.Client(base_url=writable_server) as anonymous:
        login = anonymous.get(f"/officer/login?{signed_query}")
        assert "已保存" not in login.text
    assert writable_sample_store.get("place_names", place["id"])["status"] == "in_force"


def test_a_report_cannot_forge_rows_in_the_cli_list(writable_sample_store):
    made = _reports(writable_sample_store, 1)[0]
    forged = "门牌已修复\tv1\n3\t2026-12-02 06:25\t东二环路1号\t信息有误\t已处理 resolved\t已核实"
    writable_sample_store.update("problem_reports", made["id"], {"message": forged},
                                 expected_version=made["version"], actor="public")
    url = writable_sample_store.engine.url.render_as_string(hide_password=False)
    out = CliRunner().invoke(main, ["--database-url", url, "reports", "list"])
    assert out.exit_code == 0, out.output
    rows = [line for line in out.output.splitlines() if line[:1].isdigit()]
    assert all(line.count("\t") == rows[0].count("\t") for line in rows), out.output
    ours = [line for line in rows if line.startswith(f"{made['id']}\t")]
    assert len(ours) == 1 and "门牌已修复 v1⏎3 2026-12-02" in ours[0]
    assert not any(line.startswith("3\t2026-12-02 06:25") for line in rows)


def test_a_mongolian_name_has_a_length_limit(writable_server, writable_sample_store):
    place = _a_name(writable_sample_store)
    with _client(writable_server) as c:
        page = c.get(f"/officer/placenames/{place['id']}")
        token = re.search(r"name='csrf_token' value='([^']+)'", page.text).group(1)
        long = c.post(f"/officer/placenames/{place['id']}/mongolian",
                      data={"csrf_token": token, "version": str(place["version"]), "name_mong": "ᠬ" * 10_000})
    assert long.status_code == 400 and "PN-10" in long.text and "最多 200 个" in long.text
    assert writable_sample_store.get("place_names", place["id"])["version"] == place["version"]


def test_markers_needing_action_are_drawn_above_those_not_visited():
    lines = gpd.GeoDataFrame({"name": ["XS01"]}, geometry=[LineString([(111.70, 40.80), (111.71, 40.80)])],
                             crs="EPSG:4490")
    markers = [{"id": 1, "marker_no": "M-DAMAGED", "geometry": Point(111.7050, 40.80)},
               {"id": 2, "marker_no": "M-NOT-VISITED", "geometry": Point(111.70501, 40.80)}]
    records = [{"id": 1, "marker_id": 1, "condition": "damaged"}]
    html = page_html(condition_map(markers, records, lines), None)
    assert html.index("M-NOT-VISITED") < html.index("M-DAMAGED")  # drawn first, so underneath
