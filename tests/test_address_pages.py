"""The officers' standard-address pages through the real server: the list, a plate's address tree and its
forms (add, renumber, retire, print), the XLSX import; logins, roles, CSRF and hostile text (#17 item 1)."""

from __future__ import annotations

import html
import io
import re
import unicodedata

import httpx
import openpyxl

from geo.store import Store
from tests.test_officer_pages import CSRF, _client

HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
VERSION_OF = (r"action='{action}'><input type='hidden' name='csrf_token' value='[^']+'>"
              r"<input type='hidden' name='version' value='(\d+)'>")


def _free_plate(store: Store) -> dict:
    """An active plate of the sample with no addresses below it yet."""
    used = {a["plate_uid"] for a in store.select("addresses")}
    return next(p for p in store.select("door_plates", where={"status": "active"}, limit=200)
                if p["plate_uid"] not in used)


def _below(store: Store, plate_uid: str, **where: str) -> list[dict]:
    return store.select("addresses", where={"plate_uid": plate_uid, **where})


def _version_in_form(page: str, action: str) -> str:
    """Return the version the page's form posted to ``action`` carries."""
    return re.search(VERSION_OF.format(action=re.escape(action)), page).group(1)


def _assert_no_raw(page: str) -> None:
    for raw in HOSTILE:
        assert raw not in page


