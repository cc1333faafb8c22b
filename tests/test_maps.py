"""Maps are checked as objects and HTML, without a browser."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import folium
import numpy as np
import pytest
import shapely

from maps.csp import new_nonce, page_html, swap_nonce
from maps.district_map import district_map
from maps.layers import MAX_TEXT, MAX_VERTICES, NOT_AUTHORITATIVE, Basemap, add_notice, display_geometry


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
    carried = [e.name for child in m._children.values() for e in getattr(child, "embedded", ())]
    assert "界桩 Boundary markers" in names and "街路巷 Streets" in carried  # a file carries its streets
    assert any(n.startswith("门牌 Door plates") for n in carried)


def test_basemap_shows_its_attribution_and_review_number(sample):
    m = district_map({"admin_units": sample["admin_units"]},
                     basemap=Basemap("https://t0.example/{z}/{x}/{y}", "天地图", "GS(2024)0568号"))
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 1
    html = m.get_root().render()
    assert shows("GS(2024)0568号", html) and shows("天地图", html)


def _fresh_ids(html: str) -> str:
    """Return ``html`` with folium's random element ids made equal, to compare two renderings."""
    return re.sub(r"_[0-9a-f]{32}", "_ID", html)


def test_district_map_draws_without_facilities_markers_or_plates(sample, tmp_path):
    """A database with units only (its empty tables read back as untyped columns) still maps."""
    from api.map_data import district_layers
    from geo.store import Store
    from tests.conftest import load_sample

    store = Store.open(f"sqlite:///{tmp_path / 'units_only.db'}")
    try:
        store.migrate()
        load_sample(store, SimpleNamespace(layers={"admin_units": sample["admin_units"]}))
        layers = district_layers(store)
    finally:
        store.close()
    assert layers["facilities"].empty and layers["door_plates"].empty
    m = district_map(layers)
    html = page_html(m, None)
    names = [child.layer_name for child in m._children.values() if hasattr(child, "layer_name")]
    assert names == ["行政区划 Units"] and NOT_AUTHORITATIVE in html


def test_long_text_and_huge_shapes_do_not_bloat_the_map(sample):
    units = sample["admin_units"].copy()
    at = units.index[units["level"] == "community"][0]
    centre = units.loc[at, "geometry"].centroid
    ring = np.linspace(0, 2 * np.pi, 300_000)
    units.loc[at, "name"] = "长" * 10_000
    units.loc[at, "geometry"] = shapely.Polygon(np.column_stack(
        [centre.x + 0.004 * np.cos(ring) * (1 + 0.02 * np.sin(ring * 40)), centre.y + 0.003 * np.sin(ring)]))
    streets = sample["streets"].head(3).assign(name="<路>" * 5_000)
    html = district_map({"admin_units": units, "streets": streets}).get_root().render()
    plain = district_map({"admin_units": sample["admin_units"],
                          "streets": sample["streets"].head(3)}).get_root().render()
    assert len(html) < len(plain) + 60_000, len(html) - len(plain)  # not 300,000 vertices, not 10,000 characters
    assert shows("长" * (MAX_TEXT - 1) + "…", html) and not shows("长" * MAX_TEXT, html)
    # A file's street tooltip is set as text (not markup): cut to 200 characters, written so no
    # ``<`` can close the script.
    cut = json.dumps("<路>" * 66 + "<…", ensure_ascii=False)
    assert cut.replace("<", "\\u003c").replace(">", "\\u003e") in html, "street name not cut at 200"
    assert "<路>" not in html
    shown = display_geometry(units.loc[at, "geometry"])
    assert shapely.get_num_coordinates(shown) <= MAX_VERTICES
    assert shown.symmetric_difference(units.loc[at, "geometry"]).area < 0.05 * shown.area  # still its shape
    street = sample["streets"].geometry.iloc[0]
    assert shapely.get_num_coordinates(display_geometry(street)) == shapely.get_num_coordinates(street)


def test_map_page_nonce_is_on_its_own_tags_only(sample):
    """The nonce goes on the head's tags and the map's script as the template writes them; a
    script that reached the body (escaping gone wrong) or hides in the data gets none."""
    def build() -> folium.Map:
        units = sample["admin_units"].head(5).copy()
        units["name"] = "<script>window.x=1</script>"
        m = district_map({"admin_units": units})
        m.get_root().html.add_child(folium.Element("<script>window.slipped=1</script>"))
        return m

    assert _fresh_ids(page_html(build(), None)) == _fresh_ids(build().get_root().render())  # files: as folium's
    nonce = new_nonce()
    html = page_html(build(), nonce)
    assert _fresh_ids(html.replace(f' nonce="{nonce}"', "")) == _fresh_ids(build().get_root().render())
    tags = re.findall(r"<(?:script|style)\b[^>]*>", html)
    stamped = [t for t in tags if f'nonce="{nonce}"' in t]
    assert "<script>window.slipped=1</script>" in html and "<script>" in tags  # the body's, bare
    assert len(stamped) == len(tags) - 1 and sum(t.startswith("<script") for t in stamped) == 3
    assert html.rstrip().endswith("</script>\n</html>") and f'<script nonce="{nonce}">\n' in html
    with pytest.raises(ValueError):
        page_html(build(), 'x" onload="1')
    private = new_nonce()
    assert swap_nonce(page_html(build(), private), private, nonce).count(nonce) == len(stamped)


def test_notice_text_is_written_as_text_not_run_as_a_template(sample):
    m = district_map({"admin_units": sample["admin_units"].head(3)})
    add_notice(m, "{{ 7 * 7 }} <b>")
    html = page_html(m, None)
    assert "{{ 7 * 7 }} &lt;b&gt;" in html and ">49 " not in html
