"""A synthetic region: what each district is (code, name, seed, outline, neighbours) and building it.

:func:`make_region` is cheap: it decides every district's code, name, seed and place but generates
none. :meth:`Region.generate` builds one district with the sample's generator
(:func:`data.sample_district.make_sample_district` with a :class:`~data.sample_district.variant.Variant`),
and iterating a region builds them one after another, so a region of a hundred districts never holds
more than one in memory. Everything follows from the region's seed: the same seed gives the same
region, to the last coordinate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely

from data.sample_district import SampleDistrict, make_sample_district
from data.sample_district.units import TOTAL_HOUSEHOLDS
from data.sample_district.variant import BoundaryLineSpec, Variant
from data.synthetic_region import codes, tiles
from geo.errors import InputError
from geo.messages import text

# The sample's plates per household (34,710 plates hold its 280,000 households): a district of
# ``plates_per_district`` plates is given that many households over this.
PLATES_PER_HOUSEHOLD = 34_710 / TOTAL_HOUSEHOLDS
SAMPLE_PLATES = 35_000      # about the sample's: 100 districts hold about 3.5 million plates
FEWEST_PLATES = 500         # below this a community or village would have no plate of its own
MOST_PLATES = 60_000        # the streets of a tile hold about this many plates


@dataclass(frozen=True)
class DistrictPlan:
    """One district of a region before it is built: what identifies it and where it lies."""

    index: int
    adcode: str
    name: str
    seed: int
    tile: tiles.Tile
    neighbours: tuple[tiles.Tile, ...]

    @property
    def city(self) -> str:
        """Return the district's city code (the first four digits of its adcode)."""
        return self.adcode[:4]


@dataclass(frozen=True)
class Region:
    """A synthetic region: its seed, its districts' plans, and how large each district is."""

    seed: int
    plans: tuple[DistrictPlan, ...]
    profiles: tiles.Profiles
    plates_per_district: int
    districts_per_city: int

    def __len__(self) -> int:
        return len(self.plans)

    def __iter__(self) -> Iterator[SampleDistrict]:
        return (self.generate(plan.index) for plan in self.plans)

    @property
    def adcodes(self) -> list[str]:
        """Return the districts' adcodes in region order."""
        return [plan.adcode for plan in self.plans]

    def outline_m(self, index: int) -> shapely.Polygon:
        """Return district ``index``'s outline where it lies (metres, EPSG:4546)."""
        return tiles.outline(self.plans[index].tile.origin_m, self.profiles)

    def variant(self, index: int) -> Variant:
        """Return how district ``index`` differs from the sample (see :mod:`data.sample_district.variant`)."""
        plan = self.plans[index]
        home = tiles.outline(tiles.HOME_ORIGIN_M, self.profiles)
        others = [self.plans[t.index] for t in plan.neighbours]
        neighbours = {o.adcode: tiles.outline(tiles.in_home_frame(o.tile, plan.tile), self.profiles) for o in others}
        lines = {o.adcode: BoundaryLineSpec(o.name, codes.line_code(plan.index, o.index),
                                            codes.last_inspected(plan.index, o.index))
                 for o in others}
        return Variant(adcode=plan.adcode, name=plan.name, outline_m=home, neighbours_m=neighbours, lines=lines,
                       households=round(self.plates_per_district / PLATES_PER_HOUSEHOLD),
                       plate_uid_prefix=codes.plate_uid_prefix(plan.index), shift_m=tiles.shift_to(plan.tile))

    def generate(self, index: int) -> SampleDistrict:
        """Build district ``index`` (a few seconds at the sample's size)."""
        return make_sample_district(seed=self.plans[index].seed, variant=self.variant(index))


def district_seed(seed: int, index: int) -> int:
    """Return the seed of district ``index`` of the region of ``seed`` (distinct for each district)."""
    return int(np.random.SeedSequence([seed, 19, index]).generate_state(1, dtype=np.uint64)[0])


def make_region(*, districts: int, seed: int, plates_per_district: int = SAMPLE_PLATES,
                districts_per_city: int = codes.DISTRICTS_PER_CITY) -> Region:
    """Plan a region of ``districts`` districts side by side (each generated like the sample, with its
    own seed, made-up adcode and name; ``districts_per_city`` of them in each city), about
    ``plates_per_district`` door plates each. Nothing is generated until a district is asked for."""
    codes.check_size(districts, per_city=districts_per_city)
    if not FEWEST_PLATES <= plates_per_district <= MOST_PLATES:
        raise InputError(text("region.plates", value=plates_per_district, least=FEWEST_PLATES, most=MOST_PLATES),
                         field="plates_per_district")
    every = tiles.tiles(districts)
    plans = tuple(DistrictPlan(index=t.index, adcode=codes.adcode(t.index, per_city=districts_per_city),
                               name=codes.district_name(t.index), seed=district_seed(seed, t.index), tile=t,
                               neighbours=tuple(tiles.neighbours(t, every)))
                  for t in every)
    return Region(seed=seed, plans=plans, profiles=tiles.profiles(seed), plates_per_district=plates_per_district,
                  districts_per_city=districts_per_city)
