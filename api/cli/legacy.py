"""``xincheng boundaries import-legacy|estimate-params``: legacy survey results (Beijing 1954 / Xi'an 1980
Gauss–Krüger) into CGCS2000 (界桩成果转换).

Registered on the ``boundaries`` group when this module is imported (one line in :mod:`api.cli`). Heavy
imports (pyproj, geopandas) happen inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from api.cli.boundaries import boundaries
from api.cli.common import (
    CLI_ACTOR,
    Context,
    InputPath,
    InputRefused,
    OutputPath,
    PositiveNumber,
    domain_errors,
    progress_bar,
)
from geo.messages import label, text

SYSTEMS = ("beijing1954", "xian1980")
KINDS = ("plane4", "helmert7")
CONVENTIONS = ("position_vector", "coordinate_frame")


@contextmanager
def _conflicts_as_usage() -> Iterator[None]:
    """Exit 2 (usage) when the import file names records already stored (a Conflict from a write path):
    for import-legacy the file is the caller's input, to be corrected, not a state to retry against.
    (Only this command: the shared :func:`api.cli.common.domain_errors` keeps Conflict at exit 1.)"""
    from geo.errors import Conflict

    try:
        yield
    except Conflict as exc:
        raise InputRefused(exc.message + "".join(f"\n  {d}" for d in exc.details)) from None


def _grid_options(func: Any) -> Any:
    """The options every legacy command takes: the datum, the zone width and the zone."""
    func = click.option("--zone", type=click.IntRange(13, 45), default=None,
                        help="带号（东坐标带带号时可省） · zone number; optional when the eastings carry it "
                             "(Hohhot: 3° zone 37, 6° zone 19).")(func)
    func = click.option("--zone-width", "zone_width", required=True, type=click.Choice(["3", "6"]),
                        help="带宽（度） · zone width in degrees: 3 or 6.")(func)
    func = click.option("--system", required=True, type=click.Choice(SYSTEMS),
                        help="原坐标系 · legacy datum: beijing1954 (北京1954) or xian1980 (西安1980).")(func)
    return func


def _fit_options(func: Any) -> Any:
    """The options of a fit from common points."""
    func = click.option("--convention", default="position_vector", show_default=True, type=click.Choice(CONVENTIONS),
                        help="七参数旋转约定 · rotation convention of a 7-parameter set.")(func)
    func = click.option("--kind", default="plane4", show_default=True, type=click.Choice(KINDS),
                        help="解算参数类型：平面四参数或布尔莎七参数 · fit a 4-parameter plane or a 7-parameter "
                             "Bursa–Wolf set.")(func)
    func = click.option("--tolerance-m", "tolerance_m", type=PositiveNumber(), default=0.1, show_default=True,
                        help="公共点残差限差（米） · refuse a fit with a residual above this (m).")(func)
    return func


def _echo_fit(fit: Any) -> None:
    """Print a fit's parameters and each point's residual (stderr: people read it, scripts read stdout)."""
    click.echo(f"参数 parameters ({fit.params.kind}): " + json.dumps(
        {k: v for k, v in fit.summary()["params"].items() if k != "kind"}, ensure_ascii=False), err=True)
    click.echo("点号 point\t残差 residual m", err=True)
    for point, residual in zip(fit.point_ids, fit.residuals_m, strict=True):
        click.echo(f"{point}\t{residual:.4f}", err=True)
    click.echo(f"RMS {fit.rms_m:.4f} m, 最大 max {fit.max_m:.4f} m, 限差 tolerance {fit.tolerance_m:g} m", err=True)


@boundaries.command("estimate-params")
@click.argument("common_points", type=InputPath(".csv", ".xlsx"))
@_grid_options
@_fit_options
@click.option("--out", type=OutputPath(".json"), default=None,
              help="保存参数（JSON，可用于 --params） · save the parameters as JSON (reusable with --params).")
@click.option("--encoding", default=None, help="文字编码（CSV 默认 UTF-8，否则 GB18030） · CSV encoding.")
def estimate_params(common_points: Path, system: str, zone_width: str, zone: int | None, tolerance_m: float,
                    kind: str, convention: str, out: Path | None, encoding: str | None) -> None:
    """解算转换参数 · Fit conversion parameters from 3 or more common points, with each point's residual.

    The table gives each point's legacy X (north) and Y (east) (x_old, y_old) and its CGCS2000 position
    (x_new, y_new on the CGCS2000 grid of the same zone, or lon, lat). A residual above --tolerance-m
    refuses the fit (exit 2), naming the worst points.
    """
    from geo.io.legacy_import import estimate_parameters, save_parameters

    with domain_errors():
        grid, fit = estimate_parameters(common_points, system=system, zone_width_deg=int(zone_width), zone=zone,
                                        kind=kind, tolerance_m=tolerance_m, convention=convention, encoding=encoding)
        if out is not None:
            save_parameters(out, fit, grid)
    click.echo(f"{grid.describe()}", err=True)
    _echo_fit(fit)
    if out is not None:
        click.echo(f"已保存 saved: {out}", err=True)
    click.echo(json.dumps({"grid": grid.describe(), "source_epsg": grid.epsg, **fit.summary()}, ensure_ascii=False))


@boundaries.command("import-legacy")
@click.argument("path", type=InputPath(".csv", ".xlsx", ".gpkg", ".shp", ".zip", ".geojson", ".json"))
@click.option("--layer", default="boundary_markers", show_default=True,
              type=click.Choice(["boundary_markers", "boundary_lines"]),
              help="图层：界桩成果表或界线文件 · a marker table (CSV/XLSX, or points) or a line file.")
@_grid_options
@click.option("--params", "params_path", type=InputPath(".json"), default=None,
              help="转换参数文件（JSON：helmert7 或 plane4） · parameter file (JSON, helmert7 or plane4).")
@click.option("--common-points", "common_points", type=InputPath(".csv", ".xlsx"), default=None,
              help="公共点表：由此解算参数 · common points to fit the parameters from.")
@_fit_options
@click.option("--save-params", "save_params", type=OutputPath(".json"), default=None,
              help="保存解算的参数 · save the fitted parameters as JSON.")
@click.option("--accept-nominal-datum", "accept_nominal", is_flag=True, default=False,
              help="同意无参数的名义基准转换（可能偏差数十米） · accept a nominal datum change without parameters "
                   "(may be off by tens of metres).")
@click.option("--reason", default=None, help="界桩登记事由（BM-04） · reason for registering the markers.")
@click.option("--agreement-doc", "agreement_doc", default=None, help="双方协议文号（BM-04） · agreement document.")
@click.option("--survey-ref", "survey_ref", default=None, help="联合测量成果编号（BM-04） · joint survey reference.")
@click.option("--filed-with", "filed_with", default=None, help="备案机关（BM-04） · authority it is filed with.")
@click.option("--managing-adcode", "managing_adcode", default=None,
              help="管理方区划代码（BM-03，界线一侧；表中无管理方列或该行为空时使用） · the managing side (one side of "
                   "the line) for rows without a 管理方/managing_adcode value.")
@click.option("--encoding", default=None, help="文字编码 · text encoding (CSV default: UTF-8, else GB18030).")
@click.option("--dry-run", "dry_run", is_flag=True, default=False,
              help="只检查不保存 · run every check, store nothing.")
@click.pass_obj
def import_legacy(obj: Context, path: Path, layer: str, system: str, zone_width: str, zone: int | None,
                  params_path: Path | None, common_points: Path | None, tolerance_m: float, kind: str, convention: str,
                  save_params: Path | None, accept_nominal: bool, reason: str | None, agreement_doc: str | None,
                  survey_ref: str | None, filed_with: str | None, managing_adcode: str | None, encoding: str | None,
                  dry_run: bool) -> None:
    """导入旧坐标系成果 · Import markers or lines surveyed in Beijing 1954 / Xi'an 1980 Gauss–Krüger.

    Give the parameters (--params), or common points to fit them (--common-points, refused above
    --tolerance-m), or accept a nominal datum change (--accept-nominal-datum: tens of metres off).
    Markers are registered as new markers with the BM-04 records (--reason, --agreement-doc,
    --survey-ref, --filed-with), all rows or none; each keeps its elevation and coordinate source and
    needs a managing side (BM-03): the table's 管理方 column, or --managing-adcode.
    A file naming records already stored (or markers within 0.5 m of an active one) is refused (exit 2).
    """
    from geo.io.legacy_import import Conversion, estimate_parameters, import_legacy, load_parameters, save_parameters

    given = [name for name, value in (("--params", params_path), ("--common-points", common_points),
                                      ("--accept-nominal-datum", accept_nominal)) if value]
    if len(given) > 1:
        raise click.UsageError(text("legacy_crs.one_source", options=", ".join(given)))
    if not given:
        raise click.UsageError(text("legacy_crs.no_params", field=label("params")))
    with domain_errors(), _conflicts_as_usage():
        if params_path is not None:
            conversion = Conversion(load_parameters(params_path, system=system), "supplied")
        elif common_points is not None:
            grid, fit = estimate_parameters(common_points, system=system, zone_width_deg=int(zone_width), zone=zone,
                                            kind=kind, tolerance_m=tolerance_m, convention=convention,
                                            encoding=encoding)
            _echo_fit(fit)
            if save_params is not None:
                save_parameters(save_params, fit, grid)
            conversion = Conversion(fit.params, "estimated", fit)
        else:
            conversion = Conversion(None, "nominal")
        records = {k: v for k, v in (("reason", reason), ("agreement_doc", agreement_doc),
                                     ("survey_ref", survey_ref), ("filed_with", filed_with)) if v is not None}
        bar, update = progress_bar(f"导入 importing {path.name}")
        with bar:
            report = import_legacy(obj.store, path, layer=layer, system=system, zone_width_deg=int(zone_width),
                                   zone=zone, conversion=conversion, records=records, actor=CLI_ACTOR,
                                   encoding=encoding, dry_run=dry_run, progress=update,
                                   managing_adcode=managing_adcode)
    for warning in report.warnings:
        click.echo(f"注意 warning: {warning}", err=True)
    done = "检查通过，未保存 · checked, nothing stored (--dry-run)" if dry_run else (
        f"已导入 {report.imported} 条到 {layer} · imported {report.imported} records into {layer}")
    click.echo(f"{done}\n{report.coordinate_source}", err=True)
    click.echo(json.dumps(report.summary(), ensure_ascii=False))
