"""Re-check of #17 after its review: what a unit owns stays with the division change (N1, N2, N8).

- N1: a community's (village's, sub-district's) name in the gazetteer is the unit's; renaming or
  retiring it through ``/api/placenames/{id}/rename`` or ``/transition`` is refused (409) naming the
  division endpoint, and nothing changes; nor can a proposal or edit give a unit in force a second
  name or detach its name from it.
- N2: a plate's community follows from where it stands: a new plate (POST, file import) takes the
  community its position lies in, a code naming another community is refused with the one at that
  position named, a moved plate takes its new community (a move along its street: tested in
  test_review17_third, which also refuses a move away from the street), and an abolished community's
  code is refused.
- N8: a facility cannot be put in an abolished community through the generic PATCH.
"""

from __future__ import annotations

import json

import geopandas as gpd
import httpx
import pytest
import shapely
import sqlalchemy as sa

from geo.divisions.changes import merge_units
from geo.errors import Conflict, InputError
from geo.generic_writes import create_feature, update_feature
from geo.io.importer import import_frame
from geo.placenames.lifecycle import edit, propose, rename, transition
from geo.store import Store, schema
from tests.test_divisions import DECISION, _token, _unit

INFO = {"format": "GeoJSON", "source_crs": "EPSG:4490", "encoding": "UTF-8"}
APPROVAL = {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政地〔2026〕9号",
            "approval_date": "2026-11-20"}


def _unit_name(store: Store, level: str) -> dict:
    """An in-force gazetteer name of an active unit of ``level``."""
    p, u = schema.place_names, schema.admin_units
    with store.reading() as conn:
        pid = conn.execute(sa.select(p.c.id).join(u, u.c.code == p.c.admin_code).where(
            u.c.level == level, p.c.status == "in_force", u.c.status == "active")
            .order_by(p.c.id)).scalars().first()
    assert pid is not None, f"the sample has an in-force name of a {level}"
    return store.get("place_names", pid)


# -- N1 ------------------------------------------------------------------------------------------------


def test_a_communitys_name_is_not_renamed_or_retired_through_the_gazetteer(writable_sample_store, writable_server):
    store, base = writable_sample_store, writable_server
    name = _unit_name(store, "community")
    (unit,) = store.select("admin_units", where={"code": name["admin_code"]})
    h = _token(base, "placename_officer")
    r = httpx.post(f"{base}/api/placenames/{name['id']}/rename", headers=h, timeout=60,
                   json={"new_name": "青城新韵社区", "version": name["version"], "approval": APPROVAL})
    assert r.status_code == 409, r.text
    assert "/api/divisions/rename" in r.json()["message"] and unit["code"] in r.json()["message"]
    assert r.json()["message"].index("区划") < r.json()["message"].index("division")  # Chinese first
    r = httpx.post(f"{base}/api/placenames/{name['id']}/transition", headers=h, timeout=60,
                   json={"to": "retired", "version": name["version"], "document_ref": "呼政地〔2026〕9号"})
    assert r.status_code == 409, r.text
    assert "/api/divisions/merge" in r.json()["message"]
    after = store.get("place_names", name["id"])
    assert (after["version"], after["standard_name"], after["status"]) == (name["version"], name["standard_name"],
                                                                            "in_force")
    assert not store.count("former_names", where={"place_name_id": name["id"]})
    assert store.get("admin_units", unit["id"])["name"] == unit["name"]


@pytest.mark.parametrize("level", ["village", "subdistrict", "district"])
def test_a_village_subdistrict_or_district_name_is_refused_in_the_use_cases_too(writable_sample_store, level):
    store = writable_sample_store
    name = _unit_name(store, level)
    with pytest.raises(Conflict) as err:
        rename(store, name["id"], "新名" + name["standard_name"][-1], expected_version=name["version"],
               actor="t-admin", approval=APPROVAL, justification="测试")
    assert "/api/divisions/rename" in err.value.message
    with pytest.raises(Conflict):
        transition(store, name["id"], "retired", expected_version=name["version"], actor="t-admin",
                   document_ref="呼政地〔2026〕9号")
    assert store.get("place_names", name["id"])["version"] == name["version"]


