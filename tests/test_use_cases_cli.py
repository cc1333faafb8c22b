"""The use cases the ``xincheng`` commands call, tested directly on both backends.

Each was moved out of a command (which now only parses, calls and formats); ``tests/test_cli.py``
runs the commands themselves.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from data.names import NEIGHBOURS
from data.sample_district import load_boundaries
from data.sample_district.streets import WORKING_ROADS
from geo import crs as C
from geo.boundaries.compare import compare_boundary
from geo.boundaries.report import boundary_report
from geo.errors import Conflict, InputError
from geo.io.importer import export_layer, load_layers
from geo.layers import ROLES
from geo.placenames.search import NameIndex, load_name_index, search_names
from geo.plates.address_match import load_address_matcher
from geo.plates.reprints import mark_reprints_printed, plates_to_print
from geo.store import Store
from geo.store.contents import held_records, refuse_unless_empty
from geo.users import add_dev_accounts, authenticate, create_user, dev_account

NEIGHBOUR_NAMES = {adcode: name for adcode, (name, _letter) in NEIGHBOURS.items()}


# -- plates: what goes to print, and the reprint queue ------------------------------------------------


def test_plates_to_print_choose_exactly_one_batch_sorted_by_street_and_number(sample_store: Store):
    rows = plates_to_print(sample_store, street="新华大街")
    assert rows and {r["street_name"] for r in rows} == {"新华大街"} and {r["status"] for r in rows} == {"active"}
    assert [r["number"] for r in rows] == sorted(r["number"] for r in rows)
    community = rows[0]["community_code"]
    in_community = plates_to_print(sample_store, community=community)
    keys = [(r["street_name"], r["number"]) for r in in_community]
    assert keys == sorted(keys) and {r["community_code"] for r in in_community} == {community}
    assert plates_to_print(sample_store, street="无此街") == []
    assert plates_to_print(sample_store, reprints=True) == []  # nothing queued in the sample
    for wrong in ({}, {"street": "新华大街", "community": community}, {"street": "新华大街", "reprints": True}):
        with pytest.raises(InputError, match="exactly one"):
            plates_to_print(sample_store, **wrong)


def test_printing_marks_each_queued_reprint_once_with_its_own_audit_row(writable_sample_store: Store):
    store = writable_sample_store
    plates = plates_to_print(store, street="新华大街")[:3]
    uids = [p["plate_uid"] for p in plates]
    store.insert("plate_reprints", [{"plate_uid": uid, "reason": "test"} for uid in uids], actor="t")
    queued = plates_to_print(store, reprints=True)
    assert [p["plate_uid"] for p in queued] == uids  # sorted as printed: street, then number

    assert mark_reprints_printed(store, [*uids, "NOSUCHPL"], actor="printer", batch="b.pdf") == 3
    reprints = store.select("plate_reprints")
    assert {(r["status"], r["version"]) for r in reprints} == {("printed", 2)}
    for r in reprints:
        (row,) = [a for a in store.audit_rows("plate_reprints", r["id"]) if a["action"] == "printed"]
        assert row["actor"] == "printer" and row["note"] == "print batch b.pdf"
        assert json.loads(row["before"])["status"] == "queued" and json.loads(row["after"])["status"] == "printed"
    assert plates_to_print(store, reprints=True) == []
    assert mark_reprints_printed(store, uids, actor="printer", batch="b.pdf") == 0  # printed once only


# -- init: layers into an empty database only --------------------------------------------------------


def test_load_layers_fills_an_empty_store_and_refuses_one_with_records(store: Store, sample):
    layers = {name: sample[name] for name in ("admin_units", "streets", "place_names")}
    batches: list[int] = []
    written = load_layers(store, layers, actor="t", note="sample district seed 1", progress=batches.append)
    assert written == {name: len(frame) for name, frame in layers.items()} and sum(batches) == sum(written.values())
    # every sample street has its name, but the new roads under working labels (the unnamed-roads worklist)
    unlinked = {s["name"] for s in store.select("streets") if s["place_name_id"] is None}
    assert unlinked == set(WORKING_ROADS.values())
    assert {r["note"] for r in store.audit_rows("admin_units")} == {"sample district seed 1"}

    before = held_records(store)
    with pytest.raises(InputError, match="数据库已有数据") as err:
        load_layers(store, {"facilities": sample["facilities"]}, actor="t")
    assert err.value.field == "database" and "nothing was changed" in err.value.message
    assert held_records(store) == before
    with pytest.raises(InputError):
        refuse_unless_empty(store)


# -- boundaries: the report and a comparison with another version ------------------------------------


def test_boundary_report_on_the_sample_lines(sample_store: Store):
    report = boundary_report(sample_store, load_boundaries(), NEIGHBOUR_NAMES)
    assert [r.neighbour for r in report] == list(NEIGHBOURS)
    assert {r.name: round(r.length_km, 2) for r in report}["新城区—回民区界线"] == 16.23
    assert all(r.overlaps == [] and r.gaps == [] and r.markers_off_line == [] for r in report)
    wide = boundary_report(sample_store, load_boundaries(), {"150103": "回民区"}, close_m=50)
    (line,) = wide
    assert line.gaps and line.gap_m2 == pytest.approx(sum(g["area_m2"] for g in line.gaps))
    assert line.gap_mu == pytest.approx(line.gap_m2 * 15 / 10_000)
    with pytest.raises(InputError, match="no polygon"):
        boundary_report(sample_store, load_boundaries(), {"999999": "无此区"})


def test_compare_a_shifted_line_and_a_grown_polygon(sample_store: Store):
    line = C.to_metric(sample_store.select("boundary_lines", where={"right_adcode": "150103"})[0]["geometry"])
    steps = np.arange(0, line.length, 50.0)
    shifted = [(p.x + (30.0 if abs(d - line.length / 2) < 500 else 0.0), p.y)
               for p, d in zip([line.interpolate(d) for d in steps], steps, strict=True)]
    theirs = gpd.GeoDataFrame(geometry=[C.from_metric(shapely.LineString([*shifted, line.coords[-1]]))],
                              crs="EPSG:4490")
    result = compare_boundary(sample_store, theirs, neighbour="150103")
    assert result.compared == "line" and result.total_m2 > 5_000
    assert result.total_mu == pytest.approx(result.total_m2 * 15 / 10_000)
    frame = result.areas_frame()
    assert frame.crs == "EPSG:4490" and len(frame) == len(result.areas)
    assert set(frame["gains"]) <= {"150102", "150103"} and frame["gains_label"].str.endswith("多划").all()

    unit = sample_store.select("admin_units", where={"code": "150105000000"})[0]["geometry"]
    grown = gpd.GeoDataFrame(geometry=[C.from_metric(C.to_metric(unit).buffer(40.0))], crs="EPSG:4490")
    result = compare_boundary(sample_store, grown, neighbour="150105")
    assert result.compared == "polygon" and {a["gains"] for a in result.areas} == {"150105"}
    assert result.markers_affected and all(d <= 20.0 for _no, d in result.markers_affected)
    with pytest.raises(InputError, match="no boundary line") as err:
        compare_boundary(sample_store, theirs, neighbour="999999")
    assert err.value.field == "neighbour"
    with pytest.raises(InputError, match="EPSG:4490") as err:
        compare_boundary(sample_store, theirs.to_crs("EPSG:4326"), neighbour="150103")
    assert err.value.field == "crs"


# -- the gazetteer and addresses ----------------------------------------------------------------------


def test_name_index_from_the_store_answers_as_one_built_from_whole_records(sample_store: Store):
    loaded = load_name_index(sample_store)
    whole = NameIndex(sample_store.select("place_names"), sample_store.select("former_names"))
    for query in ("新华", "xhdj", "xinhau", "锡林", "路"):
        assert loaded.search(query, limit=20) == whole.search(query, limit=20), query
    ((hit, record),) = search_names(sample_store, "xhdj")
    assert hit.name == record["standard_name"] == "新华大街" and record["status"] == "in_force"
    assert search_names(sample_store, "  ") == []


def test_address_matcher_reads_former_street_names_only_when_asked(writable_sample_store: Store):
    store = writable_sample_store
    street = store.select("place_names", where={"standard_name": "新华大街"})[0]
    store.insert("former_names", [{"place_name_id": street["id"], "name": "旧新华街"}], actor="t")
    assert load_address_matcher(store).match("旧新华街12号").grade == "safe"
    assert load_address_matcher(store, former_names=False).match("旧新华街12号").grade == "none"
    assert load_address_matcher(store, former_names=False).match("新华大街12号").grade == "exact"


def test_export_layer_writes_only_the_records_matching_where(sample_store: Store, tmp_path):
    path = tmp_path / "in_force.gpkg"
    count = export_layer(sample_store, "place_names", path, where={"status": "in_force"})
    assert count == sample_store.count("place_names", where={"status": "in_force"}) > 0
    tables = [name for name, _kind in pyogrio.list_layers(path)]  # one table per geometry kind
    assert sum(len(gpd.read_file(path, layer=t)) for t in tables) == count
    assert {s for t in tables for s in gpd.read_file(path, layer=t)["status"]} == {"in_force"}
    assert export_layer(sample_store, "place_names", tmp_path / "none.gpkg", where={"status": "approved"}) == 0


# -- users ---------------------------------------------------------------------------------------------


def test_dev_accounts_are_created_once_in_one_transaction(store: Store):
    created = add_dev_accounts(store, actor="t")
    assert [u["role"] for u in created] == list(ROLES) and all(u["dev_only"] for u in created)
    assert add_dev_accounts(store, actor="t") == []
    name, password = dev_account("planner")
    assert name == "dev-planner" and authenticate(store, name, password, dev_mode=True)["role"] == "planner"
    with pytest.raises(Conflict):
        create_user(store, name, "another-long-password", "planner", actor="t")
