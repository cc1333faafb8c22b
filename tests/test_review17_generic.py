"""Review of #17: the generic layer paths (PATCH/POST /api/layers/…, file imports) cannot change what a
division change or the plate use cases own (findings F1, F10, F18).

- F1: a unit's name, Mongolian name and land change only by a division decision (rename, split, merge);
  the generic PATCH refuses them naming the endpoint, and nothing is stored.
- F10: a plate's community follows from its position and from division changes: the generic PATCH
  refuses ``community_code``.
- F18: units are created only by ``POST /api/divisions/create`` (PN-13 code, no overlap, a decision);
  the generic POST refuses, and a file import refuses too, except the first load of an empty district.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.errors import InputError
from geo.generic_writes import create_feature, update_feature
from geo.io.importer import import_frame
from geo.store import Store
from geo.write_rules import RuleFieldRefused

INFO = {"format": "GeoJSON", "source_crs": "EPSG:4490", "encoding": "UTF-8"}


def _community(store: Store) -> dict:
    return next(u for u in store.select("admin_units", where={"level": "community"}) if u["status"] in (None, "active"))


@pytest.mark.parametrize("field", ["name", "name_mong", "geometry"])
def test_a_units_name_and_land_are_refused_on_the_generic_patch(writable_sample_store, field):
    store = writable_sample_store
    unit = _community(store)
    value = unit["geometry"].buffer(-1e-4) if field == "geometry" else "<script>alert(1)</script>康宁社区"
    with pytest.raises(RuleFieldRefused) as err:
        update_feature(store, "admin_units", unit["id"], {field: value}, expected_version=unit["version"],
                       actor="t-admin")
    assert err.value.status == 422 and err.value.field == field
    assert "/api/divisions/" in err.value.message and "区划" in err.value.message
    assert store.get("admin_units", unit["id"])["version"] == unit["version"]  # nothing stored
    # statistics that carry no rule still change through the generic path
    after = update_feature(store, "admin_units", unit["id"], {"households": 1234},
                           expected_version=unit["version"], actor="t-admin").record
    assert after["households"] == 1234


def test_a_plates_community_is_refused_on_the_generic_patch(writable_sample_store):
    store = writable_sample_store
    plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    other = next(u["code"] for u in store.select("admin_units", where={"level": "community"})
                 if u["code"] != plate["community_code"])
    with pytest.raises(RuleFieldRefused) as err:
        update_feature(store, "door_plates", plate["id"], {"community_code": other},
                       expected_version=plate["version"], actor="t-admin")
    assert err.value.field == "community_code" and "区划调整" in err.value.message
    assert store.get("door_plates", plate["id"])["community_code"] == plate["community_code"]


def test_units_are_created_by_the_division_use_case_not_the_generic_paths(writable_sample_store):
    sample = writable_sample_store
    unit = _community(sample)
    record = {"code": "150102001500", "name": "测试社区", "level": "community", "parent_code": unit["parent_code"],
              "geometry": unit["geometry"].buffer(-2e-4)}
    before = sample.count("admin_units")
    with pytest.raises(RuleFieldRefused) as err:
        create_feature(sample, "admin_units", record, actor="t-admin")
    assert "/api/divisions/create" in err.value.message and "已首次导入" not in err.value.message
    frame = gpd.GeoDataFrame([{k: v for k, v in record.items() if k != "geometry"}],
                             geometry=[record["geometry"]], crs="EPSG:4490")
    with pytest.raises(RuleFieldRefused) as err:
        import_frame(sample, "admin_units", frame, INFO, actor="t-admin", name="units.geojson")
    assert "/api/divisions/create" in err.value.message
    assert "已首次导入" in err.value.message  # a later file is told the first load is done (review)
    assert sample.count("admin_units") == before


def test_an_empty_districts_first_load_of_its_units_is_still_an_import(store):
    square = shapely.box(111.70, 40.80, 111.72, 40.82)
    first = gpd.GeoDataFrame([{"code": "150102000000", "name": "新城区", "level": "district", "parent_code": None},
                              {"code": "150102001000", "name": "新一街道", "level": "subdistrict",
                               "parent_code": "150102000000"},
                              {"code": "150102001001", "name": "新一社区", "level": "community",
                               "parent_code": "150102001000"}], geometry=[square] * 3, crs="EPSG:4490")
    report = import_frame(store, "admin_units", first, INFO, actor="t-admin", name="units.geojson")
    assert report.imported == 3 and store.count("admin_units") == 3


@pytest.mark.parametrize(("units", "words"), [
    # two outlines: the unique constraint refused the file, naming no row
    ([("150102000000", "district", None, shapely.box(111.6, 40.7, 111.9, 40.9))] * 2, "已在第 1 行出现"),
    ([("150102000000", "district", None, shapely.box(111.6, 40.7, 111.9, 40.9)),
      ("150102001000", "subdistrict", "150102000000", shapely.box(111.85, 40.85, 112.0, 41.0))], "位于上级之外"),
    ([("150102000000", "district", None, shapely.box(111.6, 40.7, 111.9, 40.9)),
      ("150102001000", "subdistrict", "150121000000", shapely.box(111.7, 40.8, 111.8, 40.85))], "不在文件中"),
    ([("150102000000", "district", None, shapely.box(111.6, 40.7, 111.9, 40.9)),  # a county is a neighbour's
      ("150102001000", "county", "150102000000", shapely.box(111.7, 40.8, 111.8, 40.85))], "级别"),
])
def test_a_first_load_of_units_alone_is_still_one_tree(store, units, words):
    """A database alone takes part of a tree, but not two rows of one code, a unit outside its parent in the
    file, or a parent in another district (fourth review); the row is named and nothing is stored."""
    frame = gpd.GeoDataFrame([{"code": code, "name": f"单元{i}" + {"subdistrict": "街道"}.get(level, ""),
                               "level": level, "parent_code": parent}
                              for i, (code, level, parent, _g) in enumerate(units)],
                             geometry=[g for *_rest, g in units], crs="EPSG:4490")
    with pytest.raises(InputError) as err:
        import_frame(store, "admin_units", frame, INFO, actor="t-admin", name="units.geojson")
    assert words in err.value.message and "第 2 行" in err.value.message, err.value.message
    assert store.count("admin_units") == 0


# -- F16, F29: a restore whose content breaks the rules stores nothing ------------------------------

def _edited_backup(good, tmp_path, table: str, edit) -> object:
    from tests.test_backup import _rewrite

    bad = tmp_path / f"bad_{table}.zip"
    _rewrite(good, bad, table, edit)
    return bad


def _first_line(edit_record):
    import json

    def edit(data: bytes) -> bytes:
        lines = data.splitlines(keepends=True)
        record = json.loads(lines[0])
        edit_record(record)
        return (json.dumps(record, ensure_ascii=False) + "\n").encode() + b"".join(lines[1:])
    return edit


@pytest.mark.parametrize(("table", "change", "words"), [
    ("addresses", {"level": "penthouse"}, "level"),
    ("addresses", {"plate_uid": "NOPLATE1"}, "plate_uid"),
    ("addresses", {"address_uid": "BOGUS<script>"}, "address_uid"),
    ("street_signs", {"status": "bogus"}, "status"),
    ("door_plates", {"successor_plate_uid": "ZZZZZZZZ"}, "successor_plate_uid"),
    ("admin_units", {"code": None}, "code"),
    ("code_counters", {"last_serial": 1}, "last_serial"),
])
def test_a_restore_holding_what_the_rules_refuse_stores_nothing(small_sample_backup, store, tmp_path, table,
                                                                change, words):
    from geo.restore_rules import check_restored
    from geo.store.backup import restore_backup

    def edit_record(record):
        for key, value in change.items():
            if table == "admin_units" and key == "code" and record.get("level") not in ("community", "village"):
                return
            record[key] = value if value is not None else record["code"][:9] + "500"  # serial 500: PN-13 refuses

    if table == "admin_units":  # the first community's code, out of its range
        edit = _lines_where(lambda r: r.get("level") == "community", edit_record)
    elif table == "code_counters":
        edit = _lines_where(lambda r: r.get("scheme") == "address", edit_record)
    else:
        edit = _first_line(edit_record)
    archive = _edited_backup(small_sample_backup, tmp_path, table, edit)
    with pytest.raises(InputError) as err:
        restore_backup(store, archive, checks=[check_restored])
    assert words in err.value.message and "未恢复任何数据" in err.value.message, err.value.message
    assert store.count("door_plates") == 0 and store.count("addresses") == 0  # rolled back


def _lines_where(pick, edit_record):
    import json

    def edit(data: bytes) -> bytes:
        out, done = [], False
        for line in data.splitlines(keepends=True):
            record = json.loads(line)
            if not done and pick(record):
                edit_record(record)
                line, done = (json.dumps(record, ensure_ascii=False) + "\n").encode(), True
            out.append(line)
        return b"".join(out)
    return edit
