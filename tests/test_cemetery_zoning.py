"""Cemetery zoning from real layers (CM-01), plot sizes (CM-02), burial indicators and the sample's 2025 projects.

Hand cases are built in metres (EPSG:4546) so every figure can be worked out on paper: a site 420 m
from a railway with a 500 m buffer falls 80 m short; a 200 m × 100 m site half in farmland overlaps
10,000 m², half of it; a point in a 街道 but outside its built-up area is allowed.
"""

from __future__ import annotations

import json
from datetime import date

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import crs as C
from geo.errors import Conflict, InputError, StaleVersion
from geo.planning.ban_zone_settings import load_ban_zone_settings, parse_ban_zone_settings
from geo.planning.burial import (
    check_statistics,
    over_limit,
    record_plot_type,
    record_statistics,
    update_plot_type,
)
from geo.planning.burial_indicators import burial_indicators
from geo.planning.cemeteries import ban_zones, check_site, graves_along_transport, site_verdict
from geo.types import beijing_today
from tests.conftest import USERS, running_server, server_settings

X0, Y0 = 560_000.0, 4_530_000.0   # a place in the district, EPSG:4546 metres


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Return rows whose geometry is in metres as a frame in EPSG:4490 (as the store holds them)."""
    geoms = C.from_metric(np.asarray([r.pop("geometry") for r in rows], dtype=object))
    return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4490"), crs="EPSG:4490")


def _site(geom_m):
    return C.from_metric(geom_m)


@pytest.fixture(scope="module")
def settings():
    return load_ban_zone_settings()


@pytest.fixture(scope="module")
def hand_layers():
    """A railway along y = Y0, a 1 km farmland square, and a 街道 whose built-up area is one corner."""
    linear = _frame([{"kind": "railway", "name": "测试铁路",
                      "geometry": shapely.LineString([(X0 - 5000, Y0), (X0 + 5000, Y0)])}])
    areas = _frame([
        {"kind": "farmland", "name": "一号农田", "source": "test",
         "geometry": shapely.box(X0 - 2000, Y0 + 2000, X0 - 1000, Y0 + 3000)},
        {"kind": "built_up", "name": "测试街道建成区", "source": "test",
         "geometry": shapely.box(X0 + 1000, Y0 + 1000, X0 + 2000, Y0 + 2000)},
    ])
    return linear, areas


@pytest.fixture(scope="module")
def hand_zones(hand_layers, settings):
    linear, areas = hand_layers
    return ban_zones(linear, areas, settings=settings)


# -- the settings file -------------------------------------------------------------------------

def test_bundled_settings_label_every_figure(settings):
    assert settings.linear["railway"].buffer_m == 500 and settings.linear["railway"].basis == "assumed"
    assert settings.linear["reservoir"].buffer_m == 300
    assert settings.areas["farmland"].buffer_m == 0 and settings.areas["farmland"].basis == "sourced"
    assert settings.plots["body_double"].max_area_m2 == 6.0 and "正蓝旗" in settings.plots["body_double"].source
    assert set(settings.eco_plot_types) == {"niche", "tree", "lawn", "flower", "wall"}
    assert all(r.source for r in (*settings.linear.values(), *settings.areas.values(), *settings.plots.values()))


def _valid() -> dict:
    return {"linear": {"railway": {"buffer_m": 500, "basis": "assumed", "source": "s"}},
            "area": {"farmland": {"buffer_m": 0, "basis": "sourced", "source": "s"}},
            "plots": {"niche": {"max_area_m2": 0.25, "eco": True, "basis": "sourced", "source": "s"}}}


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda d: d["linear"]["railway"].pop("basis"), "linear.railway.basis", "缺少"),
    (lambda d: d["linear"]["railway"].update(basis="guessed"), "linear.railway.basis", "assumed"),
    (lambda d: d["linear"]["railway"].update(buffer_m=-5), "linear.railway.buffer_m", "≥ 0"),
    (lambda d: d["linear"]["railway"].update(buffer_m="500"), "linear.railway.buffer_m", "≥ 0"),
    (lambda d: d["linear"]["railway"].update(source=" "), "linear.railway.source", "出处"),
    (lambda d: d["area"].update(swamp={"buffer_m": 0, "basis": "assumed", "source": "s"}), "area.swamp", "farmland"),
    (lambda d: d["plots"]["niche"].update(max_area_m2=0), "plots.niche.max_area_m2", "≥ 0.01"),
    (lambda d: d["plots"]["niche"].update(eco="yes"), "plots.niche.eco", "true"),
    (lambda d: d.pop("plots"), "plots", "[plots]"),
])
def test_settings_errors_name_the_key_chinese_first(change, field, words):
    data = _valid()
    change(data)
    with pytest.raises(InputError) as exc:
        parse_ban_zone_settings(data)
    assert exc.value.field == field
    assert words in exc.value.message and field.split(".")[-1] in exc.value.message
    assert exc.value.message.index("禁葬区") < exc.value.message.index(" · ")  # Chinese first


def test_unreadable_settings_file_is_refused(tmp_path):
    bad = tmp_path / "zones.toml"
    bad.write_text("[linear.railway\nbuffer_m = 1", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_ban_zone_settings(bad)
    assert exc.value.field == "settings" and "无法读取" in exc.value.message
    with pytest.raises(InputError):
        load_ban_zone_settings(tmp_path / "missing.toml")


# -- zones and the site check, by hand ------------------------------------------------------------

def test_site_420_m_from_a_500_m_railway_buffer_is_80_m_short(hand_zones):
    conflicts = check_site(_site(shapely.Point(X0, Y0 + 420)), hand_zones)
    assert [c["kind"] for c in conflicts] == ["railway"]
    c = conflicts[0]
    assert c["distance_m"] == pytest.approx(420, abs=0.1) and c["shortfall_m"] == pytest.approx(80, abs=0.1)
    assert "距铁路 railway 测试铁路 420 米，缓冲 500 米，差 80 米" in c["message"]
    assert c["basis"] == "assumed" and "假定值" in c["basis_text"]
    assert check_site(_site(shapely.Point(X0, Y0 + 520)), hand_zones) == []   # 20 m beyond the buffer


def test_site_half_in_farmland_overlaps_half(hand_zones):
    site = shapely.box(X0 - 1100, Y0 + 2400, X0 - 900, Y0 + 2500)  # 200 m × 100 m, 100 m of it in the farmland
    [c] = check_site(_site(site), hand_zones)
    assert c["kind"] == "farmland" and c["name"] == "一号农田"
    assert c["overlap_m2"] == pytest.approx(10_000, rel=1e-4) and c["site_share"] == pytest.approx(0.5, abs=1e-4)
    assert c["distance_m"] is None and "耕地" in c["message"] and "50.0%" in c["message"]


def test_residential_zone_is_built_up_area_not_the_whole_street(hand_zones, settings):
    # The 街道 runs from X0+1000..X0+4000; only its corner X0+1000..X0+2000 is built up.
    outside = site_verdict(_site(shapely.Point(X0 + 3500, Y0 + 3500)), hand_zones, settings)
    assert outside["allowed"] and outside["conflicts"] == [] and outside["verdict"].startswith("可以选址")
    assert {a["kind"] for a in outside["assumptions"] if a["in_data"]} == {"railway", "farmland", "built_up"}
    inside = site_verdict(_site(shapely.Point(X0 + 1500, Y0 + 1500)), hand_zones, settings)
    assert not inside["allowed"] and [c["kind"] for c in inside["conflicts"]] == ["built_up"]
    assert inside["verdict"].startswith("不可选址")


def test_no_zone_data_is_refused_not_an_all_clear(settings):
    empty = ban_zones(gpd.GeoDataFrame({"kind": [], "name": []}, geometry=[], crs="EPSG:4490"), None,
                      settings=settings)
    with pytest.raises(InputError) as exc:
        site_verdict(shapely.Point(111.7, 40.9), empty, settings)
    assert "无法判断" in exc.value.message


def test_a_line_is_not_a_site(hand_zones):
    with pytest.raises(InputError) as exc:
        check_site(shapely.LineString([(111.7, 40.9), (111.71, 40.9)]), hand_zones)
    assert exc.value.field == "site"


def test_graves_along_transport_use_the_buffers(hand_zones):
    graves = _frame([{"status": "scattered", "geometry": shapely.Point(X0, Y0 + 300)},
                     {"status": "cleared", "geometry": shapely.Point(X0, Y0 - 499)},
                     {"status": "scattered", "geometry": shapely.Point(X0, Y0 + 501)}])
    assert len(graves_along_transport(graves, hand_zones)) == 2


# -- CM-02 and the burial indicators, by hand -------------------------------------------------------

def test_plot_sizes_over_their_limit(settings):
    plots = pd.DataFrame([
        {"facility_id": 1, "plot_type": "body_double", "area_m2": 6.5},   # limit 6: over
        {"facility_id": 1, "plot_type": "body_single", "area_m2": 4.0},   # limit 4: at it, fine
        {"facility_id": 2, "plot_type": "niche", "area_m2": 0.3},         # limit 0.25: over
    ])
    cemeteries = pd.DataFrame({"id": [1, 2], "name": ["甲公墓", "乙骨灰堂"]})
    over = over_limit(plots, cemeteries, settings)
    assert [(o["cemetery"], o["plot_type"], o["limit_m2"]) for o in over] == [
        ("甲公墓", "body_double", 6.0), ("乙骨灰堂", "niche", 0.25)]
    assert over[0]["message"].startswith("CM-02 甲公墓") and "6.5" in over[0]["message"]


def test_burial_indicators_by_hand(settings):
    stats = pd.DataFrame([
        {"year": 2024, "unit_code": "150102001000", "deaths": 10, "cremations": 1, "burials": 9, "eco_burials": 0},
        {"year": 2025, "unit_code": "150102001000", "deaths": 100, "cremations": 80, "burials": 90, "eco_burials": 45},
        {"year": 2025, "unit_code": "150102100000", "deaths": 50, "cremations": 25, "burials": 40, "eco_burials": 20},
    ])
    facilities = pd.DataFrame([
        {"id": 1, "kind": "public_cemetery", "status": "active", "opened_on": date(2022, 5, 1), "eco_burial": True},
        {"id": 2, "kind": "public_cemetery", "status": "active", "opened_on": date(2023, 1, 1), "eco_burial": False},
        {"id": 3, "kind": "public_cemetery", "status": "planned", "opened_on": None, "eco_burial": True},
        {"id": 4, "kind": "public_cemetery", "status": "active", "opened_on": date(2015, 1, 1), "eco_burial": False},
        {"id": 5, "kind": "elder_care_station", "status": "active", "opened_on": date(2022, 1, 1), "eco_burial": None},
    ])
    plots = pd.DataFrame([{"facility_id": 1, "plot_type": "niche", "plots": 100},
                          {"facility_id": 2, "plot_type": "body_single", "plots": 300},
                          {"facility_id": 3, "plot_type": "tree", "plots": 50}])    # planned: not counted
    open_now = facilities[facilities["status"] != "planned"]
    got = {i.number: i for i in burial_indicators(facilities=open_now, all_facilities=facilities,
                                                  statistics=stats, plot_types=plots,
                                                  settings=settings, unit_names={"150102001000": "西街街道"})}
    assert got["火化率"].current == pytest.approx(100 * 105 / 150) and got["火化率"].met is False   # 70% < 80%
    assert got["火化率"].by_unit[0] == {"code": "150102001000", "name": "西街街道", "value": 80.0}
    assert got["生态安葬率"].current == pytest.approx(50.0) and got["生态安葬率"].met is True     # 65/130
    assert got["新建生态"].current == pytest.approx(50.0) and "1 处" in got["新建生态"].note     # 1 of 2 since 2021
    assert "规划中或在建 1 处不计" in got["新建生态"].note
    assert got["生态墓位"].current == pytest.approx(25.0)                                     # 100 of 400


def test_statistics_checks_name_the_field():
    units = ["150102001000"]
    ok = check_statistics({"year": "2025", "unit_code": "150102001000", "deaths": "10", "cremations": 8},
                          unit_codes=units)
    assert ok["year"] == 2025 and ok["deaths"] == 10 and ok["burials"] is None
    for bad, field in (({"year": 1800}, "year"), ({"unit_code": "150103000000"}, "unit_code"),
                       ({"deaths": -1}, "deaths"), ({"deaths": 1.5}, "deaths"),
                       ({"deaths": 10, "cremations": 11}, "cremations"),
                       ({"deaths": 9, "burials": 5, "eco_burials": 6}, "eco_burials"),
                       ({"burials": 5}, "deaths"),  # a rate needs its deaths (review finding 5)
                       ({"year": beijing_today().year + 1, "deaths": 1}, "year")):  # a year not begun (finding 4)
        with pytest.raises(InputError) as exc:
            check_statistics({"year": 2025, "unit_code": "150102001000", **bad}, unit_codes=units)
        assert exc.value.field == field


# -- the use cases on both backends -------------------------------------------------------------------

def _small_district(store) -> dict[str, int]:
    """Store a district with one 街道, a railway, one farmland and one cemetery; return the cemetery's id."""
    from geo.io.importer import load_layers

    units = _frame([{"code": "150102000000", "name": "新城区", "level": "district",
                     "geometry": shapely.box(X0 - 6000, Y0 - 6000, X0 + 6000, Y0 + 6000)},
                    {"code": "150102001000", "name": "西街街道", "level": "subdistrict", "parent_code": "150102000000",
                     "geometry": shapely.box(X0 + 1000, Y0 + 1000, X0 + 4000, Y0 + 4000)}])
    linear = _frame([{"kind": "railway", "name": "测试铁路",
                      "geometry": shapely.LineString([(X0 - 5000, Y0), (X0 + 5000, Y0)])}])
    areas = _frame([{"kind": "farmland", "name": "一号农田",
                     "geometry": shapely.box(X0 - 2000, Y0 + 2000, X0 - 1000, Y0 + 3000)}])
    facilities = _frame([{"kind": "public_cemetery", "name": "测试公墓", "status": "active",
                          "geometry": shapely.box(X0 + 3000, Y0 + 3000, X0 + 3100, Y0 + 3100)},
                         {"kind": "elder_care_station", "name": "测试站", "status": "active",
                          "geometry": shapely.Point(X0 + 1500, Y0 + 1500)}])
    load_layers(store, {"admin_units": units, "linear_features": linear, "ban_zone_areas": areas,
                        "facilities": facilities}, actor="test")
    ids = {r["name"]: r["id"] for r in store.select("facilities")}
    return ids


