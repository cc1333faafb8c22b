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
