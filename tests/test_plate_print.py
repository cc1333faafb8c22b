"""Printable plates: SG-01, the QR read back from the printed PDF, and real Mongolian shaping."""

from __future__ import annotations

import re
import subprocess

import cv2
import numpy as np
import pytest

from geo.errors import InputError
from maps.plate_print import PlateText, batch_html, plate_svg, print_pdf
from tests.browser import screenshot
from tests.qr_decode import decode_qr

MONG = "ᠰᠢᠨᠬᠤᠸᠠ ᠶᠡᠬᠡ ᠭᠤᠳᠤᠮᠵᠢ"
URL = "https://mp.xincheng.example/p/XCV87EZXA6TUH33PCAA"
PLATE = PlateText("XCV87EZX", "新华大街", "XINHUA DAJIE", "7号", MONG, URL)


def test_sg01_refuses_production_without_mongolian_and_marks_proofs():
    bare = PlateText("XCV87EZX", "新华大街", "XINHUA DAJIE", "7号", None, URL)
    with pytest.raises(InputError) as err:
        plate_svg(bare)
    assert err.value.message.startswith("SG-01") and err.value.field == "name_mong"
    assert "校样 PROOF" in plate_svg(bare, proof=True)
    svg = plate_svg(PLATE)
    assert "writing-mode: vertical-lr" in svg and "Noto Sans Mongolian" in svg and 'width=\'270.0mm\'' in svg


def test_qr_on_the_printed_pdf_decodes_to_the_plate_url(tmp_path):
    pdf = print_pdf(batch_html([PLATE, PLATE]), tmp_path / "batch.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert pages == 2 and abs(w - 270 / 25.4 * 72) < 1 and abs(h - 170 / 25.4 * 72) < 1  # 270 x 170 mm
    subprocess.run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")],
                   check=True)
    assert decode_qr(next(tmp_path.glob("page*.png"))) == URL


def test_mongolian_is_shaped_not_printed_as_separate_letters(tmp_path):
    """Joined (shaped) Mongolian must look different from the same letters kept apart by ZWNJ."""
    def render(text: str, name: str):
        page = tmp_path / f"{name}.html"
        page.write_text(f"<html><body style='margin:0;background:#fff'><div lang='mn' style=\"font-family:"
                        f"'Noto Sans Mongolian';font-size:48px;writing-mode:vertical-lr;padding:10px\">{text}"
                        f"</div></body></html>", encoding="utf-8")
        return cv2.imread(str(screenshot(page.as_uri(), tmp_path / f"{name}.png", width=200, height=600)),
                          cv2.IMREAD_GRAYSCALE)

    word = "ᠰᠢᠨᠬᠤᠸᠠ"
    joined = render(word, "joined")
    apart = render("\u200c".join(word), "apart")
    ink = lambda img: int((img < 128).sum())  # noqa: E731
    assert ink(joined) > 500  # the font is there: glyphs, not empty boxes or nothing
    assert np.abs(joined.astype(int) - apart.astype(int)).sum() > 50_000  # contextual forms differ
