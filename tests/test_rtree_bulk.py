"""A packed R*Tree (geo/store/rtree_bulk.py) is the index SQLite's module would hold, and stays one.

Against the module itself in the same database: the same entries bit for bit (the 32-bit rounding of
each bound), ``rtreecheck()`` clean, the same answers to window queries, and the module's own inserts,
updates and deletes afterwards keep it clean; at 0, 1, a node's worth, one more, and two and three levels.
Then a first import of door plates packs the layer's index, which answers as the table's rows say.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
import shapely
import sqlalchemy as sa

from geo.io.formats import write_features
from geo.io.importer import import_file, load_layers
from geo.store import Store
from geo.store.query import select_intersecting
from geo.store.rtree_bulk import fill_rtree, float32_down, float32_up

_WINDOW = "SELECT id FROM {} WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ? ORDER BY id"


def _entries(count: int, *, seed: int, boxes: bool, west: float = 111.6) -> list[tuple]:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(west, west + 0.2, count), rng.uniform(-0.1, 0.1, count) + 40.85
    size = rng.uniform(0, 0.01, count) if boxes else np.zeros(count)
    return [(3 * i + 7, float(a), float(a + s), float(b), float(b + s))
            for i, (a, b, s) in enumerate(zip(x, y, size, strict=True))]


def _twins(entries: list[tuple]) -> sqlite3.Connection:
    """Return a database with index ``built`` filled by the module, one row at a time, and ``packed``
    filled by :func:`fill_rtree`."""
    conn = sqlite3.connect(":memory:")
    for name in ("built", "packed"):
        conn.execute(f"CREATE VIRTUAL TABLE {name} USING rtree(id, minx, maxx, miny, maxy)")
    conn.executemany("INSERT INTO built VALUES (?, ?, ?, ?, ?)", entries)
    assert fill_rtree(conn, index="packed", rows=entries) == ("packed" if entries else "inserted")
    return conn


@pytest.mark.parametrize(("count", "boxes", "depth"), [(0, False, 0), (1, False, 0), (51, True, 0), (52, False, 1),
                                                        (3_000, True, 2), (140_000, False, 3)])
def test_a_packed_index_holds_what_the_module_would_and_stays_valid(count, boxes, depth):
    entries = _entries(count, seed=count, boxes=boxes)
    conn = _twins(entries)
    assert conn.execute("SELECT rtreecheck('packed')").fetchone() == ("ok",)
    assert int.from_bytes(conn.execute("SELECT data FROM packed_node WHERE nodeno = 1").fetchone()[0][:2]) == depth
    assert conn.execute("SELECT * FROM packed ORDER BY id").fetchall() == \
        conn.execute("SELECT * FROM built ORDER BY id").fetchall()
    rng = np.random.default_rng(1)
    for _ in range(100):
        x, y, d = rng.uniform(111.55, 111.85), rng.uniform(40.7, 41.0), rng.uniform(0, 0.05)
        window = (x, x + d, y, y + d)
        assert conn.execute(_WINDOW.format("packed"), window).fetchall() == \
            conn.execute(_WINDOW.format("built"), window).fetchall()
    # The module's own edits on the packed index: adds, moves (shrinking and growing nodes), deletes.
    for name in ("built", "packed"):
        conn.execute(f"INSERT INTO {name} VALUES (1, 111.7, 111.71, 40.85, 40.86)")
        conn.execute(f"UPDATE {name} SET minx = minx - 0.003 WHERE id % 5 = 2")
        conn.execute(f"DELETE FROM {name} WHERE id % 2 = 0")
    assert conn.execute("SELECT rtreecheck('packed')").fetchone() == ("ok",)
    assert conn.execute("SELECT * FROM packed ORDER BY id").fetchall() == \
        conn.execute("SELECT * FROM built ORDER BY id").fetchall()


def test_bounds_round_outwards_as_the_module_rounds_them():
    values = np.array([111.70000000000001, -111.70000000000001, 40.123456789, -40.123456789, 0.0, 1e-40, -1e-40])
    down, up = float32_down(values), float32_up(values)
    normal = np.abs(values) > 1e-30  # the module's one-part-in-2^23 nudge is lost below float32's normal range
    assert (down[normal] <= values[normal]).all() and (up[normal] >= values[normal]).all()
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")
    conn.executemany("INSERT INTO r VALUES (?, ?, ?, 0, 0)", [(i, v, v) for i, v in enumerate(values.tolist())])
    stored = np.array(conn.execute("SELECT minx, maxx FROM r ORDER BY id").fetchall())
    assert stored[:, 0].tolist() == down.astype(np.float64).tolist()
    assert stored[:, 1].tolist() == up.astype(np.float64).tolist()


def test_entries_without_geometry_are_left_out_and_a_filled_index_is_added_to():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")
    first = [*_entries(200, seed=3, boxes=False), (5, None, None, None, None)]
    assert fill_rtree(conn, index="r", rows=first) == "packed"
    second = [(10**6 + i, *row[1:]) for i, row in enumerate(_entries(300, seed=4, boxes=True))]
    assert fill_rtree(conn, index="r", rows=second) == "inserted"
    assert conn.execute("SELECT rtreecheck('r')").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*) FROM r").fetchone() == (500,)
    assert conn.execute("SELECT count(*) FROM r WHERE id = 5").fetchone() == (0,)


def test_a_first_import_of_plates_packs_the_index_and_finds_every_plate(sample, tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'first.db'}")
    store.migrate()
    load_layers(store, {name: frame for name, frame in sample.layers.items() if name != "door_plates"}, actor="t")
    plates = sample["door_plates"].iloc[:3_000]
    path = write_features(plates, tmp_path / "plates.gpkg", layer_name="door_plates")
    report = import_file(store, "door_plates", path, crs="EPSG:4490", actor="t")
    assert report.imported == 3_000
    with store.reading() as conn:
        assert conn.exec_driver_sql("SELECT rtreecheck('rtree_door_plates')").scalar() == "ok"
        depth = conn.exec_driver_sql("SELECT data FROM rtree_door_plates_node WHERE nodeno = 1").scalar()[:2]
        assert int.from_bytes(depth) == 2  # 3,000 entries, 51 a node: packed, not one root
        conn.exec_driver_sql("CREATE VIRTUAL TABLE temp.built USING rtree(id, minx, maxx, miny, maxy)")
        conn.exec_driver_sql("INSERT INTO built SELECT id, minx, maxx, miny, maxy FROM door_plates")
        assert conn.exec_driver_sql("SELECT * FROM rtree_door_plates ORDER BY id").fetchall() == \
            conn.exec_driver_sql("SELECT * FROM built ORDER BY id").fetchall()
    stored = store.read_frame("door_plates")
    for lon, lat in [(111.68, 40.83), (111.70, 40.85), (111.72, 40.86)]:
        window = (lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)
        found, _total = select_intersecting(store, "door_plates", window, limit=10_000)
        inside = stored[stored.geometry.intersects(shapely.box(*window))]
        assert sorted(r["id"] for r in found) == sorted(inside["id"].tolist())
    # A second import goes into the filled index through the module; the index stays clean.
    more = sample["door_plates"].iloc[3_000:3_500]
    import_file(store, "door_plates", write_features(more, tmp_path / "more.gpkg", layer_name="door_plates"),
                crs="EPSG:4490", actor="t")
    with store.reading() as conn:
        assert conn.exec_driver_sql("SELECT rtreecheck('rtree_door_plates')").scalar() == "ok"
        assert conn.execute(sa.text("SELECT count(*) FROM rtree_door_plates")).scalar() == 3_500
    store.close()


def test_a_box_upside_down_is_refused_as_the_module_refuses_it():
    """Outside review of #15 (F3): packing wrote a box with minx > maxx that rtreecheck then called corrupt."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")
    with pytest.raises(sqlite3.IntegrityError, match="rtree constraint failed"):
        fill_rtree(conn, index="r", rows=[*_entries(100, seed=9, boxes=False), (1, 5.0, 4.0, 0.0, 0.0)])
    assert conn.execute("SELECT rtreecheck('r')").fetchone() == ("ok",)


def test_a_missing_or_nan_bound_is_left_to_the_module_as_the_trigger_leaves_it():
    """Second outside review of #15 (N4): a geometry whose y is NaN reads back with miny/maxy NULL (SQLite stores
    NaN as NULL); packing raised TypeError on it, and took a NaN bound the module refuses."""
    rows = [*_entries(60, seed=11, boxes=False), (2, 111.7, 111.7, None, None)]
    conn = _twins(rows[:0])
    conn.executemany("INSERT INTO built VALUES (?, ?, ?, ?, ?)", rows)
    assert fill_rtree(conn, index="packed", rows=rows) == "inserted"
    assert conn.execute("SELECT * FROM packed ORDER BY id").fetchall() == \
        conn.execute("SELECT * FROM built ORDER BY id").fetchall()
    fresh = sqlite3.connect(":memory:")
    fresh.execute("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")
    with pytest.raises(sqlite3.IntegrityError):
        fill_rtree(fresh, index="r", rows=[*_entries(60, seed=12, boxes=False), (3, 111.0, 112.0, 40.0, float("nan"))])
