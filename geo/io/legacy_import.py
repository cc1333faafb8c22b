"""Import legacy survey results (Beijing 1954 / Xi'an 1980 Gauss–Krüger) as CGCS2000 markers and lines.

A marker table (界桩成果表, CSV or XLSX: 点号, X(北), Y(东), H(高程), 界线编码 …; survey tables put X =
northing and Y = easting) or a point/line file (GeoPackage, Shapefile, GeoJSON in the legacy grid) is
read, its grid (datum, zone width, zone) resolved (:func:`geo.legacy_crs.resolve_grid`), converted
to EPSG:4490 with the parameters the user supplies or estimates from common points
(:mod:`geo.legacy_crs`), and stored through the service's own write paths, so nothing skips a check:

* markers through :func:`geo.boundaries.markers.add_marker` (BM-04 records, a position within 1 km of
  its line, numbering, managing side), all rows in one transaction: one refused row stores none;
  each marker keeps ``elevation_m`` and ``coordinate_source`` (the grid, the method, the residual RMS);
* lines through :func:`geo.io.importer.import_frame`, the same validation, identity and rule checks
  as ``xincheng import``.

Without parameters an import is refused unless the caller accepts the nominal datum change, which
is recorded in every ``coordinate_source`` and reported as a warning (tens of metres off).
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import legacy_crs as LC
from geo.errors import Conflict, DomainError, InputError
from geo.io.formats import (
    _GDAL_ERRORS,
    MAX_XLSX_UNZIPPED_BYTES,
    _check_zip,
    _decode,
    _decodes,
    _read_geojson,
    _read_geopackage,
    _read_shapefile,
    check_geopackage_holds_only_tables,
    detect_format,
    import_encoding,
    public_message,
    shown_name,
)
from geo.messages import FileRows, Term, at_row, file_row, label, labels, quoted, text
from geo.spreadsheet import formula_unsafe
from geo.spreadsheet_rows import read_csv_rows, read_xlsx_rows
from geo.store import Store
from geo.validation import outside_china

Progress = Callable[[int], None]
LAYERS = ("boundary_markers", "boundary_lines")
MIN_ELEVATION_M, MAX_ELEVATION_M = -200.0, 9_000.0
# BM-04: a marker registered within this distance of an active marker is the same marker imported twice.
MIN_MARKER_GAP_M = 0.5
# The names survey tables give their columns (compared without spaces, brackets' content kept, case ignored).
MARKER_COLUMNS: dict[str, tuple[str, ...]] = {
    "marker_no": ("marker_no", "点号", "点名", "桩号", "界桩号", "界桩编号"),
    "x_north": ("x_north", "x", "x(北)", "x(n)", "北坐标", "x坐标", "纵坐标", "north", "northing"),
    "y_east": ("y_east", "y", "y(东)", "y(e)", "东坐标", "y坐标", "横坐标", "east", "easting"),
    "elevation_m": ("elevation_m", "h", "h(高程)", "高程", "高程(m)", "高程(米)", "z"),
    "line_code": ("line_code", "界线编码", "界线代码", "界线"),
    "marker_type": ("marker_type", "界桩类型"),
    "type_code": ("type_code", "类型码"),
    "material": ("material", "材质"),
    "managing_adcode": ("managing_adcode", "管理方", "管理方代码"),
    "installed_on": ("installed_on", "埋设日期"),
}
COMMON_COLUMNS: dict[str, tuple[str, ...]] = {
    "point": ("point", "点号", "点名", "marker_no"),
    "x_old": ("x_old", "旧x", "x54", "x80", "x(1954)", "x(1980)", "x_1954", "x_1980"),
    "y_old": ("y_old", "旧y", "y54", "y80", "y(1954)", "y(1980)", "y_1954", "y_1980"),
    "x_new": ("x_new", "新x", "x2000", "x(2000)", "x_2000", "x_cgcs2000"),
    "y_new": ("y_new", "新y", "y2000", "y(2000)", "y_2000", "y_cgcs2000"),
    "lon": ("lon", "经度", "longitude"),
    "lat": ("lat", "纬度", "latitude"),
}
_TYPE_KIND = {"Q": "single", "A": "paired", "B": "paired", "C": "triple", "D": "triple", "E": "triple"}


def _key(name: object) -> str:
    """Return a column name as compared: no spaces, ASCII brackets, lower case."""
    return re.sub(r"\s+", "", str(name)).replace("（", "(").replace("）", ")").lower()


def _columns(frame: pd.DataFrame, names: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Return, per field, the frame's column that holds it (first match of its accepted names)."""
    keyed = {_key(c): c for c in frame.columns}
    found = {}
    for name, accepted in names.items():
        column = next((keyed[_key(a)] for a in accepted if _key(a) in keyed), None)
        if column is not None:
            found[name] = column
    return found


