"""Keep the stored public plate lookups consistent with the data, following the audit feed.

The audit log is the change feed (``audit_log.seq``, commit order, with each change's table). A
refresh reads how far the feed has been processed into ``plate_lookups`` and what changed since:

* a change to the streets or facilities (the walking network, a station moved or closed)
  recomputes every plate, one multi-source Dijkstra per service (:mod:`geo.plates.nearby`), and
  writes only the rows whose answer changed (the rest are marked current);
* a change to the door plates recomputes the plates whose lookup is missing or was computed at
  another position;
* anything else (a resident's problem report, a user, a place name: names are read live by the
  lookup) changes nothing here.

One refresher runs at a time across processes and workers: a lease on the state row, taken and
given back in short write transactions (nothing is locked while computing). A second refresher
either skips the round (the server's poller) or waits and then finds the work done (a synchronous
call), so nothing is computed twice. :func:`refresh_plate_lookups` is the use case (``xincheng
init``, imports and tests call it after writing); :class:`LookupRefresher` runs it in the server
about once a second, so staleness is bounded by one round plus one computation.

A database may hold many districts (#19): each district's lookups follow its own change feed, with
its own progress and lease (:func:`geo.store.plate_lookups.state_id`), computed over its own streets
and facilities. :class:`LookupRefresher` visits every district the database holds each round
(:func:`geo.store.districts.held_districts`), so a plate of any district scanned by the public
answers from its stored row.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from geo.plates.nearby import SERVICES, ServiceSources, nearest_services, service_sources
from geo.store import Store
from geo.store import plate_lookups as stored
from geo.store.availability import database_unavailable, outage_summary
from geo.store.districts import held_districts

log = logging.getLogger(__name__)
LEASE_S = 120.0  # far above a full refresh of the district (about a second)
POLL_S = 1.0
ERROR_LOG_S = 60.0


@dataclass(frozen=True)
class Refreshed:
    """What one refresh did: the feed seq now reflected, plates computed, rows written, whether full."""

    seq: int
    computed: int
    written: int
    full: bool


class SourcesCache:
    """The network and attached facilities of the last refresh, kept while streets and facilities
    are unchanged (keyed on their newest changes), so a plate edit costs only its plates' search."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, ...] | None = None
        self._value: ServiceSources | None = None

    def get(self, store: Store, key: tuple[int, ...]) -> ServiceSources:
        """Return the sources for ``key`` (the newest changes, read before the data), building them."""
        with self._lock:
            if self._key != key or self._value is None:
                self._value = service_sources(store.read_frame("streets"), store.read_frame("facilities"))
                self._key = key
            return self._value


def _rows(plates: list[dict[str, Any]], answers: dict[str, list[dict[str, Any] | None]]) -> list[dict[str, Any]]:
    """Return the lookup rows of ``plates``: position, then per service its answer's fields (or None)."""
    keys = [f"{service}_{f}" for service in SERVICES for f in stored.SERVICE_FIELDS]
    none = (None,) * len(stored.SERVICE_FIELDS)
    per_service = [[none if a is None else tuple(a[f] for f in stored.SERVICE_FIELDS) for a in answers[service]]
                   if service in answers else [none] * len(plates) for service in SERVICES]
    return [{"plate_uid": p["plate_uid"], "plate_x": p["minx"], "plate_y": p["miny"],
             **dict(zip(keys, sum((found[i] for found in per_service), ()), strict=True))}
            for i, p in enumerate(plates)]


def refresh_plate_lookups(store: Store, *, wait: bool = True, cache: SourcesCache | None = None,
                          lease_s: float = LEASE_S) -> Refreshed | None:
    """Bring the stored lookups up to the newest committed change; return what was done.

    ``None`` when there was nothing to do, or (``wait=False``) another refresher holds the lease.
    With ``wait`` the call waits for that refresher and then does what is left, so after it returns
    every change committed before the call is reflected.
    """
    if not _work_since(stored.feed_marks(store), stored.processed_seq(store)):
        return None  # the poller's usual round: a few index probes, no write
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + lease_s
    while (claimed := stored.claim(store, owner, now=datetime.now(UTC), lease_s=lease_s)) is None:
        if not wait or time.monotonic() > deadline:
            return None
        time.sleep(0.05)
    done = claimed
    try:
        marks = stored.feed_marks(store)  # read before the data: a later change is seen next round
        if not _work_since(marks, done):
            stored.release(store, owner)
            return None
        return _refresh(store, owner, marks, done, cache or SourcesCache())
    except BaseException:
        stored.release(store, owner)
        raise


