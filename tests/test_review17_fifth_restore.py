"""Fifth review of #17, restore: an older backup never gives out again codes already issued.

After a backup, codes were issued (a unit code, a 地名代码) and a sync batch was made and sent. Restoring
the backup over that database is refused (Chinese first, naming the sent batches by year and number and
how many codes were issued after the backup; exit 2 on the CLI) unless ``--accept-older``; and whatever
the flag, the code counters after the restore are never below the replaced database's, so the next
code issued is a new one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.divisions import codes as unit_codes
from geo.errors import InputError
from geo.placenames.national_sync import list_batches, make_batch, mark_acknowledged, mark_sent
from geo.store import Store, schema
from geo.store.backup import restore_backup, write_backup
from tests.test_backup import _cli_restore, table_contents
from tests.test_national_sync import _in_force, _year


def _unit_code(store: Store) -> str:
    """Issue the next community code under a sub-district (as a division split does)."""
    with store.writing() as conn:
        return unit_codes.take_code(store, conn, parent_code="150102003000", level="community", given=None,
                                    district="150102", actor="o")


def _counters(store: Store) -> dict[tuple[str, str], int]:
    c = schema.code_counters
    with store.reading() as conn:
        return {(r[0], r[1]): int(r[2]) for r in conn.execute(sa.select(c.c.scheme, c.c.prefix, c.c.last_serial))}


def _issue_and_send(store: Store) -> tuple[str, str, dict]:
    """After the backup: a unit code, a coded standard name, and its batch made and sent."""
    unit = _unit_code(store)
    name = _in_force(store, "春晖路")
    batch, _ = make_batch(store, _year(), actor="o")
    sent = mark_sent(store, batch["id"], expected_version=batch["version"], actor="o")
    return unit, name["place_code"], sent


@pytest.mark.both_backends  # a restore: its transaction and the counters it keeps, per backend
def test_an_older_backup_is_refused_over_sent_batches_and_never_reissues_codes(store, database_url, tmp_path):
    old = tmp_path / "old.zip"
    first_unit = _unit_code(store)  # the backup holds one unit code and no place code
    write_backup(store, old)
    unit, place_code, _sent = _issue_and_send(store)
    assert unit != first_unit
    counters = _counters(store)
    before = table_contents(store)

    with pytest.raises(InputError) as err:
        restore_backup(store, old, replace=True)
    message = err.value.message
    assert err.value.field == "accept_older" and message.startswith("备份比当前数据库旧，未作任何改动")
    assert f"{_year()} 年第 1 批（已报送" in message and f"{_year()} #1 (sent" in message
    assert "备份之后已发出 2 个代码" in message and "--accept-older" in message  # one unit code, one place code
    assert table_contents(store) == before  # nothing changed
    result = _cli_restore(database_url, old, "--replace")
    assert result.returncode == 2 and "备份比当前数据库旧" in result.stderr, result.stderr
    assert table_contents(store) == before

    result = _cli_restore(database_url, old, "--replace", "--accept-older")
    assert result.returncode == 0, result.stderr
    assert list_batches(store) == [] and store.count("place_names") == 0  # the backup's state
    assert _counters(store) == counters  # never below the codes already issued
    again = _unit_code(store)
    name = _in_force(store, "和乐路")
    assert again not in (first_unit, unit) and unit_codes.serial_of(again, "community") > unit_codes.serial_of(
        unit, "community")
    assert name["place_code"] and name["place_code"] != place_code


def test_codes_issued_after_a_backup_are_not_reissued_without_sent_batches(store, tmp_path):
    """No sync batch was sent: the restore goes ahead, and the counters still stay where they were."""
    old = tmp_path / "old.zip"
    first = _in_force(store, "春晖路")  # a place-code counter in the backup, below the current one
    write_backup(store, old)
    issued = _in_force(store, "和乐路")["place_code"]  # issued after the backup
    counters = _counters(store)
    restore_backup(store, old, replace=True)
    assert [r["standard_name"] for r in store.select("place_names")] == ["春晖路"]
    assert _counters(store) == counters
    new = _in_force(store, "安和路")
    assert new["place_code"] not in (first["place_code"], issued)


def test_an_acknowledgement_the_backup_lacks_is_refused_too(store, tmp_path):
    _in_force(store, "春晖路")
    batch, _ = make_batch(store, _year(), actor="o")
    sent = mark_sent(store, batch["id"], expected_version=batch["version"], actor="o")
    old: Path = tmp_path / "old.zip"
    write_backup(store, old)  # the batch sent, not yet acknowledged
    mark_acknowledged(store, batch["id"], ack_ref="MCA-1", expected_version=sent["version"], actor="o")
    with pytest.raises(InputError) as err:
        restore_backup(store, old, replace=True)
    assert f"{_year()} 年第 1 批（已回执 MCA-1" in err.value.message and "0 个代码" in err.value.message
    assert list_batches(store)[0]["ack_ref"] == "MCA-1"
    restore_backup(store, old, replace=True, accept_older=True)
    (restored,) = list_batches(store)
    assert restored["sent_at"] and restored["ack_ref"] is None
    write_backup(store, old)  # a backup holding everything sent: restored without question
    restore_backup(store, old, replace=True)
