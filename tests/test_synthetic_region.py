"""A synthetic region (#19 item 5): N districts generated like the sample, side by side, loaded into PostGIS.

Three districts in two cities (``districts_per_city=2``: 159002 and 159003 in city 1590, 159102 in
1591) are loaded once for the module through :func:`data.synthetic_region.load_region` (the import
path, one transaction per district); the checks read them back through each district's own store.
The hundred-district region is a scale test.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator

import numpy as np
import pytest
import shapely
import sqlalchemy as sa

from data.synthetic_region import load_region, make_region
from data.synthetic_region.codes import plate_uid_prefix
from geo.errors import InputError
from geo.placenames.lifecycle import names_to_compare
from geo.placenames.romanize import toneless_key
from geo.placenames.rules import check_duplicates
from geo.store import Store, schema
from geo.store.districts import held_districts
from tests.conftest import _admin_url, _create_database, _fresh_url
from tests.xincheng_cli import run

# One pytest-xdist worker runs this module (scripts/test.sh: --dist loadgroup),
# so the three-district region (region_store) is loaded once, not once per worker.
pytestmark = pytest.mark.xdist_group("synthetic_region")

on_postgis = pytest.mark.postgis  # the region's tests need a PostGIS server; the SQLite refusal does not

SEED = 7
PLATES = 1_500  # small districts: the checks do not need the sample's 35,000 plates each
THREE = ["159002", "159003", "159102"]
OWN_TABLES = ("admin_units", "streets", "door_plates", "facilities", "place_names", "boundary_lines",
              "boundary_markers", "addresses", "graves", "premises")


@pytest.fixture(scope="session")  # not "module": the worker may run another module's test in between
def region_store(request, tmp_path_factory) -> Iterator[Store]:
    """A migrated PostGIS database holding the three-district region (nothing else); its owner's store. Kept
    until the worker ends: a module fixture is torn down (and loaded again, ~18 s) whenever the worker runs
    another module's test in between."""
    url, drop = _fresh_url("postgis", request, tmp_path_factory)
    store = Store.open(url)
    store.migrate()
    done: list[str] = []
    loaded = load_region(store, districts=3, seed=SEED, plates_per_district=PLATES, districts_per_city=2,
                         progress=done.append)
    assert loaded == done == THREE
    yield store
    store.close()
    drop()


def _geometries(store: Store, table: str, where: dict | None = None) -> list:
    return [r["geometry"] for r in store.select(table, where=where)]


@on_postgis
def test_the_region_loads_and_the_database_holds_each_district(region_store) -> None:
    """Each district is held (its own outline row), named, and has the layers the sample has."""
    for adcode in THREE:
        store = region_store.for_district(adcode)
        assert held_districts(store) == [adcode, *sorted(set(THREE) - {adcode})]
        [district] = store.select("admin_units", where={"level": "district"})
        assert district["code"] == f"{adcode}000000" and district["name"].startswith("示例")
        assert 1_000 <= store.count("door_plates") <= 2_500
        for table in ("streets", "facilities", "place_names", "boundary_lines", "boundary_markers", "addresses"):
            assert store.count(table) > 0, (adcode, table)
    names = [region_store.for_district(a).select("admin_units", where={"level": "district"})[0]["name"]
             for a in THREE]
    assert names == ["示例一区", "示例二区", "示例三区"]


