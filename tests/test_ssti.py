"""Stored text is never run as a Jinja template (server-side template injection, SSTI).

branca renders each map element's macros and then compiled the *output* (holding the GeoJSON with
stored names) as a new template (maps/rendering.py): a facility named ``{{7*7}}`` showed ``49``,
and ``{{ lipsum.__globals__.os.popen(...).read() }}`` ran a command on the server. Here template
syntax is planted in facilities (one through the API), railways/rivers, administrative units,
boundary markers and a campaign; every map page, the planning report, the campaign report and the
CLI's map and report files must show it as text, with no trace of it having been evaluated.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape as html_escape
from pathlib import Path

import folium
import httpx
import pytest

from geo.store import Store
from maps.csp import new_nonce, page_html
from maps.district_map import district_map
from maps.rendering import Literal, harden
from tests.conftest import BACKENDS, USERS, running_server, server_settings

# One pytest-xdist worker runs this module (scripts/test.sh: --dist loadgroup),
# so each backend's planted server starts once, not once per worker.
pytestmark = pytest.mark.xdist_group("ssti")

MATH = "S{{7*7}}Q"  # evaluated: S49Q
LOOP = "L{% for x in range(3) %}X{% endfor %}E"  # evaluated: LXXXE
GLOBALS = "G{{ lipsum.__globals__ }}"  # evaluated: a dict of jinja2.utils' globals, <module ...>
RCE = "R{{ lipsum.__globals__.os.popen(dict(id=1)|first).read() }}"  # evaluated: uid=0(root) ...
COMMENT = "C{# hidden #}D"  # evaluated: CD
BROKEN = "B{% endfor"  # compiled: a TemplateSyntaxError (the page would fail)
TEXTS = (MATH, LOOP, GLOBALS, RCE, COMMENT, BROKEN)
# Boundary markers: marker_no is VARCHAR(16) on PostGIS, marker_type VARCHAR(8).
MARKER_MATH, MARKER_BROKEN, MARKER_TYPE = "M{{7*7}}Q", "N{%x%}{{", "{{7*7}}"
MARKERS = (MARKER_MATH, MARKER_BROKEN)
EVALUATED = ("S49Q", "LXXXE", "M49Q", "<module", "&lt;module", "jinja2.utils", "__builtins__")
RAN_A_COMMAND = re.compile(r"uid=\d+\(")  # what `id` prints


def shown(text: str, html: str) -> bool:
    """Tell whether ``text`` is on the page as text: raw, HTML-escaped, in JSON, or in a frame."""
    forms = {text, html_escape(text), json.dumps(text)[1:-1], json.dumps(html_escape(text))[1:-1]}
    forms |= {html_escape(f) for f in list(forms)}  # a framed map: the document in srcdoc
    return any(f in html for f in forms)


def assert_not_run(html: str, where: str, texts: tuple[str, ...]) -> None:
    """The planted ``texts`` are on the page, and nothing shows that any of them was evaluated."""
    missing = [t for t in texts if not shown(t, html)]
    assert not missing, f"{where}: stored text not shown as text: {missing}"
    ran = [e for e in EVALUATED if e in html] + RAN_A_COMMAND.findall(html)
    assert not ran, f"{where}: stored text was run as a template: {ran}"


# --- the renderer, without a server ---------------------------------------------------------


def _hostile_units(sample):
    units = sample["admin_units"].copy()
    levels = units["level"].isin(["district", "subdistrict", "town"])
    assert levels.sum() >= len(TEXTS)
    for at, text in zip(units.index[levels], TEXTS, strict=False):
        units.loc[at, "name"] = text
    return units


def test_every_way_of_rendering_a_map_writes_stored_text_as_text(sample, tmp_path):
    units = _hostile_units(sample)
    lines = sample["streets"].head(len(TEXTS)).assign(name=list(TEXTS), street_class=MARKER_TYPE)
    layers = {"admin_units": units, "streets": lines}
    out = tmp_path / "map.html"
    district_map(layers).save(str(out))  # `xincheng map`
    nonce = new_nonce()
    for where, html in (("save", out.read_text(encoding="utf-8")),
                        ("render", district_map(layers).get_root().render()),
                        ("page_html", page_html(district_map(layers), None)),
                        ("page_html with a nonce", page_html(district_map(layers), nonce))):
        assert_not_run(html, where, (*TEXTS, MARKER_TYPE))


def test_elements_added_by_hand_and_popups_are_not_compiled(sample):
    """A caller's own folium elements on one of these maps (a popup, a tooltip, a marker) too."""
    m = district_map({"admin_units": sample["admin_units"].head(3)})
    at = [40.85, 111.70]
    folium.Marker(at, tooltip=folium.Tooltip(MATH), popup=folium.Popup(LOOP)).add_to(m)
    folium.CircleMarker(at, popup=folium.Popup(html_escape(RCE), parse_html=True)).add_to(m)
    folium.FeatureGroup(name=GLOBALS).add_to(m)
    html = page_html(m, None)
    assert_not_run(html, "hand-made elements", (MATH, LOOP, RCE, GLOBALS))


