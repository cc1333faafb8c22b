"""How often the garbage collector runs in a ``xincheng`` process: rarely for a command, as Python has it for a server.

A command builds hundreds of thousands of objects that live until it ends (the geo stack's modules, the district's
layers, a walking network). With Python's thresholds a young collection starts every 700 allocations and every so
often a full one walks every object: in ``xincheng report`` 593 young, 54 middle and 5 full collections, 0.3–0.7 s of
its time (measured with ``gc.callbacks``). A command runs them far less often — the thresholds mypy sets for its own
runs — and still frees cycles. ``xincheng serve`` puts Python's own back before it starts: a worker lives for days
and keeps what it loaded out of full collections another way (``gc.freeze``, :func:`api.app.create_app`).
"""

from __future__ import annotations

import gc

#: Python's thresholds, as this process started with them (CPython: 700, 10, 10).
PYTHON_THRESHOLDS = gc.get_threshold()
#: A command's: a young collection every 200,000 allocations, older ones 30 times rarer each.
COMMAND_THRESHOLDS = (200_000, 30, 30)


def pace_for_a_command() -> None:
    """Collect rarely: the process ends with its command."""
    gc.set_threshold(*COMMAND_THRESHOLDS)


def pace_for_a_server() -> None:
    """Collect at Python's own pace: the process serves for days."""
    gc.set_threshold(*PYTHON_THRESHOLDS)
