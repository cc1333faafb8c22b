"""Read and write feature files; every reader returns a GeoDataFrame in EPSG:4490.

The source CRS must be named by the caller (rule CRS-02): files from Chinese web maps often claim
EPSG:4326 while holding GCJ-02 or BD-09 coordinates, so a file's own CRS is only cross-checked.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo import crs as C
from geo.errors import EncodingProblem, InputError
from geo.io._dbf import check_encoding, sniff_encoding

FORMATS = ("geojson", "gpkg", "shp", "csv", "xlsx")
_SUFFIX = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".shp": "shp", ".zip": "shp",
           ".csv": "csv", ".xlsx": "xlsx"}
_X_COLUMNS = ("lon", "lng", "longitude", "x", "经度")
_Y_COLUMNS = ("lat", "latitude", "y", "纬度")
_FILE_CRS_COMPATIBLE = {
    "EPSG:4490": {"EPSG:4490", "EPSG:4326"}, "EPSG:4326": {"EPSG:4490", "EPSG:4326"},
    "GCJ02": {"EPSG:4490", "EPSG:4326"}, "BD09": {"EPSG:4490", "EPSG:4326"}, "EPSG:4546": {"EPSG:4546"},
}


def detect_format(path: Path, fmt: str | None = None) -> str:
    """Return the file format from ``fmt`` or the file's suffix, naming the accepted ones."""
    if fmt:
        if fmt.lower() not in FORMATS:
            raise InputError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}", field="format")
        return fmt.lower()
    try:
        return _SUFFIX[path.suffix.lower()]
    except KeyError:
        raise InputError(f"cannot tell the format of {path.name!r}; name it with one of "
                         f"{', '.join(FORMATS)}", field="format") from None


def _decode(raw: bytes, encoding: str | None, *, what: str) -> str:
    enc = encoding or "utf-8-sig"
    try:
        return raw.decode(enc)
    except UnicodeDecodeError as exc:
        hint = " It looks like GBK/GB 18030: state encoding gb18030." if _decodes(raw, "gb18030") else ""
        raise EncodingProblem(f"{what} is not valid {encoding or 'UTF-8'} text (byte 0x{raw[exc.start]:02X} "
                              f"at offset {exc.start}).{hint}", field="encoding") from None
    except LookupError:
        raise EncodingProblem(f"{encoding!r} is not a known encoding", field="encoding") from None


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _read_geojson(path: Path, encoding: str | None) -> gpd.GeoDataFrame:
    text = _decode(path.read_bytes(), encoding, what="the GeoJSON file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"broken GeoJSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                         field="file") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
            doc.get("features"), list):
        raise InputError("GeoJSON must be a FeatureCollection with a features list", field="file")
    props, geoms = [], []
    for i, feat in enumerate(doc["features"]):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise InputError(f"feature {i + 1} is not a GeoJSON Feature", field="file")
        try:
            geom = shapely.geometry.shape(feat["geometry"]) if feat.get("geometry") else None
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
            raise InputError(f"feature {i + 1} has a broken geometry: {exc}", field="geometry") from None
        props.append(feat.get("properties") or {})
        geoms.append(geom)
    return gpd.GeoDataFrame(pd.DataFrame(props), geometry=gpd.GeoSeries(geoms))


def _shapefile_path(path: Path, tmp: Path) -> Path:
    if path.suffix.lower() != ".zip":
        return path
    try:
        with zipfile.ZipFile(path) as zf:
            zf.extractall(tmp)
    except zipfile.BadZipFile:
        raise InputError("the .zip file is broken", field="file") from None
    shps = sorted(tmp.rglob("*.shp"))
    if len(shps) != 1:
        raise InputError(f"the .zip must hold exactly one .shp; it holds {len(shps)}", field="file")
    return shps[0]


