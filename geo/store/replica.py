"""Route public reads to a streaming read replica while it keeps up, and to the primary otherwise (#19).

A :class:`ReadRouter` holds the primary :class:`~geo.store.Store` and a replica store over a
PostgreSQL hot standby. :meth:`ReadRouter.run` runs one read on the replica when the replica is
healthy and has replayed the caller's last write (its *write mark*), else on the primary; a read the
replica fails mid-way (the server stopped, a recovery conflict) is run again on the primary, so a
dead replica costs a request one fast failure, never an error.

Health is checked at most every ``check_every_s`` (cached between requests): the replica answers
and is a standby, and its lag is within ``max_lag_s``. Lag is measured from WAL positions, not from
``pg_last_xact_replay_timestamp()`` alone, which grows while an idle primary writes nothing: each
check notes the primary's ``pg_current_wal_lsn()`` and when it was first seen; the replica is
caught up when ``pg_last_wal_replay_lsn()`` has reached the newest position seen, and otherwise as
far behind as the oldest position it has not replayed (to within one check interval). A replica
that cannot be reached is not asked again for ``retry_after_s``.

Read-your-writes: :meth:`ReadRouter.write_mark` returns the primary's WAL insert position after a
write committed; a read carrying a mark is served by the replica only once the replica has
replayed past it (:meth:`ReadRouter.state` is at most one check old, and replay only moves on, so
the test errs towards the primary).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

import sqlalchemy as sa

from geo.messages import text
from geo.store.store import Store, normalise_url, pool_options, postgres_engine

T = TypeVar("T")
CHECK_EVERY_S = 1.0  # a health check at most this often (its result is shared by every request meanwhile)
RETRY_AFTER_S = 5.0  # a replica that failed is not asked again before this
CONNECT_TIMEOUT_S = 2  # libpq's smallest useful connect_timeout; a refused connection fails at once anyway
TCP_USER_TIMEOUT_MS = 5000  # sent data unacknowledged this long: the replica's host is gone
CHECK_TIMEOUT_MS = 1000  # a health check's statements on a stuck server
_MAX_POSITIONS = 4096

Reason = Literal["none", "ok", "behind", "down", "not_standby", "not_this_database"]

# Errors of the replica itself (gone, restarting, a query cancelled by a recovery conflict): the read
# is run again on the primary. Errors of the read (a constraint, bad SQL) are the read's own.
REPLICA_FAILURES: tuple[type[Exception], ...] = (sa.exc.OperationalError, sa.exc.InterfaceError)

_PRIMARY_LSN = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"
# A standby of this database: the same cluster (system identifier) and the same database name.
_IDENTITY = "SELECT (SELECT system_identifier FROM pg_control_system())::text, current_database()::text"
_REPLICA_STATE = ("SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, "
                  "extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8")


@dataclass(frozen=True)
class ReplicaState:
    """What the last health check found: whether reads go to the replica, and why."""

    configured: bool
    reason: Reason
    max_lag_s: float
    lag_s: float | None = None       # how stale the replica's data is (None: unknown)
    lag_bytes: int | None = None     # WAL the replica has not replayed
    replay_lsn: int | None = None    # WAL position replayed (bytes from 0/0)
    checked_age_s: float | None = None

    @property
    def serving(self) -> bool:
        """Return whether replica-eligible reads go to the replica."""
        return self.reason == "ok"

    def message(self, *, retry_s: float = RETRY_AFTER_S) -> str:
        """Return the state for people, Chinese first."""
        return text(f"replica.state.{self.reason}", lag_s=f"{self.lag_s or 0:.1f}", max_lag_s=f"{self.max_lag_s:g}",
                    retry_s=f"{retry_s:g}")

    def as_dict(self) -> dict[str, Any]:
        """Return the state as the health answer shows it."""
        return {"configured": self.configured, "serving_reads": self.serving, "state": self.reason,
                "lag_seconds": None if self.lag_s is None else round(self.lag_s, 3), "lag_bytes": self.lag_bytes,
                "max_lag_seconds": self.max_lag_s, "message": self.message()}


@dataclass
class ReadCounts:
    """Reads served since start: by the replica, by the primary, and reads the replica failed mid-way."""

    replica: int = 0
    primary: int = 0
    fallbacks: int = 0


def open_replica(url: str, *, adcode: str, connections: int | None = None) -> Store:
    """Return a store over the replica at ``url``: a short connect timeout, every pooled connection
    checked before use, so a stopped replica fails at once and a restarted one is used again; and a
    TCP user timeout with keepalives, so a replica host that vanished from the network (no refusal,
    no answer) fails a pooled connection in seconds, not after the kernel's quarter of an hour. A service
    worker keeps ``connections`` pooled (:func:`geo.store.store.pool_options`)."""
    engine = postgres_engine(sa.make_url(normalise_url(url)), **pool_options(connections),
                             connect_args={"connect_timeout": CONNECT_TIMEOUT_S,
                                           "tcp_user_timeout": TCP_USER_TIMEOUT_MS, "keepalives": 1,
                                           "keepalives_idle": 10, "keepalives_interval": 2, "keepalives_count": 3,
                                           "application_name": "xincheng-replica-reads"})
    return Store(engine, adcode=adcode)


class ReadRouter:
    """Choose, per read, the replica or the primary (see the module's description).

    ``primary`` and ``replica`` are the service's stores (the replica ``None`` when none is
    configured: every read goes to the primary). Thread-safe: one health check at a time, the
    others use the last result meanwhile.
    """

    def __init__(self, primary: Store, replica: Store | None, *, max_lag_s: float,
                 check_every_s: float = CHECK_EVERY_S, retry_after_s: float = RETRY_AFTER_S,
                 clock: Callable[[], float] = time.monotonic):
        self.primary, self.replica = primary, replica
        self.max_lag_s, self.check_every_s, self.retry_after_s = max_lag_s, check_every_s, retry_after_s
        self.counts = ReadCounts()
        self._clock = clock
        self._lock = threading.Lock()  # the state and the counts
        self._checking = threading.Lock()  # one health check at a time
        # (primary WAL position, when first seen), oldest first; bounded: a replica down for hours is behind
        # by more than any bound whatever the oldest positions dropped were.
        # (primary WAL position, when first seen, when the check before that one ran or None)
        self._seen: deque[tuple[int, float, float | None]] = deque(maxlen=_MAX_POSITIONS)
        self._state = ReplicaState(replica is not None, "none" if replica is None else "down", max_lag_s)
        self._checked_at: float | None = None
        self._down_until = 0.0

    @classmethod
    def open(cls, primary: Store, replica_url: str, *, max_lag_s: float,
             connections: int | None = None) -> ReadRouter:
        """Return the router of ``primary`` and the replica at ``replica_url`` (empty: none); the replica's
        pool keeps ``connections``."""
        replica = open_replica(replica_url, adcode=primary.adcode,
                               connections=connections) if replica_url else None
        return cls(primary, replica, max_lag_s=max_lag_s)

    def close(self) -> None:
        """Release the replica's pooled connections (the primary is its owner's to close)."""
        if self.replica is not None:
            self.replica.close()

    # -- health ---------------------------------------------------------------------------------

    def state(self) -> ReplicaState:
        """Return the replica's state, checked again when the last check is ``check_every_s`` old."""
        if self.replica is None:
            return self._state
        now = self._clock()
        with self._lock:
            fresh = self._checked_at is not None and now - self._checked_at < self.check_every_s
            if fresh or now < self._down_until:
                return self._aged(now)
        if self._checking.acquire(blocking=False):
            try:
                self._check()
            finally:
                self._checking.release()
        with self._lock:
            return self._aged(self._clock())

    def _aged(self, now: float) -> ReplicaState:
        age = None if self._checked_at is None else round(now - self._checked_at, 3)
        return replace(self._state, checked_age_s=age)

    def _check(self) -> None:
        """Ask the primary for its WAL position and the replica for its replay position; record the state."""
        assert self.replica is not None
        try:
            with self.primary.engine.connect() as conn:
                primary_lsn = int(conn.exec_driver_sql(_PRIMARY_LSN).scalar() or 0)
                primary_identity = tuple(conn.exec_driver_sql(_IDENTITY).one())
                conn.rollback()
        except REPLICA_FAILURES:  # the primary itself: nothing to compare with; reads go to it and fail there
            self._record(ReplicaState(True, "down", self.max_lag_s), down=True)
            return
        now = self._clock()
        with self._lock:
            if not self._seen or self._seen[-1][0] < primary_lsn:
                self._seen.append((primary_lsn, now, self._checked_at))
        try:
            with self.replica.engine.connect() as conn:
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {CHECK_TIMEOUT_MS}")  # this transaction's
                recovering, replay_lsn, replay_age_s = conn.exec_driver_sql(_REPLICA_STATE).one()
                replica_identity = tuple(conn.exec_driver_sql(_IDENTITY).one())
                conn.rollback()
        except REPLICA_FAILURES:
            self._record(ReplicaState(True, "down", self.max_lag_s), down=True)
            return
        if not recovering or replay_lsn is None:
            self._record(ReplicaState(True, "not_standby", self.max_lag_s), down=False)
            return
        if replica_identity != primary_identity:  # another cluster's standby, or another database on it
            self._record(ReplicaState(True, "not_this_database", self.max_lag_s), down=False)
            return
        lag_s = self._lag_s(int(replay_lsn), replay_age_s, now)
        reason: Reason = "ok" if lag_s <= self.max_lag_s else "behind"
        self._record(ReplicaState(True, reason, self.max_lag_s, lag_s=lag_s,
                                  lag_bytes=max(0, primary_lsn - int(replay_lsn)), replay_lsn=int(replay_lsn)),
                     down=False)

    def _lag_s(self, replay_lsn: int, replay_age_s: float | None, now: float) -> float:
        """Return how stale the replica may be: 0 when it has replayed every position seen on the primary,
        else an upper bound of the age of the oldest position it has not.

        That position was written after the check before the one that first saw it (``after``), so it
        is at most ``now - after`` old; and after the last commit the replica replayed, so at most
        ``replay_age_s`` old (the replica's own measure). The smaller bound counts. A position first seen
        after an idle spell is thus as old as the spell allows, not new (outside review #19-3).
        """
        with self._lock:
            while self._seen and self._seen[0][0] <= replay_lsn:
                self._seen.popleft()
            if not self._seen:
                return 0.0
            _position, since, after = self._seen[0]
        bounds = [now - after] if after is not None else []
        if replay_age_s is not None:
            bounds.append(float(replay_age_s))
        return max(now - since, min(bounds)) if bounds else now - since

    def _record(self, state: ReplicaState, *, down: bool) -> None:
        with self._lock:
            self._state = state
            self._checked_at = self._clock()
            self._down_until = self._checked_at + self.retry_after_s if down else 0.0

    def replica_failed(self) -> None:
        """Note that a read on the replica failed: reads go to the primary until the next retry."""
        self._record(ReplicaState(True, "down", self.max_lag_s), down=True)

    # -- reads and writes -----------------------------------------------------------------------

    def write_mark(self) -> int | None:
        """Return the primary's WAL position now (after a write committed), or ``None`` without a
        replica (nothing to wait for) or when the primary cannot say."""
        if self.replica is None:
            return None
        try:
            with self.primary.engine.connect() as conn:
                mark = int(conn.exec_driver_sql(_PRIMARY_LSN).scalar() or 0)
                conn.rollback()
                return mark
        except REPLICA_FAILURES:
            return None

    def use_replica(self, *, after_lsn: int | None = None) -> bool:
        """Return whether a read (of a caller whose last write is at ``after_lsn``) may go to the replica."""
        state = self.state()
        if not state.serving:
            return False
        return after_lsn is None or (state.replay_lsn is not None and state.replay_lsn >= after_lsn)

    def run(self, read: Callable[[Store], T], *, on_replica: Callable[[], Store],
            on_primary: Callable[[], Store], after_lsn: int | None = None) -> T:
        """Run ``read`` on the store ``on_replica`` returns when the replica may serve it, else (and
        when the replica fails during it) on the store ``on_primary`` returns.

        The two callables return the request's district store over each database (so choosing the
        district, a read too, is retried with the rest).
        """
        if self.replica is not None and self.use_replica(after_lsn=after_lsn):
            try:
                answer = read(on_replica())
            except REPLICA_FAILURES:
                self.replica_failed()
                with self._lock:
                    self.counts.fallbacks += 1
            else:
                with self._lock:
                    self.counts.replica += 1
                return answer
        answer = read(on_primary())
        with self._lock:
            self.counts.primary += 1
        return answer

    def exposition(self) -> str:
        """Return the replica's metrics in the Prometheus text format."""
        state = self.state()
        with self._lock:
            counts = replace(self.counts)
        lines = [
            "# HELP xincheng_replica_configured Whether a read replica is configured.",
            "# TYPE xincheng_replica_configured gauge", f"xincheng_replica_configured {int(state.configured)}",
            "# HELP xincheng_replica_serving Whether replica-eligible reads go to the replica now.",
            "# TYPE xincheng_replica_serving gauge", f"xincheng_replica_serving {int(state.serving)}",
            "# HELP xincheng_replica_lag_seconds How stale the replica's data was at the last check.",
            "# TYPE xincheng_replica_lag_seconds gauge",
            f"xincheng_replica_lag_seconds {'NaN' if state.lag_s is None else f'{state.lag_s:.3f}'}",
            "# HELP xincheng_replica_lag_bytes WAL the replica had not replayed at the last check.",
            "# TYPE xincheng_replica_lag_bytes gauge",
            f"xincheng_replica_lag_bytes {'NaN' if state.lag_bytes is None else state.lag_bytes}",
            "# HELP xincheng_replica_reads_total Replica-eligible reads, by the database that served them.",
            "# TYPE xincheng_replica_reads_total counter",
            f'xincheng_replica_reads_total{{served_by="replica"}} {counts.replica}',
            f'xincheng_replica_reads_total{{served_by="primary"}} {counts.primary}',
            "# HELP xincheng_replica_fallbacks_total Reads the replica failed mid-way, served again by the primary.",
            "# TYPE xincheng_replica_fallbacks_total counter",
            f"xincheng_replica_fallbacks_total {counts.fallbacks}",
        ]
        return "\n".join(lines) + "\n"
