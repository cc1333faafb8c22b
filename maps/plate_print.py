"""Printable door plates: one SVG per plate and PDF batches for the manufacturer.

Layout (中门牌, 270 x 170 mm, after a GB 17733-2008-based city template, domain brief §3.2): blue
ground, white bold sans text; the top 2/5 holds the street name with its pinyin (sign form), the
bottom 3/5 the number; a 75 mm QR code with its quiet zone on the right. Inner Mongolia (SG-01): the
Mongolian name runs vertically on the left of the Chinese, at the same size. Mongolian is cursive,
so PDFs are printed by Chromium (HarfBuzz shaping), never by a renderer without shaping.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from markupsafe import Markup

from geo.errors import InputError
from geo.messages import text
from geo.plates.printed import PlateText
from geo.qr_svg import qr_svg_path
from maps.templating import render

WIDTH_MM, HEIGHT_MM = 270.0, 170.0
QR_MM = 75.0
BLUE = "#1d4f91"
CJK_FONT = "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif"
MONGOLIAN_FONT = "'Noto Sans Mongolian', sans-serif"


# Average advance of a Mongolian letter, in em (Noto Sans Mongolian, measured).
MONGOLIAN_EM_PER_CHAR = 0.5


def _em_width(text: str) -> float:
    """Estimate the width of a number text in em: digits and hyphens narrow, Chinese 1 em."""
    return sum(0.58 if c.isdigit() else 0.4 if c in "-." else 1.0 for c in text)


def check_sg01(plate: PlateText, *, proof: bool) -> None:
    """SG-01: in Inner Mongolia a production plate needs the Mongolian name (proofs need not)."""
    if not proof and not (plate.name_mong or "").strip():
        raise InputError(text("addresses.sg01", street=plate.street_name), field="name_mong")


def _qr_path(url: str, size_mm: float) -> tuple[str, float]:
    """Return an SVG path of the QR's dark modules scaled to ``size_mm``, 4-module quiet zone."""
    return qr_svg_path(url, size_mm)


def plate_svg(plate: PlateText, *, proof: bool = False) -> str:
    """Return the plate as an SVG sized in millimetres (maps/templates/plate.svg, autoescaped)."""
    check_sg01(plate, proof=proof)
    qr_x, qr_y = WIDTH_MM - QR_MM - 12, HEIGHT_MM - QR_MM - 12
    path, _module = _qr_path(plate.url, QR_MM)
    name_size = 26.0
    text_x = 14.0
    if plate.name_mong:
        # Both scripts the same size (SG-01): shrink both when the vertical Mongolian would not fit.
        name_size = min(name_size,
                        (HEIGHT_MM - 24) / (len(plate.name_mong) * MONGOLIAN_EM_PER_CHAR))
        text_x = 14.0 + name_size
    number_size = min(62.0, (qr_x - 6 - text_x) / _em_width(plate.number_text))
    fonts = {"cjk_font": Markup(CJK_FONT), "mong_font": Markup(MONGOLIAN_FONT)}  # constants
    return render("plate.svg", p=plate, proof=proof, width=WIDTH_MM, height=HEIGHT_MM,
                  inner_w=WIDTH_MM - 6, inner_h=HEIGHT_MM - 6, blue=BLUE, **fonts,
                  mong_x=f"{8 + name_size / 2:.2f}", name_size=f"{name_size:.2f}",
                  text_x=text_x, rule_x2=qr_x - 6, number_size=f"{number_size:.2f}", qr_x=qr_x,
                  qr_y=qr_y, qr_mm=QR_MM, path=path)


def batch_html(plates: list[PlateText], *, proof: bool = False) -> str:
    """Return an HTML document with one plate per page, sized for printing."""
    return render("plate_batch.html", width=WIDTH_MM, height=HEIGHT_MM,
                  plates=[Markup(plate_svg(p, proof=proof)) for p in plates])


def print_pdf(document_html: str, out: Path, *, chromium: str | None = None,
              timeout_s: float = 300) -> Path:
    """Print HTML to PDF with headless Chromium (HarfBuzz shapes the Mongolian text)."""
    exe = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise InputError("printing needs Chromium: install Debian's chromium "
                         "(scripts/ensure-chromium.sh)", field="chromium")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "plates.html"
        page.write_text(document_html, encoding="utf-8")
        subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", f"--user-data-dir={tmp}/profile",
                        "--no-pdf-header-footer", f"--print-to-pdf={out}", page.as_uri()],
                       capture_output=True, timeout=timeout_s, check=True)
    return out
