"""A restore and a running server's writes: the writes wait for the restore and land after it (both backends)."""

from __future__ import annotations

import threading
import time

import shapely

from geo.store.backup import restore_backup


def test_writes_while_a_restore_runs_wait_for_it_and_land_after_it(store, small_sample_backup):
    """Second review: on PostgreSQL a running server's writes went on while a restore emptied and loaded the tables,
    and those committed in between stayed in the restored database beside the backup's rows (28 facilities). The
    restore now holds every table it replaces: a writer waits, and what it writes is a newer change, numbered
    after the restore's own audit rows. (SQLite's one write lock did this already.)"""
    restore_backup(store, small_sample_backup)
    graves = store.count("graves")
    stop, written, errors = threading.Event(), [], []

    def writer() -> None:
        try:
            while not stop.is_set():
                written.extend(store.insert("graves", [{"status": "found", "geometry": shapely.Point(111.70, 40.85)}],
                                            actor="writer"))
                time.sleep(0.02)
        except Exception as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.3)
        restore_backup(store, small_sample_backup, replace=True)
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join(60)
    assert errors == [] and written
    marks = [r["seq"] for r in store.select("audit_log", where={"action": "restore"})]
    kept = [r for r in store.select("audit_log", where={"table_name": "graves", "actor": "writer"})]
    assert kept and all(r["seq"] > max(marks) for r in kept), (len(kept), max(marks), [r["seq"] for r in kept][:5])
    assert store.count("graves") == graves + len(kept)  # the backup's, then only what was written after it