def _missing(found: Mapping[str, str], wanted: Sequence[str], names: Mapping[str, tuple[str, ...]],
             shown: str) -> None:
    absent = [w for w in wanted if w not in found]
    if absent:
        accepted = "; ".join(f"{w}: {', '.join(names[w])}" for w in absent)
        raise InputError(text("legacy_crs.missing_columns", name=quoted(shown), columns=labels(absent),
                              accepted=accepted), field=absent[0])


def read_table(path: Path | str, *, encoding: str | None = None, name: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Return a CSV or XLSX table as text cells (None for blanks) and what was assumed, with ``file_rows``: each
    record's row as a spreadsheet shows it (:mod:`geo.spreadsheet_rows`; blank rows are skipped).

    A CSV without a stated encoding is read as UTF-8 (byte-order mark or not), else as GB 18030
    when it decodes so (survey tables saved by Excel on Chinese Windows).
    """
    path = Path(path)
    shown = shown_name(path, name)
    kind = detect_format(path)
    if not path.exists():
        raise InputError(text("io_formats.no_file", name=quoted(shown)), field="file")
    if kind == "csv":
        raw = path.read_bytes()
        used = import_encoding(encoding) if encoding else (
            "UTF-8" if _decodes(raw, "utf-8-sig") or not _decodes(raw, "gb18030") else "GB18030")
        body = _decode(raw, used, what=("CSV 文件", "the CSV file"))
        try:
            frame, file_rows = read_csv_rows(body)
        except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
            if isinstance(exc, pd.errors.EmptyDataError):
                raise InputError(text("legacy_crs.empty_file", name=quoted(shown)), field="file") from None
            raise InputError(text("legacy_crs.read_failed", name=quoted(shown), problem=str(exc).splitlines()[0]),
                             field="file") from None
    elif kind == "xlsx":
        used = "UTF-8"
        try:
            with zipfile.ZipFile(path) as zf:
                _check_zip(zf.infolist(), MAX_XLSX_UNZIPPED_BYTES)
            frame, file_rows = read_xlsx_rows(path, name=shown)
        except (ValueError, zipfile.BadZipFile, KeyError, IndexError) as exc:
            raise InputError(text("legacy_crs.read_failed", name=quoted(shown),
                                  problem=public_message(str(exc), path, shown)), field="file") from None
    else:
        raise InputError(text("legacy_crs.format", name=quoted(shown)), field="file")
    frame = formula_unsafe(frame.replace({"": None}))
    if frame.empty:
        raise InputError(text("legacy_crs.empty_file", name=quoted(shown)), field="file")
    return frame, {"format": kind, "encoding": used, "file_rows": file_rows}


def _numbers(values: Sequence[Any], field_name: str, *, required: bool = True, rows: FileRows = 1) -> np.ndarray:
    """Return a column as floats; a blank (when allowed) is NaN; anything else names its file row (``rows``)."""
    out = np.full(len(values), np.nan)
    for i, value in enumerate(values):
        blank = (value is None or (isinstance(value, float) and math.isnan(value))
                 or (isinstance(value, str) and not value.strip()))
        if blank and not required:
            continue
        try:
            number = float(str(value).strip().replace(",", "")) if not blank else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise InputError(text("legacy_crs.not_number", row=file_row(rows, i), field=label(field_name),
                                  value=repr(value)),
                             field=field_name)
        out[i] = number
    return out


@dataclass
class Conversion:
    """How legacy coordinates become CGCS2000: the parameters, and where they came from."""

    params: LC.Parameters | None
    origin: str  # supplied | estimated | nominal
    fit: LC.Fit | None = None

    @property
    def nominal(self) -> bool:
        return self.params is None

    def method(self) -> str:
        if self.params is None:
            return text("legacy_crs.source_nominal")
        return self.params.describe()

    def how(self) -> str:
        if self.origin == "estimated" and self.fit is not None:
            return text("legacy_crs.source_estimated", n=len(self.fit.point_ids), rms=f"{self.fit.rms_m:.3f}")
        if self.origin == "nominal":
            return text("legacy_crs.source_nominal")
        return text("legacy_crs.source_user")

    def coordinate_source(self, grid: LC.GaussKruger) -> str:
        """Return what a converted record remembers of its conversion (boundary_markers.coordinate_source)."""
        method = self.method()
        if self.params is None:
            return text("legacy_crs.coordinate_source", grid=_term(grid.describe()), method=_term(method),
                        how=f"EPSG:{grid.epsg} → EPSG:4490")
        return text("legacy_crs.coordinate_source", grid=_term(grid.describe()), method=_term(method),
                    how=_term(self.how()))


def _term(message: str) -> Term:
    zh, _, en = message.partition(" · ")
    return Term(zh, en or zh)


def load_parameters(path: Path | str, *, system: str | None = None) -> LC.Parameters:
    """Return the parameter set a JSON file holds (:func:`save_parameters` writes one); a set saved for
    another datum is refused."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(text("legacy_crs.params_file", name=quoted(path.name), problem=str(exc).splitlines()[0]),
                         field="params") from None
    params = LC.parameters_from_dict(data, field="params")
    saved_for = data.get("system") if isinstance(data, Mapping) else None
    if system is not None and saved_for is not None and (
            LC.normalise_system(str(saved_for)) != LC.normalise_system(system)):
        raise InputError(text("legacy_crs.params_for_system", name=quoted(path.name), field=label("params"),
                              saved=str(saved_for), system=LC.normalise_system(system)), field="params")
    return params


