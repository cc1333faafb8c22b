"""Read-your-writes with a read replica (#19): mark each client's writes, so its reads wait for them.

After a successful non-GET request (a write that committed) the middleware asks the primary for its
WAL position (:meth:`geo.store.replica.ReadRouter.write_mark`) and hands it back three ways:

- the ``xc_lsn`` cookie, for browsers (the officer pages, the public report form);
- the ``X-Xincheng-Lsn`` response header, which an API client may send back on its reads (needed when
  the service runs several workers: the memory below is one worker's);
- in this worker's memory, keyed by the user (when the write's request resolved its account, as every
  officer write does) and by a digest of the bearer token, so an API client reads its own writes with
  no cooperation at all. A read finds its mark by its token always, and by its user wherever the route
  looks the account up anyway (name search, OGC): the same officer on a second device sees the write
  there too. Routes that never look up an account (the public plate scans) find it by token only,
  since resolving the user of every public read would cost the primary the query the replica saves.

A read carrying a mark (:func:`client_mark`) is served by the replica only once the replica has
replayed past it. A mark only ever sends reads to the primary, so it is not signed: a forged one
costs its sender their own reads' speed. Marks expire after :func:`mark_ttl_s`: by then a replica
within its lag bound has replayed the write.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.store.replica import ReadRouter

MARK_COOKIE = "xc_lsn"
MARK_HEADER = "X-Xincheng-Lsn"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_MARK = 2**63 - 1


def mark_ttl_s(max_lag_s: float) -> int:
    """Return how long a write mark is kept: a minute, or longer with a generous lag bound."""
    return max(60, math.ceil(4 * max_lag_s))


USER_STATE = "xc_user_id"  # request.state: the account a dependency resolved (api.deps)


def token_key(authorization: str | None) -> str | None:
    """Return the key of a bearer token's marks (a digest: the token itself is never kept)."""
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
        if token:
            return "token:" + hashlib.sha256(token.encode()).hexdigest()
    return None


def user_key(scope_state: object) -> str | None:
    """Return the key of the marks of the user a dependency resolved for this request, if any."""
    user_id = getattr(scope_state, USER_STATE, None) if not isinstance(scope_state, dict) \
        else scope_state.get(USER_STATE)
    return None if user_id is None else f"user:{user_id}"


def parse_mark(value: str | None) -> int | None:
    """Return a mark sent back (a decimal WAL position), or ``None`` for anything else."""
    if value and value.isascii() and value.isdigit() and len(value) <= 19:
        mark = int(value)
        return mark if 0 < mark <= _MAX_MARK else None
    return None


class WriteMarks:
    """This worker's marks of bearer-token clients: token digest -> (WAL position, expiry)."""

    def __init__(self, ttl_s: float, *, max_keys: int = 100_000, clock=time.monotonic):
        self.ttl_s, self.max_keys, self._clock = ttl_s, max_keys, clock
        self._marks: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def note(self, key: str, mark: int) -> None:
        """Keep ``mark`` as the client's latest write."""
        now = self._clock()
        with self._lock:
            if key not in self._marks and len(self._marks) >= self.max_keys:  # memory stays bounded:
                self._marks = {k: v for k, v in self._marks.items() if v[1] > now}  # the expired go first,
                excess = len(self._marks) - self.max_keys + 1
                if excess > 0:  # then the oldest, a tenth more than needed so this runs seldom (a client
                    for oldest in list(self._marks)[:excess + self.max_keys // 10]:  # forgotten this way
                        del self._marks[oldest]  # still carries its mark in the cookie or header)
            old = self._marks.get(key)
            self._marks[key] = (max(mark, old[0]) if old and old[1] > now else mark, now + self.ttl_s)

    def get(self, key: str) -> int | None:
        """Return the client's latest unexpired mark."""
        with self._lock:
            found = self._marks.get(key)
        return found[0] if found and found[1] > self._clock() else None


def client_mark(conn: HTTPConnection, marks: WriteMarks) -> int | None:
    """Return the latest write mark this request carries (cookie, header, its token's or its user's), if any."""
    found = [parse_mark(conn.cookies.get(MARK_COOKIE)), parse_mark(conn.headers.get(MARK_HEADER))]
    for key in (token_key(conn.headers.get("authorization")), user_key(conn.scope.get("state", {}))):
        if key is not None:
            found.append(marks.get(key))
    present = [m for m in found if m is not None]
    return max(present) if present else None


class WriteMarkMiddleware:
    """Mark every successful non-GET response with the primary's WAL position (see the module's text).

    Does nothing without a replica. Pure ASGI: the response is never buffered.
    """

    def __init__(self, app: ASGIApp, *, cookie_secure: bool):
        self.app, self.cookie_secure = app, cookie_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one request."""
        if scope["type"] != "http" or scope["method"] in _SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        router: ReadRouter | None = getattr(state, "reads", None)
        if router is None or router.replica is None:
            await self.app(scope, receive, send)
            return
        marks: WriteMarks = state.write_marks
        token = token_key(HTTPConnection(scope).headers.get("authorization"))

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                mark = await run_in_threadpool(router.write_mark)
                if mark is not None:
                    for key in (token, user_key(scope.get("state", {}))):
                        if key is not None:
                            marks.note(key, mark)
                    cookie = (f"{MARK_COOKIE}={mark}; Path=/; Max-Age={int(marks.ttl_s)}; HttpOnly; SameSite=Lax"
                              + ("; Secure" if self.cookie_secure else ""))
                    message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode()),
                                          (MARK_HEADER.lower().encode(), str(mark).encode())]
            await send(message)

        await self.app(scope, receive, send_marked)
