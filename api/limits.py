"""Request body limits, enforced before a route reads the body: a clear 413 naming the limit.

File imports may be large (``max_upload_bytes``); every other body is JSON or a form and is held
to ``max_request_bytes``. Both the declared Content-Length and the bytes actually received count,
so a chunked upload cannot slip past.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from geo.io.formats import UNZIP_LIMIT

UNZIP_FACTOR = 20  # an uploaded archive may expand to 20 x the upload limit (and never past 1 GiB)


class BodyLimitMiddleware:
    """Refuse bodies over the limit for their route with 413 (field ``body``)."""

    def __init__(self, app: ASGIApp, *, max_request_bytes: int, max_upload_bytes: int):
        self.app = app
        self.max_request_bytes, self.max_upload_bytes = max_request_bytes, max_upload_bytes

    def limit_for(self, path: str) -> int:
        """Return the body limit for a request path."""
        return self.max_upload_bytes if path.endswith("/import") else self.max_request_bytes

    async def _refuse(self, send: Send, limit: int, size: int | None) -> None:
        what = f"the request body is {size:,} bytes" if size is not None else "the request body is too large"
        body = json.dumps(error_body(413, "payload_too_large", f"{what}; the limit here is {limit:,} bytes",
                                     "body"), ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

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
            await self._refuse(send, limit, int(declared))
            return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not refused:
                    refused = True
                    if not started:
                        await self._refuse(send, limit, None)
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
