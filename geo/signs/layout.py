"""The printed sign's layout: sizes in millimetres after GB 17733 as the domain brief gives them (§3.1).

Street and lane sign (街路巷牌), 1000 x 600 mm, blue ground, white bold sans letters, edge 25 mm
(GB 17733-2008 as a city applied it): the top 3/5 holds the Chinese name, the bottom 2/5 the
pinyin in sign form (SG-02: the name's ``sign_text``), with the arrow and the number range
("1–99号") along the foot. Inner Mongolia (SG-01, 1996/2010 bilingual rules): the Mongolian name
runs vertically before (left of) the Chinese, the same size; a production sign without it is
refused (a proof is marked). A smart sign carries a 200 mm QR code (with its 4-module quiet zone)
at the right of the name. This module computes the numbers; the SVG template
(api/templates/signs/sign.svg) prints them, escaping every text.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.addresses.glyphs import missing_glyph
from geo.errors import InputError
from geo.messages import quoted, text
from geo.public_urls import check_public_base_url
from geo.qr_svg import qr_svg_path
from geo.signs.printed import SIGN_PATH, SignText
from geo.signs.rules import sign_label

WIDTH_MM, HEIGHT_MM = 1000.0, 600.0
EDGE_MM = 25.0
NAME_BAND_MM = HEIGHT_MM * 3 / 5          # top 3/5: the Chinese name (and the Mongolian beside it)
QR_MM = 200.0
MAX_NAME_MM = 200.0
MIN_NAME_MM = 40.0
COLUMN_PITCH_EM = 1.15                    # a Mongolian column's width with its gap, in em
MAX_PINYIN_MM = 80.0
RANGE_MM = 48.0
MONGOLIAN_EM_PER_CHAR = 0.5               # Noto Sans Mongolian's average advance (as on the plates)
PINYIN_EM_PER_CHAR = 0.62                 # capitals of Noto Sans, bold
BLUE = "#1d4f91"
CJK_FONT = "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif"
MONGOLIAN_FONT = "'Noto Sans Mongolian', sans-serif"
COMPASS_ZH = {"east": "东", "west": "西", "north": "北", "south": "南"}
# arrow polygons (mm, pointing right at the origin's right), turned by the template for each direction
ARROW_ROTATION = {"east": 0, "south": 90, "west": 180, "north": 270}


@dataclass(frozen=True)
class SignLayout:
    """Every number and text the sign's SVG template prints."""

    sign: SignText
    proof: bool
    width: float
    height: float
    name_size: float
    name_x: float
    name_y: float
    mong_columns: list[tuple[float, str]]   # (x of the column's centre, its words): read left to right
    mong_y: float
    pinyin_size: float
    pinyin_y: float
    rule_y: float
    rule_x2: float
    arrow_x: float
    arrow_y: float
    arrow_rotation: int | None
    compass_zh: str
    compass_x: float
    compass_y: float
    range_x: float
    range_y: float
    range_anchor: str
    range_size: float
    qr_x: float
    qr_y: float
    qr_mm: float
    qr_path: str
    blue: str = BLUE
    cjk_font: str = CJK_FONT
    mong_font: str = MONGOLIAN_FONT


def qr_path(url: str, size_mm: float) -> str:
    """Return an SVG path of the QR's dark modules scaled to ``size_mm`` square, quiet zone included."""
    return qr_svg_path(url, size_mm)[0]


def check_sg01(sign: SignText, *, proof: bool) -> None:
    """SG-01: in Inner Mongolia a production sign needs the Mongolian name in force (a proof need not).

    A rename clears the former name's Mongolian (PN-10), so a renamed street's sign waits for the new
    one; the Chinese name must be drawable by the plate font (F5); a smart sign's QR must carry a
    public address (F7, one rule with the plates).
    """
    if proof:
        return
    if not (sign.name_mong or "").strip():
        raise InputError(text("signs.sg01", name=sign.street_name), field="name_mong")
    char = missing_glyph(sign.street_name)
    if char is not None:  # the sign would print a crossed box (F5)
        raise InputError(text("printed_names.no_glyph", field=sign_label("shows_name"),
                              value=quoted(sign.street_name), char=f"{quoted(char)} U+{ord(char):04X}"),
                         field="shows_name")
    if sign.url is not None:
        base = sign.url.rsplit(SIGN_PATH, 1)[0]
        try:
            check_public_base_url(base)
        except InputError:
            raise InputError(text("printed_names.sign_base_url", value=repr(base)),
                             field="public_base_url") from None


