"""Printable door plates: one SVG per plate and PDF batches for the manufacturer.

Layout (中门牌, 270 × 170 mm, after a GB 17733-2008-based city template, domain brief §3.2): blue
ground, white bold sans text; the top 2/5 holds the street name with its pinyin (sign form), the
bottom 3/5 the number; a 75 mm QR code with its quiet zone on the right. Inner Mongolia (SG-01): the
Mongolian name runs vertically on the left of the Chinese, at the same size. Mongolian is cursive,
so PDFs are printed by Chromium (HarfBuzz shaping), never by a renderer without shaping.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import segno

from geo.errors import InputError

WIDTH_MM, HEIGHT_MM = 270.0, 170.0
QR_MM = 75.0
BLUE = "#1d4f91"
CJK_FONT = "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif"
MONGOLIAN_FONT = "'Noto Sans Mongolian', sans-serif"


MONGOLIAN_EM_PER_CHAR = 0.5  # average advance of a Mongolian letter, in em (Noto Sans Mongolian, measured)


def _em_width(text: str) -> float:
    """Estimate the width of a number text in em: digits and hyphens narrow, Chinese characters 1 em."""
    return sum(0.58 if c.isdigit() else 0.4 if c in "-." else 1.0 for c in text)


@dataclass(frozen=True)
class PlateText:
    """What goes on one plate."""

    plate_uid: str
    street_name: str
    sign_text: str            # pinyin sign form (RM-11), e.g. XINHUA DAJIE
    number_text: str          # 12号, 12-1号
    name_mong: str | None
    url: str                  # the signed short URL the QR carries


def check_sg01(plate: PlateText, *, proof: bool) -> None:
    """SG-01: in Inner Mongolia a production plate needs the Mongolian name (proofs may go without)."""
    if not proof and not (plate.name_mong or "").strip():
        raise InputError(f"SG-01: {plate.street_name} has no Mongolian-script name; record it before printing "
                         "plates for production (or print a proof)", field="name_mong")


def _qr_path(url: str, size_mm: float) -> tuple[str, float]:
    """Return an SVG path of the QR's dark modules scaled to ``size_mm`` with a 4-module quiet zone."""
    qr = segno.make(url, error="m", micro=False)
    matrix = qr.matrix
    n = len(matrix) + 8
    module = size_mm / n
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{(start + 4) * module:.4f} {(y + 4) * module:.4f}h{(x - start) * module:.4f}"
                             f"v{module:.4f}h{-(x - start) * module:.4f}z")
            else:
                x += 1
    return "".join(parts), module


def plate_svg(plate: PlateText, *, proof: bool = False) -> str:
    """Return the plate as an SVG sized in millimetres."""
    check_sg01(plate, proof=proof)
    qr_x, qr_y = WIDTH_MM - QR_MM - 12, HEIGHT_MM - QR_MM - 12
    path, _module = _qr_path(plate.url, QR_MM)
    name_size = 26.0
    mong = ""
    text_x = 14.0
    if plate.name_mong:
        # Both scripts the same size (SG-01): shrink both when the vertical Mongolian would not fit.
        name_size = min(name_size, (HEIGHT_MM - 24) / (len(plate.name_mong) * MONGOLIAN_EM_PER_CHAR))
        mong = (f"<text x='{8 + name_size / 2:.2f}' y='12' font-size='{name_size:.2f}' fill='#fff' "
                f"font-family=\"{MONGOLIAN_FONT}\" style='writing-mode: vertical-lr' lang='mn'>"
                f"{html.escape(plate.name_mong)}</text>")
        text_x = 14.0 + name_size
    number_size = min(62.0, (qr_x - 6 - text_x) / _em_width(plate.number_text))
    watermark = ("<text x='135' y='100' font-size='30' fill='#ffcc00' opacity='0.7' text-anchor='middle' "
                 f"font-family=\"{CJK_FONT}\" transform='rotate(-15 135 100)'>校样 PROOF 不得生产</text>") if proof else ""
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH_MM}mm' height='{HEIGHT_MM}mm' "
        f"viewBox='0 0 {WIDTH_MM} {HEIGHT_MM}' data-plate='{html.escape(plate.plate_uid)}'>"
        f"<rect width='{WIDTH_MM}' height='{HEIGHT_MM}' rx='6' fill='{BLUE}'/>"
        f"<rect x='3' y='3' width='{WIDTH_MM - 6}' height='{HEIGHT_MM - 6}' rx='5' fill='none' stroke='#fff' "
        f"stroke-width='1.2'/>{mong}"
        f"<text x='{text_x}' y='40' font-size='{name_size:.2f}' font-weight='700' fill='#fff' "
        f"font-family=\"{CJK_FONT}\">{html.escape(plate.street_name)}</text>"
        f"<text x='{text_x}' y='58' font-size='10' fill='#fff' font-family=\"{CJK_FONT}\" "
        f"letter-spacing='0.5'>{html.escape(plate.sign_text)}</text>"
        f"<line x1='{text_x}' y1='68' x2='{qr_x - 6}' y2='68' stroke='#fff' stroke-width='0.8'/>"
        f"<text x='{text_x}' y='140' font-size='{number_size:.2f}' font-weight='700' fill='#fff' "
        f"font-family=\"{CJK_FONT}\">{html.escape(plate.number_text)}</text>"
        f"<rect x='{qr_x}' y='{qr_y}' width='{QR_MM}' height='{QR_MM}' fill='#fff'/>"
        f"<path transform='translate({qr_x} {qr_y})' d='{path}' fill='#000'/>{watermark}</svg>")


def batch_html(plates: list[PlateText], *, proof: bool = False) -> str:
    """Return an HTML document with one plate per page, sized for printing."""
    pages = "".join(f"<div class='page'>{plate_svg(p, proof=proof)}</div>" for p in plates)
    return (f"<!doctype html><html><head><meta charset='utf-8'><style>@page{{size:{WIDTH_MM}mm {HEIGHT_MM}mm;"
            f"margin:0}}body{{margin:0}}.page{{width:{WIDTH_MM}mm;height:{HEIGHT_MM}mm;page-break-after:always;"
            f"overflow:hidden}}.page:last-child{{page-break-after:auto}}.page svg{{display:block}}</style></head><body>{pages}</body></html>")


def print_pdf(document_html: str, out: Path, *, chromium: str | None = None, timeout_s: float = 300) -> Path:
    """Print HTML to PDF with headless Chromium (HarfBuzz shapes the Mongolian text)."""
    exe = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise InputError("printing needs Chromium: install Debian's chromium (scripts/ensure-chromium.sh)",
                         field="chromium")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "plates.html"
        page.write_text(document_html, encoding="utf-8")
        subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", f"--print-to-pdf={out}",
                        page.as_uri()], capture_output=True, timeout=timeout_s, check=True)
    return out
