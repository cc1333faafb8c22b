"""The heritage protection list (PN-09) and PN-08 facility-name warnings.

A protected name refuses renaming and retirement on every path (the rename use case, the edit use
case, the generic layer PATCH, an import upsert) until a decision lifts the protection; the list keeps
the entry with its decisions.
"""

from __future__ import annotations

from datetime import date

import httpx
import pytest
import shapely

from geo.errors import Conflict, InputError
from geo.generic_writes import create_feature, update_feature
from geo.placenames.facility_names import check_facility_names
from geo.placenames.heritage import protection_list
from geo.placenames.lifecycle import edit, exchange_table_of, propose, rename, set_protection, transition
from geo.store import Store
from geo.types import beijing_today
from geo.write_rules import RuleFieldRefused
from tests.conftest import USERS

LINE = shapely.LineString([(111.70, 40.85), (111.71, 40.85)])
BASE = {"feature_class": "street", "meaning": "老街", "admin_code": "150102003000", "name_mong": "ᠬᠠᠭᠤᠴᠢᠨ"}
APPROVAL = {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2026〕30号",
            "approval_date": "2026-06-01"}


def _in_force(store: Store, name: str = "大召前街") -> dict:
    (pid,) = store.insert("place_names", [{**BASE, "standard_name": name, "status": "in_force",
                                           "approval_date": date(2001, 5, 1), "geometry": LINE}], actor="setup")
    return store.get("place_names", pid)


def _protect(store: Store, name: dict) -> dict:
    return set_protection(store, name["id"], True, expected_version=name["version"], actor="officer-li",
                          document_ref="新政发〔2026〕7号", reason="清代街巷，历史地名", decision_body="新城区人民政府",
                          category="历史地名", decision_date="2026-03-01")


def test_listing_is_a_decision_on_the_list_and_lifting_keeps_the_entry(store: Store):
    name = _protect(store, _in_force(store))
    assert name["protected"] is True
    (entry,) = protection_list(store)
    assert (entry["status"], entry["decision_body"], entry["decision_doc_no"], entry["category"],
            entry["listed_on"], entry["standard_name"]) == ("listed", "新城区人民政府", "新政发〔2026〕7号", "历史地名",
                                                             date(2026, 3, 1), "大召前街")
    with pytest.raises(InputError) as err:  # lifting before the listing date
        set_protection(store, name["id"], False, expected_version=name["version"], actor="o",
                       document_ref="新政发〔2026〕9号", reason="道路拓宽", decision_date="2026-02-01")
    assert err.value.field == "decision_date"
    with pytest.raises(InputError) as err:  # a decision dated in the future
        set_protection(store, name["id"], False, expected_version=name["version"], actor="o",
                       document_ref="新政发〔2026〕9号", reason="道路拓宽", decision_date="2099-01-01")
    assert err.value.field == "decision_date"
    lifted = set_protection(store, name["id"], False, expected_version=name["version"], actor="o",
                            document_ref="新政发〔2026〕9号", reason="道路拓宽", decision_date="2026-04-01")
    assert lifted["protected"] is False
    (entry,) = protection_list(store)
    assert (entry["status"], entry["lift_doc_no"], entry["lift_reason"], entry["lifted_on"]) == (
        "lifted", "新政发〔2026〕9号", "道路拓宽", date(2026, 4, 1))
    assert protection_list(store, status="listed") == []


def test_a_protected_name_refuses_rename_and_retirement_on_every_path(store: Store):
    name = _protect(store, _in_force(store))
    v = name["version"]
    with pytest.raises(Conflict) as err:
        rename(store, name["id"], "大召新街", expected_version=v, actor="o", approval=APPROVAL)
    assert err.value.field == "protected" and "PN-09" in err.value.message and "新政发〔2026〕7号" in err.value.message
    assert err.value.message.startswith("地名“大召前街”已列入地名文化遗产保护名录（保护名录第")
    with pytest.raises(Conflict) as err:
        transition(store, name["id"], "retired", expected_version=v, actor="o", document_ref="文-1")
    assert "PN-09" in err.value.message and "不得撤销" in err.value.message
    with pytest.raises(RuleFieldRefused):  # the generic layer PATCH (and an import upsert: the same rule)
        update_feature(store, "place_names", name["id"], {"standard_name": "大召新街"}, expected_version=v, actor="o")
    with pytest.raises(RuleFieldRefused):
        update_feature(store, "place_names", name["id"], {"protected": False}, expected_version=v, actor="o")
    assert store.get("place_names", name["id"])["standard_name"] == "大召前街"
    # A protected proposal cannot change its name by edit either.
    rec = propose(store, {**BASE, "standard_name": "通顺街"}, actor="o", geometry=LINE, justification="t")
    rec = _protect(store, rec)
    with pytest.raises(Conflict) as err:
        edit(store, rec["id"], {"standard_name": "通顺南街"}, expected_version=rec["version"], actor="o")
    assert "PN-09" in err.value.message
    edited = edit(store, rec["id"], {"meaning": "清代通顺店"}, expected_version=rec["version"], actor="o")
    assert edited["meaning"] == "清代通顺店"  # other fields stay editable
    # After a decision lifts the protection, the rename goes through.
    name = set_protection(store, name["id"], False, expected_version=v, actor="o", document_ref="新政发〔2026〕9号",
                          reason="区划调整")
    renamed = rename(store, name["id"], "大召新街", expected_version=name["version"], actor="o", approval=APPROVAL,
                     justification="t")
    assert renamed["standard_name"] == "大召新街"