def test_officer_builds_renumbers_prints_and_retires_a_plates_addresses(writable_server, writable_sample_store):
    store = writable_sample_store
    plate = _free_plate(store)
    uid = plate["plate_uid"]
    base = f"/officer/plates/{uid}/addresses"
    with httpx.Client(base_url=writable_server, follow_redirects=False) as anon:  # nobody logged in: the login
        for path in ("/officer/addresses", base, "/officer/addresses/import"):
            r = anon.get(path)
            assert r.status_code == 303 and r.headers["location"].startswith("/officer/login?next=")
        expired = anon.post(f"{base}/buildings", data={"building": "5"})  # the form comes back after logging in
        assert expired.status_code == 303 and expired.headers["location"].startswith("/officer/login?next=")
        assert _below(store, uid) == []
    with _client(writable_server, "planner", expect_ok=False) as planner:  # a planner reads the API, not these
        assert planner.get(base).status_code == 403 and "无权访问" in planner.get("/officer/addresses").text
    with _client(writable_server) as c:
        # The plate page links to its address tree; the tree is empty and offers the building form.
        assert f"href='{base}'" in c.get(f"/officer/plates/{uid}").text
        tree = c.get(base)
        assert tree.status_code == 200 and "no buildings below this plate yet" in tree.text
        token = CSRF.search(tree.text).group(1)
        made = c.post(f"{base}/buildings", data={"building": "2", "csrf_token": token})
        assert made.status_code == 200 and "已新增" in made.text and "2号楼" in made.text
        (building,) = _below(store, uid, level="building")
        assert building["building"] == "2号楼" and building["standard_address"].endswith("2号楼")
        audit = store.audit_rows("addresses", building["id"])
        assert len(audit) == 1 and audit[0]["actor"] == "t-placename_officer"
        b_uid = building["address_uid"]
        c.post(f"{base}/{b_uid}/units", data={"unit": "1", "csrf_token": token})
        (unit,) = _below(store, uid, level="unit")
        done = c.post(f"{base}/{unit['address_uid']}/rooms", data={"room": "1502", "csrf_token": token})
        (room,) = _below(store, uid, level="room")
        assert room["floor"] == 15 and room["standard_address"].endswith("2号楼 1单元 1502室")
        shown = html.unescape(done.text)  # the romanized form may hold an apostrophe (Dōng'èrhuán), escaped
        assert room["standard_address"] in shown and room["romanized"] in shown
        # Refused forms: the reason beside the form, naming the field, what was typed kept, nothing stored.
        count = store.count("addresses")
        for hostile in HOSTILE:
            bad = c.post(f"{base}/buildings", data={"building": hostile, "csrf_token": token})
            assert bad.status_code == 400 and "AD-01" in bad.text and "building" in bad.text
            assert html.escape(hostile) in bad.text
            _assert_no_raw(bad.text)
        dup = c.post(f"{base}/{unit['address_uid']}/rooms", data={"room": "1502室", "csrf_token": token})
        assert dup.status_code == 409 and "AD-02" in dup.text and "value='1502室'" in dup.text
        floor = c.post(f"{base}/{unit['address_uid']}/rooms", data={"room": "1601", "floor": "3", "csrf_token": token})
        assert floor.status_code == 400 and "floor" in floor.text and "value='1601'" in floor.text
        assert store.count("addresses") == count
        # Printing: the 楼牌 and 单元牌 served to the page session (a room has none).
        page = c.get(base).text
        # Every form carries the token: log out, add a building, 3 for the building and the unit, 2 for the room.
        assert len(re.findall(r"<form[^>]*method='post'", page)) == len(CSRF.findall(page)) == 10
        assert f"{base}/{b_uid}/plate.svg?proof=1" in page and f"{base}/{room['address_uid']}/plate.svg" not in page
        svg = c.get(f"{base}/{b_uid}/plate.svg", params={"proof": "1"})
        assert svg.headers["content-type"].startswith("image/svg+xml") and re.search(r"width='900(\.0)?mm'", svg.text)
        unit_svg = c.get(f"{base}/{unit['address_uid']}/plate.svg", params={"proof": "1"})
        assert re.search(r"width='270(\.0)?mm'", unit_svg.text) and "1单元" in unit_svg.text
        assert c.get(f"{base}/{room['address_uid']}/plate.svg", params={"proof": "1"}).status_code == 400
        # Renumbering: a damaged version is 422, a stale one the conflict; the current one moves the subtree.
        edit = f"{base}/{b_uid}/edit"
        assert _version_in_form(page, edit) == "1"
        broken = c.post(edit, data={"version": "x", "label": "3", "csrf_token": token})
        assert broken.status_code == 422 and "版本号无效" in broken.text
        stale = c.post(edit, data={"version": "7", "label": "3", "csrf_token": token})
        assert stale.status_code == 409 and "已被他人修改" in stale.text and "value='3'" in stale.text
        assert store.get("addresses", building["id"])["building"] == "2号楼"
        moved = c.post(edit, data={"version": "1", "label": "3", "csrf_token": token})
        assert "已改号" in moved.text
        assert store.audit_rows("addresses", room["id"])[-1]["action"] == "renumber"
        missing = c.post(f"{base}/150102A99999999/retire", data={"version": "1", "reason": "拆除", "csrf_token": token})
        assert missing.status_code == 404 and "没有地址" in missing.text
        assert store.get("addresses", room["id"])["standard_address"].endswith("3号楼 1单元 1502室")
        # Retiring: the addresses below go with it only when asked (AD-06), in one go.
        retire = f"{base}/{b_uid}/retire"
        version = _version_in_form(moved.text, retire)
        refused = c.post(retire, data={"version": version, "reason": "拆除", "csrf_token": token})
        assert refused.status_code == 409 and "AD-06" in refused.text and "value='拆除'" in refused.text
        gone = c.post(retire, data={"version": version, "reason": "拆除", "with_children": "1", "csrf_token": token})
        assert "已注销 3 个地址" in gone.text and "no buildings below this plate yet" in gone.text
        assert {a["status"] for a in _below(store, uid)} == {"retired"}
        assert store.audit_rows("addresses", room["id"])[-1]["action"] == "retire"
        kept = c.get(base, params={"retired": "1"}).text  # a retired address keeps its id, shown as retired
        assert room["address_uid"] in kept and "已注销" in kept and f"{base}/{b_uid}/edit" not in kept
        # The list: search by part of the address or its pinyin without tones, each linking to its plate's tree.
        listed = c.get("/officer/addresses", params={"q": "3号楼1单元1502", "status": ""})
        assert room["address_uid"] in listed.text and f"/officer/plates/{uid}/addresses" in listed.text
        assert "href='/officer/addresses/import'" in listed.text
        sample = next(a for a in store.select("addresses", where={"level": "room", "status": "active"}))
        plain = "".join(ch for ch in unicodedata.normalize("NFKD", sample["romanized"])
                        if not unicodedata.combining(ch))
        by_pinyin = c.get("/officer/addresses", params={"q": plain.lower()})
        assert sample["address_uid"] in by_pinyin.text
        nothing = c.get("/officer/addresses", params={"q": HOSTILE[0]})
        assert "没有找到" in nothing.text
        _assert_no_raw(nothing.text)
        for wildcard in ("%", "_", "\\"):  # SQL LIKE's wildcards are searched for as typed, never as patterns
            assert "没有找到" in c.get("/officer/addresses", params={"q": wildcard, "status": ""}).text, wildcard
        bad_level = c.get("/officer/addresses", params={"level": "floorx"})
        assert bad_level.status_code == 400 and "level" in bad_level.text
        # Forged posts: no token, or from another site: 403 and nothing stored.
        count = store.count("addresses")
        assert c.post(f"{base}/buildings", data={"building": "8"}).status_code == 403
        other = c.post(f"{base}/buildings", data={"building": "8", "csrf_token": token},
                       headers={"Origin": "https://evil.example"})
        assert other.status_code == 403
        assert store.count("addresses") == count
    with _client(writable_server, "planner", expect_ok=False) as planner:
        planner_token = CSRF.search(planner.get(base).text).group(1)  # the 403 page's logout form
        assert planner.post(f"{base}/buildings", data={"building": "8", "csrf_token": planner_token}
                            ).status_code == 403
        assert store.count("addresses") == count


