"""Server-rendered pages: Jinja2 templates (api/templates/) with autoescape, and the CSRF token.

Every value a template prints is HTML-escaped unless a caller hands over markup it built itself
from escaped parts (a rendered SVG template); data for a script goes through ``|tojson``, which
escapes ``<``, ``>``, ``&`` and ``'`` so stored text can never close the script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from api import csrf

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                        lstrip_blocks=True)


def render_text(name: str, **context: Any) -> str:
    """Return the template ``name`` rendered with ``context`` (autoescaped)."""
    return TEMPLATES.get_template(name).render(**context)


def render(request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Return a page whose forms carry the CSRF token of ``request``'s browser."""
    token = csrf.form_token(request)
    response = HTMLResponse(render_text(name, csrf_token=token, csrf_field=csrf.FIELD, **context),
                            status_code=status)
    return csrf.remember_nonce(request, response)


def refused(request: Request, message: str, *, user: dict[str, Any] | None = None) -> HTMLResponse:
    """Return the 403 page for a form refused by the CSRF checks; nothing was stored."""
    return render(request, "officer/message.html", status=403, title_zh="已拒绝",
                  title_en="Refused", user=user, error=message, done=None)
