"""Security headers on every answer: what a browser may load, frame, sniff and tell other sites.

Every answer says ``X-Content-Type-Options: nosniff`` and a referrer policy; every HTML (or
SVG) answer also carries a Content-Security-Policy and ``X-Frame-Options: DENY``. A route that
sets one of these headers itself keeps its own value.

Scripts: no inline script runs without the nonce of its response. The middleware makes a fresh
nonce for every request, keeps it on ``request.state.csp_nonce`` and in
:data:`maps.csp.SCRIPT_NONCE` while the request runs, and names it in the policy's
``script-src``. Whatever builds a page puts it on the page's own tags at the place it writes them:
the templates (api/pages.py passes ``csp_nonce``), the folium maps and the reports
(maps/csp.py). Nothing searches a finished page for ``<script>`` to stamp it, so a script tag in
stored text that escaping let through, or an ``onclick=``/``onerror=`` attribute, does not run
(there is no ``'unsafe-inline'`` for scripts; the pages attach their listeners from script).

Styles: ``<style>`` elements need the nonce too (``style-src-elem``). Style *attributes* stay
allowed (``style-src-attr 'unsafe-inline'``). Leaflet itself does not need them: it positions
its panes, tiles and tooltips through ``element.style`` (CSSOM), which no policy blocks. They
are kept for the service's own markup: the door-plate SVG (also printed and served as an image)
sets the Mongolian line's ``writing-mode`` in a style attribute, and the pages, map notices,
legends and the report frames lay themselves out with style attributes. A style attribute cannot
run script. Browsers without the CSP3 ``style-src-elem``/``style-src-attr`` directives read the
``style-src 'self' 'unsafe-inline'`` fallback, as before. The map pages load no outside font or
image except tiles (``img-src https:``) from a configured basemap.

/docs and /redoc (api/routers/docs_pages.py) load Swagger UI and ReDoc from the service itself,
scripts with the nonce like every page. Their policy differs in two things only: ReDoc writes its
styles as ``<style>`` elements it makes at run time (styled-components), which cannot carry a
nonce, so ``style-src-elem`` allows inline styles there (a style cannot run script); and ReDoc
runs its search index in a worker made from a ``blob:`` URL (``worker-src 'self' blob:``). No
outside host is named anywhere: the pages work with no internet.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maps.csp import SCRIPT_NONCE, new_nonce


def content_security_policy(nonce: str) -> str:
    """Return the policy of a page whose own scripts and ``<style>`` elements carry ``nonce``."""
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; script-src-attr 'none'; "
        f"style-src 'self' 'unsafe-inline'; style-src-elem 'self' 'nonce-{nonce}'; "
        "style-src-attr 'unsafe-inline'; "
        "img-src 'self' data: blob: https:; font-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def docs_policy(nonce: str) -> str:
    """Return the policy of /docs and /redoc: scripts by nonce, run-time ``<style>`` elements and a
    ``blob:`` worker allowed, nothing from another host."""
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; script-src-attr 'none'; "
        "style-src 'self' 'unsafe-inline'; style-src-elem 'self' 'unsafe-inline'; "
        "style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
        "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'")


DOCS_PATHS = ("/docs", "/redoc")
DOCUMENT_TYPES = (b"text/html", b"application/xhtml+xml", b"image/svg+xml")  # can run scripts
EVERY_ANSWER = ((b"x-content-type-options", b"nosniff"),
                (b"referrer-policy", b"strict-origin-when-cross-origin"))


API_PREFIXES = ("/api/", "/ogc/")
# An error answer of a page address is a page to a browser and JSON to a script (api.errors.wants_page), and
# may be one user's (a 403): it says so, and is never kept by a cache.
PAGE_ERRORS = ((b"vary", b"Accept"), (b"cache-control", b"no-store"))


def is_page_path(path: str) -> bool:
    """Return whether ``path`` is a page address, not the JSON API or the OGC API."""
    return not (path in ("/api", "/ogc") or path.startswith(API_PREFIXES))


class SecurityHeadersMiddleware:
    """Add the security headers to each response as it starts (pure ASGI, no buffering), with a
    fresh script nonce per request."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = new_nonce()
        scope.setdefault("state", {})["csp_nonce"] = nonce  # request.state.csp_nonce
        docs = scope["path"] in DOCS_PATHS
        policy = docs_policy(nonce) if docs else content_security_policy(nonce)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = list(EVERY_ANSWER)
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.lower().startswith(DOCUMENT_TYPES):
                    extra += [(b"content-security-policy", policy.encode()),
                              (b"x-frame-options", b"DENY")]
                if message["status"] >= 400 and is_page_path(scope["path"]):
                    extra += PAGE_ERRORS
                    headers = [(n, v + b", Accept" if n.lower() == b"vary" and b"accept" not in v.lower() else v)
                               for n, v in headers]  # a Vary already said is kept, Accept added to it
                headers += [(n, v) for n, v in extra if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        token = SCRIPT_NONCE.set(nonce)
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            SCRIPT_NONCE.reset(token)
