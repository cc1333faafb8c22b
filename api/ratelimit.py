"""A small in-process rate limiter for the public endpoints (per client address, sliding window).

Behind several workers each process counts alone; the README's production setup puts the
reverse proxy's limit in front as well.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from geo.errors import DomainError


class TooManyRequests(DomainError):
    """The client sent more requests than the window allows."""

    status = 429
    code = "rate_limited"


class RateLimiter:
    """Allow ``limit`` events per ``window_s`` seconds per key."""

    def __init__(self, limit: int, window_s: float):
        self.limit, self.window_s = limit, window_s
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one event for ``key`` or raise :class:`TooManyRequests`."""
        now = time.monotonic()
        with self._lock:
            events = self._events[key]
            while events and now - events[0] > self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                raise TooManyRequests("请求过于频繁，请稍后再试 · too many requests, please try again later",
                                      field="client")
            events.append(now)
            if len(self._events) > 100_000:  # forget idle clients so memory stays bounded
                for k in [k for k, v in self._events.items() if not v or now - v[-1] > self.window_s]:
                    del self._events[k]
