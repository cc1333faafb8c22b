"""Read and write feature files; every reader returns a GeoDataFrame in EPSG:4490.

The source CRS must be named by the caller (rule CRS-02): files from Chinese web maps often claim
EPSG:4326 while holding GCJ-02 or BD-09 coordinates, so a file's own CRS is only cross-checked.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
import time
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from contextlib import closing
from contextvars import ContextVar
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo import crs as C
from geo import messages as msg
from geo.errors import EncodingProblem, InputError
from geo.io._dbf import check_encoding, sniff_encoding
from geo.layers import GEOMETRY_KINDS, KIND_WRITTEN_AS
from geo.spreadsheet import formula_safe, formula_unsafe
from geo.spreadsheet_rows import header_hint, read_csv_rows, read_xlsx_rows, refuse_cut_workbook

FORMATS = ("geojson", "gpkg", "shp", "csv", "xlsx")
_FORMATS_TERM = msg.Term("、".join(FORMATS), ", ".join(FORMATS))
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
            raise InputError(msg.text("io_formats.format_choice", formats=_FORMATS_TERM, value=msg.quoted(fmt)),
                             field="format")
        return fmt.lower()
    suffix = path.suffix or (".zip" if path.name.lower() == ".zip" else "")  # a zip named only ".zip" (an export's)
    try:
        return _SUFFIX[suffix.lower()]
    except KeyError:
        shown = msg.quoted(shown_name(path))
        raise InputError(msg.text("io_formats.format_unknown", name=shown, formats=_FORMATS_TERM),
                         field="format") from None


def _decode(raw: bytes, encoding: str | None, *, what: tuple[str, str]) -> str:
    """Return ``raw`` decoded as ``encoding`` (one :func:`import_encoding` accepts; default UTF-8,
    with or without a byte-order mark)."""
    name = import_encoding(encoding)
    codec = "utf-8-sig" if name == "UTF-8" else _python_codec(name)
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        hint = " " + msg.text("io_formats.looks_gb18030") if _decodes(raw, "gb18030") else ""
        problem = msg.text("io_formats.not_text", what=msg.Term(*what), encoding=name, offset=exc.start,
                           byte=raw[exc.start])
        raise EncodingProblem(problem + hint, field="encoding") from None


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


MAX_JSON_DEPTH = 64  # a GeoJSON MultiPolygon in a FeatureCollection is 8 deep; properties add a few
# A string, or an unterminated one running to the end of the text. Possessive quantifiers, and an end
# that always matches after them, make every match one forward pass: no start is ever retried over
# the rest of the text (the unpossessive form took 30 s on '"' followed by 48,000 '\\"').
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\[\s\S])*+(?:"|\\?\Z)')
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")


def json_depth(text: str) -> int:
    """Return how deeply arrays and objects nest in JSON ``text``, without parsing it.

    One linear pass: brackets inside strings (escapes included) do not count, and an unterminated
    string hides the rest of the text (the parser refuses it anyway).
    """
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)).encode("ascii")
    if not brackets:
        return 0
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max())


def _read_geojson(path: Path, encoding: str | None) -> gpd.GeoDataFrame:
    text = _decode(path.read_bytes(), encoding, what=("GeoJSON 文件", "the GeoJSON file"))
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise InputError(msg.text("io_formats.geojson_depth", depth=depth, limit=MAX_JSON_DEPTH), field="file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(msg.text("io_formats.geojson_broken", line=exc.lineno, column=exc.colno, problem=exc.msg),
                         field="file") from None
    except RecursionError:
        raise InputError(msg.text("io_formats.geojson_recursion", limit=MAX_JSON_DEPTH), field="file") from None
    except ValueError as exc:  # an integer of more digits than Python converts (4,300)
        raise InputError(msg.text("io_formats.geojson_number", problem=exc), field="file") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
            doc.get("features"), list):
        raise InputError(msg.text("io_formats.geojson_collection"), field="file")
    props, geoms = [], []
    for i, feat in enumerate(doc["features"]):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise InputError(msg.text("io_formats.geojson_feature", number=i + 1), field="file")
        try:
            geom = shapely.geometry.shape(feat["geometry"]) if feat.get("geometry") else None
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
            raise InputError(msg.text("io_formats.geojson_geometry", number=i + 1, problem=exc),
                             field="geometry") from None
        props.append(feat.get("properties") or {})
        geoms.append(geom)
    return gpd.GeoDataFrame(pd.DataFrame(props), geometry=gpd.GeoSeries(geoms))


# The name a user gave the file being read (an upload's own name); its messages show it in place of
# the server's temporary path. The API sets it for an import request; default: the file's own name.
UPLOAD_NAME: ContextVar[str | None] = ContextVar("upload_name", default=None)
_GDAL_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
                pyogrio.errors.FeatureError, pyogrio.errors.GeometryError, pyogrio.errors.CRSError)
_DRIVER_HINT = re.compile(r"[.;\s]*It might help to specify the correct driver.*$", re.DOTALL)  # GDAL's, not ours
_PATH_TAIL = r"(?=$|[/\\\s'\",;:)])(?:[/\\][^\s'\",;:)]*)?"  # the rest of a path after a folder


def shown_name(path: Path, name: str | None = None) -> str:
    """Return how messages name the file at ``path``: ``name``, else :data:`UPLOAD_NAME`, else its own
    name, never a directory of the server."""
    given = name if name is not None else UPLOAD_NAME.get()
    return given or path.name


def public_message(text: str, path: Path, shown: str, *, extracted: Path | None = None) -> str:
    """Return a reader's (GDAL's, pyogrio's, a library's) message with every server path replaced.

    The file itself becomes ``shown``; a file extracted from it (a .zip member) becomes
    ``shown/member``; any other path in the file's folder, an extraction folder or the system's
    temporary folder becomes ``shown`` as well, so no message tells where the server keeps uploads.
    """
    if isinstance(shown, msg.Term):  # a reader's text is English: the name in English inside it (review)
        shown = shown.en
    places: list[tuple[str, str]] = []
    if extracted is not None:
        places += [(form + os.sep, shown + "/") for form in {str(extracted.resolve()), str(extracted)}]
    places += [(form, shown) for form in {str(path.resolve()), str(path)}]
    for old, new in sorted(places, key=lambda p: -len(p[0])):  # longest first: a folder inside another
        text = text.replace(old, new)
    folders = {str(path.parent.resolve()), str(path.parent), tempfile.gettempdir(),
               str(Path(tempfile.gettempdir()).resolve())} - {"", ".", os.sep}
    for folder in sorted(folders, key=len, reverse=True):
        text = re.sub(re.escape(folder) + _PATH_TAIL, lambda _m: shown, text)
    return _DRIVER_HINT.sub("", text)


def _gdal_read(source: Path, **options: object) -> gpd.GeoDataFrame:
    """Return ``pyogrio.read_dataframe(source)`` without GDAL's warnings (a bad header, an odd field):
    they name the server's path, and the error that may follow says what the user needs.

    (``catch_warnings`` changes the process's filters for the moment of the read; the one filter
    added concerns only pyogrio's RuntimeWarnings.)
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="pyogrio")
        return pyogrio.read_dataframe(source, **options)


