"""The sample's boundary markers as a surveyor sets them (issue #16 item 4), and their reference objects.

Checked against the polygons the markers were drawn from: a triple set stands one marker in each of
the three units at a tri-junction, a pair one marker on each side, each managed by the unit it stands
in; every marker has a height and reference objects, stored through their use case.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo import DISTRICT_ADCODE
from geo import crs as C
from geo.boundaries.reference_objects import MAX_PER_MARKER, add_reference_objects, reference_objects
from geo.errors import InputError


def _metric(frame):
    return dict(zip(frame["marker_no"], C.to_metric(np.asarray(frame.geometry.values, dtype=object)), strict=True))


def _unit_polygons(sample) -> dict[str, shapely.Geometry]:
    units = sample["admin_units"]
    tops = units[units["level"].isin(["district", "county"])]
    return {code[:6]: geom for code, geom in zip(tops["code"], C.to_metric(tops.geometry.values), strict=True)}


def test_each_triple_set_stands_one_marker_in_each_unit_at_its_junction(sample):
    markers = sample["boundary_markers"]
    where = _metric(markers)
    units = _unit_polygons(sample)
    triples = markers[markers["marker_type"] == "triple"]
    sets = triples.groupby(["line_code", "seq"])
    assert len(sets) == 4, "the district meets its neighbours at four tri-junctions"
    centres = []
    for (_line, _seq), members in sets:
        assert sorted(members["type_code"]) == ["C", "D", "E"]
        managers = list(members.sort_values("type_code")["managing_adcode"])
        assert len(set(managers)) == 3 and managers == sorted(managers), "C in the smallest adcode"
        assert DISTRICT_ADCODE in managers
        for number, manager in zip(members["marker_no"], members["managing_adcode"], strict=True):
            inside = [code for code, poly in units.items() if poly.contains(where[number])]
            assert inside == [manager], f"{number} stands in {inside}, managed by {manager}"
        points = [where[n] for n in members["marker_no"]]
        centre = shapely.MultiPoint(points).centroid
        assert all(p.distance(centre) < 10 for p in points), "a set stands within metres of its junction"
        centres.append(centre)
    gaps = [a.distance(b) for i, a in enumerate(centres) for b in centres[i + 1:]]
    assert min(gaps) > 1_000, "one set per junction, never two sets side by side"


def test_each_pair_stands_across_the_line_each_marker_managed_by_its_own_side(sample):
    markers = sample["boundary_markers"]
    where = _metric(markers)
    units = _unit_polygons(sample)
    pairs = markers[markers["marker_type"] == "paired"]
    assert len(pairs) >= 8
    for (_line, _seq), members in pairs.groupby(["line_code", "seq"]):
        by_code = dict(zip(members["type_code"], members["marker_no"], strict=True))
        managers = dict(zip(members["type_code"], members["managing_adcode"], strict=True))
        assert set(by_code) == {"A", "B"}
        assert managers["A"] == DISTRICT_ADCODE and managers["B"] != DISTRICT_ADCODE
        assert units[DISTRICT_ADCODE].contains(where[by_code["A"]])
        assert units[managers["B"]].contains(where[by_code["B"]])
        assert 1 < where[by_code["A"]].distance(where[by_code["B"]]) < 10


def test_every_marker_has_a_height_that_rises_into_the_mountains(sample):
    markers = sample["boundary_markers"]
    heights = markers["elevation_m"].to_numpy(dtype=float)
    assert np.all((heights > 1_000) & (heights < 2_100)), heights
    lats = np.array([g.y for g in markers.geometry])
    assert np.corrcoef(lats, heights)[0, 1] > 0.8, "the Daqing mountains lie north of the city"
    assert markers["coordinate_source"].str.contains("CGCS2000").all()


def test_lines_carry_their_last_joint_inspection(sample_store):
    lines = {r["line_code"]: r["last_inspected_on"] for r in sample_store.select("boundary_lines")}
    assert set(lines) == {"XH01", "XS01", "XW01", "XZ01"}
    assert all(d is not None and d.year >= 2019 for d in lines.values())
    assert sum(d.year <= 2021 for d in lines.values()) >= 1, "a line is past the five-year cadence"


def test_reference_objects_are_stored_for_every_marker(sample_store, sample):
    numbers = list(sample["boundary_markers"]["marker_no"])
    stored = sample_store.select("marker_reference_objects")
    assert len(stored) == len(sample.reference_objects) >= 2 * len(numbers)
    assert {r["marker_no"] for r in stored} == set(numbers)
    listed = reference_objects(sample_store, numbers[0])
    assert 2 <= len(listed) <= 3
    assert [r["bearing_deg"] for r in listed] == sorted(r["bearing_deg"] for r in listed)
    assert all(0 <= r["bearing_deg"] < 360 and 0 < r["distance_m"] <= 2_000 for r in stored)


@pytest.mark.parametrize(("row", "field"), [
    ({"marker_no": "XX99999Q", "name": "电杆", "bearing_deg": 10, "distance_m": 20}, "marker_no"),
    ({"marker_no": None, "name": "电杆", "bearing_deg": 10, "distance_m": 20}, "marker_no"),
    ({"name": "", "bearing_deg": 10, "distance_m": 20}, "name"),
    ({"name": "电杆", "bearing_deg": 360, "distance_m": 20}, "bearing_deg"),
    ({"name": "电杆", "bearing_deg": -0.1, "distance_m": 20}, "bearing_deg"),
    ({"name": "电杆", "bearing_deg": "北", "distance_m": 20}, "bearing_deg"),
    ({"name": "电杆", "bearing_deg": float("nan"), "distance_m": 20}, "bearing_deg"),
    ({"name": "电杆", "bearing_deg": 10, "distance_m": 0}, "distance_m"),
    ({"name": "电杆", "bearing_deg": 10, "distance_m": 2_000.5}, "distance_m"),
    ({"name": "电" * 61, "bearing_deg": 10, "distance_m": 20}, "name"),
])
def test_a_wrong_reference_object_is_refused_naming_its_field_and_nothing_is_stored(writable_sample_store, row,
                                                                                     field):
    store = writable_sample_store
    number = store.select("boundary_markers", limit=1)[0]["marker_no"]
    good = {"marker_no": number, "name": "房角", "bearing_deg": 45.0, "distance_m": 30.0}
    before = len(store.select("marker_reference_objects"))
    with pytest.raises(InputError) as refused:
        add_reference_objects(store, [good, {"marker_no": number, **row}], actor="t")
    assert refused.value.field == field
    assert "·" in str(refused.value) and str(refused.value)[0] > "\u2e80", "Chinese first"
    assert len(store.select("marker_reference_objects")) == before


def test_a_marker_takes_a_bounded_number_of_reference_objects(writable_sample_store):
    store = writable_sample_store
    number = store.select("boundary_markers", limit=1)[0]["marker_no"]
    have = len(reference_objects(store, number))
    rows = [{"marker_no": number, "name": f"电杆{i}", "bearing_deg": i, "distance_m": 20 + i}
            for i in range(MAX_PER_MARKER - have)]
    assert add_reference_objects(store, rows, actor="t") == MAX_PER_MARKER - have
    with pytest.raises(InputError) as refused:
        add_reference_objects(store, [{"marker_no": number, "name": "再一个", "bearing_deg": 1, "distance_m": 5}],
                              actor="t")
    assert refused.value.field == "reference_objects"
    assert len(reference_objects(store, number)) == MAX_PER_MARKER


def test_the_field_page_shows_a_markers_record_and_escapes_its_reference_objects(writable_server,
                                                                                   writable_sample_store):
    """A team in the mountains finds the marker by its reference objects and judges it by its height."""
    from tests.test_field_loop import _inspector, _open_campaign

    store = writable_sample_store
    add_reference_objects(store, [{"marker_no": "XW01019C", "name": "<script>alert(1)</script>",
                                   "bearing_deg": 359.9, "distance_m": 12.5}], actor="t")
    marker = store.select("boundary_markers", where={"marker_no": "XW01019C"})[0]
    cid = _open_campaign(store, lines=["XW01"], required_accuracy_m=5)
    with _inspector(writable_server) as c:
        html = c.get(f"/field/campaigns/{cid}/markers/XW01019C").text
    assert "同号三立 triple" in html and f"{marker['elevation_m']:.2f} 米" in html
    assert "方位物" in html and "359.9°" in html and "12.5 米" in html
    for ref in reference_objects(store, "XW01019C"):
        assert f"{ref['bearing_deg']:.1f}°" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f"管理方 <span class='en'>managed by</span> {marker['managing_adcode']}" in html