def _columns(words: list[str], *, size: float, height: float) -> list[str] | None:
    """Pack Mongolian words into vertical columns of at most ``height`` mm at font size ``size``; None if a
    word alone is too long."""
    most = height / (size * MONGOLIAN_EM_PER_CHAR)
    columns: list[str] = []
    for word in words:
        if len(word) > most:
            return None
        if columns and len(columns[-1]) + 1 + len(word) <= most:
            columns[-1] += " " + word
        else:
            columns.append(word)
    return columns


def sign_layout(sign: SignText, *, proof: bool = False) -> SignLayout:
    """Return the layout of ``sign``; refuse a production sign without its Mongolian name (SG-01).

    Both scripts take one font size (SG-01): the largest at which the Chinese fits its line and the
    Mongolian, wrapped at its spaces into vertical columns read left to right, fits the sign's height.
    """
    check_sg01(sign, proof=proof)
    inner_left, inner_right = EDGE_MM + 20, WIDTH_MM - EDGE_MM - 20
    right = inner_right - (QR_MM + 20 if sign.url else 0)
    chars = max(len(sign.street_name), 1)
    words = (sign.name_mong or "").split()
    column_height = HEIGHT_MM - 2 * EDGE_MM - 30
    size = MAX_NAME_MM
    columns: list[str] | None = [] if not words else None
    while True:
        if words:
            columns = _columns(words, size=size, height=column_height)
        mong_width = len(columns) * size * COLUMN_PITCH_EM + 15 if columns else 0.0
        if (columns is not None and size * chars <= right - inner_left - mong_width) or size <= MIN_NAME_MM:
            break
        size *= 0.95
    columns = columns or []
    name_x = inner_left + mong_width
    pinyin_chars = max(len(sign.sign_text), 1)
    pinyin_size = min(MAX_PINYIN_MM, size * 0.6, (inner_right - name_x) / (pinyin_chars * PINYIN_EM_PER_CHAR))
    rotation = ARROW_ROTATION.get(sign.direction)
    west = sign.direction == "west"
    arrow_x = name_x + 40 if west else inner_right - 40
    range_anchor = "start" if west else "end"
    range_x = arrow_x + 60 if west else arrow_x - 60 - (45 if sign.direction in ("north", "south") else 0)
    arrow_y = HEIGHT_MM - EDGE_MM - 45
    upright = sign.direction in ("north", "south")
    return SignLayout(
        sign=sign, proof=proof, width=WIDTH_MM, height=HEIGHT_MM, name_size=round(size, 2),
        name_x=round(name_x, 2), name_y=round(EDGE_MM + (NAME_BAND_MM - EDGE_MM) / 2 + size * 0.36, 2),
        mong_columns=[(round(inner_left + size * COLUMN_PITCH_EM * (k + 0.5), 2), c) for k, c in enumerate(columns)],
        mong_y=EDGE_MM + 15, pinyin_size=round(pinyin_size, 2),
        pinyin_y=round(NAME_BAND_MM + 20 + pinyin_size * 0.8, 2), rule_y=NAME_BAND_MM, rule_x2=inner_right,
        arrow_x=arrow_x, arrow_y=arrow_y, arrow_rotation=rotation, compass_zh=COMPASS_ZH.get(sign.direction, ""),
        compass_x=arrow_x - 50 if upright else arrow_x, compass_y=arrow_y + 10 if upright else arrow_y - 32,
        range_x=range_x, range_y=HEIGHT_MM - EDGE_MM - 28,
        range_anchor=range_anchor, range_size=RANGE_MM, qr_x=inner_right - QR_MM, qr_y=EDGE_MM + 30, qr_mm=QR_MM,
        qr_path=qr_path(sign.url, QR_MM) if sign.url else "")
