"""The OGC API as GDAL's OAPIF driver sees it (what QGIS uses): one geometry type per layer, typed
fields, no error for an anonymous connection, officer layers with a token, filters sent to the server.

GDAL runs in its own process, as a client would, and prints what it found as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.test_api import _token
from tests.test_ogc import OFFICER_ONLY, PUBLIC

GEOMETRY_TYPES = {"admin_units": "MultiPolygon", "streets": "MultiLineString", "facilities_points": "Point",
                  "facilities_polygons": "MultiPolygon", "linear_features_lines": "MultiLineString",
                  "place_names_points": "Point", "place_names_lines": "MultiLineString",
                  "place_names_polygons": "MultiPolygon", "linear_features_polygons": "MultiPolygon",
                  "ban_zone_areas": "MultiPolygon", "new_estates_polygons": "MultiPolygon"}

_DESCRIBE = r"""
import json, sys, warnings
warnings.simplefilter("always")
import pyogrio
url = "OAPIF:" + sys.argv[1]
out = {}
for name, geometry_type in pyogrio.list_layers(url):
    info = pyogrio.read_info(url, layer=name)
    out[str(name)] = {"geometry_type": str(geometry_type),
                      "fields": dict(zip(info["fields"].tolist(), [str(d) for d in info["dtypes"]]))}
print(json.dumps(out))
"""


def _describe(url: str, *, header_file: str = "") -> tuple[dict, str]:
    """Return every layer GDAL lists at ``url`` with its geometry type and field types, and GDAL's stderr.

    ``header_file`` holds extra request headers (GDAL's OAPIF driver sends those of
    ``GDAL_HTTP_HEADER_FILE``; it does not send ``GDAL_HTTP_HEADERS``).
    """
    env = {**os.environ, "CPL_DEBUG": "OFF"}
    if header_file:
        env["GDAL_HTTP_HEADER_FILE"] = header_file
    done = subprocess.run([sys.executable, "-c", _DESCRIBE, url], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_an_anonymous_gdal_connection_lists_typed_public_layers_and_prints_no_error(live_server):
    layers, stderr = _describe(f"{live_server}/ogc")
    assert stderr.strip() == "", stderr  # no 401 for layers listed but unreadable, no warning
    assert set(layers) == PUBLIC
    assert {name: layer["geometry_type"] for name, layer in layers.items()} == GEOMETRY_TYPES
    facilities = layers["facilities_points"]["fields"]
    assert facilities["beds"] == "int32" and facilities["nursing_beds"] == "int32"
    assert facilities["floor_area_m2"] == "float64"
    # typed from the schema even where the first page holds no value (footprints have no beds)
    assert layers["facilities_polygons"]["fields"]["beds"] == "int32"
    names = layers["place_names_points"]["fields"]
    assert names["status_date"] == "datetime64[D]" and names["protected"] == "bool"
    assert layers["streets"]["fields"]["walkable"] == "bool"
    assert layers["admin_units"]["fields"]["households"] == "int32"
    assert "boundary_note" in layers["admin_units"]["fields"]


def test_gdal_with_a_token_sees_the_officer_layers_typed(live_server, tmp_path):
    header_file = tmp_path / "headers.txt"
    header_file.write_text(f"Authorization: {_token(live_server, 'admin')['Authorization']}\n")
    layers, stderr = _describe(f"{live_server}/ogc", header_file=str(header_file))
    assert stderr.strip() == "", stderr
    assert set(layers) == PUBLIC | OFFICER_ONLY
    assert layers["door_plates"]["geometry_type"] == "Point"
    assert layers["door_plates"]["fields"]["households"] == "int32"
    assert layers["door_plates"]["fields"]["decision_date"] == "datetime64[D]"
    assert layers["boundary_lines"]["geometry_type"] == "MultiLineString"
    assert layers["boundary_markers"]["fields"]["seq"] == "int32"


_FILTERED = r"""
import json, sys
import pyogrio
frame = pyogrio.read_dataframe("OAPIF:" + sys.argv[1], layer=sys.argv[2], where=sys.argv[3])
print(json.dumps(frame.drop(columns="geometry").astype(str).to_dict("records")))
"""


@pytest.mark.parametrize("kind", ["elder_care_station", "community_service_centre"])
def test_a_gdal_attribute_filter_returns_what_the_store_holds(live_server, sample_store, kind):
    done = subprocess.run([sys.executable, "-c", _FILTERED, f"{live_server}/ogc", "facilities_points",
                           f"kind = '{kind}'"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    stored = [r for r in sample_store.select("facilities", where={"kind": kind})
              if r["geometry"].geom_type == "Point"]
    assert len(rows) == len(stored) > 0
    assert {row["kind"] for row in rows} == {kind}