def test_a_unit_in_force_gets_no_second_name_and_keeps_its_own(writable_sample_store):
    store = writable_sample_store
    name = _unit_name(store, "community")
    before = store.count("place_names")
    with pytest.raises(Conflict) as err:
        propose(store, {"standard_name": "幸福里社区", "feature_class": "community", "admin_code": name["admin_code"],
                        "meaning": "测试"}, actor="t-admin")
    assert "/api/divisions/rename" in err.value.message and err.value.field == "admin_code"
    assert store.count("place_names") == before
    # A proposed community name not yet tied to a unit in force may be edited; tying it to one is refused.
    parent = _unit(store, name["admin_code"])["parent_code"]
    free = propose(store, {"standard_name": "幸福里社区", "feature_class": "community", "admin_code": parent,
                           "name_mong_pending": True, "meaning": "新建小区所在社区"}, actor="t-admin",
                   justification="蒙古文名称待译")
    with pytest.raises(Conflict):
        edit(store, free["id"], {"admin_code": name["admin_code"]}, expected_version=free["version"],
             actor="t-admin")
    assert store.get("place_names", free["id"])["admin_code"] == parent


def test_the_division_rename_still_renames_the_units_name(writable_sample_store):
    """The refusal does not stop the division change that owns the name."""
    from geo.divisions.changes import rename_unit

    store = writable_sample_store
    name = _unit_name(store, "community")
    unit = _unit(store, name["admin_code"])
    rename_unit(store, unit["code"], "青城新韵社区", expected_version=unit["version"], decision=DECISION,
                actor="t-admin")
    assert store.get("place_names", name["id"])["standard_name"] == "青城新韵社区"
    assert _unit(store, unit["code"])["name"] == "青城新韵社区"


# -- N2 ------------------------------------------------------------------------------------------------


def _two_communities(store: Store) -> tuple[dict, dict]:
    units = [u for u in store.select("admin_units", where={"level": "community"}) if u["status"] == "active"]
    units.sort(key=lambda u: u["code"])
    return units[0], units[1]


def _inside(unit: dict) -> shapely.Point:
    return shapely.point_on_surface(unit["geometry"])


def _street(store: Store) -> str:
    return store.select("door_plates", where={"status": "active"}, limit=1)[0]["street_name"]


def test_a_new_plate_takes_the_community_it_stands_in(writable_sample_store):
    store = writable_sample_store
    a, b = _two_communities(store)
    street = _street(store)
    made = create_feature(store, "door_plates", {"street_name": street, "number": 9001, "geometry": _inside(a)},
                          actor="t-admin").record
    assert made["community_code"] == a["code"]
    before = store.count("door_plates")
    with pytest.raises(InputError) as err:
        create_feature(store, "door_plates", {"street_name": street, "number": 9003, "geometry": _inside(a),
                                              "community_code": b["code"]}, actor="t-admin")
    assert err.value.field == "community_code" and a["code"] in err.value.message and a["name"] in err.value.message
    assert store.count("door_plates") == before


def test_an_import_places_its_plates_and_refuses_a_wrong_community_by_row(writable_sample_store):
    store = writable_sample_store
    a, b = _two_communities(store)
    street = _street(store)
    frame = gpd.GeoDataFrame([{"street_name": street, "number": 9101, "community_code": None},
                              {"street_name": street, "number": 9103, "community_code": b["code"]}],
                             geometry=[_inside(b), _inside(a)], crs="EPSG:4490")
    before = store.count("door_plates")
    with pytest.raises(InputError) as err:
        import_frame(store, "door_plates", frame, INFO, actor="t-admin", name="plates.geojson")
    assert "第 2 行" in err.value.message and a["code"] in err.value.message
    assert store.count("door_plates") == before
    frame.loc[1, "community_code"] = None
    import_frame(store, "door_plates", frame, INFO, actor="t-admin", name="plates.geojson")
    got = {r["number"]: r["community_code"] for r in store.select("door_plates", where={"street_name": street})
           if r["number"] in (9101, 9103)}
    assert got == {9101: b["code"], 9103: a["code"]}