def test_plot_type_use_case_validates_audits_and_refuses_duplicates(store, settings):
    ids = _small_district(store)
    rec = record_plot_type(store, {"facility_id": ids["测试公墓"], "plot_type": "tree", "area_m2": 0.8, "plots": 40},
                           settings=settings, actor="t")
    assert rec["eco"] is True and rec["version"] == 1   # eco from the settings, not the caller
    assert store.audit_rows("cemetery_plot_types", rec["id"])[0]["action"] == "create"
    with pytest.raises(Conflict):
        record_plot_type(store, {"facility_id": ids["测试公墓"], "plot_type": "tree", "area_m2": 0.5},
                         settings=settings, actor="t")
    for bad, field in (({"plot_type": "pyramid"}, "plot_type"), ({"area_m2": 0}, "area_m2"),
                       ({"area_m2": "abc"}, "area_m2"), ({"plots": -3}, "plots"),
                       ({"facility_id": ids["测试站"]}, "facility_id")):
        with pytest.raises(InputError) as exc:
            record_plot_type(store, {"facility_id": ids["测试公墓"], "plot_type": "niche", "area_m2": 0.2, **bad},
                             settings=settings, actor="t")
        assert exc.value.field == field
    assert store.count("cemetery_plot_types") == 1   # nothing stored by a refusal
    changed = update_plot_type(store, rec["id"], {"area_m2": 0.9}, expected_version=1, settings=settings, actor="t")
    assert changed["area_m2"] == 0.9 and changed["version"] == 2
    with pytest.raises(StaleVersion):
        update_plot_type(store, rec["id"], {"area_m2": 1.0}, expected_version=1, settings=settings, actor="t")


