"""The annual sync with the national place-name database: batches of the year's changes, idempotent.

A batch holds the standard names changed since the year's last batch (新增/变更/废止) in the exchange
format with codes; asking again with nothing new gives the same stored bytes; sending and the
national acknowledgement are separate, recorded steps.
"""

from __future__ import annotations

import csv
import hashlib
import io

import httpx
import pytest
import shapely

from geo.errors import Conflict, InputError, StaleVersion
from geo.placenames.codes import assign_code
from geo.placenames.lifecycle import propose, transition
from geo.placenames.national_sync import list_batches, make_batch, mark_acknowledged, mark_sent
from geo.store import Store
from geo.types import beijing_today
from tests.conftest import USERS

LINE = shapely.LineString([(111.70, 40.85), (111.71, 40.85)])
BASE = {"feature_class": "street", "meaning": "取春光普照之意", "admin_code": "150102003000",
        "name_mong": "ᠴᠦᠨ ᠬᠦᠢ ᠵᠠᠮ"}
HOSTILE = '=HYPERLINK("http://x","y")'
def _year() -> int:
    """Beijing's year now, read at each use (a run crossing Beijing's New Year must not see two years)."""
    return beijing_today().year


def _rows(payload: str) -> list[dict[str, str]]:
    assert payload.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(payload[1:])))


def _in_force(store: Store, name: str) -> dict:
    rec = propose(store, {**BASE, "standard_name": name}, actor="officer-li", geometry=LINE, justification="t")
    store.update("place_names", rec["id"], {"status": "in_force", "approval_date": beijing_today()},
                 expected_version=rec["version"], actor="setup")
    assign_code(store, rec["id"], actor="officer-li")
    return store.get("place_names", rec["id"])


def test_batches_hold_each_change_once_and_asking_again_gives_the_same_bytes(store: Store):
    with pytest.raises(Conflict) as err:  # nothing changed: no empty batch
        make_batch(store, _year(), actor="o")
    assert err.value.field == "year" and "不生成空的同步批次" in err.value.message
    a = _in_force(store, "春晖路")
    propose(store, {**BASE, "standard_name": "和乐路"}, actor="o", geometry=LINE, justification="t")  # a proposal
    first, created = make_batch(store, _year(), actor="officer-li")
    assert created and (first["batch_no"], first["record_count"], first["made_by"]) == (1, 1, "officer-li")
    (row,) = _rows(first["payload"])
    got = (row["变更类型"], row["标准名称"], row["地名代码"], row["使用状态"])
    assert got == ("新增", "春晖路", a["place_code"], "现今")
    # A street has no sourced 5-digit category code: none is invented, the census class is given and the
    # batch says how many rows still lack one (finding 4 of the third review).
    assert (row["类别代码"], row["类别名称"], row["普查大类"]) == ("", "", "交通运输设施")
    assert first["gaps"] == {"rows": 1, "without_place_code": 0, "without_category_code": 1}
    (warning,) = first["warnings"]
    assert warning.startswith("本批次 1 条中有 1 条类别代码待定") and "GB/T 18521" in warning
    assert first["checksum_sha256"] == hashlib.sha256(first["payload"].encode("utf-8")).hexdigest()
    again, created = make_batch(store, _year(), actor="someone-else")
    assert not created and again == first  # the same record: same bytes, same checksum, same maker

    store.update("place_names", a["id"], {"meaning": HOSTILE}, expected_version=a["version"], actor="setup")
    second, created = make_batch(store, _year(), actor="o")
    assert created and second["batch_no"] == 2 and second["from_seq"] == first["to_seq"] + 1
    (row,) = _rows(second["payload"])
    assert row["变更类型"] == "变更" and row["地名含义"] == "'" + HOSTILE  # no live formula in the file
    a = store.get("place_names", a["id"])
    transition(store, a["id"], "retired", expected_version=a["version"], actor="o", document_ref="呼政字〔2026〕40号")
    third, _ = make_batch(store, _year(), actor="o")
    (row,) = _rows(third["payload"])
    assert (row["变更类型"], row["使用状态"], row["地名代码"]) == ("废止", "历史", a["place_code"])
    assert [b["batch_no"] for b in list_batches(store, year=_year())] == [3, 2, 1]
    with pytest.raises(Conflict):  # nothing of last year changed in this store
        make_batch(store, _year() - 1, actor="o")
    with pytest.raises(InputError) as bad:
        make_batch(store, _year() + 1, actor="o")
    assert bad.value.field == "year"