def _merged_away(store: Store) -> str:
    """Merge two adjoining villages; return the code of one abolished by the merge."""
    from tests.test_divisions import _adjoining_villages

    a, b = _adjoining_villages(store)
    merge_units(store, [a["code"], b["code"]], name="团结村",
                expected_versions={a["code"]: a["version"], b["code"]: b["version"]}, decision=DECISION,
                actor="t-admin")
    return a["code"]


def test_an_abolished_communitys_code_is_refused_on_plates_and_facilities(writable_sample_store):
    store = writable_sample_store
    gone = _merged_away(store)
    facility = store.select("facilities", limit=1)[0]
    with pytest.raises(InputError) as err:
        update_feature(store, "facilities", facility["id"], {"community_code": gone},
                       expected_version=facility["version"], actor="t-admin")
    assert err.value.field == "community_code" and "已撤销" in err.value.message
    assert store.get("facilities", facility["id"])["version"] == facility["version"]
    with pytest.raises(InputError) as err:
        create_feature(store, "door_plates", {"street_name": _street(store), "number": 9301,
                                              "community_code": gone}, actor="t-admin")
    assert "已撤销" in err.value.message


# -- N7: a restore checks the sign ids and counter, unit and plate states, a plate's community ---------


@pytest.mark.parametrize(("table", "pick", "change", "words"), [
    ("street_signs", {}, {"sign_uid": "S0000000"}, "sign_uid"),
    ("code_counters", {"scheme": "sign"}, {"last_serial": 1}, "last_serial"),
    ("admin_units", {"level": "community"}, {"status": "dissolved"}, "status"),
    ("door_plates", {}, {"status": "lost"}, "status"),
    ("door_plates", {}, {"community_code": "150102001999"}, "community_code"),
    ("admin_units", {"code": "150102001001"}, {"status": "retired"}, "community_code"),  # its plates still active
    # the units' tree, as a first load must make it (a hand-edited backup restored these: review)
    ("admin_units", {"level": "subdistrict"}, {"level": "foo"}, "level"),
    ("admin_units", {"level": "community"}, {"name": "社" * 10_000}, "name"),
    ("admin_units", {"level": "district"}, {"parent_code": "150102001000"}, "parent_code"),  # a cycle
    ("admin_units", {"level": "subdistrict"}, {"status": "retired"}, "parent_code"),  # active communities below
    ("admin_units", {"level": "district"}, {"status": "retired"}, "轮廓"),
    ("admin_units", {"level": "community"}, {"parent_code": "150102000000"}, "parent_code"),  # a level too high
    ("admin_units", {"level": "subdistrict"}, {"status": "neighbour"}, "neighbour"),  # own units marked so escaped
    ("admin_units", {"level": "district"}, {"adcode": "999999", "code": "999999000000"}, "GB/T 2260"),
])
def test_a_restore_refuses_what_the_sign_plate_and_unit_rules_refuse(small_sample_backup, store, tmp_path, table,
                                                                     pick, change, words):
    from geo.restore_rules import check_restored
    from geo.store.backup import restore_backup
    from tests.test_review17_generic import _edited_backup, _lines_where

    def chosen(record: dict) -> bool:
        return all(record.get(k) == v for k, v in pick.items())

    archive = _edited_backup(small_sample_backup, tmp_path, table, _lines_where(chosen, lambda r: r.update(change)))
    with pytest.raises(InputError) as err:
        restore_backup(store, archive, checks=[check_restored])
    assert words in err.value.message and "未恢复任何数据" in err.value.message, err.value.message
    assert store.count("door_plates") == 0 and store.count("street_signs") == 0  # rolled back