def test_statistics_import_refuses_bad_rows_one_by_one(store):
    _small_district(store)
    rows = [{"year": 2025, "unit_code": "150102001000", "deaths": 10, "cremations": 8},
            {"year": 2025, "unit_code": "999", "deaths": 10},
            {"year": 2025, "unit_code": "150102001000", "deaths": 12},          # same year and unit again
            {"year": 2024, "unit_code": "150102000000", "deaths": 5, "cremations": 6}]
    done = record_statistics(store, rows, actor="t", first_row=2, all_or_nothing=False)
    assert len(done.written) == 1
    assert [(r["row"], r["field"]) for r in done.refused] == [(3, "unit_code"), (4, "year"), (5, "cremations")]
    assert done.refused[0]["message"].startswith("第 3 行")
    with pytest.raises(Conflict):
        record_statistics(store, rows[:1], actor="t")
    assert store.count("burial_statistics") == 1


# -- the sample: its 2025 projects, baselines #6 and #7 ---------------------------------------------

def test_sample_2025_projects_are_planned_and_pass_the_site_check(sample, settings):
    zones = ban_zones(sample["linear_features"], sample["ban_zone_areas"], settings=settings)
    assert {"farmland", "grassland", "park", "scenic_area", "cultural_relic", "water_source", "built_up",
            "reservoir", "railway"} <= set(zones["kind"])
    f = sample["facilities"]
    cem = f[f["kind"] == "public_cemetery"]
    planned = cem[cem["status"].isin(["planned", "under_construction"])]
    assert len(planned) == 4   # 2 public cemeteries and 2 eco demonstration projects (plan line 542)
    assert all(d.year == 2025 for d in planned["planned_open_on"]) and planned["eco_burial"].all()
    assert {"保合少镇公益性公墓", "成吉思汗大街街道公益性公墓"} <= set(planned["name"])
    for _, row in planned.iterrows():
        assert check_site(row.geometry, zones) == [], row["name"]
    # The 成吉思汗大街 site lies in its 街道 (no longer the whole 街道 as a residential zone).
    street = sample["admin_units"].query("name == '成吉思汗大街街道'").geometry.iloc[0]
    site = planned[planned["name"] == "成吉思汗大街街道公益性公墓"].geometry.iloc[0]
    assert C.to_metric(street).contains(C.to_metric(site).centroid)


