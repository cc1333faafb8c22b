"""OGC API - Features read by real clients: GDAL's OAPIF driver (through pyogrio) and OWSLib."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import httpx
import numpy as np
import pyogrio
import pytest
import shapely
from owslib.ogcapi.features import Features

from tests.assertions import assert_geom_close

# The public collections an anonymous client is shown: one geometry type each (a mixed layer split by kind).
PUBLIC = {"admin_units", "streets", "facilities_points", "facilities_polygons", "linear_features_lines",
          "linear_features_polygons", "place_names_points", "place_names_lines", "place_names_polygons",
          "ban_zone_areas", "new_estates_polygons"}  # the reservoir is an area; the sample's estates are drawn
OFFICER_ONLY = {"door_plates", "boundary_lines", "boundary_markers", "graves", "premises_points", "premises_polygons"}


def test_landing_conformance_and_collections(live_server):
    land = httpx.get(f"{live_server}/ogc").json()
    assert {link["rel"] for link in land["links"]} >= {"service-desc", "conformance", "data"}
    conf = httpx.get(f"{live_server}/ogc/conformance").json()["conformsTo"]
    assert any("ogcapi-features-2" in c for c in conf)
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables" in conf
    cols = {c["id"]: c for c in httpx.get(f"{live_server}/ogc/collections").json()["collections"]}
    assert set(cols) == PUBLIC  # officer-only layers are not listed to an anonymous client
    assert cols["streets"]["storageCrs"].endswith("/4490") and "街路巷" in cols["streets"]["title"]
    assert "服务设施（点）" in cols["facilities_points"]["title"]


def _gdal_read(url: str, layer: str, tmp_path) -> gpd.GeoDataFrame:
    """Read a collection with GDAL's OAPIF driver in its own process (as a client would), via a GeoPackage."""
    out = tmp_path / f"{layer}.gpkg"
    script = ("import sys, pyogrio; f = pyogrio.read_dataframe('OAPIF:' + sys.argv[1], layer=sys.argv[2]); "
              "pyogrio.write_dataframe(f, sys.argv[3], driver='GPKG')")
    subprocess.run([sys.executable, "-c", script, url, layer, str(out)], check=True, timeout=240,
                   capture_output=True)
    return pyogrio.read_dataframe(out)


@pytest.mark.parametrize(("collection", "layer", "kinds"), [
    ("facilities_points", "facilities", {"Point"}),
    ("linear_features_lines", "linear_features", {"LineString", "MultiLineString"}),
])
def test_gdal_reads_every_feature_with_the_same_geometry(live_server, sample_store, collection, layer, kinds,
                                                         tmp_path):
    frame = _gdal_read(f"{live_server}/ogc", collection, tmp_path)
    stored = {r["id"]: r["geometry"] for r in sample_store.select(layer) if r["geometry"].geom_type in kinds}
    assert len(frame) == len(stored)
    ids = frame["id"].to_numpy() if "id" in frame.columns else frame.index.to_numpy()
    for fid, geom in zip(ids[:50], frame.geometry.values[:50], strict=True):
        assert_geom_close(geom, stored[int(fid)], tol_m=0.01)


def test_owslib_reads_pages_and_officer_layers_need_a_token(live_server, sample_store):
    api = Features(f"{live_server}/ogc")
    assert "streets" in [c["id"] for c in api.collections()["collections"]]
    page = api.collection_items("streets", limit=20)
    assert page["numberReturned"] == 20 and page["numberMatched"] == sample_store.count("streets")
    r = httpx.get(f"{live_server}/ogc/collections/boundary_markers/items")
    assert r.status_code == 401 and r.json()["field"] == "Authorization"


def test_crs_parameter_and_headers(live_server, sample_store):
    fid = sample_store.select("facilities", limit=1)[0]
    base = f"{live_server}/ogc/collections/facilities/items/{fid['id']}"
    crs84 = httpx.get(base)
    assert crs84.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    lon, lat = crs84.json()["geometry"]["coordinates"]
    latlon = httpx.get(base, params={"crs": "http://www.opengis.net/def/crs/EPSG/0/4490"})
    assert latlon.headers["content-crs"].endswith("/EPSG/0/4490>")
    assert latlon.json()["geometry"]["coordinates"] == [lat, lon]  # authority axis order
    bad = httpx.get(base, params={"crs": "EPSG:3857"})
    assert bad.status_code == 400 and bad.json()["field"] == "crs"
    box = httpx.get(f"{live_server}/ogc/collections/facilities/items",
                    params={"bbox": f"{lat - 0.001},{lon - 0.001},{lat + 0.001},{lon + 0.001}",
                            "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4490", "limit": 100}).json()
    assert fid["id"] in [f["id"] for f in box["features"]]
    assert np.isfinite([lon, lat]).all() and shapely.Point(lon, lat).equals_exact(fid["geometry"], 1e-9)
