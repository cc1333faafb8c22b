"""Request body limits, enforced before a route reads the body: a clear 413 naming the limit, a 408 for
a body that stops arriving, comes too slowly or takes too long (api/body_pace.py).

File imports may be large (``max_upload_bytes``); every other body is JSON or a form and is held
to ``max_request_bytes``. Both the declared Content-Length and the bytes actually received count,
so a chunked upload cannot slip past.

How many imports run at once: api/import_places.py; what their messages call the file: api/upload_names.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.body_pace import BodyPace, Why
from api.errors import error_body, wants_page
from api.pages import render_text
from api.upload_names import is_import
from geo.io.formats import UNZIP_LIMIT
from geo.messages import en, text, zh

refusal_log = logging.getLogger("xincheng.api")
UNZIP_FACTOR = 20  # an uploaded archive may expand to 20 x the upload limit (and never past 1 GiB)


class BodyLimitMiddleware:
    """Refuse bodies over the limit for their route with 413 (field ``body``)."""

    def __init__(self, app: ASGIApp, *, max_request_bytes: int, max_upload_bytes: int, stall_s: int = 60,
                 min_bytes_per_s: int = 500, max_s: int = 1800):
        self.app = app
        self.max_request_bytes, self.max_upload_bytes = max_request_bytes, max_upload_bytes
        self.stall_s, self.min_bytes_per_s, self.max_s = stall_s, min_bytes_per_s, max_s

    def limit_for(self, path: str) -> int:
        """Return the body limit for a request path."""
        return self.max_upload_bytes if path.endswith("/import") else self.max_request_bytes

    async def _refuse(self, send: Send, receive: Receive, limit: int, size: int | None,
                      scope: Scope | None = None) -> None:
        if scope is not None and is_page_form(scope):
            body = too_large_page(scope, limit, size).encode()
            content_type = b"text/html; charset=utf-8"
        else:
            message = (text("http.body_too_large", size=f"{size:,}", limit=f"{limit:,}") if size is not None
                       else text("http.body_too_large_unknown", limit=f"{limit:,}"))
            body = json.dumps(error_body(413, "payload_too_large", message, "body"), ensure_ascii=False).encode()
            content_type = b"application/json"
        await _answer_and_linger(send, receive, status=413, content_type=content_type, body=body)

    async def _stalled(self, send: Send, receive: Receive, scope: Scope, *, why: Why, received: int,
                       elapsed_s: float) -> None:
        """Answer 408 (field ``body``; a page for a page's form): the body stopped arriving, came too slowly or
        took too long (:class:`api.body_pace.BodyPace`)."""
        if why == "stalled":
            message = text("http.upload_stalled", seconds=f"{self.stall_s:g}")
        elif why == "slow":
            message = text("http.upload_too_slow", seconds=f"{elapsed_s:.0f}", received=f"{received:,}",
                           rate=f"{self.min_bytes_per_s:,}")
        else:
            message = text("http.upload_too_long", limit=f"{self.max_s:,}", received=f"{received:,}")
        if is_page_form(scope):
            body = stalled_page(scope, message, title_key=_STALL_TITLES[why]).encode()
            content_type = b"text/html; charset=utf-8"
        else:
            body = json.dumps(error_body(408, "request_timeout", message, "body"), ensure_ascii=False).encode()
            content_type = b"application/json"
        await _answer_and_linger(send, receive, status=408, content_type=content_type, body=body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the bytes as they arrive."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        if scope["path"].endswith("/import"):  # the import runs in a thread with this context
            token = UNZIP_LIMIT.set(UNZIP_FACTOR * self.max_upload_bytes)
            try:
                await self._limited(scope, receive, send, limit)
            finally:
                UNZIP_LIMIT.reset(token)
            return
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, receive, limit, int(declared), scope)
            return
        started = refused = whole = False
        pace = BodyPace(stall_s=self.stall_s, min_bytes_per_s=self.min_bytes_per_s, max_s=self.max_s)
        clock = asyncio.get_running_loop().time

        async def counting_receive() -> Message:
            nonlocal refused, whole
            if whole:  # the body is in: the route now only listens for the client going away
                return await receive()
            wait_s, why = pace.next_wait(clock())
            asked_s = clock()
            try:
                if wait_s <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), wait_s)
            except TimeoutError:  # gone without closing (a phone out of signal), or sending too slowly to hold a place
                refused = True
                seconds = pace.elapsed_s(clock())
                refusal_log.warning("body refused 408 (%s): %s %s, %d bytes in %.0f s", why, scope["method"],
                                    scope["path"], pace.received_bytes, seconds)
                if not started:
                    await self._stalled(send, receive, scope, why=why, received=pace.received_bytes,
                                        elapsed_s=seconds)
                return {"type": "http.disconnect"}  # the route stops reading; its place is given back
            pace.arrived(size_bytes=len(message.get("body", b"")), waited_s=clock() - asked_s)
            if message["type"] == "http.request":
                whole = not message.get("more_body", False)
                if pace.received_bytes > limit and not refused:
                    refused = True
                    if not started:
                        await self._refuse(send, receive, limit, None, scope)
                    return {"type": "http.disconnect"}  # the route stops reading; its reply is dropped
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise


LINGER_S = 2.0        # after a refusal, read (and drop) what the client still sends for at most this long ...
LINGER_QUIET_S = 0.5  # ... or until it sends nothing for this long


async def _answer_and_linger(send: Send, receive: Receive, *, status: int, content_type: bytes, body: bytes) -> None:
    """Answer a refused body (``Connection: close``), then read and drop what the client still sends for a moment
    before the answer is ended and the connection closed (nginx's lingering close): closed at once while the client
    still sends, the connection is reset, and the reset can destroy the answer before the client has read it (a
    phone then says "connection reset"; review, and a CI run). The whole answer is sent first (its length is
    declared), so the client reads it at once; the server only ends the exchange later."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body, "more_body": True})
    clock = asyncio.get_running_loop().time
    deadline_s = clock() + LINGER_S
    while (left_s := deadline_s - clock()) > 0:  # the server reads the request only until the answer is ended
        try:
            message = await asyncio.wait_for(receive(), min(left_s, LINGER_QUIET_S))
        except TimeoutError:
            break
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    await send({"type": "http.response.body", "body": b""})


BYTES_PER_MB = 1024 * 1024


def is_page_form(scope: Scope) -> bool:
    """Return whether a refused body was a page's form (a browser posting to a page address, not the
    JSON or OGC API): it is answered with a page, Chinese first, not the API's JSON error. The same
    test as every other error's (:func:`api.errors.wants_page`)."""
    return wants_page(Request(scope))


def megabytes(size_bytes: int) -> str:
    """Return a size in MB as people read it (``8``, ``8.1``)."""
    return f"{size_bytes / BYTES_PER_MB:.1f}".removesuffix(".0")


def _form_page(scope: Scope) -> str | None:
    """Return the path of the page the form was sent from (its ``Referer`` on this site), if any."""
    headers = dict(scope["headers"])
    referer = urlsplit(headers.get(b"referer", b"").decode("latin-1"))
    host = headers.get(b"host", b"").decode("latin-1")
    if referer.netloc != host or not referer.path.startswith("/") or referer.path.startswith("//"):
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def _form_refused_page(scope: Scope, *, title_key: str, message: str, status: int) -> str:
    """Return the page refusing a form's body before the route read it: the reason, nothing saved, and the way
    back to the form (the browser's Back keeps what was typed; the page links the form)."""
    return render_text("home/error.html", title_zh=zh(title_key), title_en=en(title_key),
                       user=None, nav=[], draft=None, draft_notice=None, message=message, status_code=status,
                       home_zh=zh("pages_errors.go_home"), home_en=en("pages_errors.go_home"), user_home="/",
                       my_home=("", ""), back_url=_form_page(scope),
                       back=(zh("forms.back_to_form"), en("forms.back_to_form")))


def too_large_page(scope: Scope, limit: int, size: int | None) -> str:
    """Return the 413 page for a form too large to take: the size and the limit in MB."""
    kind = "file_too_large" if is_import(scope) else "too_large"  # an import page's file, not a form's photo (review)
    message = (text(f"forms.{kind}", size_mb=megabytes(size), limit_mb=megabytes(limit)) if size is not None
               else text(f"forms.{kind}_unknown", limit_mb=megabytes(limit)))
    return _form_refused_page(scope, title_key="forms.too_large_title", message=message, status=413)


_STALL_TITLES: dict[Why, str] = {"stalled": "forms.stalled_title", "slow": "forms.too_slow_title",
                                 "long": "forms.too_long_title"}


def stalled_page(scope: Scope, message: str, *, title_key: str = "forms.stalled_title") -> str:
    """Return the 408 page for a form whose upload stopped arriving, came too slowly or took too long."""
    return _form_refused_page(scope, title_key=title_key, message=message, status=408)