def save_parameters(path: Path | str, fit: LC.Fit, grid: LC.GaussKruger) -> None:
    """Write an estimated set with the datum and grid it is for and its residuals, reusable by --params."""
    body = {**LC.parameters_to_dict(fit.params), "system": grid.system, "zone_width_deg": grid.zone_width_deg,
            "central_meridian_deg_of_fit": grid.central_meridian_deg, "fit": fit.summary()}
    Path(path).write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")


def estimate_parameters(path: Path | str, *, system: str, zone_width_deg: int, zone: int | None = None,
                        kind: str = "plane4", tolerance_m: float = LC.DEFAULT_TOLERANCE_M,
                        convention: str = "position_vector", encoding: str | None = None,
                        name: str | None = None) -> tuple[LC.GaussKruger, LC.Fit]:
    """Fit a parameter set from a common-points table; return the grid and the fit (refused above tolerance).

    Columns: a point name, the legacy X (north) and Y (east) (``x_old``, ``y_old``), and the same points in
    CGCS2000, either on the CGCS2000 grid of the same zone (``x_new``, ``y_new``) or as ``lon``/``lat``.
    """
    shown = shown_name(Path(path), name)
    frame, info = read_table(path, encoding=encoding, name=shown)
    rows = info["file_rows"]
    found = _columns(frame, COMMON_COLUMNS)
    _missing(found, ("x_old", "y_old"), COMMON_COLUMNS, shown)
    north = _numbers(frame[found["x_old"]].tolist(), "x_old", rows=rows)
    east = _numbers(frame[found["y_old"]].tolist(), "y_old", rows=rows)
    grid = LC.resolve_grid(system, zone_width_deg, north, east, zone=zone, north_field="x_old", east_field="y_old",
                           rows=rows)
    if "x_new" in found and "y_new" in found:
        north2 = _numbers(frame[found["x_new"]].tolist(), "x_new", rows=rows)
        east2 = _numbers(frame[found["y_new"]].tolist(), "y_new", rows=rows)
        LC.resolve_grid(system, zone_width_deg, north2, east2, zone=grid.zone, north_field="x_new",
                        east_field="y_new", rows=rows)  # the same checks: swapped axes, zone number
        local2 = np.where(east2 >= LC.ZONE_PREFIX_M, east2 - grid.zone * LC.ZONE_PREFIX_M, east2)
        lon, lat = LC.cgcs2000_from_grid(grid, north2, local2)
    elif "lon" in found and "lat" in found:
        lon = _numbers(frame[found["lon"]].tolist(), "lon", rows=rows)
        lat = _numbers(frame[found["lat"]].tolist(), "lat", rows=rows)
    else:
        raise InputError(text("legacy_crs.new_coordinates", name=quoted(shown)), field="x_new")
    ids = ([str(v) for v in frame[found["point"]].tolist()] if "point" in found
           else [str(row) for row in rows])
    if kind == "plane4":
        return grid, LC.estimate_plane4(grid, north, east, lon, lat, point_ids=ids, tolerance_m=tolerance_m)
    if kind == "helmert7":
        return grid, LC.estimate_helmert7(grid, north, east, lon, lat, point_ids=ids, tolerance_m=tolerance_m,
                                          convention=convention)
    raise InputError(text("legacy_crs.param_kind", field=label("kind"), value=repr(kind)), field="kind")


