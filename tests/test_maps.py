"""Maps are checked as objects and HTML, without a browser."""

from __future__ import annotations

import json

import folium

from maps.district_map import district_map
from maps.layers import NOT_AUTHORITATIVE, Basemap


def shows(text: str, html: str) -> bool:
    """Tell whether ``text`` is on the page, raw or as JSON escapes (folium embeds GeoJSON)."""
    return text in html or json.dumps(text)[1:-1] in html


def test_district_map_is_offline_and_labels_the_boundary(sample):
    m = district_map(sample.layers)
    html = m.get_root().render()
    assert NOT_AUTHORITATIVE in html
    assert "tile.openstreetmap" not in html and "{z}" not in html  # no external tiles by default
    assert shows("新华大街", html) and shows("XH01001C", html)
    names = [child.layer_name for child in m._children.values() if hasattr(child, "layer_name")]
    assert "界桩 Boundary markers" in names and "街路巷 Streets" in names


def test_basemap_shows_its_attribution_and_review_number(sample):
    m = district_map({"admin_units": sample["admin_units"]},
                     basemap=Basemap("https://t0.example/{z}/{x}/{y}", "天地图", "GS(2024)0568号"))
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 1
    html = m.get_root().render()
    assert shows("GS(2024)0568号", html) and shows("天地图", html)
