"""Review of #17, the officer pages of the place-name work, checked again through the real server on both
backends: no write form below a replaced or revoked plate (N3), the sign history in words (N4), the heritage
forms naming their fields in Chinese (N5), a stale version shown again with the record as it is now so that
the next submit goes through (N6), and a bad ``page=`` answered with the list, never the API's JSON (N9)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from geo.addresses import add_building, edit_address
from geo.messages import SEPARATOR
from geo.placenames.lifecycle import set_protection
from geo.placenames.national_sync import list_batches, make_batch, mark_sent
from geo.plates.decisions import decide_plate_status, replace_plate
from geo.signs.register import inspect
from geo.store import Store, schema
from geo.types import beijing_today
from tests.test_divisions import DECISION as DIVISION_DECISION
from tests.test_divisions import _busy_community, _unit
from tests.test_officer_pages import CSRF, _client

DECISION = {"decision_body": "新城区民政局", "decision_doc_no": "新民发〔2026〕21号", "decision_date": "2026-11-20"}


def _free_plates(store: Store, count: int) -> list[dict]:
    """Active plates of the sample with no address below them yet."""
    used = {a["plate_uid"] for a in store.select("addresses")}
    plates = [p for p in store.select("door_plates", where={"status": "active"}, limit=400)
              if p["plate_uid"] not in used and p.get("geometry") is not None]
    return plates[:count]


def _form(html: str, action: str) -> str:
    """Return the HTML of the form posted to ``action`` (it must be on the page)."""
    assert f"action='{action}'" in html, f"no form to {action}"
    return html.split(f"action='{action}'", 1)[1].split("</form>", 1)[0]


def _version_in(html: str, action: str) -> str:
    """Return the version the form posted to ``action`` carries."""
    return re.search(r"name='version' value='(\d+)'", _form(html, action)).group(1)


def _token(html: str) -> str:
    return CSRF.search(html).group(1)


# -- N3: a replaced or revoked plate's address page offers no write form --------------------------------------

def test_a_replaced_or_revoked_plates_address_page_offers_no_form_and_says_why(writable_server,
                                                                               writable_sample_store):
    store = writable_sample_store
    old, gone = _free_plates(store, 2)
    building = add_building(store, old["plate_uid"], "1", actor="setup")
    add_building(store, gone["plate_uid"], "2", actor="setup")
    new_uid = replace_plate(store, old["plate_uid"], DECISION, expected_version=old["version"], actor="setup",
                            new_plate={"number": old["number"] + 1000})["successor"]["plate_uid"]
    decide_plate_status(store, gone["plate_uid"], "revoked", DECISION, expected_version=gone["version"],
                        actor="setup", with_addresses=True)
    old_base, gone_base, new_base = (f"/officer/plates/{u}/addresses" for u in (old["plate_uid"],
                                                                                 gone["plate_uid"], new_uid))
    with _client(writable_server) as c:
        replaced = c.get(f"{old_base}?retired=1")
        assert replaced.status_code == 200
        assert f"action='{old_base}" not in replaced.text  # no 新增楼 form, nor any other write form
        shown = unescape(replaced.text)
        assert f"门牌 「{old['plate_uid']}」 已被替换为新门牌 「{new_uid}」" in shown
        assert shown.index("已被替换") < shown.index("was replaced")  # Chinese first
        assert f"id='successor-link' href='{new_base}'" in replaced.text

        revoked = c.get(f"{gone_base}?retired=1")
        assert revoked.status_code == 200 and f"action='{gone_base}" not in revoked.text
        assert "已注销：不能再在其下新增楼" in unescape(revoked.text) and "2号楼" in revoked.text
        assert "successor-link" not in revoked.text

        # The successor's page offers the forms, for the building that moved to it too.
        successor = c.get(new_base)
        assert f"action='{new_base}/buildings'" in successor.text
        assert f"action='{new_base}/{building['address_uid']}/edit'" in successor.text
        assert "plate-closed" not in successor.text

        # A post made from a page opened before the replacement: refused (AD-05), said at the top, nothing stored.
        count = store.count("addresses")
        late = c.post(f"{old_base}/buildings", data={"building": "3", "csrf_token": _token(successor.text)})
        assert late.status_code == 409 and "AD-05" in late.text and f"action='{old_base}" not in late.text
        assert store.count("addresses") == count


# -- N4: the sign history in words ------------------------------------------------------------------------------

def _history(html: str) -> str:
    return html.split("id='history'", 1)[1].split("</table>", 1)[0]


def test_the_sign_history_names_each_action_chinese_first(writable_server, writable_sample_store):
    store = writable_sample_store
    sign = store.select("street_signs", where={"status": "active"}, limit=1)[0]
    inspect(store, sign["sign_uid"], condition="tilted", expected_version=sign["version"], actor="setup",
            actor_adcodes=[store.adcode])
    with store.writing() as conn:  # rows other writers left: a status change and an action no page knows
        for action in ("status:replaced", "weird_step"):
            conn.execute(schema.audit_log.insert().values(
                adcode=store.adcode, table_name="street_signs", record_id=sign["id"], action=action,
                actor="setup", at=datetime.now(UTC)))
    here = f"/officer/street-signs/{sign['sign_uid']}"
    with _client(writable_server) as c:
        page = c.get(here)
        stale = c.post(f"{here}/damage", data={"version": str(sign["version"]), "csrf_token": _token(page.text)})
        assert stale.status_code == 409
        history = _history(c.get(here).text)
    cells = re.findall(r"<tr><td>[^<]*</td><td>(.*?)</td>", history)
    assert "检查 <span class='en'>inspected</span>" in cells
    assert "状态改为 已更换 <span class='en'>status set to replaced</span>" in cells
    assert "其他操作（weird_step） <span class='en'>other action (weird_step)</span>" in cells
    refused = ("修改被拒绝（版本已过期，未作任何修改） "
               "<span class='en'>change refused (stale version; nothing changed)</span>")
    assert refused in cells
    for raw in ("inspect", "status:replaced", "weird_step", "refused_stale_version", "create"):
        assert raw not in cells  # never the bare code


# -- N5: the heritage forms name their fields in Chinese ----------------------------------------------------------

def test_the_heritage_forms_name_their_fields_in_chinese(writable_server, writable_sample_store):
    store = writable_sample_store
    name = store.select("place_names", where={"standard_name": "和安路"})[0]
    with _client(writable_server) as c:
        page = c.get("/officer/heritage", params={"pick": name["id"]})
        refused = c.post("/officer/heritage/list", data={
            "place_id": name["id"], "version": name["version"], "document_ref": "新政发〔2026〕8号", "reason": "老街",
            "category": "历" * 25, "csrf_token": _token(page.text)})
        assert refused.status_code == 400
        error = unescape(re.search(r"id='list-error'>(.*?)</p>", refused.text).group(1))
        radius = c.get("/officer/heritage/facility-names", params={"radius_m": "-5"})
        assert radius.status_code == 400
        radius_error = unescape(re.search(r"<p class='err'>(.*?)</p>", radius.text).group(1))
    # the Chinese half names each field by its Chinese label, the internal name beside it
    assert re.search(r"[\u4e00-\u9fff]+ category", error.split(SEPARATOR)[0]), error
    assert re.search(r"[\u4e00-\u9fff)）]+ radius_m", radius_error.split(SEPARATOR)[0]), radius_error


# -- N6: after a stale version the form carries the current one -------------------------------------------------

def test_after_a_stale_version_the_sync_and_heritage_forms_carry_the_current_one(writable_server,
                                                                                   writable_sample_store):
    store = writable_sample_store
    name = store.select("place_names", where={"standard_name": "和安路"})[0]
    name = set_protection(store, name["id"], True, expected_version=name["version"], actor="setup",
                          document_ref="新政发〔2026〕7号", reason="老街", decision_date="2026-03-01")
    batch, _ = make_batch(store, beijing_today().year, actor="setup")
    batch = mark_sent(store, batch["id"], expected_version=batch["version"], actor="setup")
    ack = f"/officer/sync/{batch['id']}/acknowledged"
    lift = f"/officer/heritage/{name['id']}/lift"
    with _client(writable_server) as c:
        token = _token(c.get("/officer/sync").text)
        stale = c.post(ack, data={"version": str(batch["version"] - 1), "ack_ref": "GJ-2026-17", "csrf_token": token})
        assert stale.status_code == 409
        said = unescape(stale.text)
        assert "记录已被他人修改：本页现显示当前记录和当前版本" in said
        assert said.index("本页现显示当前记录") < said.index("shows the record as it is")  # Chinese first
        assert _version_in(stale.text, ack) == str(batch["version"])  # the current version, not the stale one
        assert "value='GJ-2026-17'" in _form(stale.text, ack)  # what was typed stays
        again = c.post(ack, data={"version": _version_in(stale.text, ack), "ack_ref": "GJ-2026-17",
                                  "csrf_token": token})
        assert again.status_code == 200 and "GJ-2026-17" in again.text
        assert list_batches(store)[0]["ack_ref"] == "GJ-2026-17"

        decision = {"document_ref": "新政发〔2026〕9号", "reason": "道路改建", "csrf_token": token}
        stale = c.post(lift, data={**decision, "version": str(name["version"] - 1)})
        assert stale.status_code == 409 and "本页现显示当前记录和当前版本" in unescape(stale.text)
        assert _version_in(stale.text, lift) == str(name["version"])
        lifted = c.post(lift, data={**decision, "version": _version_in(stale.text, lift)})
        assert lifted.status_code == 200 and "已解除保护" in lifted.text
    assert store.get("place_names", name["id"])["protected"] is False


def test_after_a_stale_version_the_address_sign_and_division_forms_carry_the_current_one(writable_server,
                                                                                           writable_sample_store):
    store = writable_sample_store
    (plate,) = _free_plates(store, 1)
    building = add_building(store, plate["plate_uid"], "1", actor="setup")
    moved = edit_address(store, building["address_uid"], {"building": "5"}, expected_version=building["version"],
                         actor="someone-else")  # changed meanwhile
    edit = f"/officer/plates/{plate['plate_uid']}/addresses/{building['address_uid']}/edit"
    sign = store.select("street_signs", where={"status": "active"}, limit=1)[0]
    here = f"/officer/street-signs/{sign['sign_uid']}"
    with _client(writable_server) as c:
        token = _token(c.get("/officer/addresses").text)
        stale = c.post(edit, data={"version": str(building["version"]), "label": "7", "csrf_token": token})
        assert stale.status_code == 409 and "本页现显示当前记录和当前版本" in unescape(stale.text)
        assert "5号楼" in stale.text  # the address as it is now
        assert _version_in(stale.text, edit) == str(moved["version"]) and "value='7'" in _form(stale.text, edit)
        done = c.post(edit, data={"version": _version_in(stale.text, edit), "label": "7", "csrf_token": token})
        assert done.status_code == 200 and store.get("addresses", building["id"])["building"] == "7号楼"

        stale = c.post(f"{here}/inspect", data={"version": str(sign["version"] + 1), "condition": "faded",
                                                "csrf_token": token})
        assert stale.status_code == 409 and "本页现显示当前记录和当前版本" in unescape(stale.text)
        form = _form(stale.text, f"{here}/inspect")
        assert f"name='version' value='{sign['version']}'" in form and "value='faded' selected" in form
        done = c.post(f"{here}/inspect", data={"version": _version_in(stale.text, f"{here}/inspect"),
                                               "condition": "faded", "csrf_token": token})
        assert done.status_code == 200 and store.get("street_signs", sign["id"])["condition"] == "faded"

    unit = _busy_community(store)
    rename = {"code": unit["code"], "new_name": "青城新韵社区", **DIVISION_DECISION}
    with _client(writable_server, "admin") as admin:
        token = _token(admin.get("/officer/divisions").text)
        stale = admin.post("/officer/divisions/rename", data={**rename, "version": str(unit["version"] + 5),
                                                              "csrf_token": token})
        assert stale.status_code == 409 and "本页现显示当前记录和当前版本" in unescape(stale.text)
        assert f"id='chosen'>已选 <span class='en'>chosen</span>：{unit['name']}" in stale.text  # the unit as it is
        form = _form(stale.text, "/officer/divisions/rename")
        assert f"name='version' value='{unit['version']}'" in form and "value='青城新韵社区'" in form
        done = admin.post("/officer/divisions/rename", data={**rename, "version": _version_in(stale.text,
                                                             "/officer/divisions/rename"), "csrf_token": token})
        assert done.status_code == 200 and _unit(store, unit["code"])["name"] == "青城新韵社区"


# -- N9: a bad page= answers with the list, as HTML -------------------------------------------------------------

LISTS = ("/officer/addresses", "/officer/street-signs/register", "/officer/heritage", "/officer/sync",
         "/officer/placenames", "/officer/plates", "/officer/reports")
PAGED = ("/officer/addresses", "/officer/street-signs/register", "/officer/divisions", "/officer/placenames",
         "/officer/plates")  # the sample has no open report: an empty inbox has no pages to number


def test_a_bad_page_number_shows_the_nearest_page_of_the_list_and_says_so(writable_server, writable_sample_store):
    with _client(writable_server) as officer, _client(writable_server, "admin") as admin:
        for path in (*LISTS, "/officer/divisions"):
            client = admin if path == "/officer/divisions" else officer
            for bad in ("abc", "-1", "0", "99999999999999999999", "１"):
                r = client.get(path, params={"page": bad})  # no Accept header: still the page, never JSON
                assert r.status_code == 200, (path, bad, r.text[:200])
                assert r.headers["content-type"].startswith("text/html"), (path, bad)
                if path in PAGED:
                    notice = unescape(re.search(r"class='err page-notice' role='status'>(.*?)</p>", r.text).group(1))
                    assert notice.startswith(f"页码 page 「{bad}」 不是本列表的页码"), notice
                    wanted_last = bad == "99999999999999999999"
                    last = int(re.search(r"（1–(\d+)）", notice).group(1))
                    assert f"已显示第 {last if wanted_last else 1} 页" in notice, notice
        # a page number past the end of a long list shows its last page; the previous page links back into it
        r = officer.get("/officer/addresses", params={"page": "99999999999999999999", "status": ""})
        last = int(re.search(r"已显示第 (\d+) 页", unescape(r.text)).group(1))
        assert last > 1 and "rel='prev'" in r.text and f"page={last - 1}" in r.text
        # a good page number says nothing
        assert "page-notice" not in officer.get("/officer/addresses", params={"page": "1"}).text