@on_postgis
def test_neighbours_share_their_boundary_exactly(region_store) -> None:
    """Each pair of neighbours: the line each keeps of their common boundary is the same vertices to the
    last bit (run either way), every vertex of it is a vertex of both outlines, and the outlines do not overlap."""
    outlines = {a: _geometries(region_store.for_district(a), "admin_units", {"level": "district"})[0] for a in THREE}
    pairs = 0
    for a, b in itertools.combinations(THREE, 2):
        [ab] = _geometries(region_store.for_district(a), "boundary_lines", {"right_adcode": b})
        [ba] = _geometries(region_store.for_district(b), "boundary_lines", {"right_adcode": a})
        run_ab, run_ba = shapely.get_coordinates(ab), shapely.get_coordinates(ba)  # each runs round its own outline
        assert np.array_equal(run_ab, run_ba) or np.array_equal(run_ab, run_ba[::-1]), (a, b)
        assert shapely.length(ab) > 0.05  # degrees: several kilometres, not a touching point
        vertices = {a: set(map(tuple, shapely.get_coordinates(outlines[a]))) for a in (a, b)}
        line_vertices = set(map(tuple, shapely.get_coordinates(ab)))
        assert len(line_vertices) > 10 and line_vertices <= vertices[a] and line_vertices <= vertices[b]
        assert shapely.intersection(outlines[a], outlines[b]).area == 0.0
        pairs += 1
    assert pairs == 3  # three districts of a brick tiling: each touches the other two


@on_postgis
def test_every_row_is_its_districts_and_seen_only_through_its_store(region_store) -> None:
    """Every row carries its district's adcode; a district's store counts exactly its rows; another
    district's plate is not found through it; unit codes start with the adcode."""
    whole = region_store.whole()
    with whole.reading() as conn:
        counts = {table: dict(conn.execute(sa.select(schema.metadata.tables[table].c.adcode, sa.func.count())
                                           .group_by(schema.metadata.tables[table].c.adcode)).all())
                  for table in OWN_TABLES}
    for table, by_adcode in counts.items():
        assert set(by_adcode) == set(THREE), table
        for adcode in THREE:
            assert region_store.for_district(adcode).count(table) == by_adcode[adcode], (table, adcode)
    plates = {a: region_store.for_district(a).select("door_plates", limit=1)[0]["plate_uid"] for a in THREE}
    for a, b in itertools.permutations(THREE, 2):
        assert region_store.for_district(a).select("door_plates", where={"plate_uid": plates[b]}) == []
    for adcode in THREE:
        units = region_store.for_district(adcode).select("admin_units")
        assert units and all(u["code"].startswith(adcode) and u["adcode"] == adcode for u in units)


@on_postgis
def test_codes_and_uids_are_unique_across_the_region(region_store) -> None:
    """Plate uids carry their district's own prefix; unit codes, line codes, marker numbers, plate uids
    and address uids are unique in the database."""
    with region_store.whole().reading() as conn:
        def column(table: str, name: str) -> list:
            return list(conn.execute(sa.select(schema.metadata.tables[table].c[name])).scalars())

        for table, name in (("admin_units", "code"), ("boundary_lines", "line_code"),
                            ("boundary_markers", "marker_no"), ("door_plates", "plate_uid"),
                            ("addresses", "address_uid")):
            values = column(table, name)
            assert len(values) == len(set(values)) > 0, table
        plates = conn.execute(sa.select(schema.door_plates.c.adcode, schema.door_plates.c.plate_uid)).all()
    for index, adcode in enumerate(THREE):
        assert {uid[:2] for a, uid in plates if a == adcode} == {plate_uid_prefix(index)}


def _digest(district) -> str:
    """A digest of every layer's values and geometries."""
    h = hashlib.sha256()
    for name, frame in district.layers.items():
        h.update(name.encode())
        h.update(repr(frame.drop(columns=frame.geometry.name).to_dict("list")).encode())
        h.update(b"".join(shapely.to_wkb(np.asarray(frame.geometry.values, dtype=object))))
    return h.hexdigest()


