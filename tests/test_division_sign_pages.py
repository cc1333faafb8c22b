"""The division-change pages (admins) and the street-sign register pages (officers) through the real server,
on both backends: what each page shows, each form through its use case (the stored record and its audit row),
refusals shown beside the form with nothing stored, stale versions, roles, CSRF, and hostile text escaped."""

from __future__ import annotations

import json
import re
from html import unescape

import httpx
import shapely

from tests.test_divisions import DECISION, _adjoining_villages, _busy_community, _halves, _unit
from tests.test_officer_pages import _client, form_token

HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


def _escaped(html: str) -> None:
    """Assert no hostile text reached the page unescaped."""
    for bad in HOSTILE:
        assert bad not in html


def _post(c: httpx.Client, path: str, page: str, data: dict, *, files: dict | None = None,
          headers: dict | None = None) -> httpx.Response:
    """Post a form with the CSRF token of the page it is on, as a browser would."""
    return c.post(path, data={**data, "csrf_token": form_token(c, page)}, files=files, headers=headers)


def _geojson(*features: tuple[str, object]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name}, "geometry": shapely.geometry.mapping(geom)}
        for name, geom in features]}, ensure_ascii=False).encode()


def _audit(store, table: str, record_id: int, action: str) -> list[dict]:
    return [r for r in store.audit_rows(table, record_id) if r["action"] == action]


