"""A cache of derived data (planning runs, search indexes) that lives until the data changes.

Every change writes an audit row, and audit rows are numbered in commit order
(:meth:`Store.data_version`): the newest number is a version of all the data. The newest number of a
change to the tables cached values are built from (:meth:`Store.derived_data_version`: not residents'
problem reports, not accounts and logins) is part of every key, so an edit or import makes the next
request build afresh, even when the edit's transaction began before, and committed after, one that was
already counted, while a problem report keeps what is cached.

The planning settings files (norms, ban-zone buffers) are part of the key too, by modification
time and size: an admin's change to one is seen by the next answer of every endpoint at once,
never by some answers while others still show a run judged by the old values.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, TypeVar

from geo.collection import collecting_rarely
from geo.store import Store

if TYPE_CHECKING:
    from geo.placenames.search import NameIndex
    from geo.planning.coverage import WalkParams
    from geo.planning.run import PlanningRun

T = TypeVar("T")


def data_version(store: Store) -> int:
    """Return the newest commit number of a change the cached values may be built from: it grows with every such
    committed change, and not with a resident's problem report or a login (:meth:`Store.derived_data_version`)."""
    return store.derived_data_version()


def settings_version() -> tuple[tuple[int, int], ...]:
    """Return the modification time and size of each planning settings file ((0, 0) for a missing one)."""
    from geo.planning.ban_zone_settings import DEFAULT_SETTINGS_FILE
    from geo.planning.norms_settings import DEFAULT_NORMS_FILE

    out = []
    for file in (DEFAULT_NORMS_FILE, DEFAULT_SETTINGS_FILE):
        try:
            stat = file.stat()
            out.append((stat.st_mtime_ns, stat.st_size))
        except OSError:
            out.append((0, 0))  # missing: the build says so (503), and a restored file is a new version
    return tuple(out)


class DataCache:
    """Keep a few derived values per district and key until the data version moves on.

    Two budgets, each least recently used first out: ``max_entries`` for the heavy values (planning
    runs and what is built from them, map pages, the address matcher: tens to hundreds of MB each),
    and ``max_small`` for the small ones a district's officers and public ask for all day (the name
    search index, the locator of names: a few MB each), so that on a service of many districts a search in one district
    neither pushes out a planning run nor is rebuilt because another district's was asked for. The
    worker's memory stays bounded however many districts the database holds: the heavy values are
    further kept for at most ``max_districts`` districts at once (a planner working through ten
    districts' coverage holds the last two districts' runs, not eight), the least recently used
    district's going first.
    """

    def __init__(self, max_entries: int = 8, *, max_small: int = 32, max_districts: int = 2):
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}
        self._values: OrderedDict[tuple, object] = OrderedDict()
        self._small: OrderedDict[tuple, object] = OrderedDict()
        self._max = max_entries
        self._max_small = max_small
        self._max_districts = max_districts

    def get(self, store: Store, key: Hashable, build: Callable[[], T], *, small: bool = False) -> T:
        """Return the value for ``key`` at the current data version, building it when needed.

        One build per district and key at a time (concurrent requests for the same value wait for
        it); builds of other keys or districts, including ones nested inside this build, go ahead. The
        version is read before the build, so a value is never labelled newer than the data it was
        built from. ``small``: kept under the budget of small values (see the class).
        """
        full = (store.adcode, key, data_version(store), settings_version())  # one district's data, never another's
        kept = self._small if small else self._values
        with self._lock:
            if full in kept:
                kept.move_to_end(full)
                return kept[full]  # type: ignore[return-value]
            key_lock = self._building.setdefault((store.adcode, key), threading.Lock())
        with key_lock:
            with self._lock:
                if full in kept:
                    kept.move_to_end(full)
                    return kept[full]  # type: ignore[return-value]
            with collecting_rarely():  # a planning run, a map page, an index: many objects, no cycles
                value = build()
            with self._lock:
                # The build lock goes with its build (keys carry request parameters: kept, they would
                # pile up); a request still waiting on it finds the value, a later one makes a new lock.
                if self._building.get((store.adcode, key)) is key_lock:
                    del self._building[(store.adcode, key)]
                # An older version of the same value is of no further use: it goes first.
                for old in [k for k in kept if k[:2] == full[:2] and k[2] <= full[2]]:
                    del kept[old]
                while len(kept) >= (self._max_small if small else self._max):
                    kept.popitem(last=False)
                if not small:
                    self._keep_districts(full[0])
                kept[full] = value
            return value


    def _keep_districts(self, adcode: str) -> None:
        """Drop the heavy values of the least recently used other districts until ``adcode``'s joins at
        most ``max_districts - 1`` others (the caller holds the lock)."""
        while len({k[0] for k in self._values} | {adcode}) > self._max_districts:
            last_used = {k[0]: i for i, k in enumerate(self._values)}  # a district's most recent use
            oldest = min((d for d in last_used if d != adcode), key=last_used.__getitem__)
            for key in [k for k in self._values if k[0] == oldest]:
                del self._values[key]


def cached_run(cache: DataCache, store: Store, params: WalkParams, kinds: tuple[str, ...]) -> PlanningRun:
    """Return the planning run for these parameters, computed once per data version."""
    from geo.planning.run import PlanningInputs, run_planning

    return cache.get(store, ("planning", params, kinds),
                     lambda: run_planning(PlanningInputs.load(store), params, kinds))


def cached_name_index(cache: DataCache, store: Store) -> NameIndex:
    """Return the gazetteer's search index, built once per data version."""
    from geo.placenames.search import load_name_index

    return cache.get(store, "name_index", lambda: load_name_index(store), small=True)
