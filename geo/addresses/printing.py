"""Printable 楼牌 (building plates) and 单元牌 (unit plates) as SVG, with a signed QR code.

楼牌, 900 x 500 mm (GB 17733-2008 as a city applies it, domain brief §3.1): the left 3/5 blue with
white text (the street and number the building stands at, its pinyin in sign form below), the right
2/5 white with the building's number in red, digits at least 350 mm high (squeezed sideways, never
lowered, when the number is long). 单元牌 follows the 中门牌 template (270 x 170 mm, §3.2): the
building on top, the unit large below. Both carry the Mongolian street name vertically on the left
of the Chinese, at the same size (SG-01; a production plate without it is refused, a proof is
marked), and a QR code (black on white, 4-module quiet zone) holding only the short signed URL.

The SVG comes from Jinja2 templates (geo/addresses/templates/, autoescaped), so stored text never
becomes markup; the PDF is printed from :func:`batch_html` by Chromium, as door plates are
(:func:`maps.plate_print.print_pdf`), which shapes the Mongolian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from geo.addresses._read import plate_contexts
from geo.addresses.codes import Signer, address_code, address_url
from geo.addresses.glyphs import missing_glyph
from geo.addresses.rules import field_label
from geo.addresses.standard import PlateContext, romanize_label
from geo.addresses.views import active_successor
from geo.errors import Conflict, InputError
from geo.messages import Term, as_term, quoted, text
from geo.placenames.romanize import plate_number_pinyin, romanize, strip_tones
from geo.qr_svg import qr_svg_path
from geo.store import Store, schema

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                         undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
BLUE, RED = "#1d4f91", "#c8102e"
CJK_FONT = Markup("'Noto Sans CJK SC', 'Noto Sans SC', sans-serif")  # constants, not data
MONGOLIAN_FONT = Markup("'Noto Sans Mongolian', sans-serif")
MONGOLIAN_EM_PER_CHAR = 0.5  # the door plates' measure of Noto Sans Mongolian
DIGIT_HEIGHT_EM = 0.73       # Noto Sans CJK: height of a lining digit, in em
SIZES_MM = {"building": (900.0, 500.0, 120.0), "unit": (270.0, 170.0, 75.0)}  # width, height, QR side
MIN_BUILDING_DIGIT_MM = 350.0


@dataclass(frozen=True)
class AddressPlate:
    """What goes on one 楼牌 or 单元牌."""

    address_uid: str
    level: str                 # building or unit
    street_name: str
    number_text: str           # 12号
    sign_text: str             # the street and number in sign form: XING'AN BEILU 12 (unit plate: + 3 HAO LOU)
    name_mong: str | None
    building: str              # 3号楼
    unit: str | None           # 2单元
    url: str                   # the signed short URL the QR carries

    @property
    def big_text(self) -> str:
        """Return what the plate shows large: the building's number (楼牌) or the unit (单元牌)."""
        if self.level == "unit":
            return self.unit or ""
        return re.sub(r"号楼$", "", self.building)


def plate_content(address: dict[str, Any], ctx: PlateContext, *, signer: Signer, base_url: str,
                  street_sign_text: str | None) -> AddressPlate:
    """Return what a building's or unit's plate says; refuse a room or a retired address."""
    if address["level"] not in SIZES_MM:
        raise InputError(text("addresses.not_printable", level=address["level"],
                              value=quoted(address["address_uid"])), field="address_uid")
    if address.get("status") != "active":
        raise retired_refusal(address)
    sign = street_sign_text or romanize(ctx.street_name).sign_text
    line = [sign, _sign_form(plate_number_pinyin(ctx.number, ctx.suffix))]
    if address["level"] == "unit":  # the unit plate's top line names the building too: 兴安北路12号 3号楼
        line.append(_sign_form(romanize_label(address["building"])))
    return AddressPlate(address_uid=address["address_uid"], level=address["level"], street_name=ctx.street_name,
                        number_text=ctx.number_text, sign_text=" ".join(line),
                        name_mong=ctx.street_mong, building=address["building"], unit=address.get("unit"),
                        url=address_url(base_url, address_code(signer, address["qr_token"])))