@on_postgis
def test_the_same_seed_gives_the_same_region_and_another_seed_another(region_store) -> None:
    """Generated again, a district is what was stored (to the last coordinate of every plate); another
    seed gives other outlines and other districts."""
    again = make_region(districts=3, seed=SEED, plates_per_district=PLATES, districts_per_city=2).generate(1)
    stored = {r["plate_uid"]: r["geometry"] for r in region_store.for_district("159003").select("door_plates")}
    generated = dict(zip(again["door_plates"]["plate_uid"], again["door_plates"].geometry, strict=True))
    assert stored.keys() == generated.keys()
    assert all(shapely.equals_exact(stored[uid], generated[uid], tolerance=0.0) for uid in stored)
    same, other = (make_region(districts=3, seed=s, plates_per_district=PLATES, districts_per_city=2)
                   for s in (SEED, SEED + 1))
    assert [p.seed for p in same.plans] != [p.seed for p in other.plans]
    assert not shapely.equals(same.outline_m(0), other.outline_m(0))
    elsewhere = other.generate(1)
    assert _digest(elsewhere) != _digest(again)
    assert not set(elsewhere["door_plates"]["street_name"] + elsewhere["door_plates"]["number"].astype(str)) \
        >= set(again["door_plates"]["street_name"] + again["door_plates"]["number"].astype(str))


@on_postgis
def test_pn07_sees_a_street_name_of_another_district_of_the_same_city(region_store) -> None:
    """PN-07 as the validate endpoint runs it (the names read through 159002's own store): a street name of
    159003 (same city 1590) that 159002 lacks is a duplicate cited with 159003; one of 159102 (city 1591)
    is not."""
    home = region_store.for_district("159002")

    def street_names(adcode: str) -> set[str]:
        return {r["standard_name"] for r in region_store.for_district(adcode).select(
            "place_names", where={"feature_class": "street"})}

    own = street_names("159002")
    same_city = sorted(street_names("159003") - own)[0]
    other_city = sorted(street_names("159102") - own - street_names("159003"))[0]
    base = {"feature_class": "street", "admin_code": "159002001000"}
    found = [f for f in check_duplicates({**base, "standard_name": same_city}, names_to_compare(home, same_city))
             if f.severity == "error"]
    assert [f.rule for f in found] == ["PN-07"] and "159003" in found[0].message and same_city in found[0].message
    assert "示例二区（159003）" in found[0].message  # cited by its name too (outside review, finding 5)
    assert [f for f in check_duplicates({**base, "standard_name": other_city}, names_to_compare(home, other_city))
            if f.severity == "error"] == []
    # Only what the check needs leaves another district: the names of that text or that key, not the city's.
    assert {r["standard_name"] for r in names_to_compare(home, same_city)} <= {same_city} | {
        r["standard_name"] for r in names_to_compare(home, same_city) if r["search_key"] == toneless_key(same_city)}
    assert len(names_to_compare(home, same_city)) < 10


def test_the_city_wide_read_answers_the_callers_city_and_the_name_asked_only(region_store) -> None:
    """Outside review (#19 slice 2, finding 4): ``xincheng_city_names`` reads the city of the calling
    district's transaction (not a city it is given), and only names of the text or key asked; a name of
    another city, or an unrelated one, never comes back."""
    def named(adcode: str) -> str:
        return region_store.for_district(adcode).select("place_names", where={"feature_class": "street"})[0][
            "standard_name"]

    other_city_name = named("159102")
    with region_store.for_district("159002").reading() as conn:
        asked = conn.execute(sa.text("SELECT adcode FROM xincheng_city_names(:n, :k)"),
                             {"n": other_city_name, "k": toneless_key(other_city_name)}).scalars().all()
        unrelated = conn.execute(sa.text(
            "SELECT count(*) FROM xincheng_city_names('完全无关的名字', 'nothing')")).scalar()
    assert "159102" not in asked and unrelated == 0
    with region_store.whole().reading() as conn:  # no district named: nothing
        assert conn.execute(sa.text("SELECT count(*) FROM xincheng_city_names(:n, :k)"),
                            {"n": other_city_name, "k": toneless_key(other_city_name)}).scalar() == 0


