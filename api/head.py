"""HEAD on every GET route: the GET's status and headers, no body (pure ASGI, no buffering).

FastAPI registers routes for the methods they name, so a HEAD (a link checker, a monitoring probe,
``curl -I``) would get 405. This middleware answers HEAD by running the GET route and dropping its
body; the headers, Content-Length included, are those of the GET, as RFC 9110 asks. A route that
takes HEAD itself keeps it. A 405 answer's ``Allow`` lists HEAD wherever it lists GET.

It sits inside the logging middleware, so the access log and the metrics still say HEAD.
"""

from __future__ import annotations

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _takes_head(scope: Scope) -> bool:
    """Return whether a route of the app answers HEAD on this path itself (a mount, a Starlette route)."""
    app = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", ())
    return any(route.matches(scope)[0] == Match.FULL for route in routes)


def allow_with_head(value: bytes) -> bytes:
    """Return an ``Allow`` header value with HEAD beside GET (unchanged without GET or with HEAD)."""
    methods = [m.strip() for m in value.decode("latin-1").split(",") if m.strip()]
    upper = [m.upper() for m in methods]
    if "GET" not in upper or "HEAD" in upper:
        return value
    methods.insert(upper.index("GET") + 1, "HEAD")
    return ", ".join(methods).encode("latin-1")


def _with_allow(message: Message) -> Message:
    if message.get("status") != 405:
        return message
    headers = [(name, allow_with_head(value) if name.lower() == b"allow" else value)
               for name, value in message.get("headers", [])]
    return {**message, "headers": headers}


class HeadMiddleware:
    """Answer HEAD through the GET route without a body; keep ``Allow`` on 405s complete."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "HEAD":
            async def send_allow(message: Message) -> None:
                await send(_with_allow(message) if message["type"] == "http.response.start" else message)

            await self.app(scope, receive, send_allow)
            return
        ended = False

        async def send_headers_only(message: Message) -> None:
            nonlocal ended
            if message["type"] == "http.response.start":
                await send(_with_allow(message))
            elif message["type"] != "http.response.body":
                await send(message)
            elif not ended:
                ended = True  # the body ends here; what the route still sends is dropped
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        if _takes_head(scope):
            await self.app(scope, receive, send_headers_only)
            return
        # The same scope object, so the route found for it reaches the logging middleware outside;
        # its method reads GET only while the route runs.
        scope["method"] = "GET"
        try:
            await self.app(scope, receive, send_headers_only)
        finally:
            scope["method"] = "HEAD"