def _work_since(marks: stored.FeedMarks, done: int) -> bool:
    """Whether a change since ``done`` touches the lookups (or the feed went back: a restore)."""
    return marks.horizon < done or marks.services_seq > done or marks.plates > done


def _refresh(store: Store, owner: str, marks: stored.FeedMarks, done: int, cache: SourcesCache) -> Refreshed:
    full = marks.services_seq > done or marks.horizon < done
    plates = stored.plate_positions(store, only_outdated=not full)
    if marks.horizon < done:  # the feed went back (a restore): nothing cached can be trusted
        cache = SourcesCache()
    sources = cache.get(store, (marks.services_seq, *marks.services)) if plates else None
    answers = nearest_services(sources, [p["geometry"] for p in plates]) if sources else {}
    rows = _rows(plates, answers)
    dropped: list[str] = []
    if full:  # write only what changed; the others are marked current by the same transaction
        before = stored.stored_lookups(store)
        uids = {p["plate_uid"] for p in plates}
        dropped = [uid for uid in before if uid not in uids]  # its plates deleted since
        rows = [r for r in rows if before.get(r["plate_uid"]) != stored.comparable(r)]
    stored.write_lookups(store, owner, rows, seq=marks.horizon, now=datetime.now(UTC), drop_others=dropped,
                         all_to_seq=full)
    return Refreshed(seq=marks.horizon, computed=len(plates), written=len(rows), full=full)


def refresh_every_district(store: Store, *, wait: bool = True,
                           caches: dict[str, SourcesCache] | None = None) -> dict[str, Refreshed | None]:
    """Run :func:`refresh_plate_lookups` for each district the database of ``store`` holds (the store's
    own first), each through that district's store; return what was done, by adcode. ``caches`` keeps
    one :class:`SourcesCache` per district between calls (the server's refresher)."""
    caches = {} if caches is None else caches
    done: dict[str, Refreshed | None] = {}
    for adcode in held_districts(store):
        cache = caches.setdefault(adcode, SourcesCache())
        done[adcode] = refresh_plate_lookups(store.for_district(adcode), wait=wait, cache=cache)
    return done


class LookupRefresher:
    """Run :func:`refresh_plate_lookups` about every ``interval_s`` in a background thread (the server),
    for every district the database holds (:func:`refresh_every_district`)."""

    def __init__(self, store: Store, *, interval_s: float = POLL_S):
        self.store, self.interval_s = store, interval_s
        self.caches: dict[str, SourcesCache] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="plate-lookup-refresher", daemon=True)

    def start(self) -> LookupRefresher:
        """Start polling (the first round at once)."""
        self._thread.start()
        return self

    def stop(self, *, timeout_s: float = 10.0) -> None:
        """Stop after the current round."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)

    def _run(self) -> None:
        last_error, logged_at = "", 0.0
        while not self._stop.is_set():
            try:
                districts = held_districts(self.store)
            except Exception as exc:  # the database is away: tried again next round
                districts = []
                last_error, logged_at = self._log_failure(exc, last_error, logged_at)
            for adcode in districts:  # one district's failure does not hold up the others
                if self._stop.is_set():
                    break
                try:
                    cache = self.caches.setdefault(adcode, SourcesCache())
                    done = refresh_plate_lookups(self.store.for_district(adcode), wait=False, cache=cache)
                    if done is not None:
                        log.info("plate lookups of %s refreshed to seq %s: %s computed, %s written%s", adcode,
                                 done.seq, done.computed, done.written, " (full)" if done.full else "")
                except stored.LeaseLost:  # a restore (or a refresher that outlived our lease) took the state: no bug
                    log.info("plate lookups of %s: the refresh's lease was taken meanwhile (a restore, another "
                             "refresher); its results are dropped and computed again next round", adcode)
                except Exception as exc:  # retried next round; the lookups stay marked stale meanwhile
                    last_error, logged_at = self._log_failure(exc, last_error, logged_at)
            self._stop.wait(self.interval_s)

    @staticmethod
    def _log_failure(exc: Exception, last_error: str, logged_at: float) -> tuple[str, float]:
        """Log a failed round once a minute, not every round; return the new (last error, logged at)."""
        if repr(exc) != last_error or time.monotonic() - logged_at > ERROR_LOG_S:
            if database_unavailable(exc):  # an outage, not a bug: one line, no stack
                log.warning("plate lookup refresh waits for the database (unavailable): %s", outage_summary(exc))
            else:
                log.exception("plate lookup refresh failed")
            return repr(exc), time.monotonic()
        return last_error, logged_at
