"""The derived-value cache: one build per key and data version, nested builds, invalidation by edits."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from api.cache import DataCache


def test_nested_builds_do_not_deadlock_and_same_key_builds_once(store):
    cache = DataCache()
    builds = {"outer": 0, "inner": 0}

    def inner() -> int:
        builds["inner"] += 1
        time.sleep(0.05)
        return 2

    def outer() -> int:
        builds["outer"] += 1
        return cache.get(store, "inner", inner) + 1  # a page built from a cached run, as /maps/coverage does

    done = threading.Event()
    result: list[int] = []
    worker = threading.Thread(target=lambda: (result.append(cache.get(store, "outer", outer)), done.set()), daemon=True)
    worker.start()
    assert done.wait(10), "a nested cache build deadlocked"
    assert result == [3]
    with ThreadPoolExecutor(8) as pool:
        values = list(pool.map(lambda _i: cache.get(store, "inner-2", inner), range(8)))
    assert values == [2] * 8 and builds == {"outer": 1, "inner": 2}
    store.insert("streets", [{"name": "测试路", "geometry": __import__("shapely").LineString(
        [(111.70, 40.85), (111.71, 40.85)])}], actor="test")
    assert cache.get(store, "outer", outer) == 3 and builds["outer"] == 2  # an edit moves the version on