def test_sample_baselines_as_of_2020(sample_store, settings):
    from geo.planning.as_of import open_on

    facilities = sample_store.read_frame("facilities")
    units = sample_store.read_frame("admin_units")
    towns = units[units["level"].isin(["subdistrict", "town"])]
    day = date(2020, 12, 31)
    open_2020 = facilities[open_on(facilities, day) & (facilities["kind"] == "public_cemetery")]
    codes = set(open_2020["community_code"])
    covered = [u for u in towns.itertuples() if u.code in codes
               or set(units.loc[units["parent_code"] == u.code, "code"]) & codes]
    assert len(covered) == 3 and len(towns) == 9   # 33.3%: the nearest whole-unit share to the plan's 30%
    zones = ban_zones(sample_store.read_frame("linear_features"), sample_store.read_frame("ban_zone_areas"),
                      settings=settings)
    graves = graves_along_transport(sample_store.read_frame("graves"), zones)
    by_2020 = graves["cleared_on"].map(lambda d: d is not None and d <= day)
    cleared_2020 = graves[(graves["status"] == "cleared") & by_2020]
    assert len(graves) % 5 == 0 and 5 * len(cleared_2020) == len(graves)   # exactly 20% (plan's 2020 value)
    assert (graves["status"] == "cleared").sum() > len(cleared_2020)        # more cleared since