def _read_shapefile(path: Path, encoding: str | None) -> tuple[gpd.GeoDataFrame, str]:
    with tempfile.TemporaryDirectory() as tmp:
        shp = _shapefile_path(path, Path(tmp))
        dbf = shp.with_suffix(".dbf")
        if not dbf.exists():
            raise InputError("the Shapefile has no .dbf beside its .shp", field="file")
        cpg = shp.with_suffix(".cpg")
        if encoding:
            used = encoding
        elif cpg.exists():
            used = cpg.read_text(errors="replace").strip() or "UTF-8"
        else:
            used = sniff_encoding(dbf) or ""
            if not used:
                raise EncodingProblem("cannot tell the .dbf's text encoding; state it (gbk, gb18030 or "
                                      "utf-8)", field="encoding")
        problem = check_encoding(dbf, _python_codec(used))
        if problem:
            hint = "" if used.upper().startswith("GB") else (
                " Chinese government Shapefiles are often GBK: state encoding gbk."
                if sniff_encoding(dbf) == "GB18030" else "")
            raise EncodingProblem(f"the .dbf is not {used}: {problem}.{hint}", field="encoding")
        try:
            frame = pyogrio.read_dataframe(shp, encoding=used)
        except pyogrio.errors.DataSourceError as exc:
            raise InputError(f"cannot read the Shapefile: {exc}", field="file") from None
        return frame, used


def _python_codec(name: str) -> str:
    n = name.strip().lower().replace("-", "").replace("_", "")
    return {"gbk": "gbk", "gb2312": "gb18030", "936": "gbk", "cp936": "gbk", "gb18030": "gb18030",
            "utf8": "utf-8", "65001": "utf-8"}.get(n, name)


def _read_table(path: Path, fmt: str, encoding: str | None, x_col: str | None, y_col: str | None):
    if fmt == "csv":
        text = _decode(path.read_bytes(), encoding, what="the CSV file")
        import io

        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    else:
        try:
            df = pd.read_excel(path, dtype=str, keep_default_na=False)
        except (ValueError, zipfile.BadZipFile, KeyError) as exc:
            raise InputError(f"cannot read the XLSX file: {exc}", field="file") from None
    df = df.replace({"": None})
    if "wkt" in df.columns:
        geoms = []
        for i, w in enumerate(df.pop("wkt").tolist()):
            try:
                geoms.append(shapely.from_wkt(w) if w else None)
            except shapely.errors.GEOSException:
                raise InputError(f"row {i + 2} has a broken WKT geometry", field="wkt") from None
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms))
    xc = x_col or next((c for c in df.columns if c.lower() in _X_COLUMNS), None)
    yc = y_col or next((c for c in df.columns if c.lower() in _Y_COLUMNS), None)
    for name, col in (("x", xc), ("y", yc)):
        if col is None or col not in df.columns:
            raise InputError(f"the table has no {name} coordinate column; name it (lon/lat, x/y, "
                             f"经度/纬度) or a wkt column", field=f"{name}_column")
    xs = pd.to_numeric(df.pop(xc), errors="coerce")
    ys = pd.to_numeric(df.pop(yc), errors="coerce")
    bad = np.flatnonzero(xs.isna().to_numpy() | ys.isna().to_numpy())
    if len(bad):
        raise InputError(f"row {bad[0] + 2} has a coordinate that is not a number", field=xc)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xs, ys))


def _check_declared_crs(frame: gpd.GeoDataFrame, source_crs: str) -> None:
    declared = frame.crs
    if declared is None:
        return
    epsg = declared.to_epsg()
    name = f"EPSG:{epsg}" if epsg else declared.to_string()
    if name not in _FILE_CRS_COMPATIBLE[source_crs]:
        raise InputError(f"the file declares {name} but the stated source CRS is {source_crs}",
                         field="crs")


