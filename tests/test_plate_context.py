"""A plate written alone is checked against its own street only (geo.plates.rules.load_plate_context's
``for_records``), with the answers the district-wide read gives: the same refusals, messages and warnings."""

from __future__ import annotations

import re
from typing import Any

import pytest

from geo.errors import Conflict, InputError
from geo.plates import rules
from geo.plates.rules import check_plates, fresh_plate_uids, load_plate_context, plates_for_write
from geo.store import Store


def _outcome(records: list[dict[str, Any]], ctx: rules.PlateContext, **options: Any) -> tuple[str, Any]:
    try:
        return "ok", check_plates([dict(r) for r in records], ctx, **options)
    except (InputError, Conflict) as err:
        return type(err).__name__, (err.field, err.message)


def _cases(store: Store) -> list[tuple[list[dict[str, Any]], dict[str, Any]]]:
    """Batches of plates near what officers write: an address in use, a free number, a sub-number, a street
    written with spaces, a street not stored, two rows of one batch on one address, a plate moved onto itself."""
    plates = [p for p in store.select("door_plates", where={"status": "active"}, limit=4000) if p["geometry"]][::400]
    assert len(plates) >= 8
    cases: list[tuple[list[dict[str, Any]], dict[str, Any]]] = []
    for plate in plates:
        same = {k: plate[k] for k in ("street_name", "number", "suffix", "geometry")}
        cases += [
            ([same], {}),                                                  # DP-04: the number is taken
            ([same], {"replacing": {0: plate["plate_uid"]}}),              # the plate itself, moved
            ([{**same, "number": plate["number"] + 7000}], {}),            # a free number
            ([{**same, "number": plate["number"] + 7000, "suffix": "之一"}], {}),
            ([{**same, "street_name": f"  {plate['street_name']} "}], {}),
            ([{**same, "street_name": plate["street_name"] + "甲"}], {}),   # no such street
            ([{**same, "number": 9999}, {**same, "number": 9999}], {}),     # one address twice in a batch
            ([{**same, "number": plate["number"] + 7000, "geometry": plates[0]["geometry"]}], {}),  # far away
        ]
    return cases


def test_a_narrow_read_refuses_and_warns_as_the_district_wide_read_does(sample_store: Store):
    with sample_store.reading() as conn:
        whole = load_plate_context(conn, adcode=sample_store.adcode)
        cases = _cases(sample_store)
        seen = set()
        for records, options in cases:
            narrow = load_plate_context(conn, adcode=sample_store.adcode, for_records=records)
            expected = _outcome(records, whole, **options)
            assert _outcome(records, narrow, **options) == expected, records
            seen.add(expected[0] if expected[0] != "ok" else "ok+warned" if expected[1] else "ok")
            assert len(narrow.addresses) < len(whole.addresses) // 10  # it read this street's plates, not all
    assert seen == {"ok", "ok+warned", "InputError", "Conflict"}  # every kind of answer was compared


def test_a_single_plate_naming_a_taken_uid_is_refused_and_a_fresh_one_is_never_a_stored_one(sample_store: Store,
                                                                                          monkeypatch):
    stored = sample_store.select("door_plates", where={"status": "active"}, limit=2, offset=300)
    record = {k: stored[0][k] for k in ("street_name", "number", "geometry")} | {"number": stored[0]["number"] + 7000}
    with sample_store.reading() as conn:
        with pytest.raises(Conflict) as err:
            plates_for_write(conn, [{**record, "plate_uid": stored[1]["plate_uid"]}], adcode=sample_store.adcode)
        assert err.value.field == "plate_uid" and stored[1]["plate_uid"] in err.value.message

        draws = iter([[stored[0]["plate_uid"]], ["Z2345678"]])  # the first draw is a stored plate's uid
        monkeypatch.setattr(rules, "new_plate_uids", lambda count, taken=(): next(draws))
        assert fresh_plate_uids(conn, 1) == ["Z2345678"]