def test_an_admin_renames_splits_merges_and_creates_through_the_pages(writable_server, writable_sample_store):
    store, base = writable_sample_store, writable_server
    with httpx.Client(base_url=base, follow_redirects=False) as anon:
        r = anon.get("/officer/divisions")
        assert r.status_code == 303 and r.headers["location"].startswith("/officer/login")
        assert anon.get("/officer/divisions/changes/1").headers["location"].startswith("/officer/login")
    with _client(base, "placename_officer") as officer:   # an officer, not an admin: 403, for pages and forms
        denied = officer.get("/officer/divisions")
        assert denied.status_code == 403 and "无权访问" in denied.text
        token = form_token(officer, "/officer/placenames")
        assert officer.post("/officer/divisions/rename", data={"csrf_token": token}).status_code == 403

    unit = _busy_community(store)
    with _client(base, "admin") as admin:
        page = admin.get("/officer/divisions")
        assert page.status_code == 200 and "区划调整" in page.text
        # Search by the current name: the unit, its version and a link to its code history.
        found = admin.get("/officer/divisions", params={"q": unit["name"]})
        assert f"/officer/divisions/units/{unit['code']}" in found.text and unit["name"] in found.text
        nothing = admin.get("/officer/divisions", params={"q": HOSTILE[1]})
        assert nothing.status_code == 200 and "&lt;img src=x onerror=alert(1)&gt;" in nothing.text
        _escaped(nothing.text)
        chosen = admin.get("/officer/divisions", params={"unit": unit["code"]})
        assert f"name='version' value='{unit['version']}'" in chosen.text

        form = {"code": unit["code"], "version": str(unit["version"]), "new_name": "青城新韵社区", **DECISION}
        # The decision missing: refused naming the field, Chinese first, the form kept as typed.
        r = _post(admin, "/officer/divisions/rename", "/officer/divisions", {**form, "decision_body": ""})
        assert r.status_code == 400 and "区划调整须依据决定" in r.text and "决定机关 decision_body" in r.text
        assert "value='青城新韵社区'" in r.text and _unit(store, unit["code"])["name"] == unit["name"]
        # Hostile text is refused and shown escaped.
        r = _post(admin, "/officer/divisions/rename", "/officer/divisions", {**form, "new_name": HOSTILE[0] + "社区"})
        assert r.status_code == 400 and "&lt;script&gt;" in r.text
        _escaped(r.text)
        # A stale version: the conflict message, nothing stored.
        r = _post(admin, "/officer/divisions/rename", "/officer/divisions", {**form, "version": "99"})
        assert r.status_code == 409 and "已被他人修改" in r.text
        r = _post(admin, "/officer/divisions/rename", "/officer/divisions", {**form, "version": "v1"})
        assert r.status_code == 422 and "版本号无效" in r.text
        # No CSRF token, or another site's Origin: 403, nothing stored.
        assert admin.post("/officer/divisions/rename", data=form).status_code == 403
        r = _post(admin, "/officer/divisions/rename", "/officer/divisions", form,
                  headers={"Origin": "https://evil.example"})
        assert r.status_code == 403
        assert _unit(store, unit["code"])["name"] == unit["name"]

        done = _post(admin, "/officer/divisions/rename", "/officer/divisions", form)
        assert done.status_code == 200 and "/officer/divisions/changes/" in str(done.url)
        assert "已记录区划调整" in done.text and "青城新韵社区" in done.text and unit["name"] in done.text
        renamed = _unit(store, unit["code"])
        assert renamed["name"] == "青城新韵社区"
        assert [a["actor"] for a in _audit(store, "admin_units", renamed["id"], "division_rename")] == ["t-admin"]
        # The former name finds the unit, with its history.
        former = admin.get("/officer/divisions", params={"q": unit["name"]})
        assert unit["code"] in former.text and "青城新韵社区" in former.text

        # Split: a file that is not GeoJSON, then a line instead of polygons: refused, nothing stored.
        split = {"code": unit["code"], "version": str(renamed["version"]), **DECISION}
        r = _post(admin, "/officer/divisions/split", "/officer/divisions", split,
                  files={"parts": ("parts.geojson", b"{not json", "application/geo+json")})
        assert r.status_code == 400 and "无法读取 GeoJSON 文件" in r.text and "parts.geojson" in r.text
        west, east = _halves(renamed["geometry"])
        line = shapely.LineString(list(west.exterior.coords)[:2]) if west.geom_type == "Polygon" else west.boundary
        r = _post(admin, "/officer/divisions/split", "/officer/divisions", split,
                  files={"parts": ("parts.geojson", _geojson(("西社区", line), ("东社区", east)), "application/json")})
        assert r.status_code == 400 and "parts[0]" in r.text
        r = _post(admin, "/officer/divisions/split", "/officer/divisions", split)
        assert r.status_code == 400 and "请选择 GeoJSON 文件" in r.text
        assert _unit(store, unit["code"])["status"] in (None, "active")
        done = _post(admin, "/officer/divisions/split", "/officer/divisions", split,
                     files={"parts": ("parts.geojson", _geojson(("锡林西社区", west), ("锡林东社区", east)),
                                      "application/geo+json")})
        assert done.status_code == 200 and "已记录区划调整" in done.text, done.text
        change_id = int(re.search(r"/changes/(\d+)", str(done.url)).group(1))
        assert _unit(store, unit["code"])["status"] == "retired"
        new_units = [u for u in store.select("admin_units", where={"parent_code": unit["parent_code"]})
                     if u["name"] in ("锡林西社区", "锡林东社区")]
        assert len(new_units) == 2
        counts = {u["code"]: store.count("door_plates", where={"community_code": u["code"]}) for u in new_units}
        assert sum(counts.values()) > 0
        for code, count in counts.items():   # what moved: each new unit's plates, linked to the plate list
            assert f"门牌 <span class='en'>plates</span> {count:,}" in done.text
            if count:
                assert f"/officer/plates?community={code}" in done.text
        assert f"/officer/divisions/changes/{change_id}" in admin.get("/officer/divisions").text
        chain = admin.get(f"/officer/divisions/units/{new_units[0]['code']}")
        assert chain.status_code == 200 and unit["code"] in chain.text and "新政发〔2026〕12号" in chain.text

        # Merge two adjoining villages under the code the page offers (PN-13, as the use case takes it).
        a, b = _adjoining_villages(store)
        offered_page = admin.get("/officer/divisions", params={"unit": a["code"]})
        offered = re.search(r"id='offer'>.*?<b>(\d{12})</b>", offered_page.text).group(1)
        assert offered.startswith(a["parent_code"][:9])
        merge = {"units_0": a["code"], "versions_0": str(a["version"]), "units_1": b["code"],
                 "versions_1": str(b["version"]), "name": "团结村", "code": offered, **DECISION}
        r = _post(admin, "/officer/divisions/merge", "/officer/divisions", {**merge, "versions_1": "99"})
        assert r.status_code == 409 and "已被他人修改" in r.text and f"value='{b['code']}'" in r.text
        done = _post(admin, "/officer/divisions/merge", "/officer/divisions",
                     {**merge, "decision_body": "新城区人民政府" + HOSTILE[1]})
        assert done.status_code == 200 and "已记录区划调整" in done.text
        listed = admin.get("/officer/divisions").text
        for html in (done.text, listed):   # the stored decision, shown escaped on the change and in the list
            assert "新城区人民政府&lt;img src=x onerror=alert(1)&gt;" in html
            _escaped(html)
        merged = _unit(store, offered)
        assert merged["name"] == "团结村" and merged["status"] == "active"
        assert _unit(store, a["code"])["status"] == _unit(store, b["code"])["status"] == "retired"
        assert _audit(store, "admin_units", merged["id"], "create")[0]["actor"] == "t-admin"

        # Create on land a sibling holds: refused with the overlap, nothing stored.
        create = {"parent_code": merged["parent_code"], "level": "village", "name": "新建村", **DECISION}
        before = store.count("admin_units")
        r = _post(admin, "/officer/divisions/create", "/officer/divisions", create,
                  files={"geometry": ("unit.geojson", _geojson(("新建村", merged["geometry"])), "application/json")})
        assert r.status_code == 409 and "重叠" in r.text and "value='新建村'" in r.text
        assert store.count("admin_units") == before