def _read_geopackage(path: Path) -> tuple[gpd.GeoDataFrame, list[int] | None]:
    """Return a GeoPackage's features: its one feature table, or all the tables of an export that split one
    layer by kind of geometry (``facilities_points`` and ``facilities_polygons``), one after another; with the
    latter, each feature's row as its table numbers it (:class:`geo.messages.TableRow`), and where a table's fids are
    not its rows (features deleted or added in QGIS), each feature's row with its fid, the id QGIS and GDAL show;
    else None (from 1).
    Tables without geometry (QGIS's ``layer_styles``) are passed over; several unrelated feature tables are refused
    naming them (the first was read and the rest left without a word: an export saved with its QGIS style upserted
    its points and not its lines or polygons, review)."""
    tables = pyogrio.list_layers(path)
    names = [str(name) for name, kind in tables if kind is not None]  # not QGIS's layer_styles, an attribute table
    if len(names) > 1 and not split_table_names(names):  # which one was meant? (the first was read, the rest not)
        raise InputError(msg.text("io_formats.gpkg_tables", tables="、".join(msg.quoted(n) for n in names[:8])),
                         field="file")
    if len(names) <= 1:  # a table without geometry alone is read (and refused as such by the caller)
        frame, fids, column = _with_fids(path, names[0] if names else None)
        if fids is None:
            return frame, None
        return frame, [msg.TableRow(i + 1, number=i + 1, fid=fid, fid_column=column) for i, fid in enumerate(fids)]
    parts = [_with_fids(path, name) for name in names]
    rows: list[int] = []
    for name, (part, fids, column) in zip(names, parts, strict=True):
        start = len(rows)  # each feature's place in the whole file: the import matches and versions rows by it
        rows += [msg.TableRow(start + i + 1, number=i + 1, table=name, fid=None if fids is None else fids[i],
                              fid_column=column) for i in range(len(part))]
    frames = [part for part, _fids, _column in parts]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry=frames[0].geometry.name,
                            crs=frames[0].crs), rows


def _with_fids(path: Path, table: str | None) -> tuple[gpd.GeoDataFrame, list[int] | None, str]:
    """Return a GeoPackage's ``table`` (None: its first), its fids where they are not its rows 1, 2, 3, … (else None:
    the row names the feature) and the name of its fid column, as QGIS heads it ("fid", or an ArcGIS "OBJECTID")."""
    chosen = {"layer": table} if table is not None else {}
    frame = _gdal_read(path, fid_as_index=True, **chosen)
    fids = [int(fid) for fid in frame.index]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="pyogrio")
        column = str(pyogrio.read_info(path, **chosen).get("fid_column") or "")
    if not column:
        column = "fid"
    elif not re.fullmatch(r"\w{1,64}", column):  # a space, a mark, a control character: shown quoted and escaped
        column = msg.quoted(column, max_chars=40)
    return frame.reset_index(drop=True), (None if fids == list(range(1, len(fids) + 1)) else fids), column


def check_geopackage_holds_only_tables(path: Path, *, shown: str) -> None:
    """Refuse a GeoPackage holding a view or a virtual table among its contents.

    A GeoPackage is a SQLite database; a view can be a query that never ends (a recursive one), so
    reading it would hold the worker forever. Feature layers exported by QGIS, GDAL and this service
    are plain tables. The file is opened read-only and nothing in it is run.
    """
    try:
        # as a URI, escaped: a "#" or "?" in the file's name ended the path there (a valid file called not valid)
        with closing(sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)) as db:
            views = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'view'")]
            virtual = [r[0] for r in db.execute(
                "SELECT m.name FROM sqlite_master m JOIN gpkg_contents c ON c.table_name = m.name "
                "WHERE m.sql LIKE 'CREATE VIRTUAL TABLE%'")]
    except sqlite3.Error:
        raise InputError(msg.text("io_formats.gpkg_invalid", name=msg.quoted(shown)), field="file") from None
    if views or virtual:
        name = (views or virtual)[0]
        raise InputError(msg.text("io_formats.gpkg_views", table=name), field="file")