def test_sample_records_are_stored_through_their_use_cases(sample_store):
    plots = sample_store.select("cemetery_plot_types")
    stats = sample_store.select("burial_statistics")
    assert len(plots) == 9 and {r["year"] for r in stats} == set(range(2020, 2026))
    by_year = pd.DataFrame(stats).groupby("year")[["deaths", "cremations"]].sum()
    rate = by_year["cremations"] / by_year["deaths"]
    assert 0.58 < rate[2020] < 0.62 and 0.72 < rate[2025] < 0.77


# -- API and CLI end to end ----------------------------------------------------------------------------

def _token(base: str, role: str) -> dict[str, str]:
    name, password = USERS[role]
    r = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_api_reads_on_the_sample(live_server, sample):
    base = live_server
    assert httpx.get(f"{base}/api/cemeteries/plot-types").status_code == 401
    other = _token(base, "placename_officer")
    assert httpx.get(f"{base}/api/cemeteries/plot-types", headers=other).status_code == 403
    assert httpx.post(f"{base}/api/planning/cemetery-site-check", headers=other,
                      json={"geometry": {"type": "Point", "coordinates": [111.7, 40.9]}}).status_code == 403
    h = _token(base, "planner")
    plots = httpx.get(f"{base}/api/cemeteries/plot-types", headers=h, timeout=60).json()
    assert [(o["cemetery"], o["plot_type"]) for o in plots["over_limit"]] == [("保合少村公益性公墓", "body_double")]
    zones = httpx.get(f"{base}/api/planning/ban-zones", headers=h, timeout=60).json()
    kinds = {f["properties"]["kind"] for f in zones["features"]}
    assert {"built_up", "farmland", "railway"} <= kinds
    assert all(f["properties"]["basis"] in ("assumed", "sourced") for f in zones["features"])
    assert "feature_wkb" not in zones["features"][0]["properties"]
    site = sample["facilities"].query("name == '成吉思汗大街街道公益性公墓'").geometry.iloc[0]
    r = httpx.post(f"{base}/api/planning/cemetery-site-check", headers=h, timeout=60,
                   json={"geometry": shapely.geometry.mapping(site)})
    assert r.status_code == 200 and r.json()["allowed"] is True and r.json()["assumptions"]
    rail = C.to_metric(sample["linear_features"].query("kind == 'railway'").geometry.iloc[0])
    p = rail.interpolate(0.5, normalized=True)
    near = C.from_metric(shapely.Point(p.x, p.y + 420))
    body = httpx.post(f"{base}/api/planning/cemetery-site-check", headers=h, timeout=60,
                      json={"geometry": shapely.geometry.mapping(near)}).json()
    railway = [c for c in body["conflicts"] if c["kind"] == "railway"]
    assert body["allowed"] is False and railway
    assert railway[0]["shortfall_m"] == pytest.approx(500 - railway[0]["distance_m"], abs=0.15)
    bad = httpx.post(f"{base}/api/planning/cemetery-site-check", headers=h,
                     json={"geometry": {"type": "LineString", "coordinates": [[111.7, 40.9], [111.8, 40.9]]}})
    assert bad.status_code == 422
    settings_body = httpx.get(f"{base}/api/cemeteries/settings", headers=h).json()
    assert {z["kind"] for z in settings_body["zones"]} >= {"railway", "built_up"}


