"""The HTTP API on a real server over loopback, on both backends."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import USERS
from tests.images import jpeg, png


def _token(base: str, role: str) -> dict[str, str]:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _assert_error_shape(r: httpx.Response, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"error", "message", "field", "status"} and body["status"] == status
    if field is not None:
        assert body["field"] == field
    return body


def test_health_and_openapi(live_server):
    r = httpx.get(f"{live_server}/api/health")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["adcode"] == "150102"
    spec = httpx.get(f"{live_server}/openapi.json", timeout=60).json()
    assert "/api/layers/{layer}/features" in spec["paths"]
    assert httpx.get(f"{live_server}/docs").status_code == 200


def test_every_documented_operation_names_each_error_answer_as_the_json_error_body(live_server):
    """Each operation of the documented routers lists the error statuses with the ErrorBody schema as JSON (by
    reference: FastAPI no longer builds a model field per status per route), and the schema it refers to is
    in the components and describes a real error answer."""
    spec = httpx.get(f"{live_server}/openapi.json", timeout=60).json()
    schema = spec["components"]["schemas"]["ErrorBody"]
    statuses = {"400", "401", "403", "404", "409", "413", "422", "429", "503"}
    checked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith(("/api/", "/ogc", "/metrics")):
            continue
        for method, operation in operations.items():
            for status in statuses:
                if status == "422" and status in operation["responses"] and "ErrorBody" not in json.dumps(
                        operation["responses"][status]):
                    continue  # FastAPI's own validation error schema where an operation takes parameters
                answer = operation["responses"].get(status)
                assert answer is not None, (method, path, status)
                assert answer["content"] == {"application/json": {"schema": {
                    "$ref": "#/components/schemas/ErrorBody"}}}, (method, path, status, answer)
                checked += 1
    assert checked > 1000, checked
    body = _assert_error_shape(httpx.get(f"{live_server}/api/layers/streets/features", params={"limit": 100000}),
                               400, "limit")
    assert set(schema["required"]) <= set(body) <= set(schema["properties"]), (schema, body)
    for name, value in body.items():
        allowed = {"string": str, "integer": int, "null": type(None)}
        kinds = [t["type"] for t in schema["properties"][name].get("anyOf", [schema["properties"][name]])]
        assert any(isinstance(value, allowed[k]) for k in kinds), (name, value, kinds)


def test_public_layer_paging_and_bbox(live_server, sample_store):
    base = f"{live_server}/api/layers/facilities/features"
    first = httpx.get(base, params={"limit": 50}).json()
    assert first["numberMatched"] == sample_store.count("facilities") and first["numberReturned"] == 50
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = httpx.get(nxt).json()
    assert {f["id"] for f in first["features"]}.isdisjoint({f["id"] for f in second["features"]})
    box = "111.64,40.82,111.68,40.85"
    inside = httpx.get(base, params={"bbox": box, "limit": 500}).json()
    assert 0 < inside["numberMatched"] < first["numberMatched"]
    for f in inside["features"]:
        lon, lat = f["geometry"]["coordinates"] if f["geometry"]["type"] == "Point" else (111.66, 40.83)
        assert 111.64 <= lon <= 111.68 and 40.82 <= lat <= 40.85


def test_page_size_over_the_limit_is_a_clear_400(live_server):
    r = httpx.get(f"{live_server}/api/layers/streets/features", params={"limit": 100000})
    body = _assert_error_shape(r, 400, "limit")
    assert "500" in body["message"]  # max_page_size of the test server
    page = httpx.get(f"{live_server}/api/layers/streets/features", params={"limit": 500}).json()
    assert page["numberReturned"] == 500


def test_output_crs_gcj02_is_offset_from_storage(live_server):
    base = f"{live_server}/api/layers/facilities/features/1"
    a = httpx.get(base).json()["geometry"]["coordinates"]
    b = httpx.get(base, params={"crs": "GCJ02"}).json()["geometry"]["coordinates"]
    assert 0.004 < abs(b[0] - a[0]) < 0.01


def test_officer_layers_need_login(live_server):
    _assert_error_shape(httpx.get(f"{live_server}/api/layers/door_plates/features"), 401, "Authorization")
    r = httpx.get(f"{live_server}/api/layers/door_plates/features", headers=_token(live_server, "planner"))
    assert r.status_code == 200 and r.json()["numberMatched"] > 30000


def test_bad_login_is_refused_without_saying_which_part(live_server):
    r = httpx.post(f"{live_server}/api/auth/login", json={"username": "t-admin", "password": "wrong-password"})
    body = _assert_error_shape(r, 401)
    r2 = httpx.post(f"{live_server}/api/auth/login", json={"username": "nobody", "password": "wrong-password"})
    assert r2.json()["message"] == body["message"]
    assert "wrong-password" not in r.text


@pytest.mark.parametrize("role,status", [(None, 401), ("boundary_inspector", 403), ("planner", 200)])
def test_facility_edit_needs_the_right_role(writable_server, role, status):
    headers = _token(writable_server, role) if role else {}
    current = httpx.get(f"{writable_server}/api/layers/facilities/features/2").json()
    r = httpx.patch(f"{writable_server}/api/layers/facilities/features/2", headers=headers,
                    json={"version": current["properties"]["version"], "properties": {"floor_area_m2": 321}})
    if status == 200:
        assert r.status_code == 200 and r.json()["properties"]["floor_area_m2"] == 321
    else:
        _assert_error_shape(r, status)


def test_two_officers_editing_one_record_one_gets_409(writable_server, writable_sample_store):
    h = _token(writable_server, "admin")
    url = f"{writable_server}/api/layers/facilities/features/3"
    version = httpx.get(url).json()["properties"]["version"]
    a = httpx.patch(url, headers=h, json={"version": version, "properties": {"name": "甲改名"}})
    b = httpx.patch(url, headers=h, json={"version": version, "properties": {"name": "乙改名"}})
    assert a.status_code == 200
    _assert_error_shape(b, 409, "version")
    assert httpx.get(url).json()["properties"]["name"] == "甲改名"
    audit = httpx.get(f"{writable_server}/api/audit", headers=h, params={"table": "facilities", "record_id": 3}).json()
    assert any("甲改名" in json.dumps(row["after"], ensure_ascii=False) for row in audit)  # text or object


def test_create_feature_converts_crs_and_validates(writable_server):
    h = _token(writable_server, "planner")
    url = f"{writable_server}/api/layers/facilities/features"
    ok = httpx.post(url, headers=h, params={"crs": "BD09"}, json={
        "properties": {"kind": "elder_care_station", "name": "新建养老服务站", "floor_area_m2": 220},
        "geometry": {"type": "Point", "coordinates": [111.7634707, 40.8573374]}})
    assert ok.status_code == 201, ok.text
    lon, lat = ok.json()["geometry"]["coordinates"]
    assert abs(lon - 111.75) < 1e-6 and abs(lat - 40.85) < 1e-6
    bad = httpx.post(url, headers=h, json={"properties": {"kind": "elder_care_station"},
                                           "geometry": {"type": "Point", "coordinates": [111.7, 40.85]}})
    _assert_error_shape(bad, 400, "name")
    # (The properties are valid: a kind outside the enumeration is refused first, 422 naming kind.)
    far = httpx.post(url, headers=h, json={"properties": {"kind": "volunteer_station", "name": "x"},
                                           "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}})
    _assert_error_shape(far, 400, "geometry")
    crs = httpx.post(url, headers=h, params={"crs": "EPSG:3857"}, json={
        "properties": {"kind": "volunteer_station", "name": "x"},
        "geometry": {"type": "Point", "coordinates": [111.7, 40.85]}})
    _assert_error_shape(crs, 400, "crs")
    kind = httpx.post(url, headers=h, json={"properties": {"kind": "x", "name": "x"},
                                            "geometry": {"type": "Point", "coordinates": [111.7, 40.85]}})
    assert "elder_care_station" in _assert_error_shape(kind, 422, "kind")["message"]


@pytest.mark.parametrize("params,field", [({"bbox": "1,2,3"}, "bbox"), ({"bbox": "a,b,c,d"}, "bbox"),
                                          ({"crs": "EPSG:9999"}, "crs"), ({"limit": 0}, "limit"),
                                          ({"offset": -1}, "offset")])
def test_bad_query_parameters_name_the_field(live_server, params, field):
    r = httpx.get(f"{live_server}/api/layers/streets/features", params=params)
    _assert_error_shape(r, 422 if field in ("limit", "offset") else 400, field)


def test_unknown_layer_and_record(live_server):
    _assert_error_shape(httpx.get(f"{live_server}/api/layers/nope/features"), 404, "layer")
    _assert_error_shape(httpx.get(f"{live_server}/api/layers/streets/features/99999999"), 404, "id")


def test_import_over_http_all_or_nothing_and_size_limit(writable_server, writable_sample_store):
    h = _token(writable_server, "placename_officer")
    url = f"{writable_server}/api/layers/streets/import"
    good = {"type": "Feature", "properties": {"name": "砂平路"},  # a new segment of a street in force
            "geometry": {"type": "LineString", "coordinates": [[111.70, 40.86], [111.71, 40.86]]}}
    bad = {"type": "Feature", "properties": {"name": "坏街"},
           "geometry": {"type": "LineString", "coordinates": [[300, 40.86], [111.71, 40.86]]}}
    before = writable_sample_store.count("streets")
    body = json.dumps({"type": "FeatureCollection", "features": [good, bad]}).encode()
    r = httpx.post(url, headers=h, params={"crs": "EPSG:4490", "format": "geojson"}, content=body)
    _assert_error_shape(r, 400)
    assert writable_sample_store.count("streets") == before
    big = b" " * 2_100_000
    _assert_error_shape(httpx.post(url, headers=h, params={"crs": "EPSG:4490", "format": "geojson"},
                                   content=big), 413, "body")
    body = json.dumps({"type": "FeatureCollection", "features": [good]}).encode()
    unnamed = json.dumps({"type": "FeatureCollection", "features": [
        {**good, "properties": {"name": "测试新街"}}]}).encode()
    r = httpx.post(url, headers=h, params={"crs": "EPSG:4490", "format": "geojson"}, content=unnamed)
    _assert_error_shape(r, 400, "name")  # not a street name in force: name it first
    r = httpx.post(url, headers=h, params={"crs": "EPSG:4490", "format": "geojson"}, content=body)
    assert r.status_code == 200 and r.json()["imported"] == 1
    assert writable_sample_store.count("streets") == before + 1


def test_export_over_http_is_a_geopackage(live_server, tmp_path):
    r = httpx.get(f"{live_server}/api/layers/boundary_lines/export", headers=_token(live_server, "admin"),
                  params={"format": "gpkg"})
    assert r.status_code == 200
    path = tmp_path / "lines.gpkg"
    path.write_bytes(r.content)
    import pyogrio

    assert pyogrio.read_info(path)["features"] == 4


def test_admin_creates_users_others_cannot(writable_server):
    body = {"username": "new-officer", "password": "long-enough-pw", "role": "placename_officer"}
    _assert_error_shape(httpx.post(f"{writable_server}/api/users", json=body,
                                   headers=_token(writable_server, "planner")), 403, "role")
    r = httpx.post(f"{writable_server}/api/users", json=body, headers=_token(writable_server, "admin"))
    assert r.status_code == 201 and "password" not in r.text and "hash" not in r.text
    bad_role = {**body, "username": "x2", "role": "emperor"}
    _assert_error_shape(httpx.post(f"{writable_server}/api/users", json=bad_role,
                                   headers=_token(writable_server, "admin")), 400, "role")


def test_planning_endpoints_need_a_planner(live_server):
    _assert_error_shape(httpx.get(f"{live_server}/api/planning/coverage"), 401)
    _assert_error_shape(httpx.get(f"{live_server}/api/planning/coverage",
                                  headers=_token(live_server, "boundary_inspector")), 403, "role")


def test_coverage_indicators_and_siting_over_http(live_server):
    h = _token(live_server, "planner")
    cov = httpx.get(f"{live_server}/api/planning/coverage", headers=h, params={"preset": "elderly"}, timeout=60).json()
    assert cov["parameters"]["reach_m"] == pytest.approx(810)
    district = next(u for u in cov["units"] if u["level"] == "district")
    assert 0 < district["household_share"] < 1
    beyond = httpx.get(f"{live_server}/api/planning/coverage/plates", headers=h,
                       params={"status": "beyond", "limit": 5}).json()
    assert beyond["numberReturned"] == 5 and all(p["status"] == "beyond" for p in beyond["plates"])
    _assert_error_shape(httpx.get(f"{live_server}/api/planning/coverage/plates", headers=h,
                                  params={"status": "maybe"}), 400, "status")
    ind = httpx.get(f"{live_server}/api/planning/indicators", headers=h).json()
    assert {i["number"] for i in ind["indicators"]} >= {"4", "11", "12", "13", "15"}
    siting = httpx.post(f"{live_server}/api/planning/siting", headers=h, json={"k": 2}, timeout=60).json()
    assert len(siting["sites"]["features"]) == 2 and siting["share_after"] > siting["share_before"]
    bad = httpx.post(f"{live_server}/api/planning/siting", headers=h, json={"k": 2, "weight": "cats"})
    _assert_error_shape(bad, 422, "weight")  # an enumeration in the typed body
    floor = httpx.get(f"{live_server}/api/planning/floor-area", headers=h, params={"norm": "elder_care"}).json()
    assert floor["norm"]["per100_m2"] == 20 and floor["shortfalls"]
    _assert_error_shape(httpx.get(f"{live_server}/api/planning/floor-area", headers=h, params={"norm": "x"}),
                        400, "norm")
    acc = httpx.get(f"{live_server}/api/planning/accessibility", headers=h, timeout=60).json()
    assert acc["supply"] == "floor_area_m2" and acc["parameters"]["reach_m"] == pytest.approx(900)
    district = next(u for u in acc["units"] if u["level"] == "district")
    assert district["score_per100_60plus"] > 0
    assert {f["kind"] for f in acc["facilities"]} == {"elder_care_station", "comprehensive_elder_care_centre"}
    _assert_error_shape(httpx.get(f"{live_server}/api/planning/accessibility", headers=h,
                                  params={"supply": "cats"}), 400, "supply")


def test_cemetery_site_check_and_report(live_server):
    h = _token(live_server, "planner")
    ok = httpx.post(f"{live_server}/api/planning/cemetery-site-check", headers=h,
                    json={"geometry": {"type": "Point", "coordinates": [111.90, 41.05]}}).json()
    assert ok["allowed"] is True
    urban = httpx.post(f"{live_server}/api/planning/cemetery-site-check", headers=h,
                       json={"geometry": {"type": "Point", "coordinates": [111.68, 40.84]}}).json()
    assert urban["allowed"] is False and urban["conflicts"]
    report = httpx.get(f"{live_server}/api/planning/report", headers=h, params={"k": 1}, timeout=120)
    assert report.status_code == 200 and "一刻钟" in report.text and "900 m" in report.text
    xlsx = httpx.get(f"{live_server}/api/planning/report", headers=h, params={"format": "xlsx", "k": 0}, timeout=120)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_planning_cache_follows_edits(writable_server):
    h = _token(writable_server, "planner")
    # A planning run is computed on each request after a change: seconds on a loaded machine.
    before = httpx.get(f"{writable_server}/api/planning/indicators", headers=h, timeout=120).json()
    inst = httpx.get(f"{writable_server}/api/layers/facilities/features", params={"limit": 500}).json()
    home = next(f for f in inst["features"] if f["properties"]["kind"] == "elder_care_institution")
    r = httpx.patch(f"{writable_server}/api/layers/facilities/features/{home['id']}", headers=h,
                    json={"version": home["properties"]["version"],
                          "properties": {"nursing_beds": home["properties"]["beds"]}})
    assert r.status_code == 200
    after = httpx.get(f"{writable_server}/api/planning/indicators", headers=h, timeout=120).json()

    def pick(body):
        return next(i["current"] for i in body["indicators"] if i["number"] == "11")

    assert pick(after) > pick(before)


def test_public_search_and_lookup(live_server):
    hits = httpx.get(f"{live_server}/api/placenames/search", params={"q": "xlglbl"}).json()
    assert hits[0]["standard_name"] == "锡林郭勒北路" and hits[0]["how"] == "initials_exact"
    name = httpx.get(f"{live_server}/api/placenames/{hits[0]['id']}").json()
    assert name["properties"]["pinyin_toned"] == "Xīlínguōlè Běilù" and "events" not in name
    here = httpx.get(f"{live_server}/api/placenames/at", params={"lonlat": "111.70,40.84"}).json()
    assert any(h["feature_class"] == "community" and h["contains"] for h in here)
    sug = httpx.get(f"{live_server}/api/placenames/romanize", params={"name": "锡林北路"}).json()
    assert sug["sign_text"] == "XILIN BEILU"
    _assert_error_shape(httpx.get(f"{live_server}/api/placenames/search", params={"q": ""}), 422, "q")


@pytest.mark.both_backends  # two officers at once: the version check is a row lock
def test_officer_proposes_and_two_officers_race_over_http(writable_server):
    h = _token(writable_server, "placename_officer")
    body = {"properties": {"standard_name": "敕勒川路", "feature_class": "street", "meaning": "取敕勒川之意",
                           "admin_code": "150102003000", "name_mong_pending": True},
            "geometry": {"type": "LineString", "coordinates": [[111.70, 40.86], [111.71, 40.86]]},
            "justification": "蒙古文名称待译"}
    _assert_error_shape(httpx.post(f"{writable_server}/api/placenames", json=body,
                                   headers=_token(writable_server, "planner")), 403, "role")
    r = httpx.post(f"{writable_server}/api/placenames", json=body, headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["properties"]["pinyin_toned"] == "Chìlèchuān Lù"
    bad = {**body, "properties": {**body["properties"], "standard_name": "敕勒川小区"}}
    refused = _assert_error_shape(httpx.post(f"{writable_server}/api/placenames", json=bad, headers=h), 400, "generic")
    assert "PN-02" in refused["message"] and refused["details"]
    url = f"{writable_server}/api/placenames/{created['id']}"
    v = created["properties"]["version"]
    a = httpx.patch(url, headers=h, json={"version": v, "properties": {"meaning": "甲"}})
    b = httpx.patch(url, headers=h, json={"version": v, "properties": {"meaning": "乙"}})
    assert a.status_code == 200, a.text
    _assert_error_shape(b, 409, "version")
    officer = httpx.get(url, headers=h).json()
    assert officer["properties"]["meaning"] == "甲" and officer["events"]
    audit = httpx.get(f"{writable_server}/api/audit", headers=_token(writable_server, "admin"),
                      params={"table": "place_names", "record_id": created["id"]}).json()
    assert [row["action"] for row in audit][-2:] == ["update", "refused_stale_version"]
    # The public cannot see a name that is only proposed, nor find it.
    _assert_error_shape(httpx.get(url), 404, "id")
    assert all(x["id"] != created["id"] for x in httpx.get(f"{writable_server}/api/placenames/search",
                                                            params={"q": "敕勒川路"}).json())
    step = httpx.post(f"{url}/transition", headers=h, json={"to": "approved", "version": v + 1})
    _assert_error_shape(step, 409, "to")


def test_public_sees_only_names_in_force_and_officers_export(live_server, sample_store):
    total = sample_store.count("place_names")
    public = httpx.get(f"{live_server}/api/layers/place_names/features", params={"limit": 1}).json()
    assert public["numberMatched"] == sample_store.count("place_names", where={"status": "in_force"}) <= total
    h = _token(live_server, "placename_officer")
    csv = httpx.get(f"{live_server}/api/gazetteer/exchange", headers=h, params={"format": "csv"})
    assert csv.status_code == 200 and "标准名称" in csv.content.decode("utf-8-sig").splitlines()[0]
    # A full page ends at its last change's sequence number (the sample holds at least one gazetteer change).
    feed = httpx.get(f"{live_server}/api/gazetteer/changes", headers=h, params={"since": 0, "limit": 1}).json()
    assert feed["changes"] and feed["next"] == feed["changes"][-1]["seq"]
    later = httpx.get(f"{live_server}/api/gazetteer/changes", headers=h, params={"since": feed["next"]}).json()
    assert all(c["seq"] > feed["next"] for c in later["changes"])
    _assert_error_shape(httpx.get(f"{live_server}/api/gazetteer/exchange"), 401)
    plate = sample_store.select("door_plates", limit=1)[0]
    m = httpx.get(f"{live_server}/api/addresses/match", headers=h,
                  params={"q": f"新城区{plate['street_name']}{plate['number']}号"}).json()
    assert m["grade"] == "exact" and m["plate"]["plate_uid"] == plate["plate_uid"] and "households" not in m["plate"]


def test_numbering_endpoints(live_server):
    h = _token(live_server, "placename_officer")
    chk = httpx.get(f"{live_server}/api/plates/numbering/check", headers=h, params={"street_name": "新华大街"}).json()
    assert chk["plates"] > 10 and chk["problems"] == []
    street = httpx.get(f"{live_server}/api/layers/streets/features", params={"limit": 500}).json()
    xinhua = next(f for f in street["features"] if f["properties"]["name"] == "新华大街")
    (x0, y0), (x1, y1) = xinhua["geometry"]["coordinates"][:2]
    mid = [(x0 + x1) / 2, (y0 + y1) / 2 + 0.0001]
    sug = httpx.post(f"{live_server}/api/plates/numbering/suggest", headers=h,
                     json={"street_name": "新华大街", "points": [mid]}).json()
    assert sug["suggestions"][0]["number"] >= 1
    _assert_error_shape(httpx.post(f"{live_server}/api/plates/numbering/suggest", headers=h,
                                   json={"street_name": "新华大街", "points": [[111.9, 41.05]]}), 400, "points")
    _assert_error_shape(httpx.get(f"{live_server}/api/plates/numbering/check", headers=h,
                                  params={"street_name": "没有这条路"}), 404, "street_name")


def test_inspection_over_http_roles_and_retry(writable_server, writable_sample_store):
    import base64

    admin, inspector = _token(writable_server, "admin"), _token(writable_server, "boundary_inspector")
    body = {"name": "2026年新城区—回民区联检", "line_codes": ["XH01"], "required_accuracy_m": 5}
    _assert_error_shape(httpx.post(f"{writable_server}/api/inspections/campaigns", json=body, headers=inspector), 403)
    campaign = httpx.post(f"{writable_server}/api/inspections/campaigns", json=body, headers=admin).json()
    marker = writable_sample_store.select("boundary_markers", where={"line_code": "XH01"}, limit=1)[0]
    p = marker["geometry"]
    record = {"client_id": "http-phone-0001", "campaign_id": campaign["id"], "marker_no": marker["marker_no"],
              "condition": "intact", "gnss_accuracy_m": 3, "position": {"lon": p.x, "lat": p.y, "crs": "EPSG:4490"},
              "photo": {"data_base64": base64.b64encode(jpeg()).decode()}}
    _assert_error_shape(httpx.post(f"{writable_server}/api/inspections", json=record,
                                   headers=_token(writable_server, "planner")), 403, "role")
    first = httpx.post(f"{writable_server}/api/inspections", json=record, headers=inspector)
    retry = httpx.post(f"{writable_server}/api/inspections", json=record, headers=inspector)
    assert (first.status_code, retry.status_code) == (201, 200) and first.json()["id"] == retry.json()["id"]
    bad = httpx.post(f"{writable_server}/api/inspections", headers=inspector,
                     json={**record, "client_id": "http-phone-0002", "photo": {"data_base64": "aGVsbG8="}})
    _assert_error_shape(bad, 400, "photo")
    report = httpx.get(f"{writable_server}/api/inspections/campaigns/{campaign['id']}/report", headers=inspector).json()
    assert report[0]["inspected"] == 1 and report[0]["not_visited"] == report[0]["markers"] - 1


def test_only_admins_move_markers(writable_server, writable_sample_store):
    marker = writable_sample_store.select("boundary_markers", where={"line_code": "XW01"}, limit=1)[0]
    body = {"position": [marker["geometry"].x + 1e-5, marker["geometry"].y], "version": marker["version"],
            "reason": "复测", "agreement_doc": "协议-1", "survey_ref": "测-1", "filed_with": "市民政局"}
    url = f"{writable_server}/api/markers/{marker['id']}/move"
    _assert_error_shape(httpx.post(url, json=body, headers=_token(writable_server, "boundary_inspector")), 403, "role")
    _assert_error_shape(httpx.post(url, json={**body, "agreement_doc": ""}, headers=_token(writable_server, "admin")),
                        400, "agreement_doc")
    r = httpx.post(url, json=body, headers=_token(writable_server, "admin"))
    assert r.status_code == 200 and r.json()["properties"]["version"] == marker["version"] + 1
    _assert_error_shape(httpx.post(url, json=body, headers=_token(writable_server, "admin")), 409, "version")


def test_campaign_report_files_and_archive(writable_server, writable_sample_store):
    import base64
    import io
    import json as _json
    import zipfile

    admin, inspector = _token(writable_server, "admin"), _token(writable_server, "boundary_inspector")
    campaign = httpx.post(f"{writable_server}/api/inspections/campaigns", headers=admin,
                          json={"name": "报告测试联检", "line_codes": ["XZ01"], "required_accuracy_m": 5}).json()
    markers = writable_sample_store.select("boundary_markers", where={"line_code": "XZ01"}, limit=2)
    for i, (m, cond) in enumerate(zip(markers, ("intact", "missing"), strict=True)):
        rec = {"client_id": f"report-test-{i:04d}", "campaign_id": campaign["id"], "marker_no": m["marker_no"],
               "condition": cond, "gnss_accuracy_m": 2,
               "position": {"lon": m["geometry"].x, "lat": m["geometry"].y, "crs": "EPSG:4490"},
               "photo": {"data_base64": base64.b64encode(png(i)).decode()}}
        assert httpx.post(f"{writable_server}/api/inspections", json=rec, headers=inspector).status_code == 201
    base = f"{writable_server}/api/inspections/campaigns/{campaign['id']}"
    page = httpx.get(f"{base}/report.html", headers=inspector).text
    assert "报告测试联检" in page and "维修清单 Repair list (1)" in page and "未检 not visited" in page
    assert httpx.get(f"{base}/report.xlsx", headers=inspector).content[:2] == b"PK"
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(f"{base}/report.zip", headers=inspector).content))
    names = set(archive.namelist())
    assert {"report.html", "report.xlsx", "records.csv", "marker_registration.csv", "manifest.json"} <= names
    assert len([n for n in names if n.startswith("photos/")]) == 2
    manifest = _json.loads(archive.read("manifest.json"))
    import hashlib

    assert all(hashlib.sha256(archive.read(n)).hexdigest() == h for n, h in manifest["files"].items())