def test_an_edit_is_checked_against_another_districts_record_of_the_same_id(region_store) -> None:
    """Outside review (#19 slice 2, finding 1): ids are a district's own, so another district's name of the
    same id as the record being edited is still a duplicate (it was skipped as "the record itself")."""
    from geo.placenames.rules import check_duplicates

    theirs = region_store.for_district("159003").select("place_names", where={"feature_class": "street"})[0]
    mine = {"id": theirs["id"], "feature_class": "street", "standard_name": theirs["standard_name"],
            "admin_code": "159002001000"}
    found = check_duplicates(mine, names_to_compare(region_store.for_district("159002"), theirs["standard_name"]))
    assert [f.rule for f in found if f.severity == "error"] == ["PN-07"], found


def test_sqlite_is_refused(tmp_path) -> None:
    """SQLite holds one district: the use case and the command refuse it, Chinese first, and write nothing."""
    store = Store.open(f"sqlite:///{tmp_path / 'one.db'}")
    store.migrate()
    with pytest.raises(InputError) as refused:
        load_region(store, districts=2, seed=SEED, plates_per_district=PLATES)
    assert "PostGIS" in str(refused.value) and str(refused.value).startswith("合成区域")
    assert store.count("admin_units") == 0
    store.close()
    result = run("region", "load", "--districts", "2", db=tmp_path / "new" / "cli.db")
    assert result.returncode == 2 and "合成区域须载入 PostGIS" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "new").exists()  # refused before the store made the file's folder (review)


def test_a_negative_seed_or_too_few_plates_is_a_usage_error(tmp_path) -> None:
    """Outside review #19-14: bad numbers are usage errors naming the option, never a traceback."""
    for args, option in ((["--seed", "-5"], "--seed"), (["--plates-per-district", "20"], "--plates-per-district")):
        result = run("region", "load", "--districts", "1", *args, db=tmp_path / "cli.db")
        assert result.returncode == 2 and option in result.stderr and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("writable_sample_store", ["postgis"], indirect=True)
def test_a_region_loads_beside_a_district_with_neighbour_outlines(writable_sample_store) -> None:
    """Outside review #19-6: the sample's neighbour outlines (read by every district) are no district's own
    records, so a region district loads beside them."""
    assert load_region(writable_sample_store, districts=1, seed=SEED, plates_per_district=PLATES) == ["159002"]
    assert set(held_districts(writable_sample_store)) == {"150102", "159002"}


@on_postgis
@pytest.mark.scale
def test_a_hundred_districts() -> None:
    """A hundred districts of the sample's size (about 3.5 million plates) in ten cities: every district is
    held, plate uids are unique, and every pair of neighbours keeps the same line."""
    url, drop = _create_database(_admin_url(), "xincheng_region")  # a database: its ~3,500 partitions drop at once
    store = Store.open(url)
    try:
        store.migrate()
        loaded = load_region(store, districts=100, seed=SEED)
        assert len(loaded) == 100 and len({a[:4] for a in loaded}) == 10
        assert sorted(held_districts(store.for_district(loaded[0]))) == sorted(loaded)
        lines = schema.boundary_lines
        other = lines.alias("other")
        with store.whole().reading() as conn:
            plates = conn.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(schema.door_plates.c.plate_uid)))
                                  ).one()
            kept = conn.execute(sa.select(sa.func.count()).select_from(lines)).scalar()
            same = conn.execute(sa.select(sa.func.count()).select_from(lines.join(other, sa.and_(
                lines.c.left_adcode == other.c.right_adcode, lines.c.right_adcode == other.c.left_adcode)))
                .where(sa.or_(sa.func.ST_OrderingEquals(lines.c.geom, other.c.geom),
                              sa.func.ST_OrderingEquals(lines.c.geom, sa.func.ST_Reverse(other.c.geom))))).scalar()
        assert plates[0] == plates[1] > 3_000_000
        assert kept == same > 200  # each line kept by both its districts, the same geometry to the bit
    finally:
        store.close()
        drop()