def test_a_name_flagged_before_the_list_existed_is_protected_and_its_lifting_is_listed(store: Store):
    (pid,) = store.insert("place_names", [{**BASE, "standard_name": "旧城北门", "status": "in_force",
                                           "protected": True}], actor="setup")
    name = store.get("place_names", pid)
    with pytest.raises(Conflict) as err:
        transition(store, pid, "retired", expected_version=name["version"], actor="o", document_ref="文-1")
    assert "保护名录建立前列入" in err.value.message
    set_protection(store, pid, False, expected_version=name["version"], actor="o", document_ref="文-2", reason="重建")
    (entry,) = protection_list(store)
    assert (entry["status"], entry["lift_doc_no"], entry["listed_on"]) == ("lifted", "文-2", None)


def test_the_list_is_in_the_export(store: Store):
    _protect(store, _in_force(store))
    row = exchange_table_of(store).iloc[0]
    assert row["保护名录"] == "已列入（新政发〔2026〕7号，2026-03-01）"


def _district(store: Store) -> None:
    store.insert("admin_units", [{"code": "150102000000", "name": "新城区", "level": "district",
                                  "geometry": shapely.box(111.60, 40.80, 111.80, 40.95)}], actor="setup")


def test_pn08_facility_names_that_match_no_place_name_around_them(store: Store):
    _district(store)
    _in_force(store, "春晖路")
    near = shapely.Point(111.705, 40.851)  # about 110 m north of 春晖路
    far = shapely.Point(111.73, 40.87)     # about 2.8 km from the street's east end
    good = create_feature(store, "facilities", {"kind": "elder_care_station", "name": "春晖路养老服务站",
                                                "geometry": near}, actor="planner")
    assert good.warnings == []
    odd = create_feature(store, "facilities", {"kind": "elder_care_station", "name": "幸福家园养老驿站",
                                               "geometry": near}, actor="planner")
    assert len(odd.warnings) == 1
    assert odd.warnings[0].startswith("设施名称“幸福家园养老驿站”未含周边 500 米内任何现行地名（PN-08")
    assert "春晖路" in odd.warnings[0]  # the names nearby are shown
    moved = update_feature(store, "facilities", good.record["id"], {"geometry": far},
                           expected_version=good.record["version"], actor="planner")
    assert len(moved.warnings) == 1 and "周边地名：—" in moved.warnings[0]
    result = check_facility_names(store)
    assert sorted(f["name"] for f in result["findings"]) == ["幸福家园养老驿站", "春晖路养老服务站"]
    assert [f["name"] for f in check_facility_names(store, radius_m=5000)["findings"]] == ["幸福家园养老驿站"]
    with pytest.raises(InputError) as err:
        check_facility_names(store, radius_m=0)
    assert err.value.field == "radius_m"


