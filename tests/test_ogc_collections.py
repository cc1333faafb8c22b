"""OGC API collections as a GIS user meets them over HTTP: one geometry type each, queryables and
schemas with real types, property filters, officer-only layers shown only to staff, the 示意 label."""

from __future__ import annotations

import httpx
import pytest

from geo.layers import FACILITY_KINDS, LAYERS
from tests.conftest import USERS
from tests.test_api import _token
from tests.test_officer_pages import login

SERVED_AS = {"Point": "Point", "LineString": "MultiLineString", "MultiLineString": "MultiLineString",
             "Polygon": "MultiPolygon", "MultiPolygon": "MultiPolygon"}
NOTE = "界线示意，非权威界线"


def _all_items(base: str, collection: str, headers: dict[str, str] | None = None, **params) -> list[dict]:
    """Return every feature of a collection, following ``next`` links."""
    url, features = f"{base}/ogc/collections/{collection}/items", []
    query = {"limit": 500, **params}
    while url:
        page = httpx.get(url, params=query or None, headers=headers or {})  # params={} would drop the query
        assert page.status_code == 200, page.text
        body = page.json()
        features += body["features"]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), "")
        query = {}
    return features


def _listed(base: str, headers: dict[str, str] | None = None, cookies: httpx.Cookies | None = None) -> dict:
    r = httpx.get(f"{base}/ogc/collections", headers=headers or {}, cookies=cookies)
    assert r.status_code == 200
    return {c["id"]: c for c in r.json()["collections"]}


def test_every_collection_holds_one_geometry_type_and_together_they_hold_the_whole_layer(live_server,
                                                                                         sample_store):
    staff = _token(live_server, "admin")
    served: dict[str, int] = {}
    for cid in set(_listed(live_server, staff)) - {"door_plates"}:  # 35,000 plates: all points, one table
        features = _all_items(live_server, cid, staff)
        types = {f["geometry"]["type"] for f in features}
        assert len(types) == 1, f"{cid} mixes {types}"
        layer = cid if cid in LAYERS else cid.rsplit("_", 1)[0]  # boundary_lines is a layer, not a split
        served[layer] = served.get(layer, 0) + len(features)
        ids = {f["id"] for f in features}
        stored_types = {SERVED_AS[r["geometry"].geom_type] for r in sample_store.select(layer) if r["id"] in ids}
        assert stored_types == types
    for layer in ("place_names", "facilities", "linear_features", "streets", "admin_units"):
        assert served[layer] == sample_store.count(layer), f"{layer}: features missing from its collections"


def test_officer_only_collections_are_listed_only_to_staff_by_token_or_session(live_server):
    anonymous = _listed(live_server)
    assert not {"door_plates", "boundary_markers", "graves", "boundary_lines"} & set(anonymous)
    for path in ("", "/items", "/queryables", "/schema"):
        r = httpx.get(f"{live_server}/ogc/collections/door_plates{path}")
        assert r.status_code == 401 and r.json()["field"] == "Authorization"
        assert r.json()["message"].startswith("图层 door_plates 仅供工作人员读取")
    planner = _listed(live_server, _token(live_server, "planner"))
    assert {"door_plates", "boundary_markers", "graves", "boundary_lines"} <= set(planner)
    with httpx.Client(base_url=live_server, follow_redirects=True) as browser:
        name, password = USERS["placename_officer"]
        login(browser, {"username": name, "password": password, "next": "/officer/placenames"})
        assert "door_plates" in _listed(live_server, cookies=browser.cookies)
        assert httpx.get(f"{live_server}/ogc/collections/door_plates/items", cookies=browser.cookies).status_code == 200
    stale = httpx.get(f"{live_server}/ogc/collections", cookies={"xc_token": "expired-or-forged"})
    assert stale.status_code == 200 and "door_plates" not in {c["id"] for c in stale.json()["collections"]}
    wrong = httpx.get(f"{live_server}/ogc/collections", headers={"Authorization": "Bearer forged"})
    assert wrong.status_code == 401


def test_queryables_and_schema_give_types_enumerations_and_chinese_titles(live_server):
    base = f"{live_server}/ogc/collections/facilities_points"
    links = {link["rel"]: link for link in httpx.get(base).json()["links"]}
    assert links["describedby"]["type"] == "application/schema+json"
    assert links["http://www.opengis.net/def/rel/ogc/1.0/queryables"]["href"] == f"{base}/queryables"
    r = httpx.get(f"{base}/queryables")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/schema+json")
    q = r.json()
    assert q["$schema"] == "https://json-schema.org/draft/2020-12/schema" and q["$id"] == f"{base}/queryables"
    props = q["properties"]
    assert props["beds"]["type"] == "integer" and props["beds"]["title"] == "床位 beds"
    assert props["kind"]["enum"] == list(FACILITY_KINDS) and props["status"]["type"] == "string"
    assert "floor_area_m2" not in props  # decimals are not filtered on by equality
    schema = httpx.get(f"{live_server}/ogc/collections/place_names_points/schema").json()
    feature_props = schema["properties"]["properties"]["properties"]
    assert schema["properties"]["geometry"]["properties"]["type"]["enum"] == ["Point"]
    assert (feature_props["status_date"]["type"], feature_props["status_date"]["format"]) == ("string", "date")
    assert feature_props["created_at"]["format"] == "date-time"
    assert feature_props["protected"]["type"] == "boolean" and "in_force" in feature_props["status"]["enum"]


