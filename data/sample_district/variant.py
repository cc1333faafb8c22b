"""How a district generated like the sample differs from the sample (used by :mod:`data.synthetic_region`).

The sample is 新城区 inside its real boundary. A variant keeps every rule of the generator (the same
parts, drawn in the same order) but gives the district its own code and name, its own outline and
neighbours, its own size, a prefix for its plate uids, and a shift that moves the finished district
to its own place. The outline and the neighbours are in metres (EPSG:4546) in the sample's own frame,
where the generator's fixed places (the urban core's box, the arterials, the rivers) are; the shift
then moves every geometry by whole metres, so vertices that neighbours share stay exactly shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from shapely.geometry.base import BaseGeometry

from data.sample_district.units import TOTAL_HOUSEHOLDS


@dataclass(frozen=True)
class BoundaryLineSpec:
    """A boundary line of the variant with one neighbour: the neighbour's name, the line's code
    (``boundary_lines.line_code``, unique in a database: at most 8 characters) and its last joint
    inspection before the service kept campaigns (BM-06)."""

    neighbour_name: str
    line_code: str
    last_inspected_on: date


@dataclass(frozen=True)
class Variant:
    """A district generated like the sample: its own adcode, name, outline, neighbours and size."""

    adcode: str
    name: str
    outline_m: BaseGeometry                      # the district, metres, in the sample's frame
    neighbours_m: Mapping[str, BaseGeometry] = field(default_factory=dict)  # by adcode, same frame
    lines: Mapping[str, BoundaryLineSpec] = field(default_factory=dict)     # by neighbour adcode
    households: int = TOTAL_HOUSEHOLDS           # the plates share these out (about 8 per plate)
    plate_uid_prefix: str = ""                   # the first characters of every plate uid (unique per district)
    shift_m: tuple[float, float] = (0.0, 0.0)    # whole metres added to every finished geometry
