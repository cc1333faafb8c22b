"""Dates that decide what the indicators count (issue #18): a facility opens, closes, a grave is cleared.

What happened is never dated after today (Beijing), on every write path; a past date's indicators
read only what stood on that date, whatever the frame's empty cells hold.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.features import changes_from_patch
from geo.generic_writes import update_feature
from geo.planning.as_of import inputs_as_of, open_on
from geo.planning.run import PlanningInputs
from geo.types import beijing_today


def test_a_facility_closed_on_an_unknown_date_never_counts_and_empty_dates_may_be_nan():
    frame = pd.DataFrame({"status": ["closed", "closed", "active", "active", "planned"],
                          "opened_on": [None, None, np.nan, date(2022, 1, 1), date(2019, 1, 1)],
                          "closed_on": [None, date(2022, 1, 1), np.nan, None, None]}, dtype=object)
    assert open_on(frame, date(2020, 1, 1)).tolist() == [False, True, True, False, False]
    assert open_on(frame, date(2023, 1, 1)).tolist() == [False, False, True, True, False]


def test_burial_statistics_of_a_past_date_stop_at_its_year():
    empty = pd.DataFrame()
    statistics = pd.DataFrame({"year": [2019, 2020, 2021, 2025], "unit_code": ["x"] * 4, "deaths": [1, 2, 3, 4]})
    inputs = PlanningInputs(units=empty, streets=empty, plates=empty,
                            facilities=pd.DataFrame({"status": [], "opened_on": [], "closed_on": []}),
                            linear_features=empty, graves=pd.DataFrame({"status": [], "cleared_on": []}),
                            burial_statistics=statistics)
    assert inputs_as_of(inputs, date(2020, 12, 31)).burial_statistics["year"].tolist() == [2019, 2020]


@pytest.mark.parametrize("field", ["opened_on", "closed_on"])
def test_a_facility_cannot_be_dated_as_opened_or_closed_tomorrow(writable_sample_store, field):
    store = writable_sample_store
    facility = store.select("facilities", where={"kind": "elder_care_station"})[0]
    tomorrow = beijing_today() + timedelta(days=2)  # still after today if Beijing's midnight passes meanwhile
    with pytest.raises(InputError) as refused:
        update_feature(store, "facilities", facility["id"], {field: tomorrow}, expected_version=facility["version"],
                       actor="t-admin")
    assert refused.value.field == field and tomorrow.isoformat() in str(refused.value)
    assert "北京" in str(refused.value)
    with pytest.raises(InputError) as parsed:  # the API's parse refuses the typed date first
        changes_from_patch("facilities", {field: tomorrow.isoformat()}, None, crs="EPSG:4490")
    assert parsed.value.field == field
    assert store.get("facilities", facility["id"])["version"] == facility["version"]
