"""A cache of derived data (planning runs, search indexes) that lives until the data changes.

Every change writes an audit row, and audit rows are numbered in commit order
(:meth:`Store.data_version`): the newest number is a version of all the data. It is part of every
key, so an edit or import makes the next request build afresh, even when the edit's transaction
began before, and committed after, one that was already counted.

The planning settings files (norms, ban-zone buffers) are part of the key too, by modification
time and size: an admin's change to one is seen by the next answer of every endpoint at once,
never by some answers while others still show a run judged by the old values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, TypeVar

from geo.store import Store

if TYPE_CHECKING:
    from geo.placenames.search import NameIndex
    from geo.planning.coverage import WalkParams
    from geo.planning.run import PlanningRun

T = TypeVar("T")


def data_version(store: Store) -> int:
    """Return the newest commit sequence number: it grows with every committed change."""
    return store.data_version()


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
    """Keep a few derived values per key until the data version moves on."""

    def __init__(self, max_entries: int = 8):
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}
        self._values: dict[tuple, object] = {}
        self._max = max_entries

    def get(self, store: Store, key: Hashable, build: Callable[[], T]) -> T:
        """Return the value for ``key`` at the current data version, building it when needed.

        One build per key at a time (concurrent requests for the same key wait for it); builds of
        other keys, including ones nested inside this build, go ahead. The version is read before
        the build, so a value is never labelled newer than the data it was built from.
        """
        full = (store.adcode, key, data_version(store), settings_version())  # one district's data, never another's
        with self._lock:
            if full in self._values:
                return self._values[full]  # type: ignore[return-value]
            key_lock = self._building.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if full in self._values:
                    return self._values[full]  # type: ignore[return-value]
            value = build()
            with self._lock:
                if len(self._values) >= self._max:
                    self._values.pop(next(iter(self._values)))
                self._values[full] = value
            return value


def cached_run(cache: DataCache, store: Store, params: WalkParams, kinds: tuple[str, ...]) -> PlanningRun:
    """Return the planning run for these parameters, computed once per data version."""
    from geo.planning.run import PlanningInputs, run_planning

    return cache.get(store, ("planning", params, kinds),
                     lambda: run_planning(PlanningInputs.load(store), params, kinds))


def cached_name_index(cache: DataCache, store: Store) -> NameIndex:
    """Return the gazetteer's search index, built once per data version."""
    from geo.placenames.search import load_name_index

    return cache.get(store, "name_index", lambda: load_name_index(store))