def test_literal_text_is_written_as_folium_would_write_plain_text():
    assert Literal("a\r\nb\rc\n").render() == folium.Element("a\r\nb\rc\n").render() == "a\nb\nc"
    assert Literal("{{ 7*7 }}\n").render() == "{{ 7*7 }}"
    assert Literal("{{ 7*7 }}\r\n", verbatim=True).render() == "{{ 7*7 }}\r\n"
    figure = harden(folium.Map(tiles=None).get_root())
    assert type(figure).__name__ == "SafeFigure" and harden(figure) is figure


def _point_layer(**details) -> folium.Map:
    m = folium.Map(tiles=None)
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "新城区 ᠬᠣᠲᠠ", "code": "150102"},
         "geometry": {"type": "Point", "coordinates": [111.7, 40.8]}}]}
    folium.GeoJson(data, **details).add_to(m)
    elements = [m.get_root()]
    for number, element in enumerate(elements):  # fixed names (folium draws them at random): two maps compare
        element._id = f"{number:032x}"
        elements.extend(element._children.values())
    return m


def test_geojson_tooltips_and_popups_render_as_folium_renders_them():
    """Their style is compiled once (folium compiles it twice per render): the page stays byte for byte folium's."""
    def layer() -> folium.Map:
        return _point_layer(tooltip=folium.GeoJsonTooltip(["name", "code"], aliases=["名称", "代码"]),
                            popup=folium.GeoJsonPopup(["name"]))

    plain = layer().get_root().render()  # folium's own render: nothing hardened
    m = layer()
    hardened = harden(m.get_root()).render()
    assert type(m.get_root()).__name__ == "SafeFigure"
    assert hardened == plain
    assert hardened.count("padding: 2px; padding-right: 8px;") == 2  # the tooltip's and the popup's style
    with pytest.raises(ValueError, match="nope"):  # as folium's, a field the features lack is refused
        harden(_point_layer(tooltip=folium.GeoJsonTooltip(["name", "nope"])).get_root()).render()
    with pytest.raises(AssertionError, match="nope"):
        _point_layer(tooltip=folium.GeoJsonTooltip(["name", "nope"])).get_root().render()


# --- over HTTP and the CLI, both backends -----------------------------------------------------


@dataclass
class Site:
    """The running server over a district with template syntax planted in its stored text."""

    base: str
    store: Store
    url: str
    ids: dict[str, object] = field(default_factory=dict)


def _token(base: str, role: str) -> dict[str, str]:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _cookie(base: str, role: str) -> dict[str, str]:
    return {"Cookie": f"xc_token={_token(base, role)['Authorization'].removeprefix('Bearer ')}"}


def _seed(store: Store) -> None:
    """Plant template syntax as a legacy import or a careless editor would (into the store)."""
    plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    streets = store.select("streets", limit=len(TEXTS))
    store.insert("facilities", [
        {"kind": "elder_care_station", "name": text, "geometry": plate["geometry"],
         "floor_area_m2": 300.0, "community_code": plate.get("community_code"), "status": "active"}
        for text in TEXTS[1:]], actor="test")
    store.insert("linear_features", [{"kind": "river", "name": text, "geometry": s["geometry"]}
                                     for text, s in zip(TEXTS, streets, strict=True)], actor="test")
    marker = store.select("boundary_markers", where={"line_code": "XS01"}, limit=1)[0]
    store.insert("boundary_markers", [
        {"marker_no": no, "line_code": "XS01", "seq": 900 + i, "type_code": "S",
         "marker_type": MARKER_TYPE, "status": "active", "material": RCE, "geometry": marker["geometry"]}
        for i, no in enumerate(MARKERS)], actor="test")
    for level, text in (("subdistrict", GLOBALS), ("community", LOOP)):
        unit = store.select("admin_units", where={"level": level}, limit=1)[0]
        store.update("admin_units", unit["id"], {"name": text}, expected_version=unit["version"],
                     actor="test")