def test_text_no_record_could_hold_is_refused_by_the_rules_not_the_driver(sample_store: Store):
    """Review: the narrow read sent a uid or street with a NUL or a lone surrogate to the driver (psycopg's
    DataError, UnicodeEncodeError); the district-wide read refused them naming the field."""
    plate = sample_store.select("door_plates", where={"status": "active"}, limit=1, offset=300)[0]
    good = {"street_name": plate["street_name"], "number": plate["number"] + 7000, "geometry": plate["geometry"]}
    with sample_store.reading() as conn:
        for bad, field in (({"plate_uid": "ABCDEFG\x00"}, "plate_uid"),
                           ({"plate_uid": "ABCDEFG\ud800"}, "plate_uid"),
                           ({"street_name": "\ud800路"}, "street_name"),
                           ({"street_name": "新华\x00大街"}, "street_name")):
            with pytest.raises(InputError) as err:
                plates_for_write(conn, [{**good, **bad}], adcode=sample_store.adcode)
            assert err.value.field == field, err.value.message


def test_one_uid_twice_in_a_batch_names_the_other_row_not_a_stored_plate(sample_store: Store):
    """Review: two rows naming one new uid were told it "already exists", as if a stored plate held it."""
    plate = sample_store.select("door_plates", where={"status": "active"}, limit=1, offset=300)[0]
    rows = [{"street_name": plate["street_name"], "number": plate["number"] + 7000 + i, "geometry": plate["geometry"],
             "plate_uid": "Z2345679"} for i in range(2)]
    with sample_store.reading() as conn, pytest.raises(Conflict) as err:
        plates_for_write(conn, rows, adcode=sample_store.adcode, first_row=2)
    message = err.value.message
    assert "同一批中重复" in message and "row 2" in message and "already exists" not in message


def test_a_lone_surrogate_in_a_field_is_a_400_naming_it(live_server):
    """Review: the refusal echoed the unencodable character and building the JSON answer failed: a 500."""
    import httpx

    from tests.test_api import _token

    body = ('{"type": "Feature", "geometry": {"type": "Point", "coordinates": [111.7, 40.8]}, '
            '"properties": {"street_name": "\\ud800路", "number": 1}}')
    r = httpx.post(f"{live_server}/api/layers/door_plates/features", content=body.encode(),
                   headers={**_token(live_server, "admin"), "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["field"] == "street_name", r.text
    assert "\\ud800" in r.json()["message"]


def test_a_plate_s_street_is_read_by_index_not_by_scanning_the_district(sample_store: Store):
    """The narrow read of one street's plates is an index read (revision 0018), not a scan of every plate of the
    district: the plan each backend makes for the very statement the read sends."""
    import sqlalchemy as sa

    street = sample_store.select("door_plates", where={"status": "active"}, limit=1, offset=700)[0]["street_name"]
    sent: list[tuple[str, Any]] = []
    with sample_store.reading() as conn:
        def keep(_conn, _cursor, statement, parameters, _context, _many):
            if "FROM door_plates" in statement and "street_name IN" in statement:
                sent.append((statement, parameters))
        sa.event.listen(conn, "before_cursor_execute", keep)
        try:
            load_plate_context(conn, adcode=sample_store.adcode, for_records=[{"street_name": street, "number": 1}])
        finally:
            sa.event.remove(conn, "before_cursor_execute", keep)
        assert len(sent) == 1, sent
        statement, parameters = sent[0]
        sqlite = conn.dialect.name == "sqlite"
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (COSTS OFF) "
        plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql(explain + statement, parameters))
    # SQLite: "SEARCH door_plates USING INDEX ix_door_plates_street_name (street_name=?)"; PostgreSQL: the district
    # partition's own index (made from the partitioned table's): "… Index Scan on door_plates_p…_street_name_idx"
    used = re.findall(r"(?:USING INDEX|Index Scan using|Index Scan on|Index Only Scan using) (\S+)", plan)
    assert any("street_name" in index for index in used), plan
    assert ("SCAN door_plates" not in plan) if sqlite else ("Seq Scan" not in plan), plan