MAX_UNZIPPED_BYTES = 1 << 30  # all members of a .zip together (20 x the default 50 MB upload)
# A lower cap for the current request: the API sets 20 x its upload limit for an import.
UNZIP_LIMIT: ContextVar[int | None] = ContextVar("unzip_limit", default=None)
MAX_ZIP_RATIO = 200  # uncompressed / compressed size of one member; zip bombs reach ~1000
_RATIO_FLOOR = 1 << 20  # members smaller than this cannot be bombs, whatever their ratio
MAX_ZIP_MEMBERS = 1000


MAX_XLSX_UNZIPPED_BYTES = 256 * 1024 * 1024  # a sheet of a million plates is far below this


def _member_path(name: str) -> PurePosixPath:
    """Return a member's relative path, refusing absolute paths, drive letters and ``..``."""
    posix = name.replace("\\", "/")
    parts = PurePosixPath(posix).parts
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix) or ".." in parts or "\0" in posix:
        raise InputError(msg.text("io_formats.zip_path", name=msg.quoted(name)), field="file")
    return PurePosixPath(*[p for p in parts if p not in ("", ".")])


def _check_zip(members: list[zipfile.ZipInfo], limit: int) -> None:
    """Refuse an archive whose declared sizes would expand too far, before extracting anything."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise InputError(msg.text("io_formats.zip_members", count=len(members), limit=MAX_ZIP_MEMBERS),
                         field="file")
    total = 0
    for info in members:
        _member_path(info.filename)
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > MAX_ZIP_RATIO:
            raise InputError(msg.text("io_formats.zip_member_ratio", name=msg.quoted(info.filename), ratio=ratio,
                                      limit=MAX_ZIP_RATIO), field="file")
        total += info.file_size
        if total > limit:
            raise _too_big(limit, info.filename)


# The files a Shapefile is made of, beside its .shp: only these are extracted from a .zip.
SHAPEFILE_PARTS = frozenset({".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".fbn", ".fbx",
                             ".ain", ".aih", ".atx", ".ixs", ".mxs", ".qpj", ".fix"})


def _too_big(limit: int, name: str) -> InputError:
    return InputError(msg.text("io_formats.zip_too_big", limit=limit, name=msg.quoted(name)), field="file")


def _is_junk(path: PurePosixPath) -> bool:
    """Return whether a member is an archiver's by-product (macOS resource forks), never data."""
    return "__MACOSX" in path.parts or path.name.startswith("._")


def _shapefile_members(members: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """Return the members that make up the archive's one Shapefile (its .shp and the parts of the same
    name beside it), read from the archive's directory; refuse an archive without exactly one .shp."""
    files = [(info, _member_path(info.filename)) for info in members if not info.is_dir()]
    files = [(info, path) for info, path in files if path.parts and not _is_junk(path)]
    shps = [path for _info, path in files if path.suffix.lower() == ".shp"]
    if len(shps) != 1:
        raise InputError(msg.text("io_formats.zip_one_shp", count=len(shps)), field="file")
    stem = shps[0].with_suffix("")
    return [info for info, path in files
            if path.parent == stem.parent and path.stem.lower() == stem.name.lower()
            and path.suffix.lower() in SHAPEFILE_PARTS]


def _extract_zip(path: Path, tmp: Path, limit: int) -> Path:
    """Extract the one Shapefile of ``path`` into ``tmp``; return its .shp.

    Checked from the archive's directory before anything is read (unsafe paths, each member's ratio,
    the declared total, exactly one .shp); then only the Shapefile's own parts are extracted, their
    total held to ``limit`` and to :data:`MAX_ZIP_RATIO` times the archive's size, counted while
    writing (declared sizes can lie).
    """
    archive_size = max(path.stat().st_size, 1)
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            _check_zip(members, limit)
            parts = _shapefile_members(members)
            declared = sum(info.file_size for info in parts)
            ratio = declared / archive_size
            if declared > _RATIO_FLOOR and ratio > MAX_ZIP_RATIO:
                raise InputError(msg.text("io_formats.zip_ratio", ratio=ratio, limit=MAX_ZIP_RATIO), field="file")
            cap = min(limit, max(MAX_ZIP_RATIO * archive_size, _RATIO_FLOOR))
            written = 0
            shp = None
            for info in parts:
                member = _member_path(info.filename)
                target = tmp.joinpath(*member.parts)
                if member.suffix.lower() == ".shp":
                    shp = target
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as dst:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > cap:
                            raise _too_big(cap, info.filename)
                        dst.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
            FileExistsError, IsADirectoryError, NotADirectoryError) as exc:
        # Encrypted members, unknown compression, bad CRCs, a file and a folder of one name.
        raise InputError(msg.text("io_formats.zip_broken", problem=exc), field="file") from None
    except OSError:  # a member name longer than the file system allows, or nested too deep
        raise InputError(msg.text("io_formats.zip_names"), field="file") from None
    assert shp is not None  # _shapefile_members returned exactly one .shp
    return shp


def _shapefile_path(path: Path, tmp: Path, max_unzipped_bytes: int = MAX_UNZIPPED_BYTES) -> Path:
    if not path.name.lower().endswith(".zip"):
        return path
    return _extract_zip(path, tmp, max_unzipped_bytes)