@dataclass
class LegacyImportReport:
    """What a legacy import did: the grid, the conversion, and the records stored."""

    layer: str
    imported: int
    ids: list[int]
    grid: str
    epsg: int
    coordinate_source: str
    nominal: bool
    fit: dict[str, Any] | None
    format: str
    encoding: str
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    positions: list[tuple[float, float]] = field(default_factory=list, repr=False)  # CGCS2000 lon, lat per row

    def summary(self) -> dict[str, Any]:
        """Return the report as JSON-safe data."""
        return {"layer": self.layer, "imported": self.imported, "ids": self.ids, "grid": self.grid,
                "source_epsg": self.epsg, "coordinate_source": self.coordinate_source, "nominal": self.nominal,
                "fit": self.fit, "format": self.format, "encoding": self.encoding, "dry_run": self.dry_run,
                "warnings": self.warnings}


class _DryRun(Exception):
    """Raised inside the write transaction of a dry run: every check ran, nothing is kept."""


def _read_geo(path: Path, *, encoding: str | None, shown: str) -> tuple[gpd.GeoDataFrame, dict]:
    kind = detect_format(path)
    if not path.exists():
        raise InputError(text("io_formats.no_file", name=quoted(shown)), field="file")
    used = import_encoding(encoding) if encoding else "UTF-8"
    if kind == "geojson":
        frame = _read_geojson(path, encoding)
    elif kind == "gpkg":
        check_geopackage_holds_only_tables(path, shown=shown)
        try:
            frame, _ = _read_geopackage(path)  # a legacy survey is one table; rows from 1
        except _GDAL_ERRORS as exc:
            raise InputError(text("legacy_crs.read_failed", name=quoted(shown),
                                  problem=public_message(str(exc), path, shown)), field="file") from None
    elif kind == "shp":
        frame, used = _read_shapefile(path, encoding, shown=shown)
    else:
        raise InputError(text("legacy_crs.format", name=quoted(shown)), field="file")
    if not isinstance(frame, gpd.GeoDataFrame) or frame.empty:
        raise InputError(text("legacy_crs.empty_file", name=quoted(shown)), field="file")
    return frame, {"format": kind, "encoding": used}


def _check_declared(frame: gpd.GeoDataFrame, grid: LC.GaussKruger, shown: str) -> None:
    """Refuse a file whose declared CRS is an EPSG grid other than the chosen one."""
    if frame.crs is None:
        return
    declared = frame.crs.to_epsg()
    if declared is not None and declared != grid.epsg:
        raise InputError(text("legacy_crs.declared_crs", name=quoted(shown), declared=f"EPSG:{declared}",
                              grid=f"EPSG:{grid.epsg}"), field="system")


def _convert_geoms(geoms: np.ndarray, grid: LC.GaussKruger, conversion: Conversion, *,
                   accept_nominal: bool) -> np.ndarray:
    """Return geometries with every vertex (x = easting, y = northing) converted to CGCS2000 lon/lat."""
    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = LC.to_cgcs2000(grid, xy[:, 1], xy[:, 0], params=conversion.params, accept_nominal=accept_nominal)
        return np.column_stack([lon, lat])
    return shapely.transform(geoms, convert)


def _refuse_outside_china(geoms: np.ndarray, *, rows: FileRows = 1) -> None:
    """Refuse converted positions outside CGCS2000's area of use (CRS-01): a wrong zone or datum."""
    far = outside_china(np.asarray(geoms, dtype=object))
    if far:
        raise InputError(text("legacy_crs.outside_china", row=file_row(rows, far[0])), field="geometry")


