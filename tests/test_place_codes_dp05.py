"""DP-05 "no lucky-number gaps", configurable (data/placenames/numbering.toml), on hand-checkable geometry.

The street runs west → east along y = 0 (metres); with odd numbers on the left, plates north of it
(y > 0) are odd, south of it (y < 0) even.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.errors import InputError
from geo.plates.numbering import check, load_numbering_settings, parse_numbering_settings, suggest

LINE = shapely.LineString([(0, 0), (1000, 0)])
LUCKY = frozenset({4, 13, 14})


def _check(numbers_xy: list[tuple[int, float, float]], lucky=LUCKY) -> list[tuple[str, int]]:
    nums = np.array([n for n, _x, _y in numbers_xy])
    xy = np.array([(x, y) for _n, x, y in numbers_xy], dtype=float)
    return [(p["rule"], int(nums[p["index"]])) for p in check(LINE, xy, nums, [""] * len(nums), lucky=lucky)]


def test_the_check_reports_a_lucky_number_skipped_between_its_neighbours():
    plates = [(2, 10, -10), (6, 30, -10),                  # 4 skipped between 2 and 6
              (8, 50, -10), (12, 70, -10),                 # 10 missing: not a lucky number, room left
              (16, 90, -10),                               # 14 skipped between 12 and 16
              (11, 60, 10), (15, 80, 10)]                  # 13 skipped between 11 and 15
    assert sorted(_check(plates)) == [("DP-05", 6), ("DP-05", 15), ("DP-05", 16)]
    assert _check(plates, lucky=()) == []                  # the rule off: nothing
    assert _check([(2, 10, -10), (4, 20, -10), (6, 30, -10)]) == []
    assert _check([(12, 70, -10), (18, 90, -10)]) == []    # 14 and 16 both missing: room, not a skip


def test_the_message_is_chinese_first_and_names_the_rule():
    nums = np.array([12, 16])
    problems = check(LINE, np.array([[70, -10], [90, -10]], dtype=float), nums, ["", ""], lucky=LUCKY)
    assert problems[0]["message"].startswith("14号缺号：同侧有 12号 和 16号，不得为避讳跳号（DP-05）")


def test_suggestions_never_leave_a_lucky_number_as_the_only_gap():
    # 12号 at 100 m; a new plate 40 m on (two frontage steps of 20 m) would be 16号, leaving only 14 free.
    existing, numbers, new = np.array([[100, -10]]), np.array([12]), np.array([[140, -10]])
    assert suggest(LINE, existing, numbers, new)[0]["number"] == 16
    assert suggest(LINE, existing, numbers, new, lucky=LUCKY)[0]["number"] == 14
    # 60 m on: 18号 leaves 14 and 16 free (room for later plates), so the rule changes nothing.
    assert suggest(LINE, existing, numbers, np.array([[160, -10]]), lucky=LUCKY)[0]["number"] == 18
    # Between 11号 and 17号, near 17: 15号 would leave 13 alone; the rule takes 13.
    both = np.array([[100, 10], [200, 10]])
    assert suggest(LINE, both, np.array([11, 17]), np.array([[190, 10]]))[0]["number"] == 15
    assert suggest(LINE, both, np.array([11, 17]), np.array([[190, 10]]), lucky=LUCKY)[0]["number"] == 13


def test_bundled_setting_is_on_with_its_source_and_bad_settings_name_the_key():
    settings = load_numbering_settings()
    assert settings.dp05 and settings.lucky == LUCKY and "DB11/T 856" in settings.source
    assert parse_numbering_settings({"dp05": {"enabled": False}}).lucky == frozenset()
    with pytest.raises(InputError) as err:
        parse_numbering_settings({"dp05": {"enabled": "yes"}}, path="n.toml")
    assert "dp05.enabled" in err.value.message and err.value.field == "settings"
    with pytest.raises(InputError) as err:
        parse_numbering_settings({"dp05": {"numbers": [4, "13"]}}, path="n.toml")
    assert "dp05.numbers" in err.value.message
