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
last block of any thread ends (a block never leaves them changed, whatever the order blocks end in).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: A young collection every 200,000 allocations, older ones 30 times rarer each (mypy's own pace).
RARE_THRESHOLDS = (200_000, 30, 30)

_lock = threading.Lock()
_depth = 0
_found: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def collecting_rarely() -> Iterator[None]:
    """Run the cyclic garbage collector at :data:`RARE_THRESHOLDS` for the block (any thread, nested or
    overlapping); a collector its caller switched off stays off."""
    global _depth, _found
    with _lock:
        if _depth == 0:
            _found = gc.get_threshold()
            gc.set_threshold(*(max(mine, theirs) for mine, theirs in zip(RARE_THRESHOLDS, _found, strict=True)))
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_found)
