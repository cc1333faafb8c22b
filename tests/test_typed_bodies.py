"""Typed request bodies: every JSON field the generic layer endpoints and the gazetteer take has a type.

A wrong type (text for a number, a list, an object, a huge number, NaN, true for a count), an unknown
property or a value outside an enumeration is refused with 422 naming the field, Chinese first, and
nothing is stored (counted in the real store behind the running server, on both backends). Valid
requests still succeed as before, rule fields are still refused naming the endpoint that owns them,
and OpenAPI publishes each layer's property model with its enumerations and bounds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from geo.layers import LAYERS, MARKER_STATUSES, PLACE_NAME_STATUSES, STREET_CLASSES
from geo.store import Store
from geo.validation import MAX_VALUES
from tests.conftest import running_server, server_settings
from tests.test_system_of_record import _count, _token

HERE = {"type": "Point", "coordinates": [111.70, 40.85]}
LINE_HERE = {"type": "LineString", "coordinates": [[111.70, 40.86], [111.705, 40.86]]}


@pytest.fixture
def api(writable_sample_store) -> Iterator[httpx.Client]:
    with (running_server(server_settings(writable_sample_store)) as base,
          httpx.Client(base_url=base, timeout=60) as client):
        yield client


def _counts(store: Store, *tables: str) -> dict[str, int]:
    return {t: _count(store, t) for t in (*tables, "audit_log")}


def _first(store: Store, table: str, **where) -> dict:
    return store.select(table, where=where, limit=1)[0]


def _typed_refusal(r: httpx.Response, field: str, where: str = "properties") -> dict:
    """Assert a 422 naming ``field`` (as the record names it), with the body path and Chinese first."""
    assert r.status_code == 422, (r.status_code, r.text)
    body = r.json()
    assert set(body) >= {"error", "message", "field", "status"} and body["status"] == 422, body
    assert body["field"] == field, body
    head = body["message"].split("·")[0]
    assert any("\u4e00" <= c <= "\u9fff" for c in head), body["message"]  # Chinese first
    if where:
        assert f"{where}.{field}" in body["message"], body["message"]
    return body


# (layer, role, properties with one wrong value, the field named, a word the message must hold)
CREATE_CASES = [
    ("facilities", "planner", {"kind": "elder_care_station", "name": "站", "beds": "many"}, "beds", "整数"),
    ("facilities", "planner", {"kind": "elder_care_station", "name": "站", "beds": True}, "beds", "整数"),
    ("facilities", "planner", {"kind": "elder_care_station", "name": "站", "beds": [12]}, "beds", "a list"),
    ("facilities", "planner", {"kind": "elder_care_station", "name": "站", "beds": {"n": 12}}, "beds",
     "an object"),
    ("facilities", "planner", {"kind": "elder_care_station", "name": "站", "beds": 2**70}, "beds", "20000"),
    ("facilities", "planner", {"kind": "elder_care_station", "name": "站", "nursing_beds": 1.5}, "nursing_beds",
     "整数"),
    ("facilities", "planner", {"kind": "elder_care_station", "name": "站", "floor_area_m2": "大"},
     "floor_area_m2", "有限数值"),
    ("facilities", "planner", {"kind": "elder_care_station", "name": "站", "floor_area_m2": False},
     "floor_area_m2", "有限数值"),
    ("facilities", "planner", {"kind": "elder_care_station", "name": {"zh": "站"}}, "name", "文本"),
    ("facilities", "planner", {"kind": "elder_care_station", "name": ["站"]}, "name", "文本"),
    ("facilities", "planner", {"kind": "elder_care_station", "name": "站", "community_code": 10**30},
     "community_code", "过长"),
    ("facilities", "planner", {"kind": "hospital", "name": "站"}, "kind", "elder_care_station"),
    ("facilities", "planner", {"kind": "elder_care_station", "name": "站", "colour": "红"}, "colour", "没有字段"),
    ("door_plates", "placename_officer", {"street_name": "新华大街", "number": "十二"}, "number", "整数"),
    ("door_plates", "placename_officer", {"street_name": "新华大街", "number": True}, "number", "整数"),
    ("door_plates", "placename_officer", {"street_name": "新华大街", "number": 2**63}, "number", "99999"),
    ("door_plates", "placename_officer", {"street_name": "新华大街", "number": 995, "side": "middle"}, "side",
     "left, right"),
    ("door_plates", "placename_officer", {"street_name": "新华大街", "number": 995, "households": [1, 2]},
     "households", "整数"),
    ("streets", "placename_officer", {"name": "新华大街", "walkable": "maybe"}, "walkable", "是/否"),
    ("streets", "placename_officer", {"name": "新华大街", "grade": 2**40}, "grade", "-5"),
    ("streets", "placename_officer", {"name": "新华大街", "street_class": "highway"}, "street_class", "arterial"),
    ("graves", "planner", {"status": "lost"}, "status", "scattered"),
    ("graves", "planner", {"status": "found", "near_feature": {"deep": [[["x"]]]}}, "near_feature", "文本"),
    ("linear_features", "planner", {"kind": "canal", "name": "渠"}, "kind", "river"),
    ("boundary_lines", "admin", {"line_code": "XC99", "name": "测", "length_m": "long"}, "length_m", "有限数值"),
    ("place_names", "placename_officer", {"standard_name": "晨光路", "protected": "maybe"}, "protected", "是/否"),
    ("place_names", "placename_officer", {"standard_name": ["晨光路"]}, "standard_name", "文本"),
]
_GEOMETRY = {"facilities": HERE, "door_plates": HERE, "streets": LINE_HERE, "graves": HERE,
             "linear_features": LINE_HERE, "boundary_lines": LINE_HERE, "place_names": HERE,
             "admin_units": {"type": "Polygon", "coordinates": [[[111.70, 40.84], [111.72, 40.84], [111.72, 40.86],
                                                                 [111.70, 40.86], [111.70, 40.84]]]}}


def test_wrong_types_unknown_properties_and_enumerations_are_422_naming_the_field(api, writable_sample_store):
    tokens = {role: _token(api, role) for role in ("admin", "planner", "placename_officer")}
    before = _counts(writable_sample_store, *_GEOMETRY)
    for layer, role, props, field, word in CREATE_CASES:
        r = api.post(f"/api/layers/{layer}/features", headers=tokens[role],
                     json={"type": "Feature", "properties": props, "geometry": _GEOMETRY[layer]})
        body = _typed_refusal(r, field)
        assert word in body["message"], (layer, props, body["message"])
        assert body["error"] == "invalid_input"
    # units come only from a division decision (POST /api/divisions/create): whatever the body holds
    for props in ({"code": "150102001099", "name": "测", "level": "province"}, {"code": True, "name": "测"}):
        r = api.post("/api/layers/admin_units/features", headers=tokens["admin"],
                     json={"type": "Feature", "properties": props, "geometry": _GEOMETRY["admin_units"]})
        assert r.status_code == 422 and r.json()["error"] == "use_the_use_case", r.text
    unit = writable_sample_store.select("admin_units", where={"level": "community"}, limit=1)[0]
    r = api.patch(f"/api/layers/admin_units/features/{unit['id']}", headers=tokens["admin"],
                  json={"version": unit["version"], "properties": {"residents": -1}})
    assert "0" in _typed_refusal(r, "residents")["message"]  # its statistics are still typed on a PATCH
    assert _counts(writable_sample_store, *_GEOMETRY) == before  # nothing stored, nothing audited


def test_nan_infinity_and_huge_numbers_in_raw_json_are_refused(api, writable_sample_store):
    planner = {**_token(api, "planner"), "Content-Type": "application/json"}
    before = _counts(writable_sample_store, "facilities")
    for raw, field in (("NaN", "floor_area_m2"), ("Infinity", "floor_area_m2"), ("-Infinity", "floor_area_m2"),
                       ("1e999", "floor_area_m2"), ('"NaN"', "floor_area_m2"), ("NaN", "beds"),
                       ("1" * 400, "beds"), ("1e400", "beds"), ("-" + "9" * 30, "nursing_beds")):
        content = ('{"type": "Feature", "properties": {"kind": "elder_care_station", "name": "非数站", '
                   f'"{field}": {raw}}}, "geometry": {json.dumps(HERE)}}}')
        r = api.post("/api/layers/facilities/features", headers=planner, content=content)
        _typed_refusal(r, field)
    assert _counts(writable_sample_store, "facilities") == before


def test_patch_bodies_are_typed_too_and_change_nothing(api, writable_sample_store):
    store = writable_sample_store
    planner, officer = _token(api, "planner"), _token(api, "placename_officer")
    fac = _first(store, "facilities", kind="elder_care_station")
    street = _first(store, "streets")
    name = _first(store, "place_names", feature_class="street", status="in_force")
    before = _counts(store, "facilities", "streets", "place_names")
    cases = [
        ("facilities", fac, planner, {"beds": "x"}, "beds"),
        ("facilities", fac, planner, {"status": "demolished"}, "status"),
        ("facilities", fac, planner, {"floor_area_m2": [1]}, "floor_area_m2"),
        ("facilities", fac, planner, {"operator": {"a": 1}}, "operator"),
        ("facilities", fac, planner, {"id": 5}, "id"),
        ("streets", street, officer, {"odd_side": "up"}, "odd_side"),
        ("streets", street, officer, {"walkable": 2}, "walkable"),
        ("place_names", name, officer, {"name_mong_pending": "perhaps"}, "name_mong_pending"),
        ("place_names", name, officer, {"status": "abolished"}, "status"),
    ]
    for layer, rec, headers, props, field in cases:
        r = api.patch(f"/api/layers/{layer}/features/{rec['id']}", headers=headers,
                      json={"version": rec["version"], "properties": props})
        _typed_refusal(r, field)
        assert store.get(layer, rec["id"])["version"] == rec["version"]
    url = f"/api/layers/facilities/features/{fac['id']}"
    for version in (True, "one", 1.5, 2**70, None):
        r = api.patch(url, headers=planner, json={"version": version, "properties": {"beds": 3}})
        _typed_refusal(r, "version", where="")
    _typed_refusal(api.patch(url, headers=planner, json={"version": fac["version"], "properties": [1]}),
                   "properties", where="")
    assert store.get("facilities", fac["id"])["version"] == fac["version"]
    assert _counts(store, "facilities", "streets", "place_names") == before


def test_the_envelope_is_typed(api, writable_sample_store):
    planner = _token(api, "planner")
    url = "/api/layers/facilities/features"
    props = {"kind": "elder_care_station", "name": "信封站"}
    before = _counts(writable_sample_store, "facilities", "place_names")
    _typed_refusal(api.post(url, headers=planner, json={"type": "FeatureCollection", "properties": props,
                                                         "geometry": HERE}), "type", where="")
    _typed_refusal(api.post(url, headers=planner, json={"properties": props, "geometry": "POINT (111.7 40.85)"}),
                   "geometry", where="")
    _typed_refusal(api.post(url, headers=planner, json={"properties": props}), "geometry", where="")
    _typed_refusal(api.post(url, headers=planner, json={"properties": [props], "geometry": HERE}),
                   "properties", where="")
    r = api.post(url, headers=planner, json=[props])
    assert r.status_code == 422 and r.json()["status"] == 422
    # A geometry type GeoJSON does not have (found by schemathesis: shapely raised it as a 500).
    for geometry in ({"type": "AAA", "coordinates": []}, {"type": "AAA", "coordinates": [111.7, 40.85]},
                     {"coordinates": [111.7, 40.85]}):
        body = _typed_refusal(api.post(url, headers=planner, json={"properties": props, "geometry": geometry}),
                              "geometry", where="")
        assert "GeoJSON" in body["message"]
        fac = _first(writable_sample_store, "facilities")
        _typed_refusal(api.patch(f"{url}/{fac['id']}", headers=planner,
                                 json={"version": fac["version"], "geometry": geometry}), "geometry", where="")
        _typed_refusal(api.post("/api/placenames", headers=_token(api, "placename_officer"),
                                json={"properties": {"standard_name": "晨光路"}, "geometry": geometry}),
                       "geometry", where="")
    # Geometries shapely cannot build are a 400 naming the geometry, on every path here (were 500s).
    officer = _token(api, "placename_officer")
    streets = "/api/layers/streets/features"
    street = _first(writable_sample_store, "streets")
    for geometry in ({"type": "MultiLineString", "coordinates": [[], -1363257]},
                     {"type": "GeometryCollection", "geometries": [{"type": "AAA", "coordinates": [1, 2]}]}):
        for r in (api.post(streets, headers=officer, json={"properties": {"name": "新华大街"}, "geometry": geometry}),
                  api.patch(f"{streets}/{street['id']}", headers=officer,
                            json={"version": street["version"], "geometry": geometry}),
                  api.post("/api/placenames", headers=officer,
                           json={"properties": {"standard_name": "晨光路"}, "geometry": geometry})):
            assert r.status_code == 400 and r.json()["field"] == "geometry", r.text
            assert r.json()["message"].startswith("几何 geometry 不是有效的 GeoJSON 几何"), r.text
    assert writable_sample_store.get("streets", street["id"])["version"] == street["version"]
    assert _counts(writable_sample_store, "facilities", "place_names") == before


def test_valid_creates_and_changes_still_work_with_the_same_answers(api, writable_sample_store):
    store = writable_sample_store
    planner, officer = _token(api, "planner"), _token(api, "placename_officer")
    # Values a file import would convert are converted as before: "12" is 12, 220 is 220.0, "否" is false.
    r = api.post("/api/layers/facilities/features", headers=planner, json={
        "type": "Feature", "geometry": HERE,
        "properties": {"kind": " elder_care_station ", "name": "类型站", "beds": "12", "nursing_beds": 4.0,
                       "floor_area_m2": 220, "operator": None}})
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert (props["kind"], props["beds"], props["nursing_beds"], props["floor_area_m2"]) == (
        "elder_care_station", 12, 4, 220.0)
    stored = store.get("facilities", r.json()["id"])
    assert stored["beds"] == 12 and stored["floor_area_m2"] == 220.0
    grave = api.post("/api/layers/graves/features", headers=planner, json={
        "properties": {"status": "found", "near_feature": 7}, "geometry": HERE})
    assert grave.status_code == 201 and grave.json()["properties"]["near_feature"] == "7", grave.text
    river = api.post("/api/layers/linear_features/features", headers=planner, json={
        "properties": {"kind": "river", "name": "类型河"}, "geometry": LINE_HERE})
    assert river.status_code == 201, river.text
    plate = _first(store, "door_plates", street_name="新华大街", number=7)
    x, y = plate["geometry"].coords[0]
    new_plate = api.post("/api/layers/door_plates/features", headers=officer, json={
        "properties": {"street_name": "新华大街", "number": "7", "suffix": "之九", "households": 12.0},
        "geometry": {"type": "Point", "coordinates": [x, y]}})
    assert new_plate.status_code == 201, new_plate.text
    assert new_plate.json()["properties"]["number"] == 7 and new_plate.json()["properties"]["households"] == 12
    street = _first(store, "streets")
    changed = api.patch(f"/api/layers/streets/features/{street['id']}", headers=officer,
                        json={"version": street["version"], "properties": {"walkable": "否", "grade": "2"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["properties"]["walkable"] is False and changed.json()["properties"]["grade"] == 2
    assert store.get("streets", street["id"])["walkable"] is False


def test_rule_fields_are_still_refused_naming_their_endpoint(api, writable_sample_store):
    store = writable_sample_store
    officer, admin = _token(api, "placename_officer"), _token(api, "admin")
    before = _counts(store, "door_plates", "boundary_markers", "place_names")
    plate = _first(store, "door_plates", street_name="新华大街", number=7)
    here = {"type": "Point", "coordinates": list(plate["geometry"].coords[0])}
    r = api.post("/api/layers/door_plates/features", headers=officer, json={
        "properties": {"street_name": "新华大街", "number": 997, "status": "revoked"}, "geometry": here})
    assert r.status_code == 422 and r.json()["error"] == "use_the_use_case", r.text
    assert r.json()["field"] == "status" and "/api/plates/{plate_uid}/status" in r.json()["message"]
    # A marker is created only by its use case, whatever the body holds (checked before its types).
    for props in ({"marker_no": "Z999Q"}, {"marker_no": ["Z999Q"], "seq": "first", "colour": 1}):
        r = api.post("/api/layers/boundary_markers/features", headers=admin,
                     json={"properties": props, "geometry": HERE})
        assert r.status_code == 422 and r.json()["error"] == "use_the_use_case", r.text
        assert "/api/markers" in r.json()["message"]
    name = _first(store, "place_names", feature_class="street", status="in_force")
    r = api.patch(f"/api/layers/place_names/features/{name['id']}", headers=officer,
                  json={"version": name["version"], "properties": {"status": "retired"}})
    assert r.status_code == 422 and r.json()["error"] == "use_the_use_case" and "/transition" in r.json()["message"]
    assert _counts(store, "door_plates", "boundary_markers", "place_names") == before


def test_gazetteer_bodies_are_typed(api, writable_sample_store):
    store = writable_sample_store
    officer = _token(api, "placename_officer")
    base = {"standard_name": "晨光路", "feature_class": "street", "admin_code": "150102000000",
            "meaning": "晨光 morning light", "name_mong_pending": True}
    before = _counts(store, "place_names", "place_name_events")
    for props, field, word in (({**base, "name_mong_pending": "maybe"}, "name_mong_pending", "是/否"),
                               ({**base, "meaning": {"zh": "晨光"}}, "meaning", "文本"),
                               ({**base, "status": "in_force"}, "status", "各自的步骤"),
                               ({**base, "standard_name": ["晨光路"]}, "standard_name", "文本")):
        for path in ("/api/placenames", "/api/placenames/validate"):
            r = api.post(path, headers=officer, json={"properties": props, "geometry": LINE_HERE})
            assert word in _typed_refusal(r, field)["message"]
    r = api.post("/api/placenames", headers=officer, json={"properties": base, "geometry": LINE_HERE,
                                                          "romanization_override": {"pinyin": "x"}})
    assert r.status_code == 422 and r.json()["field"] == "romanization_override.pinyin", r.text
    name = _first(store, "place_names", feature_class="street", status="in_force")
    url = f"/api/placenames/{name['id']}"
    _typed_refusal(api.patch(url, headers=officer, json={"version": name["version"],
                                                         "properties": {"meaning": [1]}}),
                   "meaning")
    _typed_refusal(api.patch(url, headers=officer, json={"version": True, "properties": {"meaning": "甲"}}),
                   "version", where="")
    step = {"to": "retired", "version": name["version"], "document_ref": "新民发〔2026〕7号"}
    _typed_refusal(api.post(f"{url}/transition", headers=officer, json={**step, "to": "abolished"}), "to",
                   where="")
    _typed_refusal(api.post(f"{url}/transition", headers=officer,
                            json={**step, "data": {"approval_date": 20261130}}), "approval_date", where="data")
    _typed_refusal(api.post(f"{url}/transition", headers=officer, json={**step, "data": {"decided": "yes"}}),
                   "decided", where="data")
    approval = {"approval_authority": "市政府", "approval_doc_no": "x2", "approval_date": "2026-10-01"}
    rename = {"new_name": "和平新路", "version": name["version"]}
    _typed_refusal(api.post(f"{url}/rename", headers=officer,
                            json={**rename, "approval": {**approval, "approval_date": ["2026-10-01"]}}),
                   "approval_date", where="approval")
    _typed_refusal(api.post(f"{url}/rename", headers=officer,
                            json={**rename, "approval": {**approval, "signed_by": "某"}}), "signed_by",
                   where="approval")
    assert store.get("place_names", name["id"])["version"] == name["version"]
    assert _counts(store, "place_names", "place_name_events") == before
    ok = api.post("/api/placenames", headers=officer, json={"properties": base, "geometry": LINE_HERE,
                                                           "justification": "蒙古文名称待译"})
    assert ok.status_code == 201 and ok.json()["properties"]["status"] == "proposed", ok.text


def test_openapi_publishes_each_layers_property_model_with_enumerations(live_server):
    spec = httpx.get(f"{live_server}/openapi.json", timeout=60).json()
    schemas = spec["components"]["schemas"]
    for method, path, suffix in (("post", "/api/layers/{layer}/features", "FeatureIn"),
                                 ("patch", "/api/layers/{layer}/features/{fid}", "FeaturePatch")):
        op = spec["paths"][path][method]
        body = op["requestBody"]["content"]["application/json"]["schema"]
        refs = {member["$ref"].rsplit("/", 1)[1] for member in body["anyOf"]}
        models = {"".join(p.capitalize() for p in name.split("_")) + suffix for name in LAYERS}
        assert refs == models
        layer = next(p for p in op["parameters"] if p["name"] == "layer")
        assert layer["schema"]["enum"] == list(LAYERS)
    fac = schemas["FacilitiesProperties"]
    assert fac["additionalProperties"] is False and fac["required"] == ["kind", "name"]
    kinds = next(m for m in fac["properties"]["kind"]["anyOf"] if m.get("type") == "string")
    assert "elder_care_station" in kinds["enum"]
    beds = next(m for m in fac["properties"]["beds"]["anyOf"] if m.get("type") == "integer")
    assert beds["minimum"] == 0 and beds["maximum"] == MAX_VALUES["beds"]
    area = next(m for m in fac["properties"]["floor_area_m2"]["anyOf"] if m.get("type") == "number")
    assert area["maximum"] == MAX_VALUES["floor_area_m2"]
    code = next(m for m in fac["properties"]["community_code"]["anyOf"] if m.get("type") == "string")
    assert code["maxLength"] == 12
    streets = schemas["StreetsPropertyChanges"]
    classes = next(m for m in streets["properties"]["street_class"]["anyOf"] if m.get("type") == "string")
    assert classes["enum"] == list(STREET_CLASSES) and "required" not in streets
    assert next(m for m in streets["properties"]["walkable"]["anyOf"] if m.get("type"))["type"] == "boolean"
    markers = schemas["BoundaryMarkersProperties"]["properties"]["status"]["anyOf"]
    assert next(m for m in markers if m.get("type") == "string")["enum"] == list(MARKER_STATUSES)
    plates = schemas["DoorPlatesProperties"]["properties"]["decision_date"]["anyOf"]
    assert {"type": "string", "format": "date"} in plates
    assert schemas["FacilitiesFeatureIn"]["properties"]["geometry"]["properties"]["type"]["enum"] == [
        "Point", "Polygon", "MultiPolygon"]
    assert schemas["FacilitiesFeaturePatch"]["required"] == ["version"]
    # The gazetteer's bodies.
    assert schemas["NameProperties"]["additionalProperties"] is False
    assert "status" not in schemas["NameProperties"]["properties"]
    assert schemas["TransitionIn"]["properties"]["to"]["enum"] == list(PLACE_NAME_STATUSES)
    assert schemas["StepRecords"]["additionalProperties"] is False
    assert schemas["ApprovalRecords"]["required"] == ["approval_authority", "approval_doc_no", "approval_date"]


def test_the_registry_types_match_the_store_columns():
    """The layer registry's field types are the columns' (one source for OpenAPI, the API and the store)."""
    for layer in LAYERS.values():
        table = Store.table(layer.table)
        for field in layer.fields:
            assert layer.field_type(field) is table.c[field].type.python_type, (layer.name, field)
            if layer.allowed_values(field):
                assert layer.field_type(field) is str


def test_validate_judges_a_name_as_propose_does(api, writable_sample_store):
    """Outside review (#19 slice 2, finding 3): the check that saves nothing cleans and refuses as the
    proposal does: a NUL is a 400 naming the field (not "out of range" from the database), and a
    duplicate hidden by a zero-width space is found by both."""
    store = writable_sample_store
    officer = _token(api, "placename_officer")
    taken = _first(store, "place_names", feature_class="street", status="in_force")
    base = {"feature_class": "street", "admin_code": "150102000000"}
    r = api.post("/api/placenames/validate", headers=officer,
                 json={"properties": {**base, "standard_name": "测评\x00新路"}, "geometry": LINE_HERE})
    assert r.status_code == 400 and r.json()["field"] == "standard_name", r.text
    assert r.json()["message"].startswith("标准名称") and "控制字符" in r.json()["message"], r.text
    hidden = taken["standard_name"] + "\u200b"
    r = api.post("/api/placenames/validate", headers=officer,
                 json={"properties": {**base, "standard_name": hidden}, "geometry": LINE_HERE})
    assert r.status_code == 200 and not r.json()["ok"], r.text
    assert "PN-07" in {f["rule"] for f in r.json()["findings"]}, r.text
    proposed = api.post("/api/placenames", headers=officer,
                        json={"properties": {**base, "standard_name": hidden}, "geometry": LINE_HERE})
    assert proposed.status_code == 400 and "PN-07" in proposed.text, proposed.text
    # A category code not in GB/T 18521's table: both refuse it, naming the field (re-check, finding 3).
    for path in ("/api/placenames/validate", "/api/placenames"):
        r = api.post(path, headers=officer, json={"properties": {**base, "standard_name": "淼垚路",
                                                                  "category_code": "99999"}, "geometry": LINE_HERE})
        assert r.status_code == 400 and r.json()["field"] == "category_code", (path, r.text)
