"""A fixed number of places for costly work in one server process, taken without waiting.

Imports (:class:`api.import_places.ImportSlots`) and the siting MILP (:mod:`api.siting_slot`) each run at
most N at once in a worker: a caller that finds every place taken is refused at once (429 with
Retry-After) or does something cheaper, and never queues behind work that may take minutes.
"""

from __future__ import annotations

import threading


class ProcessPlaces:
    """At most ``limit`` holders at once; :meth:`take` never blocks. ``running`` is how many are held."""

    def __init__(self, limit: int):
        self.limit = limit
        self.running = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Take a place and return True, or return False at once when every place is held."""
        with self._lock:
            if self.running >= self.limit:
                return False
            self.running += 1
            return True

    def give_back(self) -> None:
        """Give back a place :meth:`take` gave (once per place)."""
        with self._lock:
            if self.running <= 0:
                raise RuntimeError("a place given back that was not taken")
            self.running -= 1