def test_a_coded_category_leaves_no_gap_and_gives_its_census_class(store: Store):
    line = {**BASE, "feature_class": "community", "category_code": "21620"}
    rec = propose(store, {**line, "standard_name": "春晖社区"}, actor="o", geometry=LINE, justification="t")
    store.update("place_names", rec["id"], {"status": "in_force", "approval_date": beijing_today()},
                 expected_version=rec["version"], actor="setup")
    batch, _ = make_batch(store, _year(), actor="o")
    (row,) = _rows(batch["payload"])
    assert (row["类别代码"], row["类别名称"], row["普查大类"]) == ("21620", "社区", "群众自治组织")
    # No place code yet: that gap is named, with the command that closes it.
    assert batch["gaps"] == {"rows": 1, "without_place_code": 1, "without_category_code": 0}
    assert [w.split("：")[0] for w in batch["warnings"]] == ["本批次 1 条中有 1 条没有地名代码"]


def test_census_classes_by_feature_class_and_generic():
    from geo.placenames.categories import CENSUS_CLASSES, census_class_of, load_census_classes

    assert census_class_of({"feature_class": "natural", "generic": "河"}) == "陆地水系"
    assert census_class_of({"feature_class": "natural", "generic": "山"}) == "陆地地形"
    assert census_class_of({"feature_class": "facility", "generic": "服务站"}) == "单位"
    assert census_class_of({"feature_class": "natural", "generic": "坡"}) is None  # no row: not guessed
    assert set(load_census_classes().values()) <= set(CENSUS_CLASSES)