def _read_shapefile(path: Path, encoding: str | None,
                    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES, *,
                    shown: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
    shown = shown or path.name
    with tempfile.TemporaryDirectory() as tmp:
        shp = _shapefile_path(path, Path(tmp), max_unzipped_bytes)
        dbf = shp.with_suffix(".dbf")
        if not dbf.exists():
            raise InputError(msg.text("io_formats.shp_no_dbf"), field="file")
        cpg = shp.with_suffix(".cpg")
        if encoding:
            used = import_encoding(encoding)
        elif cpg.exists():
            used = cpg.read_text(errors="replace").strip() or "UTF-8"
        else:
            used = sniff_encoding(dbf) or ""
            if not used:
                raise EncodingProblem(msg.text("io_formats.dbf_encoding_unknown"), field="encoding")
        problem = check_encoding(dbf, _python_codec(used))
        if problem:
            hint = "" if used.upper().startswith("GB") else (
                " " + msg.text("io_formats.dbf_gbk_hint") if sniff_encoding(dbf) == "GB18030" else "")
            raise EncodingProblem(msg.text("io_formats.dbf_not_encoding", encoding=used, problem=problem) + hint,
                                  field="encoding")
        try:
            frame = _gdal_read(shp, encoding=used)
        except _GDAL_ERRORS as exc:
            detail = public_message(str(exc), path, shown, extracted=Path(tmp))
            raise InputError(msg.text("io_formats.shp_unreadable", name=msg.quoted(shown), problem=detail),
                             field="file") from None
        return frame, used


def _encoding_key(name: str) -> str:
    return name.strip().lower().replace("-", "").replace("_", "")


def _python_codec(name: str) -> str:
    return {"gbk": "gbk", "gb2312": "gb18030", "936": "gbk", "cp936": "gbk", "gb18030": "gb18030",
            "utf8": "utf-8", "65001": "utf-8"}.get(_encoding_key(name), name)


# The encodings files are written in: the names the import side reads, as canonical names.
EXPORT_ENCODINGS = {"utf8": "UTF-8", "65001": "UTF-8", "gbk": "GBK", "936": "GBK", "cp936": "GBK",
                    "gb2312": "GB2312", "gb18030": "GB18030"}
_WRITE_CODEC = {"UTF-8": "utf-8", "GBK": "gbk", "GB2312": "gb2312", "GB18030": "gb18030"}
DBF_TEXT_BYTES = 254  # a Shapefile's (dBASE) text field holds at most this many bytes


# The encodings files are read in: those, and UTF-8 with a byte-order mark (read as UTF-8).
IMPORT_ENCODINGS = {**EXPORT_ENCODINGS, "utf8sig": "UTF-8"}


def import_encoding(name: str | None) -> str:
    """Return the canonical name (UTF-8, GBK, GB2312, GB18030) of an import encoding (default UTF-8,
    with or without a byte-order mark), or refuse: any other (latin-1, unicode_escape) would store
    a file's Chinese text garbled without a word."""
    canonical = IMPORT_ENCODINGS.get(_encoding_key(name or "UTF-8"))
    if canonical is None:
        raise EncodingProblem(msg.text("io_formats.import_encoding", value=msg.quoted(name)), field="encoding")
    return canonical


def export_encoding(name: str | None) -> str:
    """Return the canonical name (UTF-8, GBK, GB2312, GB18030) of an export encoding, or refuse."""
    canonical = EXPORT_ENCODINGS.get(_encoding_key(name or "UTF-8"))
    if canonical is None:
        raise EncodingProblem(msg.text("io_formats.export_encoding", value=msg.quoted(name)), field="encoding")
    return canonical


def _check_encodable(table: pd.DataFrame, encoding: str, *, first_row: int = 1) -> None:
    """Refuse, naming row and field, text the encoding cannot hold (GBK has no Mongolian script); ``first_row`` is
    the row the file will show the first record on (a CSV's: 2, under its header)."""
    codec = _WRITE_CODEC[encoding]
    if codec in ("utf-8", "gb18030"):
        return  # both hold every character
    for col in table.columns:
        texts = [v for v in table[col].tolist() if isinstance(v, str)]
        try:
            "".join(texts).encode(codec)
            continue
        except UnicodeEncodeError:
            pass
        for row, value in enumerate(table[col].tolist(), start=first_row):
            if not isinstance(value, str):
                continue
            try:
                value.encode(codec)
            except UnicodeEncodeError as exc:
                char = value[exc.start]
                raise EncodingProblem(msg.text("io_formats.not_encodable", row=row, column=col, char=msg.quoted(char),
                                               code=ord(char), encoding=encoding), field="encoding") from None


def _read_table(path: Path, fmt: str, encoding: str | None, x_col: str | None, y_col: str | None, *,
                shown: str | None = None) -> tuple[gpd.GeoDataFrame, list[int]]:
    """Read a CSV or XLSX table of points (x/y columns) or WKT; return it with each record's row as a spreadsheet
    shows it (:mod:`geo.spreadsheet_rows`: blank rows are skipped, and messages about the others name the row the
    officer sees)."""
    if fmt == "csv":
        text = _decode(path.read_bytes(), encoding, what=("CSV 文件", "the CSV file"))
        try:
            df, file_rows = read_csv_rows(text)
        except pd.errors.EmptyDataError:  # nothing but blank rows: no header, no records (was a 500: review)
            raise InputError(msg.text("io.no_records", name=msg.quoted(shown or path.name)), field="file") from None
    else:
        try:  # an .xlsx is a zip: the same caps as a zipped shapefile, before openpyxl inflates it
            with zipfile.ZipFile(path) as zf:
                _check_zip(zf.infolist(), MAX_XLSX_UNZIPPED_BYTES)
        except zipfile.BadZipFile:
            refuse_cut_workbook(path, name=shown or shown_name(path))
            raise InputError(msg.text("io_formats.xlsx_broken"), field="file") from None
        try:
            df, file_rows = read_xlsx_rows(path, name=shown or shown_name(path))
        except (ValueError, zipfile.BadZipFile, KeyError, IndexError) as exc:
            shown = shown or path.name
            raise InputError(msg.text("io_formats.xlsx_unreadable", name=msg.quoted(shown),
                                      problem=public_message(str(exc), path, shown)), field="file") from None
    hint = header_hint(df)  # read before the frame is copied (its attrs may not follow)
    df = formula_unsafe(df.replace({"": None}))  # an export's quoted formulas: the text they were
    wkt = _named_column(df, ("wkt",))  # GDAL's CSV export (GEOMETRY=AS_WKT) calls it "WKT"
    if wkt is not None:
        geoms = []
        for i, w in enumerate(df.pop(wkt).tolist()):
            try:
                geoms.append(shapely.from_wkt(w) if isinstance(w, str) and w.strip() else None)  # blank: NaN here
            except shapely.errors.GEOSException:
                raise InputError(msg.text("io_formats.wkt_broken", row=file_rows[i]), field=wkt) from None
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms)), file_rows
    xc = _coordinate_column(df, "x", _named_column(df, (x_col,) if x_col else _X_COLUMNS) or x_col, hint=hint)
    yc = _coordinate_column(df, "y", _named_column(df, (y_col,) if y_col else _Y_COLUMNS) or y_col, hint=hint)
    xs = pd.to_numeric(df.pop(xc), errors="coerce")
    ys = pd.to_numeric(df.pop(yc), errors="coerce")
    bad = np.flatnonzero(xs.isna().to_numpy() | ys.isna().to_numpy())
    if len(bad):
        raise InputError(msg.text("io_formats.coordinate_nan", row=file_rows[int(bad[0])]), field=xc)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xs, ys)), file_rows


