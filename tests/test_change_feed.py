"""The change feed and the cache version follow commit order: a late commit is never skipped.

Ids are taken at insert and PostgreSQL transactions commit in any order; the feed pages on the
commit sequence (``audit_log.seq``) instead. Each test races real transactions, each thread on its
own connection: writer A writes and holds its transaction open, writer B writes and commits, a
reader reads, then A commits and the reader polls again from the cursor it was given.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import httpx
import pytest

from api.cache import DataCache
from geo.store import Store
from tests.conftest import running_server, server_settings

FEED = ("place_names", "former_names")
WAIT = 60  # seconds a thread may take before the test gives up (a hang, never a measured time)


def _name(store: Store, name: str, *, conn=None) -> int:
    (pid,) = store.insert("place_names", [{"standard_name": name, "feature_class": "street"}],
                          actor="writer", conn=conn)
    return pid


class _HeldWriter(threading.Thread):
    """Writer A: inserts a name in its own transaction and commits only when released."""

    def __init__(self, store: Store, name: str):
        super().__init__(daemon=True)
        self.store, self.name = store, name
        self.wrote, self.release = threading.Event(), threading.Event()
        self.record_id: int | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.store.writing() as conn:
                self.record_id = _name(self.store, self.name, conn=conn)
                self.wrote.set()
                assert self.release.wait(WAIT), "writer A was never released"
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.wrote.set()


def _run(target: Callable[[], None]) -> tuple[threading.Thread, list]:
    out: list = []

    def body() -> None:
        try:
            out.append(target())
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, out


def _race(store: Store, read: Callable[[int], tuple[list[int], int]]) -> None:
    """A holds, B commits, the reader reads; A commits, the reader polls from its cursor."""
    a = _HeldWriter(store, "甲迟路")
    a.start()
    assert a.wrote.wait(WAIT) and a.error is None, a.error
    b_thread, b_out = _run(lambda: _name(store, "乙早路"))
    if store.dialect == "postgresql":
        b_thread.join(WAIT)
        assert not b_thread.is_alive() and isinstance(b_out[0], int), b_out
        assert b_out[0] > a.record_id  # B took the later id and committed first: the hard case
    # On SQLite B waits for A's write lock: writers are serialised, B cannot commit first.
    first, cursor = read(0)
    if store.dialect == "postgresql":
        assert first == [b_out[0]]
    else:
        assert first == []
    a.release.set()
    a.join(WAIT)
    b_thread.join(WAIT)
    assert not a.is_alive() and a.error is None, a.error
    assert not b_thread.is_alive() and isinstance(b_out[0], int), b_out
    later, cursor = read(cursor)
    assert sorted(first + later) == sorted([a.record_id, b_out[0]])  # each change exactly once
    assert a.record_id in later
    again, same = read(cursor)
    assert again == [] and same == cursor


def test_a_transaction_that_commits_late_is_not_skipped(store: Store):
    def read(since: int) -> tuple[list[int], int]:
        rows, cursor = store.changes(since, tables=FEED)
        assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
        assert all(since < r["seq"] <= cursor for r in rows)
        return [r["record_id"] for r in rows], cursor

    _race(store, read)


@pytest.mark.both_backends  # a late commit: PostgreSQL's concurrent transactions
def test_the_http_feed_gives_a_late_commit_to_a_client_polling_with_next(store: Store):
    from geo.users import create_user

    create_user(store, "feed-officer", "feed-password-123", "placename_officer", actor="test")
    with (running_server(server_settings(store)) as base,
          httpx.Client(base_url=base, timeout=60) as api):
        login = api.post("/api/auth/login", json={"username": "feed-officer",
                                                  "password": "feed-password-123"})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

        def read(since: int) -> tuple[list[int], int]:
            r = api.get("/api/gazetteer/changes", headers=headers, params={"since": since})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["since"] == since and body["next"] >= since
            for change in body["changes"]:
                assert change["time"].endswith("+00:00")  # UTC on both backends
            return [c["record_id"] for c in body["changes"]], body["next"]

        _race(store, read)


def test_the_cache_version_moves_when_a_late_transaction_commits(store: Store):
    cache = DataCache()
    builds: list[int] = []

    def build() -> int:
        builds.append(1)
        return store.count("place_names")

    a = _HeldWriter(store, "甲迟路")
    a.start()
    assert a.wrote.wait(WAIT) and a.error is None, a.error
    if store.dialect == "postgresql":
        _name(store, "乙早路")  # B commits while A is open
        assert cache.get(store, "names", build) == 1
    else:
        assert cache.get(store, "names", build) == 0  # B would wait for A's lock
    a.release.set()
    a.join(WAIT)
    assert a.error is None, a.error
    expected = 2 if store.dialect == "postgresql" else 1
    assert cache.get(store, "names", build) == expected and len(builds) == 2
    assert cache.get(store, "names", build) == expected and len(builds) == 2  # then it is cached


def test_many_writers_committing_in_random_order_and_a_polling_reader_lose_nothing(store: Store):
    rng = random.Random(12)
    writers, per_writer = 6, 4
    delays = [[rng.random() * 0.02 for _ in range(per_writer)] for _ in range(writers)]
    written: list[int] = []
    lock = threading.Lock()
    done = threading.Event()
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for j in range(per_writer):
                with store.writing() as conn:
                    pid = _name(store, f"测试{k}路{j}", conn=conn)
                    done.wait(delays[k][j])  # hold the transaction a little: commits interleave
                with lock:
                    written.append(pid)
        except BaseException as exc:
            errors.append(exc)

    seen: list[int] = []
    seqs: list[int] = []
    cursor = 0

    def poll() -> None:
        nonlocal cursor
        rows, cursor = store.changes(cursor, tables=FEED, limit=5)
        seen.extend(r["record_id"] for r in rows)
        seqs.extend(r["seq"] for r in rows)

    threads = [threading.Thread(target=writer, args=(k,), daemon=True) for k in range(writers)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        poll()
    for t in threads:
        t.join(WAIT)
    assert not errors, errors
    while True:  # drain what committed after the last poll
        before = len(seen)
        poll()
        if len(seen) == before:
            break
    assert len(written) == writers * per_writer
    assert sorted(seen) == sorted(written)  # nothing lost, nothing twice
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_every_audit_row_gets_a_unique_commit_number_after_its_transaction(store: Store):
    with store.writing() as conn:
        first = _name(store, "一号路", conn=conn)
        second = _name(store, "二号路", conn=conn)
    rows = store.audit_rows("place_names")
    assert [r["record_id"] for r in rows] == [first, second]
    assert rows[0]["seq"] < rows[1]["seq"]  # one transaction's rows in the order written
    assert store.data_version() == rows[1]["seq"]
    with pytest.raises(RuntimeError), store.writing() as conn:
        _name(store, "回滚路", conn=conn)
        raise RuntimeError("roll back")
    assert store.data_version() == rows[1]["seq"]  # a rolled-back change takes no number
    third = _name(store, "三号路")
    assert store.audit_rows("place_names", third)[0]["seq"] > rows[1]["seq"]