@pytest.fixture
def small_server(store):
    from geo.users import create_user

    _small_district(store)
    for role in ("planner", "placename_officer"):
        name, password = USERS[role]
        create_user(store, name, password, role, actor="test")
    with running_server(server_settings(store)) as url:
        yield url, store


def test_api_writes_201_409_422(small_server):
    base, store = small_server
    h = _token(base, "planner")
    cemetery = next(r["id"] for r in store.select("facilities") if r["kind"] == "public_cemetery")
    assert httpx.post(f"{base}/api/cemeteries/plot-types",
                      json={"facility_id": cemetery, "plot_type": "niche", "area_m2": 0.2}).status_code == 401
    assert httpx.post(f"{base}/api/cemeteries/plot-types", headers=_token(base, "placename_officer"),
                      json={"facility_id": cemetery, "plot_type": "niche", "area_m2": 0.2}).status_code == 403
    r = httpx.post(f"{base}/api/cemeteries/plot-types", headers=h,
                   json={"facility_id": cemetery, "plot_type": "niche", "area_m2": 0.3, "plots": 10})
    assert r.status_code == 201 and r.json()["eco"] is True
    record = r.json()
    assert httpx.post(f"{base}/api/cemeteries/plot-types", headers=h,
                      json={"facility_id": cemetery, "plot_type": "niche", "area_m2": 0.2}).status_code == 409
    assert httpx.post(f"{base}/api/cemeteries/plot-types", headers=h,
                      json={"facility_id": cemetery, "plot_type": "niche", "area_m2": "big"}).status_code == 422
    bad = httpx.post(f"{base}/api/cemeteries/plot-types", headers=h,
                     json={"facility_id": cemetery, "plot_type": "pyramid", "area_m2": 1})
    assert bad.status_code == 400 and bad.json()["field"] == "plot_type" and "墓位类型" in bad.json()["message"]
    over = httpx.get(f"{base}/api/cemeteries/plot-types", headers=h).json()["over_limit"]
    assert [o["plot_type"] for o in over] == ["niche"]   # 0.3 m² > 0.25 m²
    ok = httpx.patch(f"{base}/api/cemeteries/plot-types/{record['id']}", headers=h, json={"area_m2": 0.2, "version": 1})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = httpx.patch(f"{base}/api/cemeteries/plot-types/{record['id']}", headers=h,
                        json={"area_m2": 0.25, "version": 1})
    assert stale.status_code == 409
    s = httpx.post(f"{base}/api/cemeteries/burial-statistics", headers=h,
                   json={"year": 2025, "unit_code": "150102001000", "deaths": 100, "cremations": 80})
    assert s.status_code == 201
    assert httpx.post(f"{base}/api/cemeteries/burial-statistics", headers=h,
                      json={"year": 2025, "unit_code": "150102001000", "deaths": 1}).status_code == 409
    assert httpx.post(f"{base}/api/cemeteries/burial-statistics", headers=h,
                      json={"year": 2024, "unit_code": "150102001000", "deaths": 5,
                            "cremations": 6}).status_code == 400
    check = httpx.post(f"{base}/api/planning/cemetery-site-check", headers=h,
                       json={"geometry": shapely.geometry.mapping(_site(shapely.Point(X0, Y0 + 420)))}).json()
    assert [round(c["shortfall_m"]) for c in check["conflicts"]] == [80]