def _named_column(df: pd.DataFrame, names: Sequence[str]) -> str | None:
    """Return the table's column called one of ``names`` (in that order of preference), compared without
    case or surrounding spaces (``WKT``, ``Lon``, `` X``); a column named exactly so wins over one that
    differs only in case."""
    columns = [str(c) for c in df.columns]
    for name in names:
        if name in columns:
            return name
        wanted = name.strip().casefold()
        found = next((c for c in columns if c.strip().casefold() == wanted), None)
        if found is not None:
            return found
    return None


def _coordinate_column(df: pd.DataFrame, name: str, col: str | None, *, hint: msg.Term) -> str:
    """Return the table's ``name`` (x or y) coordinate column, or refuse a table without one, saying which row was
    read as the header (``hint``, :func:`geo.spreadsheet_rows.header_hint`)."""
    if col is None or col not in df.columns:
        raise InputError(msg.text("io_formats.no_coordinate_column", axis=name, header=hint), field=f"{name}_column")
    return col


def _check_declared_crs(frame: gpd.GeoDataFrame, source_crs: str) -> None:
    declared = frame.crs
    if declared is None:
        return
    epsg = declared.to_epsg()
    name = f"EPSG:{epsg}" if epsg else declared.to_string()
    if name not in _FILE_CRS_COMPATIBLE[source_crs]:
        raise InputError(msg.text("io_formats.crs_mismatch", declared=name, stated=source_crs), field="crs")


def read_features(path: Path | str, *, crs: str, fmt: str | None = None,
                  encoding: str | None = None, x_col: str | None = None, y_col: str | None = None,
                  max_unzipped_bytes: int | None = None, name: str | None = None
                  ) -> tuple[gpd.GeoDataFrame, dict]:
    """Read a feature file given in ``crs``; return it in EPSG:4490 with what was assumed.

    A zipped Shapefile may expand to at most ``max_unzipped_bytes`` (default: the request's
    :data:`UNZIP_LIMIT`, never more than :data:`MAX_UNZIPPED_BYTES`), checked before extracting.
    Messages name the file ``name`` (default: :data:`UPLOAD_NAME`, else the file's own name) and
    never a path on the server (:func:`public_message`).
    """
    if max_unzipped_bytes is None:
        given = UNZIP_LIMIT.get()
        max_unzipped_bytes = MAX_UNZIPPED_BYTES if given is None else min(given, MAX_UNZIPPED_BYTES)
    path = Path(path)
    shown = shown_name(path, name)
    source_crs = C.normalise_crs(crs)
    kind = detect_format(path, fmt)
    if not path.exists():
        raise InputError(msg.text("io_formats.no_file", name=msg.quoted(shown)), field="file")
    if encoding is not None:
        encoding = import_encoding(encoding)
    used_encoding = encoding or "UTF-8"
    file_rows: list[int] | None = None  # a spreadsheet's rows as it shows them; a GIS format's features count from 1
    if kind == "geojson":
        frame = _read_geojson(path, encoding)
    elif kind == "gpkg":
        check_geopackage_holds_only_tables(path, shown=shown)
        try:
            frame, file_rows = _read_geopackage(path)
        except _GDAL_ERRORS as exc:
            raise InputError(msg.text("io_formats.gpkg_unreadable", name=msg.quoted(shown),
                                      problem=public_message(str(exc), path, shown)), field="file") from None
    elif kind == "shp":
        frame, used_encoding = _read_shapefile(path, encoding, max_unzipped_bytes, shown=shown)
    else:
        frame, file_rows = _read_table(path, kind, encoding, x_col, y_col, shown=shown)
    if not isinstance(frame, gpd.GeoDataFrame):  # GDAL reads a layer without geometry as a table
        raise InputError(msg.text("io_formats.no_geometry", name=msg.quoted(shown)), field="file")
    _check_declared_crs(frame, source_crs)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    present = np.array([g is not None for g in geoms], dtype=bool)
    converted = geoms.copy()
    if present.any():
        converted[present] = C.geoms_to_storage(np.asarray(list(geoms[present]), dtype=object), source_crs)
    out = gpd.GeoDataFrame(pd.DataFrame(frame.drop(columns=frame.geometry.name)),
                           geometry=gpd.GeoSeries(list(converted), crs="EPSG:4490"), crs="EPSG:4490")
    return out, {"format": kind, "source_crs": source_crs, "encoding": used_encoding,
                 "features": len(out), "file_rows": file_rows}


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
_INT32 = (-(2**31), 2**31 - 1)