def test_a_census_class_outside_the_twelve_is_refused(tmp_path):
    from geo.placenames.categories import load_census_classes

    bad = tmp_path / "classes.csv"
    bad.write_text("feature_class,generic,census_class,note\nstreet,,道路,x\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_census_classes(bad)
    assert err.value.field == "census_classes" and "第 2 行" in err.value.message


def test_sent_and_acknowledged_are_separate_recorded_steps(store: Store):
    _in_force(store, "春晖路")
    batch, _ = make_batch(store, _year(), actor="o")
    with pytest.raises(Conflict) as err:
        mark_acknowledged(store, batch["id"], ack_ref="MCA-2026-1", expected_version=batch["version"], actor="o")
    assert err.value.field == "sent_at"
    sent = mark_sent(store, batch["id"], expected_version=batch["version"], actor="o")
    assert sent["sent_at"] is not None
    with pytest.raises(StaleVersion):
        mark_sent(store, batch["id"], expected_version=batch["version"], actor="o")
    with pytest.raises(Conflict):
        mark_sent(store, batch["id"], expected_version=sent["version"], actor="o")
    with pytest.raises(InputError) as bad:
        mark_acknowledged(store, batch["id"], ack_ref=" ", expected_version=sent["version"], actor="o")
    assert bad.value.field == "ack_ref"
    acked = mark_acknowledged(store, batch["id"], ack_ref="MCA-2026-1", expected_version=sent["version"], actor="o")
    assert acked["ack_ref"] == "MCA-2026-1" and acked["payload"] == batch["payload"]  # the file never changes
    with pytest.raises(Conflict):
        mark_acknowledged(store, batch["id"], ack_ref="again", expected_version=acked["version"], actor="o")
    actions = [r["action"] for r in store.select("audit_log", where={"table_name": "sync_batches"})]
    assert actions == ["create", "sent", "acknowledged"]


def _token(base: str, role: str) -> dict[str, str]:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_sync_over_http_resending_is_idempotent(writable_server, writable_sample_store):
    base, store = writable_server, writable_sample_store
    officer = _token(base, "placename_officer")
    name = store.select("place_names", where={"standard_name": "和安路"})[0]
    r = httpx.post(f"{base}/api/placenames/{name['id']}/protection", headers=officer, json={
        "version": name["version"], "protected": True, "document_ref": "新政发〔2026〕7号", "reason": "老街",
        "decision_body": "新城区人民政府"})
    assert r.status_code == 200, r.text
    assigned = httpx.post(f"{base}/api/place-codes/assign", headers=officer, json={"confirm": True}, timeout=300)
    # The sample's names got their codes at init: a second assignment has nothing left to code.
    assert assigned.status_code == 200 and assigned.json()["assigned"] == 0, assigned.text
    made = httpx.post(f"{base}/api/place-codes/sync-batches", headers=officer, json={"year": _year()})
    assert made.status_code == 201, made.text
    batch = made.json()
    again = httpx.post(f"{base}/api/place-codes/sync-batches", headers=officer, json={"year": _year()})
    assert again.status_code == 200 and again.json() == batch
    assert batch["gaps"]["rows"] == batch["record_count"] and batch["gaps"]["without_place_code"] == 0
    assert batch["gaps"]["without_category_code"] >= 1 and "类别代码待定" in batch["warnings"][-1]
    table = httpx.get(f"{base}/api/place-codes/categories").json()
    assert {"feature_class": "street", "generic": None, "census_class": "交通运输设施"} in table["census_classes"]
    file = httpx.get(f"{base}/api/place-codes/sync-batches/{batch['id']}/file", headers=officer)
    assert file.status_code == 200 and file.headers["x-checksum-sha256"] == batch["checksum_sha256"]
    assert hashlib.sha256(file.content).hexdigest() == batch["checksum_sha256"]
    rows = _rows(file.content.decode("utf-8"))
    mine = [r for r in rows if r["标准名称"] == "和安路"]
    assert len(mine) == 1 and mine[0]["保护名录"].startswith("已列入（新政发〔2026〕7号") and mine[0]["地名代码"]
    planner = _token(base, "planner")
    assert httpx.get(f"{base}/api/place-codes/sync-batches", headers=planner).status_code == 403
    sent = httpx.post(f"{base}/api/place-codes/sync-batches/{batch['id']}/sent", headers=officer,
                      json={"version": batch["version"]})
    assert sent.status_code == 200 and sent.json()["sent_at"], sent.text
    ack = httpx.post(f"{base}/api/place-codes/sync-batches/{batch['id']}/acknowledged", headers=officer,
                     json={"version": sent.json()["version"], "ack_ref": "MCA-回执-001"})
    assert ack.status_code == 200 and ack.json()["ack_ref"] == "MCA-回执-001"
    listed = httpx.get(f"{base}/api/place-codes/sync-batches", headers=officer, params={"year": _year()}).json()
    assert [b["id"] for b in listed] == [batch["id"]] and "payload" not in listed[0]
    assert httpx.get(f"{base}/api/place-codes/sync-batches/999999/file", headers=officer).status_code == 404


def test_cli_export_writes_the_stored_bytes(tmp_path):
    from tests.xincheng_cli import run

    db = tmp_path / "x.db"
    s = Store.open(f"sqlite:///{db}")
    s.migrate()
    _in_force(s, "春晖路")
    s.close()
    out = tmp_path / "batch.csv"
    r = run("place-codes", "sync", "export", "--year", str(_year()), "--out", str(out), db=db)
    assert r.returncode == 0 and r.stdout.startswith("新批次 new batch: 1\t"), r.stderr
    assert "注意 warning: 本批次 1 条中有 1 条类别代码待定" in r.stderr
    r2 = run("place-codes", "sync", "export", "--year", str(_year()), db=db)
    assert r2.returncode == 0 and "没有新变更" in r2.stdout
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert digest in r.stdout and digest in r2.stdout
    assert run("place-codes", "sync", "export", "--year", "1999", db=db).returncode == 2
    assert run("place-codes", "sync", "sent", "1", db=db).returncode == 0
    r = run("place-codes", "sync", "ack", "1", "--ref", "MCA-1", db=db)
    assert r.returncode == 0 and "MCA-1" in r.stdout
