"""Load a synthetic region into a PostGIS database through the normal import path, one district at a time.

Each district is stored by :func:`geo.io.importer.load_layers` (what ``xincheng init`` stores the
sample with: every layer validated as an import is, into a district without records) through its own
district's store (``store.for_district(adcode)``: row-level security keeps every row of the
transaction to that district), in one transaction: a district is stored whole or not at all. Its
layers carry the district's own outline (the ``admin_units`` row of code ``<adcode>000000``), so the
database counts it among the districts it holds (:func:`geo.store.districts.held_districts`).
SQLite holds one district and is refused.

Street name signs are not stored yet. Their ids come from the sign counters, which since revision 0014
count across districts (``geo/signs/_uids.py``), so a region could hold them now; loading them (and
the tests of their counts) is left for a later change.
"""

from __future__ import annotations

from collections.abc import Callable

from data.synthetic_region import codes
from data.synthetic_region.region import SAMPLE_PLATES, make_region
from geo.errors import InputError
from geo.io.importer import load_layers
from geo.messages import Term, text
from geo.store import Store
from geo.store.contents import describe_counts, held_records

Progress = Callable[[str], None]  # called with each district's adcode once it is stored
ACTOR = "synthetic-region"


def load_region(store: Store, *, districts: int, seed: int, progress: Progress | None = None,
                plates_per_district: int = SAMPLE_PLATES,
                districts_per_city: int = codes.DISTRICTS_PER_CITY) -> list[str]:
    """Generate the region of ``seed`` (see :func:`data.synthetic_region.make_region`) and store every
    district into the migrated PostGIS database of ``store``; return the adcodes stored, in order.

    One transaction per district. A district that already holds records is refused (an
    :class:`~geo.errors.InputError` naming them) and the districts stored before it stay stored.
    """
    if store.dialect != "postgresql":
        raise InputError(text("region.sqlite"), field="database_url")
    region = make_region(districts=districts, seed=seed, plates_per_district=plates_per_district,
                         districts_per_city=districts_per_city)
    stored = []
    for plan in region.plans:
        target = store.for_district(plan.adcode)
        _refuse_unless_empty(target, name=plan.name)  # before generating; load_layers checks again as it writes
        district = region.generate(plan.index)
        load_layers(target, district.layers, actor=ACTOR,
                    note=f"synthetic region seed {seed}, district {plan.index + 1} of {districts}",
                    reference_objects=district.reference_objects, plot_types=district.plot_types,
                    burial_statistics=district.burial_statistics, addresses=district.addresses,
                    street_signs=None)  # no signs: see the module's docstring
        stored.append(plan.adcode)
        if progress is not None:
            progress(plan.adcode)
    return stored


def _refuse_unless_empty(store: Store, *, name: str) -> None:
    """Refuse a district of the region that already holds records, naming them."""
    held = held_records(store, own_only=True)  # a neighbour's outline, which every district reads, is not its
    if held:
        zh, en = describe_counts(held)
        raise InputError(text("region.not_empty", adcode=store.adcode, name=name, held=Term(zh, en)),
                         field="districts")