# Fields whose first ten characters another field of their table shares: each gets a short name of its own, which
# an import maps back (decision_doc_no and decision_date both became decision_d…, and an exported door-plate file
# read the document number as the date: review). tests/test_io.py checks every table's names are distinct.
SHAPEFILE_FIELD_NAMES = {"decision_doc_no": "dec_doc_no", "decision_date": "dec_date",
                         "approval_doc_no": "appr_docno", "approval_date": "appr_date",
                         "romanization": "romanizati", "romanization_basis": "roman_basi"}


def shapefile_name(column: str) -> str:
    """Return the name a Shapefile (a .dbf: ten characters) gives field ``column`` of a stored table."""
    return SHAPEFILE_FIELD_NAMES.get(column, column[:10])


def _shapefile_names(columns: list[str]) -> dict[str, str]:
    """Return renames that fit Shapefile's 10-character field names (:func:`shapefile_name`), keeping them unique
    (a column of no stored table whose name another's shortening takes gets a numbered one)."""
    taken = {c for c in columns if len(c) <= 10}
    renames = {}
    for c in columns:
        if len(c) <= 10:
            continue
        name, k = shapefile_name(c), 1
        while name in taken:
            name = f"{c[:8]}_{k}"
            k += 1
        taken.add(name)
        renames[c] = name
    return renames


