"""A small in-process rate limiter for the public endpoints (per client address, sliding window).

Behind several workers each process counts alone; the README's production setup puts the
reverse proxy's limit in front as well.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from geo.errors import DomainError
from geo.text import clean


def throttle_key(username: str | None) -> str:
    """Return the name the login throttle counts: cleaned and case-folded as authentication looks it up
    (so ``" dev-planner"``, ``"ｄｅｖ-planner"`` and ``"d\u200bev-planner"`` count as ``dev-planner``)."""
    return str(clean(str(username or ""))).casefold()


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

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events[key]
        while events and now - events[0] > self.window_s:
            events.popleft()
        return events

    def hit(self, key: str) -> None:
        """Count one event for ``key`` or raise :class:`TooManyRequests`."""
        if not self.record(key):
            raise TooManyRequests("请求过于频繁，请稍后再试 · too many requests, please try again later",
                                  field="client")

    def full(self, key: str) -> bool:
        """Return whether ``key`` has used up its window (without counting an event)."""
        with self._lock:
            return key in self._events and len(self._recent(key, time.monotonic())) >= self.limit

    def record(self, key: str) -> bool:
        """Count one event for ``key`` unless its window is full; return whether it was counted."""
        now = time.monotonic()
        with self._lock:
            events = self._recent(key, now)
            if len(events) >= self.limit:
                return False
            events.append(now)
            if len(self._events) > 100_000:  # forget idle clients so memory stays bounded
                for k in [k for k, v in self._events.items() if not v or now - v[-1] > self.window_s]:
                    del self._events[k]
            return True

    def refund(self, key: str) -> None:
        """Take back the latest event counted for ``key`` (an attempt that turned out fine)."""
        with self._lock:
            events = self._events.get(key)
            if events:
                events.pop()

    def forget(self, key: str) -> None:
        """Drop the events counted for ``key``."""
        with self._lock:
            self._events.pop(key, None)


class LoginThrottle:
    """Allow at most ``max_failures`` password checks per username (and 4x per address) per window.

    Every attempt is counted before its password is checked, atomically for the name and the
    address together, so concurrent guesses cannot all slip in before the first failure is
    counted: beyond the limit an attempt is refused (429) without a check, even with the right
    password. A success clears the username's count and gives its address back the one attempt,
    so an office behind one address is not locked out by its own logins. Counts are per process
    (see the module note on workers).
    """

    def __init__(self, max_failures: int, window_s: float, *, per_address_factor: int = 4):
        self.by_user = RateLimiter(max_failures, window_s)
        self.by_address = RateLimiter(max_failures * per_address_factor, window_s)
        self._lock = threading.Lock()

    def attempt(self, username: str, address: str) -> None:
        """Count one login attempt for the username and the address, or raise TooManyRequests."""
        user = throttle_key(username)
        with self._lock:  # both counted, or neither
            for limiter, key, field in ((self.by_user, user, "username"),
                                        (self.by_address, address, "client")):
                if limiter.full(key):
                    raise TooManyRequests("登录失败次数过多, 请稍后再试 · too many failed logins, "
                                          "please try again later", field=field)
            self.by_user.record(user)
            self.by_address.record(address)

    def undecided(self, username: str, address: str) -> None:
        """Give back one attempt whose password was never judged (the database could not answer): an outage
        must not lock out the users who keep trying to log in through it."""
        self.by_user.refund(throttle_key(username))
        self.by_address.refund(address)

    def succeeded(self, username: str, address: str | None = None) -> None:
        """Forget the username's attempts and give the address back this attempt."""
        self.by_user.forget(throttle_key(username))
        if address is not None:
            self.by_address.refund(address)
