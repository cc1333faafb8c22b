"""Render folium maps without running what they carry as a Jinja template (no SSTI).

branca's ``MacroElement.render`` renders an element's ``header``, ``html`` and ``script`` macros
(its data, e.g. a layer's GeoJSON with stored names, goes in there as a value: fine) and then
wraps the *result* in ``Element(text)``, which compiles that text as a new Jinja template and
renders it a second time with the page. A stored name such as ``{{ 7*7 }}`` or
``{{ lipsum.__globals__.os.popen(...).read() }}`` would then be evaluated on the server: HTML
escaping and ``tojson`` leave ``{{ }}``, ``{% %}`` and ``{# #}`` as they are. (``folium.Popup``
does the same in its own ``render``.)

Here every element of a map is *hardened* before it renders: its class is swapped for a subclass
whose ``render`` puts the macros' output in the page as a :class:`Literal`, text that is never
compiled. The swap happens where a map is rendered (:class:`SafeFigure`, the root every map of
this package gets from :func:`harden`, and :func:`maps.csp.page_html`), so every element a layer
builder, folium or a caller adds later is covered too, and ``Map.save`` (the ``xincheng map``
file) renders safely as well. For text without template syntax the page is byte for byte what
folium writes: :class:`Literal` does what Jinja does to such text (newlines normalised to
``\\n``, a single trailing newline dropped).
"""

from __future__ import annotations

import re
from typing import Any

from branca.element import Element, Figure, MacroElement
from folium import Popup
from folium.features import GeoJson, GeoJsonDetail
from folium.template import Template

_NEWLINES = re.compile(r"\r\n|\r|\n")


class Literal(Element):
    """An element that writes its text as it is: never compiled or rendered as a template.

    By default the text comes out as ``Element(text).render()`` writes text without template
    syntax: line breaks as ``\\n`` and one trailing newline dropped (Jinja's defaults), so pages
    are unchanged; ``verbatim`` writes it exactly as given.
    """

    def __init__(self, text: str, *, verbatim: bool = False) -> None:
        super().__init__()
        self._name = "Literal"
        self.text = str(text)
        self.verbatim = verbatim

    def render(self, **kwargs: Any) -> str:
        """Return the text (not a template: nothing in it is evaluated)."""
        if self.verbatim:
            return self.text
        text = _NEWLINES.sub("\n", self.text)
        return text[:-1] if text.endswith("\n") else text


class _Hardened:
    """Marks a class whose ``render`` writes its output as :class:`Literal` text."""


class _LiteralMacro(_Hardened, MacroElement):
    """``MacroElement.render`` with the macros' output as :class:`Literal` text.

    Sits just above ``MacroElement`` in a hardened class's MRO, so the folium class's own
    ``render`` still runs first and reaches this one through ``super().render()``.
    """

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # None, as MacroElement's
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("you cannot render this element if it is not in a Figure")
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(Literal(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            harden(element)  # children added while rendering (e.g. a layer's addTo) too
            element.render(**kwargs)


def _literal_popup_render(self: Popup, **kwargs: Any) -> None:
    """``folium.Popup.render`` with its script as :class:`Literal` text."""
    for child in self._children.values():
        harden(child)
        child.render(**kwargs)
    figure = self.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("you cannot render this element if it is not in a Figure")
    figure.script.add_child(Literal(self._template.render(this=self, kwargs=kwargs)),
                            name=self.get_name())


# folium's GeoJsonDetail.render (a GeoJSON layer's tooltip or popup) writes this style with the element's class
# name and style. It compiles the text as a template on every render and then compiles its output again (as an
# ``Element``): two compilations per layer, about a fifth of a report's rendering. Compiled here once.
_DETAIL_STYLE = Template("""
                    <style>
                        .{{ this.class_name }} {
                            {{ this.style }}
                        }
                       .{{ this.class_name }} table{
                            margin: auto;
                        }
                        .{{ this.class_name }} tr{
                            text-align: left;
                        }
                        .{{ this.class_name }} th{
                            padding: 2px; padding-right: 8px;
                        }
                    </style>
            """)


def _literal_detail_render(self: GeoJsonDetail, **kwargs: Any) -> None:
    """``folium.GeoJsonDetail.render`` (``GeoJsonTooltip``, ``GeoJsonPopup``) with its style compiled once and
    written as :class:`Literal` text; the same page. As folium's: on a GeoJSON layer only, every field named
    must be a property of the layer's features (the first feature's, as folium checks)."""
    if not isinstance(self._parent, GeoJson):
        raise TypeError(f"You cannot add a {self._name} to anything other than a GeoJson object.")
    features = self._parent.data["features"]
    keys = [k for k in (features[0]["properties"].keys() if features else ()) if k not in ("style", "highlight")]
    missing = [name for name in self.fields if name not in keys]
    if missing:
        raise ValueError(f"The fields {missing} are not available in the data. Choose from: {keys}.")
    self.warn_for_geometry_collections()
    self.get_root().header.add_child(Literal(_DETAIL_STYLE.render(this=self)), name=self.get_name() + "tablestyle")
    _LiteralMacro.render(self, **kwargs)


_HARDENED: dict[type, type] = {}


def _hardened_class(cls: type) -> type:
    """Return the hardened subclass of a ``MacroElement`` class (made once per class)."""
    hardened = _HARDENED.get(cls)
    if hardened is None:
        namespace: dict[str, Any] = {"__module__": __name__, "__doc__": cls.__doc__}
        if issubclass(cls, Popup):  # its render never reaches MacroElement.render
            bases: tuple[type, ...] = (cls, _Hardened)
            namespace["render"] = _literal_popup_render
        else:
            bases = (cls, _LiteralMacro)
            if issubclass(cls, GeoJsonDetail):
                namespace["render"] = _literal_detail_render
        hardened = _HARDENED[cls] = type(cls.__name__, bases, namespace)
    return hardened


class SafeFigure(_Hardened, Figure):
    """A page (branca ``Figure``) that hardens its whole element tree each time it renders."""

    def render(self, **kwargs: Any) -> str:
        harden(self)
        return super().render(**kwargs)


def harden(element: Element) -> Element:
    """Harden ``element`` and everything under it (in place); return it.

    Each ``MacroElement`` becomes an instance of its hardened subclass (same class otherwise, so
    ``isinstance`` and folium's checks still hold) and a plain ``Figure`` a :class:`SafeFigure`.
    """
    cls = type(element)
    if not issubclass(cls, _Hardened):
        if isinstance(element, MacroElement):
            element.__class__ = _hardened_class(cls)
        elif cls is Figure:
            element.__class__ = SafeFigure
    for part in ("header", "html", "script"):  # a Figure's (or a Popup's) sections
        section = element.__dict__.get(part)
        if isinstance(section, Element):
            harden(section)
    for child in list(element._children.values()):
        harden(child)
    return element