def _whole_numbers(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Return ``table`` with its integer ``columns`` as whole numbers: a column with an empty cell
    reads back from the store as floats, and a CSV would show 279998.0 households. Columns within
    32 bits are Int32, written as GDAL Integer fields (the store's Integer), wider ones as Integer64."""
    for col in columns:
        if col in table.columns:
            whole = pd.to_numeric(table[col], errors="raise").round().astype("Int64")
            fits = bool(((whole.isna()) | ((whole >= _INT32[0]) & (whole <= _INT32[1]))).all())
            table[col] = whole.astype("Int32") if fits else whole
    return table


# GeoPackage 1.2: GDAL before 3.7 (QGIS 3.22 ships 3.6) warns on every read of a 1.4 file.
GPKG_VERSION = "1.2"


def geometry_kinds(types: Sequence[str]) -> list[str]:
    """Return the kinds (points, lines, polygons; in that order) that geometry ``types`` fall in."""
    present = set(types)
    return [kind for kind, members in GEOMETRY_KINDS.items() if present & set(members)]


def _as_kind(geoms: np.ndarray, kind: str) -> np.ndarray:
    """Return ``geoms`` as ``kind`` is written: single lines and areas as one-part Multi* geometries."""
    if kind == "points":
        return geoms
    single = "LineString" if kind == "lines" else "Polygon"
    multi = shapely.MultiLineString if kind == "lines" else shapely.MultiPolygon
    out = np.empty(len(geoms), dtype=object)
    out[:] = [multi([g]) if g is not None and g.geom_type == single else g for g in geoms]
    return out


def kind_tables(frame: gpd.GeoDataFrame, *, layer_name: str, geometry_types: Sequence[str] = ()
                ) -> list[tuple[str, str, gpd.GeoDataFrame]]:
    """Return ``(table name, kind, rows)`` per kind of geometry, as a GeoPackage holds them.

    ``geometry_types`` are the types the layer accepts (default: those in ``frame``). A layer of one
    kind is one table under its own name; a layer that mixes kinds gets ``<layer>_<kind>`` per kind
    present (the first kind, empty, if it holds nothing), as the OGC API names its collections.
    Rows of no kind (no geometry) stay with the first table, so no row is lost.
    """
    types = list(geometry_types) or [str(t) for t in frame.geom_type.dropna().unique()]
    kinds = geometry_kinds(types) or ["points"]
    row_types = frame.geom_type.to_numpy(dtype=object)
    if len(kinds) == 1:
        chosen = {kinds[0]: np.ones(len(frame), dtype=bool)}
    else:
        masks = {kind: np.isin(row_types, GEOMETRY_KINDS[kind]) for kind in kinds}
        chosen = {kind: mask for kind, mask in masks.items() if mask.any()} or {kinds[0]: masks[kinds[0]]}
        first = next(iter(chosen))
        chosen[first] = chosen[first] | ~np.logical_or.reduce(list(masks.values()))
    tables = []
    for kind, mask in chosen.items():
        rows = frame[mask]
        geoms = _as_kind(np.asarray(rows.geometry.values, dtype=object), kind)
        rows = rows.set_geometry(gpd.GeoSeries(geoms, index=rows.index, crs=rows.crs))
        tables.append((layer_name if len(kinds) == 1 else f"{layer_name}_{kind}", kind, rows))
    return tables


def split_table_names(names: Sequence[str]) -> bool:
    """Return whether GeoPackage tables ``names`` are the kinds of one layer (:func:`kind_tables`)."""
    bases = set()
    for name in names:
        base, _, kind = name.rpartition("_")
        if kind not in GEOMETRY_KINDS or not base:
            return False
        bases.add(base)
    return len(names) > 1 and len(bases) == 1


def write_features(frame: gpd.GeoDataFrame, path: Path | str, *, fmt: str | None = None,
                   crs: str = "EPSG:4490", layer_name: str = "features", encoding: str = "UTF-8",
                   integer_columns: Sequence[str] = (), geometry_types: Sequence[str] = ()) -> Path:
    """Write an EPSG:4490 frame to ``path`` in ``fmt``, converted to ``crs``.

    ``encoding`` (UTF-8, GBK, GB2312 or GB18030) applies to CSV and Shapefile text; any other is
    refused, as is text the chosen encoding cannot hold. No CSV or XLSX cell is a live formula.
    ``integer_columns`` (counts such as households) are written as whole numbers (GeoPackage and
    Shapefile Integer fields), an empty cell staying empty. A GeoPackage (version 1.2) holds one
    table per kind of geometry (:func:`kind_tables`; ``geometry_types``: those the layer accepts).
    """
    path = Path(path)
    kind = detect_format(path, fmt)
    if path.name.lower().endswith(".zip") and kind != "shp":  # GDAL failed half-way, leaving a 22-byte file (review)
        raise InputError(msg.text("io_formats.zip_holds_shapefile", format=kind, suffix=f".{kind}"), field="format")
    encoding = export_encoding(encoding)
    out = _export_frame(frame, crs)
    if kind in ("csv", "xlsx"):
        table = formula_safe(_whole_numbers(pd.DataFrame(out.drop(columns=out.geometry.name)), integer_columns))
        if len(out) and (out.geom_type == "Point").all():
            table["lon"] = out.geometry.x
            table["lat"] = out.geometry.y
        else:
            table["wkt"] = shapely.to_wkt(np.asarray(out.geometry.values, dtype=object), rounding_precision=9)
            if kind == "xlsx" and table["wkt"].str.len().max() > XLSX_CELL_LIMIT:
                    raise InputError(msg.text("io.xlsx_cell", limit=XLSX_CELL_LIMIT), field="format")
        if kind == "csv":
            _check_encodable(table, encoding, first_row=2)  # the row a spreadsheet shows it on
            table.to_csv(path, index=False, lineterminator="\r\n",  # RFC 4180: a CR gets quoted
                         encoding="utf-8-sig" if encoding == "UTF-8" else _WRITE_CODEC[encoding])
        else:
            table.to_excel(path, index=False)
        return path
    if kind == "gpkg":
        _write_geopackage(_whole_numbers(out, integer_columns), path, layer_name=layer_name,
                          geometry_types=geometry_types)
        return path
    options: dict[str, object] = {}
    if kind == "geojson":  # a text that looks like JSON ('{"x":1}', '[1,2]') stays text, as stored and re-imported
        options["layer_options"] = {"AUTODETECT_JSON_STRINGS": "NO"}
    if kind == "shp":
        kinds = geometry_kinds([str(t) for t in out.geom_type.dropna().unique()])
        if len(kinds) > 1:
            raise InputError(msg.text("io_formats.shapefile_kinds", layer=layer_name, kinds=", ".join(kinds)),
                             field="format")
        out = _whole_numbers(out, integer_columns)
        options["encoding"] = encoding
        _check_shapefile_texts(pd.DataFrame(out.drop(columns=out.geometry.name)), encoding)  # named as stored
        # Shapefile field names hold 10 characters; the importer maps them back.
        out = out.rename(columns=_shapefile_names(list(out.columns)))
        _check_encodable(pd.DataFrame(out.drop(columns=out.geometry.name)), encoding)
    driver = {"geojson": "GeoJSON", "shp": "ESRI Shapefile"}[kind]
    if kind == "shp" and path.name.lower().endswith(".zip"):
        _write_zipped_shapefile(out, path, stem_if_none=layer_name, **options)
    else:
        pyogrio.write_dataframe(out, path, driver=driver, **options)
    return path


_EXPORT_FOLDER_PREFIX = ".xincheng-export-"
_EXPORT_FOLDER_NAME = re.compile(re.escape(_EXPORT_FOLDER_PREFIX) + r"[a-z0-9_]{8}")  # as tempfile.mkdtemp names it
ABANDONED_EXPORT_AGE_S = 24 * 3600  # older than any export still running: a killed export's leftovers


def _remove_abandoned_exports(folder: Path, *, now_s: float | None = None) -> None:
    """Remove the working folders of zipped Shapefile exports into ``folder`` that a killed process left: only a
    folder named as :func:`_write_zipped_shapefile` names them (the prefix and tempfile's eight random characters)
    and made as tempfile makes them (this user's, mode 0700), holding nothing but its ``files`` folder of plain
    files and a ``packed.zip``, nothing in it changed for :data:`ABANDONED_EXPORT_AGE_S` (a running export's is
    younger), and all of it removable: anything else, a folder of the user's that shares the prefix included, is
    left as it is."""
    now_s = time.time() if now_s is None else now_s
    try:
        named = [entry for entry in folder.iterdir() if _EXPORT_FOLDER_NAME.fullmatch(entry.name)]
    except OSError:
        return
    for entry in named:
        try:
            parts = _abandoned_export_parts(entry, now_s=now_s)
            for part in parts or ():
                if part.is_dir():
                    part.rmdir()
                else:
                    part.unlink()
        except OSError:
            continue


def _abandoned_export_parts(entry: Path, *, now_s: float) -> list[Path] | None:
    """Return what to remove of ``entry``, deepest first, when it is an abandoned export's working folder (see
    :func:`_remove_abandoned_exports`); else None."""
    if entry.is_symlink() or not entry.is_dir():
        return None
    made = entry.lstat()
    if made.st_uid != os.geteuid() or made.st_mode & 0o777 != 0o700:  # as tempfile made it: ours, private
        return None
    inside = list(entry.iterdir())
    if any(p.name not in ("files", "packed.zip") for p in inside):
        return None
    files_dir = entry / "files"
    files = list(files_dir.iterdir()) if files_dir in inside else []
    if files_dir in inside and (files_dir.is_symlink() or not files_dir.is_dir()):
        return None
    loose = [p for p in inside if p.name == "packed.zip"]
    if any(p.is_symlink() or not p.is_file() for p in (*files, *loose)):
        return None
    everything = [*files, *loose, *([files_dir] if files_dir in inside else []), entry]
    if any(now_s - p.lstat().st_mtime <= ABANDONED_EXPORT_AGE_S for p in everything):
        return None
    holders = {entry, *([files_dir] if files else [])}
    if not all(os.access(h, os.W_OK | os.X_OK) for h in holders) or not os.access(entry.parent, os.W_OK | os.X_OK):
        return None  # removing part of it would leave a half-emptied folder
    return everything


def _write_zipped_shapefile(out: gpd.GeoDataFrame, path: Path, *, stem_if_none: str, **options: object) -> None:
    """Write a Shapefile into the .zip ``path``, its files named after it (``plates.zip``: ``plates.shp``, …).

    GDAL zips a Shapefile only into a name ending in ``.shp.zip`` (``plates.zip`` failed with "is neither a file or
    directory" and left a 22-byte file) and names a Chinese file's members in hex ("0xE80xBE… .shp"). So the
    files are written into a folder beside it, zipped here (names in UTF-8) and moved into place: a failed write
    leaves no file behind (a process killed meanwhile leaves a hidden ``.xincheng-export-…`` folder, removed by
    the next such export into the same folder once it is a day old). A .zip named
    only ``.zip`` or ``.shp.zip`` has its members named after the layer (``stem_if_none``)."""
    name = path.name
    stem = name[: -len(".shp.zip")] if name.lower().endswith(".shp.zip") else name[: -len(".zip")]
    stem = stem or stem_if_none
    _remove_abandoned_exports(path.parent)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=_EXPORT_FOLDER_PREFIX) as folder:
        files = Path(folder) / "files"  # the archive is written outside it: "packed.zip" packs no copy of itself
        files.mkdir()
        pyogrio.write_dataframe(out, files / f"{stem}.shp", driver="ESRI Shapefile", **options)
        if not (files / f"{stem}.shp").is_file():  # never an archive of nothing under a message that it was written
            raise InputError(msg.text("io_formats.zip_one_shp", count=0), field="file")
        packed = Path(folder) / "packed.zip"
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(files.iterdir()):
                archive.write(part, part.name)
        os.replace(packed, path)


def _check_shapefile_texts(table: pd.DataFrame, encoding: str) -> None:
    """Refuse, naming the record and field, a text longer than a DBF field holds in ``encoding``: GDAL cut it
    silently (a 300-character description came back as 84 characters, and an upsert of the file stored that)."""
    codec = _WRITE_CODEC[encoding]
    most_bytes_per_char = 4 if codec in ("utf-8", "gb18030") else 2  # a text this short fits without encoding it
    for col in table.columns:
        values = table[col].tolist()
        for i, value in enumerate(values):
            if not isinstance(value, str) or len(value) * most_bytes_per_char <= DBF_TEXT_BYTES:
                continue
            size = len(value.encode(codec, errors="replace"))  # an unencodable character: _check_encodable
            if size > DBF_TEXT_BYTES:
                rid = table["id"].iloc[i] if "id" in table.columns else None
                record = msg.Term(f"（id {rid}）", f" (id {rid})") if rid is not None else ""
                raise InputError(msg.text("io_formats.shapefile_text", limit=DBF_TEXT_BYTES, row=i + 1, record=record,
                                          field=col, size=size, encoding=encoding), field="format")


def _write_geopackage(out: gpd.GeoDataFrame, path: Path, *, layer_name: str, geometry_types: Sequence[str]) -> None:
    """Write ``out`` as GeoPackage 1.2 tables, one per kind of geometry (:func:`kind_tables`), each
    declaring its one geometry type; a file already at ``path`` is replaced, not added to."""
    path.unlink(missing_ok=True)
    for table, kind, rows in kind_tables(out, layer_name=layer_name, geometry_types=geometry_types):
        pyogrio.write_dataframe(rows, path, driver="GPKG", layer=table, geometry_type=KIND_WRITTEN_AS[kind],
                                dataset_options={"VERSION": GPKG_VERSION}, promote_to_multi=False)