def _marker_number(row: int, number: str, line_code: str) -> tuple[int, str]:
    """Return the sequence and type code a marker number carries (``XH01003Q`` → 3, ``Q``)."""
    rest = number[len(line_code):] if number.startswith(line_code) else ""
    if len(rest) >= 4 and rest[:3].isdigit() and rest[3:] in _TYPE_KIND:
        return int(rest[:3]), rest[3:]
    raise InputError(text("legacy_crs.marker_number", row=row, field=label("marker_no"), value=repr(number),
                          line=line_code), field="marker_no")


def _cell(value: Any) -> Any:
    """Return a cell as the marker registry takes it: text stripped, blanks None, whole numbers as text
    (a GeoJSON ``managing_adcode`` 150102 is the code "150102")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return str(int(value))
    return value.strip() if isinstance(value, str) else value


def _active_markers_m(store: Store) -> tuple[list[str], np.ndarray]:
    """Return the registered active markers' numbers and EPSG:4546 positions (x, y in metres)."""
    from geo import crs as C

    stored = [m for m in store.select("boundary_markers", where={"status": "active"}) if m.get("geometry") is not None]
    if not stored:
        return [], np.empty((0, 2))
    metric = C.to_metric(np.array([m["geometry"] for m in stored], dtype=object))
    return [str(m["marker_no"]) for m in stored], shapely.get_coordinates(metric)


def _refuse_registered_numbers(store: Store, attributes: pd.DataFrame, *, rows: FileRows = 1) -> None:
    """Refuse a row whose marker number is registered already (the table imported before): a usage error
    naming the row, checked by a dry run too. A number taken meanwhile is refused by the registry."""
    if "marker_no" not in attributes.columns:
        return
    for i, value in enumerate(attributes["marker_no"].tolist()):
        row = file_row(rows, i)
        number = _cell(value)
        if number in (None, ""):
            continue
        taken = store.select("boundary_markers", where={"marker_no": str(number)})
        if taken:
            raise InputError(text("legacy_crs.marker_exists", row=row, field=label("marker_no"),
                                  value=repr(str(number)), id=taken[0]["id"]), field="marker_no")


def _refuse_close_markers(store: Store, points: np.ndarray, *, rows: FileRows = 1) -> None:
    """Refuse a marker within :data:`MIN_MARKER_GAP_M` of a registered active marker or of an earlier row
    (BM-04: one marker per position; the same table imported twice under new numbers is caught here)."""
    from geo import crs as C

    mine = shapely.get_coordinates(C.to_metric(points))
    numbers, theirs = _active_markers_m(store)
    limit = f"{MIN_MARKER_GAP_M:g}"
    for i, (x, y) in enumerate(mine):
        if len(theirs):
            gaps = np.hypot(theirs[:, 0] - x, theirs[:, 1] - y)
            j = int(np.argmin(gaps))
            if gaps[j] < MIN_MARKER_GAP_M:
                raise InputError(text("legacy_crs.marker_too_close", row=file_row(rows, i), other=numbers[j],
                                      gap=f"{gaps[j]:.3f}", limit=limit), field="geometry")
        if i:
            gaps = np.hypot(mine[:i, 0] - x, mine[:i, 1] - y)
            j = int(np.argmin(gaps))
            if gaps[j] < MIN_MARKER_GAP_M:
                raise InputError(text("legacy_crs.marker_too_close_in_file", row=file_row(rows, i),
                                      other=file_row(rows, j),
                                      gap=f"{gaps[j]:.3f}", limit=limit), field="geometry")


