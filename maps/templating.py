"""Jinja2 templates for the HTML and SVG this package writes (maps/templates/), autoescaped.

Stored text is hostile until escaped. Pages and plates are templates, so every value is escaped
where it is printed. Folium's tooltips put feature properties into ``innerHTML``, so the strings
a map layer carries are HTML-escaped once before folium gets them (:func:`escape_value`); folium
embeds its GeoJSON with Jinja's ``tojson``, which writes ``<``, ``>``, ``&`` and ``'`` as
``\\u003c``-style escapes, so no stored text can close the page's script either.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from geo.text import cut

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                        lstrip_blocks=True, keep_trailing_newline=False)


def render(name: str, **context: Any) -> str:
    """Return the template ``name`` rendered with ``context`` (every value autoescaped)."""
    return TEMPLATES.get_template(name).render(**context)


def shorten(text: str, limit: int | None) -> str:
    """Return ``text`` cut to ``limit`` characters, the last one an ellipsis (…) when cut."""
    if limit is None or len(text) <= limit:
        return text
    return cut(text, limit - 1) + "…"  # never inside a letter nor, where it can, a Mongolian word


def escape_value(value: Any, limit: int | None = None) -> Any:
    """Return ``value`` ready for a map's tooltip: text HTML-escaped, numbers and None as they are.

    Anything else (a date, a list, a mapping) becomes escaped text, so no property reaches the
    browser as an object folium would turn into unescaped markup. Text longer than ``limit``
    characters is cut (with …) before it is escaped, so no entity is cut in half.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    return html.escape(shorten(str(value), limit), quote=True)
