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


class _District:
    """A store's face as the cache sees it: its district and data version (no database needed)."""

    def __init__(self, adcode: str, version: int = 1):
        self.adcode, self.version = adcode, version

    def derived_data_version(self) -> int:
        return self.version


def test_small_values_have_their_own_budget_least_recently_used_first_out():
    """Name indexes of many districts neither push out a planning run nor each other while in use."""
    cache, built = DataCache(2, max_small=3), []

    def build(name):
        return lambda: built.append(name) or name

    a, b, c, d = (_District(code) for code in ("159002", "159003", "159004", "159005"))
    cache.get(a, "planning", build("run-a"))
    for district in (a, b, c):
        cache.get(district, "name_index", build(f"ix-{district.adcode}"), small=True)
    cache.get(a, "name_index", build("again"), small=True)       # used: now the most recent
    cache.get(d, "name_index", build("ix-159005"), small=True)   # pushes out b's, the least recently used
    assert cache.get(a, "name_index", build("again"), small=True) == "ix-159002"
    assert cache.get(a, "planning", build("again"), small=False) == "run-a"  # four small values later: kept
    assert cache.get(b, "name_index", build("ix-159003 rebuilt"), small=True) == "ix-159003 rebuilt"
    assert "again" not in built
    a.version = 2  # an edit in district a: its old index goes at once, not when the budget is full
    assert cache.get(a, "name_index", build("ix-159002 v2"), small=True) == "ix-159002 v2"
    assert sum(k[0] == "159002" for k in cache._small) == 1


def test_one_districts_build_does_not_hold_up_anothers():
    """The build lock is the district's and the key's: a slow build in one district lets another's run."""
    cache, started, release = DataCache(), threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(10)
        return "slow"

    worker = threading.Thread(target=lambda: cache.get(_District("159002"), "name_index", slow, small=True))
    worker.start()
    assert started.wait(10)
    done = []
    other = threading.Thread(target=lambda: done.append(
        cache.get(_District("159003"), "name_index", lambda: "quick", small=True)))
    other.start()
    other.join(5)
    finished_while_the_other_built = list(done)
    release.set()
    worker.join(10)
    assert finished_while_the_other_built == ["quick"]


def test_heavy_values_are_kept_for_two_districts_at_most():
    """A planner asking for ten districts' coverage leaves the worker holding the last two districts' runs."""
    cache = DataCache(8, max_districts=2)
    districts = [_District(f"1590{i:02d}") for i in range(2, 12)]
    for district in districts:
        cache.get(district, "planning", lambda d=district: f"run-{d.adcode}")
        cache.get(district, "whatif", lambda d=district: f"whatif-{d.adcode}")
    assert {k[0] for k in cache._values} == {"159010", "159011"} and len(cache._values) == 4
    cache.get(districts[-2], "planning", lambda: "rebuilt")  # used again: now the most recent district
    cache.get(districts[0], "planning", lambda: "run-159002 again")
    assert {k[0] for k in cache._values} == {"159010", "159002"}
    assert cache.get(districts[-2], "planning", lambda: "rebuilt") == "run-159010"  # kept, not rebuilt


def test_build_locks_do_not_pile_up():
    """Outside review (#19 slice 2, finding 6): keys carry request parameters; their build locks go with
    their builds."""
    cache = DataCache()
    for metres in range(200):
        cache.get(_District("159002"), ("sign_junctions", metres), lambda m=metres: m)
    assert cache._building == {}
