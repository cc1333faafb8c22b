"""A map page of a database without the layers it draws says so on a page, Chinese first, and what to load:
not the API's JSON, and for the marker condition map not an English-only line (a district that has not
imported its boundary lines yet, or an empty database)."""

from __future__ import annotations

import httpx
import pytest

from geo.store import Store
from geo.users import create_user
from tests.conftest import running_server, server_settings
from tests.test_officer_pages import login


def _page(store: Store, path: str = "/maps/markers") -> httpx.Response:
    create_user(store, "adm", "admin-password-1", "admin", actor="test")
    with running_server(server_settings(store)) as base, httpx.Client(base_url=base, follow_redirects=True) as c:
        assert login(c, {"username": "adm", "password": "admin-password-1"}).status_code == 200
        return c.get(path)


@pytest.mark.parametrize("path", ["/maps/markers", "/maps/district", "/maps/coverage", "/maps/coverage/report",
                                  "/maps/coverage/report?format=xlsx", "/maps/whatif"])
def test_an_empty_database_is_told_to_load_data_on_a_page_chinese_first(store: Store, path: str):
    page = _page(store, path)
    assert page.status_code == 400, page.text
    assert page.headers["content-type"].startswith("text/html"), page.text[:300]
    assert "暂时无法生成" in page.text and "数据库还没有任何数据" in page.text and "xincheng init" in page.text
    assert page.text.index("数据库还没有任何数据") < page.text.index("the database holds no data yet")


def test_a_district_without_lines_is_told_which_layer_to_import(store: Store, sample):
    from geo.io.importer import load_layers

    load_layers(store, {"admin_units": sample["admin_units"]}, actor="test")
    page = _page(store)
    assert page.status_code == 400, page.text
    assert "界线 boundary_lines" in page.text and "--layer boundary_lines" in page.text, page.text[-2000:]
    assert page.text.index("界线") < page.text.index("boundary_lines")
