"""A tile basemap's settings, apart from folium: every command reads settings, few draw a map."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Basemap:
    """A tile basemap: URL template (e.g. 天地图 with its key), its attribution and 审图号."""

    url: str
    attribution: str
    review_number: str | None = None

    @property
    def label(self) -> str:
        """Return the attribution shown on the map, with the review number."""
        return self.attribution + (f" 审图号：{self.review_number}" if self.review_number else "")
