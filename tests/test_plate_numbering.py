"""Door-plate numbering along a street (DP-01..05) on hand-checkable geometry and the sample."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo import crs as C
from geo.errors import InputError
from geo.plates.numbering import check, merged_street, oriented, positions, suggest

LINE = shapely.LineString([(0, 0), (1000, 0)])  # west → east: left is north


def test_sides_and_chainage():
    pos = positions(LINE, np.array([[100, 10], [250, -12]]))
    assert list(pos.side) == ["left", "right"] and pos.chainage_m.tolist() == [100, 250]
    back = positions(oriented(LINE, "end"), np.array([[100, 10]]))
    assert back.side[0] == "right" and back.chainage_m[0] == 900
    with pytest.raises(InputError):
        oriented(LINE, "middle")


def test_suggestions_keep_parity_order_and_room():
    existing = np.array([[100, 10], [300, 10]])
    got = suggest(LINE, existing, np.array([1, 5]), np.array([[200, 10], [500, 10], [200, -10], [110, 10]]))
    assert [g["number"] for g in got[:2]] == [3, 25]           # between 1 and 5; then 5 + 2 × (200 m / 20 m)
    assert got[2]["number"] % 2 == 0 and got[2]["side"] == "right"
    assert (got[3]["number"], got[3]["suffix"]) == (3, "")      # between 1 and 5, just after 1
    crowded = suggest(LINE, np.array([[100, 10], [120, 10]]), np.array([1, 3]), np.array([[110, 10]]))
    assert crowded[0] == {"number": 1, "suffix": "-1", "side": "left", "chainage_m": 110.0}


def test_check_finds_wrong_side_out_of_order_and_duplicates():
    xy = np.array([[100, 10], [200, 10], [300, 10], [150, -10], [400, 10]])
    problems = check(LINE, xy, np.array([1, 5, 3, 7, 3]), ["", "", "", "", ""])
    rules = sorted(p["rule"] for p in problems)
    assert "DP-02" in rules and "DP-03" in rules and "DP-04" in rules
    assert check(LINE, np.array([[100, 10], [200, -10]]), np.array([1, 2]), ["", ""]) == []


def test_sample_streets_pass_the_check(sample):
    plates, streets = sample["door_plates"], sample["streets"]
    for name in ("新华大街", "锡林郭勒北路", "槐园街一巷"):
        parts = streets.loc[streets["name"] == name, "geometry"]
        if parts.empty:
            continue
        line = merged_street(C.to_metric(np.asarray(parts.values, dtype=object)))
        mine = plates[plates["street_name"] == name]
        xy = shapely.get_coordinates(C.to_metric(np.asarray(mine.geometry.values, dtype=object)))
        assert check(line, xy, mine["number"].to_numpy(), list(mine["suffix"])) == [], name
