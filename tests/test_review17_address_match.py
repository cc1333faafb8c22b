"""Review of #17, F27: address cleaning reads what people type and never drops what it cannot read.

Full-width digits (NFKC), traditional characters of old registers, 栋/门 and the 37-1-1-101 form
reach the room; text after the deepest part it read is listed in ``unmatched`` and lowers the
grade to partial; the notes are Chinese first.
"""

from __future__ import annotations

import pytest

from geo.plates.address_match import load_address_matcher

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
TRADITIONAL = str.maketrans("号楼单", "號樓單")


@pytest.fixture(scope="module")
def room_and_matcher(sample_store):
    store = sample_store
    room = next(a for a in store.select("addresses", where={"level": "room", "status": "active"})
                if a.get("unit"))
    (plate,) = store.select("door_plates", where={"plate_uid": room["plate_uid"]})
    return room, plate, load_address_matcher(store)


def _digits(label: str) -> str:
    return "".join(c for c in label if c.isdigit())


def test_what_people_type_reaches_the_room(room_and_matcher):
    room, plate, matcher = room_and_matcher
    street, number = plate["street_name"], plate["number"]
    b, u, r = _digits(room["building"]), _digits(room["unit"]), _digits(room["room"])
    written = f"{street}{number}号{b}号楼{u}单元{r}室"
    for typed in (written, written.translate(FULL_WIDTH), written.translate(TRADITIONAL),
                  f"{street}{number}号{b}栋{u}门{r}", f"{street}{number}-{b}-{u}-{r}"):
        found = matcher.match(typed).depth()
        assert (found["level"], found["address_grade"], found["unmatched"]) == ("room", "exact", []), typed
        assert found["address"]["address_uid"] == room["address_uid"], typed


def test_text_it_cannot_read_is_listed_and_lowers_the_grade(room_and_matcher):
    room, plate, matcher = room_and_matcher
    typed = f"{plate['street_name']}{plate['number']}号{_digits(room['building'])}号楼{_digits(room['unit'])}单元" \
            f"{_digits(room['room'])}室;DROP TABLE"
    found = matcher.match(typed).depth()
    assert found["level"] == "room" and found["address_grade"] == "partial" and found["unmatched"] == ["DROPTABLE"]


def test_notes_are_chinese_first(room_and_matcher):
    _room, plate, matcher = room_and_matcher
    assert matcher.match("不存在的地方").note == "地址中没有已知的街路巷 no known street in the address"
    assert matcher.match(plate["street_name"]).note == "没有门牌号 no house number"