PLATE_NAMES = {"building": Term("楼牌", "building plate"), "unit": Term("单元牌", "unit plate")}


def retired_refusal(address: dict[str, Any], *, decision: str | None = None, successor: str | None = None
                    ) -> Conflict:
    """Return the refusal to print a retired address's plate: it is retired (已废止), not "cannot be
    changed" (nothing is changed by printing), naming the decision it was retired by and the address in
    use now when they are known (finding 14b)."""
    why = Term("", "")
    if decision:
        why = as_term(text("addresses.retired_print_decision", decision=quoted(decision, max_chars=160)))
    if successor:
        more = as_term(text("addresses.retired_print_successor", successor=quoted(successor)))
        why = Term(f"{why}{more}", f"{why.en}{more.en}")
    plate = PLATE_NAMES.get(str(address.get("level")), Term("牌", "plate"))
    return Conflict(text("addresses.retired_print", value=quoted(address["address_uid"]),
                         date=str(address.get("retired_on") or "—"), plate=plate, why=why), field="status")


def _retirement(conn: sa.Connection, address: dict[str, Any]) -> tuple[str | None, str | None]:
    """Return what a retired address was retired by (its last retirement's audit note: the reason, the
    document or the revoked plate's decision) and the active address of the same plate and labels that
    took its place (rebuilt after it was retired), each None when not known."""
    log = schema.audit_log
    note = conn.execute(sa.select(log.c.note).where(
        log.c.table_name == "addresses", log.c.record_id == address["id"], log.c.action == "retire")
        .order_by(log.c.id.desc()).limit(1)).scalar()
    decision = str(note).removeprefix("注销 retired:").strip() if note else None
    successor = active_successor(conn, address)
    return decision or None, (f"{successor[0]}（{successor[1]}）" if successor else None)


def _sign_form(toned: str) -> str:
    """Return pinyin in sign form (RM-11): no tones, capitals, apostrophes kept."""
    return strip_tones(toned).upper()


def printable(store: Store, address: dict[str, Any], *, signer: Signer, base_url: str) -> AddressPlate:
    """Return what the plate of a stored building or unit says (its plate's names read now).

    A print batch for the manufacturer checks ``base_url`` first (the CLI, with
    :func:`geo.public_urls.check_public_base_url`), as door plates do.
    """
    with store.reading() as conn:
        if address.get("status") != "active" and address.get("level") in SIZES_MM and "id" in address:
            decision, successor = _retirement(conn, address)
            raise retired_refusal(address, decision=decision, successor=successor)
        ctx = plate_contexts(conn, [address["plate_uid"]])[address["plate_uid"]]
        names = schema.place_names
        sign = conn.execute(sa.select(names.c.sign_text).where(
            names.c.feature_class == "street", names.c.standard_name == ctx.street_name,
            names.c.status == "in_force").limit(1)).scalar()
    return plate_content(address, ctx, signer=signer, base_url=base_url, street_sign_text=sign)


def check_printable_url(url: str) -> None:
    """Refuse a production plate whose QR address is not public (loopback, private): one rule with the
    door plates and the street signs (F7); a proof may carry it."""
    from geo.public_urls import check_public_base_url

    base = url.rsplit("/a/", 1)[0]
    try:
        check_public_base_url(base)
    except InputError:
        raise InputError(text("printed_names.address_base_url", value=repr(base)),
                         field="public_base_url") from None


def check_glyphs(texts: dict[str, str]) -> None:
    """Refuse a production print when the plate font has no glyph for a character of a printed text (F5),
    naming the field, the text and the character (a proof may show the box)."""
    for field, value in texts.items():
        char = missing_glyph(value)
        if char is not None:
            raise InputError(text("printed_names.no_glyph", field=field_label(field), value=quoted(value),
                                  char=f"{quoted(char)} U+{ord(char):04X}"), field=field)