def test_cli_check_plots_stats_and_zone_import(tmp_path):
    from geo.store import Store
    from tests.xincheng_cli import run

    db = tmp_path / "x.db"
    s = Store.open(f"sqlite:///{db}")
    s.migrate()
    ids = _small_district(s)
    s.close()
    near = _site(shapely.Point(X0, Y0 + 420))
    r = run("cemetery", "check", "--wkt", near.wkt, db=db)
    assert r.returncode == 1 and "差 80 米" in r.stdout and r.stdout.startswith("不可选址")
    far = _site(shapely.Point(X0 + 3500, Y0 + 3500))
    r = run("cemetery", "check", "--wkt", far.wkt, db=db)
    assert r.returncode == 0 and r.stdout.startswith("可以选址") and "假定值" in r.stdout
    assert run("cemetery", "check", "--wkt", "POINT(1 2", db=db).returncode == 2
    assert run("cemetery", "check", "--wkt", "LINESTRING(111.7 40.9, 111.8 40.9)", db=db).returncode == 2
    # A new 七区 layer imported from a GeoJSON file turns an allowed site into a refused one.
    park = tmp_path / "park.geojson"
    park.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"kind": "park", "name": "新建公园", "source": "区园林局"},
        "geometry": shapely.geometry.mapping(_site(shapely.box(X0 + 3000, Y0 + 3000, X0 + 4000, Y0 + 4000)))}]}),
        encoding="utf-8")
    r = run("import", str(park), "--layer", "ban_zone_areas", "--crs", "EPSG:4490", db=db)
    assert r.returncode == 0, r.stderr
    r = run("cemetery", "check", "--wkt", far.wkt, db=db)
    assert r.returncode == 1 and "新建公园" in r.stdout
    site_file = tmp_path / "site.geojson"
    site_file.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(far)}))
    assert run("cemetery", "check", str(site_file), db=db).returncode == 1
    out = tmp_path / "zones.geojson"
    r = run("cemetery", "zones", "--out", str(out), db=db)
    assert r.returncode == 0 and {f["properties"]["kind"] for f in json.loads(out.read_text())["features"]} == {
        "railway", "farmland", "park"}
    r = run("cemetery", "map", str(tmp_path / "zones.html"), db=db)
    assert r.returncode == 0 and "禁葬区 城市公园 park" in (tmp_path / "zones.html").read_text(encoding="utf-8")
    r = run("cemetery", "plots", "add", "--cemetery", str(ids["测试公墓"]), "--type", "body_double", "--area", "7",
            db=db)
    assert r.returncode == 0, r.stderr
    assert run("cemetery", "plots", "add", "--cemetery", str(ids["测试公墓"]), "--type", "tree", "--area", "0",
               db=db).returncode == 2
    r = run("cemetery", "plots", "list", db=db)
    assert "超限 1 条" in r.stdout and "CM-02" in r.stdout
    csv_file = tmp_path / "stats.csv"
    csv_file.write_text("year,unit_code,deaths,cremations,burials,eco_burials\n"
                        "2025,150102001000,100,80,90,45\n\n2025,150102001000,5,9,,\n", encoding="utf-8")
    r = run("cemetery", "stats", "import", str(csv_file), db=db)  # the blank line is the spreadsheet's row 3
    assert r.returncode == 1 and "已导入 1 行，拒绝 1 行" in r.stdout and "第 4 行" in r.stderr, r.stderr
    (tmp_path / "empty.csv").write_text("year,unit_code\n", encoding="utf-8")
    assert run("cemetery", "stats", "import", str(tmp_path / "empty.csv"), db=db).returncode == 2
    assert "150102001000" in run("cemetery", "stats", "list", db=db).stdout


