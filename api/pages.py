"""Server-rendered pages: Jinja2 templates (api/templates/) with autoescape, and the CSRF token.

Every value a template prints is HTML-escaped unless a caller hands over markup it built itself
from escaped parts (a rendered SVG template); data for a script goes through ``|tojson``, which
escapes ``<``, ``>``, ``&`` and ``'`` so stored text can never close the script.

Every page gets ``csp_nonce``, the nonce of its response (api/headers.py): the templates write it
on each of their own ``<script>`` and ``<style>`` tags, which is the only way a script runs on a
page. No template has an inline event handler (``onclick=``); scripts attach their listeners.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from api import csrf
from maps.csp import current_nonce

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                        lstrip_blocks=True)


def render_text(name: str, **context: Any) -> str:
    """Return the template ``name`` rendered with ``context`` (autoescaped) and ``csp_nonce``, the
    script nonce of the response being built (empty outside a request)."""
    context.setdefault("csp_nonce", current_nonce() or "")
    return TEMPLATES.get_template(name).render(**context)


def csp_nonce(request: Request) -> str:
    """Return the script nonce of ``request``'s response (api/headers.py makes one per request)."""
    return getattr(request.state, "csp_nonce", None) or current_nonce() or ""


FLASH_KEYS = ("error", "done")


def _flash_signature(request: Request, values: dict[str, str]) -> str:
    key = request.app.state.settings.secret_key.encode()
    text = "\0".join(f"{k}={values.get(k, '')}" for k in FLASH_KEYS)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def flash_url(request: Request, path: str, **messages: str) -> str:
    """Return ``path`` with a message for the next page, signed so that only the service can set
    what a page's message box says (a link cannot make an officer's page show a phishing text)."""
    values = {k: v for k, v in messages.items() if k in FLASH_KEYS and v}
    if not values:
        return path
    query = urlencode({**values, "sig": _flash_signature(request, values)})
    return f"{path}?{query}"


def _unsigned_flash_dropped(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    """Drop an error or confirmation that came from the URL without the service's signature."""
    sent = {k: request.query_params.get(k) for k in FLASH_KEYS if request.query_params.get(k)}
    if not sent:
        return context
    valid = hmac.compare_digest(request.query_params.get("sig", ""), _flash_signature(request, sent))
    if valid:
        return context
    return {k: (None if k in sent and v == sent[k] else v) for k, v in context.items()}


def render(request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Return a page whose forms carry the CSRF token of ``request``'s browser."""
    context = _unsigned_flash_dropped(request, context)
    token = csrf.form_token(request)
    response = HTMLResponse(render_text(name, csrf_token=token, csrf_field=csrf.FIELD,
                                        csp_nonce=csp_nonce(request), **context),
                            status_code=status)
    return csrf.remember_nonce(request, response)


def refused(request: Request, message: str, *, user: dict[str, Any] | None = None) -> HTMLResponse:
    """Return the 403 page for a form refused by the CSRF checks; nothing was stored."""
    return render(request, "officer/message.html", status=403, title_zh="已拒绝",
                  title_en="Refused", user=user, error=message, done=None)