def _qr_path(url: str, size_mm: float) -> str:
    """Return an SVG path of the QR's dark modules scaled to ``size_mm`` with its 4-module quiet zone."""
    return qr_svg_path(url, size_mm)[0]


def _em_width(value: str) -> float:
    return sum(0.58 if c.isdigit() else 0.62 if c.isascii() else 1.0 for c in value)


def plate_svg(plate: AddressPlate, *, proof: bool = False) -> str:
    """Return the plate as an SVG sized in millimetres; production needs the Mongolian name (SG-01)."""
    if not proof and not (plate.name_mong or "").strip():
        raise InputError(text("addresses.sg01", street=quoted(plate.street_name)), field="name_mong")
    if not proof:
        check_printable_url(plate.url)
        check_glyphs({"street_name": plate.street_name, "building": plate.building, "unit": plate.unit or ""})
    width, height, qr_mm = SIZES_MM[plate.level]
    common = {"p": plate, "proof": proof, "width": width, "height": height, "blue": BLUE, "red": RED,
              "cjk_font": CJK_FONT, "mong_font": MONGOLIAN_FONT, "qr_mm": qr_mm, "path": _qr_path(plate.url, qr_mm)}
    if plate.level == "building":
        left_w = width * 3 / 5
        name_size = 70.0
        mong = len(plate.name_mong or "")
        if mong:  # both scripts the same size; shrink both when the vertical Mongolian would not fit
            name_size = min(name_size, (height - 60) / (mong * MONGOLIAN_EM_PER_CHAR))
        text_x = 30.0 + (name_size + 10 if mong else 0)
        name_text = f"{plate.street_name}{plate.number_text}"
        name_size = min(name_size, (left_w - text_x - 20) / max(_em_width(name_text), 1))
        digit_size = MIN_BUILDING_DIGIT_MM / DIGIT_HEIGHT_EM
        number_w = width - left_w - 40
        squeeze = _em_width(plate.big_text) * digit_size > number_w
        return _TEMPLATES.get_template("building_plate.svg").render(
            **common, left_w=left_w, text_x=text_x, name_text=name_text, name_size=f"{name_size:.2f}",
            mong_x=f"{22 + name_size / 2:.2f}", qr_x=left_w - qr_mm - 20, qr_y=height - qr_mm - 20,
            digit_size=f"{digit_size:.1f}", number_x=left_w + (width - left_w) / 2, number_w=number_w,
            number_y=height / 2 + MIN_BUILDING_DIGIT_MM / 2, squeeze=squeeze)
    name_size = 22.0
    mong = len(plate.name_mong or "")
    if mong:
        name_size = min(name_size, (height - 24) / (mong * MONGOLIAN_EM_PER_CHAR))
    text_x = 14.0 + (name_size if mong else 0)
    qr_x, qr_y = width - qr_mm - 12, height - qr_mm - 12
    top = f"{plate.street_name}{plate.number_text} {plate.building}"
    name_size = min(name_size, (width - text_x - 14) / max(_em_width(top), 1))
    big_size = min(62.0, (qr_x - 6 - text_x) / max(_em_width(plate.big_text), 1))
    return _TEMPLATES.get_template("unit_plate.svg").render(
        **common, top=top, text_x=text_x, name_size=f"{name_size:.2f}", mong_x=f"{8 + name_size / 2:.2f}",
        qr_x=qr_x, qr_y=qr_y, rule_x2=qr_x - 6, big_size=f"{big_size:.2f}")


def batch_html(plates: list[AddressPlate], *, proof: bool = False) -> str:
    """Return an HTML document with one plate per page at its size (for Chromium's PDF printing)."""
    pages = [{"svg": Markup(plate_svg(p, proof=proof)), "w": SIZES_MM[p.level][0], "h": SIZES_MM[p.level][1]}
             for p in plates]
    return _TEMPLATES.get_template("plate_batch.html").render(pages=pages)