def _plant_campaign(site: Site) -> None:
    from geo.boundaries.inspections import create_campaign, submit

    campaign = create_campaign(site.store, {"name": LOOP, "line_codes": ["XS01"],
                                            "required_accuracy_m": 10}, actor="test")
    p = site.store.select("boundary_markers", where={"marker_no": MARKER_MATH})[0]["geometry"]
    submit(site.store, {"client_id": "ssti-record-0001", "campaign_id": campaign["id"],
                        "marker_no": MARKER_MATH, "condition": "damaged", "remarks": RCE,
                        "gnss_accuracy_m": 2, "position": {"lon": p.x, "lat": p.y, "crs": "EPSG:4490"}},
           actor="test")
    site.ids["campaign_id"] = campaign["id"]


@pytest.fixture(scope="module", params=BACKENDS)
def planted(request, sample_templates) -> Iterator[Site]:
    url, drop = sample_templates(request.param).copy()
    store = Store.open(url)
    _seed(store)
    try:
        with running_server(server_settings(store)) as base:
            site = Site(base, store, url)
            # One facility the way an officer types it: through the API.
            plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]["geometry"]
            r = httpx.post(f"{base}/api/layers/facilities/features", headers=_token(base, "planner"),
                           json={"properties": {"kind": "elder_care_station", "name": MATH,
                                                "floor_area_m2": 250.0},
                                 "geometry": {"type": "Point", "coordinates": [plate.x, plate.y]}})
            assert r.status_code == 201, r.text
            _plant_campaign(site)
            yield site
    finally:
        store.close()
        drop()


def _get(site: Site, path: str, headers: dict[str, str]) -> str:
    r = httpx.get(f"{site.base}{path}", headers=headers, timeout=300)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    return r.text


def test_map_pages_show_template_syntax_as_text(planted):
    html = _get(planted, "/maps/district", _cookie(planted.base, "admin"))
    assert_not_run(html, "/maps/district", (*TEXTS, *MARKERS, MARKER_TYPE))
    html = _get(planted, "/maps/coverage", _cookie(planted.base, "admin"))  # facilities, units
    assert_not_run(html, "/maps/coverage", (MATH, LOOP, GLOBALS, RCE, COMMENT, BROKEN))
    html = _get(planted, "/maps/markers", _cookie(planted.base, "boundary_inspector"))
    assert_not_run(html, "/maps/markers", MARKERS)


def test_reports_show_template_syntax_as_text(planted):
    html = _get(planted, "/api/planning/report?format=html&k=1", _token(planted.base, "planner"))
    assert_not_run(html, "planning report", (MATH, LOOP, GLOBALS, RCE, COMMENT, BROKEN))
    campaign = f"/api/inspections/campaigns/{planted.ids['campaign_id']}"
    html = _get(planted, f"{campaign}/report.html", _token(planted.base, "boundary_inspector"))
    assert_not_run(html, "campaign report.html", (LOOP, RCE, *MARKERS))  # campaign, remarks, map


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("XINCHENG_")}
    return subprocess.run([sys.executable, "-m", "api.cli", "--database-url", url, *args],
                          capture_output=True, text=True, env=env, timeout=600,
                          cwd=Path(__file__).resolve().parents[1])


def test_cli_map_and_report_files_show_template_syntax_as_text(planted, tmp_path):
    url = planted.store.engine.url.render_as_string(hide_password=False)
    r = _cli(url, "map", str(tmp_path / "district.html"))
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "district.html").read_text(encoding="utf-8")
    assert_not_run(html, "xincheng map", (*TEXTS, *MARKERS, MARKER_TYPE))
    r = _cli(url, "report", str(tmp_path / "plan.html"), "--k", "1")
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "plan.html").read_text(encoding="utf-8")
    assert_not_run(html, "xincheng report", (MATH, LOOP, GLOBALS, RCE, COMMENT, BROKEN))