def test_items_filter_by_queryable_properties_and_refuse_what_they_cannot_filter(live_server, sample_store):
    base = f"{live_server}/ogc/collections/facilities_points/items"
    stations = _all_items(live_server, "facilities_points", kind="elder_care_station")
    stored = [r for r in sample_store.select("facilities", where={"kind": "elder_care_station"})
              if r["geometry"].geom_type == "Point"]
    assert stations and len(stations) == len(stored)
    assert {f["properties"]["kind"] for f in stations} == {"elder_care_station"}
    with_beds = [r for r in stored if r["beds"] is not None]
    if with_beds:
        beds = with_beds[0]["beds"]
        hits = httpx.get(base, params={"kind": "elder_care_station", "beds": str(beds), "limit": 500}).json()
        assert hits["numberMatched"] == sum(1 for r in stored if r["beds"] == beds)
    bad = httpx.get(base, params={"beds": "many"})
    assert bad.status_code == 400 and bad.json()["field"] == "beds"
    assert bad.json()["message"].startswith("筛选条件 beds 须为整数")
    typo = httpx.get(base, params={"knd": "elder_care_station"})
    assert typo.status_code == 400 and "kind" in typo.json()["message"] and "queryables" in typo.json()["message"]
    wrong_kind = httpx.get(base, params={"kind": "elder-care"})
    assert wrong_kind.status_code == 400 and "elder_care_station" in wrong_kind.json()["message"]
    huge = httpx.get(base, params={"beds": "9" * 30})
    assert huge.status_code == 400


def test_the_public_never_sees_names_not_in_force_through_a_filter(live_server, sample_store):
    approved = [r for r in sample_store.select("place_names", where={"status": "approved"})
                if r["geometry"] is not None and r["geometry"].geom_type == "Point"]
    r = httpx.get(f"{live_server}/ogc/collections/place_names_points/items", params={"status": "approved"})
    assert r.status_code == 200 and r.json()["numberMatched"] == 0
    staff = httpx.get(f"{live_server}/ogc/collections/place_names_points/items", params={"status": "approved"},
                      headers=_token(live_server, "placename_officer"))
    assert staff.json()["numberMatched"] == len(approved)


def test_the_bundled_boundary_is_labelled_schematic_on_the_collection_and_every_feature(live_server):
    unit = _listed(live_server)["admin_units"]
    assert NOTE in unit["title"] and NOTE in unit["description"]
    features = _all_items(live_server, "admin_units")
    assert features and all(f["properties"]["boundary_note"].startswith(NOTE) for f in features)
    staff = _token(live_server, "boundary_inspector")
    lines = _all_items(live_server, "boundary_lines", staff)
    assert lines and all(f["properties"]["boundary_note"].startswith(NOTE) for f in lines)
    schema = httpx.get(f"{live_server}/ogc/collections/admin_units/schema").json()
    assert schema["properties"]["properties"]["properties"]["boundary_note"]["const"].startswith(NOTE)


def test_old_mixed_ids_still_answer_and_an_item_of_another_kind_is_not_found(live_server, sample_store):
    polygons = [r for r in sample_store.select("facilities") if r["geometry"].geom_type != "Point"]
    old = httpx.get(f"{live_server}/ogc/collections/facilities/items", params={"limit": 1})
    assert old.status_code == 200 and old.json()["numberMatched"] == sample_store.count("facilities")
    assert "facilities_points" in httpx.get(f"{live_server}/ogc/collections/facilities").json()["description"]
    if not polygons:
        pytest.skip("the sample has no facility footprint")
    fid = polygons[0]["id"]
    wrong = httpx.get(f"{live_server}/ogc/collections/facilities_points/items/{fid}")
    assert wrong.status_code == 404 and wrong.json()["field"] == "featureId"
    right = httpx.get(f"{live_server}/ogc/collections/facilities_polygons/items/{fid}")
    assert right.status_code == 200 and right.json()["geometry"]["type"] == "MultiPolygon"
    unknown = httpx.get(f"{live_server}/ogc/collections/no_such_layer")
    assert unknown.status_code == 404 and "facilities_points" in unknown.json()["message"]


