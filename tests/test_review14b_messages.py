"""Review #14, item 10: messages name every field in Chinese, list allowed values with their labels,
echo input quoted and cut (never Python's repr, never 10,000 characters), name a stale record in words,
give bounds with their number and say how long a login lockout lasts."""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner

from api.cli import main
from geo.errors import InputError
from geo.layers import ADMIN
from geo.placenames.rules import MAX_STANDARD_NAME_CHARS, validate
from geo.plates.resident_reports import NOTE_MAX_CHARS
from geo.users import create_user
from tests.conftest import USERS, running_server, server_settings
from tests.test_officer_loop import _reports


def _officer(base: str) -> dict[str, str]:
    name, password = USERS["placename_officer"]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _message(r: httpx.Response, status: int = 422) -> str:
    assert r.status_code == status, r.text
    return r.json()["message"]


def test_api_refusals_name_fields_bounds_and_allowed_values_in_chinese(live_server):
    officer = _officer(live_server)
    with httpx.Client(base_url=live_server, headers=officer) as api:
        since = _message(api.get("/api/reports", params={"since": "2026-13-01"}))
        assert since.startswith("起始日期 since 须为日期"), since
        until = _message(api.get("/api/reports", params={"until": "tomorrow"}))
        assert until.startswith("截止日期 until"), until
        low = _message(api.get("/api/reports", params={"limit": "0"}))
        assert "不得小于 1" in low and "过小" not in low, low
        kind = _message(api.get("/api/reports", params={"kind": "bogus"}))
        assert "可选：门牌损坏 damaged_plate、信息有误 wrong_info" in kind, kind
        note = _message(api.post("/api/reports/1/resolve", json={"version": 1, "note": "x" * 5000}))
        assert note.startswith(f"处理说明 note 过长（最多 {NOTE_MAX_CHARS} 个字）"), note
        body = _message(api.post("/api/reports/1/resolve", json=[1, 2]))
        assert body.startswith("请求内容 ") and not body.startswith("请求 "), body


def test_a_huge_name_is_refused_by_its_length_and_never_echoed_in_full():
    name = "锡林郭勒北" * 2000 + "路"  # 10,001 characters
    findings = validate({"standard_name": name, "specific": name[:-1] + "x", "generic": "路",
                         "feature_class": "street", "meaning": "m", "admin_code": "150102001001",
                         "name_mong_pending": True}, [{"id": 7, "standard_name": name, "feature_class": "street"}],
                        district="150102")
    too_long = [f for f in findings if f.rule == "PN-03" and f.severity == "error" and "过长" in f.message]
    assert too_long and f"最多 {MAX_STANDARD_NAME_CHARS} 个字" in too_long[0].message, findings
    shown = "\n".join(f.message for f in findings)
    assert len(shown) < 3000 and name[:200] not in shown, len(shown)  # cut, not five copies of 10,000 characters
    assert "「锡林郭勒北" in shown and "…」" in shown and "'" not in shown


def test_echoed_input_is_quoted_not_repr_and_allowed_values_carry_labels():
    bad_class = validate({"standard_name": "新华路", "specific": "新华", "generic": "路",
                          "feature_class": "'\"></script>", "meaning": "m", "admin_code": "150102001001",
                          "name_mong_pending": True}, [], district="150102")
    message = next(f.message for f in bad_class if f.field == "feature_class")
    assert "「'\"></script>」" in message and "街路巷 street、社区 community" in message, message


def test_an_account_with_an_unknown_role_lists_the_roles_in_chinese(store):
    with pytest.raises(InputError) as refused:
        create_user(store, "clerk", "a-long-enough-password", "bogus", actor="test")
    assert "「bogus」" in refused.value.message and "系统管理员 admin" in refused.value.message
    assert "'bogus'" not in refused.value.message


def test_the_cli_names_a_stale_report_in_words_and_its_choices_with_labels(writable_sample_store):
    made = _reports(writable_sample_store, 1)[0]
    url = writable_sample_store.engine.url.render_as_string(hide_password=False)
    stale = CliRunner().invoke(main, ["--database-url", url, "reports", "resolve", str(made["id"]),
                                      "--note", "已更换", "--version", str(made["version"] + 5)])
    assert stale.exit_code != 0
    assert f"问题报告 {made['id']} 现为第 {made['version']} 版" in stale.output, stale.output
    assert "problem_reports" not in stale.output
    bad = CliRunner().invoke(main, ["--database-url", url, "reports", "list", "--kind", "bogus"])
    assert bad.exit_code == 2 and "可选：门牌损坏 damaged_plate、信息有误 wrong_info" in bad.output, bad.output


def test_the_login_lockout_says_how_many_minutes_it_lasts(store):
    create_user(store, "chief", "the-right-password-1", ADMIN, actor="test")
    with running_server(server_settings(store, login_max_failures=2, login_window_minutes=15)) as base:
        for i in range(2):
            assert httpx.post(f"{base}/api/auth/login", json={"username": "chief", "password": f"x-{i}"}
                              ).status_code == 401
        locked = httpx.post(f"{base}/api/auth/login", json={"username": "chief", "password": "x"})
        assert _message(locked, 429).startswith("登录失败次数过多") and "15 分钟" in locked.json()["message"]
        with httpx.Client(base_url=base, follow_redirects=True) as browser:
            form = browser.get("/officer/login").text
            token = form.split("name='csrf_token' value='", 1)[1].split("'", 1)[0]
            page = browser.post("/officer/login", data={"username": "chief", "password": "x", "csrf_token": token})
        assert "15 分钟" in page.text, page.text[:2000]