# -- maps and the report section (no browser: the map object's page and the tables) ------------------

def test_zone_map_legend_by_class_marks_assumed_and_escapes_names(hand_layers, settings):
    from maps.ban_zones import ban_zone_map
    from maps.csp import page_html

    linear, areas = hand_layers
    hostile = _frame([{"kind": "park", "name": "<script>alert(1)</script>公园", "source": "x",
                       "geometry": shapely.box(X0 - 4000, Y0 + 1000, X0 - 3000, Y0 + 2000)}])
    zones = ban_zones(linear, pd.concat([areas, hostile], ignore_index=True), settings=settings)
    units = _frame([{"code": "150102000000", "name": "新城区", "level": "district", "households": 0,
                     "geometry": shapely.box(X0 - 6000, Y0 - 6000, X0 + 6000, Y0 + 6000)}])
    html = page_html(ban_zone_map(zones, units), None)
    assert "禁葬区 铁路 railway — 假定值，待禁葬区图确认 · assumed until the official ban-zone map（虚线 dashed）" \
        in html
    assert "禁葬区 耕地 farmland — 有出处 · sourced" in html and "禁葬区 城市公园 park" in html
    assert "<script>alert(1)" not in html


def test_district_map_shows_zones_when_given_them(sample, settings):
    from maps.csp import page_html
    from maps.district_map import district_map

    layers = {k: sample[k] for k in ("admin_units", "linear_features", "ban_zone_areas")}
    assert "禁葬区" not in page_html(district_map(layers), None)
    zones = ban_zones(sample["linear_features"], sample["ban_zone_areas"], settings=settings)
    html = page_html(district_map(layers, ban_zones=zones), None)
    assert "禁葬区 居民密集区 built_up" in html and "禁葬区 水源保护区 water_source" in html


def test_report_section_lists_zones_sites_plots_and_statistics(hand_zones):
    from types import SimpleNamespace

    from maps.report_cemeteries import cemetery_sections

    facilities = _frame([
        {"id": 1, "kind": "public_cemetery", "name": "旧公墓", "status": "active", "opened_on": date(2010, 1, 1),
         "planned_open_on": None, "eco_burial": False, "geometry": shapely.Point(X0, Y0 + 100).buffer(30)},
        {"id": 2, "kind": "public_cemetery", "name": "规划公墓", "status": "planned", "opened_on": None,
         "planned_open_on": date(2025, 12, 31), "eco_burial": True,
         "geometry": shapely.Point(X0 + 3500, Y0 + 3500).buffer(50)}])
    plots = pd.DataFrame([{"facility_id": 1, "plot_type": "body_single", "area_m2": 5.0, "plots": 10}])
    stats = pd.DataFrame([{"year": 2025, "unit_code": "150102001000", "deaths": 200, "cremations": 150,
                           "burials": 180, "eco_burials": 90}])
    run = SimpleNamespace(zones=hand_zones, inputs=SimpleNamespace(all_facilities=facilities, facilities=facilities,
                                                                   plot_types=plots, burial_statistics=stats))
    out = cemetery_sections(run, with_map=False)
    sites = out["cemeteries"].set_index("名称 name")["选址检查 site check (CM-01)"]
    assert sites["规划公墓"] == "不在禁葬区 outside every zone" and "铁路" in sites["旧公墓"]
    assert out["over_limit"][0].startswith("CM-02 旧公墓")
    row = out["statistics"].iloc[0]
    assert row["火化率 cremation rate (%)"] == 75.0 and row["生态安葬率 eco-burial rate (%)"] == 50.0
    assert set(out["zones"]["类别 class"]) == {"铁路 railway", "耕地 farmland", "居民密集区 built_up"}
