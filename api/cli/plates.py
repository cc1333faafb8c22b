"""``xincheng plates``: door-plate QR images and print batches (they sign codes: need the secret key)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from api.cli.common import CLI_ACTOR, Context, InputRefused, OutputPath, bar_options, domain_errors, group, step_bar
from geo.messages import text

if TYPE_CHECKING:
    from geo.plates.printed import PlateText


@group()
def plates() -> None:
    """门牌 · Door plates: QR images and print batches (they sign codes: set XINCHENG_SECRET_KEY or QR keys)."""


def _plate_texts(obj: Context, *, street: str | None, community: str | None,
                 reprints: bool | None) -> list[PlateText]:
    """Return the printed texts of the one batch chosen; ``reprints`` None: the command has no --reprints."""
    from geo.plates.codes import PlateSigner, check_public_base_url
    from geo.plates.printed import plate_texts
    from geo.plates.reprints import plates_to_print

    if sum(x is not None and x is not False for x in (street, community, reprints or None)) != 1:
        # `plates qr` has no --reprints (a reprint gets its code on the printed plate)
        raise click.UsageError(text("cli.choose_one_batch" if reprints is not None else "cli.choose_one_qr_batch"))
    store = obj.store
    rows = plates_to_print(store, street=street, community=community, reprints=bool(reprints))
    if not rows:
        raise InputRefused(text("cli.no_plates_match"))
    signer = PlateSigner.from_setting(obj.settings.qr_keys, fallback_secret=obj.settings.secret_key)
    base_url = obj.settings.public_base_url
    if not obj.settings.dev_mode:  # printed codes must reach the public server
        base_url = check_public_base_url(base_url)
    return plate_texts(store, rows, signer=signer, base_url=base_url)


@plates.command("qr")
@click.argument("folder", type=OutputPath(folder=True))
@click.option("--street", default=None, help="街路巷名称 · street name.")
@click.option("--community", default=None, help="社区代码（12 位） · 12-digit community code.")
@click.option("--format", "fmt", default="svg", show_default=True, type=click.Choice(["svg", "png"]),
              help="图片格式 · image format.")
@click.pass_obj
def plates_qr(obj: Context, folder: Path, street: str | None, community: str | None, fmt: str) -> None:
    """门牌二维码 · Write one QR image per plate (named by plate id)."""
    from tqdm import tqdm

    from geo.plates.qr import qr_png, qr_svg

    with domain_errors():
        texts = _plate_texts(obj, street=street, community=community, reprints=None)
    folder.mkdir(parents=True, exist_ok=True)
    for t in tqdm(texts, desc="二维码 QR codes", unit="plate", **bar_options()):
        path = folder / f"{t.plate_uid}.{fmt}"
        if fmt == "svg":
            path.write_text(qr_svg(t.url), encoding="utf-8")
        else:
            path.write_bytes(qr_png(t.url))
    click.echo(f"已写入 {len(texts)} 个二维码到 {folder} · wrote {len(texts)} QR images to {folder}")


@plates.command("print")
@click.argument("path", type=OutputPath(".pdf"))
@click.option("--street", default=None, help="街路巷名称 · street name.")
@click.option("--community", default=None, help="社区代码（12 位） · 12-digit community code.")
@click.option("--reprints", is_flag=True,
              help="待重印门牌 · the plates queued for reprinting (by renames); marks them printed.")
@click.option("--proof", is_flag=True, help="校样 · a marked proof: allowed without the Mongolian name (SG-01).")
@click.option("--svg-folder", type=OutputPath(folder=True), default=None,
              help="另存每块门牌的 SVG · also write one SVG per plate here.")
@click.pass_obj
def plates_print(obj: Context, path: Path, street: str | None, community: str | None, reprints: bool,
                 proof: bool, svg_folder: Path | None) -> None:
    """打印门牌 · Print a PDF batch of plates for the manufacturer (one plate per page, 270 x 170 mm)."""
    from tqdm import tqdm

    from maps.plate_print import batch_html, check_sg01, plate_svg, print_pdf

    with domain_errors():
        texts = _plate_texts(obj, street=street, community=community, reprints=reprints)
        for t in tqdm(texts, desc="核对 checking SG-01", unit="plate", **bar_options()):
            check_sg01(t, proof=proof)
            if svg_folder:
                svg_folder.mkdir(parents=True, exist_ok=True)
                (svg_folder / f"{t.plate_uid}.svg").write_text(plate_svg(t, proof=proof), encoding="utf-8")
        marking = reprints and not proof
        # A reprint batch is printed beside PATH and put in its place only once its plates are marked printed: a
        # batch whose marking failed (a read-only database, another officer's batch first) left a PDF that could
        # go to the manufacturer while the plates stayed queued, to be printed again in the next batch.
        printed = path.with_name(f".{path.name}.printing.pdf") if marking else path
        try:
            with step_bar(1, "排版打印 printing (Chromium)") as bar:
                print_pdf(batch_html(texts, proof=proof), printed)
                bar.update(1)
            if marking:
                from geo.plates.reprints import mark_reprints_printed

                mark_reprints_printed(obj.store, [t.plate_uid for t in texts], actor=CLI_ACTOR, batch=path.name)
                os.replace(printed, path)
        finally:
            if marking:
                printed.unlink(missing_ok=True)
    proof_note = "（校样 proof）" if proof else ""
    click.echo(f"已写入 {len(texts)} 块门牌到 {path}{proof_note} · wrote {len(texts)} plates to {path}")