def _manager_column(attributes: pd.DataFrame, managing_adcode: str | None, shown: str, *, rows: FileRows = 1
                    ) -> None:
    """Give every row a managing side (BM-03: only the managing side records a repair), from the table's
    管理方 column or ``managing_adcode``; a table with neither, or a blank row without the default, is refused.
    Whether it is one side of the row's line is checked by the marker registry (add_marker)."""
    default = str(managing_adcode).strip() if managing_adcode is not None and str(managing_adcode).strip() else None
    if "managing_adcode" not in attributes.columns:
        if default is None:
            raise InputError(text("legacy_crs.manager_needed", name=quoted(shown), field=label("managing_adcode"),
                                  accepted=", ".join(MARKER_COLUMNS["managing_adcode"])), field="managing_adcode")
        attributes["managing_adcode"] = default
        return
    values = [_cell(v) for v in attributes["managing_adcode"].tolist()]
    for i, value in enumerate(values):
        if value in (None, "") and default is None:
            raise InputError(text("legacy_crs.manager_blank", row=file_row(rows, i), field=label("managing_adcode")),
                             field="managing_adcode")
    attributes["managing_adcode"] = [default if v in (None, "") else v for v in values]


def import_legacy(store: Store, path: Path | str, *, layer: str, system: str, zone_width_deg: int,
                  zone: int | None = None, conversion: Conversion, records: Mapping[str, str] | None = None,
                  actor: str, name: str | None = None, encoding: str | None = None, dry_run: bool = False,
                  progress: Progress | None = None, managing_adcode: str | None = None) -> LegacyImportReport:
    """Convert a legacy survey file to CGCS2000 and store it through the layer's write path, all or nothing.

    ``layer`` boundary_markers: a CSV/XLSX table (X north, Y east, H) or a point file; each row is
    registered by :func:`geo.boundaries.markers.add_marker` with ``records`` (the BM-04 agreement_doc,
    survey_ref, filed_with, reason) inside one transaction. ``layer`` boundary_lines: a line file,
    stored by :func:`geo.io.importer.import_frame`. ``dry_run`` runs every check (markers: inside the
    transaction, then rolled back; lines: the file's checks and those against the stored lines) and
    stores nothing. Every marker needs a managing side (BM-03): the table's 管理方 column, or
    ``managing_adcode`` for rows without one. A marker number already registered, or a position within
    :data:`MIN_MARKER_GAP_M` of an active marker, is refused (the same table imported twice).
    """
    if layer not in LAYERS:
        raise InputError(text("legacy_crs.layer", field=label("layer"), value=repr(layer)), field="layer")
    path = Path(path)
    shown = shown_name(path, name)
    accept_nominal = conversion.params is None and conversion.origin == "nominal"
    if conversion.params is None and not accept_nominal:
        raise InputError(text("legacy_crs.no_params", field=label("params")), field="params")
    kind = detect_format(path)
    if layer == "boundary_lines":
        return _import_lines(store, path, shown=shown, system=system, zone_width_deg=zone_width_deg, zone=zone,
                             conversion=conversion, accept_nominal=accept_nominal, actor=actor, encoding=encoding,
                             dry_run=dry_run, progress=progress)
    if kind in ("csv", "xlsx"):
        frame, info = read_table(path, encoding=encoding, name=shown)
        rows = info["file_rows"]
        found = _columns(frame, MARKER_COLUMNS)
        _missing(found, ("x_north", "y_east"), MARKER_COLUMNS, shown)
        north = _numbers(frame[found["x_north"]].tolist(), "x_north", rows=rows)
        east = _numbers(frame[found["y_east"]].tolist(), "y_east", rows=rows)
        elevation = (_numbers(frame[found["elevation_m"]].tolist(), "elevation_m", required=False, rows=rows)
                     if "elevation_m" in found else np.full(len(frame), np.nan))
        attributes = pd.DataFrame({k: frame[c].tolist() for k, c in found.items()
                                   if k not in ("x_north", "y_east", "elevation_m")}, index=range(len(frame)))
    else:
        geo_frame, info = _read_geo(path, encoding=encoding, shown=shown)
        rows = list(range(1, len(geo_frame) + 1))  # a GIS format's features count from 1
        geoms = np.asarray(geo_frame.geometry.values, dtype=object)
        for i, g in enumerate(geoms):
            if g is None or g.geom_type != "Point":
                raise InputError(text("legacy_crs.geometry_kind", row=i + 1, kind=getattr(g, "geom_type", None)),
                                 field="geometry")
        coords = shapely.get_coordinates(geoms, include_z=True)
        east, north = coords[:, 0], coords[:, 1]
        plain = pd.DataFrame(geo_frame.drop(columns=geo_frame.geometry.name))
        found = _columns(plain, MARKER_COLUMNS)
        elevation = (_numbers(plain[found["elevation_m"]].tolist(), "elevation_m", required=False)
                     if "elevation_m" in found else coords[:, 2])  # a 3D point's z, NaN without one
        attributes = pd.DataFrame({k: plain[c].tolist() for k, c in found.items()
                                   if k not in ("x_north", "y_east", "elevation_m")}, index=range(len(plain)))
    _manager_column(attributes, managing_adcode, shown, rows=rows)
    for i, h in enumerate(elevation):
        if not math.isnan(h) and not MIN_ELEVATION_M <= h <= MAX_ELEVATION_M:
            raise InputError(text("legacy_crs.elevation_range", row=file_row(rows, i), field=label("elevation_m"),
                                  value=f"{h:g}"),
                             field="elevation_m")
    grid = LC.resolve_grid(system, zone_width_deg, north, east, zone=zone, rows=rows)
    lon, lat = LC.to_cgcs2000(grid, north, east, params=conversion.params, accept_nominal=accept_nominal)
    points = np.asarray(shapely.points(np.column_stack([lon, lat])), dtype=object)
    _refuse_outside_china(points, rows=rows)
    _refuse_registered_numbers(store, attributes, rows=rows)
    _refuse_close_markers(store, points, rows=rows)
    source = conversion.coordinate_source(grid)
    line_codes = sorted((r["line_code"] for r in store.select("boundary_lines")), key=len, reverse=True)
    ids: list[int] = []
    try:
        with store.writing() as conn:
            from geo.boundaries.markers import add_marker

            for i in range(len(points)):
                row = file_row(rows, i)
                data: dict[str, Any] = ({str(k): _cell(v) for k, v in attributes.iloc[i].items()}
                                        if len(attributes.columns) else {})
                number = data.pop("marker_no", None)
                line_code = data.get("line_code") or next(
                    (c for c in line_codes if number and str(number).startswith(c)), None)
                if not line_code:
                    raise InputError(text("legacy_crs.line_needed", row=row, field=label("line_code")),
                                     field="line_code")
                data["line_code"] = line_code
                if number:
                    seq, type_code = _marker_number(row, str(number), str(line_code))
                    if not data.get("type_code"):
                        data["type_code"] = type_code
                    data["seq"] = seq
                    if not data.get("marker_type"):
                        data["marker_type"] = _TYPE_KIND[type_code]
                data = {k: v for k, v in data.items() if v is not None}
                data.update(records or {})
                data["coordinate_source"] = source
                if not math.isnan(elevation[i]):
                    data["elevation_m"] = float(elevation[i])
                try:
                    stored = add_marker(store, data, points[i], actor=actor, conn=conn)
                except DomainError as exc:
                    # a marker number taken meanwhile (a 409 in the registry) is, for a survey table, a
                    # refused row like any other: the table is the caller's input
                    refused = InputError if isinstance(exc, Conflict) and exc.field == "marker_no" else type(exc)
                    raise refused(at_row(exc.message, row), field=exc.field, details=exc.details) from None
                if number and stored["marker_no"] != str(number):
                    raise InputError(text("legacy_crs.marker_number", row=row, field=label("marker_no"),
                                          value=repr(number), line=line_code), field="marker_no")
                ids.append(int(stored["id"]))
                if progress:
                    progress(1)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return _report("boundary_markers", [] if dry_run else ids, grid, conversion, source, info, dry_run,
                   count=len(points), positions=list(zip(lon.tolist(), lat.tolist(), strict=True)))


