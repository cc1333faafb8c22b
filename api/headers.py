"""Security headers on every answer: what a browser may load, frame, sniff and tell other sites.

Every answer says ``X-Content-Type-Options: nosniff`` and a referrer policy; every HTML (or
SVG) answer also carries a Content-Security-Policy and ``X-Frame-Options: DENY``. The policy
fits the pages as they are built: the folium maps inline Leaflet's scripts and styles and its
data: images, tiles may come from an https tile server, and nothing else is loaded from
elsewhere. A route that sets one of these headers itself keeps its own value.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
# FastAPI's /docs and /redoc load Swagger UI and ReDoc from their CDN.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' data: https://fonts.gstatic.com; img-src 'self' data: blob: https:; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'")
DOCS_PATHS = ("/docs", "/redoc")
DOCUMENT_TYPES = (b"text/html", b"application/xhtml+xml", b"image/svg+xml")  # can run scripts
EVERY_ANSWER = ((b"x-content-type-options", b"nosniff"),
                (b"referrer-policy", b"strict-origin-when-cross-origin"))


class SecurityHeadersMiddleware:
    """Add the security headers to each response as it starts (pure ASGI, no buffering)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in DOCS_PATHS else CONTENT_SECURITY_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = list(EVERY_ANSWER)
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.lower().startswith(DOCUMENT_TYPES):
                    extra += [(b"content-security-policy", policy.encode()),
                              (b"x-frame-options", b"DENY")]
                headers += [(n, v) for n, v in extra if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
