"""Leave the ``xincheng`` process quickly once a command has finished.

Python's own exit tears down every module and frees every object one by one; after ``xincheng report`` (pandas,
GeoPandas, SciPy, SQLAlchemy, folium and the district's layers in memory) that takes 0.2 s of the planner's wait
and changes nothing on disk. :func:`leave` does what matters of it — closing every store still open (a SQLite
file's write-ahead log folded back), the exit handlers (logging's flush among them) and flushing the standard
streams — and then ends the process. It takes the ordinary way out when a thread that is not a daemon still
runs, since Python would wait for it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn

#: Python's status when flushing standard output fails at exit (a closed pipe: ``xincheng … | head``).
FLUSH_FAILED_STATUS = 120


def exit_status(code: object) -> int:
    """Return the status ``sys.exit(code)`` gives: 0 for None, the number itself, 1 after printing anything else
    on standard error (nowhere when it was closed: ``print`` would fall back to standard output)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    if sys.stderr is not None:
        print(code, file=sys.stderr)
    return 1


def leave(code: object) -> NoReturn:
    """End the process with ``code``'s status after the exit handlers ran and the standard streams are flushed."""
    if any(thread.is_alive() and not thread.daemon for thread in threading.enumerate()
           if thread is not threading.main_thread()):
        raise SystemExit(code)
    status = exit_status(code)
    store_module = sys.modules.get("geo.store.store")  # not imported by a command that opened no database
    if store_module is not None:
        with contextlib.suppress(Exception):  # a connection already broken: the exit goes on, as Python's would
            store_module.close_every_store()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # closed when the process started (`xincheng … >&-`): nothing to flush
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: Python's own exit says 120 for stdout
            if stream is sys.stdout and status == 0:
                status = FLUSH_FAILED_STATUS
    os._exit(status)
