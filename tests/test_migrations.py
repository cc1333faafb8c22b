"""Schema migrations upgrade an existing database in place and keep its data."""

from __future__ import annotations

import shapely

from geo.store import Store
from geo.store.migrations import LATEST_VERSION


def test_upgrade_from_version_one_keeps_data(database_url):
    store = Store.open(database_url)
    assert store.migrate(target=1) == [1]
    assert store.schema_version() == 1
    store.insert("streets", [{"name": "新华大街", "geometry": shapely.LineString([(111.6, 40.84), (111.7, 40.84)])}],
                 actor="t")
    applied = store.migrate()
    assert applied == list(range(2, LATEST_VERSION + 1))
    assert store.schema_version() == LATEST_VERSION
    assert [r["name"] for r in store.select("streets")] == ["新华大街"]
    store.insert("problem_reports", [{"kind": "damaged_plate", "message": "字迹模糊"}], actor="public")
    assert store.count("problem_reports") == 1
    store.close()


def test_migrate_twice_is_a_no_op(store: Store):
    assert store.migrate() == []
    assert store.schema_version() == LATEST_VERSION
