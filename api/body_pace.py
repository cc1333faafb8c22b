"""How long a request body may take to arrive, so that a client cannot hold a server's place by sending slowly.

Three limits, as Apache's mod_reqtimeout (``body=stall-max,MinRate=rate``) and nginx's ``client_body_timeout``:
nothing may arrive for ``stall_s`` (a phone that lost its signal often never closes its connection); the body may
spend ``stall_s`` waiting and one second more for each ``min_bytes_per_s`` bytes that arrived (a trickle of a
byte now and then is refused); and the whole body may take ``max_s`` at most, however it arrives (a client that
sends at exactly the minimum rate, or banks time with a burst and then trickles, is refused too).

Only the time spent waiting for the client counts against the rate: a server that reads late (its threads busy)
does not make an upload "too slow". Pure bookkeeping; :class:`api.limits.BodyLimitMiddleware` does the waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Why = Literal["stalled", "slow", "long"]
_SMALLEST_WAIT_S = 0.001  # what is already buffered arrives within one turn of the event loop


@dataclass
class BodyPace:
    """The pace of one request body: what arrived and how long the reads waited for it."""

    stall_s: float
    min_bytes_per_s: float
    max_s: float
    received_bytes: int = 0
    waited_s: float = 0.0
    first_read_s: float | None = None

    def next_wait(self, now_s: float) -> tuple[float, Why]:
        """Return how long the next read may wait at ``now_s`` (a monotonic clock) and what a timeout means:
        ``stalled`` (nothing for ``stall_s``), ``slow`` (below the minimum rate) or ``long`` (past ``max_s``)."""
        if self.first_read_s is None:
            self.first_read_s = now_s
        earned_s = self.stall_s + self.received_bytes / self.min_bytes_per_s - self.waited_s
        left_s = self.first_read_s + self.max_s - now_s
        limits: list[tuple[float, Why]] = [(self.stall_s, "stalled"), (earned_s, "slow"), (left_s, "long")]
        wait_s, why = min(limits, key=lambda limit: limit[0])
        if why == "long" and wait_s <= 0:
            return 0.0, why
        return max(wait_s, _SMALLEST_WAIT_S), why

    def arrived(self, *, size_bytes: int, waited_s: float) -> None:
        """Count a read that brought ``size_bytes`` after waiting ``waited_s``."""
        self.received_bytes += size_bytes
        self.waited_s += waited_s

    def elapsed_s(self, now_s: float) -> float:
        """Return the time since the first read."""
        return 0.0 if self.first_read_s is None else now_s - self.first_read_s