def test_the_untouched_sample_backup_restores(sample_backup, store):
    """The checks refuse what is wrong, not the district as the service writes it."""
    from geo.restore_rules import check_restored
    from geo.store.backup import restore_backup

    restore_backup(store, sample_backup, checks=[check_restored])
    assert store.count("street_signs") > 0 and store.count("door_plates") > 0


def test_the_small_sample_backup_restores_whole_and_small(small_sample_backup, sample_backup, store):
    """The refusal tests' backup (tests/conftest.py) is one the checks accept: each refusal is the edit's."""
    import zipfile

    from geo.restore_rules import check_restored
    from geo.store.backup import restore_backup

    counts = restore_backup(store, small_sample_backup, checks=[check_restored])
    with zipfile.ZipFile(sample_backup) as archive:
        whole = json.loads(archive.read("manifest.json"))["tables"]
    assert 1_000 < counts["door_plates"] < whole["door_plates"]["rows"] // 10
    assert counts["street_signs"] == whole["street_signs"]["rows"] and counts["addresses"] == whole["addresses"]["rows"]


def test_a_refused_restore_into_a_new_sqlite_file_leaves_no_file(small_sample_backup, tmp_path):
    """A refused restore rolled its transaction back but left a 4 KB database without a table where the officer
    named a new one (the next command took it for a database): the files it made are removed; a database that was
    there stays, whatever a refusal says."""
    import sqlite3

    from geo.store import Store
    from tests.test_review17_generic import _edited_backup, _lines_where
    from tests.xincheng_cli import invoke

    def foo(record: dict) -> None:
        record["level"] = "foo"

    bad = _edited_backup(small_sample_backup, tmp_path, "admin_units",
                         _lines_where(lambda r: r.get("level") == "community", foo))
    new = tmp_path / "new" / "x.db"
    new.parent.mkdir()
    out = invoke(["--database-url", f"sqlite:///{new}", "restore", str(bad)])
    assert out.returncode == 2 and "未恢复任何数据" in out.stderr, out.stderr
    assert sorted(p.name for p in new.parent.iterdir()) == []
    kept = tmp_path / "kept.db"
    migrated = Store.open(f"sqlite:///{kept}")
    migrated.migrate()
    migrated.close()

    def tables() -> list[str]:
        with sqlite3.connect(kept) as conn:
            return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master"))

    before = tables()
    out = invoke(["--database-url", f"sqlite:///{kept}", "restore", str(bad)])
    assert out.returncode == 2 and kept.exists() and tables() == before and len(before) > 20


def test_a_restore_never_replaces_a_database_made_meanwhile_at_its_new_path(tmp_path):
    """The refused restore's clean-up removed a new database another restore or an init had just written there
    (review): a new file is restored beside its name and linked into place, which fails on a name taken meanwhile."""
    from api.cli.database import _move_into_place
    from geo.errors import Conflict

    restored, target = tmp_path / ".x.db.restoring-1", tmp_path / "x.db"
    restored.write_bytes(b"restored")
    target.write_bytes(b"made meanwhile")
    with pytest.raises(Conflict) as err:
        _move_into_place(restored, target)
    assert str(target) in err.value.message and target.read_bytes() == b"made meanwhile"
    target.unlink()
    _move_into_place(restored, target)
    assert target.read_bytes() == b"restored"


def test_a_backup_with_a_unit_name_a_first_load_no_longer_takes_still_restores(small_sample_backup, store, tmp_path):
    """First loads took any name ending until 2026-12-06 (PN-02 is now checked there): a bureau's own backup holding
    such a name restores, the tree's structure still checked."""
    from geo.restore_rules import check_restored
    from geo.store.backup import restore_backup
    from tests.test_review17_generic import _edited_backup, _lines_where

    def rename(record: dict) -> None:
        record["name"] = "保合少苏木"

    archive = _edited_backup(small_sample_backup, tmp_path, "admin_units",
                             _lines_where(lambda r: r.get("level") == "town", rename))
    restore_backup(store, archive, checks=[check_restored])
    assert [u["name"] for u in store.select("admin_units", where={"level": "town"})] == ["保合少苏木"]
