"""Content-Security-Policy nonces for the HTML this package builds (maps and report pages).

The service's policy (api/headers.py) runs no inline script or ``<style>`` element without the
nonce of the response that carries it. The service picks a fresh nonce for every response and
keeps it in :data:`SCRIPT_NONCE` while the request runs; what is built here stamps it on its own
tags:

* a folium map is rendered by :func:`page_html`: the nonce goes on the ``<script>`` and ``<style>``
  tags of the page's head (Leaflet, bundled, and folium's fixed styles: no stored text goes
  there) and on the opening tag of the map's script, written by this module's template, never by
  a search through the page. The map's data (GeoJSON with stored text, see maps/layers.py) is
  inside that script and the notices are in the body; neither is searched or stamped, so a tag
  that escaping let through would run nowhere;
* what the map's elements render is written as literal text, never compiled as a template
  again (maps/rendering.py), so no stored text in it is evaluated;
* report pages (maps/templates/) put it on their own tags; the framed map gets the same nonce,
  because a ``srcdoc`` frame lives under the policy of the page that holds it.

Outside a request (the CLI writing ``xincheng map`` or ``xincheng report`` files, opened from
``file://`` with no policy at all) there is no nonce and the output is folium's, byte for byte.
A page cached across requests is built with a private token (:func:`new_nonce`) and served with
:func:`swap_nonce`, which puts each response's own nonce in its place.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from typing import Final

import folium
from branca.element import Figure
from jinja2 import Template

from maps.rendering import harden

SCRIPT_NONCE: ContextVar[str | None] = ContextVar("xincheng_csp_nonce", default=None)
NONCE_CHARS = re.compile(r"[A-Za-z0-9_-]{16,64}")  # base64url, as new_nonce makes them


class _FromContext:
    """The default of ``nonce=``: the nonce of the response being built, if any."""


FROM_CONTEXT: Final = _FromContext()


def new_nonce() -> str:
    """Return a fresh nonce (128 bits, base64url; a valid CSP nonce and HTML attribute value)."""
    return secrets.token_urlsafe(18)


def current_nonce() -> str | None:
    """Return the nonce of the response being built, ``None`` outside a request."""
    return SCRIPT_NONCE.get()


def resolve(nonce: str | _FromContext | None) -> str | None:
    """Return ``nonce``, or the current one for :data:`FROM_CONTEXT`; refuse a malformed nonce."""
    value = current_nonce() if isinstance(nonce, _FromContext) else nonce
    if value is not None and not NONCE_CHARS.fullmatch(value):
        raise ValueError("a CSP nonce must be 16-64 base64url characters")
    return value


def nonce_attr(nonce: str | None) -> str:
    """Return `` nonce="…"`` for a tag, or nothing without a nonce."""
    return "" if nonce is None else f' nonce="{nonce}"'


_HEAD_TAG = re.compile(r"<(script|style)>")


def _stamp_head(head: str, nonce: str | None) -> str:
    """Return the page's head with the nonce on its bare ``<script>`` and ``<style>`` tags.

    The head holds the bundled Leaflet (maps/offline.py) and folium's fixed styles and switches;
    stored text never goes there (layer names and tooltips live in the map's script, notices in
    the body).
    """
    if nonce is None:
        return head
    return _HEAD_TAG.sub(lambda t: f"<{t.group(1)}{nonce_attr(nonce)}>", head)


# branca.element.Figure's template with the nonce on the head's tags and on the map's script.
_FIGURE = Template(
    "<!DOCTYPE html>\n"
    "<html>\n"
    "<head>\n"
    "{% if this.title %}<title>{{this.title}}</title>{% endif %}"
    "    {{ stamp(this.header.render(**kwargs), nonce) }}\n"
    "</head>\n"
    "<body>\n"
    "    {{this.html.render(**kwargs)}}\n"
    "</body>\n"
    "<script{{ nonce_attr(nonce) }}>\n"
    "    {{this.script.render(**kwargs)}}\n"
    "</script>\n"
    "</html>\n",
)


def page_html(m: folium.Map | Figure, nonce: str | _FromContext | None = FROM_CONTEXT) -> str:
    """Return the whole page of map ``m``; its own scripts and styles carry ``nonce`` (by default
    the current response's; none outside a request, exactly folium's page)."""
    value = resolve(nonce)
    figure = m.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("the map is not on a page (branca Figure)")
    harden(figure)  # no element's output is compiled as a template (maps/rendering.py)
    if value is None:
        return figure.render()
    for child in figure._children.values():  # as Figure.render: the map puts its parts in place
        child.render()
    return _FIGURE.render(this=figure, kwargs={}, nonce=value, nonce_attr=nonce_attr,
                          stamp=_stamp_head)


def swap_nonce(document: str, token: str, nonce: str | None) -> str:
    """Return a page built with the private ``token`` as its nonce, for a response with ``nonce``.

    The token was made by :func:`new_nonce` for this build and never sent anywhere, so it stands
    only where this module put it (inside a framed map, HTML-escaped, too: it has no character
    that escaping changes). Without a response nonce the nonce attributes are left empty.
    """
    resolve(token)
    return document.replace(token, (resolve(nonce) or "") if nonce else "")
