"""What every map carries besides its layers: a metric scale, docked notice and legends, and the
layers it fetches for the current view.

The scale (metres and kilometres only) and the notice, legends and colour scales (HTML from
autoescaped templates in the page's body) are docked as Leaflet controls in one corner, stacked,
so none covers another: the notice "界线示意，非权威界线" is always read whole. A layer too big
for the page (door plates, streets) is a :class:`RemoteLayer`: the page holds its name, colour and
the URL of a JSON endpoint, and its script asks that endpoint for the features in view (by bbox
and zoom) each time the map moves; a map file, with no server to ask, carries such a layer as an
:class:`EmbeddedLayer`: its shapes per zoom range (maps/view_data.py), drawn for the map's zoom.
Their tooltips are built with ``textContent``: stored text never becomes markup or script. The
script is written by this package (maps/templates/map_view.js) into the map's own script, so it
carries the page's CSP nonce (maps/csp.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import folium
from branca.element import Figure, MacroElement
from jinja2 import Template
from markupsafe import Markup

from maps.rendering import Literal
from maps.templating import render

_CSS = (Path(__file__).parent / "templates" / "map_view.css").read_text(encoding="utf-8")


@dataclass(frozen=True)
class RemoteLayer:
    """A layer whose features the page fetches for the view: ``url`` answers GeoJSON for
    ``?bbox=w,s,e,n&zoom=z`` with a ``tip`` (lines of text) per feature and, for a group of
    points, its ``count``."""

    name: str
    url: str
    color: str
    show: bool = True
    radius: float = 2.5
    weight: float = 1.5


@dataclass(frozen=True)
class CellLayer:
    """Points the page carries compactly, each drawn as a dot sized by its count: ``rows`` are
    ``[lon, lat, count, value, …]`` and ``labels`` name ``count`` and each value (with its unit)
    in the dot's tooltip; a zero among the first ``counted`` of them (the count included) is
    left out of it."""

    name: str
    color: str
    rows: list[list[float | int | str | None]]
    labels: list[str]
    counted: int
    show: bool = True


@dataclass(frozen=True)
class EmbeddedLayer:
    """A big layer carried in the page per zoom range, for a map with no server (a file).

    ``kind`` is ``"lines"`` or ``"cells"``; ``levels`` come from :func:`maps.view_data.line_levels`
    (shapes ``[index, parts]``, their tooltip lines in ``tips[index]``) or
    :func:`maps.view_data.cell_levels` (shapes ``[lon, lat, count]``, each level's ``tip`` a text
    with ``{n}`` where the count goes); the first level whose ``max_zoom`` is at least the map's
    zoom (or is ``None``) is drawn."""

    name: str
    color: str
    kind: str
    levels: list[dict]
    tips: list[list[str]]
    show: bool = True
    weight: float = 1.5


class MapView(MacroElement):
    """The map's furniture and view-fetched layers (add it after the layer control)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code() }}{% endmacro %}")

    def __init__(self, *, remote: tuple[RemoteLayer, ...] = (), cells: tuple[CellLayer, ...] = (),
                 embedded: tuple[EmbeddedLayer, ...] = (), control: folium.LayerControl | None = None):
        super().__init__()
        self._name = "MapView"
        self.remote, self.cells, self.embedded, self.control = remote, cells, embedded, control

    def code(self) -> str:
        """Return the script (the map's and the control's names, and the layers as JSON)."""
        parent = self._parent
        if parent is None:
            raise ValueError("add the map view to a map before rendering it")
        control = self.control.get_name() if self.control is not None else "null"
        return render("map_view.js", map_name=parent.get_name(), control_name=control,
                      config=script_json({"remote": [asdict(r) for r in self.remote], "bounds": self._bounds(),
                                          "cells": [asdict(c) for c in self.cells],
                                          "embedded": [asdict(e) for e in self.embedded]}))

    def _bounds(self) -> list | None:
        """Return the bounds the map was fitted to (``[[south, west], [north, east]]``), if any."""
        children = self._parent._children.values() if self._parent is not None else []
        fits = [c for c in children if isinstance(c, folium.FitBounds)]
        return [[float(v) for v in corner] for corner in fits[-1].bounds] if fits else None


_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(value: object) -> Markup:
    """Return ``value`` as compact JSON safe inside a ``<script>``: as Jinja's ``tojson`` (``<``,
    ``>``, ``&`` and ``'`` escaped, so no stored text closes the script) but without spaces and
    with Chinese as UTF-8 (a third of ``\\uXXXX``'s bytes): a map file carries much of both."""
    return Markup(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).translate(_SCRIPT_SAFE))


def add_view_style(m: folium.Map) -> folium.Map:
    """Add the style of the docked notice and legends to the page's head (no stored text)."""
    figure = m.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("the map is not on a page (branca Figure)")
    figure.header.add_child(Literal("<style>" + _CSS + "</style>", verbatim=True), name="map_view_css")
    return m


def titled(m: folium.Map, title: str) -> folium.Map:
    """Give the map's page its ``<title>``: a fixed text of the catalogue (branca's Figure writes it)."""
    figure = m.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("the map is not on a page (branca Figure)")
    figure.title = title
    return m


def finish(m: folium.Map, *, remote: tuple[RemoteLayer, ...] = (), cells: tuple[CellLayer, ...] = (),
           embedded: tuple[EmbeddedLayer, ...] = (), layer_control: bool = True) -> folium.Map:
    """Add the layer switcher (expanded), then the scale, the docked notice and legends and the
    remote, cell and embedded layers (their script needs the switcher and every layer before it)."""
    control = folium.LayerControl(collapsed=False) if layer_control else None
    if control is not None:
        control.add_to(m)
    MapView(remote=remote, cells=cells, embedded=embedded, control=control).add_to(m)
    return m
