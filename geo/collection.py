"""Collecting garbage rarely around bulk work that builds many objects and no cycles.

Building tens of thousands of records, geometries or query points makes CPython start a young collection
every 700 allocations and, every so often, a full one that walks every object of the process (a server
worker or a command holds hundreds of thousands: the geo stack, a loaded district, a walking network). In
an import of the sample district's 34,710 plates those collections took 0.26–0.44 s of 2.5–2.7 s (650
young, 1–2 full; counted with ``gc.callbacks``). The objects built there hold no reference cycles, so
reference counting frees them; the collector only needs to run far less often meanwhile: every 200,000
allocations, as a ``xincheng`` command runs it (``api.cli.collector``). It is not switched off: a
server's other requests go on during a long import, and their cyclic garbage is still collected.

A server runs requests on several threads while the collector's thresholds are the whole process's:
the rare pace is counted, so the thresholds found when the first block began are put back only when the
last block of any thread ends (a block never leaves them changed, whatever the order blocks end in). While
uploads follow one another the process stays at the rare pace throughout (a review saw 98 % of three
minutes); young collections still run every 200,000 allocations, and its memory stayed flat. Thresholds
someone else sets during a block (``xincheng serve`` putting Python's back) are theirs: the last block
leaves them. The lock is reentrant: a collection started while it is held may run a finalizer that enters
a block on the same thread. A ``xincheng`` command already runs at this pace from its start
(``api.cli.collector``): the gain is a server's (uploads, first planning requests) and in-process callers'.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: A young collection every 200,000 allocations, older ones 30 times rarer each (mypy's own pace).
RARE_THRESHOLDS = (200_000, 30, 30)

_lock = threading.RLock()
_depth = 0
_found: tuple[int, int, int] = gc.get_threshold()
_set: tuple[int, int, int] = _found


@contextmanager
def collecting_rarely() -> Iterator[None]:
    """Run the cyclic garbage collector at :data:`RARE_THRESHOLDS` for the block (any thread, nested or
    overlapping); a collector its caller switched off stays off."""
    global _depth, _found, _set
    with _lock:
        if _depth == 0:
            found = gc.get_threshold()
            rare = (max(RARE_THRESHOLDS[0], found[0]), max(RARE_THRESHOLDS[1], found[1]),
                    max(RARE_THRESHOLDS[2], found[2]))
            _found, _set = found, rare
            gc.set_threshold(*rare)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and gc.get_threshold() == _set:  # changed by someone else meanwhile: theirs stays
                gc.set_threshold(*_found)
