"""The front door over HTTP, on both backends: the landing page, the one login page, the role-aware
navigation and the 无权访问 page.

- ``/`` is an HTML page for everyone (residents, officers, inspectors, planners, GIS users) with the
  emergency numbers; a logged-in user's own section comes first.
- The login page says who it is for, keeps ``next`` and the name typed after a wrong password and
  after a refused form (CSRF), answers Chinese first, and sends each role to its home without ``next``;
  ``next`` never leads to another site.
- Every menu link a role is shown opens for that role (no 403, no bounce to the login form); a
  page of another role answers the 403 page with a link to the user's own home.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import USERS

HOMES = {"admin": "/", "placename_officer": "/officer/placenames", "boundary_inspector": "/field",
         "planner": "/maps/coverage"}
TOKEN = re.compile(r"name='csrf_token' value='([^']+)'")


def _form_token(c: httpx.Client, path: str = "/officer/login") -> str:
    return TOKEN.search(c.get(path).text).group(1)


def _post_login(c: httpx.Client, *, username: str, password: str, next_path: str = "",
                token: str | None = None) -> httpx.Response:
    data = {"username": username, "password": password, "next": next_path,
            "csrf_token": _form_token(c) if token is None else token}
    return c.post("/officer/login", data=data, headers={"Origin": str(c.base_url).rstrip("/")})


@contextmanager
def _as(base: str, role: str | None) -> Iterator[httpx.Client]:
    """Yield a browser-like client, logged in as ``role`` through the form (or nobody)."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=120) as c:
        if role is not None:
            name, password = USERS[role]
            assert _post_login(c, username=name, password=password).status_code == 303
        yield c


def _nav(html: str) -> list[str]:
    """Return the menu links of a page (its <nav>), the home link left out."""
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", html, re.S).group(1)
    return [h for h in re.findall(r"href='([^']+)'", nav) if h not in ("/", "/officer/login")]


def test_the_landing_page_serves_everyone_in_chinese_first(live_server):
    with _as(live_server, None) as anon:
        r = anon.get("/")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        text = r.text
        for zh, en in (("居民", "Residents"), ("地名管理员", "Place-name officers"),
                       ("界桩巡查员", "Boundary inspectors"), ("规划人员", "Planners"), ("GIS 用户", "GIS users")):
            assert text.index(zh) < text.index(en), zh
        assert "href='tel:110'" in text and "href='tel:120'" in text  # the public page's emergency numbers
        for link in ("/docs", "/redoc", "/ogc", "/officer/login", "/officer/placenames", "/maps/coverage"):
            assert f"href='{link}'" in text, link
        assert _nav(text) == []  # nobody logged in: no work links in the menu
    with _as(live_server, "planner") as planner:
        text = planner.get("/").text
        sections = re.findall(r"<section class='card( mine)?'>\s*<h2>([^<]+)", text)
        assert sections[0][1].strip() == "居民"  # the public part always leads…
        assert sections[1] == (" mine", "规划人员 ")  # …then the user's own


@pytest.mark.parametrize("role", sorted(HOMES))
def test_each_role_sees_only_links_it_can_use_and_lands_on_its_home(live_server, role):
    with _as(live_server, None) as c:
        name, password = USERS[role]
        r = _post_login(c, username=name, password=password)
        assert r.status_code == 303 and r.headers["location"] == HOMES[role]
        links = _nav(c.get("/").text)
        assert links, role
        for link in links:
            answer = c.get(link)
            assert answer.status_code == 200, (role, link, answer.status_code)
        others = {"/officer/placenames", "/officer/plates", "/maps/coverage", "/field/campaigns"} - set(links)
        answers = {p: c.get(p).status_code for p in others}
        assert set(answers.values()) <= {200, 403}, answers  # never a bounce to the login form
        if role != "admin":
            assert 403 in answers.values(), (role, answers)  # what the menu leaves out is really refused


def test_a_wrong_password_keeps_next_and_the_name_typed(live_server):
    with _as(live_server, None) as c:
        name, _ = USERS["boundary_inspector"]
        r = _post_login(c, username=name, password="wrong", next_path="/field/campaigns")
        assert r.status_code == 303
        query = parse_qs(urlsplit(r.headers["location"]).query)
        assert query["next"] == ["/field/campaigns"] and query["username"] == [name]
        form = c.get(r.headers["location"]).text
        assert "用户名或密码错误" in form and form.index("用户名或密码错误") < form.index("Wrong username")
        assert "name='next' value='/field/campaigns'" in form and f"value='{name}'" in form
        assert "登录后将返回：/field/campaigns" in form
        # the second try, right this time, goes where the inspector was going
        r = _post_login(c, username=name, password=USERS["boundary_inspector"][1], next_path="/field/campaigns")
        assert r.status_code == 303 and r.headers["location"] == "/field/campaigns"


def test_a_refused_login_form_is_shown_again_with_next(live_server):
    with _as(live_server, None) as c:
        name, password = USERS["planner"]
        r = _post_login(c, username=name, password=password, next_path="/maps/coverage", token="forged")
        assert r.status_code == 403 and "xc_token" not in r.headers.get("set-cookie", "")
        assert r.text.index("已拒绝") < r.text.index("Refused")
        assert "name='next' value='/maps/coverage'" in r.text and f"value='{name}'" in r.text
        fresh = TOKEN.search(r.text).group(1)  # the form shown again can be sent as it is
        again = _post_login(c, username=name, password=password, next_path="/maps/coverage", token=fresh)
        assert again.status_code == 303 and again.headers["location"] == "/maps/coverage"


def test_the_login_page_says_who_it_is_for_and_next_stays_on_this_site(live_server):
    with _as(live_server, None) as c:
        page = c.get("/officer/login").text
        assert "<title>工作人员登录</title>" in page
        for who in ("地名管理员", "界桩巡查员", "规划人员", "管理员"):
            assert who in page
        name, password = USERS["placename_officer"]
        for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/officer/login"):
            r = _post_login(c, username=name, password=password, next_path=hostile)
            assert r.status_code == 303 and r.headers["location"] == "/officer/placenames", hostile


def test_a_wrong_role_gets_the_access_denied_page_with_its_own_home(live_server):
    with _as(live_server, "boundary_inspector") as c:
        r = c.get("/officer/plates?street=%E6%96%B0%E5%8D%8E")
        assert r.status_code == 403 and r.text.index("无权访问") < r.text.index("Access denied")
        assert "href='/field'" in r.text and "回到我的首页" in r.text
    with _as(live_server, None) as anon:  # nobody logged in: the login form, the query kept in next
        r = anon.get("/officer/plates?street=%E6%96%B0%E5%8D%8E")
        assert r.status_code == 303
        assert parse_qs(urlsplit(r.headers["location"]).query)["next"] == ["/officer/plates?street=%E6%96%B0%E5%8D%8E"]


def test_the_docs_pages_and_the_icon_are_served_by_the_service(live_server):
    for path in ("/docs", "/redoc"):
        r = httpx.get(f"{live_server}{path}")
        assert r.status_code == 200 and "/static/docs/" in r.text and "cdn" not in r.text.lower()
    icon = httpx.get(f"{live_server}/favicon.ico")
    assert icon.status_code == 200 and icon.content.startswith(b"<svg")