def _arterial(store) -> dict:
    return next(s for s in store.select("streets", where={"street_class": "arterial"}) if s["place_name_id"])


def test_an_officer_keeps_the_sign_register_through_the_pages(writable_server, writable_sample_store):
    store, base = writable_sample_store, writable_server
    with httpx.Client(base_url=base, follow_redirects=False) as anon:
        assert anon.get("/officer/street-signs/register").headers["location"].startswith("/officer/login")
        some = store.select("street_signs", limit=1)[0]["sign_uid"]
        assert anon.get(f"/officer/street-signs/{some}/sign.svg").status_code == 303
    with _client(base, "planner", expect_ok=False) as planner:
        assert planner.get("/officer/street-signs/register").status_code == 403
        assert planner.get(f"/officer/street-signs/{some}").status_code == 403
        token = form_token(planner, "/maps/coverage")
        r = planner.post(f"/officer/street-signs/{some}/inspect", data={"csrf_token": token, "version": "1",
                                                                         "condition": "good"})
        assert r.status_code == 403 and store.select("street_signs", where={"sign_uid": some})[0]["version"] == 1

    street = _arterial(store)
    foot = street["geometry"].interpolate(0.5, normalized=True)
    with _client(base) as officer:
        register = officer.get("/officer/street-signs/register")
        assert register.status_code == 200 and f"/officer/street-signs/{some}" in register.text
        assert "共 " in register.text
        by_street = officer.get("/officer/street-signs/register", params={"street": street["name"], "status": "active"})
        on_street = {s["id"] for s in store.select("streets", where={"name": street["name"]})}
        listed = re.findall(r"href='/officer/street-signs/(S\w+)'", by_street.text)
        assert listed and all(r["street_id"] in on_street and r["status"] == "active"
                              for uid in listed for r in store.select("street_signs", where={"sign_uid": uid}))
        bad = officer.get("/officer/street-signs/register", params={"status": "neon"})
        assert bad.status_code == 400 and "须为" in bad.text

        install = {"street_id": str(street["id"]), "lonlat": f"{foot.x:.6f},{foot.y + 0.0001:.6f}",
                   "crs": "EPSG:4490", "sign_type": "smart", "number_from": "1", "number_to": "99",
                   "remarks": HOSTILE[1]}
        count = store.count("street_signs")
        r = _post(officer, "/officer/street-signs/register/install", "/officer/street-signs/register",
                  {**install, "lonlat": "111.0,40.0"})
        assert r.status_code == 400 and "位置 经度,纬度 lonlat" in r.text and "value='111.0,40.0'" in r.text
        r = _post(officer, "/officer/street-signs/register/install", "/officer/street-signs/register",
                  {**install, "sign_type": "neon"})
        assert r.status_code == 400 and "路牌类型 sign_type" in r.text
        _escaped(r.text)
        assert officer.post("/officer/street-signs/register/install", data=install).status_code == 403
        assert store.count("street_signs") == count

        made = _post(officer, "/officer/street-signs/register/install", "/officer/street-signs/register", install)
        assert made.status_code == 200 and "已设置路牌" in made.text
        uid = re.search(r"/officer/street-signs/(S\w+)", str(made.url)).group(1)
        (sign,) = store.select("street_signs", where={"sign_uid": uid})
        assert sign["shows_name"] == street["name"] and sign["remarks"] == HOSTILE[1] and sign["version"] == 1
        assert _audit(store, "street_signs", sign["id"], "create")[0]["actor"] == "t-placename_officer"
        assert "&lt;img src=x onerror=alert(1)&gt;" in made.text and street["name"] in made.text
        _escaped(made.text)
        svg = officer.get(f"/officer/street-signs/{uid}/sign.svg", params={"proof": "true"})
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        assert street["name"] in unescape(svg.text)

        here = f"/officer/street-signs/{uid}"
        r = _post(officer, f"{here}/inspect", here, {"version": "1", "condition": "rusty"})
        assert r.status_code == 400 and "完好状况 condition" in r.text
        r = _post(officer, f"{here}/inspect", here, {"version": "1", "condition": "tilted"},
                  headers={"Origin": "https://evil.example"})
        assert r.status_code == 403
        r = _post(officer, f"{here}/inspect", here, {"version": "1", "condition": "tilted"})
        assert r.status_code == 200 and "已记录检查" in r.text
        assert store.select("street_signs", where={"sign_uid": uid})[0]["condition"] == "tilted"
        assert _audit(store, "street_signs", sign["id"], "inspect")
        stale = _post(officer, f"{here}/damage", here, {"version": "1"})
        assert stale.status_code == 409 and "已被他人修改" in stale.text
        r = _post(officer, f"{here}/damage", here, {"version": "2", "condition": "missing"})
        assert r.status_code == 200
        assert store.select("street_signs", where={"sign_uid": uid})[0]["status"] == "damaged"

        replaced = _post(officer, f"{here}/replace", here, {"version": "3", "crs": "EPSG:4490"})
        assert replaced.status_code == 200 and "已更换" in replaced.text
        new_uid = re.search(r"/officer/street-signs/(S\w+)", str(replaced.url)).group(1)
        old = store.select("street_signs", where={"sign_uid": uid})[0]
        assert old["status"] == "replaced" and old["successor_sign_uid"] == new_uid
        assert f"/officer/street-signs/{uid}" in replaced.text   # the new sign links the one it replaces
        there = f"/officer/street-signs/{new_uid}"
        r = _post(officer, f"{there}/remove", there, {"version": "x", "reason": "道路封闭"})
        assert r.status_code == 422 and "版本号无效" in r.text
        r = _post(officer, f"{there}/remove", there, {"version": "1", "reason": ""})
        assert r.status_code == 400 and "原因 reason" in r.text
        r = _post(officer, f"{there}/remove", there, {"version": "1", "reason": "道路封闭"})
        assert r.status_code == 200 and "id='final'" in r.text
        gone = store.select("street_signs", where={"sign_uid": new_uid})[0]
        assert gone["status"] == "removed" and "道路封闭" in gone["remarks"]
        assert "remove" in r.text and "t-placename_officer" in r.text   # the history (audit rows)