def _token(base: str, role: str) -> dict[str, str]:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_heritage_over_http_as_an_officer_would(writable_server, writable_sample_store):
    base, store = writable_server, writable_sample_store
    officer = _token(base, "placename_officer")
    name = store.select("place_names", where={"standard_name": "和安路"})[0]
    bad = httpx.post(f"{base}/api/place-codes/heritage", headers=officer, json={
        "place_id": name["id"], "version": name["version"], "decision_body": "新城区人民政府",
        "decision_doc_no": "新政发〔2026〕7号", "reason": "老街", "decision_date": "2099-01-01"})
    assert bad.status_code == 400 and bad.json()["field"] == "decision_date"
    assert store.get("place_names", name["id"])["protected"] is False  # nothing stored
    r = httpx.post(f"{base}/api/place-codes/heritage", headers=officer, json={
        "place_id": name["id"], "version": name["version"], "decision_body": "新城区人民政府",
        "decision_doc_no": "新政发〔2026〕7号", "reason": "<script>alert(1)</script>", "category": "历史地名"})
    assert r.status_code == 201, r.text
    assert r.json()["entry"]["reason"] == "<script>alert(1)</script>" and r.json()["protected"] is True
    version = r.json()["version"]
    rename = httpx.post(f"{base}/api/placenames/{name['id']}/rename", headers=officer, json={
        "new_name": "和平新路", "version": version, "approval": APPROVAL})
    assert rename.status_code == 409 and rename.json()["field"] == "protected" and "PN-09" in rename.json()["message"]
    override = httpx.post(f"{base}/api/placenames/{name['id']}/rename", headers=officer, json={
        "new_name": "和平新路", "version": version, "approval": APPROVAL, "protection_override": "无"})
    assert override.status_code in (409, 422)  # the old override is gone: no way round the list
    listed = httpx.get(f"{base}/api/place-codes/heritage", headers=officer, params={"status": "listed"}).json()
    assert [e["standard_name"] for e in listed] == ["和安路"]
    planner = _token(base, "planner")
    assert httpx.post(f"{base}/api/place-codes/heritage/{name['id']}/lift", headers=planner, json={
        "version": version, "decision_doc_no": "x", "reason": "x", "decision_date": "2026-11-01"}).status_code == 403
    lifted = httpx.post(f"{base}/api/place-codes/heritage/{name['id']}/lift", headers=officer, json={
        "version": version, "decision_doc_no": "新政发〔2026〕9号", "reason": "道路改建",
        "decision_date": beijing_today().isoformat()})
    assert lifted.status_code == 200 and lifted.json()["protected"] is False, lifted.text
    stale = httpx.post(f"{base}/api/place-codes/heritage", headers=officer, json={
        "place_id": name["id"], "version": version, "decision_body": "x", "decision_doc_no": "x", "reason": "x"})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    facilities = httpx.get(f"{base}/api/place-codes/facility-names", headers=planner).json()
    assert facilities["rule"] == "PN-08" and facilities["checked"] > 100


def test_an_import_upsert_cannot_rename_a_protected_name(tmp_path):
    import json

    from tests.xincheng_cli import run

    db = tmp_path / "x.db"
    s = Store.open(f"sqlite:///{db}")
    s.migrate()
    name = _in_force(s)
    s.update("place_names", name["id"], {"place_code": "1501020000000001"}, expected_version=name["version"],
             actor="setup")
    _protect(s, s.get("place_names", name["id"]))
    s.close()
    file = tmp_path / "names.geojson"
    file.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"place_code": "1501020000000001", "standard_name": "大召新街"},
        "geometry": shapely.geometry.mapping(LINE)}]}, ensure_ascii=False), encoding="utf-8")
    r = run("import", str(file), "--layer", "place_names", "--crs", "EPSG:4490", "--mode", "upsert", db=db)
    assert r.returncode != 0 and "standard_name" in r.stderr, (r.stdout, r.stderr)
    s = Store.open(f"sqlite:///{db}")
    assert s.get("place_names", name["id"])["standard_name"] == "大召前街"
    s.close()


def test_cli_heritage_add_list_lift(tmp_path):
    from tests.xincheng_cli import run

    db = tmp_path / "x.db"
    s = Store.open(f"sqlite:///{db}")
    s.migrate()
    pid = _in_force(s)["id"]
    s.close()
    r = run("place-codes", "heritage", "add", str(pid), "--body", "新城区人民政府", "--doc", "新政发〔2026〕7号",
            "--reason", "清代街巷", "--date", "2026-03-01", db=db)
    assert r.returncode == 0 and "已列入保护名录 listed: 大召前街" in r.stdout, r.stderr
    r = run("place-codes", "heritage", "add", str(pid), "--body", "x", "--doc", "x", "--reason", "x", db=db)
    assert r.returncode == 1 and "已在保护名录" in r.stderr  # listed already: a refused decision
    r = run("place-codes", "heritage", "lift", str(pid), "--doc", "新政发〔2026〕9号", "--reason", "改建",
            "--date", "2026-13-01", db=db)
    assert r.returncode == 2 and "decision_date" in r.stderr  # a bad date is a usage error naming the field
    r = run("place-codes", "heritage", "lift", str(pid), "--doc", "新政发〔2026〕9号", "--reason", "改建",
            "--date", "2026-04-01", db=db)
    assert r.returncode == 0, r.stderr
    r = run("place-codes", "heritage", "list", db=db)
    assert r.returncode == 0
    (line,) = r.stdout.splitlines()[1:]
    assert line.split("\t")[1:4] == ["大召前街", "—", "lifted"] and "新政发〔2026〕9号" in line
    r = run("place-codes", "facility-names", "--radius-m", "0", db=db)
    assert r.returncode == 2 and "radius_m" in r.stderr
