"""A synthetic region for tests and benchmarks: N districts generated like the sample, side by side (#19).

Each district is built by the sample's generator (:mod:`data.sample_district`) with its own seed, a
made-up adcode (province 15, cities 90..99: no real code), a name (示例一区 …) and its own outline in
a brick tiling whose neighbours share their boundary vertices exactly. Deterministic: the same seed
gives the same region. One concern per module:

- :mod:`.codes` — adcodes grouped into cities, names, plate-uid prefixes, boundary-line codes;
- :mod:`.tiles` — the outlines (brick tiling with shared wiggly edges) and where each district lies;
- :mod:`.region` — :func:`make_region`, the plan of every district, and building one;
- :mod:`.load` — :func:`load_region`, storing every district into PostGIS through the import path.
"""

from __future__ import annotations

from data.synthetic_region.load import load_region
from data.synthetic_region.region import DistrictPlan, Region, make_region

__all__ = ["DistrictPlan", "Region", "load_region", "make_region"]
