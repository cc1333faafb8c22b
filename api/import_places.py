"""How many file imports one server process runs at once: at most ``max_concurrent_imports``, one per user.

An import reads, validates and writes a whole file (GDAL, GeoPandas, one transaction): the next one is answered
429 with ``Retry-After`` before its body is read, once its login, role and parameters are checked.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from starlette.requests import Request

from api.process_places import ProcessPlaces
from api.ratelimit import TooManyRequests
from geo.messages import text

IMPORT_RETRY_AFTER_S = 30  # an import of a typical district layer takes seconds; try again after this


class TooManyImports(TooManyRequests):
    """Every import place of this process is taken (HTTP 429 with ``Retry-After``, field ``file``)."""

    code = "too_many_imports"
    retry_after_s = IMPORT_RETRY_AFTER_S


class ImportRunningForYou(TooManyImports):
    """The user already holds an import place (HTTP 429 with ``Retry-After``, field ``file``): one at a time each."""

    code = "import_running"


class ImportSlots:
    """At most ``limit`` file imports at once in this process, and one per user.

    A route asks for a place once the caller is known to be allowed to import and the request is well
    formed (:func:`import_place`), so a caller without a login is answered 401 whatever the server is
    doing, one of the wrong role 403 and a malformed request 4xx; only an allowed importer learns that
    the places are taken (429). The upload is read only in a place, and the place is given back when the
    import ends, answered or failed. One place per user: an importer who sends slowly (or two files at once)
    holds their own place only, and the others' imports go on (review).
    """

    def __init__(self, limit: int, *, stall_s: int = 60):
        self.places = ProcessPlaces(limit)
        self.stall_s = stall_s  # how long a cut-off upload may still hold its sender's place
        self._holders: set[str] = set()
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        """How many imports may run at once in this process."""
        return self.places.limit

    @property
    def running(self) -> int:
        """How many imports hold a place now."""
        return self.places.running

    @property
    def own_retry_after_s(self) -> int:
        """When a user refused for an import of their own may try again: a cut-off upload is let go within the stall."""
        return max(IMPORT_RETRY_AFTER_S, self.stall_s)

    @contextlib.contextmanager
    def hold(self, *, username: str) -> Iterator[None]:
        """Hold one place for ``username`` for the block, or raise :class:`TooManyImports` if every place is taken
        or the user already holds one."""
        with self._lock:
            if username in self._holders:  # running, or cut off and not yet known to be (review): come back later
                refusal = ImportRunningForYou(text("http.import_running_for_you", stall=self.stall_s,
                                                   seconds=self.own_retry_after_s), field="file")
                refusal.retry_after_s = self.own_retry_after_s
                raise refusal
            if not self.places.take():
                raise TooManyImports(text("http.too_many_imports", limit=self.limit,
                                          seconds=IMPORT_RETRY_AFTER_S), field="file")
            self._holders.add(username)
        try:
            yield
        finally:
            with self._lock:
                self._holders.discard(username)
                self.places.give_back()

    def exposition(self) -> str:
        """Return the places as Prometheus gauges (in use, and the limit), for ``/metrics``."""
        return ("# HELP xincheng_import_places_in_use File imports running in this worker (each holds a place).\n"
                "# TYPE xincheng_import_places_in_use gauge\n"
                f"xincheng_import_places_in_use {self.running}\n"
                "# HELP xincheng_import_places File imports this worker runs at once at most.\n"
                "# TYPE xincheng_import_places gauge\n"
                f"xincheng_import_places {self.limit}\n")


def import_place(request: Request, *, username: str) -> contextlib.AbstractContextManager[None]:
    """Hold one of the app's import places (:class:`ImportSlots`) for ``username`` for the block: an import route
    enters it once its login, role and parameters are checked and before it reads the upload."""
    return request.app.state.import_slots.hold(username=username)