def _report(layer: str, ids: list[int], grid: LC.GaussKruger, conversion: Conversion, source: str,
            info: Mapping[str, Any], dry_run: bool, *, count: int,
            positions: list[tuple[float, float]]) -> LegacyImportReport:
    warnings = [text("legacy_crs.nominal_warning")] if conversion.nominal else []
    return LegacyImportReport(layer=layer, imported=0 if dry_run else count, ids=ids, grid=grid.describe(),
                              epsg=grid.epsg, coordinate_source=source, nominal=conversion.nominal,
                              fit=conversion.fit.summary() if conversion.fit else None, format=str(info["format"]),
                              encoding=str(info["encoding"]), dry_run=dry_run, warnings=warnings,
                              positions=positions)


def _lengths_m(geoms: np.ndarray) -> list[float]:
    """Return each CGCS2000 line's length in metres, measured on EPSG:4546 (boundary_lines.length_m)."""
    from geo import crs as C

    return [round(float(v), 3) for v in shapely.length(C.to_metric(np.asarray(geoms, dtype=object)))]


def _refuse_stored_lines(store: Store, frame: pd.DataFrame) -> None:
    """Refuse a line whose code is registered, or whose two sides (either order) are those of a registered
    line or of an earlier row: a legacy import adds lines; replacing one goes through ``xincheng import
    --mode upsert``. Run before a dry run too, so a dry run that passes is an import that passes."""
    stored = store.select("boundary_lines")
    codes = {str(r["line_code"]) for r in stored}
    pairs = {frozenset((str(r.get("left_adcode")), str(r.get("right_adcode")))): str(r["line_code"]) for r in stored
             if r.get("left_adcode") and r.get("right_adcode")}
    seen: dict[frozenset[str], int] = {}
    columns = set(frame.columns)
    for i, raw in enumerate(frame.to_dict("records")):
        row = i + 1
        code = _cell(raw.get("line_code")) if "line_code" in columns else None
        if code is not None and str(code) in codes:
            raise InputError(text("legacy_crs.line_exists", row=row, field=label("line_code"), value=repr(str(code))),
                             field="line_code")
        left = _cell(raw.get("left_adcode")) if "left_adcode" in columns else None
        right = _cell(raw.get("right_adcode")) if "right_adcode" in columns else None
        if left in (None, "") or right in (None, ""):
            continue  # the import's own checks name a missing side
        pair = frozenset((str(left), str(right)))
        sides = labels(("left_adcode", "right_adcode"))
        if pair in pairs:
            raise InputError(text("legacy_crs.line_pair_exists", row=row, field=sides, left=left, right=right,
                                  other=pairs[pair]), field="left_adcode")
        if pair in seen:
            raise InputError(text("legacy_crs.line_pair_in_file", row=row, field=sides, left=left, right=right,
                                  other=seen[pair]), field="left_adcode")
        seen[pair] = row