def test_an_admin_creates_a_community_on_free_land(store):
    """The sample's units tile the district, so a create is tried on a small hand-made 街道: its west third held by
    one community, a new one in the east third under the code the page offers, taking the plates inside it."""
    from geo import crs as C
    from geo.users import create_user
    from tests.conftest import USERS, running_server, server_settings

    x0, y0 = 560_000.0, 4_530_000.0

    def rect(x1, y1, x2, y2):
        return C.from_metric(shapely.box(x0 + x1, y0 + y1, x0 + x2, y0 + y2))

    store.insert("admin_units", [
        {"code": "150102000000", "name": "新城区", "level": "district", "geometry": rect(-5000, -5000, 8000, 8000)},
        {"code": "150102001000", "name": "西街街道", "level": "subdistrict", "parent_code": "150102000000",
         "geometry": rect(0, 0, 3000, 3000)},
        {"code": "150102001001", "name": "西一社区", "level": "community", "parent_code": "150102001000",
         "geometry": rect(0, 0, 1000, 3000), "households": 0}], actor="test")
    store.insert("door_plates", [
        {"plate_uid": f"HAND{i:04d}", "street_name": "测试路", "number": i, "households": hh,
         "community_code": "150102001000", "geometry": C.from_metric(shapely.Point(x0 + x, y0 + 500))}
        for i, (x, hh) in enumerate(((2500, 3), (2600, 5), (1500, 7)), start=1)], actor="test")
    create_user(store, USERS["admin"][0], USERS["admin"][1], "admin", actor="test")
    with running_server(server_settings(store)) as base, _client(base, "admin") as admin:
        offered = admin.get("/officer/divisions", params={"parent": "150102001000", "level": "community"})
        assert "<b>150102001002</b>" in offered.text and "name='code' value='150102001002'" in offered.text
        form = {"parent_code": "150102001000", "level": "community", "name": "东一社区", "code": "150102001002",
                "crs": "EPSG:4490", **DECISION}
        two = _geojson(("东一社区", rect(2000, 0, 3000, 1500)), ("东二社区", rect(2000, 1500, 3000, 3000)))
        r = _post(admin, "/officer/divisions/create", "/officer/divisions", form,
                  files={"geometry": ("unit.geojson", two, "application/geo+json")})
        assert r.status_code == 400 and "须只含一个面" in r.text and "value='东一社区'" in r.text
        assert store.count("admin_units") == 3
        done = _post(admin, "/officer/divisions/create", "/officer/divisions", form,
                     files={"geometry": ("unit.geojson", _geojson(("东一社区", rect(2000, 0, 3000, 3000))),
                                         "application/geo+json")})
        assert done.status_code == 200 and "已记录区划调整" in done.text
        made = _unit(store, "150102001002")
        assert made["name"] == "东一社区" and made["households"] == 8
        assert _audit(store, "admin_units", made["id"], "create")[0]["actor"] == "t-admin"
        assert store.count("door_plates", where={"community_code": "150102001002"}) == 2
        assert "门牌 <span class='en'>plates</span> 2" in done.text and "HAND0001" in done.text