def _xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_page_stores_a_whole_sheet_or_lists_every_refused_row(writable_server, writable_sample_store):
    store = writable_sample_store
    uid = _free_plate(store)["plate_uid"]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with _client(writable_server) as c:
        form = c.get("/officer/addresses/import")
        assert "multipart/form-data" in form.text and "门牌编号" in form.text
        token = CSRF.search(form.text).group(1)
        good = _xlsx(["门牌编号", "楼号", "单元", "室号"], [[uid, "1", "1", "101"], [uid, "1", "1", "201"]])
        done = c.post("/officer/addresses/import", data={"csrf_token": token},
                      files={"file": ("开发商.xlsx", good, xlsx)})
        assert done.status_code == 200 and "已导入 4 个地址" in done.text
        assert len(_below(store, uid)) == 4
        room = _below(store, uid, level="room")[0]
        assert store.audit_rows("addresses", room["id"])[0]["actor"] == "t-placename_officer"
        before = store.count("addresses")
        bad = _xlsx(["门牌编号", "楼号", "单元", "室号"], [[uid, "2", "1", "101"], [uid, "3", "1", "1a1"],
                                                     [uid, "4", "1", HOSTILE[1]]])
        refused = c.post("/officer/addresses/import", data={"csrf_token": token},
                         files={"file": ("bad.xlsx", bad, xlsx)})
        assert refused.status_code == 400 and "导入未完成" in refused.text
        rows = re.findall(r"<tr><td>(\d+)</td><td>(第 \d+ 行：[^<]*)</td></tr>", refused.text)
        assert [int(r) for r, _ in rows] == [3, 4] and all(reason.startswith(f"第 {r} 行") for r, reason in rows)
        _assert_no_raw(refused.text)
        assert store.count("addresses") == before
        empty = c.post("/officer/addresses/import", data={"csrf_token": token})
        assert empty.status_code == 400 and "请选择" in empty.text
        wrong = c.post("/officer/addresses/import", data={"csrf_token": token},
                       files={"file": ("notes.txt", b"hello", "text/plain")})
        assert wrong.status_code == 400 and "notes.txt" in wrong.text
        forged = c.post("/officer/addresses/import", files={"file": ("x.xlsx", good, xlsx)})
        assert forged.status_code == 403 and store.count("addresses") == before