def test_gis_clients_read_officer_layers_with_basic_authentication_carrying_a_token(live_server):
    """QGIS 3.22 has no bearer authentication: its "Basic" configuration, user name and the
    officer's API token as password, reads what the token reads; a password is not a token."""
    import base64

    def basic(user: str, secret: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}

    name, password = USERS["planner"]
    token = _token(live_server, "planner")["Authorization"].split(" ", 1)[1]
    assert "door_plates" in _listed(live_server, basic(name, token))
    items = httpx.get(f"{live_server}/ogc/collections/door_plates/items?limit=2", headers=basic(name, token))
    assert items.status_code == 200 and len(items.json()["features"]) == 2
    assert "door_plates" in _listed(live_server, basic("", token))  # GDAL_HTTP_USERPWD=:token
    for refused in (basic(name, password), basic("someone_else", token), {"Authorization": "Basic %%%"}):
        r = httpx.get(f"{live_server}/ogc/collections", headers=refused)
        assert r.status_code == 401 and r.json()["field"] == "Authorization", r.text


def test_units_a_division_change_retired_are_history_served_as_a_collection_of_their_own(writable_sample_store,
                                                                                          writable_server):
    """A GIS user adding admin_units saw a re-coded 镇 twice, the retired and the new unit over the same land
    (review): admin_units serves today's units; the retired ones are admin_units_history, a layer QGIS can add (GDAL
    filters ``status`` on the client, after the server has left the history out: review), ``?status=retired`` and
    their own ids."""
    import json
    import subprocess
    import sys

    from geo.divisions.changes import recode_unit
    from tests.test_ogc_gdal import _FILTERED
    from tests.test_township_recode import DECISION, TOWN

    store, base = writable_sample_store, writable_server
    assert "admin_units_history" not in _listed(base)  # no unit retired yet: no empty layer listed
    (town,) = store.select("admin_units", where={"code": TOWN})
    out = recode_unit(store, TOWN, expected_version=town["version"], decision=DECISION, actor="t-admin",
                      level="subdistrict", new_name="保合少街道")
    retired = {u["id"]: u["code"] for u in store.select("admin_units", where={"status": "retired"})}
    assert len(retired) == 25  # the 镇 and its 24 villages

    today = _all_items(base, "admin_units")
    codes = [f["properties"]["code"] for f in today]
    assert not set(retired) & {f["id"] for f in today}
    assert len(codes) == len(set(codes)) == store.count("admin_units") - len(retired)
    assert set(out["units_after"]) <= set(codes) and TOWN not in codes
    inside = _all_items(base, "admin_units", bbox=",".join(map(str, town["geometry"].bounds)))
    assert inside and not {f["properties"]["status"] for f in inside} & {"retired"}
    assert {f["id"]: f["properties"]["code"] for f in _all_items(base, "admin_units", status="retired")} == retired

    listed = _listed(base)
    assert "历史：已注销 retired" in listed["admin_units_history"]["title"]
    import shapely  # the history's own extent (it was the whole layer's, neighbours and all: second review)

    bounds = shapely.union_all([u["geometry"] for u in store.select("admin_units", where={"status": "retired"})]).bounds
    assert listed["admin_units_history"]["extent"]["spatial"]["bbox"][0] == pytest.approx(list(bounds), abs=1e-6)
    assert "admin_units_history" in listed["admin_units"]["description"]
    history = _all_items(base, "admin_units_history")
    assert {f["id"]: f["properties"]["code"] for f in history} == retired
    wrong = httpx.get(f"{base}/ogc/collections/admin_units_history/items", params={"status": "active"})
    assert wrong.status_code == 400 and "retired" in wrong.json()["message"]  # the history holds nothing else
    queryable = httpx.get(f"{base}/ogc/collections/admin_units_history/queryables").json()
    assert queryable["properties"]["status"]["enum"] == ["retired"]
    today_id = next(f["id"] for f in today)
    assert httpx.get(f"{base}/ogc/collections/admin_units_history/items/{today_id}").status_code == 404
    for collection in ("admin_units", "admin_units_history"):  # a link made before the unit was retired
        one = httpx.get(f"{base}/ogc/collections/{collection}/items/{town['id']}")
        assert one.status_code == 200 and one.json()["properties"]["status"] == "retired"

    done = subprocess.run([sys.executable, "-c", _FILTERED, f"{base}/ogc", "admin_units_history",
                           f"code = '{TOWN}'"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert [row["name"] for row in json.loads(done.stdout)] == [town["name"]]  # GDAL finds the old 镇


def test_a_filter_given_twice_is_refused_not_half_read(live_server):
    """``?status=active&status=retired`` read the last value and dropped the first without a word (fourth review)."""
    for query in ("kind=elder_care_station&kind=community_service_centre", "status=active&status=closed"):
        r = httpx.get(f"{live_server}/ogc/collections/facilities_points/items?{query}")
        assert r.status_code == 400, r.text
        assert "只能给一次" in r.json()["message"] and r.json()["field"] in ("kind", "status")
