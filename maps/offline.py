"""Self-contained maps: Leaflet (bundled, BSD-2-Clause) inlined instead of loaded from a CDN.

Officers' machines and the bureau's network may have no internet; a map page or an exported
HTML file must still draw. Folium's default assets (Leaflet, jQuery, Bootstrap, Font Awesome from
CDNs) are dropped: the layers built in this package need Leaflet alone.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

import folium
from branca.element import Figure

from maps.rendering import Literal

LEAFLET_DIR = Path(__file__).parent / "vendor" / "leaflet-1.9.3"


@lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str]:
    """Return Leaflet's JavaScript and CSS, the CSS's images inlined as data URIs."""
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")
    for png in sorted((LEAFLET_DIR / "images").glob("*.png")):
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{png.name})", f"url(data:image/png;base64,{data})")
    return js, css


def make_offline(m: folium.Map) -> folium.Map:
    """Replace the map's CDN assets with the bundled Leaflet, inlined in the page's head (as
    literal text: the bundled code is not compiled as a Jinja template)."""
    js, css = leaflet_assets()
    m.default_js = []
    m.default_css = []
    figure = m.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("the map is not on a page (branca Figure)")
    header = figure.header
    header.add_child(Literal(_inline("style", css)), name="leaflet_css")
    header.add_child(Literal(_inline("script", js)), name="leaflet_js")
    return m


def _inline(tag: str, code: str) -> str:
    """Return the bundled ``code`` wrapped in ``tag``; it is our vendored file, never stored text,
    and it must not close its own element early."""
    if f"</{tag}" in code.lower():
        raise ValueError(f"bundled code for <{tag}> contains its closing tag")
    return "<" + tag + ">" + code + "</" + tag + ">"
