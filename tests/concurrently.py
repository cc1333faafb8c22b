"""Run one action from several threads released at the same moment, for the race tests.

Each test of a use case's lock (a natural-key lock, a sequence, an idempotent repeat) needs the same
setup: threads that wait at one barrier, then call the use case together, and every outcome kept,
the refusals too. :func:`at_once` is that setup.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def at_once(action: Callable[[], T], *, times: int = 2, timeout_s: float = 120.0) -> list[T | BaseException]:
    """Call ``action`` from ``times`` threads released together; return each result or the exception it raised.

    The outcomes are in the order the calls ended. A thread still running after ``timeout_s`` fails the test.
    """
    barrier = threading.Barrier(times)
    outcomes: list[T | BaseException] = []
    guard = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            outcome: T | BaseException = action()
        except BaseException as exc:
            outcome = exc
        with guard:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout_s)
    assert not any(t.is_alive() for t in threads), f"a call was still running after {timeout_s} s"
    return outcomes


def behind_a_held_row(store, *, table: str, column: str, value: object,
                      actions: list[tuple[str, Callable[[], object]]], stagger_s: float = 1.5,
                      timeout_s: float = 120.0) -> dict[str, object]:
    """Hold the row of ``table`` whose ``column`` is ``value`` locked for update in a transaction of its own (a write
    on it in flight), start ``actions`` one after another ``stagger_s`` apart, let the row go, and return each
    action's result or the exception it raised, by name: the way to make writes meet on PostgreSQL's row locks in
    a chosen order (the deadlock tests of the division changes)."""
    import time

    import psycopg

    from geo.store.store import normalise_url

    outcomes: dict[str, object] = {}

    def run(name: str, call: Callable[[], object]) -> None:
        try:
            outcomes[name] = call()
        except Exception as exc:  # the test reads what each met
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=action) for action in actions]
    url = normalise_url(store.engine.url.render_as_string(hide_password=False))
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as gate, gate.transaction():
        gate.execute(f"SELECT id FROM {table} WHERE {column} = %s FOR UPDATE", (value,))
        for thread in threads:
            thread.start()
            time.sleep(stagger_s)
    for thread in threads:
        thread.join(timeout_s)
    assert not any(t.is_alive() for t in threads), f"a call was still running after {timeout_s} s"
    return outcomes


def deadlocked(outcomes: dict[str, object]) -> list[str]:
    """Return the names of the actions PostgreSQL stopped as a deadlock."""
    return [name for name, outcome in outcomes.items() if "deadlock" in str(outcome).lower()]