def _import_lines(store: Store, path: Path, *, shown: str, system: str, zone_width_deg: int, zone: int | None,
                  conversion: Conversion, accept_nominal: bool, actor: str, encoding: str | None, dry_run: bool,
                  progress: Progress | None) -> LegacyImportReport:
    """Convert a legacy line file and store it through :func:`geo.io.importer.import_frame`."""
    from geo.io.importer import import_frame, prepare_records

    frame, info = _read_geo(path, encoding=encoding, shown=shown)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    for i, g in enumerate(geoms):
        if g is None or g.geom_type not in ("LineString", "MultiLineString"):
            raise InputError(text("legacy_crs.geometry_kind", row=i + 1, kind=getattr(g, "geom_type", None)),
                             field="geometry")
    coords, feature = shapely.get_coordinates(geoms, return_index=True)
    grid = LC.resolve_grid(system, zone_width_deg, coords[:, 1], coords[:, 0], zone=zone,
                           rows=(feature + 1).tolist())  # a vertex is named by its line's feature
    _check_declared(frame, grid, shown)
    converted = _convert_geoms(geoms, grid, conversion, accept_nominal=accept_nominal)
    _refuse_outside_china(converted)
    out = gpd.GeoDataFrame(pd.DataFrame(frame.drop(columns=frame.geometry.name)),
                           geometry=gpd.GeoSeries(list(converted), crs="EPSG:4490"), crs="EPSG:4490")
    out["length_m"] = _lengths_m(converted)
    _refuse_stored_lines(store, out)
    source = conversion.coordinate_source(grid)
    details = {"format": info["format"], "encoding": info["encoding"],
               "source_crs": f"EPSG:{grid.epsg} → EPSG:4490 ({conversion.method()})"}
    if dry_run:
        prepare_records(out, "boundary_lines", source_crs=details["source_crs"])
        return _report("boundary_lines", [], grid, conversion, source, info, True, count=len(out), positions=[])
    report = import_frame(store, "boundary_lines", out, details, actor=actor, name=shown, progress=progress)
    result = _report("boundary_lines", report.ids, grid, conversion, source, info, False, count=report.imported,
                     positions=[])
    result.warnings += report.warnings
    return result