def read_features(path: Path | str, *, crs: str, fmt: str | None = None, encoding: str | None = None,
                  x_col: str | None = None, y_col: str | None = None) -> tuple[gpd.GeoDataFrame, dict]:
    """Read a feature file given in ``crs``; return it in EPSG:4490 with what was assumed."""
    path = Path(path)
    source_crs = C.normalise_crs(crs)
    kind = detect_format(path, fmt)
    if not path.exists():
        raise InputError(f"no file {str(path)!r}", field="file")
    used_encoding = encoding or "UTF-8"
    if kind == "geojson":
        frame = _read_geojson(path, encoding)
    elif kind == "gpkg":
        try:
            frame = pyogrio.read_dataframe(path)
        except pyogrio.errors.DataSourceError as exc:
            raise InputError(f"cannot read the GeoPackage: {exc}", field="file") from None
    elif kind == "shp":
        frame, used_encoding = _read_shapefile(path, encoding)
    else:
        frame = _read_table(path, kind, encoding, x_col, y_col)
    _check_declared_crs(frame, source_crs)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    present = np.array([g is not None for g in geoms], dtype=bool)
    converted = geoms.copy()
    if present.any():
        converted[present] = C.geoms_to_storage(np.asarray(list(geoms[present]), dtype=object), source_crs)
    out = gpd.GeoDataFrame(pd.DataFrame(frame.drop(columns=frame.geometry.name)),
                           geometry=gpd.GeoSeries(list(converted), crs="EPSG:4490"), crs="EPSG:4490")
    return out, {"format": kind, "source_crs": source_crs, "encoding": used_encoding,
                 "features": len(out)}


def _export_frame(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    out = frame.copy()
    for col in out.columns:
        if col != out.geometry.name and (pd.api.types.is_datetime64_any_dtype(out[col])
                                         or out[col].map(lambda v: hasattr(v, "isoformat")).any()):
            out[col] = out[col].map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    name = C.normalise_crs(crs)
    out = out.set_geometry(gpd.GeoSeries(
        C.geoms_from_storage(np.asarray(out.geometry.values, dtype=object), name), index=out.index))
    epsg = {"EPSG:4490": 4490, "EPSG:4326": 4326, "EPSG:4546": 4546}.get(name, 4326)
    return out.set_crs(epsg, allow_override=True)


XLSX_CELL_LIMIT = 32_767


def _shapefile_names(columns: list[str]) -> dict[str, str]:
    """Return renames that fit Shapefile's 10-character field names, keeping them unique."""
    taken = {c for c in columns if len(c) <= 10}
    renames = {}
    for c in columns:
        if len(c) <= 10:
            continue
        name, k = c[:10], 1
        while name in taken:
            name = f"{c[:8]}_{k}"
            k += 1
        taken.add(name)
        renames[c] = name
    return renames


def write_features(frame: gpd.GeoDataFrame, path: Path | str, *, fmt: str | None = None,
                   crs: str = "EPSG:4490", layer_name: str = "features", encoding: str = "UTF-8") -> Path:
    """Write an EPSG:4490 frame to ``path`` in ``fmt``, converted to ``crs``."""
    path = Path(path)
    kind = detect_format(path, fmt)
    out = _export_frame(frame, crs)
    if kind in ("csv", "xlsx"):
        table = pd.DataFrame(out.drop(columns=out.geometry.name))
        if len(out) and (out.geom_type == "Point").all():
            table["lon"] = out.geometry.x
            table["lat"] = out.geometry.y
        else:
            table["wkt"] = shapely.to_wkt(np.asarray(out.geometry.values, dtype=object), rounding_precision=9)
            if kind == "xlsx" and table["wkt"].str.len().max() > XLSX_CELL_LIMIT:
                raise InputError(f"a geometry of this layer is longer than an XLSX cell holds "
                                 f"({XLSX_CELL_LIMIT} characters): export it as GeoPackage", field="format")
        if kind == "csv":
            table.to_csv(path, index=False, encoding="utf-8-sig" if encoding.upper() == "UTF-8" else encoding)
        else:
            table.to_excel(path, index=False)
        return path
    driver = {"geojson": "GeoJSON", "gpkg": "GPKG", "shp": "ESRI Shapefile"}[kind]
    options = {"layer": layer_name} if kind == "gpkg" else {}
    if kind == "shp":
        types = sorted(set(out.geom_type.str.replace("Multi", "")))
        if len(types) > 1:
            raise InputError(f"a Shapefile holds one geometry type; this layer has {', '.join(types)}: "
                             "export it as GeoPackage", field="format")
        options["encoding"] = encoding
        # Shapefile field names hold 10 characters; the importer maps them back.
        out = out.rename(columns=_shapefile_names(list(out.columns)))
    pyogrio.write_dataframe(out, path, driver=driver, **options)
    return path
